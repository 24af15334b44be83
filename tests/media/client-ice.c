/* client-ice.c — the ICE restart of the test client, as a browser does it
 * (restartIce(): new credentials, checks from scratch, candidates signalled
 * again).  webrtcbin 1.22 has no "ice-restart" offer option, so the client
 * restarts its libnice stream itself and writes the fresh credentials into
 * the offer.  Written apart from media/km-ice.c on purpose: a stand-in for
 * a browser that shared the relay's code would share its mistakes. */
#include "tests/media/client-ice.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

/* The client bundles everything: the first transceiver's transport is the
 * only one.  Returns a reference to the agent, or NULL. */
static NiceAgent *
agent_and_stream (GstElement *webrtc, guint *stream_id)
{
  g_autoptr (GArray) all = NULL;
  g_signal_emit_by_name (webrtc, "get-transceivers", &all);
  if (!all || all->len == 0)
    return NULL;
  g_autoptr (GstWebRTCRTPSender) sender = NULL;
  g_autoptr (GstWebRTCDTLSTransport) dtls = NULL;
  g_autoptr (GstWebRTCICETransport) transport = NULL;
  g_autoptr (GstWebRTCICEStream) stream = NULL;
  g_autoptr (GstWebRTCICE) ice = NULL;
  g_object_get (g_array_index (all, GObject *, 0), "sender", &sender, NULL);
  if (sender)
    g_object_get (sender, "transport", &dtls, NULL);
  if (dtls)
    g_object_get (dtls, "transport", &transport, NULL);
  if (transport)
    g_object_get (transport, "stream", &stream, NULL);
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (!stream || !ice)
    return NULL;
  NiceAgent *agent = NULL;
  g_object_get (stream, "stream-id", stream_id, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  return agent;
}

gboolean
tci_restart (GstElement *webrtc)
{
  guint id = 0;
  NiceAgent *agent = agent_and_stream (webrtc, &id);
  gboolean ok = agent && nice_agent_restart_stream (agent, id);
  g_clear_object (&agent);
  return ok;
}

void
tci_offer_credentials (GstElement *webrtc, GstSDPMessage *offer)
{
  guint id = 0;
  NiceAgent *agent = agent_and_stream (webrtc, &id);
  gchar *ufrag = NULL, *pwd = NULL;
  if (agent && nice_agent_get_local_credentials (agent, id, &ufrag, &pwd)) {
    for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++) {
      GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (offer, i);
      for (guint k = 0; k < gst_sdp_media_attributes_len (m); k++) {
        const gchar *key = gst_sdp_media_get_attribute (m, k)->key;
        const gchar *value = g_strcmp0 (key, "ice-ufrag") == 0 ? ufrag
                             : g_strcmp0 (key, "ice-pwd") == 0 ? pwd
                                                               : NULL;
        GstSDPAttribute a;
        if (value && gst_sdp_attribute_set (&a, key, value) == GST_SDP_OK)
          gst_sdp_media_replace_attribute (m, k, &a);
      }
    }
  }
  g_free (ufrag);
  g_free (pwd);
  g_clear_object (&agent);
}

GPtrArray *
tci_local_candidates (GstElement *webrtc)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  guint id = 0;
  NiceAgent *agent = agent_and_stream (webrtc, &id);
  if (!agent)
    return out;
  GSList *list = nice_agent_get_local_candidates (agent, id, 1);
  for (GSList *l = list; l; l = l->next) {
    gchar *sdp = nice_agent_generate_local_candidate_sdp (agent, l->data);
    g_ptr_array_add (out, g_strdup (sdp + (g_str_has_prefix (sdp, "a=") ? 2 : 0)));
    g_free (sdp);
  }
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  g_object_unref (agent);
  return out;
}

gchar *
tci_remote_ufrag (GstElement *webrtc)
{
  GstWebRTCSessionDescription *d = NULL;
  g_object_get (webrtc, "current-remote-description", &d, NULL);
  if (!d)
    return NULL;
  const GstSDPMedia *m =
      gst_sdp_message_medias_len (d->sdp) > 0 ? gst_sdp_message_get_media (d->sdp, 0) : NULL;
  gchar *ufrag = m ? g_strdup (gst_sdp_media_get_attribute_val (m, "ice-ufrag")) : NULL;
  gst_webrtc_session_description_free (d);
  return ufrag;
}

void
tci_limit_addresses (GstElement *webrtc, const gchar *addresses)
{
  GstWebRTCICE *ice = NULL;
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (!ice)
    return;
  g_auto (GStrv) list = g_strsplit (addresses, ",", -1);
  for (gchar **a = list; *a; a++) {
    gboolean added = FALSE;
    g_signal_emit_by_name (ice, "add-local-ip-address", *a, &added);
    if (!added)
      g_printerr ("client: ICE refused local address %s\n", *a);
  }
  NiceAgent *agent = NULL;
  g_object_get (ice, "agent", &agent, NULL);
  if (agent)
    g_object_set (agent, "keepalive-conncheck", TRUE, NULL);
  g_clear_object (&agent);
  gst_object_unref (ice);
}

gboolean
tci_switch_pair (GstElement *webrtc, const gchar *local_ip)
{
  guint id = 0;
  NiceAgent *agent = agent_and_stream (webrtc, &id);
  if (!agent)
    return FALSE;
  NiceAddress want;
  gboolean ok = FALSE;
  GSList *locals = nice_agent_get_local_candidates (agent, id, 1);
  GSList *remotes = nice_agent_get_remote_candidates (agent, id, 1);
  NiceCandidate *local = NULL;
  if (nice_address_set_from_string (&want, local_ip))
    for (GSList *l = locals; l && !local; l = l->next) {
      NiceCandidate *c = l->data;
      if (c->type == NICE_CANDIDATE_TYPE_HOST && c->transport == NICE_CANDIDATE_TRANSPORT_UDP
          && nice_address_equal_no_port (&c->addr, &want))
        local = c;
    }
  if (local && remotes)
    ok = nice_agent_set_selected_pair (agent, id, 1, local->foundation,
                                       ((NiceCandidate *) remotes->data)->foundation);
  g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);
  g_slist_free_full (remotes, (GDestroyNotify) nice_candidate_free);
  g_object_unref (agent);
  return ok;
}
