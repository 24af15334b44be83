/* api-catalog.c — what there is to book: offices, services, and the
 * caseworkers of an office (public: name and languages only; the
 * administrator also sees e-mail, role and whether they are active). */

#include "signaling/ks-private.h"

static json_t *
strv_json (GStrv v)
{
  json_t *a = json_array ();
  for (gsize i = 0; v && v[i]; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

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
                        "languages", strv_json (o->languages), "caseworker_languages",
                        strv_json (o->caseworker_languages)));
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
                   strv_json (s->languages), "interpreter_allowed", s->interpreter_allowed));
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

typedef struct {
  gint64 office;
  gboolean full; /* the administrator's view */
} ListArgs;

static void
caseworkers_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = kb_list_finish (r->server->store, result, &error);
  ListArgs *a = r->step;
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  json_t *out = json_array ();
  for (guint i = 0; i < list->len; i++) {
    const KbCaseworker *c = g_ptr_array_index (list, i);
    if (!a->full && !c->active)
      continue;
    json_t *item = json_pack ("{s:I, s:s, s:o}", "id", (json_int_t) c->id, "name", c->name,
                              "languages", strv_json (c->languages));
    if (a->full) {
      json_object_set_new (item, "email", json_string (c->email ? c->email : ""));
      json_object_set_new (item, "active", json_boolean (c->active));
      json_object_set_new (item, "is_admin", json_boolean (c->is_admin));
    }
    json_array_append_new (out, item);
  }
  ks_respond (r, 200, json_pack ("{s:o}", "caseworkers", out));
}

void
ks_api_caseworkers (KsRequest *r)
{
  if (!ks_public_rate_or_reply (r))
    return;
  ListArgs *a = g_new0 (ListArgs, 1);
  ks_request_set_step (r, a, g_free);
  if (!ks_request_office_or_reply (r, TRUE, &a->office))
    return;
  kb_caseworkers_async (r->server->store, a->office, r->cancellable, caseworkers_done,
                        ks_request_ref (r));
}

static void
admin_caseworkers_next (KsRequest *r, KbCaseworker *cw)
{
  ListArgs *a = r->step;
  if (!cw->is_admin) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
    return;
  }
  a->full = TRUE;
  kb_caseworkers_async (r->server->store, a->office, r->cancellable, caseworkers_done,
                        ks_request_ref (r));
}

void
ks_api_admin_caseworkers (KsRequest *r)
{
  ListArgs *a = g_new0 (ListArgs, 1);
  ks_request_set_step (r, a, g_free);
  if (!ks_request_office_or_reply (r, TRUE, &a->office))
    return;
  ks_with_session (r, admin_caseworkers_next);
}
