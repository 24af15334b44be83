/* km-forward.c — the forwarding data path (see km-forward.h for the
 * contract): packets rewritten per slot and pushed straight into the
 * receiver's SRTP encoder.
 *
 *   sender's srtpdec ─► [km-receive.c] ─► km_fwd_forward: rewrite per slot
 *                                  ─► receiver's dtlssrtpenc (srtpenc ► nicesink)
 *
 * Each packet goes from the sender's receive thread (km-nicerecv.c) to
 * the receivers' sockets with no thread hand-off and no element of rtpbin, no
 * depayloader, payloader or funnel on the way: those were most of the
 * per-packet cost (docs/performance.md).  The RTCP that rtpbin did is in
 * km-feedback.c.
 *
 * Locks, always taken in this order: a source's lock (its list of sinks),
 * then a port's lock (its sinks' state and the pushes into its encoder),
 * then a source's sr_lock (its sender's latest report).
 */
#include <stdio.h>
#include <string.h>

#include "media/km-private.h"
#include "media/km-fwd-private.h"
#include "media/km-srtp.h"

/* ---- ports ---- */

KmFwdPort *
km_fwd_port_new (GstElement *webrtc, const gchar *name)
{
  KmFwdPort *port = g_new0 (KmFwdPort, 1);
  port->refs = 1;
  port->ssrc = g_random_int_range (1, G_MAXINT32);
  port->webrtc = webrtc;
  port->name = g_strdup (name);
  g_mutex_init (&port->lock);
  return port;
}

KmFwdPort *
km_fwd_port_ref (KmFwdPort *port)
{
  g_atomic_int_inc (&port->refs);
  return port;
}

/* A src pad of our own, linked to a new request pad of the encoder. */
static GstPad *
open_pad (KmFwdPort *port, const gchar *tpl, const gchar *pad_name, GstPad **enc_pad)
{
  GstPadTemplate *t = gst_element_get_pad_template (port->enc, tpl);
  *enc_pad = t ? gst_element_request_pad (port->enc, t, pad_name, NULL) : NULL;
  if (!*enc_pad)
    return NULL;
  GstPad *out = gst_pad_new (pad_name, GST_PAD_SRC);
  gst_pad_set_active (out, TRUE);
  if (gst_pad_link_full (out, *enc_pad, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK) {
    gst_object_unref (out);
    return NULL;
  }
  return out;
}

/* The stream's first events, once the encoder has its DTLS key: srtpenc
 * copies its key into the caps it makes from ours, and before the
 * handshake it has none, which later caps comparisons trip over. */
static void
start_pad (KmFwdPort *port, GstPad *out, const gchar *caps)
{
  g_autofree gchar *id = g_strdup_printf ("kontor/%s/%s", port->name, GST_PAD_NAME (out));
  gst_pad_push_event (out, gst_event_new_stream_start (id));
  g_autoptr (GstCaps) c = gst_caps_from_string (caps);
  gst_pad_push_event (out, gst_event_new_caps (c));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (out, gst_event_new_segment (&segment));
}

gboolean
km_fwd_port_attach (KmFwdPort *port)
{
  if (port->enc) {
    /* A new answer may have given payload types new meanings. */
    g_mutex_lock (&port->lock);
    for (guint i = 0; i < G_N_ELEMENTS (port->apt); i++)
      port->apt[i] = -2;
    g_mutex_unlock (&port->lock);
    return TRUE;
  }
  /* Under max-bundle a webrtcbin has one transport, so one encoder. */
  GstElement *enc = km_find_element (port->webrtc, "dtlssrtpenc");
  g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (port->webrtc), "rtpbin");
  if (!enc || !rtpbin) {
    g_clear_object (&enc);
    return FALSE;
  }
  /* A retransmission without RTX repeats a packet byte for byte, which
   * srtpenc refuses unless told; its window covers the store. */
  GstElement *srtp = km_find_element (enc, "srtpenc");
  if (srtp)
    g_object_set (srtp, "allow-repeat-tx", TRUE, "replay-window-size", KM_SRTP_WINDOW, NULL);
  g_clear_object (&srtp);
  g_mutex_lock (&port->lock);
  port->enc = enc;
  /* Numbered far from webrtcbin's own (its session numbers). */
  port->rtp_out = open_pad (port, "rtp_sink_%d", "rtp_sink_77", &port->enc_rtp);
  port->rtcp_out = open_pad (port, "rtcp_sink_%d", "rtcp_sink_77", &port->enc_rtcp);
  g_mutex_unlock (&port->lock);
  if (!port->rtp_out || !port->rtcp_out)
    GST_WARNING ("%s: no way into the SRTP encoder: nothing forwarded", port->name);
  GstElement *dec = km_find_element (port->webrtc, "dtlssrtpdec");
  if (dec && port->rtp_out && port->rtcp_out) {
    port->rtpbin = gst_object_ref (rtpbin);
    km_receive_attach (port, dec);
  }
  g_clear_object (&dec);
  g_signal_emit_by_name (rtpbin, "get-internal-session", 0, &port->session);
  if (port->session)
    port->rtcp_handler = g_signal_connect (port->session, "on-receiving-rtcp",
                                           G_CALLBACK (km_feedback_on_rtcp), port);
  else
    GST_WARNING ("%s: no RTP session: its RTCP is not read", port->name);
  GST_DEBUG ("%s: forwarding into %s", port->name, GST_OBJECT_NAME (enc));
  return TRUE;
}

/* Whether the encoder has its DTLS keys: before, it would encrypt with a
 * random key.  Under the port's lock. */
gboolean
km_fwd_port_ready (KmFwdPort *port)
{
  if (G_LIKELY (port->ready))
    return TRUE;
  if (port->closed || !port->enc || !port->rtp_out || !port->rtcp_out)
    return FALSE;
  port->ready =
      g_strcmp0 (km_enum_nick (G_OBJECT (port->enc), "connection-state"), "connected") == 0;
  if (!port->ready)
    return FALSE;
  GST_DEBUG ("%s: DTLS keys in place, forwarding", port->name);
  start_pad (port, port->rtp_out, "application/x-rtp");
  start_pad (port, port->rtcp_out, "application/x-rtcp");
  port->out = km_srtp_out_new (port->webrtc, port->enc, port->name);
  /* Whatever was sent before could not be decrypted: every picture is to
   * start afresh, with the next packet (km-forward.c, forward). */
  for (GList *l = port->sinks; l; l = l->next)
    ((KmFwdSink *) l->data)->need_keyframe = TRUE;
  return TRUE;
}

void
km_fwd_port_stats (KmFwdPort *port, KmFwdStats *st)
{
  memset (st, 0, sizeof *st);
  st->rtt_s = -1;
  g_mutex_lock (&port->lock);
  for (GList *l = port->sources; l; l = l->next) {
    KmFwdSource *source = l->data;
    KmRecvStats *r = &source->recv;
    if (!r->started)
      continue;
    st->bytes_in += r->bytes;
    st->packets_in += r->received;
    guint32 expected = r->cycles + r->max_seq - r->base_seq + 1;
    if (expected > r->received)
      st->lost_in += expected - r->received;
    st->jitter_s = MAX (st->jitter_s, r->jitter / source->clock_rate);
  }
  for (GList *l = port->sinks; l; l = l->next)
    st->rtt_s = MAX (st->rtt_s, ((KmFwdSink *) l->data)->rtt);
  st->bytes_out = port->bytes_out;
  st->own_srtp = port->out != NULL;
  g_mutex_unlock (&port->lock);
}

void
km_fwd_port_quiet_dtls (KmFwdPort *port)
{
  g_mutex_lock (&port->lock);
  gboolean due = port->out && !port->dtls_quiet && !port->closed;
  gboolean heard = FALSE;
  for (GList *l = port->sources; due && l && !heard; l = l->next)
    heard = ((KmFwdSource *) l->data)->recv.started;
  due = due && heard;
  if (due)
    port->dtls_quiet = TRUE;
  GstElement *enc = due ? gst_object_ref (port->enc) : NULL;
  g_mutex_unlock (&port->lock);
  if (enc) {
    km_srtp_out_quiet_dtls (enc, port->name);
    gst_object_unref (enc);
  }
}

gboolean
km_fwd_port_path_lost (KmFwdPort *port, gint64 now)
{
  gboolean heard = FALSE, lost = FALSE;
  g_mutex_lock (&port->lock);
  for (GList *l = port->sources; l && !heard; l = l->next) {
    KmRecvStats *r = &((KmFwdSource *) l->data)->recv;
    heard = r->started && now - r->last_arrival < KM_PATH_LOST_US / 2;
  }
  for (GList *l = port->sinks; heard && port->ready && l && !lost; l = l->next) {
    KmFwdSink *sink = l->data;
    /* Video only: browsers report on a video stream every second, on an
     * audio stream only every few. */
    lost = sink->kind == KM_KIND_VIDEO && sink->source && sink->stalled_at
           && now - sink->stalled_at < KM_PATH_LOST_US && now - sink->last_time < G_USEC_PER_SEC;
  }
  g_mutex_unlock (&port->lock);
  return lost;
}

void
km_fwd_port_send (KmFwdPort *port, GstBuffer *packet, gboolean rtcp)
{
  if (port->out) {
    GstMapInfo map;
    if (gst_buffer_map (packet, &map, GST_MAP_READ)) {
      km_srtp_out_send (port->out, map.data, map.size, rtcp);
      gst_buffer_unmap (packet, &map);
    }
    gst_buffer_unref (packet);
  } else {
    gst_pad_push (rtcp ? port->rtcp_out : port->rtp_out, packet);
  }
}

void
km_fwd_port_send_data (KmFwdPort *port, const guint8 *packet, gsize size, gboolean rtcp)
{
  if (port->out)
    km_srtp_out_send (port->out, packet, size, rtcp);
  else /* until DTLS is connected, through webrtcbin's encoder */
    gst_pad_push (rtcp ? port->rtcp_out : port->rtp_out, gst_buffer_new_memdup (packet, size));
}

static void
close_pad (KmFwdPort *port, GstPad **out, GstPad **enc_pad)
{
  if (*out) {
    gst_pad_set_active (*out, FALSE);
    if (*enc_pad)
      gst_pad_unlink (*out, *enc_pad);
    gst_clear_object (out);
  }
  if (*enc_pad) {
    gst_element_release_request_pad (port->enc, *enc_pad);
    gst_clear_object (enc_pad);
  }
}

void
km_fwd_port_close (KmFwdPort *port)
{
  g_mutex_lock (&port->lock);
  gboolean was = port->closed;
  port->closed = TRUE;
  port->ready = FALSE;
  KmSrtpOut *out = g_steal_pointer (&port->out);
  g_mutex_unlock (&port->lock);
  km_srtp_out_free (out);
  if (was)
    return;
  /* No push starts now (km_fwd_port_ready), and one under way held the
   * lock just taken: the pads can go. */
  km_receive_detach (port);
  gst_clear_object (&port->rtpbin);
  if (port->rtcp_handler)
    g_signal_handler_disconnect (port->session, port->rtcp_handler);
  port->rtcp_handler = 0;
  g_clear_object (&port->session);
  if (port->enc) {
    close_pad (port, &port->rtp_out, &port->enc_rtp);
    close_pad (port, &port->rtcp_out, &port->enc_rtcp);
    gst_clear_object (&port->enc);
  }
}

void
km_fwd_port_unref (KmFwdPort *port)
{
  if (!port || !g_atomic_int_dec_and_test (&port->refs))
    return;
  g_warn_if_fail (port->sinks == NULL && port->sources == NULL);
  km_fwd_port_close (port);
  g_mutex_clear (&port->lock);
  g_free (port->name);
  g_free (port);
}

/* ---- sources ---- */

KmFwdSource *
km_fwd_source_ref (KmFwdSource *source)
{
  g_atomic_int_inc (&source->refs);
  return source;
}

void
km_fwd_source_unref (KmFwdSource *source)
{
  if (!g_atomic_int_dec_and_test (&source->refs))
    return;
  km_fwd_port_unref (source->port);
  g_mutex_clear (&source->lock);
  g_mutex_clear (&source->sr_lock);
  g_free (source->codec);
  g_free (source);
}

/* The pad that really pushes: probing there skips the ghost pads of
 * webrtcbin and rtpbin.  On the way, rtpbin's pad names the SSRC
 * ("recv_rtp_src_<session>_<ssrc>_<pt>"). */
static GstPad *
innermost (GstPad *pad, guint32 *ssrc)
{
  GstPad *p = gst_object_ref (pad);
  while (GST_IS_GHOST_PAD (p)) {
    guint session, s, pt;
    if (sscanf (GST_PAD_NAME (p), "recv_rtp_src_%u_%u_%u", &session, &s, &pt) == 3 && !*ssrc)
      *ssrc = s;
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (p));
    if (!target)
      break;
    gst_object_unref (p);
    p = target;
  }
  return p;
}

static GstPadProbeReturn
on_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  KmFwdSource *source = data;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      km_fwd_forward (source, gst_buffer_list_get (list, i));
  } else {
    km_fwd_forward (source, GST_PAD_PROBE_INFO_BUFFER (info));
  }
  return GST_PAD_PROBE_DROP;
}

KmFwdSource *
km_fwd_source_alloc (KmFwdPort *port, const gchar *encoding, guint32 ssrc)
{
  const KmCodec *codec = km_codec_lookup (encoding);
  KmFwdSource *source = g_new0 (KmFwdSource, 1);
  source->refs = 1;
  source->port = km_fwd_port_ref (port);
  source->codec = g_strdup (encoding ? encoding : "?");
  source->relayed = codec;
  source->kind = codec ? codec->kind : KM_KIND_AUDIO;
  source->clock_rate = codec ? codec->clock_rate : 90000;
  source->ssrc = ssrc;
  g_mutex_init (&source->lock);
  g_mutex_init (&source->sr_lock);
  return source;
}

KmFwdSource *
km_fwd_source_new (GstBin *bin, GstPad *src, KmFwdPort *port, const gchar *name, GError **error)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (src);
  if (!caps)
    caps = gst_pad_query_caps (src, NULL);
  const GstStructure *s = gst_caps_get_size (caps) > 0 ? gst_caps_get_structure (caps, 0) : NULL;
  const gchar *encoding = s ? gst_structure_get_string (s, "encoding-name") : NULL;
  const KmCodec *codec = km_codec_lookup (encoding);
  guint ssrc = 0;
  if (s)
    gst_structure_get_uint (s, "ssrc", &ssrc);

  KmFwdSource *source = km_fwd_source_alloc (port, encoding, ssrc);
  source->bin = bin;
  source->pad = gst_object_ref (src);

  /* The pad's own data stops at the probe; the fakesink takes its events
   * and keeps the bundle from failing on a not-linked pad. */
  g_autofree gchar *drain_name = g_strdup_printf ("%s-drain", name);
  source->drain = gst_element_factory_make ("fakesink", drain_name);
  if (!source->drain) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "could not create fakesink");
    km_fwd_source_free (source);
    return NULL;
  }
  g_object_set (source->drain, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
  gst_bin_add (bin, source->drain);
  gst_element_sync_state_with_parent (source->drain);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (source->drain, "sink");
  if (gst_pad_link (src, sink) != GST_PAD_LINK_OK) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "could not link %s", GST_PAD_NAME (src));
    km_fwd_source_free (source);
    return NULL;
  }
  if (!codec) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "codec %s is not relayed", source->codec);
    km_fwd_source_free (source);
    return NULL;
  }
  /* The first packets come this way; once the source is listed with its
   * SSRC, km-receive.c takes them before rtpbin. */
  guint32 named = 0;
  source->probe_pad = innermost (src, &named);
  if (!source->ssrc)
    source->ssrc = named;
  source->probe = gst_pad_add_probe (
      source->probe_pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_packet,
      km_fwd_source_ref (source), (GDestroyNotify) km_fwd_source_unref);
  g_mutex_lock (&port->lock);
  port->sources = g_list_prepend (port->sources, source);
  g_mutex_unlock (&port->lock);
  return source;
}

KmKind
km_fwd_source_kind (KmFwdSource *source)
{
  return source->kind;
}

const gchar *
km_fwd_source_codec (KmFwdSource *source)
{
  return source->codec;
}

guint64
km_fwd_source_frames (KmFwdSource *source)
{
  return __atomic_load_n (&source->frames, __ATOMIC_RELAXED);
}

/* The relay sends the PLI itself: rtpbin's session, no longer sending
 * anything of its own, holds such requests for its next regular report
 * (about half a second). */
/* Under the port's lock: the PLI record for ssrc (the oldest one is
 * reused). */
static guint
pli_slot (KmFwdPort *port, guint32 ssrc)
{
  guint slot = 0;
  for (guint i = 0; i < G_N_ELEMENTS (port->pli); i++) {
    if (port->pli[i].ssrc == ssrc)
      return i;
    if (port->pli[i].at < port->pli[slot].at)
      slot = i;
  }
  port->pli[slot].ssrc = ssrc;
  port->pli[slot].at = 0;
  port->pli[slot].pending = FALSE;
  return slot;
}

static void
send_pli (KmFwdPort *port, guint slot, gint64 now)
{
  port->pli[slot].at = now;
  port->pli[slot].pending = FALSE;
  km_feedback_send_pli (port, port->pli[slot].ssrc);
}

void
km_fwd_port_request_keyframe (KmFwdPort *port, guint32 ssrc)
{
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&port->lock);
  guint slot = pli_slot (port, ssrc);
  if (!km_fwd_port_ready (port))
    port->pli[slot].pending = TRUE;
  else if (now - port->pli[slot].at >= KM_KEYFRAME_GAP_US)
    send_pli (port, slot, now);
  else /* the keyframe asked for may be gone before this receiver
        * could decrypt it: ask again once allowed */
    port->pli[slot].pending = TRUE;
  g_mutex_unlock (&port->lock);
}

void
km_fwd_port_pli_due (KmFwdPort *port, guint32 ssrc, gint64 now)
{
  for (guint i = 0; i < G_N_ELEMENTS (port->pli); i++)
    if (port->pli[i].ssrc == ssrc && port->pli[i].pending
        && now - port->pli[i].at >= KM_KEYFRAME_GAP_US && km_fwd_port_ready (port))
      send_pli (port, i, now);
}

void
km_fwd_source_request_keyframe (KmFwdSource *source)
{
  if (source->kind != KM_KIND_VIDEO || !source->relayed)
    return;
  g_mutex_lock (&source->port->lock);
  guint32 ssrc = source->ssrc;
  g_mutex_unlock (&source->port->lock);
  if (ssrc)
    km_fwd_port_request_keyframe (source->port, ssrc);
}

void
km_fwd_source_disconnect_all (KmFwdSource *source)
{
  while (source->sinks)
    km_fwd_disconnect (source->sinks->data);
}

void
km_fwd_source_free (KmFwdSource *source)
{
  if (!source)
    return;
  km_fwd_source_disconnect_all (source);
  if (source->probe)
    gst_pad_remove_probe (source->probe_pad, source->probe);
  g_mutex_lock (&source->port->lock);
  source->port->sources = g_list_remove (source->port->sources, source);
  g_mutex_unlock (&source->port->lock);
  if (source->drain) {
    gst_element_set_locked_state (source->drain, TRUE);
    gst_element_set_state (source->drain, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (source->drain) == GST_OBJECT (source->bin))
      gst_bin_remove (source->bin, source->drain);
    else
      gst_object_unref (source->drain);
  }
  gst_clear_object (&source->probe_pad);
  gst_clear_object (&source->pad);
  km_fwd_source_unref (source);
}

/* ---- sinks ---- */

KmFwdSink *
km_fwd_sink_new (KmFwdPort *port, const KmCodec *codec, const gchar *name)
{
  KmFwdSink *sink = g_new0 (KmFwdSink, 1);
  sink->port = port;
  sink->name = g_strdup (name);
  sink->kind = codec->kind;
  sink->codec = codec;
  /* Fixed per slot, so that the receiver keeps decoding when the source
   * behind the slot changes; the first numbers random, as RFC 3550 asks. */
  sink->ssrc = g_random_int_range (1, G_MAXINT32);
  sink->rtx_ssrc = g_random_int_range (1, G_MAXINT32);
  sink->next_seq = (guint16) g_random_int ();
  sink->rtx_seq = (guint16) g_random_int ();
  sink->last_ts = g_random_int ();
  sink->rtt = -1;
  if (codec->kind == KM_KIND_VIDEO)
    sink->store = km_store_new ();
  g_mutex_lock (&port->lock);
  port->sinks = g_list_prepend (port->sinks, sink);
  g_mutex_unlock (&port->lock);
  return sink;
}

void
km_fwd_sink_set_pt (KmFwdSink *sink, guint pt, guint rtx_pt)
{
  g_mutex_lock (&sink->port->lock);
  sink->pt = pt & 0x7f;
  sink->rtx_pt = rtx_pt & 0x7f;
  g_mutex_unlock (&sink->port->lock);
}

guint32
km_fwd_sink_ssrc (KmFwdSink *sink)
{
  return sink->ssrc;
}

guint32
km_fwd_sink_rtx_ssrc (KmFwdSink *sink)
{
  return sink->rtx_ssrc;
}

KmFwdSource *
km_fwd_sink_source (KmFwdSink *sink)
{
  return sink->source;
}

gboolean
km_fwd_connect (KmFwdSource *source, KmFwdSink *sink, GError **error)
{
  if (sink->source == source)
    return TRUE;
  if (source->relayed != sink->codec) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "cannot relay %s into a %s slot",
                 source->codec, sink->codec->encoding);
    return FALSE;
  }
  km_fwd_disconnect (sink);
  g_mutex_lock (&source->lock);
  g_mutex_lock (&sink->port->lock);
  sink->source = source;
  /* The new stream's numbers are mapped on from where the slot was. */
  sink->rebase = TRUE;
  source->sinks = g_list_prepend (source->sinks, sink);
  g_mutex_unlock (&sink->port->lock);
  g_mutex_unlock (&source->lock);
  return TRUE;
}

void
km_fwd_disconnect (KmFwdSink *sink)
{
  KmFwdSource *source = sink->source;
  if (!source)
    return;
  g_mutex_lock (&source->lock);
  g_mutex_lock (&sink->port->lock);
  source->sinks = g_list_remove (source->sinks, sink);
  sink->source = NULL;
  /* A new stream in the slot starts with the link judged afresh. */
  gboolean limited = g_atomic_int_get (&sink->link_limit) != 0;
  g_atomic_int_set (&sink->link_limit, 0);
  sink->link_time = 0;
  sink->queued_since = 0;
  g_mutex_unlock (&sink->port->lock);
  g_mutex_unlock (&source->lock);
  /* The sender may be held back for this receiver alone. */
  if (limited)
    km_feedback_tell_sender (source, g_get_monotonic_time ());
}

void
km_fwd_sink_free (KmFwdSink *sink)
{
  if (!sink)
    return;
  km_fwd_disconnect (sink);
  g_mutex_lock (&sink->port->lock);
  sink->port->sinks = g_list_remove (sink->port->sinks, sink);
  g_mutex_unlock (&sink->port->lock);
  km_store_free (sink->store);
  g_free (sink->name);
  g_free (sink);
}

/* ---- the packet path ---- */

/* How long the slot keeps a copy: see KM_STORE_MIN_AGE_US. */
static gint64
store_age (const KmFwdSink *sink)
{
  if (sink->rtt < 0)
    return KM_STORE_AGE_US;
  return CLAMP ((gint64) (4 * sink->rtt * G_USEC_PER_SEC), KM_STORE_MIN_AGE_US, KM_STORE_AGE_US);
}

/* One packet into one slot.  Under the port's lock.  TRUE when the slot
 * needs a keyframe. */
static gboolean
push_to_sink (KmFwdSink *sink, const guint8 *data, gsize size, gint64 now)
{
  KmFwdPort *port = sink->port;
  if (!sink->pt || !km_fwd_port_ready (port))
    return FALSE;
  guint16 seq = GST_READ_UINT16_BE (data + 2);
  guint32 ts = GST_READ_UINT32_BE (data + 4);
  if (sink->rebase) {
    /* Continue the slot's numbering; the timestamp moves on by the time
     * that passed, so the receiver's playout does not jump. */
    guint32 step = 0;
    if (sink->started)
      step = MAX (1, gst_util_uint64_scale (now - sink->last_time, sink->codec->clock_rate,
                                            G_USEC_PER_SEC));
    sink->seq_delta = (guint16) (sink->next_seq - seq);
    sink->ts_delta = sink->last_ts + step - ts;
    sink->rebase = FALSE;
    sink->rebase_seq = seq;
    sink->guard = TRUE;
  }
  /* A packet from before the switch would take a number the slot
   * already used.  Checked only near the switch: 16-bit numbers come
   * round again. */
  if (sink->guard) {
    gint16 since = (gint16) (seq - sink->rebase_seq);
    if (since < 0)
      return FALSE;
    if (since > KM_MAX_MISORDER)
      sink->guard = FALSE;
  }
  guint16 out_seq = seq + sink->seq_delta;
  guint32 out_ts = ts + sink->ts_delta;
  /* Never the same number twice, nor one srtpenc's replay window has
   * passed: it would fail the whole transport. */
  guint32 *recent = &sink->recent[out_seq % KM_RECENT];
  if (*recent == ((guint32) out_seq | (1u << 16))
      || (sink->started && (gint16) (sink->next_seq - 1 - out_seq) >= KM_TOO_OLD))
    return FALSE;
  *recent = (guint32) out_seq | (1u << 16);

  guint8 out[KM_SRTP_MAX_PACKET];
  memcpy (out, data, size);
  out[1] = (data[1] & 0x80) | sink->pt;
  GST_WRITE_UINT16_BE (out + 2, out_seq);
  GST_WRITE_UINT32_BE (out + 4, out_ts);
  GST_WRITE_UINT32_BE (out + 8, sink->ssrc);

  if (!sink->started || (gint16) (out_seq - sink->next_seq) >= 0) {
    sink->next_seq = out_seq + 1;
    sink->last_ts = out_ts;
    sink->last_time = now;
    sink->started = TRUE;
  }
  sink->packets++;
  gsize header = km_rtp_header_length (data, size);
  gsize padding = (data[0] & 0x20) ? data[size - 1] : 0;
  if (header + padding < size)
    sink->octets += size - header - padding;
  port->bytes_out += size;
  if (sink->store)
    km_store_put (sink->store, out_seq, out, size, now, store_age (sink));
  km_fwd_port_send_data (port, out, size, FALSE);
  if (now - sink->last_sr >= KM_SR_INTERVAL_US)
    km_feedback_send_sr (sink, now);
  gboolean keyframe = sink->need_keyframe;
  sink->need_keyframe = FALSE;
  return keyframe;
}

void
km_fwd_forward (KmFwdSource *source, GstBuffer *buffer)
{
  km_fwd_forward_at (source, buffer, g_get_monotonic_time ());
}

void
km_fwd_forward_at (KmFwdSource *source, GstBuffer *buffer, gint64 now)
{
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  if (map.size < 12 || map.size > KM_SRTP_MAX_PACKET || (map.data[0] >> 6) != 2) {
    gst_buffer_unmap (buffer, &map);
    return;
  }
  g_mutex_lock (&source->lock);
  g_mutex_lock (&source->port->lock);
  if (!source->ssrc)
    __atomic_store_n (&source->ssrc, GST_READ_UINT32_BE (map.data + 8), __ATOMIC_RELAXED);
  gboolean keyframe = FALSE;
  KmPacketKind kind = km_receive_note (source, map.data, map.size, now, &keyframe);
  g_mutex_unlock (&source->port->lock);
  if (kind != KM_PACKET_DUPLICATE && (source->kind != KM_KIND_VIDEO || (map.data[1] & 0x80)))
    __atomic_add_fetch (&source->frames, 1, __ATOMIC_RELAXED);
  for (GList *l = source->sinks; l && kind != KM_PACKET_DUPLICATE; l = l->next) {
    KmFwdSink *sink = l->data;
    g_mutex_lock (&sink->port->lock);
    if (kind == KM_PACKET_RESTART)
      sink->rebase = TRUE;
    keyframe |= push_to_sink (sink, map.data, map.size, now);
    g_mutex_unlock (&sink->port->lock);
  }
  g_mutex_unlock (&source->lock);
  gst_buffer_unmap (buffer, &map);
  if (keyframe)
    km_fwd_source_request_keyframe (source);
}

/* Retransmits one stored packet, as RTX (RFC 4588) where negotiated.
 * Under the port's lock. */
void
km_fwd_resend (KmFwdSink *sink, guint16 seq, gint64 now)
{
  KmFwdPort *port = sink->port;
  if (!sink->store || !port->ready)
    return;
  /* A NACK repeated within a round trip asks for the same copy; one too
   * old to be of use (not yet let go: nothing was sent since) is not
   * sent. */
  gsize size;
  gint64 resent;
  const guint8 *copy = km_store_get (sink->store, seq, now, store_age (sink), &size, &resent);
  if (!copy || now - resent < KM_RESEND_GAP_US)
    return;
  /* Without RTX the copy goes out under its own number again, which
   * srtpenc allows (allow-repeat-tx) within its replay window only. */
  if (!sink->rtx_pt && (gint16) (sink->next_seq - 1 - seq) >= KM_TOO_OLD)
    return;
  km_store_mark_resent (sink->store, seq, now);
  if (!sink->rtx_pt) {
    port->bytes_out += size;
    km_fwd_port_send_data (port, copy, size, FALSE);
    return;
  }
  gsize header = km_rtp_header_length (copy, size);
  if (header > size || size + 2 > KM_SRTP_MAX_PACKET)
    return;
  guint8 out[KM_SRTP_MAX_PACKET];
  memcpy (out, copy, header);
  out[1] = (copy[1] & 0x80) | sink->rtx_pt;
  GST_WRITE_UINT16_BE (out + 2, sink->rtx_seq++);
  GST_WRITE_UINT32_BE (out + 8, sink->rtx_ssrc);
  GST_WRITE_UINT16_BE (out + header, seq); /* the original seq */
  memcpy (out + header + 2, copy + header, size - header);
  port->bytes_out += size + 2;
  km_fwd_port_send_data (port, out, size + 2, FALSE);
}
