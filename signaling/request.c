/* request.c — one HTTP API request: its arguments and body, its session,
 * and its answer, which http.c writes when lws says the socket is
 * writable.  Handlers that ask the database hold a reference; if the
 * connection closes first, the answer is dropped (ks_answer_dropped). */

#include "signaling/ks-request.h"

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
    ks_request_log (r, G_LOG_LEVEL_CRITICAL, "%s answered twice", r->path);
    json_decref (body);
    return;
  }
  r->status = status;
  r->response = body ? json_dumps (body, JSON_COMPACT) : NULL;
  json_decref (body);
  if (!r->response) {
    /* A handler built an answer jansson could not make: a bug, but the
     * client still gets an answer and the server stays up. */
    ks_request_log (r, G_LOG_LEVEL_CRITICAL, "%s: an answer that is no JSON", r->path);
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
    ks_request_log (r, G_LOG_LEVEL_CRITICAL, "%s answered twice", r->path);
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
  ks_request_log (r, G_LOG_LEVEL_WARNING, "%s: %s", r->path, error->message);
  ks_respond_error (r, 500, "internal",
                    "The service is not available right now. Please try again in a minute.");
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
  g_autofree gchar *token = ks_peer_session_cookie (r->wsi);
  if (!token) {
    ks_respond_error (r, 401, "not_logged_in", "Please log in.");
    return;
  }
  SessionStep *step = g_new0 (SessionStep, 1);
  step->request = ks_request_ref (r);
  step->next = next;
  kb_session_async (r->server->store, token, kb_clock_now (), r->cancellable, session_done, step);
}

KsRequest *
ks_request_new (KsServer *server, struct lws *wsi)
{
  KsRequest *r = g_rc_box_new0 (KsRequest);
  r->server = server;
  r->wsi = wsi;
  r->body = g_string_new (NULL);
  r->cancellable = g_cancellable_new ();
  /* Random rather than counted: unique across restarts and nodes. */
  g_snprintf (r->id, sizeof r->id, "%08x%08x", g_random_int (), g_random_int ());
  r->peer = ks_peer_address (server, wsi);
  r->started_us = g_get_monotonic_time ();
  r->method = "GET";
  return r;
}

static const struct {
  const gchar *reason;
  const gchar *message;
} rule_messages[] = {
  { "outside_hours", "The office is closed at that time." },
  { "not_a_slot",
    "That is not one of the offered times. Please pick a time from the list of free times." },
  { "notice", "That time is too soon to book." },
  { "horizon", "That time is too far ahead to book." },
  { "absent", "The caseworker is away at that time." },
  { "caseworker_inactive", "That caseworker no longer takes bookings." },
  { "duration", "That time does not fit the service's length." },
  { "contact_cap", "You already have as many upcoming bookings as allowed. Cancel one first." },
  { "seeker_overlap", "You already have another booking at that time." },
  { "bad_contact", "The contact must be an e-mail address or a phone number, or left empty "
                   "(then no confirmation or reminder can be sent)." },
  { "language", "No caseworker speaks that language." },
  { "no_interpreter", "This service does not offer an interpreter." },
  { "no_service", "There is no such service." },
  { "no_office", "There is no such office." },
  { "no_caseworker", "No caseworker at this office can take that booking." },
};

static const gchar *
rule_message (const gchar *reason)
{
  for (gsize i = 0; reason && i < G_N_ELEMENTS (rule_messages); i++)
    if (g_str_equal (reason, rule_messages[i].reason))
      return rule_messages[i].message;
  return NULL;
}

gboolean
ks_respond_booking_error (KsRequest *r, const GError *error)
{
  const gchar *code, *message;
  if (!error)
    return FALSE;
  if ((code = ks_db_trouble (error, &message))) {
    /* The pool logs the outage once; one line per request would drown it. */
    ks_request_log (r, G_LOG_LEVEL_DEBUG, "%s: %s", r->path, error->message);
    ks_respond_error (r, 503, code, message);
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND)) {
    ks_respond_error (r, 404, "no_booking", "There is no booking for this link.");
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_SLOT_TAKEN)) {
    /* kb_book raises the overlap error with no_caseworker when the office
     * has nobody to try at all (no such id, nobody speaks the language):
     * a rule like the others, not a race lost. */
    g_autofree gchar *reason = kb_error_reason (error);
    if (g_strcmp0 (reason, "no_caseworker") == 0)
      ks_respond_error (r, 422, reason, rule_message (reason));
    else
      ks_respond_error (r, 409, "slot_taken",
                        "Someone else just took that time. Please pick another.");
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_STATE)) {
    ks_respond_error (
        r, 409, "not_changeable",
        "This booking can no longer be changed (it has started, ended or been cancelled).");
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_FORBIDDEN)) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_INVALID)) {
    g_autofree gchar *reason = kb_error_reason (error);
    const gchar *message = rule_message (reason);
    /* Not one of the office's rules: what the database refused is logged,
     * so that an unexpected refusal can be told from a user's mistake. */
    if (message == NULL)
      ks_request_log (r, G_LOG_LEVEL_MESSAGE, "%s refused: %s", r->path, error->message);
    ks_respond_error (r, 422, reason ? reason : "invalid",
                      message ? message : "That booking breaks a rule of the office.");
  } else {
    ks_respond_internal (r, error);
  }
  return TRUE;
}
