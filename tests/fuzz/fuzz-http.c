/* fuzz-http.c — libFuzzer target: the HTTP API's routing, query strings and
 * JSON bodies (signaling/http.c ks_http_route and the handlers of api-*.c),
 * on requests without a connection.
 *
 * Input: a request line and a body, as text:
 *     GET /api/v1/slots?service=1&from=2030-01-01&to=2030-01-07
 *     POST /api/v1/bookings
 *     {"service_id": 1, …}
 * The method is POST when the line starts with "P", else GET; the query
 * string's '&'-separated parts are what lws would hand ks_request_arg
 * (KsRequest.args); the body is everything after the first line.
 *
 * This fuzzes what is checked before the database: routing, the body's
 * JSON and its strict shape per route, ids, dates, times, languages,
 * lengths, and the session check (there is no cookie, so it answers 401).
 * The server's rate limits are 0 (as in fuzz-ws.c), so requests that pass
 * their checks stop at 429 where the query would come next.  The public
 * lookups (offices, services, caseworkers, slots) are rate limited before
 * their arguments are read, so here they stop at 429 at once: their
 * argument checks, like the administrator's bodies (read only after the
 * session lookup), are left to tests/fuzz/fuzz_server.py and its real
 * database.
 * Cookies and X-Forwarded-For are parsed by libwebsockets and peer.c
 * (fuzz-peer.c).
 *
 * Checked besides the sanitizers: every request is answered at once,
 * with JSON (or the declared type), an error as {error: {code, message}}
 * with a 4xx status (and /readyz's 503: there is no database here).
 */
#include "tests/fuzz/fuzz-signaling.h"

static void
check_answer (KsRequest *r)
{
  FUZZ_CHECK (r->ready, "%s %s was not answered", r->post ? "POST" : "GET", r->path);
  FUZZ_CHECK (r->response, "%s: an answer that could not be built", r->path);
  /* Without a database pool here, /readyz rightly says 503 db_unavailable. */
  gboolean unready = g_str_equal (r->path, "/readyz") && r->status == 503;
  FUZZ_CHECK ((r->status >= 200 && r->status < 500) || unready, "%s: status %u", r->path,
              r->status);
  if (r->content_type)
    return;
  json_error_t err;
  g_autoptr (json_t) body = json_loads (r->response, 0, &err);
  FUZZ_CHECK (json_is_object (body), "%s: %s", r->path, r->response);
  if (r->status >= 400) {
    json_t *e = json_object_get (body, "error");
    FUZZ_CHECK (json_is_string (json_object_get (e, "code"))
                    && json_is_string (json_object_get (e, "message")),
                "%s: error answer %s", r->path, r->response);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const gchar *text = (const gchar *) data;
  const gchar *eol = memchr (text, '\n', size);
  gsize line_len = eol ? (gsize) (eol - text) : size;
  g_autofree gchar *line = g_strndup (text, line_len);
  if (strlen (line) != line_len)
    return 0; /* lws refuses a request line with a NUL */
  const gchar *space = strchr (line, ' ');
  const gchar *target = space ? space + 1 : line;
  const gchar *query = strchr (target, '?');
  gsize path_len = query ? (gsize) (query - target) : strlen (target);

  KsRequest *r = g_rc_box_new0 (KsRequest);
  r->server = server;
  r->post = line[0] == 'P';
  r->body = g_string_new_len (eol ? eol + 1 : "", eol ? size - line_len - 1 : 0);
  r->cancellable = g_cancellable_new ();
  /* Not loopback: /metrics would read the database pool's counters. */
  r->peer = g_strdup ("192.0.2.9");
  if (query && query[1])
    r->args = g_strsplit (query + 1, "&", 64);
  /* lws_hdr_copy into path[128]: longer is refused (404) before routing. */
  if (path_len >= sizeof r->path || r->body->len > KS_MAX_BODY) {
    ks_request_unref (r);
    return 0;
  }
  memcpy (r->path, target, path_len);
  ks_http_route (r);
  check_answer (r);
  ks_request_unref (r);
  return 0;
}
