/* ops-queue.c — a caseworker's day: every booking on the office-local date
 * that contains now, in start order. */
#include "kb-private.h"

void
kb_queue_async (KbStore *store, gint64 caseworker_id, gint64 now, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *id = kb_param_int64 (caseworker_id);
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { id, NULL, when };

  kb_store_rows_async (store, "queue_for_date", 3, params, (KbRowParser) kb_booking_from_row,
                       (GDestroyNotify) kb_booking_free, cancellable, callback, user_data);
}

GPtrArray *
kb_queue_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return kb_store_rows_finish (store, result, error);
}
