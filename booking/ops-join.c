/* ops-join.c — a job seeker arrives with a link token: look the booking up,
 * decide with kb_join_decide() and check in on first entry.  Also the
 * read-only lookup for the "my booking" page. */
#include "kb-private.h"

typedef struct {
  KbStore      *store;
  gchar        *hash;        /* bytea parameter text */
  gint64        now;
  guint         lookups;
  KbBooking    *booking;
  KbJoinVerdict verdict;
  gint64        opens_at;
} Join;

static void
join_free (Join *j)
{
  g_free (j->hash);
  kb_booking_free (j->booking);
  g_free (j);
}

static void join_looked_up (GObject *source, GAsyncResult *result, gpointer data);

static void
join_lookup (GTask *task)
{
  Join *j = g_task_get_task_data (task);
  const gchar *params[] = { j->hash };

  j->lookups++;
  kb_store_query_async (j->store, "booking_by_token_hash", 1, params,
                        g_task_get_cancellable (task), join_looked_up, task);
}

static void
join_checked_in (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Join *j = g_task_get_task_data (task);
  GError *error = NULL;
  PGresult *res = kb_store_query_finish (j->store, result, &error);

  if (res == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (PQntuples (res) == 1)
    {
      j->booking->status = KB_STATUS_WAITING;
      j->booking->checked_in_at = j->now;
      PQclear (res);
      g_task_return_boolean (task, TRUE);
      return;
    }
  PQclear (res);
  /* Someone changed the status between our read and our write (a
   * cancellation, a second tab): decide again on fresh data, once. */
  if (j->lookups < 2)
    {
      g_clear_pointer (&j->booking, kb_booking_free);
      join_lookup (g_steal_pointer (&task));
      return;
    }
  g_task_return_new_error (task, KB_ERROR, KB_ERROR_STATE,
                           "the booking changed while checking in");
}

static void
join_looked_up (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Join *j = g_task_get_task_data (task);
  GError *error = NULL;
  PGresult *res = kb_store_query_finish (j->store, result, &error);

  if (res == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  j->booking = PQntuples (res) == 1 ? kb_booking_from_row (res, 0) : NULL;
  PQclear (res);
  j->verdict = kb_join_decide (j->booking, j->now, &j->opens_at);

  if (j->verdict == KB_JOIN_OK && j->booking->status == KB_STATUS_BOOKED)
    {
      g_autofree gchar *id = kb_param_int64 (j->booking->id);
      g_autofree gchar *now = kb_param_int64 (j->now);
      const gchar *params[] = { id, now };
      GCancellable *cancellable = g_task_get_cancellable (task);

      kb_store_query_async (j->store, "booking_check_in", 2, params,
                            cancellable, join_checked_in, g_steal_pointer (&task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
kb_join_async (KbStore *store, const gchar *token, gint64 now,
               GCancellable *cancellable, GAsyncReadyCallback callback,
               gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Join *j = g_new0 (Join, 1);

  g_task_set_source_tag (task, kb_join_async);
  j->store = store;
  j->hash = kb_param_token_hash (token ? token : "");
  j->now = now;
  g_task_set_task_data (task, j, (GDestroyNotify) join_free);
  join_lookup (task);
}

KbBooking *
kb_join_finish (KbStore *store, GAsyncResult *result, KbJoinVerdict *verdict,
                gint64 *opens_at, GError **error)
{
  Join *j;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  j = g_task_get_task_data (G_TASK (result));
  if (verdict)
    *verdict = j->verdict;
  if (opens_at)
    *opens_at = j->verdict == KB_JOIN_TOO_EARLY ? j->opens_at : 0;
  return g_steal_pointer (&j->booking);
}

/* ---- read only ---------------------------------------------------------- */

static void
by_token_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  GError *error = NULL;
  PGresult *res = kb_store_query_finish (NULL, result, &error);

  if (res == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (PQntuples (res) == 1)
    g_task_return_pointer (task, kb_booking_from_row (res, 0),
                           (GDestroyNotify) kb_booking_free);
  else
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND,
                             "no booking has this link");
  PQclear (res);
}

void
kb_booking_by_token_async (KbStore *store, const gchar *token,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *hash = kb_param_token_hash (token ? token : "");
  const gchar *params[] = { hash };

  g_task_set_source_tag (task, kb_booking_by_token_async);
  kb_store_query_async (store, "booking_by_token_hash", 1, params, cancellable,
                        by_token_done, task);
}

KbBooking *
kb_booking_by_token_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
