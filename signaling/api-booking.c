/* api-booking.c — what a job seeker does with their link, without logging
 * in: see the booking, download its calendar file, cancel it, move it
 * (docs/api.md "Job seeker").  Also the server's ICE configuration.
 *
 * The link token arrives in a request body, never in a URL, so it stays out
 * of logs.  Every lookup by token is rate limited per client address. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"
#include "signaling/ks-room.h"

#include <string.h>

/* A link token, validated and rate limited; on failure it has answered. */
static gboolean
token_or_reply (KsRequest *r, const gchar *token)
{
  if (!ks_rate_allow (r->server, KS_RATE_LINK, r->peer)) {
    ks_respond_error (r, 429, "rate_limited", "Too many attempts. Please wait a minute.");
    return FALSE;
  }
  if (strlen (token) != 43) {
    ks_respond_error (r, 404, "no_booking", "There is no booking for this link.");
    return FALSE;
  }
  return TRUE;
}

/* Each by-link request remembers its token until the answer. */
typedef struct {
  KsRequest *request;
  gchar *token;
  gboolean calendar_only;
} LinkStep;

static LinkStep *
link_step_new (KsRequest *r, const gchar *token)
{
  LinkStep *step = g_new0 (LinkStep, 1);
  step->request = ks_request_ref (r);
  step->token = g_strdup (token);
  return step;
}

static void
link_step_free (LinkStep *step)
{
  ks_request_unref (step->request);
  g_free (step->token);
  g_free (step);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LinkStep, link_step_free)

/* ---- POST /api/v1/booking, /booking/calendar: see it ----------------- */

static void
booking_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LinkStep) step = user_data;
  KsRequest *r = step->request;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_booking_by_token_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error))
    return;
  if (!error && !b) {
    ks_respond_error (r, 404, "no_booking", "There is no booking for this link.");
    return;
  }
  if (ks_respond_booking_error (r, error))
    return;
  json_t *answer = ks_json_booking_with_links (r->server, b, step->token);
  if (step->calendar_only) {
    ks_respond_text (r, 200, "text/calendar; charset=utf-8",
                     g_strdup (json_string_value (json_object_get (answer, "ics"))));
    json_decref (answer);
    return;
  }
  ks_respond (r, 200, answer);
}

static const gchar *
unpack_token_or_reply (KsRequest *r, json_t *root)
{
  const gchar *token = NULL;
  json_error_t err;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:s}", "token", &token) != 0) {
    ks_respond_unpack_error (r, &err);
    return NULL;
  }
  return token_or_reply (r, token) ? token : NULL;
}

static void
view (KsRequest *r, gboolean calendar_only)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  const gchar *token = root ? unpack_token_or_reply (r, root) : NULL;
  if (!token)
    return;
  LinkStep *step = link_step_new (r, token);
  step->calendar_only = calendar_only;
  kb_booking_by_token_async (r->server->store, token, r->cancellable, booking_done, step);
}

void
ks_api_booking (KsRequest *r)
{
  view (r, FALSE);
}
void
ks_api_calendar (KsRequest *r)
{
  view (r, TRUE);
}

/* ---- POST /api/v1/booking/cancel, /booking/move ---------------------- */

static void
changed (LinkStep *step, KbBooking *b, GError *error)
{
  KsRequest *r = step->request;
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  ks_queue_changed (r->server, b->caseworker_id);
  ks_respond (r, 200, ks_json_booking_with_links (r->server, b, step->token));
}

static void
cancel_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LinkStep) step = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_cancel_finish (step->request->server->store, result, &error);
  if (b) /* done, even if nobody waits for the answer any more */
    ks_stats_booking (step->request->server, KS_BOOKING_CANCELLED_BY_SEEKER);
  changed (step, b, error);
}

static void
move_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LinkStep) step = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_move_finish (step->request->server->store, result, &error);
  if (b)
    ks_stats_booking (step->request->server, KS_BOOKING_MOVED);
  changed (step, b, error);
}

void
ks_api_cancel (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  const gchar *token = root ? unpack_token_or_reply (r, root) : NULL;
  if (!token)
    return;
  kb_cancel_async (r->server->store, token, kb_clock_now (), r->cancellable, cancel_finished,
                   link_step_new (r, token));
}

void
ks_api_move (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  const gchar *token = NULL, *starts_at = NULL;
  json_error_t err;
  gint64 start;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:s, s:s}", "token", &token, "starts_at",
                      &starts_at)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (!ks_parse_time (starts_at, &start)) {
    ks_respond_error (r, 400, "bad_request",
                      "starts_at must be an RFC 3339 time with a zone, e.g. 2026-11-25T13:00:00Z.");
    return;
  }
  if (!token_or_reply (r, token))
    return;
  kb_move_async (r->server->store, token, start, kb_clock_now (), r->cancellable, move_finished,
                 link_step_new (r, token));
}

/* ---- POST /api/v1/booking/resend-link: "I lost my link" --------------- */

static void
resend_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  KsServer *server = user_data;
  g_autoptr (GError) error = NULL;
  kb_resend_link_finish (server->store, result, &error);
  /* Nobody waits for this: the answer went out before it. */
  if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("a lost-link request could not be looked up: %s", error->message);
}

/* The contact as the limit counts it: letters in lower case, digits, @ . +
 * only, so that "Kari@X.no " and "kari@x.no", or "+47 912 34 567" and
 * "+4791234567", share one allowance. */
static gchar *
contact_key (const gchar *contact)
{
  GString *key = g_string_new ("contact|");
  for (const gchar *p = contact; *p; p++)
    if (g_ascii_isalnum (*p) || *p == '@' || *p == '.' || *p == '+' || (guchar) *p >= 0x80)
      g_string_append_c (key, g_ascii_tolower (*p));
  return g_string_free (key, FALSE);
}

void
ks_api_resend_link (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  const gchar *reference = NULL, *contact = NULL;
  json_error_t err;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:s, s:s}", "reference", &reference, "contact",
                      &contact)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  g_autofree gchar *given = g_strstrip (g_strdup (contact));
  if (strlen (reference) > 32 || strlen (contact) > 254 || !*given) {
    ks_respond_error (r, 400, "bad_request",
                      "Give the booking's reference and the e-mail address or phone number "
                      "given when booking.");
    return;
  }
  /* Each limit is counted whether or not the two match, and before the
   * lookup: a refusal tells nothing about the booking. */
  g_autofree gchar *upper = g_ascii_strup (reference, -1);
  g_autofree gchar *ref_key = g_strconcat ("reference|", g_strstrip (upper), NULL);
  g_autofree gchar *to_key = contact_key (contact);
  g_autofree gchar *peer_key = g_strconcat ("address|", r->peer ? r->peer : "?", NULL);
  gboolean ok = ks_rate_allow (r->server, KS_RATE_RESEND, peer_key);
  ok = ks_rate_allow (r->server, KS_RATE_RESEND, ref_key) && ok;
  ok = ks_rate_allow (r->server, KS_RATE_RESEND, to_key) && ok;
  if (!ok) {
    ks_respond_error (r, 429, "rate_limited", "Too many requests. Please try again in an hour.");
    return;
  }
  /* The same answer whether or not they match, given before the lookup so
   * that its time does not tell either. */
  ks_respond (r, 202, json_object ());
  kb_resend_link_async (r->server->store, reference, contact, kb_clock_now (),
                        r->server->cancellable, resend_done, r->server);
}
