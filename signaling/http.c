/* http.c — the JSON API under /api/v1 (docs/api.md): the route table and
 * the lws callback that carries a request through its states.
 *
 * A request (request.c) starts on its headers, gathers its body (16 KiB
 * at most), is routed to its handler (api-*.c) once complete, and its
 * answer is written when lws says the socket is writable.  One function
 * below per state. */

#include "signaling/ks-handlers.h"

#include <string.h>

/* ---- routing --------------------------------------------------------- */

static const struct {
  const gchar *path;
  gboolean post;
  void (*handler) (KsRequest *r);
} routes[] = {
  { "/api/v1/config", FALSE, ks_api_config },
  { "/metrics", FALSE, ks_api_metrics },
  { "/healthz", FALSE, ks_api_healthz },
  { "/readyz", FALSE, ks_api_readyz },
  { "/api/v1/login", TRUE, ks_api_login },
  { "/api/v1/logout", TRUE, ks_api_logout },
  { "/api/v1/me", FALSE, ks_api_me },
  { "/api/v1/queue", FALSE, ks_api_queue },
  { "/api/v1/booking", TRUE, ks_api_booking },
  { "/api/v1/booking/calendar", TRUE, ks_api_calendar },
  { "/api/v1/booking/cancel", TRUE, ks_api_cancel },
  { "/api/v1/booking/move", TRUE, ks_api_move },
  { "/api/v1/booking/resend-link", TRUE, ks_api_resend_link },
  { "/api/v1/calendar-feed", TRUE, ks_api_calendar_feed },
  { "/api/v1/feed/{token}.ics", FALSE, ks_api_feed },
  { "/api/v1/slots", FALSE, ks_api_slots },
  { "/api/v1/bookings", TRUE, ks_api_book },
  { "/api/v1/queue/cancel", TRUE, ks_api_queue_cancel },
  { "/api/v1/queue/kiosk-code", TRUE, ks_api_queue_kiosk_code },
  { "/api/v1/admin/offices", TRUE, ks_api_admin },
  { "/api/v1/admin/hours", TRUE, ks_api_admin },
  { "/api/v1/admin/hours", FALSE, ks_api_admin_list },
  { "/api/v1/admin/special-days", FALSE, ks_api_admin_list },
  { "/api/v1/admin/special-days", TRUE, ks_api_admin },
  { "/api/v1/admin/special-days/delete", TRUE, ks_api_admin },
  { "/api/v1/admin/services", TRUE, ks_api_admin },
  { "/api/v1/admin/caseworkers", TRUE, ks_api_admin },
  { "/api/v1/admin/caseworkers/active", TRUE, ks_api_admin },
  { "/api/v1/admin/absences", TRUE, ks_api_admin },
  { "/api/v1/admin/absences", FALSE, ks_api_admin_list },
  { "/api/v1/admin/absences/delete", TRUE, ks_api_admin },
  { "/api/v1/admin/caseworkers/update", TRUE, ks_api_admin },
  { "/api/v1/admin/caseworkers/password", TRUE, ks_api_admin },
  { "/api/v1/admin/reassign", TRUE, ks_api_admin },
  { "/api/v1/admin/conflicts", FALSE, ks_api_admin_list },
  { "/api/v1/admin/caseworkers", FALSE, ks_api_admin_caseworkers },
  { "/api/v1/offices", FALSE, ks_api_offices },
  { "/api/v1/services", FALSE, ks_api_services },
  { "/api/v1/caseworkers", FALSE, ks_api_caseworkers },
  { "/api/v1/admin/stats", FALSE, ks_api_admin_stats },
  { "/api/v1/admin/audit", FALSE, ks_api_admin_audit },
  { "/api/v1/admin/messages", FALSE, ks_api_admin_list },
  { "/api/v1/admin/messages/resend", TRUE, ks_api_admin },
};

/* Whether path is the route's: the same text, or for a route with one
 * "{name}" (as openapi.yaml writes it) the same text around it with one
 * or more base64url characters in its place. */
static gboolean
path_matches (const gchar *route, const gchar *path)
{
  const gchar *open = strchr (route, '{'), *close = open ? strchr (open, '}') : NULL;
  if (!close)
    return g_str_equal (route, path);
  gsize head = (gsize) (open - route), tail = strlen (close + 1), n = strlen (path);
  if (n <= head + tail || strncmp (path, route, head) != 0
      || strcmp (path + n - tail, close + 1) != 0)
    return FALSE;
  for (const gchar *p = path + head; p < path + n - tail; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
route (KsRequest *r)
{
  r->routed = TRUE;
  gboolean path_known = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++) {
    if (!path_matches (routes[i].path, r->path))
      continue;
    path_known = TRUE;
    r->route = routes[i].path;
    if (routes[i].post == r->post) {
      routes[i].handler (r);
      return;
    }
  }
  if (path_known)
    ks_respond_error (r, 405, "method_not_allowed",
                      r->post ? "Use GET for this endpoint." : "Use POST for this endpoint.");
  else
    ks_respond_error (r, 404, "not_found", "There is no such API endpoint.");
}

void
ks_http_route (KsRequest *r)
{
  route (r);
}

static gboolean
json_content_type (struct lws *wsi)
{
  char ct[64];
  if (lws_hdr_copy (wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0)
    return FALSE;
  return g_ascii_strncasecmp (ct, "application/json", 16) == 0;
}

static int
write_response (struct lws *wsi, KsRequest *r)
{
  gsize n = strlen (r->response);
  g_autofree guchar *buf = g_malloc (LWS_PRE + 1024 + n);
  guchar *start = buf + LWS_PRE, *p = start, *end = buf + LWS_PRE + 1024;

  if (lws_add_http_common_headers (
          wsi, r->status, r->content_type ? r->content_type : "application/json", n, &p, end)
      || lws_add_http_header_by_name (
          wsi, (const guchar *) "cache-control:", (const guchar *) "no-store", 8, &p, end)
      || (r->set_cookie
          && lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_SET_COOKIE,
                                           (const guchar *) r->set_cookie,
                                           (int) strlen (r->set_cookie), &p, end))
      || lws_finalize_write_http_header (wsi, start, &p, end))
    return -1;

  /* The path has no query string (lws keeps it apart) and no route has
   * a secret in its path: the line names no one. */
  ks_request_log (r, G_LOG_LEVEL_INFO, "%s %s %u", r->post ? "POST" : "GET", r->path, r->status);
  memcpy (buf + LWS_PRE, r->response, n);
  lws_write (wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
  /* Hang up after the answer (server.c, "One request per connection");
   * lws flushes what it still holds before it closes. */
  return -1;
}

/* The request hangs on the wsi's opaque pointer rather than in lws's
 * per-session memory, which lws reallocates when a mount binds another
 * protocol. */
static void
request_detach (struct lws *wsi)
{
  KsRequest *r = lws_get_opaque_user_data (wsi);
  if (!r)
    return;
  lws_set_opaque_user_data (wsi, NULL);
  r->wsi = NULL;
  g_cancellable_cancel (r->cancellable);
  ks_request_unref (r);
}

/* The headers are in: a new request.  GETs are routed at once; a POST
 * waits for its body, unless its headers already rule it out. */
static int
on_headers (KsServer *server, struct lws *wsi)
{
  request_detach (wsi);
  KsRequest *r = ks_request_new (server, wsi);
  lws_set_opaque_user_data (wsi, r);
  int uri = WSI_TOKEN_GET_URI;
  if (lws_hdr_total_length (wsi, WSI_TOKEN_POST_URI) > 0) {
    r->post = TRUE;
    r->method = "POST";
    uri = WSI_TOKEN_POST_URI;
  } else if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) <= 0) {
    r->method = "other";
    ks_respond_error (r, 405, "method_not_allowed", "Only GET and POST are used.");
    return 0;
  }
  if (lws_hdr_copy (wsi, r->path, sizeof r->path, uri) <= 0) {
    ks_respond_error (r, 404, "not_found", "There is no such API endpoint.");
    return 0;
  }
  if (!r->post) {
    route (r);
    return 0;
  }
  if (!json_content_type (wsi)) {
    ks_respond_error (r, 415, "bad_request", "Send the body as application/json.");
    return 0;
  }
  char cl[24];
  /* lws 4.1 reads no chunked request bodies: without a length the body
   * would never complete. */
  if (lws_hdr_copy (wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
    ks_respond_error (r, 411, "length_required", "Send the body with a Content-Length.");
    return 0;
  }
  /* Digits only: lws reads "13abc" as 13, and two Content-Length headers
   * that disagree arrive joined; either is a request whose length nobody
   * can trust. */
  gchar *end = NULL;
  guint64 length = g_ascii_strtoull (cl, &end, 10);
  if (!g_ascii_isdigit (cl[0]) || *end != '\0') {
    ks_respond_error (r, 400, "bad_request", "Content-Length must be one number.");
    return 0;
  }
  if (length > KS_MAX_BODY)
    ks_respond_error (r, 413, "too_large", "The request body is larger than 16 KiB.");
  return 0;
}

static int
on_body (KsRequest *r, const void *in, size_t len)
{
  if (!r || r->ready || !r->post)
    return 0;
  if (r->body->len + len > KS_MAX_BODY) {
    ks_respond_error (r, 413, "too_large", "The request body is larger than 16 KiB.");
    return 0;
  }
  if (g_get_monotonic_time () - r->started_us > KS_MAX_BODY_S * G_USEC_PER_SEC) {
    ks_respond_error (r, 408, "timeout", "The request body took too long to arrive.");
    return 0;
  }
  g_string_append_len (r->body, in, (gssize) len);
  return 0;
}

static int
on_body_complete (KsRequest *r)
{
  /* A GET was routed on its headers; a body sent with it is ignored. */
  if (r && r->post && !r->routed && !r->ready)
    route (r);
  return 0;
}

static int
on_writable (KsRequest *r, struct lws *wsi)
{
  if (!r || !r->ready)
    return 0;
  /* Detach first: completing the transaction may close the wsi. */
  ks_request_ref (r);
  request_detach (wsi);
  int rc = write_response (wsi, r);
  ks_stats_http (r->server, r->route, r->method, r->status, r->started_us);
  ks_request_unref (r);
  return rc;
}

int
ks_http_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
  KsRequest *cur = lws_get_opaque_user_data (wsi);

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return on_headers (lws_context_user (lws_get_context (wsi)), wsi);
  case LWS_CALLBACK_HTTP_BODY:
    return on_body (cur, in, len);
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    return on_body_complete (cur);
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return on_writable (cur, wsi);
  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    request_detach (wsi);
    return 0;
  default:
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}
