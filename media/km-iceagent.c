/* km-iceagent.c — webrtcbin's ICE agent, without a thread per participant.
 *
 * webrtcbin 1.22 takes its ICE implementation as the construct-only
 * property "ice-agent".  Its own (GstWebRTCNice) starts a thread per
 * webrtcbin to run the libnice agent's GMainContext: timers for
 * connectivity checks, keepalives and consent.  Once media flows that
 * thread only wakes for a timer now and then, and a node with hundreds of
 * participants would carry hundreds of them.
 *
 * KmIceAgent is the same ICE for webrtcbin — one libnice agent per
 * participant, the same roles, credentials, candidates and restarts — with
 * every agent on one GMainContext, run by one thread of the process
 * ("km-ice").  Receiving is not done here: the agents' sockets move to
 * kontor's receive threads (km-nicerecv.c) once media flows, and libnice
 * answers STUN where it receives.  Streams and transports are libnice's
 * own GstWebRTCNiceStream and GstWebRTCNiceTransport, which need of their
 * ICE object nothing but its "agent" property.
 *
 * KONTOR_MEDIA_WEBRTCNICE=1 keeps GStreamer's agent (for comparisons).
 */
#include "media/km-private.h"

#include <string.h>

#include <gio/gio.h>
#include <gst/webrtc/nice/nice.h>
#include <nice/agent.h>

struct _KmIceAgent {
  GstWebRTCICE parent;
  NiceAgent *agent;
  gulong candidate_handler;

  /* Set from webrtcbin's thread, read on whichever thread libnice
   * signals a candidate from. */
  GMutex lock;
  GArray *streams; /* StreamItem */
  GstWebRTCICEOnCandidateFunc on_candidate;
  gpointer on_candidate_data;
  GDestroyNotify on_candidate_notify;

  GstUri *stun_server, *turn_server;
  GPtrArray *turn_servers; /* GstUri*, added by add_turn_server */
  gchar *http_proxy;
  /* The browser's mDNS names: name → its address, "" while looked up.
   * Only touched on the agents' thread. */
  GHashTable *names;
};

/* A libnice stream and the webrtcbin session it serves (with bundling,
 * one per participant). */
typedef struct {
  guint session_id;
  GstWebRTCICEStream *stream; /* ->stream_id is libnice's */
} StreamItem;

enum { PROP_0, PROP_AGENT, PROP_ICE_TCP, PROP_ICE_UDP };

G_DEFINE_FINAL_TYPE (KmIceAgent, km_ice_agent, GST_TYPE_WEBRTC_ICE)

/* The context every agent runs on, and its thread: started on first use,
 * kept as long as the process (as the receive threads are). */
static gpointer
run_context (gpointer data)
{
  GMainContext *context = data;
  g_main_context_push_thread_default (context);
  g_autoptr (GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_main_loop_run (loop);
  return NULL;
}

static GMainContext *
shared_context (void)
{
  static GMainContext *context;
  if (g_once_init_enter (&context)) {
    GMainContext *c = g_main_context_new ();
    g_thread_unref (g_thread_new ("km-ice", run_context, c));
    g_once_init_leave (&context, c);
  }
  return context;
}

static GWeakRef *
weak_new (gpointer object)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, object);
  return weak;
}

static void
weak_free (gpointer data, GClosure *closure)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* The session of libnice's stream_id, under self->lock. */
static gboolean
session_of (KmIceAgent *self, guint stream_id, guint *session_id)
{
  for (guint i = 0; i < self->streams->len; i++) {
    StreamItem *item = &g_array_index (self->streams, StreamItem, i);
    if (item->stream->stream_id == stream_id) {
      *session_id = item->session_id;
      return TRUE;
    }
  }
  return FALSE;
}

/* libnice found a local candidate: webrtcbin wants it as an SDP line, and
 * the session rather than the stream.  (The line carries no credentials:
 * those go in the description's ice-ufrag and ice-pwd.) */
static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
  g_autoptr (KmIceAgent) self = g_weak_ref_get (data);
  if (!self)
    return;
  guint session_id = 0;
  GstWebRTCICEOnCandidateFunc func;
  gpointer func_data;
  g_mutex_lock (&self->lock);
  gboolean known = session_of (self, candidate->stream_id, &session_id);
  func = self->on_candidate;
  func_data = self->on_candidate_data;
  g_mutex_unlock (&self->lock);
  if (!known || !func) {
    GST_DEBUG_OBJECT (self, "candidate of stream %u not passed on", candidate->stream_id);
    return;
  }
  g_autofree gchar *attr = nice_agent_generate_local_candidate_sdp (agent, candidate);
  func (GST_WEBRTC_ICE (self), session_id, attr, func_data);
}

static void
apply_turn_server (KmIceAgent *self, guint stream_id, GstUri *uri)
{
  const gchar *scheme = gst_uri_get_scheme (uri);
  const gchar *transport = gst_uri_get_query_value (uri, "transport");
  g_auto (GStrv) userinfo = g_strsplit (gst_uri_get_userinfo (uri), ":", 2);
  g_autofree gchar *user = g_uri_unescape_string (userinfo[0], NULL);
  g_autofree gchar *pass = userinfo[1] ? g_uri_unescape_string (userinfo[1], NULL) : NULL;
  NiceRelayType types[2];
  guint n = 0;
  if (g_strcmp0 (scheme, "turns") == 0)
    types[n++] = NICE_RELAY_TYPE_TURN_TLS;
  else {
    if (!transport || g_strcmp0 (transport, "udp") == 0)
      types[n++] = NICE_RELAY_TYPE_TURN_UDP;
    if (!transport || g_strcmp0 (transport, "tcp") == 0)
      types[n++] = NICE_RELAY_TYPE_TURN_TCP;
  }
  for (guint i = 0; i < n; i++)
    if (!nice_agent_set_relay_info (self->agent, stream_id, NICE_COMPONENT_TYPE_RTP,
                                    gst_uri_get_host (uri), gst_uri_get_port (uri), user, pass,
                                    types[i]))
      GST_ERROR_OBJECT (self, "libnice refused TURN server %s", gst_uri_get_host (uri));
}

static GstWebRTCICEStream *
add_stream (GstWebRTCICE *ice, guint session_id)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->streams->len; i++)
    if (g_array_index (self->streams, StreamItem, i).session_id == session_id) {
      g_mutex_unlock (&self->lock);
      GST_ERROR_OBJECT (self, "session %u already has a stream", session_id);
      return NULL;
    }
  g_mutex_unlock (&self->lock);

  if (self->stun_server)
    g_object_set (self->agent, "stun-server", gst_uri_get_host (self->stun_server),
                  "stun-server-port", gst_uri_get_port (self->stun_server), NULL);
  guint stream_id = nice_agent_add_stream (self->agent, 1);
  if (!stream_id) {
    GST_ERROR_OBJECT (self, "libnice refused a stream for session %u", session_id);
    return NULL;
  }
  if (self->turn_server)
    apply_turn_server (self, stream_id, self->turn_server);
  for (guint i = 0; i < self->turn_servers->len; i++)
    apply_turn_server (self, stream_id, g_ptr_array_index (self->turn_servers, i));

  StreamItem item = {
    .session_id = session_id,
    /* gst_webrtc_nice_stream_new is not exported; its type is. */
    .stream = g_object_new (GST_TYPE_WEBRTC_NICE_STREAM, "ice", ice, "stream-id", stream_id, NULL),
  };
  g_mutex_lock (&self->lock);
  g_array_append_val (self->streams, item);
  g_mutex_unlock (&self->lock);
  /* As GStreamer's agent: the stream stays ours, webrtcbin borrows it. */
  return item.stream;
}

static GstWebRTCICETransport *
find_transport (GstWebRTCICE *ice, GstWebRTCICEStream *stream, GstWebRTCICEComponent component)
{
  return gst_webrtc_ice_stream_find_transport (stream, component);
}

static gboolean
gather_candidates (GstWebRTCICE *ice, GstWebRTCICEStream *stream)
{
  return gst_webrtc_ice_stream_gather_candidates (stream);
}

static void
add_remote_candidate (KmIceAgent *self, guint stream_id, const gchar *line)
{
  NiceCandidate *c = nice_agent_parse_remote_candidate_sdp (self->agent, stream_id, line);
  if (!c) {
    GST_WARNING_OBJECT (self, "could not read candidate \"%s\"", line);
    return;
  }
  /* Everything is multiplexed on RTP's component (rtcp-mux). */
  if (c->component_id == NICE_COMPONENT_TYPE_RTP) {
    GSList one = { .data = c };
    nice_agent_set_remote_candidates (self->agent, stream_id, c->component_id, &one);
  }
  nice_candidate_free (c);
}

/* A browser hides its host address behind an mDNS name (….local); the
 * name is looked up on the agents' thread, and the candidate added with
 * the address it resolves to.  The name comes from a page, so only the
 * form browsers make is looked up (a random UUID: Chromium, Firefox and
 * Safari alike), and only a few names per participant, each once (an ICE
 * restart sends the same name again): anything else would let a page
 * have the node ask its resolver for names of the page's choosing, each
 * lookup holding one of GLib's resolver threads.  A relay on a
 * server rarely resolves one at all (the name lives on the browser's own
 * network); the browser's checks still reach it from the address behind
 * the name, which libnice learns as a peer-reflexive candidate. */
#define KM_MDNS_NAMES_MAX 8

static gboolean
is_mdns_name (const gchar *name)
{
  static const gchar form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.local";
  if (strlen (name) != sizeof form - 1 || !g_str_has_suffix (name, ".local"))
    return FALSE;
  for (gsize i = 0; form[i] != '.'; i++)
    if (form[i] == '-' ? name[i] != '-' : !g_ascii_isxdigit (name[i]))
      return FALSE;
  return TRUE;
}

typedef struct {
  GWeakRef self;
  guint stream_id;
  gchar **parts; /* the line split at its address: 4 before, the address, the rest */
} Lookup;

static void
lookup_free (Lookup *l)
{
  g_weak_ref_clear (&l->self);
  g_strfreev (l->parts);
  g_free (l);
}

/* The candidate, its name replaced by address. */
static void
add_resolved (KmIceAgent *self, Lookup *l, const gchar *address)
{
  g_free (l->parts[4]);
  l->parts[4] = g_strdup (address);
  g_autofree gchar *line = g_strjoinv (" ", l->parts);
  add_remote_candidate (self, l->stream_id, line);
}

static void
on_resolved (GObject *resolver, GAsyncResult *result, gpointer data)
{
  Lookup *l = data;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (resolver), result, &error);
  g_autoptr (KmIceAgent) self = g_weak_ref_get (&l->self);
  if (self && addresses) {
    gchar *address = g_inet_address_to_string (addresses->data);
    g_hash_table_replace (self->names, g_strdup (l->parts[4]), address);
    add_resolved (self, l, address);
  } else if (self) {
    GST_WARNING_OBJECT (self, "could not resolve %s: %s", l->parts[4], error->message);
  }
  g_resolver_free_addresses (addresses);
  lookup_free (l);
}

/* On the agents' thread. */
static gboolean
start_lookup (gpointer data)
{
  Lookup *l = data;
  g_autoptr (KmIceAgent) self = g_weak_ref_get (&l->self);
  const gchar *known = self ? g_hash_table_lookup (self->names, l->parts[4]) : NULL;
  if (!self) {
    lookup_free (l);
  } else if (known && *known) {
    add_resolved (self, l, known);
    lookup_free (l);
  } else if (!known && g_hash_table_size (self->names) >= KM_MDNS_NAMES_MAX) {
    GST_INFO_OBJECT (self, "not looking up %s: %u names looked up already", l->parts[4],
                     g_hash_table_size (self->names));
    lookup_free (l);
  } else {
    if (!known)
      g_hash_table_insert (self->names, g_strdup (l->parts[4]), g_strdup (""));
    g_autoptr (GResolver) resolver = g_resolver_get_default ();
    g_resolver_lookup_by_name_async (resolver, l->parts[4], NULL, on_resolved, l);
  }
  return G_SOURCE_REMOVE;
}

/* candidate: "a=candidate:…", or NULL when the peer has no more. */
static void
add_candidate (GstWebRTCICE *ice, GstWebRTCICEStream *stream, const gchar *candidate)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  if (!candidate) {
    nice_agent_peer_candidate_gathering_done (self->agent, stream->stream_id);
    return;
  }
  gchar **parts = g_strsplit (candidate, " ", 6);
  if (g_strv_length (parts) == 6 && g_str_has_suffix (parts[4], ".local")) {
    if (!is_mdns_name (parts[4])) {
      GST_INFO_OBJECT (self, "not looking up %.64s: not a name a browser makes", parts[4]);
      g_strfreev (parts);
      return;
    }
    Lookup *l = g_new0 (Lookup, 1);
    g_weak_ref_init (&l->self, self);
    l->stream_id = stream->stream_id;
    l->parts = parts;
    g_main_context_invoke (shared_context (), start_lookup, l);
    return;
  }
  g_strfreev (parts);
  add_remote_candidate (self, stream->stream_id, candidate);
}

static gboolean
set_local_credentials (GstWebRTCICE *ice, GstWebRTCICEStream *stream, const gchar *ufrag,
                       const gchar *pwd)
{
  return nice_agent_set_local_credentials (KM_ICE_AGENT (ice)->agent, stream->stream_id, ufrag,
                                           pwd);
}

static gboolean
set_remote_credentials (GstWebRTCICE *ice, GstWebRTCICEStream *stream, const gchar *ufrag,
                        const gchar *pwd)
{
  return nice_agent_set_remote_credentials (KM_ICE_AGENT (ice)->agent, stream->stream_id, ufrag,
                                            pwd);
}

static void
set_is_controller (GstWebRTCICE *ice, gboolean controller)
{
  g_object_set (KM_ICE_AGENT (ice)->agent, "controlling-mode", controller, NULL);
}

static gboolean
get_is_controller (GstWebRTCICE *ice)
{
  gboolean controller = FALSE;
  g_object_get (KM_ICE_AGENT (ice)->agent, "controlling-mode", &controller, NULL);
  return controller;
}

static void
set_force_relay (GstWebRTCICE *ice, gboolean force)
{
  g_object_set (KM_ICE_AGENT (ice)->agent, "force-relay", force, NULL);
}

static void
set_tos (GstWebRTCICE *ice, GstWebRTCICEStream *stream, guint tos)
{
  nice_agent_set_stream_tos (KM_ICE_AGENT (ice)->agent, stream->stream_id, tos);
}

/* stun://host[:port], as GStreamer's agent reads it; NULL (logged) if not. */
static GstUri *
parse_stun (KmIceAgent *self, const gchar *s)
{
  g_autoptr (GstUri) uri = gst_uri_from_string (s);
  if (!uri || g_strcmp0 (gst_uri_get_scheme (uri), "stun") != 0 || !gst_uri_get_host (uri)) {
    GST_ERROR_OBJECT (self, "STUN server \"%s\" is not stun://host:port", s);
    return NULL;
  }
  if (gst_uri_get_port (uri) == GST_URI_NO_PORT)
    gst_uri_set_port (uri, 3478);
  return g_steal_pointer (&uri);
}

/* turn(s)://user:password@host[:port][?transport=udp|tcp]. */
static GstUri *
parse_turn (KmIceAgent *self, const gchar *s)
{
  g_autoptr (GstUri) uri = gst_uri_from_string (s);
  const gchar *scheme = uri ? gst_uri_get_scheme (uri) : NULL;
  const gchar *userinfo = uri ? gst_uri_get_userinfo (uri) : NULL;
  if (!uri || (g_strcmp0 (scheme, "turn") != 0 && g_strcmp0 (scheme, "turns") != 0)
      || !gst_uri_get_host (uri) || !userinfo || !strchr (userinfo, ':')) {
    GST_ERROR_OBJECT (self, "TURN server \"%s\" is not turn(s)://user:password@host:port", s);
    return NULL;
  }
  if (gst_uri_get_port (uri) == GST_URI_NO_PORT)
    gst_uri_set_port (uri, g_strcmp0 (scheme, "turns") == 0 ? 5349 : 3478);
  return g_steal_pointer (&uri);
}

static void
set_stun_server (GstWebRTCICE *ice, const gchar *s)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  g_clear_pointer (&self->stun_server, gst_uri_unref);
  if (s)
    self->stun_server = parse_stun (self, s);
}

static gchar *
get_stun_server (GstWebRTCICE *ice)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  return self->stun_server ? gst_uri_to_string (self->stun_server) : NULL;
}

static void
set_turn_server (GstWebRTCICE *ice, const gchar *s)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  g_clear_pointer (&self->turn_server, gst_uri_unref);
  if (s)
    self->turn_server = parse_turn (self, s);
}

static gchar *
get_turn_server (GstWebRTCICE *ice)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  return self->turn_server ? gst_uri_to_string (self->turn_server) : NULL;
}

static gboolean
add_turn_server (GstWebRTCICE *ice, const gchar *s)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  GstUri *uri = parse_turn (self, s);
  if (!uri)
    return FALSE;
  g_ptr_array_add (self->turn_servers, uri);
  g_mutex_lock (&self->lock);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < self->streams->len; i++)
    g_array_append_val (ids, g_array_index (self->streams, StreamItem, i).stream->stream_id);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < ids->len; i++)
    apply_turn_server (self, g_array_index (ids, guint, i), uri);
  return TRUE;
}

/* The relay talks to browsers and a TURN server directly: a proxy is kept
 * for webrtcbin's property, not used. */
static void
set_http_proxy (GstWebRTCICE *ice, const gchar *uri)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  g_free (self->http_proxy);
  self->http_proxy = g_strdup (uri);
  if (uri)
    GST_WARNING_OBJECT (self, "HTTP proxy %s not used by kontor's ICE agent", uri);
}

static gchar *
get_http_proxy (GstWebRTCICE *ice)
{
  return g_strdup (KM_ICE_AGENT (ice)->http_proxy);
}

static void
set_on_ice_candidate (GstWebRTCICE *ice, GstWebRTCICEOnCandidateFunc func, gpointer data,
                      GDestroyNotify notify)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  g_mutex_lock (&self->lock);
  gpointer old_data = self->on_candidate_data;
  GDestroyNotify old_notify = self->on_candidate_notify;
  self->on_candidate = func;
  self->on_candidate_data = data;
  self->on_candidate_notify = notify;
  g_mutex_unlock (&self->lock);
  if (old_notify)
    old_notify (old_data);
}

static const gchar *
candidate_type (NiceCandidateType type)
{
  switch (type) {
  case NICE_CANDIDATE_TYPE_HOST:
    return "host";
  case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
    return "srflx";
  case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
    return "prflx";
  case NICE_CANDIDATE_TYPE_RELAYED:
    return "relay";
  }
  return "unknown";
}

static const gchar *
relay_proto (GstUri *turn)
{
  const gchar *transport = turn ? gst_uri_get_query_value (turn, "transport") : NULL;
  if (!turn)
    return "none";
  if (g_strcmp0 (gst_uri_get_scheme (turn), "turns") == 0)
    return "tls";
  return g_strcmp0 (transport, "tcp") == 0 ? "tcp" : "udp";
}

/* For webrtcbin's get-stats. */
static GstWebRTCICECandidateStats *
candidate_stats (KmIceAgent *self, NiceCandidate *c, GstWebRTCICEStream *stream, gboolean local)
{
  GstWebRTCICECandidateStats *stats = g_new0 (GstWebRTCICECandidateStats, 1);
  gchar address[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string (&c->addr, address);
  stats->ipaddr = g_strdup (address);
  stats->port = nice_address_get_port (&c->addr);
  stats->stream_id = stream->stream_id;
  stats->type = candidate_type (c->type);
  stats->prio = c->priority;
  stats->proto = c->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
  if (local) {
    NiceAddress server;
    gchar server_address[NICE_ADDRESS_STRING_LEN] = "";
    if (c->type == NICE_CANDIDATE_TYPE_RELAYED) {
      nice_candidate_relay_address (c, &server);
      nice_address_to_string (&server, server_address);
      stats->relay_proto = relay_proto (self->turn_server);
    } else if (c->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE
               && nice_candidate_stun_server_address (c, &server)) {
      nice_address_to_string (&server, server_address);
    }
    stats->url = g_strdup (server_address);
  }
  return stats;
}

static GstWebRTCICECandidateStats **
candidates_stats (KmIceAgent *self, GstWebRTCICEStream *stream, gboolean local)
{
  GSList *list = local ? nice_agent_get_local_candidates (self->agent, stream->stream_id,
                                                          NICE_COMPONENT_TYPE_RTP)
                       : nice_agent_get_remote_candidates (self->agent, stream->stream_id,
                                                           NICE_COMPONENT_TYPE_RTP);
  GPtrArray *out = g_ptr_array_new ();
  for (GSList *l = list; l; l = l->next)
    g_ptr_array_add (out, candidate_stats (self, l->data, stream, local));
  g_ptr_array_add (out, NULL);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  return (GstWebRTCICECandidateStats **) g_ptr_array_free (out, FALSE);
}

static GstWebRTCICECandidateStats **
get_local_candidates (GstWebRTCICE *ice, GstWebRTCICEStream *stream)
{
  return candidates_stats (KM_ICE_AGENT (ice), stream, TRUE);
}

static GstWebRTCICECandidateStats **
get_remote_candidates (GstWebRTCICE *ice, GstWebRTCICEStream *stream)
{
  return candidates_stats (KM_ICE_AGENT (ice), stream, FALSE);
}

static gboolean
get_selected_pair (GstWebRTCICE *ice, GstWebRTCICEStream *stream,
                   GstWebRTCICECandidateStats **local, GstWebRTCICECandidateStats **remote)
{
  KmIceAgent *self = KM_ICE_AGENT (ice);
  NiceCandidate *l = NULL, *r = NULL;
  if (!stream
      || !nice_agent_get_selected_pair (self->agent, stream->stream_id, NICE_COMPONENT_TYPE_RTP, &l,
                                        &r))
    return FALSE;
  *local = candidate_stats (self, l, stream, TRUE);
  *remote = candidate_stats (self, r, stream, FALSE);
  return TRUE;
}

static gboolean
add_local_ip_address (GstWebRTCICE *ice, const gchar *address)
{
  NiceAddress a;
  nice_address_init (&a);
  if (!nice_address_set_from_string (&a, address)) {
    GST_ERROR_OBJECT (ice, "\"%s\" is not an IP address", address);
    return FALSE;
  }
  return nice_agent_add_local_address (KM_ICE_AGENT (ice)->agent, &a);
}

static void
km_ice_agent_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  KmIceAgent *self = KM_ICE_AGENT (object);
  switch (id) {
  case PROP_AGENT:
    g_value_set_object (value, self->agent);
    break;
  case PROP_ICE_TCP:
  case PROP_ICE_UDP:
    g_object_get_property (G_OBJECT (self->agent), pspec->name, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static void
km_ice_agent_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  KmIceAgent *self = KM_ICE_AGENT (object);
  switch (id) {
  case PROP_ICE_TCP:
  case PROP_ICE_UDP:
    g_object_set_property (G_OBJECT (self->agent), pspec->name, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static void
km_ice_agent_finalize (GObject *object)
{
  KmIceAgent *self = KM_ICE_AGENT (object);
  g_signal_handler_disconnect (self->agent, self->candidate_handler);
  if (self->on_candidate_notify)
    self->on_candidate_notify (self->on_candidate_data);
  for (guint i = 0; i < self->streams->len; i++)
    gst_object_unref (g_array_index (self->streams, StreamItem, i).stream);
  g_array_unref (self->streams);
  /* nicesrc and nicesink may hold the agent a little longer; it removes
   * its sources from the shared context when the last goes. */
  g_object_unref (self->agent);
  g_clear_pointer (&self->stun_server, gst_uri_unref);
  g_clear_pointer (&self->turn_server, gst_uri_unref);
  g_ptr_array_unref (self->turn_servers);
  g_free (self->http_proxy);
  g_hash_table_unref (self->names);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (km_ice_agent_parent_class)->finalize (object);
}

static void
km_ice_agent_init (KmIceAgent *self)
{
  g_mutex_init (&self->lock);
  self->streams = g_array_new (FALSE, FALSE, sizeof (StreamItem));
  self->turn_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_uri_unref);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* As GStreamer's agent: trickled candidates, and regular nomination,
   * which browsers expect of a controlling peer. */
  self->agent =
      nice_agent_new_full (shared_context (), NICE_COMPATIBILITY_RFC5245,
                           NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_REGULAR_NOMINATION);
  self->candidate_handler =
      g_signal_connect_data (self->agent, "new-candidate-full", G_CALLBACK (on_new_candidate),
                             weak_new (self), weak_free, 0);
}

static void
km_ice_agent_class_init (KmIceAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstWebRTCICEClass *ice_class = GST_WEBRTC_ICE_CLASS (klass);
  object_class->get_property = km_ice_agent_get_property;
  object_class->set_property = km_ice_agent_set_property;
  object_class->finalize = km_ice_agent_finalize;

  ice_class->add_stream = add_stream;
  ice_class->find_transport = find_transport;
  ice_class->gather_candidates = gather_candidates;
  ice_class->add_candidate = add_candidate;
  ice_class->set_local_credentials = set_local_credentials;
  ice_class->set_remote_credentials = set_remote_credentials;
  ice_class->add_turn_server = add_turn_server;
  ice_class->set_is_controller = set_is_controller;
  ice_class->get_is_controller = get_is_controller;
  ice_class->set_force_relay = set_force_relay;
  ice_class->set_stun_server = set_stun_server;
  ice_class->get_stun_server = get_stun_server;
  ice_class->set_turn_server = set_turn_server;
  ice_class->get_turn_server = get_turn_server;
  ice_class->set_http_proxy = set_http_proxy;
  ice_class->get_http_proxy = get_http_proxy;
  ice_class->set_tos = set_tos;
  ice_class->set_on_ice_candidate = set_on_ice_candidate;
  ice_class->get_local_candidates = get_local_candidates;
  ice_class->get_remote_candidates = get_remote_candidates;
  ice_class->get_selected_pair = get_selected_pair;

  /* The "agent" name and type are what libnice's stream and transport
   * objects (and km-ice.c) read. */
  g_object_class_install_property (
      object_class, PROP_AGENT,
      g_param_spec_object ("agent", "Agent", "The participant's libnice agent", NICE_TYPE_AGENT,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      object_class, PROP_ICE_TCP,
      g_param_spec_boolean ("ice-tcp", "ICE-TCP", "Gather TCP candidates", TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      object_class, PROP_ICE_UDP,
      g_param_spec_boolean ("ice-udp", "ICE-UDP", "Gather UDP candidates", TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_signal_override_class_handler ("add-local-ip-address", G_TYPE_FROM_CLASS (klass),
                                   G_CALLBACK (add_local_ip_address));
}

GstWebRTCICE *
km_ice_agent_new (const gchar *name)
{
  GstWebRTCICE *ice = g_object_new (KM_TYPE_ICE_AGENT, "name", name, NULL);
  return GST_WEBRTC_ICE (gst_object_ref_sink (ice));
}
