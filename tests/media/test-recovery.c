/* test-recovery.c — loss and keyframes across the relay: a receiver's
 * keyframe request (PLI) reaches the sender through the relay; with
 * KONTOR_MEDIA_LOSS set by the suite (nft drops that share of incoming
 * UDP in the namespace, i.e. on every leg) video keeps decoding. */
#include "tests/media/harness.h"

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  const gchar *loss = g_getenv ("KONTOR_MEDIA_LOSS");
  Harness *h = harness_new ("rec");
  /* Without loss, a jitterbuffer above one frame interval (client.h): at
   * 50 ms a receiver can drop every other frame as late, and the keyframe
   * counted below may be one of them. */
  /* KONTOR_MEDIA_NO_RTX: both offer no RTX, so the relay answers NACKs by
   * sending the same packet again (which srtpenc must be told to allow). */
  const TcOptions opts = { .latency_ms = loss ? 0 : 150,
                           .no_rtx = g_getenv ("KONTOR_MEDIA_NO_RTX") != NULL };
  TestClient *a = harness_join_with (h, "seeker", &opts);
  TestClient *b = harness_join_with (h, "caseworker", &opts);
  CHECK (harness_wait_decoding (30000, a, 5, b, 5, FALSE), "no media");
  g_print ("first decoded frame: seeker %.0f ms, caseworker %.0f ms%s%s\n",
           tc_first_frame_us (a) / 1000.0, tc_first_frame_us (b) / 1000.0,
           loss ? ", loss % per leg: " : "", loss ? loss : "");

  if (!loss) {
    /* Senders only make keyframes when asked (keyframe-max-dist=3000). */
    harness_run (1000);
    for (int i = 0; i < 3; i++) {
      guint64 want = tc_keyframes (a) + 1;
      gint64 t0 = g_get_monotonic_time ();
      tc_request_keyframe (a);
      /* The sanitizers slow every thread several times over. */
      CHECK (harness_wait_keyframes (g_getenv ("KONTOR_SANITIZED") ? 10000 : 3000, a, want),
             "keyframe request %d not answered through the relay", i);
      g_print ("keyframe request %d answered in %.0f ms\n", i,
               (g_get_monotonic_time () - t0) / 1000.0);
      harness_run (600);
    }
  } else {
    /* 10 s in 2 s windows, after a second to settle: every window must
     * decode (at least 4 of the 30 frames sent), and half of all frames
     * must arrive decodable. */
    harness_run (1000);
    guint64 total = 0;
    /* Under the sanitizers every thread runs several times slower and the
     * recovery timers fire late: the test still drives the loss paths
     * (that is what it is there for), but a slow window is no failure;
     * only a stall for the whole 10 s is. */
    gboolean sanitized = g_getenv ("KONTOR_SANITIZED") != NULL;
    for (int w = 0; w < 5; w++) {
      guint64 fa = harness_frames_during (a, 2000);
      guint64 fb = tc_video_frames (b);
      g_print ("window %d: seeker %" G_GUINT64_FORMAT " frames, caseworker "
               "total %" G_GUINT64_FORMAT ", keyframes %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
               "\n",
               w, fa, fb, tc_keyframes (a), tc_keyframes (b));
      total += fa;
      CHECK (sanitized || fa >= 4,
             "video stalled under loss (window %d: %" G_GUINT64_FORMAT " frames)", w, fa);
    }
    CHECK (total >= (sanitized ? 10 : 75),
           "only %" G_GUINT64_FORMAT " of 150 frames decoded "
           "under loss",
           total);
    guint64 fb = harness_frames_during (b, 2000);
    CHECK (fb >= 4, "caseworker stalled under loss");
  }
  CHECK (h->failures == 0, "the relay reported %u media failures", h->failures);
  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
