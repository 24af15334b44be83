/* fuzz-rtcp.c — libFuzzer target: RTCP as the relay reads it
 * (media/km-feedback.c, km_feedback_read), one compound packet per input.
 *
 * The first byte says whose port the packet arrives on: a receiver's
 * (its reports, NACKs, PLIs and FIRs about the slots it receives) or the
 * sender's (its sender reports, which the slots' own reports carry on).
 * The rest is the packet, bytes as given: SR, RR, SDES, BYE, APP, RTPFB
 * (NACK, TWCC), PSFB (PLI, FIR, REMB), anything.  The receiver has a video
 * slot whose store holds the last packets it was sent, so that NACKs are
 * answered, with or without RTX.  The slots' SSRCs are fixed (RTCP_*
 * below), so that seeds can name them and the fuzzer learn them.
 *
 * Checked besides the sanitizers: whatever the relay sends back (RTX,
 * repeats, PLIs to the sender, sender reports) is valid RTP or RTCP.
 */
#include "tests/fuzz/fuzz-media.h"

/* The receiver's slots and the sender's camera, as seeds name them. */
#define RTCP_VIDEO_SSRC 0x2fb5ee2au
#define RTCP_VIDEO_RTX_SSRC 0x5ac53cd0u
#define RTCP_AUDIO_SSRC 0x0a0d1e01u
#define RTCP_CAMERA_SSRC 0x5e4d0001u

static GstFlowReturn
check_rtp (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_READ);
  FUZZ_CHECK (map.size >= 12 && (map.data[0] >> 6) == 2, "sent a packet that is no RTP (%zu bytes)",
              map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  guint8 setup = fuzz_u8 (&in);
  gint64 now = g_get_monotonic_time ();
  /* The same SSRCs and first numbers every time. */
  g_random_set_seed (7);

  FuzzPort sender, receiver;
  fuzz_port_open (&sender, "sender", NULL, check_rtp, NULL);
  fuzz_port_open (&receiver, "receiver", NULL, check_rtp, NULL);
  KmFwdSource *camera = km_fwd_source_alloc (sender.port, "VP8", RTCP_CAMERA_SSRC);
  sender.port->sources = g_list_prepend (sender.port->sources, camera);
  KmFwdSink *video = km_fwd_sink_new (receiver.port, km_codec_lookup ("VP8"), "video");
  KmFwdSink *audio = km_fwd_sink_new (receiver.port, km_codec_lookup ("OPUS"), "audio");
  /* Fixed, so that seeds can name them (km_fwd_sink_new draws them). */
  video->ssrc = RTCP_VIDEO_SSRC;
  video->rtx_ssrc = RTCP_VIDEO_RTX_SSRC;
  audio->ssrc = RTCP_AUDIO_SSRC;
  km_fwd_sink_set_pt (video, 96, setup & 1 ? 97 : 0);
  km_fwd_sink_set_pt (audio, 111, 0);
  g_autoptr (GError) error = NULL;
  km_fwd_connect (camera, video, &error);

  /* What the slot sent, for NACKs to find: 40 packets, the camera's
   * sender report so that the slot can report too. */
  for (guint i = 0; i < 40; i++) {
    guint8 p[60] = { 0x80, 96 | (i % 4 == 3 ? 0x80 : 0) };
    GST_WRITE_UINT16_BE (p + 2, 1000 + i);
    GST_WRITE_UINT32_BE (p + 4, 90000 + 3000 * (i / 4));
    GST_WRITE_UINT32_BE (p + 8, RTCP_CAMERA_SSRC);
    GstBuffer *b = gst_buffer_new_memdup (p, sizeof p);
    km_fwd_forward_at (camera, b, now + i * 1000);
    gst_buffer_unref (b);
  }
  camera->have_sr = TRUE;
  camera->sr_ntp = G_GUINT64_CONSTANT (0xe8a1b2c300000000);
  camera->sr_rtp = 90000;
  camera->sr_time = now;
  now += 50 * 1000;

  GstBuffer *buf = fuzz_guarded_buffer (in.data, in.size);
  km_feedback_read (setup & 2 ? sender.port : receiver.port, buf, now);
  gst_buffer_unref (buf);

  km_fwd_sink_free (video);
  km_fwd_sink_free (audio);
  km_fwd_source_free (camera);
  fuzz_port_close (&receiver);
  fuzz_port_close (&sender);
  return 0;
}
