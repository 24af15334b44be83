/* km-peer.c — one participant's webrtcbin: its signals, the offer/answer
 * chain and ICE.
 *
 * Every webrtcbin signal and promise arrives on a GStreamer thread.  The
 * handlers below never touch KmParticipant: they copy what they need into
 * an event carrying (meeting, participant id) and post it to the main
 * context, where the participant may already be gone.
 */
#include "media/km-private.h"

#include <string.h>

/* What a signal handler or promise needs; never the participant itself. */
typedef struct {
  KmMeeting *meeting; /* a reference */
  guint id;
  GstElement *webrtc; /* a reference */
  KmFwdPort *port;    /* a reference */
  gchar *name;
  gboolean ice_restart; /* the offer being answered restarts ICE */
} KmPeerCtx;

static KmPeerCtx *
ctx_new (KmParticipant *p)
{
  KmPeerCtx *ctx = g_new0 (KmPeerCtx, 1);
  ctx->meeting = km_meeting_ref (p->meeting);
  ctx->id = p->id;
  ctx->webrtc = gst_object_ref (p->webrtc);
  ctx->port = km_fwd_port_ref (p->port);
  ctx->name = g_strdup (p->name);
  return ctx;
}

static KmPeerCtx *
ctx_new_from (KmPeerCtx *other)
{
  KmPeerCtx *ctx = g_new0 (KmPeerCtx, 1);
  ctx->meeting = km_meeting_ref (other->meeting);
  ctx->id = other->id;
  ctx->webrtc = gst_object_ref (other->webrtc);
  ctx->port = km_fwd_port_ref (other->port);
  ctx->name = g_strdup (other->name);
  ctx->ice_restart = other->ice_restart;
  return ctx;
}

static void
ctx_free (gpointer data)
{
  KmPeerCtx *ctx = data;
  km_meeting_unref (ctx->meeting);
  gst_object_unref (ctx->webrtc);
  km_fwd_port_unref (ctx->port);
  g_free (ctx->name);
  g_free (ctx);
}

static void
ctx_closure_free (gpointer data, GClosure *closure)
{
  ctx_free (data);
}

/* ---- events handled on the main context ---- */

typedef struct {
  guint id;
  guint mline;
  gchar *text; /* candidate, SDP, or error message */
  gint value;  /* connection state */
  GstPad *pad;
  KmFwdSource *fwd;
  GstWebRTCSessionDescription *answer;
} KmPeerEvent;

static KmPeerEvent *
event_new (guint id)
{
  KmPeerEvent *ev = g_new0 (KmPeerEvent, 1);
  ev->id = id;
  return ev;
}

static void
event_free (gpointer data)
{
  KmPeerEvent *ev = data;
  g_free (ev->text);
  g_clear_object (&ev->pad);
  if (ev->fwd)
    km_fwd_source_free (ev->fwd); /* never claimed: participant gone */
  g_clear_pointer (&ev->answer, gst_webrtc_session_description_free);
  g_free (ev);
}

/* Replaces the address of a host candidate with the advertised one. */
static gchar *
rewrite_for_nat (const gchar *candidate)
{
  if (!km_global.public_address || !strstr (candidate, " typ host"))
    return g_strdup (candidate);
  g_auto (GStrv) parts = g_strsplit (candidate, " ", -1);
  if (g_strv_length (parts) < 8)
    return g_strdup (candidate);
  g_free (parts[4]);
  parts[4] = g_strdup (km_global.public_address);
  return g_strjoinv (" ", parts);
}

static void
deliver_candidate (KmMeeting *m, guint id, guint mline, const gchar *text)
{
  if (!m->callbacks.local_candidate)
    return;
  g_autofree gchar *cand = text ? rewrite_for_nat (text) : NULL;
  m->callbacks.local_candidate (id, mline, cand, m->user_data);
}

/* Candidates gathered while an answer is on its way wait for it: the
 * browser cannot use them before it has the answer. */
static void
on_candidate_event (KmMeeting *m, gpointer data)
{
  KmPeerEvent *ev = data;
  KmParticipant *p = km_meeting_lookup (m, ev->id);
  if (!p)
    return;
  if (ev->text)
    p->ice_mline = ev->mline;
  if (p->answer_pending) {
    KmPeerEvent *held = event_new (ev->id);
    held->mline = ev->mline;
    held->text = g_strdup (ev->text);
    g_queue_push_tail (&p->held_candidates, held);
    return;
  }
  deliver_candidate (m, ev->id, ev->mline, ev->text);
}

/* After an ICE restart the browser has forgotten the relay's candidates
 * and webrtcbin gathers none again: they follow the answer once more. */
static void
hold_local_candidates (KmParticipant *p)
{
  g_autoptr (GPtrArray) cands = km_ice_local_candidates (p->webrtc);
  for (guint i = 0; i <= cands->len; i++) {
    KmPeerEvent *held = event_new (p->id);
    held->mline = p->ice_mline;
    held->text = i < cands->len ? g_strdup (cands->pdata[i]) : NULL;
    g_queue_push_tail (&p->held_candidates, held);
  }
}

static void
release_candidates (KmMeeting *m, KmParticipant *p)
{
  guint id = p->id;
  p->answer_pending = FALSE;
  GQueue held = p->held_candidates;
  g_queue_init (&p->held_candidates);
  KmPeerEvent *ev;
  while ((ev = g_queue_pop_head (&held))) {
    /* A callback may remove the participant: stop delivering then. */
    if (km_meeting_lookup (m, id))
      deliver_candidate (m, id, ev->mline, ev->text);
    event_free (ev);
  }
}

static void
on_state_event (KmMeeting *m, gpointer data)
{
  KmPeerEvent *ev = data;
  KmParticipant *p = km_meeting_lookup (m, ev->id);
  if (!p)
    return;
  gboolean connected = ev->value == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
  GST_INFO ("%s: connection state %d", p->name, ev->value);
  if (connected == p->connected)
    return;
  p->connected = connected;
  if (connected) {
    /* A fresh (or restored) path: start everyone's video with a keyframe. */
    km_route (m);
  }
  if (m->callbacks.connection_state)
    m->callbacks.connection_state (p->id, connected, m->user_data);
}

static void
on_failed_event (KmMeeting *m, gpointer data)
{
  KmPeerEvent *ev = data;
  KmParticipant *p = km_meeting_lookup (m, ev->id);
  if (!p)
    return;
  p->negotiating = FALSE;
  if (ev->value == KM_ERROR_SDP) /* the browser's offer, not our media */
    km_log_meeting (G_LOG_LEVEL_MESSAGE, m, "media %s: %s", p->name, ev->text);
  else
    km_log_meeting (G_LOG_LEVEL_WARNING, m, "media %s: %s", p->name, ev->text);
  release_candidates (m, p);
  if (km_meeting_lookup (m, ev->id) != p)
    return;
  if (m->callbacks.failed) {
    g_autoptr (GError) error = g_error_new_literal (KM_ERROR, ev->value, ev->text);
    m->callbacks.failed (p->id, error, m->user_data);
  }
}

static void
post_failed (KmPeerCtx *ctx, KmErrorCode code, const gchar *what, const GError *error)
{
  KmPeerEvent *ev = event_new (ctx->id);
  ev->value = code;
  ev->text = g_strdup_printf ("%s: %s", what, error ? error->message : "no reply");
  km_post (ctx->meeting, on_failed_event, ev, event_free);
}

/* The codec a slot of this kind carries for p: video as chosen from its
 * offer (km-codec.c), audio always Opus. */
static const KmCodec *
slot_codec (KmParticipant *p, KmKind kind)
{
  if (kind == KM_KIND_VIDEO && p->video)
    return p->video;
  return km_codec_lookup (kind == KM_KIND_VIDEO ? "VP8" : "OPUS");
}

/* Payload type of codec in one answered m-line, or 0. */
static guint
answered_pt (const GstSDPMedia *media, const KmCodec *codec)
{
  g_autofree gchar *want = g_strconcat (codec->encoding, "/", NULL);
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "rtpmap") != 0 || !a->value)
      continue;
    const gchar *space = strchr (a->value, ' ');
    if (space && g_ascii_strncasecmp (space + 1, want, strlen (want)) == 0)
      return (guint) g_ascii_strtoull (a->value, NULL, 10);
  }
  return 0;
}

/* The RTX payload type for pt in one answered m-line
 * ("a=fmtp:R apt=pt"), or 0. */
static guint
answered_rtx_pt (const GstSDPMedia *media, guint pt)
{
  g_autofree gchar *want = g_strdup_printf ("apt=%u", pt);
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "fmtp") != 0 || !a->value)
      continue;
    const gchar *space = strchr (a->value, ' ');
    if (!space)
      continue;
    g_auto (GStrv) params = g_strsplit (space + 1, ";", -1);
    for (guint k = 0; params[k]; k++)
      if (g_strcmp0 (g_strstrip (params[k]), want) == 0)
        return (guint) g_ascii_strtoull (a->value, NULL, 10);
  }
  return 0;
}

static GstCaps *
slot_caps (KmParticipant *p, KmKind kind)
{
  if (kind == KM_KIND_VIDEO && p->video_caps)
    return gst_caps_ref (p->video_caps);
  return km_codec_caps (slot_codec (p, kind), 0, NULL);
}

static guint
count_slots (KmParticipant *p, KmKind kind)
{
  guint n = 0;
  for (guint i = 0; i < p->slots->len; i++)
    n += ((KmSlot *) g_ptr_array_index (p->slots, i))->kind == kind;
  return n;
}

/* The answer is in force: learn each slot's payload type and direction,
 * then start forwarding. */
static void
on_applied_event (KmMeeting *m, gpointer data)
{
  KmPeerEvent *ev = data;
  KmParticipant *p = km_meeting_lookup (m, ev->id);
  if (!p)
    return;
  /* The answer first, then the candidates held back for it.  Either
   * callback may remove the participant. */
  if (m->callbacks.local_description)
    m->callbacks.local_description (p->id, "answer", ev->text, m->user_data);
  if (km_meeting_lookup (m, ev->id) != p)
    return;
  release_candidates (m, p);
  if (km_meeting_lookup (m, ev->id) != p)
    return;
  if (!km_fwd_port_attach (p->port))
    GST_WARNING ("%s: no transport after the answer", p->name);
  const GstSDPMessage *sdp = ev->answer->sdp;
  for (guint i = 0; i < p->slots->len; i++) {
    KmSlot *slot = g_ptr_array_index (p->slots, i);
    guint mline = G_MAXUINT;
    g_object_get (slot->transceiver, "mlineindex", &mline, NULL);
    slot->usable = FALSE;
    if (mline >= gst_sdp_message_medias_len (sdp))
      continue;
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, mline);
    guint pt = answered_pt (media, slot_codec (p, slot->kind));
    gboolean sends = gst_sdp_media_get_port (media) != 0
                     && !gst_sdp_media_get_attribute_val (media, "recvonly")
                     && !gst_sdp_media_get_attribute_val (media, "inactive");
    if (pt) {
      km_fwd_sink_set_pt (slot->fwd, pt, answered_rtx_pt (media, pt));
      slot->usable = sends;
    }
    /* The answer pinned per-stream fields into the preferences; put the
     * plain ones back so that the next offer still matches. */
    g_autoptr (GstCaps) caps = slot_caps (p, slot->kind);
    g_object_set (slot->transceiver, "codec-preferences", caps, NULL);
    if (!slot->usable && km_fwd_sink_source (slot->fwd))
      km_fwd_disconnect (slot->fwd);
  }
  /* Streams the browser stopped sending (screen share ended) free their
   * slots at the others; they come back if it sends on that m-line again. */
  for (guint i = 0; i < p->sources->len; i++) {
    KmSource *src = g_ptr_array_index (p->sources, i);
    /* From the answer text: 1.22 leaves current-direction as it was. */
    guint mline = G_MAXUINT;
    if (src->transceiver)
      g_object_get (src->transceiver, "mlineindex", &mline, NULL);
    if (mline < gst_sdp_message_medias_len (sdp)) {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, mline);
      src->active = gst_sdp_media_get_port (media) != 0
                    && !gst_sdp_media_get_attribute_val (media, "sendonly")
                    && !gst_sdp_media_get_attribute_val (media, "inactive");
    }
    if (!src->active) {
      GST_INFO ("%s: %s no longer sent", p->name, GST_PAD_NAME (src->pad));
      km_fwd_source_disconnect_all (src->fwd);
    }
  }
  p->answered = TRUE;
  p->negotiating = FALSE;
  /* An offer of the browser's own (crossing our request) may not carry
   * the slots asked for: allow asking again. */
  if (count_slots (p, KM_KIND_AUDIO) < p->asked_audio
      || count_slots (p, KM_KIND_VIDEO) < p->asked_video)
    p->asked_audio = p->asked_video = 0;
  km_route (m);
}

static void
on_source_added_event (KmMeeting *m, gpointer data)
{
  KmPeerEvent *ev = data;
  KmParticipant *p = km_meeting_lookup (m, ev->id);
  if (!p)
    return;
  KmSource *src = g_new0 (KmSource, 1);
  src->owner = p->id;
  src->pad = g_steal_pointer (&ev->pad);
  src->fwd = g_steal_pointer (&ev->fwd);
  src->active = TRUE;
  g_object_get (src->pad, "transceiver", &src->transceiver, NULL);
  /* A new stream on an m-line replaces the one before it (a browser
   * reusing a transceiver for a new track). */
  for (guint i = p->sources->len; src->transceiver && i > 0; i--) {
    KmSource *old = g_ptr_array_index (p->sources, i - 1);
    if (old->transceiver == src->transceiver)
      g_ptr_array_remove_index (p->sources, i - 1);
  }
  g_ptr_array_add (p->sources, src);
  GST_INFO ("%s: receiving %s on %s", p->name, km_fwd_source_codec (src->fwd),
            GST_PAD_NAME (src->pad));
  km_route (m);
}

static void
source_free (gpointer data)
{
  KmSource *src = data;
  km_fwd_source_free (src->fwd);
  g_clear_object (&src->pad);
  g_clear_object (&src->transceiver);
  g_free (src);
}

static void
on_source_removed_event (KmMeeting *m, gpointer data)
{
  KmPeerEvent *ev = data;
  KmParticipant *p = km_meeting_lookup (m, ev->id);
  if (!p)
    return;
  for (guint i = 0; i < p->sources->len; i++) {
    KmSource *src = g_ptr_array_index (p->sources, i);
    if (src->pad == ev->pad) {
      g_ptr_array_remove_index (p->sources, i);
      break;
    }
  }
  km_route (m);
}

/* ---- webrtcbin signal handlers (GStreamer threads) ---- */

/* on-ice-candidate: a local candidate for the browser. */
static void
on_ice_candidate (GstElement *webrtc, guint mline, gchar *candidate, KmPeerCtx *ctx)
{
  KmPeerEvent *ev = event_new (ctx->id);
  ev->mline = mline;
  ev->text = g_strdup (candidate);
  km_post (ctx->meeting, on_candidate_event, ev, event_free);
}

/* notify::ice-gathering-state: COMPLETE becomes the NULL candidate. */
static void
on_gathering_state (GstElement *webrtc, GParamSpec *pspec, KmPeerCtx *ctx)
{
  GstWebRTCICEGatheringState state;
  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  km_post (ctx->meeting, on_candidate_event, event_new (ctx->id), event_free);
}

/* notify::connection-state: ICE and DTLS together. */
static void
on_connection_state (GstElement *webrtc, GParamSpec *pspec, KmPeerCtx *ctx)
{
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtc, "connection-state", &state, NULL);
  KmPeerEvent *ev = event_new (ctx->id);
  ev->value = state;
  km_post (ctx->meeting, on_state_event, ev, event_free);
}

/* pad-added: a new incoming stream.  It must be linked before this
 * returns, or the not-linked error tears down the whole bundle. */
static void
on_pad_added (GstElement *webrtc, GstPad *pad, KmPeerCtx *ctx)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *name = g_strdup_printf ("%s-%s", ctx->name, GST_PAD_NAME (pad));
  GstBin *bin = GST_BIN (GST_OBJECT_PARENT (webrtc));
  KmFwdSource *fwd = km_fwd_source_new (bin, pad, ctx->port, name, &error);
  if (!fwd) {
    GST_WARNING ("%s: dropping %s: %s", ctx->name, GST_PAD_NAME (pad), error->message);
    return;
  }
  KmPeerEvent *ev = event_new (ctx->id);
  ev->pad = gst_object_ref (pad);
  ev->fwd = fwd;
  km_post (ctx->meeting, on_source_added_event, ev, event_free);
}

/* pad-removed: the stream is gone; free its forwarding elements. */
static void
on_pad_removed (GstElement *webrtc, GstPad *pad, KmPeerCtx *ctx)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  KmPeerEvent *ev = event_new (ctx->id);
  ev->pad = gst_object_ref (pad);
  km_post (ctx->meeting, on_source_removed_event, ev, event_free);
}

/* ---- the answer chain: set-remote → create-answer → set-local ---- */

static gboolean
promise_ok (GstPromise *promise, const gchar *field, GError **error)
{
  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED) {
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "interrupted");
    return FALSE;
  }
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error")) {
    GError *e = NULL;
    gst_structure_get (reply, "error", G_TYPE_ERROR, &e, NULL);
    g_propagate_error (error, e ? e : g_error_new_literal (KM_ERROR, KM_ERROR_SDP, "refused"));
    return FALSE;
  }
  if (field && (!reply || !gst_structure_has_field (reply, field))) {
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "no %s", field);
    return FALSE;
  }
  return TRUE;
}

/* The answer as the browser gets it.  webrtcbin 1.22 signals SSRCs of its
 * own (even "a=ssrc-group:FID 0 …") that are not the ones on the wire; the
 * relay sends one fixed SSRC (and RTX SSRC) per slot.  With
 * several video m-lines in one bundle and no MID header extension, the
 * browser can only tell the streams apart by these, so every m-line the
 * relay sends on names its real SSRCs.  webrtcbin keeps its own copy. */
static gchar *
answer_text_for_browser (GstElement *webrtc, const GstSDPMessage *sdp)
{
  GstSDPMessage *copy = NULL;
  gst_sdp_message_copy (sdp, &copy);
  for (guint m = 0; m < gst_sdp_message_medias_len (copy); m++) {
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (copy, m);
    for (gint i = (gint) gst_sdp_media_attributes_len (media) - 1; i >= 0; i--) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
      if (g_strcmp0 (a->key, "ssrc") == 0 || g_strcmp0 (a->key, "ssrc-group") == 0
          || g_strcmp0 (a->key, "msid") == 0)
        gst_sdp_media_remove_attribute (media, i);
    }
  }
  g_autoptr (GArray) all = NULL;
  g_signal_emit_by_name (webrtc, "get-transceivers", &all);
  for (guint i = 0; all && i < all->len; i++) {
    GstWebRTCRTPTransceiver *t = g_array_index (all, GstWebRTCRTPTransceiver *, i);
    guint mline = G_MAXUINT;
    g_object_get (t, "mlineindex", &mline, NULL);
    guint32 ssrc = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (t), "km-ssrc"));
    guint32 rtx = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (t), "km-rtx-ssrc"));
    if (!ssrc || mline >= gst_sdp_message_medias_len (copy))
      continue;
    GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (copy, mline);
    if (gst_sdp_media_get_port (media) == 0 || gst_sdp_media_get_attribute_val (media, "recvonly")
        || gst_sdp_media_get_attribute_val (media, "inactive"))
      continue;
    gboolean has_rtx = FALSE;
    for (guint k = 0; k < gst_sdp_media_attributes_len (media); k++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, k);
      if (g_strcmp0 (a->key, "rtpmap") == 0 && a->value && strstr (a->value, " rtx/"))
        has_rtx = TRUE;
    }
    const gchar *mid = gst_sdp_media_get_attribute_val (media, "mid");
    g_autofree gchar *msid =
        g_strdup_printf ("kontor-%s kontor-%s-track", mid ? mid : "x", mid ? mid : "x");
    gst_sdp_media_add_attribute (media, "msid", msid);
    if (has_rtx && rtx) {
      g_autofree gchar *fid = g_strdup_printf ("FID %u %u", ssrc, rtx);
      gst_sdp_media_add_attribute (media, "ssrc-group", fid);
    }
    g_autofree gchar *v = g_strdup_printf ("%u cname:kontor", ssrc);
    gst_sdp_media_add_attribute (media, "ssrc", v);
    if (has_rtx && rtx) {
      g_autofree gchar *vr = g_strdup_printf ("%u cname:kontor", rtx);
      gst_sdp_media_add_attribute (media, "ssrc", vr);
    }
  }
  gchar *text = gst_sdp_message_as_text (copy);
  gst_sdp_message_free (copy);
  return text;
}

static void
on_local_set (GstPromise *promise, gpointer data)
{
  KmPeerCtx *ctx = data;
  g_autoptr (GError) error = NULL;
  if (!promise_ok (promise, NULL, &error)) {
    post_failed (ctx, KM_ERROR_SDP, "set-local-description", error);
  } else {
    /* Only now do the transceivers know their m-line, which the answer
     * text for the browser needs. */
    KmPeerEvent *ev = event_new (ctx->id);
    g_object_get (ctx->webrtc, "local-description", &ev->answer, NULL);
    if (ev->answer) {
      ev->text = answer_text_for_browser (ctx->webrtc, ev->answer->sdp);
      km_post (ctx->meeting, on_applied_event, ev, event_free);
    } else {
      event_free (ev);
    }
  }
  gst_promise_unref (promise);
}

static void
on_answer_created (GstPromise *promise, gpointer data)
{
  KmPeerCtx *ctx = data;
  g_autoptr (GError) error = NULL;
  if (!promise_ok (promise, "answer", &error)) {
    post_failed (ctx, KM_ERROR_SDP, "create-answer", error);
    gst_promise_unref (promise);
    return;
  }
  GstWebRTCSessionDescription *answer = NULL;
  gst_structure_get (gst_promise_get_reply (promise), "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                     &answer, NULL);
  gst_promise_unref (promise);
  /* Always what libnice holds: after a restart its fresh credentials, and
   * otherwise the same as webrtcbin wrote.  So a restart whose offer then
   * failed, or a browser resending that offer, still gets an answer that
   * matches the agent. */
  km_ice_answer_credentials (ctx->webrtc, answer->sdp);

  GstPromise *next = gst_promise_new_with_change_func (on_local_set, ctx_new_from (ctx), ctx_free);
  g_signal_emit_by_name (ctx->webrtc, "set-local-description", answer, next);
  gst_webrtc_session_description_free (answer);
}

static void
on_remote_set (GstPromise *promise, gpointer data)
{
  KmPeerCtx *ctx = data;
  g_autoptr (GError) error = NULL;
  if (!promise_ok (promise, NULL, &error)) {
    post_failed (ctx, KM_ERROR_SDP, "set-remote-description", error);
  } else {
    GstPromise *next =
        gst_promise_new_with_change_func (on_answer_created, ctx_new_from (ctx), ctx_free);
    g_signal_emit_by_name (ctx->webrtc, "create-answer", NULL, next);
  }
  gst_promise_unref (promise);
}

/* ---- main-thread operations ---- */

/* A slot is a sink pad requested with caps: in 1.22.0 that creates a
 * sendrecv transceiver of the right kind, while add-transceiver creates one
 * without a pad (and a pad requested later gets a transceiver of its own). */
static gboolean
add_slot (KmParticipant *p, KmKind kind, GError **error)
{
  g_autoptr (GstCaps) caps = slot_caps (p, kind);
  GstPadTemplate *tpl = gst_element_get_pad_template (p->webrtc, "sink_%u");
  GstPad *pad = gst_element_request_pad (p->webrtc, tpl, NULL, caps);
  GstWebRTCRTPTransceiver *trans = NULL;
  if (pad)
    g_object_get (pad, "transceiver", &trans, NULL);
  if (!trans) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "%s: no transceiver for a new sink pad",
                 p->name);
    if (pad) {
      gst_element_release_request_pad (p->webrtc, pad);
      gst_object_unref (pad);
    }
    return FALSE;
  }
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                "codec-preferences", caps, NULL);
  if (kind == KM_KIND_VIDEO)
    g_object_set (trans, "do-nack", TRUE, NULL);
  g_autofree gchar *name = g_strdup_printf ("%s-%s", p->name, GST_PAD_NAME (pad));
  KmFwdSink *fwd = km_fwd_sink_new (p->port, slot_codec (p, kind), name);
  g_object_set_data (G_OBJECT (trans), "km-ssrc", GUINT_TO_POINTER (km_fwd_sink_ssrc (fwd)));
  if (kind == KM_KIND_VIDEO)
    g_object_set_data (G_OBJECT (trans), "km-rtx-ssrc",
                       GUINT_TO_POINTER (km_fwd_sink_rtx_ssrc (fwd)));
  KmSlot *slot = g_new0 (KmSlot, 1);
  slot->kind = kind;
  slot->transceiver = trans;
  slot->pad = pad;
  slot->fwd = fwd;
  g_ptr_array_add (p->slots, slot);
  return TRUE;
}

static void
slot_free (gpointer data)
{
  KmSlot *slot = data;
  km_fwd_sink_free (slot->fwd);
  GstElement *webrtc = gst_pad_get_parent_element (slot->pad);
  if (webrtc) {
    gst_element_release_request_pad (webrtc, slot->pad);
    gst_object_unref (webrtc);
  }
  gst_object_unref (slot->pad);
  gst_object_unref (slot->transceiver);
  g_free (slot);
}

static void
source_array_free (gpointer data)
{
  source_free (data);
}

/* A webrtcbin on kontor's ICE agent (km-iceagent.c), or with its own
 * under KONTOR_MEDIA_WEBRTCNICE=1. */
static GstElement *
make_webrtcbin (const gchar *name)
{
  static gint own_ice = -1;
  if (km_env_switch ("KONTOR_MEDIA_WEBRTCNICE", &own_ice))
    return gst_element_factory_make ("webrtcbin", name);
  GstWebRTCICE *ice = km_ice_agent_new (name);
  GstElement *webrtc =
      gst_element_factory_make_full ("webrtcbin", "name", name, "ice-agent", ice, NULL);
  if (!webrtc)
    gst_object_unref (ice);
  return webrtc;
}

gboolean
km_peer_setup (KmParticipant *p, GError **error)
{
  /* webrtcbin names its thread "NAME:pc", and the kernel keeps a thread's
   * name only up to 15 bytes: "17-c2" (booking 17, the caseworker,
   * participant 2) leaves room for a booking id of nine digits, so that
   * top -H tells an operator whose thread is busy.  Logs use p->name. */
  g_autofree gchar *short_name = g_strdup_printf ("%s-%.1s%u", p->meeting->name, p->label, p->id);
  p->webrtc = make_webrtcbin (short_name);
  if (!p->webrtc) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "could not create webrtcbin");
    return FALSE;
  }
  gst_object_ref_sink (p->webrtc);
  p->port = km_fwd_port_new (p->webrtc, p->name);
  p->slots = g_ptr_array_new_with_free_func (slot_free);
  p->sources = g_ptr_array_new_with_free_func (source_array_free);
  km_configure_webrtcbin (p->webrtc);

  static const struct {
    const gchar *signal;
    GCallback handler;
  } signals[] = {
    { "on-ice-candidate", G_CALLBACK (on_ice_candidate) },
    { "notify::ice-gathering-state", G_CALLBACK (on_gathering_state) },
    { "notify::connection-state", G_CALLBACK (on_connection_state) },
    { "pad-added", G_CALLBACK (on_pad_added) },
    { "pad-removed", G_CALLBACK (on_pad_removed) },
  };
  G_STATIC_ASSERT (G_N_ELEMENTS (signals) <= G_N_ELEMENTS (p->handlers));
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    p->handlers[p->n_handlers++] = g_signal_connect_data (
        p->webrtc, signals[i].signal, signals[i].handler, ctx_new (p), ctx_closure_free, 0);

  gst_bin_add (GST_BIN (p->meeting->pipeline), p->webrtc);
  if (!gst_element_sync_state_with_parent (p->webrtc)) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "%s: could not start webrtcbin", p->name);
    return FALSE;
  }
  return TRUE;
}

void
km_peer_teardown (KmParticipant *p)
{
  if (!p->webrtc)
    return;
  for (guint i = 0; i < p->n_handlers; i++)
    g_signal_handler_disconnect (p->webrtc, p->handlers[i]);
  g_queue_clear_full (&p->held_candidates, event_free);
  p->n_handlers = 0;
  g_clear_pointer (&p->remote_ufrag, g_free);
  g_clear_pointer (&p->remote_pwd, g_free);
  km_nicerecv_stop (p->webrtc);
  /* Stop feeding this webrtcbin first, so that no sender's thread is
   * pushing into its encoder while it stops. */
  g_clear_pointer (&p->slots, g_ptr_array_unref);
  gst_element_set_locked_state (p->webrtc, TRUE);
  gst_element_set_state (p->webrtc, GST_STATE_NULL);
  /* Its streaming threads are stopped: now its own streams can go. */
  g_clear_pointer (&p->sources, g_ptr_array_unref);
  if (p->port)
    km_fwd_port_close (p->port);
  g_clear_pointer (&p->port, km_fwd_port_unref);
  gst_bin_remove (GST_BIN (p->meeting->pipeline), p->webrtc);
  g_clear_pointer (&p->webrtc, gst_object_unref);
  gst_clear_caps (&p->video_caps);
}

GstSDPMessage *
km_peer_parse_offer (const gchar *sdp, guint want[2], GError **error)
{
  GstSDPMessage *msg = NULL;
  /* GStreamer's parser takes an empty text for a programming error. */
  if (!sdp || !*sdp || gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK || !msg) {
    if (msg)
      gst_sdp_message_free (msg);
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "offer is not valid SDP");
    return NULL;
  }
  want[KM_KIND_AUDIO] = want[KM_KIND_VIDEO] = 0;
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const gchar *media = gst_sdp_media_get_media (gst_sdp_message_get_media (msg, i));
    if (g_strcmp0 (media, "audio") == 0)
      want[KM_KIND_AUDIO]++;
    else if (g_strcmp0 (media, "video") == 0)
      want[KM_KIND_VIDEO]++;
  }
  if (want[KM_KIND_AUDIO] + want[KM_KIND_VIDEO] == 0) {
    gst_sdp_message_free (msg);
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "offer has no audio or video");
    return NULL;
  }
  if (!km_sdp_check_offer (sdp, msg, error)) {
    gst_sdp_message_free (msg);
    return NULL;
  }
  return msg;
}

gboolean
km_peer_set_offer (KmParticipant *p, const gchar *sdp, GError **error)
{
  guint want[2];
  GstSDPMessage *msg = km_peer_parse_offer (sdp, want, error);
  if (!msg)
    return FALSE;
  if (!km_codec_choose (p, msg, error)) {
    gst_sdp_message_free (msg);
    return FALSE;
  }
  /* One sendrecv transceiver per offered m-line, added before the offer is
   * applied: otherwise webrtcbin answers recvonly and sends nothing. */
  for (KmKind kind = KM_KIND_AUDIO; kind <= KM_KIND_VIDEO; kind++)
    while (count_slots (p, kind) < want[kind])
      if (!add_slot (p, kind, error)) {
        gst_sdp_message_free (msg);
        return FALSE;
      }

  gboolean ice_restart = km_ice_follow_offer (p, msg);
  GstWebRTCSessionDescription *desc =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, msg);
  KmPeerCtx *ctx = ctx_new (p);
  ctx->ice_restart = ice_restart;
  GstPromise *promise = gst_promise_new_with_change_func (on_remote_set, ctx, ctx_free);
  p->negotiating = TRUE;
  p->answer_pending = TRUE;
  if (ice_restart)
    hold_local_candidates (p);
  g_signal_emit_by_name (p->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

gboolean
km_peer_check_candidate (guint mline, const gchar *candidate, const gchar **text, GError **error)
{
  *text = NULL;
  if (!candidate || !*candidate)
    return TRUE; /* end of candidates: webrtcbin 1.22 needs nothing */
  const gchar *c = g_str_has_prefix (candidate, "a=") ? candidate + 2 : candidate;
  if (!g_str_has_prefix (c, "candidate:") || strlen (c) > 1024 || strchr (c, '\n')
      || strchr (c, '\r') || mline > 63) {
    g_set_error (error, KM_ERROR, KM_ERROR_ICE, "malformed candidate");
    return FALSE;
  }
  *text = c;
  return TRUE;
}

gboolean
km_peer_add_candidate (KmParticipant *p, guint mline, const gchar *candidate, GError **error)
{
  const gchar *c;
  if (!km_peer_check_candidate (mline, candidate, &c, error))
    return FALSE;
  if (c)
    g_signal_emit_by_name (p->webrtc, "add-ice-candidate", mline, c);
  return TRUE;
}
