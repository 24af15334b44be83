/* ops-queue.c — a caseworker's day: every booking on the office-local date
 * that contains now, in start order. */
#include "kb-private.h"

static void
queue_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  GError *error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error);
  GPtrArray *list;

  if (res == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  list = g_ptr_array_new_full (PQntuples (res), (GDestroyNotify) kb_booking_free);
  for (int i = 0; i < PQntuples (res); i++)
    g_ptr_array_add (list, kb_booking_from_row (res, i));
  PQclear (res);
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

void
kb_queue_async (KbStore *store, gint64 caseworker_id, gint64 now,
                GCancellable *cancellable, GAsyncReadyCallback callback,
                gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *id = kb_param_int64 (caseworker_id);
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { id, when };

  g_task_set_source_tag (task, kb_queue_async);
  kb_store_query_async (store, "queue_for_day", 2, params, cancellable,
                        queue_done, task);
}

GPtrArray *
kb_queue_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
