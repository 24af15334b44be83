/* http.c — the JSON API under /api/v1 (docs/api.md).
 *
 * Each request is a KsRequest: its body is gathered (16 KiB at most), a
 * route handler runs, and the answer is written when lws says the socket
 * is writable.  Handlers that ask the database hold a reference; if the
 * socket closes first, the answer is dropped. */

#include "signaling/ks-private.h"

#include <string.h>

static void
request_clear (KsRequest *r)
{
  g_string_free (r->body, TRUE);
  g_object_unref (r->cancellable);
  g_free (r->response);
  g_free (r->set_cookie);
  g_free (r->peer);
  if (r->step_free)
    r->step_free (r->step);
  g_free (r->content_type);
  g_strfreev (r->args);
}

KsRequest *
ks_request_ref (KsRequest *r)
{
  return g_rc_box_acquire (r);
}

void
ks_request_unref (KsRequest *r)
{
  g_rc_box_release_full (r, (GDestroyNotify) request_clear);
}

/* Takes ownership of body. */
void
ks_respond (KsRequest *r, guint status, json_t *body)
{
  /* One answer per request: a second would be a bug in a handler. */
  if (r->ready) {
    g_critical ("%s answered twice", r->path);
    json_decref (body);
    return;
  }
  r->status = status;
  r->response = body ? json_dumps (body, JSON_COMPACT) : NULL;
  json_decref (body);
  if (!r->response) {
    /* A handler built an answer jansson could not make: a bug, but the
     * client still gets an answer and the server stays up. */
    g_critical ("%s: an answer that is no JSON", r->path);
    r->status = 500;
    r->response = g_strdup ("{\"error\":{\"code\":\"internal\",\"message\":"
                            "\"The service is not available right now.\"}}");
  }
  r->ready = TRUE;
  if (r->wsi)
    lws_callback_on_writable (r->wsi);
}

void
ks_respond_text (KsRequest *r, guint status, const gchar *content_type, gchar *text)
{
  if (r->ready) {
    g_critical ("%s answered twice", r->path);
    g_free (text);
    return;
  }
  r->status = status;
  r->response = text;
  r->content_type = g_strdup (content_type);
  r->ready = TRUE;
  if (r->wsi)
    lws_callback_on_writable (r->wsi);
}

void
ks_respond_error (KsRequest *r, guint status, const gchar *code, const gchar *message)
{
  ks_respond (
      r, status,
      json_pack ("{s:{s:s, s:o}}", "error", "code", code, "message", ks_json_text (message)));
}

gboolean
ks_answer_dropped (KsRequest *r, const GError *error)
{
  return r->wsi == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

void
ks_respond_internal (KsRequest *r, const GError *error)
{
  g_warning ("%s: %s", r->path, error->message);
  ks_respond_error (r, 500, "internal",
                    "The service is not available right now. Please try again in a minute.");
}

gchar *
ks_http_session_cookie (struct lws *wsi)
{
  char buf[128];
  size_t max = sizeof buf;
  if (!wsi || lws_http_cookie_get (wsi, KS_SESSION_COOKIE, buf, &max) != 0 || max == 0)
    return NULL;
  return g_strndup (buf, max);
}

/* Parses the body strictly.  On failure it has answered 400. */
json_t *
ks_body_json_or_reply (KsRequest *r)
{
  json_error_t err;
  json_t *root = json_loadb (r->body->str, r->body->len, JSON_REJECT_DUPLICATES, &err);
  if (!root || !json_is_object (root)) {
    g_autofree gchar *msg = g_strdup_printf ("The request body is not a JSON object: %s",
                                             root ? "wrong type" : err.text);
    json_decref (root);
    ks_respond_error (r, 400, "bad_request", msg);
    return NULL;
  }
  return root;
}

void
ks_respond_unpack_error (KsRequest *r, const json_error_t *err)
{
  g_autofree gchar *msg = g_strdup_printf ("Invalid request: %s", err->text);
  ks_respond_error (r, 400, "bad_request", msg);
}

void
ks_request_set_step (KsRequest *r, gpointer step, GDestroyNotify free_func)
{
  if (r->step_free)
    r->step_free (r->step);
  r->step = step;
  r->step_free = free_func;
}

gchar *
ks_request_arg (KsRequest *r, const gchar *name)
{
  char buf[256];
  g_autofree gchar *key = g_strdup_printf ("%s=", name);
  const char *value = r->wsi ? lws_get_urlarg_by_name (r->wsi, key, buf, sizeof buf) : NULL;
  for (gchar **a = r->args; !value && a && *a; a++)
    if (g_str_has_prefix (*a, key))
      value = *a + strlen (key);
  return value ? g_strndup (value, sizeof buf - 1) : NULL;
}

gboolean
ks_request_id_arg (KsRequest *r, const gchar *name, gboolean any_allowed, gint64 *out)
{
  g_autofree gchar *text = ks_request_arg (r, name);
  guint64 v;
  *out = 0;
  if (!text || (any_allowed && (!*text || g_str_equal (text, "any"))))
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &v, NULL))
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

gboolean
ks_request_office_or_reply (KsRequest *r, gboolean required, gint64 *out)
{
  if (ks_request_id_arg (r, "office", FALSE, out) && (*out || !required))
    return TRUE;
  ks_respond_error (r, 400, "bad_request", "office must be an office id.");
  return FALSE;
}

/* ---- sessions ------------------------------------------------------- */

typedef struct {
  KsRequest *request;
  KsSessionNext next;
} SessionStep;

static void
session_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SessionStep *step = user_data;
  g_autoptr (KsRequest) r = step->request;
  KsSessionNext next = step->next;
  g_autoptr (GError) error = NULL;
  g_free (step);

  g_autoptr (KbCaseworker) cw = kb_session_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error))
    return;
  if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND)) {
    ks_respond_error (r, 401, "not_logged_in", "Please log in.");
    return;
  }
  if (error) {
    ks_respond_booking_error (r, error);
    return;
  }
  next (r, cw);
}

/* Looks the session up, then calls next with the caseworker; answers 401
 * itself when there is none. */
void
ks_with_session (KsRequest *r, KsSessionNext next)
{
  g_autofree gchar *token = ks_http_session_cookie (r->wsi);
  if (!token) {
    ks_respond_error (r, 401, "not_logged_in", "Please log in.");
    return;
  }
  SessionStep *step = g_new0 (SessionStep, 1);
  step->request = ks_request_ref (r);
  step->next = next;
  kb_session_async (r->server->store, token, kb_clock_now (), r->cancellable, session_done, step);
}

/* ---- routing --------------------------------------------------------- */

static const struct {
  const gchar *path;
  gboolean post;
  void (*handler) (KsRequest *r);
} routes[] = {
  { "/api/v1/config", FALSE, ks_api_config },
  { "/metrics", FALSE, ks_api_metrics },
  { "/api/v1/login", TRUE, ks_api_login },
  { "/api/v1/logout", TRUE, ks_api_logout },
  { "/api/v1/me", FALSE, ks_api_me },
  { "/api/v1/queue", FALSE, ks_api_queue },
  { "/api/v1/booking", TRUE, ks_api_booking },
  { "/api/v1/booking/calendar", TRUE, ks_api_calendar },
  { "/api/v1/booking/cancel", TRUE, ks_api_cancel },
  { "/api/v1/booking/move", TRUE, ks_api_move },
  { "/api/v1/slots", FALSE, ks_api_slots },
  { "/api/v1/bookings", TRUE, ks_api_book },
  { "/api/v1/queue/cancel", TRUE, ks_api_queue_cancel },
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
};

static void
route (KsRequest *r)
{
  r->routed = TRUE;
  gboolean path_known = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++) {
    if (!g_str_equal (r->path, routes[i].path))
      continue;
    path_known = TRUE;
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

  memcpy (buf + LWS_PRE, r->response, n);
  lws_write (wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
  /* Hang up after the answer (server.c, "One request per connection");
   * lws flushes what it still holds before it closes. */
  return -1;
}

static KsRequest *
request_new (KsServer *server, struct lws *wsi)
{
  KsRequest *r = g_rc_box_new0 (KsRequest);
  r->server = server;
  r->wsi = wsi;
  r->body = g_string_new (NULL);
  r->cancellable = g_cancellable_new ();
  r->peer = ks_peer_address (server, wsi);
  return r;
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

int
ks_http_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
  KsRequest *cur = lws_get_opaque_user_data (wsi);
  KsServer *server = lws_context_user (lws_get_context (wsi));

  switch (reason) {
  case LWS_CALLBACK_HTTP: {
    request_detach (wsi);
    KsRequest *r = request_new (server, wsi);
    lws_set_opaque_user_data (wsi, r);
    int uri = WSI_TOKEN_GET_URI;
    if (lws_hdr_total_length (wsi, WSI_TOKEN_POST_URI) > 0) {
      r->post = TRUE;
      uri = WSI_TOKEN_POST_URI;
    } else if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) <= 0) {
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
    if (g_ascii_strtoull (cl, NULL, 10) > KS_MAX_BODY) {
      ks_respond_error (r, 413, "too_large", "The request body is larger than 16 KiB.");
      return 0;
    }
    return 0; /* wait for the body */
  }

  case LWS_CALLBACK_HTTP_BODY: {
    KsRequest *r = cur;
    if (!r || r->ready || !r->post)
      return 0;
    if (r->body->len + len > KS_MAX_BODY) {
      ks_respond_error (r, 413, "too_large", "The request body is larger than 16 KiB.");
      return 0;
    }
    g_string_append_len (r->body, in, (gssize) len);
    return 0;
  }

  case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
    KsRequest *r = cur;
    /* A GET was routed on its headers; a body sent with it is ignored. */
    if (r && r->post && !r->routed && !r->ready)
      route (r);
    return 0;
  }

  case LWS_CALLBACK_HTTP_WRITEABLE: {
    KsRequest *r = cur;
    if (!r || !r->ready)
      return 0;
    /* Detach first: completing the transaction may close the wsi. */
    ks_request_ref (r);
    request_detach (wsi);
    int rc = write_response (wsi, r);
    ks_request_unref (r);
    return rc;
  }

  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    request_detach (wsi);
    return 0;

  default:
    return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}
