/* test-relay.c — a 1:1 meeting through the relay: both sides decode, and a
 * participant who leaves and rejoins is decoded again by the other.  The
 * relay offers only UDP candidates, and with KONTOR_ICE_ADDRESS only on
 * the addresses it names (the `ice-address` test). */
#include "tests/media/harness.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  Harness *h = harness_new ("t1");

  TestClient *a = harness_join (h, "seeker");
  TestClient *b = harness_join (h, "caseworker");
  CHECK (harness_wait_decoding (20000, a, 10, b, 10, TRUE),
         "1:1: no decoded media (seeker %" G_GUINT64_FORMAT ", caseworker %" G_GUINT64_FORMAT
         " frames)",
         tc_video_frames (a), tc_video_frames (b));
  g_print ("first decoded frame: seeker %.0f ms, caseworker %.0f ms\n",
           tc_first_frame_us (a) / 1000.0, tc_first_frame_us (b) / 1000.0);

  guint64 a0 = tc_audio_buffers (a), b0 = tc_audio_buffers (b);
  guint64 fa = tc_video_frames (a), fb = tc_video_frames (b);
  harness_run (3000);
  fa = tc_video_frames (a) - fa;
  fb = tc_video_frames (b) - fb;
  g_print ("over 3 s: seeker %" G_GUINT64_FORMAT " frames, caseworker %" G_GUINT64_FORMAT
           " frames\n",
           fa, fb);
  CHECK (fa >= 20 && fb >= 20, "video stalled");
  CHECK (tc_audio_buffers (a) > a0 + 50 && tc_audio_buffers (b) > b0 + 50, "audio stalled");
  /* What they decode was protected by libsrtp2 and sent through libnice
   * by the relay itself, not by webrtcbin's encoder (km-srtpout.c); the
   * stats come every 3 s. */
  harness_run (3500);
  CHECK (g_getenv ("KONTOR_MEDIA_SRTPENC") || (harness_own_srtp (h, a) && harness_own_srtp (h, b)),
         "the relay does not send with its own SRTP");

  /* The caseworker reloads: a new webrtcbin, new SSRCs behind the relay. */
  harness_leave (h, b);
  harness_run (500);
  guint64 before = tc_video_frames (a);
  gint64 t0 = g_get_monotonic_time ();
  b = harness_join (h, "caseworker");
  CHECK (harness_wait_decoding (20000, a, before + 10, b, 10, TRUE),
         "rejoin: not decoded again (seeker +%" G_GUINT64_FORMAT ", caseworker %" G_GUINT64_FORMAT
         ")",
         tc_video_frames (a) - before, tc_video_frames (b));
  g_print ("rejoin: caseworker first frame %.0f ms; seeker decoding again "
           "after %.0f ms\n",
           tc_first_frame_us (b) / 1000.0, (g_get_monotonic_time () - t0) / 1000.0);
  CHECK (harness_frames_during (a, 2000) >= 15 && harness_frames_during (b, 2000) >= 15,
         "stalled after rejoin");

  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
