/* api-admin-read.c — what an administrator reads (docs/api.md
 * "Administration"): the week's hours, closures and special days,
 * absences, the bookings a change left outside the rules, the caseworkers
 * of an office with their e-mail, role and state, and statistics (JSON or
 * CSV).  The changes are api-admin.c's. */

#include "booking/booking-admin.h"
#include "signaling/ks-handlers.h"

#include <math.h>
#include <string.h>

/* ---- GET /api/v1/admin/stats?office=ID&from=&to=[&format=csv] -------- */

typedef struct {
  gint64 office;
  gchar *from, *to;
  gboolean csv;
} StatsArgs;

static void
stats_args_free (gpointer p)
{
  StatsArgs *a = p;
  g_free (a->from);
  g_free (a->to);
  g_free (a);
}

static json_t *
number_or_null (gdouble v)
{
  return isnan (v) ? json_null () : json_real (v);
}

static void
stats_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) days = kb_stats_finish (r->server->store, result, &error);
  StatsArgs *a = r->step;
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;

  if (a->csv) {
    GString *csv = g_string_new ("date,booked,completed,cancelled,no_show,not_admitted,"
                                 "wait_median_s,wait_p90_s,booked_share\r\n");
    for (guint i = 0; i < days->len; i++) {
      const KbDayStats *d = g_ptr_array_index (days, i);
      gchar med[32] = "", p90[32] = "", share[32] = "";
      if (!isnan (d->wait_median_s))
        g_ascii_formatd (med, sizeof med, "%.0f", d->wait_median_s);
      if (!isnan (d->wait_p90_s))
        g_ascii_formatd (p90, sizeof p90, "%.0f", d->wait_p90_s);
      if (!isnan (d->booked_share))
        g_ascii_formatd (share, sizeof share, "%.3f", d->booked_share);
      g_string_append_printf (csv, "%s,%u,%u,%u,%u,%u,%s,%s,%s\r\n", d->date, d->booked,
                              d->completed, d->cancelled, d->no_show, d->not_admitted, med, p90,
                              share);
    }
    ks_respond_text (r, 200, "text/csv; charset=utf-8", g_string_free (csv, FALSE));
    return;
  }
  json_t *out = json_array ();
  for (guint i = 0; i < days->len; i++) {
    const KbDayStats *d = g_ptr_array_index (days, i);
    json_array_append_new (
        out, json_pack ("{s:s, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o}", "date", d->date, "booked",
                        (int) d->booked, "completed", (int) d->completed, "cancelled",
                        (int) d->cancelled, "no_show", (int) d->no_show, "not_admitted",
                        (int) d->not_admitted, "wait_median_s", number_or_null (d->wait_median_s),
                        "wait_p90_s", number_or_null (d->wait_p90_s), "booked_share",
                        number_or_null (d->booked_share)));
  }
  ks_respond (r, 200, json_pack ("{s:I, s:o}", "office_id", (json_int_t) a->office, "days", out));
}

static void
stats_next (KsRequest *r, KbCaseworker *cw)
{
  StatsArgs *a = r->step;
  if (!cw->is_admin) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
    return;
  }
  if (!a->office)
    a->office = cw->office_id;
  kb_stats_async (r->server->store, a->office, a->from, a->to, r->cancellable, stats_done,
                  ks_request_ref (r));
}

void
ks_api_admin_stats (KsRequest *r)
{
  gint64 office;
  g_autofree gchar *format = ks_request_arg (r, "format");
  if (!ks_request_office_or_reply (r, FALSE, &office))
    return;
  StatsArgs *a = g_new0 (StatsArgs, 1);
  a->office = office;
  a->from = ks_request_arg (r, "from");
  a->to = ks_request_arg (r, "to");
  a->csv = format && g_str_equal (format, "csv");
  ks_request_set_step (r, a, stats_args_free);
  if (!a->from || !a->to) {
    ks_respond_error (r, 400, "bad_date", "from and to are required, as YYYY-MM-DD.");
    return;
  }
  ks_with_session (r, stats_next);
}

/* ---- GET lists of one office: conflicts, absences, hours, special days -- */

typedef void (*ListStart) (KbStore *store, gint64 office, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
typedef GPtrArray *(*ListFinish) (KbStore *store, GAsyncResult *result, GError **error);
typedef json_t *(*ItemJson) (gconstpointer item);

static void
start_conflicts (KbStore *store, gint64 office, GCancellable *c, GAsyncReadyCallback cb,
                 gpointer ud)
{
  kb_conflicts_async (store, office, kb_clock_now (), c, cb, ud);
}

static void
start_absences (KbStore *store, gint64 office, GCancellable *c, GAsyncReadyCallback cb, gpointer ud)
{
  kb_absences_async (store, office, kb_clock_now (), c, cb, ud);
}

static json_t *
conflict_json (gconstpointer item)
{
  const KbBooking *b = item;
  json_t *o = ks_json_booking (b);
  /* kb_conflicts_async puts the problem where a cancel reason would be. */
  json_object_set_new (o, "problem", json_string (b->cancel_reason ? b->cancel_reason : ""));
  return o;
}

static json_t *
absence_json (gconstpointer item)
{
  const KbAbsence *a = item;
  return json_pack ("{s:I, s:I, s:o, s:o, s:s}", "id", (json_int_t) a->id, "caseworker_id",
                    (json_int_t) a->caseworker_id, "from", ks_json_time_or_null (a->from), "to",
                    ks_json_time_or_null (a->to), "reason", a->reason ? a->reason : "");
}

static json_t *
hours_json (gconstpointer item)
{
  const KbHours *h = item;
  return json_pack ("{s:i, s:s, s:s}", "weekday", h->weekday, "opens", h->opens, "closes",
                    h->closes);
}

static json_t *
special_day_json (gconstpointer item)
{
  const KbSpecialDay *d = item;
  json_t *hours = json_array ();
  for (gsize j = 0; d->hours && d->hours[j]; j++) {
    g_auto (GStrv) pair = g_strsplit (d->hours[j], "-", 2);
    if (pair[0] && pair[1])
      json_array_append_new (hours, json_pack ("{s:s, s:s}", "opens", pair[0], "closes", pair[1]));
  }
  return json_pack ("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t) d->id, "first_date",
                    d->first_date, "last_date", d->last_date, "reason", d->reason ? d->reason : "",
                    "hours", hours);
}

static json_t *
failed_message_json (gconstpointer item)
{
  const KbFailedMessage *m = item;
  return json_pack ("{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:s?, s:o, s:o, s:o}", "id",
                    (json_int_t) m->id, "booking_id", (json_int_t) m->booking_id, "reference",
                    m->reference, "kind", m->kind, "channel", m->channel, "status", m->status,
                    "attempts", m->attempts, "last_error", m->last_error, "created_at",
                    ks_json_time_or_null (m->created_at), "last_attempt_at",
                    ks_json_time_or_null (m->last_attempt_at), "give_up_at",
                    ks_json_time_or_null (m->give_up_at));
}

static const struct {
  const gchar *path;
  const gchar *key;
  ListStart start;
  ListFinish finish;
  ItemJson item;
} lists[] = {
  { "/api/v1/admin/conflicts", "conflicts", start_conflicts, kb_conflicts_finish, conflict_json },
  { "/api/v1/admin/absences", "absences", start_absences, kb_list_finish, absence_json },
  { "/api/v1/admin/hours", "hours", kb_hours_async, kb_list_finish, hours_json },
  { "/api/v1/admin/special-days", "special_days", kb_special_days_async, kb_list_finish,
    special_day_json },
  { "/api/v1/admin/messages", "messages", kb_failed_messages_async, kb_list_finish,
    failed_message_json },
};

static gsize
list_index (const gchar *path)
{
  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    if (g_str_equal (path, lists[i].path))
      return i;
  g_assert_not_reached (); /* only routed for these paths */
}

static void
list_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  gsize i = list_index (r->path);
  g_autoptr (GPtrArray) list = lists[i].finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  json_t *out = json_array ();
  for (guint j = 0; j < list->len; j++)
    json_array_append_new (out, lists[i].item (g_ptr_array_index (list, j)));
  ks_respond (r, 200, json_pack ("{s:o}", lists[i].key, out));
}

static void
list_next (KsRequest *r, KbCaseworker *cw)
{
  gint64 *office = r->step;
  if (!cw->is_admin) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
    return;
  }
  lists[list_index (r->path)].start (r->server->store, *office ? *office : cw->office_id,
                                     r->cancellable, list_done, ks_request_ref (r));
}

void
ks_api_admin_list (KsRequest *r)
{
  gint64 office;
  if (!ks_request_office_or_reply (r, FALSE, &office))
    return;
  ks_request_set_step (r, g_memdup2 (&office, sizeof office), g_free);
  ks_with_session (r, list_next);
}

/* ---- GET /api/v1/admin/caseworkers?office=ID ---------------------------- */

static void
caseworkers_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = kb_list_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error) || ks_respond_booking_error (r, error))
    return;
  ks_respond (r, 200, json_pack ("{s:o}", "caseworkers", ks_json_caseworker_list (list, TRUE)));
}

static void
caseworkers_next (KsRequest *r, KbCaseworker *cw)
{
  gint64 *office = r->step;
  if (!cw->is_admin) {
    ks_respond_error (r, 403, "forbidden", "Only administrators can do this.");
    return;
  }
  kb_caseworkers_async (r->server->store, *office, r->cancellable, caseworkers_done,
                        ks_request_ref (r));
}

void
ks_api_admin_caseworkers (KsRequest *r)
{
  gint64 *office = g_new0 (gint64, 1);
  ks_request_set_step (r, office, g_free);
  if (!ks_request_office_or_reply (r, TRUE, office))
    return;
  ks_with_session (r, caseworkers_next);
}
