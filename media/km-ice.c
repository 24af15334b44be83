/* km-ice.c — ICE restarts, which webrtcbin 1.22 does not do by itself.
 *
 * A participant whose network changed (Wi-Fi to mobile, a NAT rebinding,
 * a path that went dark while ICE still says "connected") offers again with
 * a new ice-ufrag and ice-pwd (RFC 8445 §9, JSEP 5.2.1 / 5.3.1).  webrtcbin
 * hands the new remote credentials to libnice but keeps everything else:
 * its answer repeats the old local credentials, libnice's checks are not
 * restarted, and no candidate is gathered or signalled again.  So the
 * browser's new checks go unanswered or it stays on the old pair while the
 * relay keeps sending on a dead one.
 *
 * Here, before webrtcbin applies such an offer, the participant's nice
 * stream is restarted (fresh local credentials, remote candidates dropped,
 * the selected pair kept until checks choose another, so media keeps
 * flowing); the answer is given those fresh credentials before webrtcbin
 * sets it as local description, so the SDP the browser reads and the one
 * webrtcbin (and through it libnice) uses agree; and the relay's local
 * candidates are handed out again, since the browser forgot them.
 */
#include "media/km-private.h"

#include <nice/agent.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NiceAgent, g_object_unref)

/* The participant's libnice agent and stream.  webrtcbin bundles every
 * m-line into one transport, so the first transceiver's will do.
 * Returns FALSE before the first negotiation made one.  *agent is a
 * reference of the caller's. */
static gboolean
nice_stream_of (GstElement *webrtc, NiceAgent **agent, guint *stream_id)
{
  g_autoptr (GArray) all = NULL;
  g_signal_emit_by_name (webrtc, "get-transceivers", &all);
  if (!all || all->len == 0)
    return FALSE;
  GstWebRTCRTPTransceiver *t = g_array_index (all, GstWebRTCRTPTransceiver *, 0);
  g_autoptr (GstWebRTCRTPSender) sender = NULL;
  g_autoptr (GstWebRTCDTLSTransport) dtls = NULL;
  g_autoptr (GstWebRTCICETransport) ice_transport = NULL;
  g_autoptr (GstWebRTCICEStream) stream = NULL;
  g_autoptr (GstWebRTCICE) ice = NULL;
  g_object_get (t, "sender", &sender, NULL);
  if (sender)
    g_object_get (sender, "transport", &dtls, NULL);
  if (dtls)
    g_object_get (dtls, "transport", &ice_transport, NULL);
  if (ice_transport && g_object_class_find_property (G_OBJECT_GET_CLASS (ice_transport), "stream"))
    g_object_get (ice_transport, "stream", &stream, NULL);
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (!stream || !ice || !g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    return FALSE;
  g_object_get (stream, "stream-id", stream_id, NULL);
  g_object_get (ice, "agent", agent, NULL);
  return *agent != NULL;
}

/* ice-ufrag and ice-pwd of an SDP: the first m-line's, or the session's. */
static void
sdp_credentials (const GstSDPMessage *sdp, const gchar **ufrag, const gchar **pwd)
{
  *ufrag = gst_sdp_message_get_attribute_val (sdp, "ice-ufrag");
  *pwd = gst_sdp_message_get_attribute_val (sdp, "ice-pwd");
  if (gst_sdp_message_medias_len (sdp) > 0) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, 0);
    if (gst_sdp_media_get_attribute_val (m, "ice-ufrag"))
      *ufrag = gst_sdp_media_get_attribute_val (m, "ice-ufrag");
    if (gst_sdp_media_get_attribute_val (m, "ice-pwd"))
      *pwd = gst_sdp_media_get_attribute_val (m, "ice-pwd");
  }
}

gboolean
km_ice_follow_offer (KmParticipant *p, const GstSDPMessage *offer)
{
  const gchar *ufrag, *pwd;
  sdp_credentials (offer, &ufrag, &pwd);
  if (!ufrag || !pwd)
    return FALSE;
  gboolean changed =
      p->remote_ufrag
      && (g_strcmp0 (p->remote_ufrag, ufrag) != 0 || g_strcmp0 (p->remote_pwd, pwd) != 0);
  g_free (p->remote_ufrag);
  g_free (p->remote_pwd);
  p->remote_ufrag = g_strdup (ufrag);
  p->remote_pwd = g_strdup (pwd);
  if (!changed || !p->answered)
    return FALSE;

  g_autoptr (NiceAgent) agent = NULL;
  guint stream_id = 0;
  if (!nice_stream_of (p->webrtc, &agent, &stream_id)) {
    GST_WARNING ("%s: ICE restart offered but no ICE stream to restart", p->name);
    return FALSE;
  }
  /* Before webrtcbin applies the offer: the new remote credentials and
   * candidates it is about to hand libnice must not be wiped by this. */
  if (!nice_agent_restart_stream (agent, stream_id)) {
    GST_WARNING ("%s: libnice refused to restart stream %u", p->name, stream_id);
    return FALSE;
  }
  GST_INFO ("%s: ICE restart (stream %u)", p->name, stream_id);
  return TRUE;
}

void
km_ice_answer_credentials (GstElement *webrtc, GstSDPMessage *answer)
{
  g_autoptr (NiceAgent) agent = NULL;
  guint stream_id = 0;
  g_autofree gchar *ufrag = NULL, *pwd = NULL;
  if (!nice_stream_of (webrtc, &agent, &stream_id)
      || !nice_agent_get_local_credentials (agent, stream_id, &ufrag, &pwd)) {
    GST_WARNING_OBJECT (webrtc, "no local ICE credentials for the answer");
    return;
  }
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (answer, i);
    for (guint k = 0; k < gst_sdp_media_attributes_len (m); k++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, k);
      const gchar *value = g_strcmp0 (a->key, "ice-ufrag") == 0 ? ufrag
                           : g_strcmp0 (a->key, "ice-pwd") == 0 ? pwd
                                                                : NULL;
      if (!value)
        continue;
      GstSDPAttribute fresh;
      gst_sdp_attribute_set (&fresh, a->key, value);
      gst_sdp_media_replace_attribute (m, k, &fresh);
    }
  }
}

GPtrArray *
km_ice_local_candidates (GstElement *webrtc)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (NiceAgent) agent = NULL;
  guint stream_id = 0;
  if (!nice_stream_of (webrtc, &agent, &stream_id))
    return out;
  GSList *cands = nice_agent_get_local_candidates (agent, stream_id, NICE_COMPONENT_TYPE_RTP);
  for (GSList *l = cands; l; l = l->next) {
    g_autofree gchar *attr = nice_agent_generate_local_candidate_sdp (agent, l->data);
    if (attr)
      g_ptr_array_add (out, g_strdup (g_str_has_prefix (attr, "a=") ? attr + 2 : attr));
  }
  g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);
  return out;
}

static gchar *
describe (NiceCandidate *c)
{
  gchar ip[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string (&c->addr, ip);
  static const gchar *const types[] = { "host", "srflx", "prflx", "relay" };
  gboolean v6 = nice_address_ip_version (&c->addr) == 6;
  return g_strdup_printf ("%s%s%s:%u %s %s", v6 ? "[" : "", ip, v6 ? "]" : "",
                          nice_address_get_port (&c->addr),
                          c->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp",
                          c->type < G_N_ELEMENTS (types) ? types[c->type] : "?");
}

gchar *
km_meeting_ice_path (KmMeeting *meeting, guint participant)
{
  KmParticipant *p = km_meeting_lookup (meeting, participant);
  g_autoptr (NiceAgent) agent = NULL;
  guint stream_id = 0;
  if (!p || !p->webrtc || !nice_stream_of (p->webrtc, &agent, &stream_id))
    return NULL;
  NiceCandidate *local = NULL, *remote = NULL;
  if (!nice_agent_get_selected_pair (agent, stream_id, NICE_COMPONENT_TYPE_RTP, &local, &remote)
      || !local || !remote)
    return NULL;
  /* The agent owns them and may drop them (a restart) once its lock is
   * released: copy at once. */
  NiceCandidate *lc = nice_candidate_copy (local);
  NiceCandidate *rc = nice_candidate_copy (remote);
  g_autofree gchar *l = describe (lc);
  g_autofree gchar *r = describe (rc);
  nice_candidate_free (lc);
  nice_candidate_free (rc);
  return g_strdup_printf ("%s -> %s", l, r);
}
