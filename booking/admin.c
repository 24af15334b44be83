/* admin.c — the administrator's changes: thin wrappers that turn C
 * arguments into parameters of the kb_admin_* SQL functions (003_admin.sql),
 * where authorisation, rules and the audit log live. */
#include "kb-private.h"

#include <string.h>

/* A PostgreSQL array literal of the given elements, each quoted. */
static gchar *
array_literal (const gchar *const *items, guint n)
{
  GString *out = g_string_new ("{");

  for (guint i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c (out, ',');
    g_string_append_c (out, '"');
    for (const gchar *p = items[i] ? items[i] : ""; *p; p++) {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
    g_string_append_c (out, '"');
  }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static gchar *
strv_literal (const gchar *const *strv)
{
  return strv ? array_literal (strv, g_strv_length ((gchar **) strv)) : NULL;
}

/* weekday, opens and closes columns of intervals as three array literals. */
static void
interval_literals (const KbInterval *hours, guint n, gchar **weekdays, gchar **opens,
                   gchar **closes)
{
  g_autoptr (GPtrArray) w = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) o = g_ptr_array_new ();
  g_autoptr (GPtrArray) c = g_ptr_array_new ();

  for (guint i = 0; i < n; i++) {
    g_ptr_array_add (w, g_strdup_printf ("%d", hours[i].weekday));
    g_ptr_array_add (o, (gpointer) hours[i].opens);
    g_ptr_array_add (c, (gpointer) hours[i].closes);
  }
  *weekdays = array_literal ((const gchar *const *) w->pdata, n);
  *opens = array_literal ((const gchar *const *) o->pdata, n);
  *closes = array_literal ((const gchar *const *) c->pdata, n);
}

static void
admin_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  g_task_return_int (task, kb_row_int64 (res, 0, "id"));
  PQclear (res);
}

static void
admin_call (KbStore *store, const gchar *statement, guint n, const gchar *const *params,
            GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, admin_call);
  kb_store_query_async (store, statement, n, params, cancellable, admin_done, task);
}

gint64
kb_admin_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  return g_task_propagate_int (G_TASK (result), error);
}

#define ID(x) g_autofree gchar *x##_p = kb_param_int64 (x)

void
kb_admin_save_office_async (KbStore *store, gint64 actor_id, const KbOfficeEdit *office, gint64 now,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  ID (actor_id);
  ID (now);
  g_autofree gchar *id = office->id > 0 ? kb_param_int64 (office->id) : NULL;
  g_autofree gchar *languages = strv_literal (office->languages);
  const gchar *params[] = { actor_id_p,        now_p,           id,       office->name,
                            office->time_zone, office->address, languages };

  admin_call (store, "admin_save_office", G_N_ELEMENTS (params), params, cancellable, callback,
              user_data);
}

void
kb_admin_set_hours_async (KbStore *store, gint64 actor_id, gint64 office_id,
                          const KbInterval *hours, guint n_hours, gint64 now,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (office_id);
  g_autofree gchar *w = NULL, *o = NULL, *c = NULL;
  const gchar *params[6];

  interval_literals (hours, n_hours, &w, &o, &c);
  params[0] = actor_id_p;
  params[1] = now_p;
  params[2] = office_id_p;
  params[3] = w;
  params[4] = o;
  params[5] = c;
  admin_call (store, "admin_set_hours", 6, params, cancellable, callback, user_data);
}

void
kb_admin_add_special_day_async (KbStore *store, gint64 actor_id, gint64 office_id,
                                const gchar *first_date, const gchar *last_date,
                                const gchar *reason, const KbInterval *hours, guint n_hours,
                                gint64 now, GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (office_id);
  g_autofree gchar *w = NULL, *o = NULL, *c = NULL;

  interval_literals (hours, n_hours, &w, &o, &c);
  {
    const gchar *params[] = { actor_id_p, now_p,     office_id_p,
                              first_date, last_date, reason ? reason : "",
                              o,          c };

    admin_call (store, "admin_add_special_day", G_N_ELEMENTS (params), params, cancellable,
                callback, user_data);
  }
}

void
kb_admin_delete_special_day_async (KbStore *store, gint64 actor_id, gint64 special_day_id,
                                   gint64 now, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (special_day_id);
  const gchar *params[] = { actor_id_p, now_p, special_day_id_p };

  admin_call (store, "admin_delete_special_day", 3, params, cancellable, callback, user_data);
}

void
kb_admin_save_service_async (KbStore *store, gint64 actor_id, const KbServiceEdit *s, gint64 now,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  ID (actor_id);
  ID (now);
  g_autofree gchar *id = s->id > 0 ? kb_param_int64 (s->id) : NULL;
  g_autofree gchar *duration = g_strdup_printf ("%d", s->duration_min);
  g_autofree gchar *buffer = g_strdup_printf ("%d", s->buffer_min);
  g_autofree gchar *notice = g_strdup_printf ("%d", s->notice_min);
  g_autofree gchar *horizon = g_strdup_printf ("%d", s->horizon_days);
  g_autofree gchar *before = g_strdup_printf ("%d", s->join_before_min);
  g_autofree gchar *after = g_strdup_printf ("%d", s->join_after_min);
  g_autofree gchar *languages = strv_literal (s->languages);
  const gchar *params[] = {
    actor_id_p, now_p,   id,     s->name, duration,  buffer,
    notice,     horizon, before, after,   languages, s->interpreter_allowed ? "true" : "false"
  };

  admin_call (store, "admin_save_service", G_N_ELEMENTS (params), params, cancellable, callback,
              user_data);
}

/* ---- calls that carry a password: hash first, in a thread ---------------- */

typedef struct {
  KbStore *store;
  const gchar *statement;
  gchar *password;
  gchar *params[8];
  guint n_params;
  guint hash_index; /* which parameter receives the hash */
} HashedCall;

static void
hashed_call_free (HashedCall *h)
{
  kb_secret_free (h->password);
  for (guint i = 0; i < G_N_ELEMENTS (h->params); i++)
    g_free (h->params[i]);
  g_free (h);
}

static void
hash_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  HashedCall *h = data;
  GError *error = NULL;
  gchar *hash = kb_password_hash (h->password, &error);

  if (hash)
    g_task_return_pointer (task, hash, g_free);
  else
    g_task_return_error (task, error);
}

static void
hashed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  HashedCall *h = g_task_get_task_data (task);
  GError *error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  h->params[h->hash_index] = g_task_propagate_pointer (G_TASK (result), &error);
  if (h->params[h->hash_index] == NULL) {
    g_task_return_error (task, error);
    return;
  }
  kb_store_query_async (h->store, h->statement, h->n_params, (const gchar *const *) h->params,
                        cancellable, admin_done, g_steal_pointer (&task));
}

/* Takes h; the password must be long enough before anything is hashed. */
static void
hashed_call (HashedCall *h, GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, admin_call);
  g_task_set_task_data (task, h, (GDestroyNotify) hashed_call_free);
  if (strlen (h->password) < 10) {
    g_task_return_new_error (task, KB_ERROR, KB_ERROR_INVALID, "password: at least 10 characters");
    g_object_unref (task);
    return;
  }
  kb_task_run_blocking (task, hash_thread, hashed);
}

void
kb_admin_create_caseworker_async (KbStore *store, gint64 actor_id, gint64 office_id,
                                  const gchar *name, const gchar *email, const gchar *password,
                                  gboolean is_admin, const gchar *const *languages, gint64 now,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  HashedCall *h = g_new0 (HashedCall, 1);

  h->store = store;
  h->statement = "admin_create_caseworker";
  h->n_params = 8;
  h->hash_index = 5;
  h->password = g_strdup (password ? password : "");
  h->params[0] = kb_param_int64 (actor_id);
  h->params[1] = kb_param_int64 (now);
  h->params[2] = kb_param_int64 (office_id);
  h->params[3] = g_strdup (name ? name : "");
  h->params[4] = g_strdup (email ? email : "");
  h->params[6] = g_strdup (is_admin ? "true" : "false");
  h->params[7] = strv_literal (languages);
  hashed_call (h, cancellable, callback, user_data);
}

void
kb_admin_set_password_async (KbStore *store, gint64 actor_id, gint64 caseworker_id,
                             const gchar *password, gint64 now, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  HashedCall *h = g_new0 (HashedCall, 1);

  h->store = store;
  h->statement = "admin_set_password";
  h->n_params = 4;
  h->hash_index = 3;
  h->password = g_strdup (password ? password : "");
  h->params[0] = kb_param_int64 (actor_id);
  h->params[1] = kb_param_int64 (now);
  h->params[2] = kb_param_int64 (caseworker_id);
  hashed_call (h, cancellable, callback, user_data);
}

void
kb_admin_update_caseworker_async (KbStore *store, gint64 actor_id, gint64 caseworker_id,
                                  gint64 office_id, const gchar *name, gboolean is_admin,
                                  const gchar *const *languages, gint64 now,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (caseworker_id);
  ID (office_id);
  g_autofree gchar *langs = languages ? strv_literal (languages) : NULL;
  const gchar *params[] = {
    actor_id_p, now_p, caseworker_id_p, office_id_p, name ? name : "", is_admin ? "true" : "false",
    langs
  };

  admin_call (store, "admin_update_caseworker", G_N_ELEMENTS (params), params, cancellable,
              callback, user_data);
}

void
kb_admin_delete_absence_async (KbStore *store, gint64 actor_id, gint64 absence_id, gint64 now,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (absence_id);
  const gchar *params[] = { actor_id_p, now_p, absence_id_p };

  admin_call (store, "admin_delete_absence", 3, params, cancellable, callback, user_data);
}

void
kb_admin_set_active_async (KbStore *store, gint64 actor_id, gint64 caseworker_id, gboolean active,
                           gint64 now, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (caseworker_id);
  const gchar *params[] = { actor_id_p, now_p, caseworker_id_p, active ? "true" : "false" };

  admin_call (store, "admin_set_active", 4, params, cancellable, callback, user_data);
}

void
kb_admin_add_absence_async (KbStore *store, gint64 actor_id, gint64 caseworker_id, gint64 from,
                            gint64 to, const gchar *reason, gint64 now, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (caseworker_id);
  ID (from);
  ID (to);
  const gchar *params[] = {
    actor_id_p, now_p, caseworker_id_p, from_p, to_p, reason ? reason : ""
  };

  admin_call (store, "admin_add_absence", 6, params, cancellable, callback, user_data);
}

/* ---- reassign --------------------------------------------------------------- */

static void
reassigned (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  KbStore *store = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);
  gint64 id;

  if (res == NULL)
    return;
  id = kb_row_int64 (res, 0, "id");
  PQclear (res);
  kb_booking_fetch (store, id, g_steal_pointer (&task));
}

void
kb_reassign_async (KbStore *store, gint64 booking_id, gint64 to_caseworker_id, gint64 actor_id,
                   gint64 now, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  ID (now);
  ID (booking_id);
  ID (actor_id);
  g_autofree gchar *to = to_caseworker_id > 0 ? kb_param_int64 (to_caseworker_id) : NULL;
  const gchar *params[] = { now_p, booking_id_p, to, actor_id_p };

  g_task_set_source_tag (task, kb_reassign_async);
  g_task_set_task_data (task, store, NULL);
  kb_store_query_async (store, "reassign", 4, params, cancellable, reassigned, task);
}

KbBooking *
kb_reassign_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kb_admin_resend_message_async (KbStore *store, gint64 actor_id, gint64 message_id, gint64 now,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  ID (actor_id);
  ID (now);
  ID (message_id);
  const gchar *params[] = { actor_id_p, now_p, message_id_p };

  admin_call (store, "admin_resend_message", 3, params, cancellable, callback, user_data);
}
