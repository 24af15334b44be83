/* ops-slots.c — read-only questions about many rows: free slots, the
 * administrator's conflict list, statistics per day.  The rules live in
 * SQL (sql/002_rules.sql); this file only carries parameters and rows. */
#include "kb-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A search longer than this is a script, not a person. */
#define MAX_RANGE_DAYS 92

/* A local date as the API takes it: strictly YYYY-MM-DD and a real date,
 * so that nothing impossible reaches SQL. */
static gboolean
valid_date (const gchar *text)
{
  GDate date;
  if (!kb_date_parse (text, &date))
    return FALSE;
  return g_date_get_year (&date) >= 1970 && g_date_get_year (&date) < 9999;
}

static gboolean
valid_range (const gchar *from, const gchar *to)
{
  GDate a, b;

  if (!valid_date (from) || !valid_date (to))
    return FALSE;
  g_date_clear (&a, 1);
  g_date_clear (&b, 1);
  g_date_set_parse (&a, from);
  g_date_set_parse (&b, to);
  if (!g_date_valid (&a) || !g_date_valid (&b))
    return FALSE;
  return g_date_days_between (&a, &b) >= 0 && g_date_days_between (&a, &b) < MAX_RANGE_DAYS;
}

static gchar *
id_or_null (gint64 id)
{
  return id > 0 ? kb_param_int64 (id) : NULL;
}

/* ---- slots ---------------------------------------------------------------- */

static gpointer
slot_from_row (const PGresult *res, int row)
{
  KbSlot *slot = g_new0 (KbSlot, 1);
  g_auto (GStrv) ids = g_strsplit (kb_row_text (res, row, "caseworker_ids"), ",", -1);

  slot->office_id = kb_row_int64 (res, row, "office_id");
  slot->starts_at = kb_row_int64 (res, row, "starts_us");
  slot->ends_at = kb_row_int64 (res, row, "ends_us");
  slot->caseworker_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; ids[i] && *ids[i]; i++) {
    gint64 id = g_ascii_strtoll (ids[i], NULL, 10);

    g_array_append_val (slot->caseworker_ids, id);
  }
  return slot;
}

void
kb_slots_async (KbStore *store, const KbSlotQuery *q, gint64 now, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *when = kb_param_int64 (now);
  g_autofree gchar *service = kb_param_int64 (q->service_id);
  g_autofree gchar *office = id_or_null (q->office_id);
  g_autofree gchar *cw = id_or_null (q->caseworker_id);
  const gchar *params[] = { when, service, office, cw, q->language, q->from_date, q->to_date };

  if (!valid_range (q->from_date, q->to_date)) {
    g_task_report_new_error (NULL, callback, user_data, kb_slots_async, KB_ERROR, KB_ERROR_INVALID,
                             "date: impossible date or range");
    return;
  }
  kb_store_rows_async (store, "slots", G_N_ELEMENTS (params), params, slot_from_row,
                       (GDestroyNotify) kb_slot_free, cancellable, callback, user_data);
}

GPtrArray *
kb_slots_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  if (g_async_result_is_tagged (result, kb_slots_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return kb_store_rows_finish (store, result, error);
}

/* ---- conflicts ------------------------------------------------------------ */

void
kb_conflicts_async (KbStore *store, gint64 office_id, gint64 now, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { office, when };

  kb_store_rows_async (store, "office_conflicts", 2, params, (KbRowParser) kb_booking_from_row,
                       (GDestroyNotify) kb_booking_free, cancellable, callback, user_data);
}

GPtrArray *
kb_conflicts_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return kb_store_rows_finish (store, result, error);
}

/* ---- statistics ----------------------------------------------------------- */

static gdouble
double_or_nan (const PGresult *res, int row, const gchar *column)
{
  const gchar *text = kb_row_text (res, row, column);

  return text ? g_ascii_strtod (text, NULL) : NAN;
}

static gpointer
stats_from_row (const PGresult *res, int row)
{
  KbDayStats *s = g_new0 (KbDayStats, 1);

  s->date = g_strdup (kb_row_text (res, row, "day"));
  s->booked = (guint) kb_row_int64 (res, row, "booked");
  s->completed = (guint) kb_row_int64 (res, row, "completed");
  s->cancelled = (guint) kb_row_int64 (res, row, "cancelled");
  s->no_show = (guint) kb_row_int64 (res, row, "no_show");
  s->not_admitted = (guint) kb_row_int64 (res, row, "not_admitted");
  s->wait_median_s = double_or_nan (res, row, "wait_median_s");
  s->wait_p90_s = double_or_nan (res, row, "wait_p90_s");
  s->booked_share = double_or_nan (res, row, "booked_share");
  return s;
}

void
kb_stats_async (KbStore *store, gint64 office_id, const gchar *from_date, const gchar *to_date,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  const gchar *params[] = { office, from_date, to_date };

  if (!valid_range (from_date, to_date)) {
    g_task_report_new_error (NULL, callback, user_data, kb_stats_async, KB_ERROR, KB_ERROR_INVALID,
                             "date: impossible date or range");
    return;
  }
  kb_store_rows_async (store, "office_stats", 3, params, stats_from_row,
                       (GDestroyNotify) kb_day_stats_free, cancellable, callback, user_data);
}

GPtrArray *
kb_stats_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  if (g_async_result_is_tagged (result, kb_stats_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return kb_store_rows_finish (store, result, error);
}
