/* api-booking.c — what a job seeker does with their link, without logging
 * in: see the booking, download its calendar file, cancel it, move it
 * (docs/api.md "Job seeker").  Also the server's ICE configuration.
 *
 * The link token arrives in a request body, never in a URL, so it stays out
 * of logs.  Every lookup by token is rate limited per client address. */

#include "signaling/ks-private.h"

#include <string.h>

/* ---- GET /api/v1/config --------------------------------------------- */

void
ks_api_config (KsRequest *r)
{
  json_error_t err;
  json_t *ice = json_loads (r->server->ice_servers_json, 0, &err);
  g_autofree gchar *now = ks_json_time (kb_clock_now ());
  /* now: the server's clock, so a countdown does not trust the PC's. */
  ks_respond (r, 200, json_pack ("{s:o, s:s}", "ice_servers", ice, "now", now));
}

/* ---- shared shapes and errors --------------------------------------- */

static gchar *
uid_domain (const gchar *public_url)
{
  const gchar *host = strstr (public_url, "://");
  host = host ? host + 3 : public_url;
  gsize n = strcspn (host, ":/");
  return n ? g_strndup (host, n) : g_strdup ("kontor.invalid");
}

json_t *
ks_json_booking_with_links (KsServer *server, const KbBooking *booking, const gchar *token)
{
  const gchar *base = server->config->public_url;
  g_autofree gchar *join = g_strdup_printf ("%s/join.html#t=%s", base, token);
  g_autofree gchar *manage = g_strdup_printf ("%s/booking.html#t=%s", base, token);
  g_autofree gchar *domain = uid_domain (base);
  g_autofree gchar *ics = kb_ics_build (booking, join, manage, domain, kb_clock_now ());
  return json_pack ("{s:o, s:s, s:s, s:s}", "booking", ks_json_booking (booking), "join_url", join,
                    "manage_url", manage, "ics", ics);
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
  { "language", "No caseworker speaks that language." },
  { "no_interpreter", "This service does not offer an interpreter." },
  { "no_service", "There is no such service." },
  { "no_office", "There is no such office." },
  { "no_caseworker", "No caseworker at this office can take that booking." },
};

const gchar *
ks_db_trouble (const GError *error, const gchar **message)
{
  if (g_error_matches (error, KB_ERROR, KB_ERROR_UNAVAILABLE)) {
    *message = "The booking system cannot reach its database right now. Please try again "
               "in a minute; if you were changing something, check whether it was saved first.";
    return "db_unavailable";
  }
  if (g_error_matches (error, KB_ERROR, KB_ERROR_BUSY)) {
    *message = "The booking system is busy right now. Please try again in a moment.";
    return "busy";
  }
  return NULL;
}

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
    g_debug ("%s: %s", r->path, error->message);
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
    ks_respond_error (r, 403, "forbidden", "This booking belongs to another office.");
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_INVALID)) {
    g_autofree gchar *reason = kb_error_reason (error);
    const gchar *message = rule_message (reason);
    ks_respond_error (r, 422, reason ? reason : "invalid",
                      message ? message : "That booking breaks a rule of the office.");
  } else {
    ks_respond_internal (r, error);
  }
  return TRUE;
}

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
  changed (step, b, error);
}

static void
move_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LinkStep) step = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_move_finish (step->request->server->store, result, &error);
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

/* Two digits at p as a number, or -1. */
static int
two_digits (const gchar *p)
{
  return g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) ? (p[0] - '0') * 10 + (p[1] - '0') : -1;
}

/* RFC 3339 (section 5.6) and nothing else: YYYY-MM-DDTHH:MM:SS, at most
 * six fraction digits, then Z or ±HH:MM.  GLib's ISO 8601 parser alone
 * would also take week and ordinal dates, the basic format and offsets
 * without minutes, drop digits past the microsecond, and read a leap
 * second (23:59:60) as 23:59:59: a time the client never sent. */
gboolean
ks_parse_time (const gchar *text, gint64 *out)
{
  static const gchar shape[] = "dddd-dd-ddTdd:dd:dd";
  gchar copy[40];
  gsize len = strlen (text), i = sizeof shape - 1;
  if (len >= sizeof copy || len < i + 1)
    return FALSE;
  memcpy (copy, text, len + 1);
  for (gsize k = 0; k < i; k++) {
    gboolean ok =
        shape[k] == 'd' ? g_ascii_isdigit (copy[k]) : g_ascii_toupper (copy[k]) == shape[k];
    if (!ok)
      return FALSE;
  }
  copy[10] = 'T';
  if (two_digits (copy + 11) > 23 || two_digits (copy + 14) > 59 || two_digits (copy + 17) > 59)
    return FALSE;
  if (copy[i] == '.') {
    gsize digits = strspn (copy + i + 1, "0123456789");
    if (digits < 1 || digits > 6)
      return FALSE;
    i += 1 + digits;
  }
  if (g_ascii_toupper (copy[i]) == 'Z' && copy[i + 1] == '\0') {
    copy[i] = 'Z';
  } else if ((copy[i] == '+' || copy[i] == '-') && len == i + 6 && copy[i + 3] == ':') {
    int h = two_digits (copy + i + 1), m = two_digits (copy + i + 4);
    if (h < 0 || h > 23 || m < 0 || m > 59)
      return FALSE;
  } else {
    return FALSE;
  }
  g_autoptr (GDateTime) t = g_date_time_new_from_iso8601 (copy, NULL); /* checks the date */
  if (!t)
    return FALSE;
  *out = g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
  return TRUE;
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
