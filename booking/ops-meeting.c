/* ops-meeting.c — the caseworker's side of a meeting: admit a waiting job
 * seeker, complete the meeting, confirm a no-show.  One statement each; the reply tells apart
 * "no such booking", "not yours" and "not in the right state". */
#include "kb-private.h"

typedef struct {
  gint64 caseworker_id;
  gint64 now;
  KbStatus to; /* in_meeting (admit), completed or no_show */
} Transition;

static void
transition_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Transition *t = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);
  g_autoptr (KbBooking) b = NULL;
  gboolean changed;

  if (res == NULL)
    return;
  if (PQntuples (res) != 1) {
    PQclear (res);
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND, "no such booking");
    return;
  }
  b = kb_booking_from_row (res, 0);
  changed = kb_row_bool (res, 0, "changed");
  PQclear (res);

  if (b->caseworker_id != t->caseworker_id) {
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_FORBIDDEN,
                             "the booking belongs to another caseworker");
    return;
  }
  if (changed) {
    /* The row was read before the update in the same statement. */
    b->status = t->to;
    if (t->to == KB_STATUS_IN_MEETING)
      b->admitted_at = t->now;
    else if (t->to == KB_STATUS_COMPLETED)
      b->ended_at = t->now;
  } else if (!(t->to == b->status
               && (t->to == KB_STATUS_IN_MEETING || t->to == KB_STATUS_NO_SHOW))) {
    /* Admitting one's own meeting in progress again is a re-entry after
     * a reload, and a no-show the sweep already recorded stays one;
     * anything else is the wrong state. */
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_STATE, "the booking is %s",
                             kb_status_to_string (b->status));
    return;
  }
  g_task_return_pointer (task, g_steal_pointer (&b), (GDestroyNotify) kb_booking_free);
}

static void
transition_async (KbStore *store, const gchar *statement, KbStatus to, gint64 booking_id,
                  gint64 caseworker_id, gint64 now, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Transition *t = g_new0 (Transition, 1);
  g_autofree gchar *bid = kb_param_int64 (booking_id);
  g_autofree gchar *cid = kb_param_int64 (caseworker_id);
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { bid, cid, when };

  g_task_set_source_tag (task, tag);
  t->caseworker_id = caseworker_id;
  t->now = now;
  t->to = to;
  g_task_set_task_data (task, t, g_free);
  kb_store_query_async (store, statement, 3, params, cancellable, transition_done, task);
}

static KbBooking *
transition_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kb_admit_async (KbStore *store, gint64 booking_id, gint64 caseworker_id, gint64 now,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  transition_async (store, "booking_admit", KB_STATUS_IN_MEETING, booking_id, caseworker_id, now,
                    cancellable, callback, user_data, kb_admit_async);
}

KbBooking *
kb_admit_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return transition_finish (result, error);
}

void
kb_complete_async (KbStore *store, gint64 booking_id, gint64 caseworker_id, gint64 now,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  transition_async (store, "booking_complete", KB_STATUS_COMPLETED, booking_id, caseworker_id, now,
                    cancellable, callback, user_data, kb_complete_async);
}

KbBooking *
kb_complete_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return transition_finish (result, error);
}

void
kb_no_show_async (KbStore *store, gint64 booking_id, gint64 caseworker_id, gint64 now,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  transition_async (store, "booking_no_show", KB_STATUS_NO_SHOW, booking_id, caseworker_id, now,
                    cancellable, callback, user_data, kb_no_show_async);
}

KbBooking *
kb_no_show_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return transition_finish (result, error);
}
