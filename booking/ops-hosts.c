/* ops-hosts.c — which node hosts a meeting (migration 015): the lease a
 * node takes on a meeting when its room opens, renews by heartbeat and
 * gives back when the room closes, and the job seeker's presence that goes
 * with it.  The lease's clock is the database's (now()), the one clock all
 * nodes share. */
#include "kb-private.h"

/* ---- claim --------------------------------------------------------------- */

typedef struct {
  gchar *holder;
  gint64 remaining_ms;
} Claim;

static void
claim_free (Claim *c)
{
  g_free (c->holder);
  g_free (c);
}

static void
claim_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);
  Claim *c;

  if (res == NULL)
    return;
  c = g_new0 (Claim, 1);
  if (PQntuples (res) > 0) {
    c->holder = g_strdup (kb_row_text (res, 0, "holder"));
    c->remaining_ms = kb_row_int64 (res, 0, "remaining_ms");
  }
  PQclear (res);
  g_task_return_pointer (task, c, (GDestroyNotify) claim_free);
}

void
kb_host_claim_async (KbStore *store, gint64 booking_id, const gchar *node, guint lease_s,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *id = kb_param_int64 (booking_id);
  g_autofree gchar *lease = kb_param_int64 (lease_s);
  const gchar *params[] = { id, node, lease };

  g_task_set_source_tag (task, kb_host_claim_async);
  kb_store_query_async (store, "host_claim", 3, params, cancellable, claim_done, task);
}

gchar *
kb_host_claim_finish (KbStore *store, GAsyncResult *result, gint64 *remaining_ms, GError **error)
{
  Claim *c;
  gchar *holder;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  c = g_task_propagate_pointer (G_TASK (result), error);
  if (c == NULL)
    return NULL;
  holder = g_steal_pointer (&c->holder);
  if (remaining_ms)
    *remaining_ms = c->remaining_ms;
  claim_free (c);
  return holder;
}

/* ---- renew ----------------------------------------------------------------- */

static void
renew_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);
  GArray *held;

  if (res == NULL)
    return;
  held = g_array_sized_new (FALSE, FALSE, sizeof (KbHeld), (guint) PQntuples (res));
  for (int i = 0; i < PQntuples (res); i++) {
    KbHeld h = { .booking_id = kb_row_int64 (res, i, "booking_id"), .status = KB_STATUS_BOOKED };
    const gchar *status = kb_row_text (res, i, "status");
    /* No status (the booking deleted under its lease): left as booked,
     * which closes nothing. */
    if (status)
      kb_status_from_string (status, &h.status);
    g_array_append_val (held, h);
  }
  PQclear (res);
  g_task_return_pointer (task, held, (GDestroyNotify) g_array_unref);
}

void
kb_host_renew_async (KbStore *store, const gchar *node, const gint64 *booking_ids,
                     const gboolean *present, guint n, guint lease_s, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GString) ids = g_string_new ("{");
  g_autoptr (GString) here = g_string_new ("{");
  g_autofree gchar *lease = kb_param_int64 (lease_s);

  g_task_set_source_tag (task, kb_host_renew_async);
  for (guint i = 0; i < n; i++) {
    g_string_append_printf (ids, "%s%" G_GINT64_FORMAT, i ? "," : "", booking_ids[i]);
    g_string_append_printf (here, "%s%s", i ? "," : "", present[i] ? "t" : "f");
  }
  g_string_append_c (ids, '}');
  g_string_append_c (here, '}');
  {
    const gchar *params[] = { node, ids->str, here->str, lease };
    kb_store_query_async (store, "host_renew", 4, params, cancellable, renew_done, task);
  }
}

GArray *
kb_host_renew_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- release, presence, forget: one statement, no rows --------------------- */

static void
command_async (KbStore *store, const gchar *statement, guint n, const gchar *const *params,
               gpointer tag, GCancellable *cancellable, GAsyncReadyCallback callback,
               gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  kb_store_query_async (store, statement, n, params, cancellable, kb_query_return_done, task);
}

void
kb_host_release_async (KbStore *store, gint64 booking_id, const gchar *node,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *id = kb_param_int64 (booking_id);
  const gchar *params[] = { id, node };

  command_async (store, "host_release", 2, params, kb_host_release_async, cancellable, callback,
                 user_data);
}

void
kb_host_presence_async (KbStore *store, gint64 booking_id, const gchar *node, gboolean present,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree gchar *id = kb_param_int64 (booking_id);
  const gchar *params[] = { id, node, present ? "t" : "f" };

  command_async (store, "host_presence", 3, params, kb_host_presence_async, cancellable, callback,
                 user_data);
}

void
kb_host_forget_node_async (KbStore *store, const gchar *node, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  const gchar *params[] = { node };

  command_async (store, "host_forget_node", 1, params, kb_host_forget_node_async, cancellable,
                 callback, user_data);
}

gboolean
kb_host_command_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
