/* ops-audit.c — an administrator reads the audit log (migration 014 keeps
 * it append-only; kb_purge_audit alone removes rows, past their
 * retention).  One statement, filtered by office, person and dates. */
#include "booking-admin.h"
#include "kb-private.h"

#include <stdio.h>

void
kb_audit_entry_free (KbAuditEntry *entry)
{
  if (!entry)
    return;
  g_free (entry->caseworker_name);
  g_free (entry->action);
  g_free (entry->details);
  g_free (entry);
}

static gpointer
entry_from_row (const PGresult *res, int row)
{
  KbAuditEntry *e = g_new0 (KbAuditEntry, 1);
  e->id = kb_row_int64 (res, row, "id");
  e->at = kb_row_int64 (res, row, "at_us");
  e->caseworker_id = kb_row_int64 (res, row, "caseworker_id");
  e->caseworker_name = g_strdup (kb_row_text (res, row, "caseworker_name"));
  e->action = g_strdup (kb_row_text (res, row, "action"));
  e->booking_id = kb_row_int64 (res, row, "booking_id");
  e->details = g_strdup (kb_row_text (res, row, "details"));
  return e;
}

static gboolean
valid_date (const gchar *text)
{
  return kb_date_parse (text, NULL);
}

static gint
days_between (const gchar *from, const gchar *to)
{
  GDate a, b;
  g_date_clear (&a, 1);
  g_date_clear (&b, 1);
  g_date_set_parse (&a, from);
  g_date_set_parse (&b, to);
  return g_date_days_between (&a, &b);
}

void
kb_audit_list_async (KbStore *store, gint64 admin_id, gint64 office_id, gint64 caseworker_id,
                     const gchar *from_date, const gchar *to_date, guint limit,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *admin = kb_param_int64 (admin_id);
  g_autofree gchar *office = kb_param_int64 (office_id);
  g_autofree gchar *person = caseworker_id > 0 ? kb_param_int64 (caseworker_id) : NULL;
  g_autofree gchar *max = g_strdup_printf ("%u", limit);
  const gchar *params[] = { admin, office, person, from_date, to_date, max };

  if (!valid_date (from_date) || !valid_date (to_date) || g_strcmp0 (from_date, to_date) > 0
      || days_between (from_date, to_date) > 365) {
    g_task_report_new_error (NULL, callback, user_data, kb_audit_list_async, KB_ERROR,
                             KB_ERROR_INVALID, "date: impossible date or range");
    return;
  }
  kb_store_rows_async (store, "audit_list", 6, params, entry_from_row,
                       (GDestroyNotify) kb_audit_entry_free, cancellable, callback, user_data);
}

GPtrArray *
kb_audit_list_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  if (g_async_result_is_tagged (result, kb_audit_list_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return kb_store_rows_finish (store, result, error);
}
