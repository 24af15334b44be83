/* api-slots.c — finding a free time and booking it (no login needed), and
 * a caseworker cancelling a booking with a reason (docs/api.md
 * "Booking").  The rules themselves live in PostgreSQL; this file only
 * checks the shape of the input and maps refusals to codes. */

#include "signaling/ks-private.h"

#include <string.h>

/* ---- input checks ---------------------------------------------------- */

static gboolean
valid_date (const gchar *text, GDate *out)
{
  guint y, m, d;
  gchar tail;
  if (!text || strlen (text) != 10 || sscanf (text, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  if (!g_date_valid_dmy (d, m, y))
    return FALSE;
  g_date_set_dmy (out, d, m, y);
  return TRUE;
}

static gboolean
valid_language (const gchar *text)
{
  gsize n = strlen (text);
  if (n < 2 || n > 3)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (text[i]))
      return FALSE;
  return TRUE;
}

/* ---- GET /api/v1/slots ----------------------------------------------- */

static void
slots_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) slots = kb_slots_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;

  json_t *list = json_array ();
  for (guint i = 0; i < slots->len; i++) {
    const KbSlot *s = g_ptr_array_index (slots, i);
    json_t *ids = json_array ();
    for (guint j = 0; s->caseworker_ids && j < s->caseworker_ids->len; j++)
      json_array_append_new (ids, json_integer (g_array_index (s->caseworker_ids, gint64, j)));
    json_array_append_new (
        list, json_pack ("{s:I, s:o, s:o, s:o}", "office_id", (json_int_t) s->office_id,
                         "starts_at", ks_json_time_or_null (s->starts_at), "ends_at",
                         ks_json_time_or_null (s->ends_at), "caseworker_ids", ids));
  }
  ks_respond (r, 200, json_pack ("{s:o}", "slots", list));
}

void
ks_api_slots (KsRequest *r)
{
  KbSlotQuery q = { 0 };
  GDate from, to;
  g_autofree gchar *from_text = ks_request_arg (r, "from");
  g_autofree gchar *to_text = ks_request_arg (r, "to");
  g_autofree gchar *language = ks_request_arg (r, "language");

  if (!ks_public_rate_or_reply (r))
    return;
  if (!ks_request_id_arg (r, "service", FALSE, &q.service_id) || !q.service_id) {
    ks_respond_error (r, 400, "bad_request", "service must be a service id.");
    return;
  }
  if (!ks_request_id_arg (r, "office", TRUE, &q.office_id)
      || !ks_request_id_arg (r, "caseworker", TRUE, &q.caseworker_id)) {
    ks_respond_error (r, 400, "bad_request",
                      "office and caseworker must be ids (or absent for any).");
    return;
  }
  if (!valid_date (from_text, &from) || !valid_date (to_text, &to)) {
    ks_respond_error (r, 400, "bad_date", "from and to must be real dates as YYYY-MM-DD.");
    return;
  }
  if (g_date_compare (&from, &to) > 0 || g_date_days_between (&from, &to) > 31) {
    ks_respond_error (r, 400, "bad_date",
                      "from must not be after to, and the range is at most 31 days.");
    return;
  }
  if (language && *language && !valid_language (language)) {
    ks_respond_error (r, 400, "bad_request",
                      "language must be a two- or three-letter code such as nb.");
    return;
  }
  q.language = language && *language ? language : NULL;
  q.from_date = from_text;
  q.to_date = to_text;
  kb_slots_async (r->server->store, &q, kb_clock_now (), r->cancellable, slots_done,
                  ks_request_ref (r));
}

/* ---- POST /api/v1/bookings ------------------------------------------- */

static void
book_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) res = kb_book_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  json_t *answer = ks_json_booking_with_links (r->server, res->booking, res->token);
  json_object_set_new (answer, "kiosk_code", json_string (res->kiosk_code));
  ks_queue_changed (r->server, res->booking->caseworker_id);
  ks_respond (r, 201, answer);
}

void
ks_api_book (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  json_int_t service = 0, office = 0, caseworker = 0;
  const gchar *starts_at = NULL, *name = NULL, *contact = NULL, *language = "nb";
  int interpreter = 0;
  json_error_t err;
  KbBookRequest req = { 0 };

  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:I, s:I, s?I, s:s, s:s, s:s, s?s, s?b}",
                      "service_id", &service, "office_id", &office, "caseworker_id", &caseworker,
                      "starts_at", &starts_at, "name", &name, "contact", &contact, "language",
                      &language, "interpreter", &interpreter)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (service <= 0 || office <= 0 || caseworker < 0) {
    ks_respond_error (r, 400, "bad_request", "service_id and office_id must be ids.");
    return;
  }
  if (!ks_parse_time (starts_at, &req.starts_at)) {
    ks_respond_error (r, 400, "bad_date",
                      "starts_at must be an RFC 3339 time with a zone, e.g. 2026-11-25T13:00:00Z.");
    return;
  }
  glong name_len = g_utf8_strlen (name, -1);
  if (name_len < 1 || name_len > 200 || !g_utf8_validate (name, -1, NULL)) {
    ks_respond_error (r, 400, "bad_request", "name must be 1-200 characters.");
    return;
  }
  if (strlen (contact) < 3 || strlen (contact) > 254) {
    ks_respond_error (r, 400, "bad_contact",
                      "contact must be an e-mail address or a phone number.");
    return;
  }
  if (!valid_language (language)) {
    ks_respond_error (r, 400, "bad_request",
                      "language must be a two- or three-letter code such as nb.");
    return;
  }
  if (!ks_rate_allow (r->server, KS_RATE_BOOK, r->peer)) {
    ks_respond_error (r, 429, "rate_limited", "Too many bookings from here. Please wait a minute.");
    return;
  }
  req.service_id = service;
  req.office_id = office;
  req.caseworker_id = caseworker;
  req.seeker_name = name;
  req.seeker_contact = contact;
  req.language = language;
  req.interpreter = interpreter;
  kb_book_async (r->server->store, &req, kb_clock_now (), r->cancellable, book_done,
                 ks_request_ref (r));
}

/* ---- POST /api/v1/queue/cancel (caseworker) ---------------------------- */

typedef struct {
  gint64 booking_id;
  gchar *reason;
} CancelArgs;

static void
queue_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) b = kb_cancel_by_caseworker_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  ks_queue_changed (r->server, b->caseworker_id);
  ks_respond (r, 200, json_pack ("{s:o}", "booking", ks_json_booking (b)));
}

static void
queue_cancel_next (KsRequest *r, KbCaseworker *cw)
{
  CancelArgs *args = r->step;
  kb_cancel_by_caseworker_async (r->server->store, args->booking_id, cw->id, args->reason,
                                 kb_clock_now (), r->cancellable, queue_cancel_done,
                                 ks_request_ref (r));
}

static void
cancel_args_free (gpointer p)
{
  CancelArgs *args = p;
  g_free (args->reason);
  g_free (args);
}

void
ks_api_queue_cancel (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  json_int_t id = 0;
  const gchar *reason = NULL;
  json_error_t err;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:I, s:s}", "booking_id", &id, "reason", &reason)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  glong n = g_utf8_strlen (reason, -1);
  if (id <= 0 || n < 1 || n > 500) {
    ks_respond_error (r, 400, "bad_request",
                      "booking_id must be an id and reason 1-500 characters.");
    return;
  }
  CancelArgs *args = g_new0 (CancelArgs, 1);
  args->booking_id = id;
  args->reason = g_strdup (reason);
  ks_request_set_step (r, args, cancel_args_free);
  ks_with_session (r, queue_cancel_next);
}
