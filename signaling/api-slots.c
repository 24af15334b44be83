/* api-slots.c — finding a free time and booking it (no login needed), and
 * a caseworker cancelling a booking with a reason (docs/api.md
 * "Booking").  The rules themselves live in PostgreSQL; this file only
 * checks the shape of the input and maps refusals to codes. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"

#include <string.h>

/* ---- input checks ---------------------------------------------------- */

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
  if (!kb_date_parse (from_text, &from) || !kb_date_parse (to_text, &to)) {
    ks_respond_error (r, 400, "bad_date", "from and to must be real dates as YYYY-MM-DD.");
    return;
  }
  if (g_date_compare (&from, &to) > 0 || g_date_days_between (&from, &to) > 31) {
    ks_respond_error (r, 400, "bad_date",
                      "from must not be after to, and the range is at most 31 days.");
    return;
  }
  if (language && *language && !ks_valid_language (language)) {
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
