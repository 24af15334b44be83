/* km-receive.c — a sender's packets taken straight from its SRTP decoder,
 * before rtpbin, and what a receiver has to do about them: count them for
 * receiver reports, NACK the holes, unwrap the retransmissions (RTX).
 *
 *   nicesrc ► dtlssrtpdec ► [probe] ► km_fwd_forward ► receivers' encoders
 *                              └─ a stream not yet known ► rtpbin, which
 *                                 makes webrtcbin's src pad for it
 *
 * rtpbin sees only the first packets of each stream (enough for webrtcbin
 * to announce it); its session, demuxers and relay buffer are no longer
 * on the path of every packet.  Its RTCP to the browser, now based on
 * those few packets, is dropped: km-feedback.c reports instead.
 */
#include <string.h>

#include "media/km-private.h"
#include "media/km-fwd-private.h"

/* Under the port's lock. */
static KmFwdSource *
find_source (KmFwdPort *port, guint32 ssrc, gboolean *rtx)
{
  for (GList *l = port->sources; l; l = l->next) {
    KmFwdSource *source = l->data;
    if (source->ssrc == ssrc) {
      *rtx = FALSE;
      return source;
    }
    if (source->recv.rtx_ssrc == ssrc) {
      *rtx = TRUE;
      return source;
    }
  }
  return NULL;
}

/* Whether pt is an RTX payload type, and for which: from the SDP, through
 * webrtcbin's answer to rtpbin's request-pt-map.  Holding no lock of
 * ours: webrtcbin takes its own. */
static gint
rtx_apt (KmFwdPort *port, guint pt)
{
  g_mutex_lock (&port->lock);
  gint apt = port->apt[pt];
  g_mutex_unlock (&port->lock);
  if (apt != -2)
    return apt;
  GstCaps *caps = NULL;
  g_signal_emit_by_name (port->rtpbin, "request-pt-map", 0, pt, &caps);
  apt = -1;
  const GstStructure *s =
      caps && gst_caps_get_size (caps) > 0 ? gst_caps_get_structure (caps, 0) : NULL;
  if (s && g_strcmp0 (gst_structure_get_string (s, "encoding-name"), "RTX") == 0) {
    gint i;
    const gchar *text = gst_structure_get_string (s, "apt");
    if (text)
      apt = (gint) g_ascii_strtoll (text, NULL, 10);
    else if (gst_structure_get_int (s, "apt", &i))
      apt = i;
    if (apt < 0 || apt > 127)
      apt = -1;
  }
  gst_clear_caps (&caps);
  g_mutex_lock (&port->lock);
  port->apt[pt] = (gint16) apt;
  g_mutex_unlock (&port->lock);
  return apt;
}

/* Under the port's lock: the one stream of payload type apt, without an
 * RTX stream yet, that is missing seq; NULL when none or several are (a
 * camera and a screen share can miss the same number: the next RTX
 * packet decides). */
static KmFwdSource *
source_missing (KmFwdPort *port, guint16 seq, guint apt)
{
  KmFwdSource *found = NULL;
  for (GList *l = port->sources; l; l = l->next) {
    KmFwdSource *source = l->data;
    if (source->recv.pt != apt || source->recv.rtx_ssrc)
      continue;
    for (guint i = 0; i < source->recv.n_missing; i++) {
      if (source->recv.missing[i].seq != seq)
        continue;
      if (found)
        return NULL;
      found = source;
      break;
    }
  }
  return found;
}

gsize
km_rtp_header_length (const guint8 *data, gsize size)
{
  gsize header = 12 + 4 * (data[0] & 0x0f);
  if (data[0] & 0x10) {
    if (header + 4 > size)
      return size + 1;
    header += 4 + 4 * GST_READ_UINT16_BE (data + header + 2);
  }
  return header;
}

/* The original packet inside an RTX one (RFC 4588, 4): its sequence
 * number first in the payload.  NULL for padding only. */
static GstBuffer *
unwrap (const guint8 *data, gsize size, guint32 ssrc, guint apt)
{
  gsize header = km_rtp_header_length (data, size);
  gsize padding = (data[0] & 0x20) && size > header ? data[size - 1] : 0;
  if (header + 2 + padding > size || header + 2 + padding == size)
    return NULL;
  GstBuffer *out = gst_buffer_new_allocate (NULL, size - 2, NULL);
  GstMapInfo map;
  gst_buffer_map (out, &map, GST_MAP_WRITE);
  memcpy (map.data, data, header);
  map.data[1] = (data[1] & 0x80) | apt;
  memcpy (map.data + 2, data + header, 2); /* the original seq */
  GST_WRITE_UINT32_BE (map.data + 8, ssrc);
  memcpy (map.data + header, data + header + 2, size - header - 2);
  gst_buffer_unmap (out, &map);
  return out;
}

gboolean
km_receive_take (KmFwdPort *port, GstBuffer *buffer, gint64 now)
{
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  if (map.size < 12 || (map.data[0] >> 6) != 2) {
    gst_buffer_unmap (buffer, &map);
    return FALSE;
  }
  guint32 ssrc = GST_READ_UINT32_BE (map.data + 8);
  guint pt = map.data[1] & 0x7f;
  gboolean rtx = FALSE;
  g_mutex_lock (&port->lock);
  KmFwdSource *source = find_source (port, ssrc, &rtx);
  if (source)
    km_fwd_source_ref (source);
  g_mutex_unlock (&port->lock);

  gint apt = -1;
  if (!source || rtx)
    apt = rtx_apt (port, pt);
  if (!source && apt >= 0) {
    /* An RTX stream not seen before belongs to the stream that is
     * missing the packet it carries. */
    gsize header = km_rtp_header_length (map.data, map.size);
    if (header + 2 <= map.size) {
      guint16 osn = GST_READ_UINT16_BE (map.data + header);
      g_mutex_lock (&port->lock);
      source = source_missing (port, osn, (guint) apt);
      if (source) {
        source->recv.rtx_ssrc = ssrc;
        km_fwd_source_ref (source);
        rtx = TRUE;
        GST_DEBUG ("%s: RTX %u carries %u", port->name, ssrc, source->ssrc);
      }
      g_mutex_unlock (&port->lock);
    }
  }
  if (!source) {
    gst_buffer_unmap (buffer, &map);
    /* A new stream: rtpbin makes its pad, and km_fwd_source_new lists
     * it.  An unknown RTX packet is of no use to rtpbin either. */
    return apt >= 0;
  }
  if (rtx) {
    GstBuffer *inner = apt >= 0 ? unwrap (map.data, map.size, source->ssrc, (guint) apt) : NULL;
    gst_buffer_unmap (buffer, &map);
    if (inner) {
      km_fwd_forward_at (source, inner, now);
      gst_buffer_unref (inner);
    }
  } else {
    gst_buffer_unmap (buffer, &map);
    km_fwd_forward_at (source, buffer, now);
  }
  km_fwd_source_unref (source);
  return TRUE;
}

static GstPadProbeReturn
on_rtp_in (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  /* nicesrc pushes single buffers; a list goes the old way. */
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  return km_receive_take (data, GST_PAD_PROBE_INFO_BUFFER (info), g_get_monotonic_time ())
             ? GST_PAD_PROBE_DROP
             : GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
drop_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_DROP;
}

void
km_receive_attach (KmFwdPort *port, GstElement *dec)
{
  for (guint i = 0; i < G_N_ELEMENTS (port->apt); i++)
    port->apt[i] = -2;
  g_autoptr (GstPad) src = gst_element_get_static_pad (dec, "rtp_src");
  if (!src) {
    GST_WARNING ("%s: no rtp_src on %s", port->name, GST_OBJECT_NAME (dec));
    return;
  }
  /* Skip the ghost pads: the probe sits where srtpdec pushes. */
  port->rtp_in = gst_object_ref (src);
  while (GST_IS_GHOST_PAD (port->rtp_in)) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (port->rtp_in));
    if (!target)
      break;
    gst_object_unref (port->rtp_in);
    port->rtp_in = target;
  }
  port->rtp_in_probe =
      gst_pad_add_probe (port->rtp_in, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                         on_rtp_in, port, NULL);
  /* rtpbin's own RTCP into the encoder: its reports count only the
   * packets it saw, and km-feedback.c sends everything it did. */
  guint n = 0;
  GstIterator *it = gst_element_iterate_sink_pads (port->enc);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *pad = g_value_get_object (&v);
    if (g_str_has_prefix (GST_PAD_NAME (pad), "rtcp_sink_") && pad != port->enc_rtcp
        && n < G_N_ELEMENTS (port->muted)) {
      port->muted[n] = gst_object_ref (pad);
      port->muted_probe[n] =
          gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                             drop_buffers, NULL, NULL);
      n++;
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

void
km_receive_detach (KmFwdPort *port)
{
  if (port->rtp_in) {
    gst_pad_remove_probe (port->rtp_in, port->rtp_in_probe);
    gst_clear_object (&port->rtp_in);
  }
  for (guint i = 0; i < G_N_ELEMENTS (port->muted); i++) {
    if (!port->muted[i])
      continue;
    gst_pad_remove_probe (port->muted[i], port->muted_probe[i]);
    gst_clear_object (&port->muted[i]);
  }
}

/* ---- counting, and holes ---- */

static void
forget_missing (KmRecvStats *r, guint i)
{
  r->missing[i] = r->missing[--r->n_missing];
}

/* Interarrival jitter (RFC 3550, A.8), from packets in order. */
static void
note_transit (KmFwdSource *source, guint32 ts, gint64 now)
{
  KmRecvStats *r = &source->recv;
  gint64 arrival = gst_util_uint64_scale (now, source->clock_rate, G_USEC_PER_SEC);
  gint64 transit = arrival - (gint64) ts;
  if (r->have_transit) {
    gint64 dt = transit - r->transit;
    /* A jump in the sender's timestamps is not jitter. */
    if (ABS (dt) < source->clock_rate)
      r->jitter += ((double) ABS (dt) - r->jitter) / 16.0;
  }
  r->transit = transit;
  r->have_transit = TRUE;
  if (!r->have_min || now - r->min_at >= KM_TRANSIT_WINDOW_US) {
    r->min_prev = r->have_min ? r->min_cur : transit;
    r->min_cur = transit;
    r->min_at = now;
    r->have_min = TRUE;
  } else if (transit < r->min_cur) {
    r->min_cur = transit;
  }
}

/* Starts counting afresh at the packet (seq, ts) (RFC 3550, A.1
 * init_seq). */
static void
restart (KmFwdSource *source, guint16 seq, guint32 ts, gint64 now)
{
  KmRecvStats *r = &source->recv;
  r->started = TRUE;
  r->base_seq = seq;
  r->max_seq = seq;
  r->cycles = 0;
  r->received = 0;
  r->expected_prior = r->received_prior = 0;
  r->have_transit = FALSE;
  r->have_min = FALSE;
  r->n_missing = 0;
  note_transit (source, ts, now);
}

/* The NACKs one packet gives rise to, sent together after it. */
typedef struct {
  guint16 seq[KM_MISSING];
  guint n;
} Nacks;

/* A packet ahead of the newest, in order or past a hole.  Holes are
 * remembered and NACKed for video only: browsers do not retransmit audio,
 * and a late voice packet is of no use. */
static void
advance (KmFwdSource *source, guint16 seq, guint32 ts, guint16 ahead, gint64 now, Nacks *nacks,
         gboolean *keyframe)
{
  KmRecvStats *r = &source->recv;
  gboolean video = source->kind == KM_KIND_VIDEO;
  if (ahead > 1 && video && ahead <= KM_MISSING) {
    for (guint16 s = r->max_seq + 1; s != seq; s++) {
      if (r->n_missing == KM_MISSING)
        break;
      r->missing[r->n_missing].seq = s;
      r->missing[r->n_missing].since = now;
      r->missing[r->n_missing].nacked = now;
      r->missing[r->n_missing].renacked = FALSE;
      r->n_missing++;
      nacks->seq[nacks->n++] = s;
    }
  } else if (ahead > KM_MISSING && video) {
    *keyframe = TRUE; /* too much lost to ask for */
  }
  if (seq < r->max_seq)
    r->cycles += 1u << 16;
  r->max_seq = seq;
  note_transit (source, ts, now);
}

/* Where the packet's sequence number puts it (RFC 3550, A.1): new (in
 * order, past a hole, or filling one), a restart of the stream, or a
 * duplicate to drop (also a stray jump, until the next packet confirms it). */
static KmPacketKind
place (KmFwdSource *source, guint16 seq, guint32 ts, gint64 now, Nacks *nacks, gboolean *keyframe)
{
  KmRecvStats *r = &source->recv;
  gboolean video = source->kind == KM_KIND_VIDEO;
  guint16 ahead = seq - r->max_seq;

  if (!r->started) {
    restart (source, seq, ts, now);
    return KM_PACKET_NEW;
  }
  if (ahead == 0)
    return KM_PACKET_DUPLICATE;
  if (ahead > 1 && ahead < KM_MAX_DROPOUT && now - r->last_arrival > KM_SILENCE_US) {
    restart (source, seq, ts, now);
    *keyframe = video;
    return KM_PACKET_RESTART;
  }
  if (ahead < KM_MAX_DROPOUT) {
    advance (source, seq, ts, ahead, now, nacks, keyframe);
    return KM_PACKET_NEW;
  }
  if (ahead <= G_MAXUINT16 - KM_MAX_MISORDER) {
    /* A jump: the sender restarted its numbering, or a stray packet.
     * Believed when the next packet follows it. */
    if (((guint32) seq | (1u << 16)) != r->bad_seq) {
      r->bad_seq = (guint16) (seq + 1) | (1u << 16);
      return KM_PACKET_DUPLICATE;
    }
    restart (source, seq, ts, now);
    *keyframe = video;
    return KM_PACKET_RESTART;
  }
  /* Behind the newest: wanted only if it fills a hole (a retransmission,
   * or a packet that came late). */
  guint i = 0;
  while (i < r->n_missing && r->missing[i].seq != seq)
    i++;
  if (i == r->n_missing)
    return KM_PACKET_DUPLICATE;
  forget_missing (r, i);
  return KM_PACKET_NEW;
}

/* A hole waited for too long becomes a keyframe request; one not filled
 * after KM_RENACK_US is NACKed once more. */
static void
age_missing (KmRecvStats *r, gint64 now, Nacks *nacks, gboolean *keyframe)
{
  for (guint i = 0; i < r->n_missing;) {
    if (now - r->missing[i].since >= KM_GIVE_UP_US) {
      *keyframe = TRUE;
      forget_missing (r, i);
      continue;
    }
    if (!r->missing[i].renacked && now - r->missing[i].nacked >= KM_RENACK_US
        && nacks->n < KM_MISSING) {
      r->missing[i].renacked = TRUE;
      nacks->seq[nacks->n++] = r->missing[i].seq;
    }
    i++;
  }
}

/* What the sender hears back: keyframe requests that are due, NACKs,
 * and a receiver report once per KM_RR_INTERVAL_US. */
static void
send_feedback (KmFwdSource *source, const Nacks *nacks, gint64 now)
{
  KmFwdPort *port = source->port;
  if (source->kind == KM_KIND_VIDEO)
    km_fwd_port_pli_due (port, source->ssrc, now);
  if (nacks->n && km_fwd_port_ready (port))
    km_feedback_send_nack (port, source->ssrc, nacks->seq, nacks->n);
  if (now - port->last_rr >= KM_RR_INTERVAL_US && km_fwd_port_ready (port))
    km_feedback_send_rr (port, now);
}

KmPacketKind
km_receive_note (KmFwdSource *source, const guint8 *data, gsize size, gint64 now,
                 gboolean *keyframe)
{
  KmRecvStats *r = &source->recv;
  Nacks nacks = { .n = 0 };

  r->pt = data[1] & 0x7f;
  KmPacketKind kind = place (source, GST_READ_UINT16_BE (data + 2), GST_READ_UINT32_BE (data + 4),
                             now, &nacks, keyframe);
  if (kind == KM_PACKET_DUPLICATE)
    return kind;
  r->bad_seq = 0;
  r->last_arrival = now;
  r->received++;
  r->bytes += size;
  age_missing (r, now, &nacks, keyframe);
  send_feedback (source, &nacks, now);
  if (source->kind != KM_KIND_VIDEO)
    *keyframe = FALSE;
  return kind;
}
