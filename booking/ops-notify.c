/* ops-notify.c — what people ask of the job seeker's messages beyond
 * their sending (outbox.c): the link sent again on request ("I lost my
 * link"), a caseworker's calendar feed, and the administrators' list of
 * messages that could not be sent (their resend is admin.c's). */
#include "kb-private.h"

/* ---- "I lost my link" ------------------------------------------------------ */

static void
resend_link_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  g_task_return_boolean (task, PQntuples (res) == 1 && kb_row_bool (res, 0, "queued"));
  PQclear (res);
}

void
kb_resend_link_async (KbStore *store, const gchar *reference, const gchar *contact, gint64 now,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { when, reference, contact };

  g_task_set_source_tag (task, kb_resend_link_async);
  kb_store_query_async (store, "resend_link", 3, params, cancellable, resend_link_done, task);
}

gboolean
kb_resend_link_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the calendar feed ------------------------------------------------------ */

static void
feed_renewed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  PQclear (res);
  g_task_return_pointer (task, g_strdup (g_task_get_task_data (task)), g_free);
}

void
kb_calendar_feed_renew_async (KbStore *store, gint64 caseworker_id, gboolean revoke, gint64 now,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *id = kb_param_int64 (caseworker_id);
  g_autofree gchar *when = kb_param_int64 (now);
  gchar *token = revoke ? NULL : kb_token_new ();
  g_autofree gchar *hash = token ? kb_param_token_hash (token) : NULL;
  const gchar *params[] = { id, when, hash };

  g_task_set_source_tag (task, kb_calendar_feed_renew_async);
  g_task_set_task_data (task, token, (GDestroyNotify) kb_secret_free);
  kb_store_query_async (store, "calendar_feed_renew", 3, params, cancellable, feed_renewed, task);
}

gchar *
kb_calendar_feed_renew_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
feed_read (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  if (PQntuples (res) == 0) {
    PQclear (res);
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND, "no such calendar feed");
    return;
  }
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) kb_booking_free);
  for (int i = 0; i < PQntuples (res); i++) {
    if (PQgetisnull (res, i, PQfnumber (res, "id")))
      continue; /* the feed exists, with no meetings */
    KbBooking *b = g_new0 (KbBooking, 1);
    b->id = kb_row_int64 (res, i, "id");
    b->reference = g_strdup (kb_row_text (res, i, "reference"));
    b->service_name = g_strdup (kb_row_text (res, i, "service_name"));
    b->starts_at = kb_row_int64 (res, i, "starts_us");
    b->ends_at = kb_row_int64 (res, i, "ends_us");
    b->sequence = (gint) kb_row_int64 (res, i, "sequence");
    kb_status_from_string (kb_row_text (res, i, "status"), &b->status);
    g_ptr_array_add (list, b);
  }
  PQclear (res);
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

void
kb_calendar_feed_async (KbStore *store, const gchar *token, gint64 now, guint days_back,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *hash = kb_param_token_hash (token);
  g_autofree gchar *when = kb_param_int64 (now);
  g_autofree gchar *back = kb_param_int64 (days_back);
  const gchar *params[] = { hash, when, back };

  g_task_set_source_tag (task, kb_calendar_feed_async);
  kb_store_query_async (store, "calendar_feed", 3, params, cancellable, feed_read, task);
}

GPtrArray *
kb_calendar_feed_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- messages that could not be sent ----------------------------------------- */

static gpointer
failed_message_from_row (const PGresult *res, int row)
{
  KbFailedMessage *m = g_new0 (KbFailedMessage, 1);

  m->id = kb_row_int64 (res, row, "id");
  m->booking_id = kb_row_int64 (res, row, "booking_id");
  m->reference = g_strdup (kb_row_text (res, row, "reference"));
  m->kind = g_strdup (kb_row_text (res, row, "kind"));
  m->channel = g_strdup (kb_row_text (res, row, "channel"));
  m->status = g_strdup (kb_row_text (res, row, "status"));
  m->attempts = (gint) kb_row_int64 (res, row, "attempts");
  m->last_error = g_strdup (kb_row_text (res, row, "last_error"));
  m->created_at = kb_row_int64 (res, row, "created_us");
  m->last_attempt_at = kb_row_int64 (res, row, "last_attempt_us");
  m->give_up_at = kb_row_int64 (res, row, "give_up_us");
  return m;
}

void
kb_failed_message_free (KbFailedMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->reference);
  g_free (m->kind);
  g_free (m->channel);
  g_free (m->status);
  g_free (m->last_error);
  g_free (m);
}

void
kb_failed_messages_async (KbStore *store, gint64 office_id, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *office = kb_param_int64 (office_id);
  const gchar *params[] = { office, "500" };

  kb_store_rows_async (store, "outbox_failed", 2, params, failed_message_from_row,
                       (GDestroyNotify) kb_failed_message_free, cancellable, callback, user_data);
}
