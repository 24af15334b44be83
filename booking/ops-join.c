/* ops-join.c — a job seeker arrives with a link token (or, at a kiosk,
 * a reference and kiosk code): look the booking up, decide with
 * kb_join_decide() and check in on first entry.  At a kiosk, wrong codes
 * are counted per booking and the tenth locks the code (migration 013).
 * Also the read-only lookup for the "my booking" page. */
#include "kb-private.h"

typedef struct {
  KbStore *store;
  gchar *hash;      /* bytea parameter text; NULL at a kiosk */
  gchar *reference; /* kiosk: the reference … */
  gchar *code;      /* … and the code typed */
  gchar *kiosk_hash;
  gboolean verified;
  gint64 now;
  guint lookups;
  KbBooking *booking;
  KbJoinVerdict verdict;
  gint64 opens_at;
} Join;

static void
join_free (Join *j)
{
  g_free (j->hash);
  g_free (j->reference);
  kb_secret_free (j->code);
  g_free (j->kiosk_hash);
  kb_booking_free (j->booking);
  g_free (j);
}

static void join_looked_up (GObject *source, GAsyncResult *result, gpointer data);

static void
join_lookup (GTask *task)
{
  Join *j = g_task_get_task_data (task);
  const gchar *params[] = { j->hash ? j->hash : j->reference };

  j->lookups++;
  kb_store_query_async (j->store, j->hash ? "booking_by_token_hash" : "booking_by_reference", 1,
                        params, g_task_get_cancellable (task), join_looked_up, task);
}

static void
join_checked_in (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Join *j = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  if (PQntuples (res) == 1) {
    j->booking->status = KB_STATUS_WAITING;
    j->booking->checked_in_at = j->now;
    PQclear (res);
    g_task_return_boolean (task, TRUE);
    return;
  }
  PQclear (res);
  /* Someone changed the status between our read and our write (a
   * cancellation, a second tab): decide again on fresh data, once. */
  if (j->lookups < 2) {
    g_clear_pointer (&j->booking, kb_booking_free);
    join_lookup (g_steal_pointer (&task));
    return;
  }
  g_task_return_new_error (task, KB_ERROR, KB_ERROR_STATE, "the booking changed while checking in");
}

/* Decides on j->booking and checks in on first entry. */
static void
join_decide (GTask *task)
{
  Join *j = g_task_get_task_data (task);

  j->verdict = kb_join_decide (j->booking, j->now, &j->opens_at);
  /* At a kiosk only "come in" is told apart from "no": a right code
   * outside the join window answers as a wrong one does, so that a code
   * cannot be confirmed by guessing for days before the meeting. */
  if (j->code && j->verdict != KB_JOIN_OK && j->verdict != KB_JOIN_REJOIN) {
    j->verdict = KB_JOIN_NO_BOOKING;
    j->opens_at = 0;
    g_clear_pointer (&j->booking, kb_booking_free);
  }
  if (j->verdict == KB_JOIN_OK && j->booking->status == KB_STATUS_BOOKED) {
    g_autofree gchar *id = kb_param_int64 (j->booking->id);
    g_autofree gchar *now = kb_param_int64 (j->now);
    const gchar *params[] = { id, now };
    GCancellable *cancellable = g_task_get_cancellable (task);

    kb_store_query_async (j->store, "booking_check_in", 2, params, cancellable, join_checked_in,
                          task);
    return;
  }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* An unknown reference costs the same argon2 work as a wrong code. */
static const gchar *
kiosk_dummy_hash (void)
{
  static gchar *hash;

  if (g_once_init_enter (&hash))
    g_once_init_leave (&hash, kb_kiosk_code_hash ("000000"));
  return hash;
}

static void
kiosk_verify_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Join *j = data;
  gboolean ok = kb_password_verify (j->kiosk_hash ? j->kiosk_hash : kiosk_dummy_hash (), j->code);

  g_task_return_boolean (task, ok && j->kiosk_hash != NULL);
}

/* The wrong code has been counted: now it is no booking. */
static void
kiosk_failure_counted (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Join *j = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL) {
    g_object_unref (task);
    return;
  }
  if (PQntuples (res) == 1 && kb_row_bool (res, 0, "locked"))
    kb_log_meeting (G_LOG_LEVEL_MESSAGE, j->booking->id,
                    "kiosk code of booking %" G_GINT64_FORMAT " locked after %s wrong codes",
                    j->booking->id, kb_row_text (res, 0, "kiosk_failures"));
  PQclear (res);
  g_clear_pointer (&j->booking, kb_booking_free);
  join_decide (task);
}

static void
kiosk_verified (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Join *j = g_task_get_task_data (task);

  j->verified = g_task_propagate_boolean (G_TASK (result), NULL);
  if (!j->verified && j->booking && !j->booking->kiosk_locked) {
    g_autofree gchar *id = kb_param_int64 (j->booking->id);
    g_autofree gchar *now = kb_param_int64 (j->now);
    const gchar *params[] = { id, now };
    kb_store_query_async (j->store, "kiosk_failed", 2, params, g_task_get_cancellable (task),
                          kiosk_failure_counted, task);
    return;
  }
  if (!j->verified)
    g_clear_pointer (&j->booking, kb_booking_free); /* a wrong code is no booking */
  join_decide (task);
}

static void
join_looked_up (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Join *j = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  j->booking = PQntuples (res) == 1 ? kb_booking_from_row (res, 0) : NULL;
  if (j->code && !j->verified) {
    /* A locked code is checked against nothing (the same work as a
     * wrong one): even the right one no longer opens. */
    j->kiosk_hash = j->booking && !j->booking->kiosk_locked
                        ? g_strdup (kb_row_text (res, 0, "kiosk_code_hash"))
                        : NULL;
    PQclear (res);
    kb_task_run_blocking (g_steal_pointer (&task), kiosk_verify_thread, kiosk_verified);
    return;
  }
  PQclear (res);
  join_decide (g_steal_pointer (&task));
}

void
kb_join_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
               GAsyncReadyCallback callback, gpointer user_data)
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

void
kb_kiosk_join_async (KbStore *store, const gchar *reference, const gchar *code, gint64 now,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Join *j = g_new0 (Join, 1);

  g_task_set_source_tag (task, kb_join_async);
  j->store = store;
  j->reference = g_strdup (reference ? reference : "");
  j->code = g_strdup (code ? code : "");
  j->now = now;
  g_task_set_task_data (task, j, (GDestroyNotify) join_free);
  join_lookup (task);
}

KbBooking *
kb_kiosk_join_finish (KbStore *store, GAsyncResult *result, KbJoinVerdict *verdict,
                      gint64 *opens_at, GError **error)
{
  return kb_join_finish (store, result, verdict, opens_at, error);
}

KbBooking *
kb_join_finish (KbStore *store, GAsyncResult *result, KbJoinVerdict *verdict, gint64 *opens_at,
                GError **error)
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

  kb_query_return_row (task, result, (KbRowParser) kb_booking_from_row,
                       (GDestroyNotify) kb_booking_free, "no booking has this link");
}

void
kb_booking_by_token_async (KbStore *store, const gchar *token, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *hash = kb_param_token_hash (token ? token : "");
  const gchar *params[] = { hash };

  g_task_set_source_tag (task, kb_booking_by_token_async);
  kb_store_query_async (store, "booking_by_token_hash", 1, params, cancellable, by_token_done,
                        task);
}

KbBooking *
kb_booking_by_token_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
