/* km-feedback.c — the RTCP of the forwarding path (km-forward.c), which
 * bypasses the sending half of each receiver's rtpbin and so must do its
 * part: read what a browser reports about the slots it receives (loss,
 * round trip, NACK, PLI, FIR) and send a sender report per slot.
 *
 * A browser's RTCP reaches rtpbin's session as always (that session still
 * reports on the streams the browser sends); the session's
 * on-receiving-rtcp signal shows it to us first, on the browser's
 * streaming thread.
 */
#include <gst/rtp/gstrtcpbuffer.h>
#include <string.h>

#include "media/km-private.h"
#include "media/km-fwd-private.h"

/* Every compound packet names its sender (RFC 3550, 6.1), with the CNAME
 * the answer gave every slot (km-peer.c). */
static void
add_cname (GstRTCPBuffer *rtcp, guint32 ssrc)
{
  static const guint8 cname[] = "kontor";
  GstRTCPPacket packet;
  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_SDES, &packet);
  gst_rtcp_packet_sdes_add_item (&packet, ssrc);
  gst_rtcp_packet_sdes_add_entry (&packet, GST_RTCP_SDES_CNAME, sizeof cname - 1, cname);
}

/* Under the port's lock. */
static KmFwdSink *
find_sink (KmFwdPort *port, guint32 ssrc)
{
  for (GList *l = port->sinks; l; l = l->next) {
    KmFwdSink *sink = l->data;
    if (sink->ssrc == ssrc)
      return sink;
  }
  return NULL;
}

/* Keyframe requests found in one compound packet, passed on to the
 * senders once the receiver's port is unlocked. */
typedef struct {
  KmFwdPort *port; /* the sender's, a reference */
  guint32 ssrc;
} KmWant;

typedef struct {
  KmWant want[8];
  guint n;
  KmFwdSource *judged[8]; /* streams whose receiver's link was judged, refs */
  guint n_judged;
} KmWants;

/* Under the receiver's port lock, which keeps sink->source alive. */
static void
want_keyframe (KmWants *wants, KmFwdSink *sink)
{
  if (!sink || !sink->source || sink->kind != KM_KIND_VIDEO
      || wants->n == G_N_ELEMENTS (wants->want))
    return;
  KmFwdSource *source = sink->source;
  /* Another port's source: its SSRC, once set, never changes. */
  guint32 ssrc = __atomic_load_n (&source->ssrc, __ATOMIC_RELAXED);
  if (!ssrc)
    return;
  wants->want[wants->n].port = km_fwd_port_ref (source->port);
  wants->want[wants->n].ssrc = ssrc;
  wants->n++;
}

/* Every read below is checked against the packet's own length first:
 * GstRTCPPacket's accessors read at fixed offsets and trust the count in
 * the header.  rtpsession validates the compound packet before
 * on-receiving-rtcp, but a packet can be valid as a whole and still too
 * short for what its type and count promise. */

/* The packet's length in bytes after its 4-byte header (RFC 3550, 6.4.1:
 * the length field counts 32-bit words minus one). */
static gsize
body_size (GstRTCPPacket *packet)
{
  return 4 * (gsize) gst_rtcp_packet_get_length (packet);
}

/* The receiver's link, judged by what it lost of a video slot since the
 * last judgement (from the report's cumulative counts: a browser that
 * loses packets reports with every NACK, so one report's fraction may
 * cover a few packets) against what the slot carried meanwhile, and by
 * how much its round trip (rtt, s; < 0: none in this report) grew over
 * the shortest seen, less what queues on the way back (KM_LINK_*).  The relay forwards, it does not
 * encode: a receiver whose link is narrower than what a sender sends can
 * only be helped by that sender sending less, so the limit goes to the
 * sender (km_feedback_tell_sender).  Under the receiver's port lock.
 * TRUE when the sender is to be told. */
/* How long (s) the browser's own audio queues on its way to us now: its
 * reports queue there too, and that part of their round trip says
 * nothing about the link toward it.  Under the port's lock. */
static double
uplink_queue (KmFwdPort *port)
{
  for (GList *l = port->sources; l; l = l->next) {
    KmFwdSource *source = l->data;
    KmRecvStats *r = &source->recv;
    if (source->kind == KM_KIND_AUDIO && r->have_transit && r->have_min && source->clock_rate)
      return (double) (r->transit - MIN (r->min_cur, r->min_prev)) / source->clock_rate;
  }
  return 0;
}

static gboolean
judge_link (KmFwdSink *sink, gint32 lost, guint32 ext_seq, double rtt, gint64 now)
{
  if (sink->kind != KM_KIND_VIDEO || !sink->source)
    return FALSE;
  double queue = -1;
  if (rtt >= 0) {
    /* The shortest round trip ages by 0.5 ms a report, so that a path
     * that became longer for good is the new normal in a minute or two. */
    sink->rtt_min = sink->rtt_min > 0 && sink->rtt_min < rtt ? sink->rtt_min + 0.0005 : rtt;
    queue = MAX (0, rtt - sink->rtt_min - uplink_queue (sink->port));
    if (queue * G_USEC_PER_SEC <= KM_LINK_QUEUE_US)
      sink->queued_since = 0;
    else if (!sink->queued_since)
      sink->queued_since = now;
  }
  gint64 span = now - sink->link_time;
  if (sink->link_time && span < KM_LINK_JUDGE_US)
    return FALSE;
  guint32 octets = sink->octets - sink->link_octets;
  guint32 expected = ext_seq - sink->link_seq;
  gint32 lost_since = lost - sink->link_lost;
  gboolean first = sink->link_time == 0;
  sink->link_time = now;
  sink->link_octets = sink->octets;
  sink->link_seq = ext_seq;
  sink->link_lost = lost;
  /* After a long silence the counts say little about a rate. */
  if (first || span > 5 * G_USEC_PER_SEC || expected == 0 || expected > KM_MAX_DROPOUT)
    return FALSE;
  double carried = octets * 8.0 * G_USEC_PER_SEC / span;
  double loss = CLAMP ((double) lost_since / expected, 0.0, 1.0);
  double limit = g_atomic_int_get (&sink->link_limit);
  double base = limit > 0 ? MIN (limit, carried) : carried;
  gboolean queueing = sink->queued_since && now - sink->queued_since >= G_USEC_PER_SEC;
  if (loss > KM_LINK_LOSS_HIGH) {
    limit = MAX (KM_LINK_MIN, base * (1 - loss / 2));
  } else if (queueing) {
    limit = MAX (KM_LINK_MIN, base * KM_LINK_EASE);
  } else if (loss < KM_LINK_LOSS_LOW && queue * G_USEC_PER_SEC < KM_LINK_CALM_US && limit > 0) {
    limit *= KM_LINK_RAISE;
    if (limit >= KM_LINK_MAX)
      limit = 0;
  } else if (limit == 0) {
    return FALSE;
  }
  GST_LOG ("%s: %.0f bit/s carried, %.1f %% lost, queue %.0f ms (up %.0f ms): limit %.0f bit/s",
           sink->name, carried, loss * 100, queue * 1000, uplink_queue (sink->port) * 1000, limit);
  g_atomic_int_set (&sink->link_limit, (gint) limit);
  return TRUE;
}

/* The browser's report blocks on our slots: round-trip time from the
 * sender report they answer (RFC 3550, 6.4.1), and the loss and delay
 * that judge its link.  fixed: the bytes of the body before the blocks
 * (the reporter's SSRC, and an SR's sender info). */
static void
read_reports (KmFwdPort *port, GstRTCPPacket *packet, gsize fixed, gint64 now, KmWants *wants)
{
  gsize body = body_size (packet);
  guint n = body < fixed ? 0 : MIN (gst_rtcp_packet_get_rb_count (packet), (body - fixed) / 24);
  for (guint i = 0; i < n; i++) {
    /* gst_rtcp_packet_get_rb leaves them as they were when it refuses. */
    guint32 ssrc = 0, exthighestseq = 0, jitter = 0, lsr = 0, dlsr = 0;
    guint8 fraction = 0;
    gint32 lost = 0;
    gst_rtcp_packet_get_rb (packet, i, &ssrc, &fraction, &lost, &exthighestseq, &jitter, &lsr,
                            &dlsr);
    KmFwdSink *sink = find_sink (port, ssrc);
    if (!sink)
      continue;
    if (!sink->ack_at || exthighestseq != sink->ack_seq) {
      sink->ack_seq = exthighestseq;
      sink->ack_at = now;
      sink->ack_packets = sink->packets;
      sink->stalled_at = 0;
    } else if (now - sink->ack_at >= KM_PATH_LOST_US
               && sink->packets - sink->ack_packets >= KM_PATH_LOST_PACKETS) {
      sink->stalled_at = now; /* km_fwd_port_path_lost */
    }
    double rtt = -1;
    for (guint k = 0; lsr && k < G_N_ELEMENTS (sink->sr_lsr); k++) {
      if (sink->sr_lsr[k] != lsr || !sink->sr_sent[k])
        continue;
      rtt = (now - sink->sr_sent[k]) / 1e6 - dlsr / 65536.0;
      if (rtt >= 0)
        sink->rtt = rtt;
      break;
    }
    if (judge_link (sink, lost, exthighestseq, rtt, now)
        && wants->n_judged < G_N_ELEMENTS (wants->judged))
      wants->judged[wants->n_judged++] = km_fwd_source_ref (sink->source);
  }
}

/* The browser's own sender report, for the slots its stream feeds. */
static void
read_sender_info (KmFwdPort *port, GstRTCPPacket *packet, gint64 now)
{
  guint32 ssrc = 0, rtp = 0, packets = 0, octets = 0;
  guint64 ntp = 0;
  if (body_size (packet) < 24)
    return;
  gst_rtcp_packet_sr_get_sender_info (packet, &ssrc, &ntp, &rtp, &packets, &octets);
  for (GList *l = port->sources; l; l = l->next) {
    KmFwdSource *source = l->data;
    if (source->ssrc != ssrc)
      continue;
    g_mutex_lock (&source->sr_lock);
    source->have_sr = TRUE;
    source->sr_ntp = ntp;
    source->sr_rtp = rtp;
    source->sr_time = now;
    g_mutex_unlock (&source->sr_lock);
  }
}

/* The FCI words of a feedback packet that lie inside it (RFC 4585,
 * 6.1: after the sender's and the media source's SSRC). */
static guint
fci_words (GstRTCPPacket *packet)
{
  gsize body = body_size (packet);
  return body <= 8 ? 0 : MIN (gst_rtcp_packet_fb_get_fci_length (packet), (body - 8) / 4);
}

static void
read_nack (KmFwdPort *port, GstRTCPPacket *packet, gint64 now)
{
  KmFwdSink *sink = find_sink (port, gst_rtcp_packet_fb_get_media_ssrc (packet));
  if (!sink)
    return;
  const guint8 *fci = gst_rtcp_packet_fb_get_fci (packet);
  guint words = fci_words (packet);
  for (guint i = 0; fci && i < words; i++) {
    guint16 pid = GST_READ_UINT16_BE (fci + 4 * i);
    guint16 blp = GST_READ_UINT16_BE (fci + 4 * i + 2);
    km_fwd_resend (sink, pid, now);
    for (guint b = 0; b < 16; b++)
      if (blp & (1u << b))
        km_fwd_resend (sink, pid + b + 1, now);
  }
}

static void
read_fir (KmFwdPort *port, GstRTCPPacket *packet, KmWants *wants)
{
  /* FIR names its streams in the FCI, 8 bytes each (RFC 5104, 4.3.1). */
  const guint8 *fci = gst_rtcp_packet_fb_get_fci (packet);
  guint words = fci_words (packet);
  for (guint i = 0; fci && i + 1 < words; i += 2)
    want_keyframe (wants, find_sink (port, GST_READ_UINT32_BE (fci + 4 * i)));
}

void
km_feedback_on_rtcp (GObject *session, GstBuffer *buffer, KmFwdPort *port)
{
  km_feedback_read (port, buffer, g_get_monotonic_time ());
}

void
km_feedback_read (KmFwdPort *port, GstBuffer *buffer, gint64 now)
{
  /* Whole packets only, each inside the buffer (lengths adding up),
   * whatever rtpsession let through.  (GStreamer's checks refuse an
   * empty buffer with a critical.) */
  if (gst_buffer_get_size (buffer) < 4 || !gst_rtcp_buffer_validate_reduced (buffer))
    return;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map (buffer, GST_MAP_READ, &rtcp))
    return;
  GstRTCPPacket packet;
  KmWants wants = { 0 };
  g_mutex_lock (&port->lock);
  for (gboolean more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet)) {
    switch (gst_rtcp_packet_get_type (&packet)) {
    case GST_RTCP_TYPE_SR:
      read_sender_info (port, &packet, now);
      read_reports (port, &packet, 24, now, &wants);
      break;
    case GST_RTCP_TYPE_RR:
      read_reports (port, &packet, 4, now, &wants);
      break;
    case GST_RTCP_TYPE_RTPFB:
      if (body_size (&packet) >= 8
          && gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_RTPFB_TYPE_NACK)
        read_nack (port, &packet, now);
      break;
    case GST_RTCP_TYPE_PSFB:
      if (body_size (&packet) < 8)
        break;
      switch (gst_rtcp_packet_fb_get_type (&packet)) {
      case GST_RTCP_PSFB_TYPE_PLI:
        want_keyframe (&wants, find_sink (port, gst_rtcp_packet_fb_get_media_ssrc (&packet)));
        break;
      case GST_RTCP_PSFB_TYPE_FIR:
        read_fir (port, &packet, &wants);
        break;
      default:
        break;
      }
      break;
    default:
      break;
    }
  }
  g_mutex_unlock (&port->lock);
  gst_rtcp_buffer_unmap (&rtcp);
  for (guint i = 0; i < wants.n; i++) {
    km_fwd_port_request_keyframe (wants.want[i].port, wants.want[i].ssrc);
    km_fwd_port_unref (wants.want[i].port);
  }
  for (guint i = 0; i < wants.n_judged; i++) {
    km_feedback_tell_sender (wants.judged[i], now);
    km_fwd_source_unref (wants.judged[i]);
  }
}

/* The slot's report carries its sender's clock: the NTP time and RTP
 * timestamp of the sender's latest report, moved on by the time since it
 * came, the timestamp mapped into the slot's numbering.  So the receiver
 * can still line up the audio and video of one sender.  No report from
 * the sender yet: none from us either. */
void
km_feedback_send_sr (KmFwdSink *sink, gint64 now)
{
  KmFwdPort *port = sink->port;
  KmFwdSource *source = sink->source;
  sink->last_sr = now;
  if (!source || !port->ready)
    return;
  guint64 ntp = 0;
  guint32 rtp = 0;
  g_mutex_lock (&source->sr_lock);
  gboolean have = source->have_sr;
  if (have) {
    guint64 since = now - source->sr_time;
    ntp = source->sr_ntp
          + gst_util_uint64_scale (since, G_GUINT64_CONSTANT (1) << 32, G_USEC_PER_SEC);
    rtp = source->sr_rtp + sink->ts_delta
          + (guint32) gst_util_uint64_scale (since, source->clock_rate, G_USEC_PER_SEC);
  }
  g_mutex_unlock (&source->sr_lock);
  if (!have)
    return;

  GstBuffer *buf = gst_rtcp_buffer_new (256);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet);
  gst_rtcp_packet_sr_set_sender_info (&packet, sink->ssrc, ntp, rtp, sink->packets, sink->octets);
  add_cname (&rtcp, sink->ssrc);
  gst_rtcp_buffer_unmap (&rtcp);

  sink->sr_lsr[sink->sr_next] = (guint32) (ntp >> 16);
  sink->sr_sent[sink->sr_next] = now;
  sink->sr_next = (sink->sr_next + 1) % G_N_ELEMENTS (sink->sr_lsr);
  km_fwd_port_send (port, buf, TRUE);
}

/* A compound packet with one feedback message of ours about ssrc: it
 * starts with an (empty) report and our CNAME (RFC 3550, 6.1). */
static void
add_feedback (GstRTCPBuffer *rtcp, GstRTCPPacket *packet, KmFwdPort *port, GstRTCPType type,
              GstRTCPFBType fbtype, guint32 ssrc)
{
  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RR, packet);
  gst_rtcp_packet_rr_set_ssrc (packet, port->ssrc);
  add_cname (rtcp, port->ssrc);
  gst_rtcp_buffer_add_packet (rtcp, type, packet);
  gst_rtcp_packet_fb_set_type (packet, fbtype);
  gst_rtcp_packet_fb_set_sender_ssrc (packet, port->ssrc);
  gst_rtcp_packet_fb_set_media_ssrc (packet, ssrc);
}

void
km_feedback_send_pli (KmFwdPort *port, guint32 ssrc)
{
  GstBuffer *buf = gst_rtcp_buffer_new (96);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  add_feedback (&rtcp, &packet, port, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI, ssrc);
  gst_rtcp_buffer_unmap (&rtcp);
  GST_LOG ("%s: PLI for %u", port->name, ssrc);
  km_fwd_port_send (port, buf, TRUE);
}

void
km_feedback_send_nack (KmFwdPort *port, guint32 ssrc, const guint16 *seqs, guint n)
{
  /* Each FCI entry names a packet and, in a bitmask, up to 16 after it
   * (RFC 4585, 6.2.1). */
  guint32 fci[KM_MISSING];
  guint words = 0;
  for (guint i = 0; i < n;) {
    guint16 pid = seqs[i++];
    guint16 blp = 0;
    while (i < n && (guint16) (seqs[i] - pid) >= 1 && (guint16) (seqs[i] - pid) <= 16) {
      blp |= 1u << ((guint16) (seqs[i] - pid) - 1);
      i++;
    }
    fci[words++] = ((guint32) pid << 16) | blp;
  }
  GstBuffer *buf = gst_rtcp_buffer_new (96 + 4 * words);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  add_feedback (&rtcp, &packet, port, GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, ssrc);
  gst_rtcp_packet_fb_set_fci_length (&packet, words);
  guint8 *out = gst_rtcp_packet_fb_get_fci (&packet);
  for (guint i = 0; i < words; i++)
    GST_WRITE_UINT32_BE (out + 4 * i, fci[i]);
  gst_rtcp_buffer_unmap (&rtcp);
  GST_LOG ("%s: NACK %u packets of %u", port->name, n, ssrc);
  km_fwd_port_send (port, buf, TRUE);
}

void
km_feedback_send_rr (KmFwdPort *port, gint64 now)
{
  port->last_rr = now;
  GstBuffer *buf = gst_rtcp_buffer_new (1200);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet);
  gst_rtcp_packet_rr_set_ssrc (&packet, port->ssrc);
  for (GList *l = port->sources; l; l = l->next) {
    KmFwdSource *source = l->data;
    KmRecvStats *r = &source->recv;
    if (!r->started || gst_rtcp_packet_get_rb_count (&packet) >= 31)
      continue;
    /* RFC 3550, A.3 */
    guint32 ext_max = r->cycles + r->max_seq;
    guint32 expected = ext_max - r->base_seq + 1;
    gint64 lost = (gint64) expected - (gint64) r->received;
    lost = CLAMP (lost, -0x800000, 0x7fffff);
    guint32 expected_interval = expected - r->expected_prior;
    guint32 received_interval = (guint32) r->received - r->received_prior;
    r->expected_prior = expected;
    r->received_prior = (guint32) r->received;
    gint64 lost_interval = (gint64) expected_interval - received_interval;
    guint8 fraction = expected_interval == 0 || lost_interval <= 0
                          ? 0
                          : (guint8) MIN (255, (lost_interval << 8) / expected_interval);
    guint32 lsr = 0, dlsr = 0;
    g_mutex_lock (&source->sr_lock);
    if (source->have_sr) {
      lsr = (guint32) (source->sr_ntp >> 16);
      dlsr = (guint32) gst_util_uint64_scale (now - source->sr_time, 65536, G_USEC_PER_SEC);
    }
    g_mutex_unlock (&source->sr_lock);
    gst_rtcp_packet_add_rb (&packet, source->ssrc, fraction, (gint32) lost, ext_max,
                            (guint32) r->jitter, lsr, dlsr);
  }
  add_cname (&rtcp, port->ssrc);
  gst_rtcp_buffer_unmap (&rtcp);
  km_fwd_port_send (port, buf, TRUE);
}

/* REMB (draft-alvestrand-rmcat-remb): an application-layer feedback
 * message saying how many bits a second the sender may send in all. */
static void
send_remb (KmFwdPort *port, guint32 ssrc, guint32 bits)
{
  guint exp = 0;
  while ((bits >> exp) > 0x3ffff)
    exp++;
  GstBuffer *buf = gst_rtcp_buffer_new (96);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  add_feedback (&rtcp, &packet, port, GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_AFB, 0);
  gst_rtcp_packet_fb_set_fci_length (&packet, 3);
  guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
  memcpy (fci, "REMB", 4);
  GST_WRITE_UINT32_BE (fci + 4, (1u << 24) | (exp << 18) | (bits >> exp));
  GST_WRITE_UINT32_BE (fci + 8, ssrc);
  gst_rtcp_buffer_unmap (&rtcp);
  GST_LOG ("%s: REMB %u bit/s for %u", port->name, bits, ssrc);
  km_fwd_port_send (port, buf, TRUE);
}

void
km_feedback_tell_sender (KmFwdSource *source, gint64 now)
{
  if (source->kind != KM_KIND_VIDEO)
    return;
  guint32 lowest = 0;
  g_mutex_lock (&source->lock);
  for (GList *l = source->sinks; l; l = l->next) {
    guint32 limit = (guint32) g_atomic_int_get (&((KmFwdSink *) l->data)->link_limit);
    if (limit && (!lowest || limit < lowest))
      lowest = limit;
  }
  /* A change of a few percent waits for the next second; a limit lifted
   * is said once, as the highest value (the browser keeps the last). */
  guint32 told = source->remb_value;
  gboolean send = lowest ? (!told || now - source->remb_at >= KM_REMB_INTERVAL_US
                            || lowest < told - told / 32 || lowest > told + told / 32)
                         : told != 0;
  if (send) {
    source->remb_value = lowest;
    source->remb_at = now;
  }
  g_mutex_unlock (&source->lock);
  if (!send)
    return;
  KmFwdPort *port = source->port;
  g_mutex_lock (&port->lock);
  guint32 ssrc = source->ssrc;
  if (ssrc && km_fwd_port_ready (port))
    send_remb (port, ssrc, lowest ? lowest : KM_LINK_MAX);
  g_mutex_unlock (&port->lock);
}
