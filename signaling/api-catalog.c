/* api-catalog.c — what there is to book: offices, services, and the
 * caseworkers of an office (name and languages only; the administrator's
 * fuller list is api-admin-read.c's).  Public, and rate limited. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"

static void
offices_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = kb_list_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  json_t *out = json_array ();
  for (guint i = 0; i < list->len; i++) {
    const KbOffice *o = g_ptr_array_index (list, i);
    json_array_append_new (
        out, json_pack ("{s:I, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t) o->id, "name", o->name,
                        "time_zone", o->time_zone, "address", o->address ? o->address : "",
                        "languages", ks_json_strv (o->languages), "caseworker_languages",
                        ks_json_strv (o->caseworker_languages)));
  }
  ks_respond (r, 200, json_pack ("{s:o}", "offices", out));
}

void
ks_api_offices (KsRequest *r)
{
  if (!ks_public_rate_or_reply (r))
    return;
  kb_offices_async (r->server->store, r->cancellable, offices_done, ks_request_ref (r));
}

static void
services_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = kb_list_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  json_t *out = json_array ();
  for (guint i = 0; i < list->len; i++) {
    const KbService *s = g_ptr_array_index (list, i);
    json_array_append_new (
        out,
        json_pack ("{s:I, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:b}", "id", (json_int_t) s->id,
                   "name", s->name, "duration_min", s->duration_min, "buffer_min", s->buffer_min,
                   "notice_min", s->notice_min, "horizon_days", s->horizon_days, "join_before_min",
                   s->join_before_min, "join_after_min", s->join_after_min, "languages",
                   ks_json_strv (s->languages), "interpreter_allowed", s->interpreter_allowed));
  }
  ks_respond (r, 200, json_pack ("{s:o}", "services", out));
}

void
ks_api_services (KsRequest *r)
{
  if (!ks_public_rate_or_reply (r))
    return;
  kb_services_async (r->server->store, r->cancellable, services_done, ks_request_ref (r));
}

/* ---- caseworkers of an office ---------------------------------------- */

static void
caseworkers_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = kb_list_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  ks_respond (r, 200, json_pack ("{s:o}", "caseworkers", ks_json_caseworker_list (list, FALSE)));
}

void
ks_api_caseworkers (KsRequest *r)
{
  if (!ks_public_rate_or_reply (r))
    return;
  gint64 office;
  if (!ks_request_office_or_reply (r, TRUE, &office))
    return;
  kb_caseworkers_async (r->server->store, office, r->cancellable, caseworkers_done,
                        ks_request_ref (r));
}
