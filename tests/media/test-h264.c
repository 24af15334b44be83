/* test-h264.c — an H.264 meeting through the relay.  Two participants
 * whose offers carry only H.264 (constrained baseline 42e01f,
 * packetization-mode 1), under different payload type numbers (102 and
 * 125), decode each other in every 1 s window; a receiver's keyframe
 * request reaches the sender through the relay; a third participant who
 * joins late decodes both; a participant who offers only VP8 is refused
 * with KM_ERROR_CODEC and the meeting goes on without it. */
#include "tests/media/harness.h"

#include <stdio.h>

typedef struct {
  TestClient *a, *b, *c;
  guint streams; /* video streams each must decode */
} Meeting;

static gboolean
all_decode (gpointer data)
{
  Meeting *m = data;
  TestClient *all[] = { m->a, m->b, m->c };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i] && (tc_video_streams (all[i]) < m->streams || tc_audio_buffers (all[i]) < 10))
      return FALSE;
  return TRUE;
}

/* Frames each of a and b decode in each of n 1 s windows: all ≥ min. */
static gboolean
windows (TestClient *a, TestClient *b, guint n, guint64 min, const gchar *what)
{
  gboolean ok = TRUE;
  for (guint w = 0; w < n; w++) {
    guint64 a0 = tc_video_frames (a), b0 = tc_video_frames (b);
    harness_run (1000);
    guint64 fa = tc_video_frames (a) - a0, fb = tc_video_frames (b) - b0;
    g_print ("%s window %u: seeker %" G_GUINT64_FORMAT ", caseworker %" G_GUINT64_FORMAT
             " frames\n",
             what, w, fa, fb);
    ok = ok && fa >= min && fb >= min;
  }
  return ok;
}

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  Harness *h = harness_new ("h264");
  /* The sanitizers slow every thread several times over. */
  gboolean slow = g_getenv ("KONTOR_SANITIZED") != NULL;

  const TcOptions a_opts = { .video_codec = "H264", .video_pt = 102, .latency_ms = 150 };
  const TcOptions b_opts = { .video_codec = "H264", .video_pt = 125, .latency_ms = 150 };
  Meeting m = { .streams = 1 };
  m.a = harness_join_with (h, "seeker", &a_opts);
  m.b = harness_join_with (h, "caseworker", &b_opts);
  CHECK (harness_wait (20000, all_decode, &m),
         "1:1 H.264: no decoded media (seeker %" G_GUINT64_FORMAT ", caseworker %" G_GUINT64_FORMAT
         " frames)",
         tc_video_frames (m.a), tc_video_frames (m.b));
  g_print ("first decoded frame: seeker %.0f ms, caseworker %.0f ms\n",
           tc_first_frame_us (m.a) / 1000.0, tc_first_frame_us (m.b) / 1000.0);
  /* Each receives under the number it offered itself. */
  CHECK (tc_received_video_pt (m.a) == 102 && tc_received_video_pt (m.b) == 125,
         "payload types: seeker receives %u (offered 102), caseworker %u "
         "(offered 125)",
         tc_received_video_pt (m.a), tc_received_video_pt (m.b));

  /* 15 frames a second are sent: every second must show most of them. */
  CHECK (windows (m.a, m.b, 5, slow ? 1 : 8, "1:1"),
         "H.264 video did not decode in every 1 s window");

  /* The senders make keyframes only when asked (gop-size=3000). */
  for (int i = 0; i < 3; i++) {
    guint64 want = tc_keyframes (m.a) + 1;
    gint64 t0 = g_get_monotonic_time ();
    tc_request_keyframe (m.a);
    CHECK (harness_wait_keyframes (slow ? 10000 : 3000, m.a, want),
           "H.264 keyframe request %d not answered through the relay", i);
    g_print ("keyframe request %d answered in %.0f ms\n", i,
             (g_get_monotonic_time () - t0) / 1000.0);
    harness_run (600);
  }

  /* A late joiner (an interpreter) with yet another number decodes both
   * from the keyframe the relay asks for, and both decode it. */
  const TcOptions c_opts = { .video_codec = "H264", .video_pt = 127, .latency_ms = 150 };
  gint64 t0 = g_get_monotonic_time ();
  m.c = harness_join_with (h, "interpreter", &c_opts);
  m.streams = 2;
  CHECK (harness_wait (20000, all_decode, &m),
         "late joiner: streams decoded: interpreter %u, seeker %u, "
         "caseworker %u (of 2 each)",
         tc_video_streams (m.c), tc_video_streams (m.a), tc_video_streams (m.b));
  g_print ("late joiner: first frame after %.0f ms; everyone decodes "
           "everyone after %.0f ms\n",
           tc_first_frame_us (m.c) / 1000.0, (g_get_monotonic_time () - t0) / 1000.0);
  CHECK (tc_received_video_pt (m.c) == 127, "interpreter receives pt %u",
         tc_received_video_pt (m.c));
  CHECK (harness_frames_during (m.c, 2000) >= (slow ? 2 : 30), "late joiner stalled");

  /* Someone whose browser offers only VP8: refused, nobody else hurt. */
  const TcOptions vp8_opts = { .video_codec = "VP8", .latency_ms = 150 };
  TestClient *vp8 = harness_join_with (h, "vp8-only", &vp8_opts);
  CHECK (harness_wait_refused (10000, vp8), "a VP8-only offer was accepted "
                                            "into an H.264 meeting");
  g_autofree gchar *want = g_strdup_printf ("%s %d:", g_quark_to_string (KM_ERROR), KM_ERROR_CODEC);
  CHECK (g_str_has_prefix (tc_refusal (vp8), want), "refused, but not with KM_ERROR_CODEC: %s",
         tc_refusal (vp8));
  g_print ("VP8-only offer refused: %s\n", tc_refusal (vp8));
  CHECK (windows (m.a, m.b, 2, slow ? 1 : 16, "after the refusal"),
         "the meeting stalled after a refused offer");
  CHECK (harness_frames_during (m.c, 1000) >= (slow ? 1 : 16),
         "interpreter stalled after a refused offer");
  CHECK (tc_video_frames (vp8) == 0, "the refused participant got video");
  harness_leave (h, vp8);

  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
