/* test-payload-types.c — a VP8 meeting whose two participants numbered VP8
 * differently (96 and 120): each receives the other's video under its own
 * number and decodes it.  Someone whose offer carries only H.264 is
 * refused with KM_ERROR_CODEC, and the two go on.  An offer shaped as
 * Firefox makes them (bundle-only m-lines on port 0) is accepted.  Broken
 * offers (a video port "x"; no fingerprint, which only webrtcbin notices)
 * are refused as KM_ERROR_SDP, and the same participant's next offer
 * joins the meeting. */
#include "tests/media/harness.h"

#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  Harness *h = harness_new ("pt");
  gboolean slow = g_getenv ("KONTOR_SANITIZED") != NULL;

  const TcOptions a_opts = { .video_codec = "VP8", .video_pt = 96, .latency_ms = 150 };
  const TcOptions b_opts = { .video_codec = "VP8", .video_pt = 120, .latency_ms = 150 };
  TestClient *a = harness_join_with (h, "seeker", &a_opts);
  TestClient *b = harness_join_with (h, "caseworker", &b_opts);
  CHECK (harness_wait_decoding (20000, a, 10, b, 10, TRUE),
         "VP8 96/120: no decoded media (seeker %" G_GUINT64_FORMAT ", caseworker %" G_GUINT64_FORMAT
         " frames)",
         tc_video_frames (a), tc_video_frames (b));
  g_print ("first decoded frame: seeker %.0f ms, caseworker %.0f ms\n",
           tc_first_frame_us (a) / 1000.0, tc_first_frame_us (b) / 1000.0);
  CHECK (tc_received_video_pt (a) == 96 && tc_received_video_pt (b) == 120,
         "payload types: seeker receives %u (offered 96), caseworker %u "
         "(offered 120)",
         tc_received_video_pt (a), tc_received_video_pt (b));
  guint64 fa = harness_frames_during (a, 2000);
  guint64 fb = harness_frames_during (b, 2000);
  g_print ("over 2 s: seeker %" G_GUINT64_FORMAT ", caseworker %" G_GUINT64_FORMAT " frames\n", fa,
           fb);
  CHECK (fa >= (slow ? 2 : 20) && fb >= (slow ? 2 : 20), "video stalled");

  /* An H.264-only offer into this VP8 meeting. */
  const TcOptions h264 = { .video_codec = "H264", .video_pt = 102, .latency_ms = 150 };
  TestClient *late = harness_join_with (h, "interpreter", &h264);
  CHECK (harness_wait_refused (10000, late), "an H.264-only offer was accepted into a VP8 meeting");
  g_autofree gchar *want = g_strdup_printf ("%s %d:", g_quark_to_string (KM_ERROR), KM_ERROR_CODEC);
  CHECK (g_str_has_prefix (tc_refusal (late), want), "refused, but not with KM_ERROR_CODEC: %s",
         tc_refusal (late));
  g_print ("H.264-only offer refused: %s\n", tc_refusal (late));
  fa = harness_frames_during (a, 2000);
  fb = harness_frames_during (b, 2000);
  CHECK (fa >= (slow ? 2 : 20) && fb >= (slow ? 2 : 20),
         "the meeting stalled after a refused offer (%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
         " frames in 2 s)",
         fa, fb);
  harness_leave (h, late);

  /* Firefox offers every m-line after the first as port 0, bundle-only:
   * such an offer is accepted and decodes the others. */
  const TcOptions firefox = {
    .video_codec = "VP8", .video_pt = 126, .latency_ms = 150, .bundle_only = TRUE
  };
  TestClient *ff = harness_join_with (h, "interpreter", &firefox);
  CHECK (harness_wait_decoding (20000, ff, 10, a, 10, TRUE),
         "a bundle-only (Firefox-style) offer: %s, %" G_GUINT64_FORMAT " frames decoded",
         tc_refusal (ff) ? tc_refusal (ff) : "not refused", tc_video_frames (ff));
  g_print ("bundle-only offer accepted; it decodes %" G_GUINT64_FORMAT " frames\n",
           tc_video_frames (ff));
  harness_leave (h, ff);

  const TcOptions broken = {
    .video_codec = "VP8", .video_pt = 98, .latency_ms = 150, .broken_first = TRUE
  };
  TestClient *bf = harness_join_with (h, "interpreter", &broken);
  CHECK (harness_wait_decoding (20000, bf, 10, a, 10, TRUE),
         "after two broken offers: %s / %s, %" G_GUINT64_FORMAT " frames decoded",
         tc_refusal (bf) ? tc_refusal (bf) : "not refused",
         tc_failure (bf) ? tc_failure (bf) : "no failure", tc_video_frames (bf));
  g_autofree gchar *sdp_error =
      g_strdup_printf ("%s %d:", g_quark_to_string (KM_ERROR), KM_ERROR_SDP);
  CHECK (tc_refusal (bf) && g_str_has_prefix (tc_refusal (bf), sdp_error)
             && strstr (tc_refusal (bf), "port"),
         "a video port \"x\" was not refused at once as KM_ERROR_SDP: %s",
         tc_refusal (bf) ? tc_refusal (bf) : "accepted");
  CHECK (tc_failure (bf) && g_str_has_prefix (tc_failure (bf), sdp_error),
         "an offer without a fingerprint did not fail as KM_ERROR_SDP: %s",
         tc_failure (bf) ? tc_failure (bf) : "no failure");
  g_print ("broken offers refused (%s; %s), the next one decodes %" G_GUINT64_FORMAT " frames\n",
           tc_refusal (bf), tc_failure (bf), tc_video_frames (bf));
  harness_leave (h, bf);

  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
