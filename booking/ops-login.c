/* ops-login.c — caseworker login (argon2id verify off the main thread),
 * session lookup and logout.  The session secret goes to the cookie; the
 * database keeps its SHA-256. */
#include "kb-private.h"

typedef struct {
  KbStore *store;
  gchar *password;
  gchar *hash; /* from the database, or NULL: unknown e-mail */
  gint64 now;
  KbCaseworker *caseworker;
  gchar *token;
} Login;

static void
login_free (Login *l)
{
  kb_secret_free (l->password);
  g_free (l->hash);
  kb_caseworker_free (l->caseworker);
  g_free (l->token);
  g_free (l);
}

/* An unknown e-mail costs the same argon2 work as a wrong password, so the
 * answer's timing does not tell which e-mails exist. */
static const gchar *
dummy_hash (void)
{
  static gchar *hash;

  if (g_once_init_enter (&hash))
    g_once_init_leave (&hash, kb_password_hash ("kontor: no such user", NULL));
  return hash;
}

static void
login_verify_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Login *l = data;
  gboolean ok;

  if (l->hash)
    ok = kb_password_verify (l->hash, l->password);
  else {
    (void) kb_password_verify (dummy_hash (), l->password);
    ok = FALSE;
  }
  g_task_return_boolean (task, ok);
}

/* The failed log-in is in the audit log: now say so. */
static void
failure_recorded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  PQclear (res);
  g_task_return_new_error (task, KB_ERROR, KB_ERROR_BAD_LOGIN, "wrong e-mail or password");
}

static void
login_verified (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Login *l = g_task_get_task_data (task);
  g_autofree gchar *hash = NULL, *id = NULL, *now = NULL, *life = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), NULL)) {
    g_autofree gchar *who = l->caseworker ? kb_param_int64 (l->caseworker->id) : NULL;
    g_autofree gchar *when = kb_param_int64 (l->now);
    const gchar *params[] = { who, when };
    GCancellable *cancellable = g_task_get_cancellable (task);

    kb_store_query_async (l->store, "login_failed", 2, params, cancellable, failure_recorded,
                          g_steal_pointer (&task));
    return;
  }
  l->token = kb_token_new ();
  hash = kb_param_token_hash (l->token);
  id = kb_param_int64 (l->caseworker->id);
  now = kb_param_int64 (l->now);
  life = g_strdup_printf ("%d", KB_SESSION_LIFETIME_S);
  {
    const gchar *params[] = { hash, id, now, life };
    GCancellable *cancellable = g_task_get_cancellable (task);

    kb_store_query_async (l->store, "session_insert", 4, params, cancellable, kb_query_return_done,
                          g_steal_pointer (&task));
  }
}

static void
login_looked_up (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  Login *l = g_task_get_task_data (task);
  PGresult *res = kb_query_finish_or_return (task, result);

  if (res == NULL)
    return;
  if (PQntuples (res) == 1) {
    l->caseworker = kb_caseworker_from_row (res, 0);
    l->hash = g_strdup (kb_row_text (res, 0, "password_hash"));
  }
  PQclear (res);

  /* Not cancellable: a cancelled verify would read as a wrong password. */
  kb_task_run_blocking (g_steal_pointer (&task), login_verify_thread, login_verified);
}

void
kb_login_async (KbStore *store, const gchar *email, const gchar *password, gint64 now,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Login *l = g_new0 (Login, 1);
  const gchar *params[] = { email ? email : "" };

  g_task_set_source_tag (task, kb_login_async);
  l->store = store;
  l->password = g_strdup (password ? password : "");
  l->now = now;
  g_task_set_task_data (task, l, (GDestroyNotify) login_free);
  kb_store_query_async (store, "caseworker_by_email", 1, params, cancellable, login_looked_up,
                        task);
}

KbCaseworker *
kb_login_finish (KbStore *store, GAsyncResult *result, gchar **session_token, GError **error)
{
  Login *l;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  l = g_task_get_task_data (G_TASK (result));
  if (session_token)
    *session_token = g_steal_pointer (&l->token);
  return g_steal_pointer (&l->caseworker);
}

/* ---- session ------------------------------------------------------------ */

static void
session_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;

  kb_query_return_row (task, result, (KbRowParser) kb_caseworker_from_row,
                       (GDestroyNotify) kb_caseworker_free, "no live session");
}

void
kb_session_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *hash = kb_param_token_hash (token ? token : "");
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { hash, when };

  g_task_set_source_tag (task, kb_session_async);
  kb_store_query_async (store, "session_lookup", 2, params, cancellable, session_done, task);
}

KbCaseworker *
kb_session_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kb_logout_async (KbStore *store, const gchar *token, gint64 now, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree gchar *hash = kb_param_token_hash (token ? token : "");
  g_autofree gchar *when = kb_param_int64 (now);
  const gchar *params[] = { hash, when };

  g_task_set_source_tag (task, kb_logout_async);
  kb_store_query_async (store, "session_delete", 2, params, cancellable, kb_query_return_done,
                        task);
}

gboolean
kb_logout_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- sessions behind open sockets --------------------------------------- */

static void
sessions_live_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  guint n = GPOINTER_TO_UINT (g_task_get_task_data (task));
  PGresult *res = kb_query_finish_or_return (task, result);
  gboolean *live;

  if (res == NULL)
    return;
  live = g_new0 (gboolean, MAX (n, 1));
  for (int i = 0; i < PQntuples (res); i++) {
    gint64 position = kb_row_int64 (res, i, "position");
    if (position >= 1 && position <= n)
      live[position - 1] = TRUE;
  }
  PQclear (res);
  g_task_return_pointer (task, live, g_free);
}

void
kb_sessions_live_async (KbStore *store, const gchar *const *tokens, guint n, gint64 now,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GString) hashes = g_string_new ("{");
  g_autofree gchar *when = kb_param_int64 (now);

  g_task_set_source_tag (task, kb_sessions_live_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (n), NULL);
  for (guint i = 0; i < n; i++) {
    /* kb_param_token_hash gives bytea text, "\\x" then hex: keep the hex. */
    g_autofree gchar *hash = kb_param_token_hash (tokens[i] ? tokens[i] : "");
    g_string_append_printf (hashes, "%s%s", i ? "," : "", hash + 2);
  }
  g_string_append_c (hashes, '}');
  {
    const gchar *params[] = { hashes->str, when };
    kb_store_query_async (store, "sessions_live", 2, params, cancellable, sessions_live_done, task);
  }
}

gboolean *
kb_sessions_live_finish (KbStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
