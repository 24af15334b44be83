/* km-forward.c — forwarding by depayloading once per source and payloading
 * again per outgoing slot (see km-forward.h for the contract).
 *
 *   webrtcbin src ─► depay ─► tee ─┬─► funnel ─► pay ─► other webrtcbin sink
 *                                  └─► …
 *
 * The funnel lets a slot switch source (a participant rejoins) without two
 * threads ever pushing into the payloader at once; the payloader owns the
 * slot's SSRC, payload type and sequence numbers, so the receiving browser
 * sees one continuous stream across the switch.
 */
#include "media/km-private.h"
#include "media/km-forward.h"

struct _KmFwdSource {
  GstBin     *bin;
  KmKind      kind;
  const KmCodec *relayed;   /* NULL for an unrelayable stream */
  gchar      *codec;        /* "VP8", "OPUS", … as in the SDP */
  GstElement *depay;        /* or a fakesink for an unrelayable stream */
  GstElement *filter;       /* the codec's depayloaded caps, or NULL */
  GstElement *tee;          /* NULL for an unrelayable stream */
  GList      *sinks;        /* KmFwdSink* fed by this source */
  guint64     frames;       /* atomic: buffers out of the depayloader */
};

struct _KmFwdSink {
  GstBin      *bin;
  KmKind       kind;
  const KmCodec *codec;
  guint        pt;
  guint32      ssrc, rtx_ssrc;
  GstElement  *funnel;
  GstElement  *pay;
  KmFwdSource *source;
  GstPad      *tee_pad;
  GstPad      *funnel_pad;
};

static GstElement *
make (const gchar *factory, const gchar *prefix, const gchar *what,
      GError **error)
{
  g_autofree gchar *name = g_strdup_printf ("%s-%s", prefix, what);
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "could not create %s", factory);
  return e;
}

static GstPadProbeReturn
unname_keyframe_request (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (ev) != GST_EVENT_CUSTOM_UPSTREAM
      || !gst_event_has_name (ev, "GstForceKeyUnit")
      || !gst_structure_has_field (gst_event_get_structure (ev), "ssrc"))
    return GST_PAD_PROBE_OK;
  GstStructure *s = gst_structure_copy (gst_event_get_structure (ev));
  gst_structure_remove_field (s, "ssrc");
  GST_DEBUG_OBJECT (pad, "keyframe request crosses the relay");
  gst_event_unref (ev);
  GST_PAD_PROBE_INFO_DATA (info) =
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  KmFwdSource *source = data;
  __atomic_add_fetch (&source->frames, 1, __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

KmFwdSource *
km_fwd_source_new (GstBin *bin, GstPad *src, const gchar *name,
                   GError **error)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (src);
  if (!caps)
    caps = gst_pad_query_caps (src, NULL);
  const GstStructure *s = gst_caps_get_size (caps) > 0
      ? gst_caps_get_structure (caps, 0) : NULL;
  const gchar *encoding = s ? gst_structure_get_string (s, "encoding-name")
                            : NULL;
  const KmCodec *codec = km_codec_lookup (encoding);

  KmFwdSource *source = g_new0 (KmFwdSource, 1);
  source->bin = bin;
  source->codec = g_strdup (encoding ? encoding : "?");

  if (!codec) {
    /* Keep the bundle alive: an unlinked src pad would fail it. */
    source->depay = make ("fakesink", name, "drop", NULL);
    g_object_set (source->depay, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (bin, source->depay);
    gst_element_sync_state_with_parent (source->depay);
    g_autoptr (GstPad) sink = gst_element_get_static_pad (source->depay,
                                                          "sink");
    gst_pad_link (src, sink);
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "codec %s is not relayed", source->codec);
    km_fwd_source_free (source);
    return NULL;
  }

  source->kind = codec->kind;
  source->relayed = codec;
  source->depay = make (codec->depay, name, "depay", error);
  source->tee = source->depay ? make ("tee", name, "tee", error) : NULL;
  if (source->tee && codec->depayloaded) {
    source->filter = make ("capsfilter", name, "filter", error);
    if (source->filter) {
      g_autoptr (GstCaps) caps = gst_caps_from_string (codec->depayloaded);
      g_object_set (source->filter, "caps", caps, NULL);
    }
  }
  if (!source->depay || !source->tee
      || (codec->depayloaded && !source->filter)) {
    g_clear_object (&source->depay);
    g_clear_object (&source->tee);
    g_clear_object (&source->filter);
    km_fwd_source_free (source);
    return NULL;
  }
  if (codec->kind == KM_KIND_VIDEO)
    /* Lost packets are hidden from the receiver by repayloading, so the
     * relay itself drops broken frames and asks the sender for a keyframe. */
    g_object_set (source->depay, "wait-for-keyframe", TRUE,
                  "request-keyframe", TRUE, NULL);
  g_object_set (source->tee, "allow-not-linked", TRUE, NULL);
  g_autoptr (GstPad) depay_src = gst_element_get_static_pad (source->depay,
                                                             "src");
  gst_pad_add_probe (depay_src, GST_PAD_PROBE_TYPE_BUFFER, count_frame,
                     source, NULL);

  gst_bin_add_many (bin, source->depay, source->tee, NULL);
  if (source->filter) {
    gst_bin_add (bin, source->filter);
    gst_element_link_many (source->depay, source->filter, source->tee, NULL);
    gst_element_sync_state_with_parent (source->filter);
  } else {
    gst_element_link (source->depay, source->tee);
  }
  gst_element_sync_state_with_parent (source->tee);
  gst_element_sync_state_with_parent (source->depay);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (source->depay,
                                                        "sink");
  GstPadLinkReturn ret = gst_pad_link (src, sink);
  if (ret != GST_PAD_LINK_OK) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "could not link %s to its depayloader: %s",
                 GST_PAD_NAME (src), gst_pad_link_get_name (ret));
    km_fwd_source_free (source);
    return NULL;
  }
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

void
km_fwd_source_request_keyframe (KmFwdSource *source)
{
  if (!source->tee || source->kind != KM_KIND_VIDEO)
    return;
  /* rtpsession turns this upstream event into a PLI (or FIR). */
  GstStructure *s = gst_structure_new ("GstForceKeyUnit",
                                       "all-headers", G_TYPE_BOOLEAN, TRUE,
                                       NULL);
  g_autoptr (GstPad) pad = gst_element_get_static_pad (source->depay, "src");
  gst_pad_send_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                                 s));
}

static void
remove_element (GstBin *bin, GstElement *e)
{
  if (!e)
    return;
  gst_element_set_locked_state (e, TRUE);
  gst_element_set_state (e, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (e) == GST_OBJECT (bin))
    gst_bin_remove (bin, e);
  else
    gst_object_unref (e);
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
  remove_element (source->bin, source->depay);
  remove_element (source->bin, source->filter);
  remove_element (source->bin, source->tee);
  g_free (source->codec);
  g_free (source);
}

/* rtph264pay turns a profile-level-id named downstream (the slot's codec
 * preferences, see km_codec_caps) into a demand on its input's profile and
 * level, which a byte stream's caps never carry: it would refuse them.
 * The relay cannot change the profile anyway; the receiver learns it from
 * the SPS.  So the payloader is not told. */
static GstPadProbeReturn
hide_profile (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstQuery *q = GST_PAD_PROBE_INFO_QUERY (info);
  if (GST_QUERY_TYPE (q) != GST_QUERY_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps = NULL;
  gst_query_parse_caps_result (q, &caps);
  if (!caps)
    return GST_PAD_PROBE_OK;
  GstCaps *open = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (open); i++)
    gst_structure_remove_field (gst_caps_get_structure (open, i),
                                "profile-level-id");
  gst_query_set_caps_result (q, open);
  gst_caps_unref (open);
  return GST_PAD_PROBE_OK;
}

/* A slot outlives the streams it carries: the end of one (an RTCP BYE
 * turns into EOS) must not end the slot, nor reach webrtcbin, where the
 * bundle's rtpfunnel would pass it on and end the whole transport. */
static GstPadProbeReturn
keep_slot_open (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    /* Seen once in 200 test cycles: a buffer reaching the payloader ahead
     * of its caps, whose not-negotiated error then stops the sender's
     * whole stream.  Such a buffer is dropped instead. */
    GstPad *peer = gst_pad_get_peer (pad);
    gboolean ok = peer && gst_pad_has_current_caps (peer);
    g_clear_object (&peer);
    return ok ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  switch (GST_EVENT_TYPE (ev)) {
  case GST_EVENT_EOS:
  case GST_EVENT_FLUSH_START:
  case GST_EVENT_FLUSH_STOP:
    GST_DEBUG_OBJECT (pad, "dropping %s", GST_EVENT_TYPE_NAME (ev));
    return GST_PAD_PROBE_DROP;
  default:
    return GST_PAD_PROBE_OK;
  }
}

KmFwdSink *
km_fwd_sink_new (GstBin *bin, GstPad *sink, const KmCodec *codec,
                 const gchar *name, GError **error)
{
  KmFwdSink *out = g_new0 (KmFwdSink, 1);
  out->bin = bin;
  out->kind = codec->kind;
  out->codec = codec;
  out->funnel = make ("funnel", name, "funnel", error);
  out->pay = out->funnel ? make (codec->pay, name, "pay", error) : NULL;
  if (!out->funnel || !out->pay) {
    g_clear_object (&out->funnel);
    g_clear_object (&out->pay);
    g_free (out);
    return NULL;
  }
  /* A fixed SSRC per slot: the receiver keeps decoding when the source
   * behind the slot changes.  1200 bytes leaves room for SRTP and header
   * extensions under a 1280-byte path MTU. */
  out->ssrc = g_random_int_range (1, G_MAXINT32);
  out->rtx_ssrc = g_random_int_range (1, G_MAXINT32);
  g_object_set (out->pay, "ssrc", out->ssrc, "mtu", 1200, NULL);
  if (codec->pay_prop)
    gst_util_set_object_arg (G_OBJECT (out->pay), codec->pay_prop,
                             codec->pay_value);
  gst_bin_add_many (bin, out->funnel, out->pay, NULL);
  gst_element_link (out->funnel, out->pay);
  g_autoptr (GstPad) funnel_src = gst_element_get_static_pad (out->funnel,
                                                              "src");
  gst_pad_add_probe (funnel_src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     unname_keyframe_request, NULL, NULL);
  gst_pad_add_probe (funnel_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
                     | GST_PAD_PROBE_TYPE_EVENT_FLUSH
                     | GST_PAD_PROBE_TYPE_BUFFER, keep_slot_open, NULL,
                     NULL);
  g_autoptr (GstPad) paysrc = gst_element_get_static_pad (out->pay, "src");
  gst_pad_add_probe (paysrc, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM
                     | GST_PAD_PROBE_TYPE_PULL, hide_profile, NULL, NULL);
  GstPadLinkReturn ret = gst_pad_link (paysrc, sink);
  if (ret != GST_PAD_LINK_OK) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "could not link payloader to %s: %s", GST_PAD_NAME (sink),
                 gst_pad_link_get_name (ret));
    km_fwd_sink_free (out);
    return NULL;
  }
  gst_element_sync_state_with_parent (out->pay);
  gst_element_sync_state_with_parent (out->funnel);
  return out;
}

KmKind
km_fwd_sink_kind (KmFwdSink *sink)
{
  return sink->kind;
}

void
km_fwd_sink_set_pt (KmFwdSink *sink, guint pt)
{
  if (pt == sink->pt)
    return;
  sink->pt = pt;
  g_object_set (sink->pay, "pt", pt, NULL);
}

guint
km_fwd_sink_pt (KmFwdSink *sink)
{
  return sink->pt;
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
  if (!source->tee || source->relayed != sink->codec) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "cannot relay %s into a %s slot", source->codec,
                 sink->codec->encoding);
    return FALSE;
  }
  km_fwd_disconnect (sink);
  sink->funnel_pad = gst_element_request_pad_simple (sink->funnel, "sink_%u");
  sink->tee_pad = gst_element_request_pad_simple (source->tee, "src_%u");
  GstPadLinkReturn ret = gst_pad_link (sink->tee_pad, sink->funnel_pad);
  sink->source = source;
  source->sinks = g_list_prepend (source->sinks, sink);
  if (ret != GST_PAD_LINK_OK) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "link failed: %s",
                 gst_pad_link_get_name (ret));
    km_fwd_disconnect (sink);
    return FALSE;
  }
  return TRUE;
}

void
km_fwd_disconnect (KmFwdSink *sink)
{
  KmFwdSource *source = sink->source;
  if (!source)
    return;
  gst_pad_unlink (sink->tee_pad, sink->funnel_pad);
  gst_element_release_request_pad (source->tee, sink->tee_pad);
  gst_element_release_request_pad (sink->funnel, sink->funnel_pad);
  g_clear_object (&sink->tee_pad);
  g_clear_object (&sink->funnel_pad);
  source->sinks = g_list_remove (source->sinks, sink);
  sink->source = NULL;
}

void
km_fwd_sink_free (KmFwdSink *sink)
{
  if (!sink)
    return;
  km_fwd_disconnect (sink);
  remove_element (sink->bin, sink->pay);
  remove_element (sink->bin, sink->funnel);
  g_free (sink);
}
