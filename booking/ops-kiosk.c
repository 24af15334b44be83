/* ops-kiosk.c — a caseworker gives a job seeker a new kiosk code: after
 * ten wrong ones the old code is locked (ops-join.c), and a code can be
 * lost.  The new code is hashed (argon2id, on a worker thread) before it
 * is stored; only the caseworker's answer carries it, once. */
#include "kb-private.h"

typedef struct {
  KbStore *store;
  gint64 booking_id, caseworker_id, now;
  gchar *code; /* the new code, raw */
  gchar *hash;
  gint64 owner_id; /* the booking's caseworker */
} Renew;

static void
renew_free (Renew *r)
{
  kb_secret_free (r->code);
  g_free (r->hash);
  g_free (r);
}

static void
renew_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Renew *r = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);
  gboolean visible, changed;

  if (res == NULL)
    return;
  visible = kb_row_bool (res, 0, "visible");
  changed = kb_row_bool (res, 0, "changed");
  if (visible)
    r->owner_id = kb_row_int64 (res, 0, "owner_id");
  PQclear (res);
  if (!visible)
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_NOT_FOUND, "no_booking: no such booking");
  else if (!changed)
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_STATE,
                             "state: the booking is no longer booked or waiting");
  else
    g_task_return_pointer (task, g_strdup (r->code), (GDestroyNotify) kb_secret_free);
}

static void
renew_hash_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Renew *r = data;

  g_task_return_pointer (task, kb_kiosk_code_hash (r->code), g_free);
}

static void
renew_hashed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Renew *r = g_task_get_task_data (task);
  g_autofree gchar *id = kb_param_int64 (r->booking_id);
  g_autofree gchar *cw = kb_param_int64 (r->caseworker_id);
  g_autofree gchar *now = kb_param_int64 (r->now);

  r->hash = g_task_propagate_pointer (G_TASK (result), NULL);
  if (r->hash == NULL) {
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_DATABASE, "out of memory hashing");
    return;
  }
  {
    const gchar *params[] = { id, cw, r->hash, now };
    GCancellable *cancellable = g_task_get_cancellable (task);
    kb_store_query_async (r->store, "kiosk_code_renew", 4, params, cancellable, renew_done,
                          g_steal_pointer (&task));
  }
}

void
kb_kiosk_code_renew_async (KbStore *store, gint64 booking_id, gint64 caseworker_id, gint64 now,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Renew *r = g_new0 (Renew, 1);

  g_task_set_source_tag (task, kb_kiosk_code_renew_async);
  r->store = store;
  r->booking_id = booking_id;
  r->caseworker_id = caseworker_id;
  r->now = now;
  r->code = kb_kiosk_code_new ();
  g_task_set_task_data (task, r, (GDestroyNotify) renew_free);
  kb_task_run_blocking (task, renew_hash_thread, renew_hashed);
}

gchar *
kb_kiosk_code_renew_finish (KbStore *store, GAsyncResult *result, gint64 *owner_id, GError **error)
{
  Renew *r;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  r = g_task_get_task_data (G_TASK (result));
  if (owner_id)
    *owner_id = r->owner_id;
  return g_task_propagate_pointer (G_TASK (result), error);
}
