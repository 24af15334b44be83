/* ops-lists.c — lists for the pages: offices, services, an office's
 * caseworkers, and a caseworker's bookings on any local date. */
#include "kb-private.h"

#include <stdio.h>
#include <string.h>

/* "nb,en" → {"nb", "en"}; "" → {}. */
static GStrv
split_list (const gchar *text)
{
  if (text == NULL || *text == '\0')
    return g_new0 (gchar *, 1);
  return g_strsplit (text, ",", -1);
}

static gpointer
office_from_row (const PGresult *res, int row)
{
  KbOffice *o = g_new0 (KbOffice, 1);

  o->id = kb_row_int64 (res, row, "id");
  o->name = g_strdup (kb_row_text (res, row, "name"));
  o->time_zone = g_strdup (kb_row_text (res, row, "time_zone"));
  o->address = g_strdup (kb_row_text (res, row, "address"));
  o->languages = split_list (kb_row_text (res, row, "languages"));
  o->caseworker_languages = split_list (kb_row_text (res, row, "caseworker_languages"));
  return o;
}

static gpointer
service_from_row (const PGresult *res, int row)
{
  KbService *s = g_new0 (KbService, 1);

  s->id = kb_row_int64 (res, row, "id");
  s->name = g_strdup (kb_row_text (res, row, "name"));
  s->duration_min = (gint) kb_row_int64 (res, row, "duration_min");
  s->buffer_min = (gint) kb_row_int64 (res, row, "buffer_min");
  s->notice_min = (gint) kb_row_int64 (res, row, "notice_min");
  s->horizon_days = (gint) kb_row_int64 (res, row, "horizon_days");
  s->join_before_min = (gint) kb_row_int64 (res, row, "join_before_min");
  s->join_after_min = (gint) kb_row_int64 (res, row, "join_after_min");
  s->languages = split_list (kb_row_text (res, row, "languages"));
  s->interpreter_allowed = kb_row_bool (res, row, "interpreter_allowed");
  return s;
}

static gpointer
caseworker_from_row (const PGresult *res, int row)
{
  KbCaseworker *c = kb_caseworker_from_row (res, row);

  c->active = kb_row_bool (res, row, "active");
  c->languages = split_list (kb_row_text (res, row, "languages"));
  return c;
}

static gpointer
absence_from_row (const PGresult *res, int row)
{
  KbAbsence *a = g_new0 (KbAbsence, 1);

  a->id = kb_row_int64 (res, row, "id");
  a->caseworker_id = kb_row_int64 (res, row, "caseworker_id");
  a->from = kb_row_int64 (res, row, "from_us");
  a->to = kb_row_int64 (res, row, "to_us");
  a->reason = g_strdup (kb_row_text (res, row, "reason"));
  return a;
}

void
kb_absence_free (KbAbsence *absence)
{
  if (absence == NULL)
    return;
  g_free (absence->reason);
  g_free (absence);
}

void
kb_absences_async (KbStore *store, gint64 office_id, gint64 now, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { office, when };

  kb_store_rows_async (store, "absences_list", 2, params, absence_from_row,
                       (GDestroyNotify) kb_absence_free, cancellable, callback, user_data);
}

static gpointer
hours_from_row (const PGresult *res, int row)
{
  KbHours *h = g_new0 (KbHours, 1);

  h->weekday = (gint) kb_row_int64 (res, row, "weekday");
  h->opens = g_strdup (kb_row_text (res, row, "opens"));
  h->closes = g_strdup (kb_row_text (res, row, "closes"));
  return h;
}

void
kb_hours_free (KbHours *hours)
{
  if (hours == NULL)
    return;
  g_free (hours->opens);
  g_free (hours->closes);
  g_free (hours);
}

static gpointer
special_day_from_row (const PGresult *res, int row)
{
  KbSpecialDay *d = g_new0 (KbSpecialDay, 1);
  const gchar *hours = kb_row_text (res, row, "hours");

  d->id = kb_row_int64 (res, row, "id");
  d->first_date = g_strdup (kb_row_text (res, row, "first_date"));
  d->last_date = g_strdup (kb_row_text (res, row, "last_date"));
  d->reason = g_strdup (kb_row_text (res, row, "reason"));
  d->hours = hours && *hours ? g_strsplit (hours, ",", -1) : g_new0 (gchar *, 1);
  return d;
}

void
kb_special_day_free (KbSpecialDay *day)
{
  if (day == NULL)
    return;
  g_free (day->first_date);
  g_free (day->last_date);
  g_free (day->reason);
  g_strfreev (day->hours);
  g_free (day);
}

void
kb_hours_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  const gchar *params[] = { office };

  kb_store_rows_async (store, "hours_list", 1, params, hours_from_row,
                       (GDestroyNotify) kb_hours_free, cancellable, callback, user_data);
}

void
kb_special_days_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  const gchar *params[] = { office };

  kb_store_rows_async (store, "special_days_list", 1, params, special_day_from_row,
                       (GDestroyNotify) kb_special_day_free, cancellable, callback, user_data);
}

void
kb_offices_async (KbStore *store, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  kb_store_rows_async (store, "offices_list", 0, NULL, office_from_row,
                       (GDestroyNotify) kb_office_free, cancellable, callback, user_data);
}

void
kb_services_async (KbStore *store, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  kb_store_rows_async (store, "services_list", 0, NULL, service_from_row,
                       (GDestroyNotify) kb_service_free, cancellable, callback, user_data);
}

void
kb_caseworkers_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  const gchar *params[] = { office };

  kb_store_rows_async (store, "caseworkers_list", 1, params, caseworker_from_row,
                       (GDestroyNotify) kb_caseworker_free, cancellable, callback, user_data);
}

void
kb_queue_date_async (KbStore *store, gint64 caseworker_id, const gchar *date,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *cw = kb_param_int64 (caseworker_id);
  const gchar *params[] = { cw, date, "0" };

  if (!kb_date_parse (date, NULL)) {
    g_task_report_new_error (NULL, callback, user_data, kb_queue_date_async, KB_ERROR,
                             KB_ERROR_INVALID, "date: impossible date");
    return;
  }
  kb_store_rows_async (store, "queue_for_date", 3, params, (KbRowParser) kb_booking_from_row,
                       (GDestroyNotify) kb_booking_free, cancellable, callback, user_data);
}

GPtrArray *
kb_list_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  if (g_async_result_is_tagged (result, kb_queue_date_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return kb_store_rows_finish (store, result, error);
}
