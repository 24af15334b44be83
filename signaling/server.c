/* server.c — the libwebsockets context on the GLib main loop: one vhost
 * serving web/ as files, the JSON API under /api and the WebSocket /ws. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-room.h"
#include "signaling/ks-staff.h"

#include <string.h>

/* One request per connection.
 *
 * libwebsockets 4.1.6 mishandles HTTP/1.1 pipelining: a request parsed out
 * of its buffer after a static file fails to parse (a 403 page); one parsed
 * while a callback mount's answer is pending re-binds the protocol under
 * it, so that answer is lost, and a POST after a GET leaves it spinning in
 * its rx-flow servicing.  So every answer says `Connection: close` and the
 * connection ends after it: the first request of a pipeline is always
 * answered, and the client sends the rest again on a new connection, as
 * HTTP/1.1 has it.  WebSockets are not affected (their 101 answer is
 * written apart from these headers).  The cost is a TCP (and TLS) handshake
 * per request; pages load a few dozen files at most.
 *
 * lws decides whether to keep a connection when a transaction completes,
 * from the request's own Connection header.  Adding the common headers
 * without a length is the one public call that makes it decide "close"
 * instead (into a scratch buffer: the headers themselves are not sent). */
static void
close_after_answer (struct lws *wsi)
{
  guchar scratch[LWS_PRE + 1024];
  guchar *p = scratch + LWS_PRE;
  if (lws_add_http_common_headers (wsi, HTTP_STATUS_OK, "application/octet-stream",
                                   LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, scratch + sizeof scratch))
    g_warning ("could not mark an HTTP connection to close after its answer");
}

/* An answer to a method lws does not serve (CONNECT turns the socket raw):
 * written whole, then the connection ends. */
static const char refuse_method[] = "HTTP/1.1 405 Method Not Allowed\r\n"
                                    "allow: GET, POST\r\n"
                                    "connection: close\r\n"
                                    "content-length: 0\r\n\r\n";

static int
files_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  switch (reason) {
  case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
    close_after_answer (wsi);
    return 0;
  case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: {
    /* lws hands out the vhost's SSL_CTX only here, while the context is
     * made: kept for ks_server_reload_tls(). */
    KsServer *server = lws_context_user (lws_get_context (wsi));
    server->ssl_ctx = user;
    return 0;
  }
  case LWS_CALLBACK_RAW_ADOPT:
    lws_callback_on_writable (wsi);
    return 0;
  case LWS_CALLBACK_RAW_RX:
    return 0; /* whatever follows a refused method is not read */
  case LWS_CALLBACK_RAW_WRITEABLE: {
    guchar buf[LWS_PRE + sizeof refuse_method];
    memcpy (buf + LWS_PRE, refuse_method, sizeof refuse_method - 1);
    lws_write (wsi, buf + LWS_PRE, sizeof refuse_method - 1, LWS_WRITE_RAW);
    return -1;
  }
  default:
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}

/* The first protocol serves web/ and answers plain HTTP that no mount
 * claims. */
static const struct lws_protocols protocols[] = {
  { "http", files_callback, 0, 0, 0, NULL, 0 },
  { "kontor-api", ks_http_callback, 0, 0, 0, NULL, 0 },
  { "kontor.v1", ks_ws_callback, sizeof (void *), 4096, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_protocol_vhost_options mime_svg = { NULL, NULL, ".svg", "image/svg+xml" };
static const struct lws_protocol_vhost_options mime_json = { &mime_svg, NULL, ".json",
                                                             "application/json" };
static const struct lws_protocol_vhost_options mime_mjs = { &mime_json, NULL, ".mjs",
                                                            "text/javascript" };
static const struct lws_protocol_vhost_options mime_ics = { &mime_mjs, NULL, ".ics",
                                                            "text/calendar" };

/* lws's own keep-alive is off (a policy of zeros: no validity timer on any
 * connection).  Its timer per socket sits in one sorted list, moved by a
 * walk of that list on every ping and pong, which made idle sockets cost
 * CPU with the square of their number; without a policy lws would still
 * ping every 300 s the same way.  kontor's own keep-alive below does the
 * same job for WebSockets.  HTTP/1 connections never had one (one request
 * per connection, info.timeout_secs); an HTTP/2 connection (tls_cert set)
 * carrying no WebSocket is closed after lws's keep-alive timeout. */
static const lws_retry_bo_t no_idle_policy = { 0 };

static const struct lws_http_mount readyz_mount = {
  .mountpoint = "/readyz",
  .origin = "kontor-api",
  .origin_protocol = LWSMPRO_CALLBACK,
  .mountpoint_len = 7,
};

static const struct lws_http_mount healthz_mount = {
  .mount_next = &readyz_mount,
  .mountpoint = "/healthz",
  .origin = "kontor-api",
  .origin_protocol = LWSMPRO_CALLBACK,
  .mountpoint_len = 8,
};

static const struct lws_http_mount metrics_mount = {
  .mount_next = &healthz_mount,
  .mountpoint = "/metrics",
  .origin = "kontor-api",
  .origin_protocol = LWSMPRO_CALLBACK,
  .mountpoint_len = 8,
};

static const struct lws_http_mount api_mount = {
  .mount_next = &metrics_mount,
  .mountpoint = "/api",
  .origin = "kontor-api",
  .origin_protocol = LWSMPRO_CALLBACK,
  .mountpoint_len = 4,
};

/* The headers sent with every answer.  The CSP allows only our own
 * scripts and styles, and WebSockets only to ourselves (public_url's
 * host; 'self' covers the page's own); Referrer-Policy keeps tokens out of
 * other sites' logs; over https, HSTS keeps browsers off plain HTTP. */
static void
security_headers (KsServer *server)
{
  const gchar *url = server->config->public_url;
  const gchar *host = strstr (url, "://");
  g_autofree gchar *ws = NULL;
  if (host && host[3] != '\0')
    ws = g_strdup_printf (" %s://%.*s", g_str_has_prefix (url, "https") ? "wss" : "ws",
                          (int) strcspn (host + 3, "/"), host + 3);
  server->csp =
      g_strdup_printf ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                       "connect-src 'self'%s; style-src 'self'; script-src 'self'; "
                       "frame-ancestors 'none'; base-uri 'none'",
                       ws ? ws : "");
  const struct {
    const gchar *name, *value;
  } all[] = {
    { "connection:", "close" },
    { "content-security-policy:", server->csp },
    { "x-content-type-options:", "nosniff" },
    { "referrer-policy:", "no-referrer" },
    { "permissions-policy:", "camera=(self), microphone=(self), display-capture=(self)" },
    { "strict-transport-security:", "max-age=31536000" },
  };
  guint n = G_N_ELEMENTS (all) - (server->secure ? 0 : 1);
  for (guint i = 0; i < n; i++)
    server->headers[i] = (struct lws_protocol_vhost_options){
      .next = i + 1 < n ? &server->headers[i + 1] : NULL,
      .name = all[i].name,
      .value = all[i].value,
    };
}

static void
log_emit (int level, const char *line)
{
  gsize n = strlen (line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    n--;
  if (level & LLL_ERR)
    g_warning ("lws: %.*s", (int) n, line);
  else
    g_message ("lws: %.*s", (int) n, line);
}

/* Bookings whose time has passed change status by themselves (no_show,
 * not_admitted); the caseworkers' open queues must show it. */
static void
sweep_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  KsServer *server = user_data;
  g_autoptr (GError) error = NULL;
  gint changed = kb_sweep_finish (server->store, result, &error);
  server->sweeping = FALSE;
  if (error) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_warning ("closing overdue bookings: %s", error->message);
    return;
  }
  if (changed <= 0)
    return;
  for (GList *l = server->clients; l; l = l->next) {
    KsClient *c = l->data;
    if (c->role == KS_ROLE_CASEWORKER)
      ks_queue_send (server, c);
  }
}

/* A socket whose peer vanished (a laptop lid, a lost network) must not keep
 * a job seeker "present" for ever: ping after 20 s of silence, hang up
 * after 45 s (client.c).  Pages answer pings by themselves (the browser
 * does).  One pass over the sockets every few seconds: a clock read and a
 * comparison each. */
static gboolean
keepalive_tick (gpointer user_data)
{
  KsServer *server = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean dropping = FALSE;
  for (GList *l = server->clients; l; l = l->next)
    dropping |= ks_client_keepalive (l->data, now);
  /* A timeout set outside lws's own callbacks waits for lws's next
   * service; waking it runs the drops now. */
  if (dropping)
    lws_cancel_service (server->context);
  return G_SOURCE_CONTINUE;
}

static gboolean
sweep_tick (gpointer user_data)
{
  KsServer *server = user_data;
  if (!server->sweeping) {
    server->sweeping = TRUE;
    kb_sweep_async (server->store, kb_clock_now (), server->cancellable, sweep_done, server);
  }
  ks_staff_recheck (server);
  ks_room_sweep (server);
  return G_SOURCE_CONTINUE;
}

void
ks_server_drain (KsServer *server)
{
  server->draining = TRUE;
}

gboolean
ks_server_reload_tls (KsServer *server, GError **error)
{
  if (!server->tls) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "no certificate to reload: tls_cert and tls_key are not set");
    return FALSE;
  }
  if (!server->ssl_ctx) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "libwebsockets gave no TLS context to reload");
    return FALSE;
  }
  g_autofree gchar *what =
      ks_tls_install (server->ssl_ctx, server->config->tls_cert, server->config->tls_key, error);
  if (!what)
    return FALSE;
  g_message ("TLS certificate reloaded from %s: %s", server->config->tls_cert, what);
  return TRUE;
}

guint
ks_server_meetings (KsServer *server)
{
  return ks_rooms_in_progress (server);
}

KsServer *
ks_server_new (const KsConfig *config, KbStore *store, GError **error)
{
  g_autoptr (KsServer) server = g_new0 (KsServer, 1);
  server->config = ks_config_copy (config);
  server->store = store;
  server->tls = *config->tls_cert != '\0';
  server->secure = server->tls || g_str_has_prefix (server->config->public_url, "https://");
  server->session_cookie = server->secure ? KS_SESSION_COOKIE_SECURE : KS_SESSION_COOKIE;
  security_headers (server);
  server->rooms =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) ks_room_free);
  server->seeker_moved = ks_queue_changed;
  server->host_lost = ks_room_evict;
  server->booking_over = ks_room_over;

  if (!g_file_test (config->web_root, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "web_root \"%s\" is not a folder",
                 config->web_root);
    return NULL;
  }

  lws_set_log_level (g_getenv ("KONTOR_LWS_DEBUG")
                         ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO | LLL_DEBUG
                         : LLL_ERR | LLL_WARN,
                     log_emit);

  /* lws joins the default main context through a GMainLoop of its own
   * (it only needs the loop to find the context). */
  static GMainLoop *lws_loop;
  if (!lws_loop)
    lws_loop = g_main_loop_new (NULL, FALSE);
  void *foreign_loops[1] = { lws_loop };

  /* lws keeps pointing at the mount for the life of the vhost. */
  struct lws_http_mount *files_mount = &server->files_mount;
  *files_mount = (struct lws_http_mount){
    .mount_next = &api_mount,
    .mountpoint = "/",
    .origin = server->config->web_root,
    .def = "index.html",
    .origin_protocol = LWSMPRO_FILE,
    .mountpoint_len = 1,
    .extra_mimetypes = &mime_ics,
    .cache_max_age = 0,
  };

  struct lws_context_creation_info info;
  memset (&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.foreign_loops = foreign_loops;
  info.port = (int) config->port;
  info.iface = *config->listen_address ? config->listen_address : NULL;
  info.protocols = protocols;
  info.mounts = files_mount;
  info.headers = &server->headers[0];
  info.user = server;
  info.vhost_name = "kontor";
  info.timeout_secs = 30;
  info.retry_and_idle_policy = &no_idle_policy;
  if (server->tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = config->tls_cert;
    info.ssl_private_key_filepath = config->tls_key;
  }

  server->context = lws_create_context (&info);
  if (server->context && server->tls && !server->ssl_ctx)
    g_warning ("libwebsockets gave no TLS context: SIGHUP cannot reload the certificate");
  if (!server->context) {
    g_set_error (error, KS_ERROR, KS_ERROR_LISTEN,
                 "cannot listen on %s port %u (in use, or no permission?)", config->listen_address,
                 config->port);
    return NULL;
  }
  g_message ("listening on %s port %u, serving %s", config->listen_address, config->port,
             config->web_root);
  server->cancellable = g_cancellable_new ();
  ks_hosts_start (server);
  server->sweep_source = g_timeout_add_seconds (30, sweep_tick, server);
  server->keepalive_source = g_timeout_add_seconds (KS_KEEPALIVE_TICK_S, keepalive_tick, server);
  sweep_tick (server);
  return g_steal_pointer (&server);
}

void
ks_server_free (KsServer *server)
{
  if (!server)
    return;
  if (server->sweep_source)
    g_source_remove (server->sweep_source);
  if (server->keepalive_source)
    g_source_remove (server->keepalive_source);
  ks_hosts_stop (server);
  if (server->cancellable) {
    g_cancellable_cancel (server->cancellable);
    g_object_unref (server->cancellable);
  }
  /* Rooms first: they hold media and point at clients. */
  g_clear_pointer (&server->rooms, g_hash_table_destroy);
  g_clear_pointer (&server->context, lws_context_destroy);
  g_list_free (server->clients);
  g_clear_pointer (&server->invitations, g_hash_table_destroy);
  g_clear_pointer (&server->ws_per_address, g_hash_table_destroy);
  g_clear_pointer (&server->ended, g_hash_table_destroy);
  g_clear_pointer (&server->stats, ks_stats_free);
  g_free (server->csp);
  ks_config_free (server->config);
  g_free (server);
}
