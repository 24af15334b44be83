/* test-iceagent.c — kontor's ICE agent for webrtcbin (media/km-iceagent.c)
 * on its own: what webrtcbin asks of it, and two of them finding each
 * other across the namespace's veth pair with every check and timer run
 * on the process's one km-ice thread. */
#include <string.h>

#include "media/km-private.h"
#include "tests/media/harness.h"

#include <gst/webrtc/nice/nice.h>
#include <nice/agent.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NiceAgent, g_object_unref)

/* What an agent signalled, as webrtcbin would have received it. */
typedef struct {
  GMutex lock;
  GCond cond;
  GPtrArray *lines; /* "a=candidate:…" */
  guint session;
} Seen;

static void
on_candidate (GstWebRTCICE *ice, guint session, const gchar *line, gpointer data)
{
  Seen *seen = data;
  g_mutex_lock (&seen->lock);
  seen->session = session;
  g_ptr_array_add (seen->lines, g_strdup (line));
  g_cond_broadcast (&seen->cond);
  g_mutex_unlock (&seen->lock);
}

static gboolean
wait_candidates (Seen *seen, guint n)
{
  gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&seen->lock);
  while (seen->lines->len < n)
    if (!g_cond_wait_until (&seen->cond, &seen->lock, end))
      break;
  gboolean ok = seen->lines->len >= n;
  g_mutex_unlock (&seen->lock);
  return ok;
}

static NiceAgent *
agent_of (GstWebRTCICE *ice)
{
  NiceAgent *agent = NULL;
  g_object_get (ice, "agent", &agent, NULL);
  return agent;
}

static void
drop (NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
}

typedef struct {
  GstWebRTCICE *ice;
  GstWebRTCICEStream *stream;
  GstWebRTCICETransport *transport;
  Seen seen;
} Side;

static int
side_init (Side *s, const gchar *name, const gchar *address, gboolean controlling)
{
  g_mutex_init (&s->seen.lock);
  g_cond_init (&s->seen.cond);
  s->seen.lines = g_ptr_array_new_with_free_func (g_free);
  s->ice = km_ice_agent_new (name);
  gst_webrtc_ice_set_on_ice_candidate (s->ice, on_candidate, &s->seen, NULL);
  gboolean added = FALSE;
  g_signal_emit_by_name (s->ice, "add-local-ip-address", address, &added);
  CHECK (added, "%s: address %s refused", name, address);
  gst_webrtc_ice_set_is_controller (s->ice, controlling);
  s->stream = gst_webrtc_ice_add_stream (s->ice, 3);
  CHECK (s->stream != NULL, "%s: no stream", name);
  s->transport = gst_webrtc_ice_find_transport (s->ice, s->stream, GST_WEBRTC_ICE_COMPONENT_RTP);
  CHECK (s->transport && s->transport->src && s->transport->sink,
         "%s: no transport with nicesrc and nicesink", name);
  /* libnice reads a socket (STUN included) only once someone receives on
   * it: nicesrc in webrtcbin, km-nicerecv.c later; here the agent's own
   * thread, where nothing but STUN arrives. */
  g_autoptr (NiceAgent) agent = agent_of (s->ice);
  GMainContext *context = NULL;
  g_object_get (agent, "main-context", &context, NULL);
  nice_agent_attach_recv (agent, s->stream->stream_id, NICE_COMPONENT_TYPE_RTP, context, drop,
                          NULL);
  g_main_context_unref (context);
  return 0;
}

static void
side_clear (Side *s)
{
  gst_clear_object (&s->transport);
  gst_clear_object (&s->ice);
  g_ptr_array_unref (s->seen.lines);
  g_mutex_clear (&s->seen.lock);
  g_cond_clear (&s->seen.cond);
}

static GstWebRTCICEConnectionState
transport_state (Side *s)
{
  GstWebRTCICEConnectionState state;
  g_object_get (s->transport, "state", &state, NULL);
  return state;
}

/* What webrtcbin asks besides a connection: the same session twice, the
 * servers it is given, candidates it cannot use, statistics. */
static int
test_requests (void)
{
  g_autoptr (GstWebRTCICE) ice = km_ice_agent_new ("requests");
  g_autoptr (NiceAgent) agent = agent_of (ice);
  CHECK (NICE_IS_AGENT (agent), "no libnice agent behind \"agent\"");
  GMainContext *context = NULL;
  g_object_get (agent, "main-context", &context, NULL);
  CHECK (context && context != g_main_context_default (),
         "the agent does not run on kontor's own context");
  g_main_context_unref (context);
  /* The thread names itself once it runs: give it a moment. */
  for (guint i = 0; i < 100 && harness_threads ("km-ice", FALSE) == 0; i++)
    g_usleep (10 * 1000);
  CHECK (harness_threads ("km-ice", FALSE) == 1, "%u km-ice threads",
         harness_threads ("km-ice", FALSE));

  gst_webrtc_ice_set_stun_server (ice, "stun://10.97.0.9:3479");
  g_autofree gchar *stun = gst_webrtc_ice_get_stun_server (ice);
  CHECK (g_strcmp0 (stun, "stun://10.97.0.9:3479") == 0, "STUN server read back as %s", stun);
  gst_webrtc_ice_set_turn_server (ice, "turn://10.97.0.9:3478");
  g_autofree gchar *turn = gst_webrtc_ice_get_turn_server (ice);
  CHECK (turn == NULL, "a TURN server without credentials was kept: %s", turn);
  CHECK (!gst_webrtc_ice_add_turn_server (ice, "http://u:p@10.97.0.9"), "not TURN, but taken");
  CHECK (gst_webrtc_ice_add_turn_server (ice, "turn://user:pass@10.97.0.9:3478?transport=udp"),
         "a well-formed TURN server refused");

  GstWebRTCICEStream *stream = gst_webrtc_ice_add_stream (ice, 0);
  CHECK (stream != NULL, "no stream for session 0");
  CHECK (gst_webrtc_ice_add_stream (ice, 0) == NULL, "session 0 given a second stream");
  g_autofree gchar *stun_host = NULL;
  guint stun_port = 0;
  g_object_get (agent, "stun-server", &stun_host, "stun-server-port", &stun_port, NULL);
  CHECK (g_strcmp0 (stun_host, "10.97.0.9") == 0 && stun_port == 3479, "agent's STUN server %s:%u",
         stun_host, stun_port);

  /* An RTCP candidate (everything is on RTP's component), a line that is
   * no candidate: neither reaches libnice, and nothing breaks. */
  gst_webrtc_ice_add_candidate (ice, stream,
                                "a=candidate:1 2 UDP 2122260222 10.97.0.5 40001 typ host");
  gst_webrtc_ice_add_candidate (ice, stream, "a=candidate:garbage");
  gst_webrtc_ice_add_candidate (ice, stream,
                                "a=candidate:1 1 UDP 2122260223 10.97.0.5 40000 typ host");
  GstWebRTCICECandidateStats **remote = gst_webrtc_ice_get_remote_candidates (ice, stream);
  guint n = 0;
  for (; remote && remote[n]; n++)
    CHECK (g_strcmp0 (remote[n]->ipaddr, "10.97.0.5") == 0 && remote[n]->port == 40000
               && g_strcmp0 (remote[n]->type, "host") == 0,
           "remote candidate %s:%u %s", remote[n]->ipaddr, remote[n]->port, remote[n]->type);
  CHECK (n == 1, "%u remote candidates, expected the one usable", n);
  for (guint i = 0; remote && remote[i]; i++)
    gst_webrtc_ice_candidate_stats_free (remote[i]);
  g_free (remote);
  GstWebRTCICECandidateStats *l = NULL, *r = NULL;
  CHECK (!gst_webrtc_ice_get_selected_pair (ice, stream, &l, &r), "a pair before any check");
  return 0;
}

/* Two agents, as the relay and a browser would be, connect: credentials
 * and candidates exchanged the way webrtcbin exchanges them. */
static int
test_connect (void)
{
  Side a, b;
  if (side_init (&a, "relay", "10.97.0.1", TRUE) || side_init (&b, "browser", "10.97.0.2", FALSE))
    return 1;
  gst_webrtc_ice_set_local_credentials (a.ice, a.stream, "aaaa", "aaaaaaaaaaaaaaaaaaaaaaaa");
  gst_webrtc_ice_set_local_credentials (b.ice, b.stream, "bbbb", "bbbbbbbbbbbbbbbbbbbbbbbb");
  gst_webrtc_ice_set_remote_credentials (a.ice, a.stream, "bbbb", "bbbbbbbbbbbbbbbbbbbbbbbb");
  gst_webrtc_ice_set_remote_credentials (b.ice, b.stream, "aaaa", "aaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK (gst_webrtc_ice_gather_candidates (a.ice, a.stream), "relay: no gathering");
  CHECK (gst_webrtc_ice_gather_candidates (b.ice, b.stream), "browser: no gathering");
  CHECK (wait_candidates (&a.seen, 1) && wait_candidates (&b.seen, 1), "no candidates gathered");
  CHECK (a.seen.session == 3, "candidate signalled for session %u, not 3", a.seen.session);
  for (guint i = 0; i < a.seen.lines->len; i++)
    CHECK (strstr (a.seen.lines->pdata[i], "10.97.0.1"), "relay gathered %s",
           (gchar *) a.seen.lines->pdata[i]);
  for (guint i = 0; i < a.seen.lines->len; i++)
    gst_webrtc_ice_add_candidate (b.ice, b.stream, a.seen.lines->pdata[i]);
  for (guint i = 0; i < b.seen.lines->len; i++)
    gst_webrtc_ice_add_candidate (a.ice, a.stream, b.seen.lines->pdata[i]);
  gst_webrtc_ice_add_candidate (a.ice, a.stream, NULL);

  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while ((transport_state (&a) != GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED
          || transport_state (&b) != GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED)
         && g_get_monotonic_time () < end)
    g_usleep (20 * 1000);
  CHECK (transport_state (&a) == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED
             && transport_state (&b) == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED,
         "not connected: states %d and %d", transport_state (&a), transport_state (&b));
  GstWebRTCICECandidateStats *l = NULL, *r = NULL;
  CHECK (gst_webrtc_ice_get_selected_pair (a.ice, a.stream, &l, &r), "relay: no selected pair");
  if (l && r) {
    g_print ("relay's pair: %s:%u -> %s:%u\n", l->ipaddr, l->port, r->ipaddr, r->port);
    CHECK (g_str_equal (l->ipaddr, "10.97.0.1") && g_str_equal (r->ipaddr, "10.97.0.2"),
           "pair %s -> %s", l->ipaddr, r->ipaddr);
    gst_webrtc_ice_candidate_stats_free (l);
    gst_webrtc_ice_candidate_stats_free (r);
  }
  CHECK (harness_threads ("km-ice", FALSE) == 1, "two agents on %u km-ice threads",
         harness_threads ("km-ice", FALSE));
  side_clear (&a);
  side_clear (&b);
  return 0;
}

/* ---- a browser's mDNS names ---- */

/* The resolver the agent asks, standing in for the system's: it knows one
 * name and counts what it was asked. */
#define KNOWN_NAME "1f3a2b4c-0d5e-4f60-8a7b-9c0d1e2f3a4b.local"

typedef struct {
  GResolver parent;
  gint asked; /* atomic */
} TestResolver;
typedef struct {
  GResolverClass parent;
} TestResolverClass;
G_DEFINE_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResolver, g_object_unref)

static void
test_resolver_lookup_async (GResolver *resolver, const gchar *name, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer data)
{
  g_atomic_int_inc (&((TestResolver *) resolver)->asked);
  g_autoptr (GTask) task = g_task_new (resolver, cancellable, callback, data);
  if (g_ascii_strcasecmp (name, KNOWN_NAME) == 0)
    g_task_return_pointer (task, g_list_append (NULL, g_inet_address_new_from_string ("10.97.0.5")),
                           (GDestroyNotify) g_resolver_free_addresses);
  else
    g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no %s", name);
}

static GList *
test_resolver_lookup_finish (GResolver *resolver, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  G_RESOLVER_CLASS (klass)->lookup_by_name_async = test_resolver_lookup_async;
  G_RESOLVER_CLASS (klass)->lookup_by_name_finish = test_resolver_lookup_finish;
}

static void
test_resolver_init (TestResolver *self)
{
}

/* The remote candidates' addresses, "a:port" each, joined by spaces. */
static gchar *
remote_addresses (GstWebRTCICE *ice, GstWebRTCICEStream *stream)
{
  GString *out = g_string_new (NULL);
  GstWebRTCICECandidateStats **remote = gst_webrtc_ice_get_remote_candidates (ice, stream);
  for (guint i = 0; remote && remote[i]; i++) {
    g_string_append_printf (out, "%s%s:%u", i ? " " : "", remote[i]->ipaddr, remote[i]->port);
    gst_webrtc_ice_candidate_stats_free (remote[i]);
  }
  g_free (remote);
  return g_string_free (out, FALSE);
}

/* Waits until the resolver was asked n times and the agent's thread has
 * run what the answers started. */
static gboolean
wait_asked (TestResolver *resolver, gint n)
{
  for (guint i = 0; i < 250 && g_atomic_int_get (&resolver->asked) < n; i++)
    g_usleep (20 * 1000);
  g_usleep (100 * 1000);
  return g_atomic_int_get (&resolver->asked) == n;
}

static gchar *
mdns_line (const gchar *name, guint port)
{
  return g_strdup_printf ("a=candidate:1 1 UDP 2122260223 %s %u typ host", name, port);
}

/* A browser's host candidate under its mDNS name is used with the address
 * the name resolves to; a name of any other form is never looked up, and
 * one participant gets at most eight names looked up, each once. */
static int
test_mdns (void)
{
  g_autoptr (TestResolver) resolver = g_object_new (test_resolver_get_type (), NULL);
  g_autoptr (GResolver) system = g_resolver_get_default ();
  g_resolver_set_default (G_RESOLVER (resolver));
  g_autoptr (GstWebRTCICE) ice = km_ice_agent_new ("mdns");
  GstWebRTCICEStream *stream = gst_webrtc_ice_add_stream (ice, 0);
  CHECK (stream != NULL, "no stream");

  g_autofree gchar *known = mdns_line (KNOWN_NAME, 40000);
  gst_webrtc_ice_add_candidate (ice, stream, known);
  CHECK (wait_asked (resolver, 1), "asked %d times, expected once", resolver->asked);
  g_autofree gchar *seen = remote_addresses (ice, stream);
  CHECK (g_strcmp0 (seen, "10.97.0.5:40000") == 0, "remote candidates \"%s\"", seen);

  /* Names a browser does not make: a printer's, a path, a UUID one
   * character short or with a letter that is no hex digit, a long one. */
  const gchar *odd[] = {
    "printer.local",
    "../../etc.local",
    "1f3a2b4c-0d5e-4f60-8a7b-9c0d1e2f3a4.local",
    "1f3a2b4c-0d5e-4f60-8a7b-9c0d1e2f3a4g.local",
    "1f3a2b4c0d5e-4f60-8a7b-9c0d1e2f3a4b-.local",
  };
  for (guint i = 0; i < G_N_ELEMENTS (odd); i++) {
    g_autofree gchar *line = mdns_line (odd[i], 40001 + i);
    gst_webrtc_ice_add_candidate (ice, stream, line);
  }
  g_autofree gchar *long_name = g_strnfill (900, 'a');
  g_autofree gchar *long_line = mdns_line (long_name, 40009);
  gst_webrtc_ice_add_candidate (ice, stream, long_line);
  CHECK (wait_asked (resolver, 1), "odd names looked up: asked %d times", resolver->asked);

  /* The same name again (as after an ICE restart) is not asked again. */
  g_autofree gchar *again = mdns_line (KNOWN_NAME, 40010);
  gst_webrtc_ice_add_candidate (ice, stream, again);
  CHECK (wait_asked (resolver, 1), "a known name asked again: %d times", resolver->asked);
  g_autofree gchar *both = remote_addresses (ice, stream);
  CHECK (strstr (both, "10.97.0.5:40010") != NULL, "remote candidates \"%s\"", both);

  /* Twenty further names that resolve to nothing: seven are asked (eight
   * with the first), the rest not; nothing is added for them. */
  for (guint i = 0; i < 20; i++) {
    g_autofree gchar *name = g_strdup_printf ("%08x-0d5e-4f60-8a7b-9c0d1e2f3a4b.local", i);
    g_autofree gchar *line = mdns_line (name, 41000 + i);
    gst_webrtc_ice_add_candidate (ice, stream, line);
  }
  CHECK (wait_asked (resolver, 8), "%d names asked, expected 8", resolver->asked);
  g_autofree gchar *after = remote_addresses (ice, stream);
  CHECK (g_strcmp0 (after, both) == 0, "remote candidates \"%s\", before \"%s\"", after, both);

  g_resolver_set_default (system);
  return 0;
}

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  if (test_requests () || test_connect () || test_mdns ())
    return 1;
  g_print ("ok\n");
  return 0;
}
