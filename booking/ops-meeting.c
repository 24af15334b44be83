/* ops-meeting.c — the caseworker's side of a meeting: admit a waiting job
 * seeker, complete the meeting, confirm a no-show.  One statement each,
 * which also checks that the session behind the socket is still live and
 * its caseworker active; the reply tells apart "no live session", "no such
 * booking of yours" and "not in the right state". */
#include "kb-private.h"

typedef struct {
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
  gint64 actor;

  if (res == NULL)
    return;
  if (PQgetisnull (res, 0, PQfnumber (res, "actor_id"))) {
    PQclear (res);
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_LOGGED_IN, "no live session");
    return;
  }
  actor = kb_row_int64 (res, 0, "actor_id");
  /* Another caseworker's booking reads as no booking at all: booking ids
   * are counted, and the answer must not tell which exist. */
  if (PQgetisnull (res, 0, PQfnumber (res, "id"))
      || kb_row_int64 (res, 0, "caseworker_id") != actor) {
    PQclear (res);
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND, "no such booking of yours");
    return;
  }
  b = kb_booking_from_row (res, 0);
  changed = kb_row_bool (res, 0, "changed");
  PQclear (res);

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
     * anything else is the wrong state.  The words are read back by
     * signaling/handlers.c (not_waiting's status): keep them. */
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_STATE, "the booking is %s",
                             kb_status_to_string (b->status));
    return;
  }
  g_task_return_pointer (task, g_steal_pointer (&b), (GDestroyNotify) kb_booking_free);
}

static void
transition_async (KbStore *store, const gchar *statement, KbStatus to, gint64 booking_id,
                  const gchar *session_token, gint64 now, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Transition *t = g_new0 (Transition, 1);
  g_autofree gchar *bid = kb_param_int64 (booking_id);
  g_autofree gchar *hash = kb_param_token_hash (session_token ? session_token : "");
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { bid, hash, when };

  g_task_set_source_tag (task, tag);
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
kb_admit_async (KbStore *store, gint64 booking_id, const gchar *session_token, gint64 now,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  transition_async (store, "booking_admit", KB_STATUS_IN_MEETING, booking_id, session_token, now,
                    cancellable, callback, user_data, kb_admit_async);
}

KbBooking *
kb_admit_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return transition_finish (result, error);
}

void
kb_complete_async (KbStore *store, gint64 booking_id, const gchar *session_token, gint64 now,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  transition_async (store, "booking_complete", KB_STATUS_COMPLETED, booking_id, session_token, now,
                    cancellable, callback, user_data, kb_complete_async);
}

KbBooking *
kb_complete_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return transition_finish (result, error);
}

void
kb_no_show_async (KbStore *store, gint64 booking_id, const gchar *session_token, gint64 now,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  transition_async (store, "booking_no_show", KB_STATUS_NO_SHOW, booking_id, session_token, now,
                    cancellable, callback, user_data, kb_no_show_async);
}

KbBooking *
kb_no_show_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  return transition_finish (result, error);
}
