/* api-bookings.c — POST /api/v1/bookings: a job seeker books a free time
 * (no login needed; docs/api.md "Booking").  The rules themselves live in
 * PostgreSQL; this file checks the shape of the input and maps refusals to
 * codes.  The answer carries the personal link, once. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"
#include "signaling/ks-room.h"

/* ---- POST /api/v1/bookings ------------------------------------------- */

static void
book_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) res = kb_book_finish (r->server->store, result, &error);
  if (res) /* booked, even if nobody waits for the answer any more */
    ks_stats_booking (r->server, KS_BOOKING_MADE);
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
  /* Empty books too (no messages then); the database tells an e-mail
   * address from a phone number and refuses what is neither. */
  gsize contact_len = strlen (contact);
  if ((contact_len > 0 && contact_len < 3) || contact_len > 254) {
    ks_respond_error (r, 400, "bad_contact",
                      "contact must be an e-mail address or a phone number, or empty.");
    return;
  }
  if (!ks_valid_language (language)) {
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
