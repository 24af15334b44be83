/* fuzz-rtp.c — libFuzzer target: the relay's packet path, as a browser
 * drives it (media/km-receive.c, km-forward.c, km-feedback.c).
 *
 * One sender and one to three receivers, each a real KmFwdPort whose way
 * into its SRTP encoder is a pad of ours that checks what the relay sends
 * instead of encrypting it.  The sender has a camera (VP8 or H.264), a
 * microphone (Opus) and perhaps a screen share; every receiver has a slot
 * of each kind.  The input is a script of steps:
 *
 *   0  a packet from the sender, its bytes as given (raw)
 *   1  a packet from the sender, built from a few fields: which stream
 *      (camera, microphone, share, or the camera's RTX carrying an older
 *      sequence number), sequence and timestamp steps, marker, padding,
 *      header extension, CSRCs, payload
 *   2  an RTCP compound packet from a receiver, raw
 *   3  a NACK from a receiver for packets it was sent (valid RTCP)
 *   4  a PLI or FIR from a receiver (valid RTCP)
 *   5  an RTCP compound packet from the sender (raw: SR, RR, anything)
 *   6  time passes (up to 6.5 s, so silences and give-ups happen)
 *   7  a receiver's video slot switches source (camera ↔ share, or off)
 *   8  someone asks for a keyframe; statistics are read
 *
 * Every packet from the sender first passes kontor's SSRC gate
 * (km-ssrcgate.c), as on the receive thread.
 *
 * What is checked besides the sanitizers: every RTP packet the relay
 * sends carries the slot's SSRC (or its RTX SSRC) and payload type, and
 * is never KM_SRTP_WINDOW or more behind the newest it sent on that SSRC
 * (srtpenc would fail the participant's whole transport); every RTCP
 * packet it sends is a valid compound packet.
 */
#include "tests/fuzz/fuzz-media.h"

#define MAX_RECEIVERS 3

/* One port as the rig sees it: the port, and what its checking pads
 * expect. */
typedef struct {
  FuzzPort fp;
  KmFwdSink *video, *audio; /* a receiver's slots */
  GHashTable *newest;       /* SSRC → newest seq sent + 1 (0: none) */
} Port;

typedef struct {
  KmFwdSource *source;
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  guint pt;
} Stream;

typedef struct {
  Port sender;
  Port receivers[MAX_RECEIVERS];
  guint n_receivers;
  Stream camera, mic, share;
  guint32 camera_rtx_ssrc;
  guint16 camera_rtx_seq;
  guint rtx_pt;
  gint64 now;
  KmSsrcGate gate; /* the sender's receive thread's */
} Rig;

/* ---- the checking pads ------------------------------------------------ */

static gboolean
slot_ok (KmFwdSink *sink, guint32 ssrc, guint pt)
{
  return sink
         && ((ssrc == sink->ssrc && pt == sink->pt)
             || (ssrc == sink->rtx_ssrc && sink->rtx_pt && pt == sink->rtx_pt));
}

static GstFlowReturn
check_rtp (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  Port *p = gst_pad_get_element_private (pad);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_READ);
  FUZZ_CHECK (map.size >= 12 && (map.data[0] >> 6) == 2, "sent a packet that is no RTP (%zu bytes)",
              map.size);
  guint32 ssrc = GST_READ_UINT32_BE (map.data + 8);
  guint pt = map.data[1] & 0x7f;
  guint16 seq = GST_READ_UINT16_BE (map.data + 2);
  FUZZ_CHECK (slot_ok (p->video, ssrc, pt) || slot_ok (p->audio, ssrc, pt),
              "sent SSRC %u pt %u, which is no slot's", ssrc, pt);
  gpointer key = GUINT_TO_POINTER (ssrc);
  guint newest = GPOINTER_TO_UINT (g_hash_table_lookup (p->newest, key));
  if (!newest) {
    g_hash_table_insert (p->newest, key, GUINT_TO_POINTER (seq + 1u));
  } else {
    gint16 ahead = (gint16) (seq - (guint16) (newest - 1));
    FUZZ_CHECK (ahead > -KM_SRTP_WINDOW,
                "sent seq %u on SSRC %u, %d behind the newest: srtpenc "
                "refuses that",
                seq, ssrc, -ahead);
    if (ahead > 0)
      g_hash_table_insert (p->newest, key, GUINT_TO_POINTER (seq + 1u));
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* A port as fuzz_port_open() makes it, its RTP checked by check_rtp. */
static void
port_open (Port *p, const gchar *name, const gint16 apt[128])
{
  p->newest = g_hash_table_new (NULL, NULL);
  fuzz_port_open (&p->fp, name, apt, check_rtp, p);
}

static void
port_close (Port *p)
{
  km_fwd_sink_free (p->video);
  km_fwd_sink_free (p->audio);
  fuzz_port_close (&p->fp);
  g_hash_table_unref (p->newest);
}

/* ---- the sender's streams --------------------------------------------- */

static void
stream_open (Rig *rig, Stream *s, const gchar *encoding, guint32 ssrc, guint pt)
{
  s->ssrc = ssrc;
  s->pt = pt;
  s->source = km_fwd_source_alloc (rig->sender.fp.port, encoding, ssrc);
  KmFwdPort *port = rig->sender.fp.port;
  g_mutex_lock (&port->lock);
  port->sources = g_list_prepend (port->sources, s->source);
  g_mutex_unlock (&port->lock);
}

static GstBuffer *
buffer_of (const guint8 *data, gsize n)
{
  return n ? gst_buffer_new_memdup (data, n) : gst_buffer_new ();
}

/* As the sender's packets come: through kontor's SSRC gate on the receive
 * thread (km-nicerecv.c: before SRTP, whose header is the same), then,
 * decrypted, to km_receive_take. */
static void
from_sender (Rig *rig, GstBuffer *buf)
{
  GstMapInfo map;
  gboolean admitted = TRUE;
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    admitted = km_ssrcgate_admit (&rig->gate, map.data, map.size, rig->now);
    gst_buffer_unmap (buf, &map);
  }
  if (admitted)
    km_receive_take (rig->sender.fp.port, buf, rig->now);
  gst_buffer_unref (buf);
}

/* Step 1: a packet of one of the sender's streams, from a few fields. */
static void
built_packet (Rig *rig, FuzzInput *in)
{
  guint8 what = fuzz_u8 (in);
  guint8 flags = fuzz_u8 (in);
  gint8 seq_step = (gint8) fuzz_u8 (in);
  gint16 ts_step = (gint16) fuzz_u16 (in);
  gsize payload_len;
  const guint8 *payload = fuzz_bytes (in, fuzz_u8 (in), &payload_len);

  Stream *s = (what & 3) == 1 ? &rig->mic : (what & 3) == 2 ? &rig->share : &rig->camera;
  gboolean rtx = (what & 3) == 3;
  if (!s->source)
    s = &rig->camera;
  guint csrcs = (flags >> 4) & 3;
  guint ext_words = (flags & 0x08) ? (what >> 4) : 0;
  gboolean ext = (flags & 0x08) != 0;
  gboolean padding = (flags & 0x04) != 0;
  gsize size = 12 + 4 * csrcs + (ext ? 4 + 4 * ext_words : 0) + (rtx ? 2 : 0) + payload_len
               + (padding ? 4 : 0);
  g_autofree guint8 *p = g_malloc0 (size);
  p[0] = 0x80 | (padding ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs;
  p[1] = (flags & 0x80 ? 0x80 : 0) | (rtx ? rig->rtx_pt : s->pt);
  guint16 original = 0;
  if (rtx) {
    /* A retransmission of something the camera sent a little before. */
    original = (guint16) (rig->camera.seq - (guint8) seq_step);
    GST_WRITE_UINT16_BE (p + 2, rig->camera_rtx_seq++);
    GST_WRITE_UINT32_BE (p + 4, rig->camera.ts);
    GST_WRITE_UINT32_BE (p + 8, rig->camera_rtx_ssrc);
  } else {
    s->seq += seq_step;
    s->ts += ts_step;
    GST_WRITE_UINT16_BE (p + 2, s->seq);
    GST_WRITE_UINT32_BE (p + 4, s->ts);
    GST_WRITE_UINT32_BE (p + 8, s->ssrc);
  }
  gsize at = 12 + 4 * csrcs;
  if (ext) {
    GST_WRITE_UINT16_BE (p + at, 0xbede);
    GST_WRITE_UINT16_BE (p + at + 2, ext_words);
    at += 4 + 4 * ext_words;
  }
  if (rtx) {
    GST_WRITE_UINT16_BE (p + at, original);
    at += 2;
  }
  memcpy (p + at, payload, payload_len);
  if (padding)
    p[size - 1] = 4;
  from_sender (rig, buffer_of (p, size));
}

/* ---- RTCP from a receiver --------------------------------------------- */

static void
rtcp_to (Port *p, gint64 now, GstBuffer *buf)
{
  km_feedback_read (p->fp.port, buf, now);
  gst_buffer_unref (buf);
}

/* Steps 3 and 4: feedback about the receiver's video slot, as a browser
 * sends it (an empty RR first, then the request). */
static void
built_feedback (Rig *rig, Port *p, FuzzInput *in, gboolean nack)
{
  guint8 kind = fuzz_u8 (in);
  guint16 back = fuzz_u16 (in);
  guint16 blp = fuzz_u16 (in);
  guint32 media = kind & 0x80 ? fuzz_u32 (in) : p->video->ssrc;
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet);
  gst_rtcp_packet_rr_set_ssrc (&packet, 0x5eed);
  if (nack) {
    gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB, &packet);
    gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_NACK);
    gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x5eed);
    gst_rtcp_packet_fb_set_media_ssrc (&packet, media);
    guint words = 1 + (kind & 7);
    gst_rtcp_packet_fb_set_fci_length (&packet, words);
    guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
    /* Sequence numbers the slot sent a little before. */
    guint16 newest = (guint16) (p->video->next_seq - 1);
    for (guint i = 0; i < words; i++) {
      GST_WRITE_UINT16_BE (fci + 4 * i, (guint16) (newest - back + 17 * i));
      GST_WRITE_UINT16_BE (fci + 4 * i + 2, blp);
    }
  } else {
    gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB, &packet);
    gboolean fir = kind & 1;
    gst_rtcp_packet_fb_set_type (&packet, fir ? GST_RTCP_PSFB_TYPE_FIR : GST_RTCP_PSFB_TYPE_PLI);
    gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x5eed);
    gst_rtcp_packet_fb_set_media_ssrc (&packet, fir ? 0 : media);
    if (fir) {
      gst_rtcp_packet_fb_set_fci_length (&packet, 2);
      guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
      GST_WRITE_UINT32_BE (fci, media);
      GST_WRITE_UINT32_BE (fci + 4, (guint32) blp << 24);
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
  rtcp_to (p, rig->now, buf);
}

/* ---- step 7: a slot switches source ------------------------------------ */

static void
switch_source (Rig *rig, Port *p, guint8 how)
{
  KmFwdSource *to = (how & 3) == 0                         ? NULL
                    : (how & 3) == 1 || !rig->share.source ? rig->camera.source
                                                           : rig->share.source;
  if (!to) {
    km_fwd_disconnect (p->video);
    return;
  }
  g_autoptr (GError) error = NULL;
  FUZZ_CHECK (km_fwd_connect (to, p->video, &error), "a slot refused a source of its codec: %s",
              error->message);
}

/* ---- the run ------------------------------------------------------------ */

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  Rig rig = { 0 };
  rig.now = g_get_monotonic_time ();
  /* The slots' SSRCs and first numbers the same every time: an input
   * means one thing. */
  g_random_set_seed (7);

  /* The negotiated setup, as the SDP and the first packets gave it:
   *   setup byte (bit 0 H.264, 1 the receivers negotiated RTX, 2 a screen
   *   share, 3-4 receivers - 1), video, RTX and audio payload types, the
   *   SSRCs of camera, microphone, share and the camera's RTX, and the
   *   camera's and share's first sequence numbers. */
  guint8 setup = fuzz_u8 (&in);
  gboolean h264 = setup & 1, with_rtx = setup & 2, with_share = setup & 4;
  rig.n_receivers = 1 + (setup >> 3) % MAX_RECEIVERS;
  guint video_pt = fuzz_u8 (&in) & 0x7f;
  rig.rtx_pt = fuzz_u8 (&in) & 0x7f;
  guint audio_pt = fuzz_u8 (&in) & 0x7f;
  gint16 apt[128];
  for (guint i = 0; i < G_N_ELEMENTS (apt); i++)
    apt[i] = -1;
  if (rig.rtx_pt != video_pt && rig.rtx_pt != audio_pt)
    apt[rig.rtx_pt] = (gint16) video_pt;

  port_open (&rig.sender, "sender", apt);
  const gchar *video = h264 ? "H264" : "VP8";
  stream_open (&rig, &rig.camera, video, fuzz_u32 (&in), video_pt);
  stream_open (&rig, &rig.mic, "OPUS", fuzz_u32 (&in), audio_pt);
  guint32 share_ssrc = fuzz_u32 (&in);
  if (with_share)
    stream_open (&rig, &rig.share, video, share_ssrc, video_pt);
  rig.camera_rtx_ssrc = fuzz_u32 (&in);
  rig.camera.seq = fuzz_u16 (&in);
  rig.share.seq = fuzz_u16 (&in);

  for (guint i = 0; i < rig.n_receivers; i++) {
    Port *p = &rig.receivers[i];
    g_autofree gchar *name = g_strdup_printf ("receiver%u", i);
    port_open (p, name, apt);
    p->video = km_fwd_sink_new (p->fp.port, km_codec_lookup (video), "video");
    p->audio = km_fwd_sink_new (p->fp.port, km_codec_lookup ("OPUS"), "audio");
    km_fwd_sink_set_pt (p->video, 96 + i, with_rtx ? 97 + i : 0);
    km_fwd_sink_set_pt (p->audio, 111, 0);
    g_autoptr (GError) error = NULL;
    km_fwd_connect (rig.camera.source, p->video, &error);
    km_fwd_connect (rig.mic.source, p->audio, &error);
  }

  for (guint steps = 0; fuzz_more (&in) && steps < 4096; steps++) {
    guint8 op = fuzz_u8 (&in);
    Port *receiver = &rig.receivers[(op >> 4) % rig.n_receivers];
    gsize n;
    const guint8 *bytes;
    switch (op & 0x0f) {
    case 0:
      bytes = fuzz_bytes (&in, fuzz_u16 (&in) % 1500, &n);
      from_sender (&rig, fuzz_guarded_buffer (bytes, n));
      break;
    case 1:
      built_packet (&rig, &in);
      break;
    case 2:
      bytes = fuzz_bytes (&in, fuzz_u16 (&in) % 1500, &n);
      rtcp_to (receiver, rig.now, fuzz_guarded_buffer (bytes, n));
      break;
    case 3:
      built_feedback (&rig, receiver, &in, TRUE);
      break;
    case 4:
      built_feedback (&rig, receiver, &in, FALSE);
      break;
    case 5:
      bytes = fuzz_bytes (&in, fuzz_u16 (&in) % 1500, &n);
      rtcp_to (&rig.sender, rig.now, fuzz_guarded_buffer (bytes, n));
      break;
    case 6:
      rig.now += (gint64) fuzz_u16 (&in) * 100;
      break;
    case 7:
      switch_source (&rig, receiver, fuzz_u8 (&in));
      break;
    case 8: {
      km_fwd_source_request_keyframe (rig.camera.source);
      KmFwdStats stats;
      km_fwd_port_stats (rig.sender.fp.port, &stats);
      km_fwd_port_stats (receiver->fp.port, &stats);
      break;
    }
    default:
      rig.now += 1000;
      break;
    }
  }

  for (guint i = 0; i < rig.n_receivers; i++)
    port_close (&rig.receivers[i]);
  km_fwd_source_free (rig.camera.source);
  km_fwd_source_free (rig.mic.source);
  km_fwd_source_free (rig.share.source);
  port_close (&rig.sender);
  return 0;
}
