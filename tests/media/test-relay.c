/* test-relay.c — a 1:1 meeting through the relay: both sides decode, and a
 * participant who leaves and rejoins is decoded again by the other. */
#include "tests/media/harness.h"

#include <stdio.h>

typedef struct {
  TestClient *a, *b;
  guint64     a_min, b_min;
} Pair;

static gboolean
both_decode (gpointer data)
{
  Pair *p = data;
  return tc_video_frames (p->a) >= p->a_min && tc_video_frames (p->b) >= p->b_min
      && tc_audio_buffers (p->a) > 10 && tc_audio_buffers (p->b) > 10;
}

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  Harness *h = harness_new ("t1");

  Pair p = { .a_min = 10, .b_min = 10 };
  p.a = harness_join (h, "seeker");
  p.b = harness_join (h, "caseworker");
  CHECK (harness_wait (20000, both_decode, &p),
         "1:1: no decoded media (seeker %" G_GUINT64_FORMAT ", caseworker %"
         G_GUINT64_FORMAT " frames)", tc_video_frames (p.a),
         tc_video_frames (p.b));
  g_print ("first decoded frame: seeker %.0f ms, caseworker %.0f ms\n",
           tc_first_frame_us (p.a) / 1000.0, tc_first_frame_us (p.b) / 1000.0);

  guint64 a0 = tc_audio_buffers (p.a), b0 = tc_audio_buffers (p.b);
  guint64 fa = tc_video_frames (p.a), fb = tc_video_frames (p.b);
  harness_run (3000);
  fa = tc_video_frames (p.a) - fa;
  fb = tc_video_frames (p.b) - fb;
  g_print ("over 3 s: seeker %" G_GUINT64_FORMAT " frames, caseworker %"
           G_GUINT64_FORMAT " frames\n", fa, fb);
  CHECK (fa >= 20 && fb >= 20, "video stalled");
  CHECK (tc_audio_buffers (p.a) > a0 + 50 && tc_audio_buffers (p.b) > b0 + 50,
         "audio stalled");

  /* The caseworker reloads: a new webrtcbin, new SSRCs behind the relay. */
  harness_leave (h, p.b);
  harness_run (500);
  guint64 before = tc_video_frames (p.a);
  gint64 t0 = g_get_monotonic_time ();
  p.b = harness_join (h, "caseworker");
  p.a_min = before + 10;
  CHECK (harness_wait (20000, both_decode, &p),
         "rejoin: not decoded again (seeker +%" G_GUINT64_FORMAT
         ", caseworker %" G_GUINT64_FORMAT ")",
         tc_video_frames (p.a) - before, tc_video_frames (p.b));
  g_print ("rejoin: caseworker first frame %.0f ms; seeker decoding again "
           "after %.0f ms\n", tc_first_frame_us (p.b) / 1000.0,
           (g_get_monotonic_time () - t0) / 1000.0);
  CHECK (harness_frames_during (p.a, 2000) >= 15
         && harness_frames_during (p.b, 2000) >= 15, "stalled after rejoin");

  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
