/* client.c — see client.h.  Runs its own pipeline; talks to the relay only
 * through the public km_* calls, like signaling would. */
#include "tests/media/client.h"
#include "tests/media/client-ice.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <string.h>

#define MAX_STREAMS 8

struct _TestClient {
  gchar *name;
  KmMeeting *meeting;
  guint id;
  GstElement *pipeline, *webrtc;
  gint64 started;
  gint64 first_frame;         /* atomic, monotonic µs or 0 */
  guint64 video[MAX_STREAMS]; /* atomics, one per stream */
  guint n_video;              /* atomic */
  guint64 audio;              /* atomic */
  GstPad *screen_pad;         /* webrtcbin sink of the share */
  gint alive;                 /* atomic: 0 once freed */
  gint offered;               /* atomic: first offer made */
  guint64 keyframes;          /* atomic: decoded keyframes */
  gint ice_restart;           /* atomic: next offer restarts */
  GMutex lock;
  GPtrArray *depays;    /* receiving video depayloaders */
  gboolean h264;        /* sends H.264, else VP8 */
  gboolean bundle_only; /* offers like Firefox */
  gboolean no_rtx;      /* offers no RTX */
  guint video_pt;
  gchar *refusal;        /* main thread: offer refused */
  gboolean broken_first; /* main thread: see TcOptions */
  gchar *held_offer;     /* main thread: sent on failure */
  gchar *failure;        /* main thread: media failed */
  gint received_pt;      /* atomic: of the last video */
};

/* ---- receiving ---- */

typedef struct {
  TestClient *tc;
  guint slot;
} Counter;

static GstPadProbeReturn
on_video_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Counter *c = data;
  if (g_atomic_int_get (&c->tc->alive)) {
    gint64 none = 0;
    __atomic_compare_exchange_n (&c->tc->first_frame, &none, g_get_monotonic_time (), FALSE,
                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    __atomic_add_fetch (&c->tc->video[c->slot], 1, __ATOMIC_RELAXED);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_decoder_input (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TestClient *tc = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    __atomic_add_fetch (&tc->keyframes, 1, __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_audio_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TestClient *tc = data;
  __atomic_add_fetch (&tc->audio, 1, __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* pad-added on the client: decode and count. */
static void
on_pad_added (GstElement *webrtc, GstPad *pad, TestClient *tc)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const gchar *enc = gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name");
  if (g_getenv ("KONTOR_TEST_PRINT_SDP")) {
    g_autofree gchar *str = gst_caps_to_string (caps);
    g_print ("%s receives %s\n", tc->name, str);
  }
  gboolean video = g_strcmp0 (enc, "OPUS") != 0;
  const gchar *desc = g_strcmp0 (enc, "H264") == 0
                          ? "rtph264depay name=depay ! h264parse ! openh264dec name=dec ! "
                            "fakesink name=out sync=false async=false"
                      : video ? "rtpvp8depay name=depay ! vp8dec name=dec ! "
                                "fakesink name=out sync=false async=false"
                              : "rtpopusdepay ! opusdec ! fakesink name=out sync=false async=false";
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, NULL);
  gst_bin_add (GST_BIN (tc->pipeline), bin);
  g_autoptr (GstElement) out = gst_bin_get_by_name (GST_BIN (bin), "out");
  g_autoptr (GstPad) outpad = gst_element_get_static_pad (out, "sink");
  if (video) {
    gint pt = 0;
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "payload", &pt);
    g_atomic_int_set (&tc->received_pt, pt);
    Counter *c = g_new0 (Counter, 1);
    c->tc = tc;
    c->slot = MIN (g_atomic_int_add (&tc->n_video, 1), MAX_STREAMS - 1);
    gst_pad_add_probe (outpad, GST_PAD_PROBE_TYPE_BUFFER, on_video_frame, c, g_free);
    g_autoptr (GstElement) dec = gst_bin_get_by_name (GST_BIN (bin), "dec");
    g_autoptr (GstPad) decpad = gst_element_get_static_pad (dec, "sink");
    gst_pad_add_probe (decpad, GST_PAD_PROBE_TYPE_BUFFER, on_decoder_input, tc, NULL);
    g_mutex_lock (&tc->lock);
    g_ptr_array_add (tc->depays, gst_bin_get_by_name (GST_BIN (bin), "depay"));
    g_mutex_unlock (&tc->lock);
  } else {
    gst_pad_add_probe (outpad, GST_PAD_PROBE_TYPE_BUFFER, on_audio_buffer, tc, NULL);
  }
  gst_element_sync_state_with_parent (bin);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_link (pad, sink);
}

/* ---- signaling, hopped onto the main context ---- */

typedef struct {
  TestClient *tc;
  guint mline;
  gchar *text;
} Msg;

static void
tc_clear (gpointer data)
{
  TestClient *tc = data;
  g_free (tc->name);
  g_free (tc->refusal);
  g_free (tc->held_offer);
  g_free (tc->failure);
  g_ptr_array_unref (tc->depays);
  g_mutex_clear (&tc->lock);
}

static void
tc_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, tc_clear);
}

static Msg *
msg_new (TestClient *tc)
{
  Msg *m = g_new0 (Msg, 1);
  m->tc = g_atomic_rc_box_acquire (tc);
  return m;
}

static void
msg_free (gpointer data)
{
  Msg *m = data;
  g_atomic_rc_box_release_full (m->tc, tc_clear);
  g_free (m->text);
  g_free (m);
}

static gboolean
send_candidate (gpointer data)
{
  Msg *m = data;
  if (g_atomic_int_get (&m->tc->alive)) {
    g_autoptr (GError) error = NULL;
    if (!km_meeting_add_remote_candidate (m->tc->meeting, m->tc->id, m->mline, m->text, &error))
      g_printerr ("%s: candidate refused: %s\n", m->tc->name, error->message);
  }
  return G_SOURCE_REMOVE;
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, gchar *cand, TestClient *tc)
{
  Msg *m = msg_new (tc);
  m->mline = mline;
  m->text = g_strdup (cand);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, send_candidate, m, msg_free);
}

/* The offer text with edit applied to each m-line (index from 0); the
 * text unchanged if it does not parse. */
static gchar *
edit_offer (const gchar *sdp, void (*edit) (GstSDPMedia *media, guint index))
{
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK)
    return g_strdup (sdp);
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++)
    edit ((GstSDPMedia *) gst_sdp_message_get_media (msg, i), i);
  gchar *text = gst_sdp_message_as_text (msg);
  gst_sdp_message_free (msg);
  return text;
}

/* Firefox under max-bundle: every m-line after the first (audio: such a
 * client adds its microphone first, as the page does) is port 0 and
 * bundle-only in the offer.  Only what the relay reads changes. */
static void
firefox_style (GstSDPMedia *media, guint index)
{
  if (index == 0)
    return;
  gst_sdp_media_set_port_info (media, 0, 1);
  gst_sdp_media_add_attribute (media, "bundle-only", "");
}

/* The offer without RTX: its payload types, their rtpmap and fmtp lines,
 * and the FID groups that tie an RTX SSRC to its stream. */
static void
without_rtx (GstSDPMedia *media, guint index)
{
  g_autoptr (GPtrArray) rtx = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < gst_sdp_media_attributes_len (media); k++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, k);
    if (g_strcmp0 (a->key, "rtpmap") == 0 && a->value && strstr (a->value, " rtx/"))
      g_ptr_array_add (rtx, g_strndup (a->value, strcspn (a->value, " ")));
  }
  for (guint k = gst_sdp_media_attributes_len (media); k > 0; k--) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, k - 1);
    gboolean drop = g_strcmp0 (a->key, "ssrc-group") == 0;
    for (guint r = 0; r < rtx->len && a->value && !drop; r++) {
      const gchar *pt = rtx->pdata[r];
      drop = (g_strcmp0 (a->key, "rtpmap") == 0 || g_strcmp0 (a->key, "fmtp") == 0
              || g_strcmp0 (a->key, "rtcp-fb") == 0)
             && g_str_has_prefix (a->value, pt) && a->value[strlen (pt)] == ' ';
    }
    if (drop)
      gst_sdp_media_remove_attribute (media, k - 1);
  }
  for (guint f = gst_sdp_media_formats_len (media); f > 0; f--)
    for (guint r = 0; r < rtx->len; r++)
      if (g_strcmp0 (gst_sdp_media_get_format (media, f - 1), rtx->pdata[r]) == 0) {
        gst_sdp_media_remove_format (media, f - 1);
        break;
      }
}

/* The offer with the first video m-line's port replaced by "x". */
static gchar *
with_bad_video_port (const gchar *offer)
{
  const gchar *m = strstr (offer, "m=video ");
  if (!m)
    return g_strdup (offer);
  const gchar *port = m + strlen ("m=video ");
  return g_strdup_printf ("%.*sx%s", (int) (port - offer), offer,
                          port + strspn (port, "0123456789"));
}

/* The offer without its a=fingerprint lines. */
static gchar *
without_fingerprint (const gchar *offer)
{
  g_auto (GStrv) lines = g_strsplit (offer, "\r\n", -1);
  GString *out = g_string_new (NULL);
  for (gchar **l = lines; *l && **l; l++)
    if (!g_str_has_prefix (*l, "a=fingerprint:"))
      g_string_append_printf (out, "%s\r\n", *l);
  return g_string_free (out, FALSE);
}

static void
record_refusal (TestClient *tc, const GError *error)
{
  g_printerr ("%s: offer refused: %s\n", tc->name, error->message);
  g_free (tc->refusal);
  tc->refusal =
      g_strdup_printf ("%s %d: %s", g_quark_to_string (error->domain), error->code, error->message);
}

/* broken_first: the two broken copies; the real offer waits for the
 * relay's word on the second (tc_media_failed), as a page waits for an
 * answer or an error before it offers again. */
static void
send_broken_first (TestClient *tc, const gchar *offer)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *bad_port = with_bad_video_port (offer);
  g_autofree gchar *no_fingerprint = without_fingerprint (offer);
  tc->broken_first = FALSE;
  if (!km_meeting_set_remote_description (tc->meeting, tc->id, "offer", bad_port, &error))
    record_refusal (tc, error);
  g_clear_error (&error);
  if (!km_meeting_set_remote_description (tc->meeting, tc->id, "offer", no_fingerprint, &error))
    record_refusal (tc, error);
  tc->held_offer = g_strdup (offer);
}

void
tc_media_failed (TestClient *tc, const GError *error)
{
  g_free (tc->failure);
  tc->failure =
      g_strdup_printf ("%s %d: %s", g_quark_to_string (error->domain), error->code, error->message);
  g_autofree gchar *offer = g_steal_pointer (&tc->held_offer);
  g_autoptr (GError) refused = NULL;
  if (offer && !km_meeting_set_remote_description (tc->meeting, tc->id, "offer", offer, &refused))
    record_refusal (tc, refused);
}

const gchar *
tc_failure (TestClient *tc)
{
  return tc->failure;
}

static gboolean
send_offer (gpointer data)
{
  Msg *m = data;
  if (g_atomic_int_get (&m->tc->alive)) {
    g_autoptr (GError) error = NULL;
    if (m->tc->bundle_only) {
      gchar *text = edit_offer (m->text, firefox_style);
      g_free (m->text);
      m->text = text;
    }
    if (m->tc->no_rtx) {
      gchar *text = edit_offer (m->text, without_rtx);
      g_free (m->text);
      m->text = text;
    }
    if (m->tc->broken_first)
      send_broken_first (m->tc, m->text);
    else if (!km_meeting_set_remote_description (m->tc->meeting, m->tc->id, "offer", m->text,
                                                 &error))
      record_refusal (m->tc, error);
  }
  return G_SOURCE_REMOVE;
}

/* After an ICE restart the relay has forgotten our candidates, and
 * webrtcbin gathers none again. */
static void
send_candidates_again (TestClient *tc)
{
  g_autoptr (GPtrArray) cands = tci_local_candidates (tc->webrtc);
  for (guint i = 0; i <= cands->len; i++) {
    Msg *m = msg_new (tc);
    m->text = i < cands->len ? g_strdup (cands->pdata[i]) : NULL;
    g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, send_candidate, m, msg_free);
  }
}

static void
on_offer_created (GstPromise *promise, gpointer data)
{
  TestClient *tc = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;
  if (reply)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  if (!offer) {
    GError *e = NULL;
    if (reply)
      gst_structure_get (reply, "error", G_TYPE_ERROR, &e, NULL);
    g_printerr ("%s: no offer: %s\n", tc->name, e ? e->message : "?");
    g_clear_error (&e);
    return;
  }
  gboolean restart = g_atomic_int_compare_and_exchange (&tc->ice_restart, 1, 0);
  if (restart)
    tci_offer_credentials (tc->webrtc, offer->sdp);
  g_signal_emit_by_name (tc->webrtc, "set-local-description", offer, NULL);
  Msg *m = msg_new (tc);
  m->text = gst_sdp_message_as_text (offer->sdp);
  if (g_getenv ("KONTOR_TEST_PRINT_SDP"))
    g_print ("---- %s offer\n%s", tc->name, m->text);
  gst_webrtc_session_description_free (offer);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, send_offer, m, msg_free);
  if (restart)
    send_candidates_again (tc);
}

/* The caps of the video the client offers, payload type included. */
static gchar *
video_rtp_caps (TestClient *tc)
{
  return g_strdup_printf ("application/x-rtp,media=video,encoding-name=%s,"
                          "clock-rate=90000,payload=%u%s",
                          tc->h264 ? "H264" : "VP8", tc->video_pt,
                          tc->h264
                              ? ",packetization-mode=(string)1,"
                                "profile-level-id=(string)42e01f,level-asymmetry-allowed=(string)1"
                              : "");
}

static guint
count_transceivers (TestClient *tc, GstWebRTCKind kind)
{
  g_autoptr (GArray) all = NULL;
  g_signal_emit_by_name (tc->webrtc, "get-transceivers", &all);
  guint n = 0;
  for (guint i = 0; all && i < all->len; i++) {
    GstWebRTCRTPTransceiver *t = g_array_index (all, GstWebRTCRTPTransceiver *, i);
    GstWebRTCKind k;
    g_object_get (t, "kind", &k, NULL);
    n += k == kind;
  }
  return n;
}

void
tc_offer (TestClient *tc, guint audio_mlines, guint video_mlines, gboolean ice_restart)
{
  g_autofree gchar *video_caps = video_rtp_caps (tc);
  const struct {
    GstWebRTCKind kind;
    const gchar *caps;
  } kinds[] = {
    { GST_WEBRTC_KIND_AUDIO, "application/x-rtp,media=audio,"
                             "encoding-name=OPUS,clock-rate=48000,payload=111" },
    { GST_WEBRTC_KIND_VIDEO, video_caps },
  };
  guint want[2] = { audio_mlines, video_mlines };
  for (guint k = 0; k < 2; k++) {
    guint have = count_transceivers (tc, kinds[k].kind);
    for (; have < want[k]; have++) {
      g_autoptr (GstCaps) caps = gst_caps_from_string (kinds[k].caps);
      GstWebRTCRTPTransceiver *t = NULL;
      g_signal_emit_by_name (tc->webrtc, "add-transceiver",
                             GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &t);
      g_clear_object (&t);
    }
  }
  /* webrtcbin 1.22 knows no "ice-restart" option: see client-ice.c. */
  if (ice_restart && tci_restart (tc->webrtc))
    g_atomic_int_set (&tc->ice_restart, 1);
  GstPromise *p =
      gst_promise_new_with_change_func (on_offer_created, g_atomic_rc_box_acquire (tc), tc_unref);
  g_signal_emit_by_name (tc->webrtc, "create-offer", NULL, p);
}

gboolean
tc_switch_pair (TestClient *tc, const gchar *local_ip)
{
  return tci_switch_pair (tc->webrtc, local_ip);
}

void
tc_set_answer (TestClient *tc, const gchar *sdp)
{
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK) {
    g_printerr ("%s: bad answer\n", tc->name);
    return;
  }
  if (g_getenv ("KONTOR_TEST_PRINT_SDP"))
    g_print ("---- %s answer\n%s", tc->name, sdp);
  GstWebRTCSessionDescription *d =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  g_signal_emit_by_name (tc->webrtc, "set-remote-description", d, NULL);
  gst_webrtc_session_description_free (d);
}

void
tc_add_candidate (TestClient *tc, guint mline, const gchar *candidate)
{
  if (candidate)
    g_signal_emit_by_name (tc->webrtc, "add-ice-candidate", mline, candidate);
}

static gboolean
first_offer (gpointer data)
{
  Msg *m = data;
  if (g_atomic_int_get (&m->tc->alive))
    tc_offer (m->tc, 0, 0, FALSE);
  return G_SOURCE_REMOVE;
}

/* on-negotiation-needed: like a page, offer once the tracks are known;
 * later offers are made explicitly by the test. */
static void
on_negotiation_needed (GstElement *webrtc, TestClient *tc)
{
  if (!g_atomic_int_compare_and_exchange (&tc->offered, 0, 1))
    return;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, first_offer, msg_new (tc), msg_free);
}

/* ---- sending ---- */

/* desc ends in a caps filter; the pad is requested with those caps so
 * that the transceiver knows its kind before any data flows. */
static GstPad *
add_sender (TestClient *tc, const gchar *desc)
{
  /* gst_parse takes bare application/x-rtp caps for an element name: the
   * caps filter must be spelled out, or its fields (fmtp) never reach the
   * offer. */
  const gchar *caps_text = strrchr (desc, '!') + 1;
  g_autofree gchar *full =
      g_strdup_printf ("%.*s capsfilter caps=\"%s\"", (int) (caps_text - desc), desc, caps_text);
  GstElement *bin = gst_parse_bin_from_description (full, TRUE, NULL);
  gst_bin_add (GST_BIN (tc->pipeline), bin);
  g_autoptr (GstPad) src = gst_element_get_static_pad (bin, "src");
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text);
  GstPad *sink = gst_element_request_pad (
      tc->webrtc, gst_element_get_pad_template (tc->webrtc, "sink_%u"), NULL, caps);
  gst_pad_link (src, sink);
  gst_element_sync_state_with_parent (bin);
  return sink;
}

/* Keyframes only when asked (a large keyframe distance), as the relay must
 * ask for them.  H.264 as browsers offer it. */
static gchar *
video_sender (TestClient *tc, const gchar *pattern)
{
  g_autofree gchar *caps = video_rtp_caps (tc);
  return g_strdup_printf ("videotestsrc is-live=true pattern=%s ! "
                          "video/x-raw,width=160,height=120,framerate=15/1 ! %s pt=%u ! %s",
                          pattern,
                          tc->h264
                              ? "openh264enc gop-size=3000 rate-control=bitrate bitrate=200000 ! "
                                "rtph264pay config-interval=-1"
                              : "vp8enc deadline=1 keyframe-max-dist=3000 target-bitrate=200000 ! "
                                "rtpvp8pay picture-id-mode=15-bit",
                          tc->video_pt, caps);
}

TestClient *
tc_new (const gchar *name, KmMeeting *meeting, guint id)
{
  return tc_new_with (name, meeting, id, NULL);
}

/* Browsers NACK only what is missing.  rtpjitterbuffer also asks, by
 * default, for the packet it expects next once it is late by its own
 * estimate ("rtx-next-seqnum"); against a relay that keeps the senders'
 * timestamps those requests came every half second, and each used up the
 * client's early-feedback turn (RFC 4585), so its keyframe requests waited
 * for the next regular report. */
static void
on_new_jitterbuffer (GstElement *rtpbin, GstElement *jb, guint session, guint ssrc, gpointer data)
{
  g_object_set (jb, "rtx-next-seqnum", FALSE, NULL);
  guint rtcp_ms = GPOINTER_TO_UINT (data);
  GObject *rtp_session = NULL;
  if (rtcp_ms)
    g_signal_emit_by_name (rtpbin, "get-internal-session", session, &rtp_session);
  if (rtp_session) {
    g_object_set (rtp_session, "rtcp-min-interval", (guint64) rtcp_ms * GST_MSECOND, NULL);
    g_object_unref (rtp_session);
  }
}

TestClient *
tc_new_with (const gchar *name, KmMeeting *meeting, guint id, const TcOptions *options)
{
  TestClient *tc = g_atomic_rc_box_new0 (TestClient);
  tc->h264 = options && g_strcmp0 (options->video_codec, "H264") == 0;
  tc->video_pt = options && options->video_pt ? options->video_pt : 96;
  tc->bundle_only = options && options->bundle_only;
  tc->no_rtx = options && options->no_rtx;
  tc->broken_first = options && options->broken_first;
  tc->name = g_strdup (name);
  tc->meeting = meeting;
  tc->id = id;
  tc->alive = 1;
  g_mutex_init (&tc->lock);
  tc->depays = g_ptr_array_new_with_free_func (gst_object_unref);
  tc->started = g_get_monotonic_time ();
  tc->pipeline = gst_pipeline_new (name);
  tc->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  g_object_set (tc->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                options && options->latency_ms ? options->latency_ms : 50, NULL);
  gst_bin_add (GST_BIN (tc->pipeline), tc->webrtc);
  if (options && options->ice_addresses)
    tci_limit_addresses (tc->webrtc, options->ice_addresses);
  g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (tc->webrtc), "rtpbin");
  if (rtpbin)
    g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer),
                      GUINT_TO_POINTER (options ? options->rtcp_ms : 0));
  g_signal_connect (tc->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), tc);
  g_signal_connect (tc->webrtc, "pad-added", G_CALLBACK (on_pad_added), tc);
  g_signal_connect (tc->webrtc, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed), tc);
  g_autofree gchar *video = video_sender (tc, "ball");
  const gchar *audio = "audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=48000,channels=1 ! "
                       "opusenc ! rtpopuspay pt=111 ! "
                       "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"
                       "payload=111";
  /* The Firefox-shaped client puts its microphone first, as the page does,
   * so that its video m-lines are the bundle-only ones. */
  GstPad *a = tc->bundle_only ? add_sender (tc, audio) : NULL;
  GstPad *v = add_sender (tc, video);
  if (!a)
    a = add_sender (tc, audio);
  gst_object_unref (v);
  gst_object_unref (a);
  /* NACK on the client's video too, as browsers do. */
  g_autoptr (GArray) all = NULL;
  g_signal_emit_by_name (tc->webrtc, "get-transceivers", &all);
  for (guint i = 0; all && i < all->len; i++)
    g_object_set (g_array_index (all, GObject *, i), "do-nack", TRUE, NULL);
  gst_element_set_state (tc->pipeline, GST_STATE_PLAYING);
  return tc;
}

void
tc_set_screen (TestClient *tc, gboolean on)
{
  if (on && !tc->screen_pad) {
    g_autofree gchar *video = video_sender (tc, "smpte");
    tc->screen_pad = add_sender (tc, video);
  } else if (!on && tc->screen_pad) {
    /* Stop sending: the transceiver goes quiet (a browser's removeTrack). */
    GstWebRTCRTPTransceiver *t = NULL;
    g_object_get (tc->screen_pad, "transceiver", &t, NULL);
    if (t) {
      g_object_set (t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
      gst_object_unref (t);
    }
    g_autoptr (GstPad) peer = gst_pad_get_peer (tc->screen_pad);
    GstElement *bin = gst_pad_get_parent_element (peer);
    gst_element_set_locked_state (bin, TRUE);
    gst_element_set_state (bin, GST_STATE_NULL);
    gst_pad_unlink (peer, tc->screen_pad);
    gst_bin_remove (GST_BIN (tc->pipeline), bin);
    gst_object_unref (bin);
    g_clear_object (&tc->screen_pad);
  }
}

void
tc_free (TestClient *tc)
{
  if (!tc)
    return;
  g_atomic_int_set (&tc->alive, 0);
  gst_element_set_state (tc->pipeline, GST_STATE_NULL);
  g_clear_object (&tc->screen_pad);
  gst_object_unref (tc->pipeline);
  /* Hops still queued hold their own reference and check alive. */
  g_atomic_rc_box_release_full (tc, tc_clear);
}

guint
tc_id (TestClient *tc)
{
  return tc->id;
}

guint64
tc_video_frames (TestClient *tc)
{
  guint64 n = 0;
  for (guint i = 0; i < MAX_STREAMS; i++)
    n += __atomic_load_n (&tc->video[i], __ATOMIC_RELAXED);
  return n;
}

guint
tc_video_streams (TestClient *tc)
{
  guint n = 0;
  for (guint i = 0; i < MAX_STREAMS; i++)
    n += __atomic_load_n (&tc->video[i], __ATOMIC_RELAXED) > 0;
  return n;
}

guint64
tc_audio_buffers (TestClient *tc)
{
  return __atomic_load_n (&tc->audio, __ATOMIC_RELAXED);
}

gint64
tc_first_frame_us (TestClient *tc)
{
  gint64 t = __atomic_load_n (&tc->first_frame, __ATOMIC_RELAXED);
  return t ? t - tc->started : -1;
}

guint64
tc_keyframes (TestClient *tc)
{
  return __atomic_load_n (&tc->keyframes, __ATOMIC_RELAXED);
}

void
tc_request_keyframe (TestClient *tc)
{
  g_mutex_lock (&tc->lock);
  for (guint i = 0; i < tc->depays->len; i++) {
    g_autoptr (GstPad) src = gst_element_get_static_pad (g_ptr_array_index (tc->depays, i), "src");
    gst_pad_send_event (src,
                        gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                              gst_structure_new ("GstForceKeyUnit", "all-headers",
                                                                 G_TYPE_BOOLEAN, TRUE, NULL)));
  }
  g_mutex_unlock (&tc->lock);
}

gchar *
tc_answer_ufrag (TestClient *tc)
{
  return tci_remote_ufrag (tc->webrtc);
}

const gchar *
tc_refusal (TestClient *tc)
{
  return tc->refusal;
}

guint
tc_received_video_pt (TestClient *tc)
{
  return (guint) g_atomic_int_get (&tc->received_pt);
}
