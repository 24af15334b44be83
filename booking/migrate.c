/* migrate.c — applies booking/sql/NNN_name.sql in order, each once, then
 * each function file booking/sql/functions/NAME.sql whose text changed
 * since it was last applied; and tells a server whose database is behind
 * which migration or function file is missing.
 * Blocking by design: it runs at start-up and in `kontor migrate`, never on
 * the running loop. */
#include "kb-private.h"

#include <stdlib.h>
#include <string.h>

/* Two servers starting at once must not both apply 002; a session-level
 * advisory lock serialises them (any constant; this one spells "kontor"). */
#define MIGRATE_LOCK_KEY "7024076097905522"

static gint
migration_version (const gchar *file)
{
  return (gint) strtol (file, NULL, 10);
}

static gboolean
exec_ok (PGconn *pg, const gchar *sql, const gchar *what, GError **error)
{
  PGresult *res = PQexec (pg, sql);
  ExecStatusType st = PQresultStatus (res);
  gboolean ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

  if (!ok)
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "%s: %s", what, PQresultErrorMessage (res));
  PQclear (res);
  return ok;
}

/* Versions recorded in schema_version; an empty table when there is none
 * yet (a fresh database). */
static GHashTable *
applied_versions (PGconn *pg, GError **error)
{
  g_autoptr (GHashTable) set = g_hash_table_new (NULL, NULL);
  PGresult *res = PQexec (pg, "SELECT to_regclass('schema_version') IS NOT NULL");

  if (PQresultStatus (res) != PGRES_TUPLES_OK) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "reading schema_version: %s",
                 PQresultErrorMessage (res));
    PQclear (res);
    return NULL;
  }
  gboolean exists = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
  PQclear (res);
  if (!exists)
    return g_steal_pointer (&set);

  res = PQexec (pg, "SELECT version FROM schema_version");
  if (PQresultStatus (res) != PGRES_TUPLES_OK) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "reading schema_version: %s",
                 PQresultErrorMessage (res));
    PQclear (res);
    return NULL;
  }
  for (int i = 0; i < PQntuples (res); i++)
    g_hash_table_add (set, GINT_TO_POINTER (atoi (PQgetvalue (res, i, 0))));
  PQclear (res);
  return g_steal_pointer (&set);
}

/* ---- function files ----------------------------------------------------- */

/* SHA-256 (hex) recorded for each function file; empty before 012. */
static GHashTable *
applied_functions (PGconn *pg, GError **error)
{
  g_autoptr (GHashTable) map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  PGresult *res = PQexec (pg, "SELECT name, sha256 FROM function_files");

  if (PQresultStatus (res) != PGRES_TUPLES_OK) {
    /* 42P01 undefined_table: a database from before 012. */
    gboolean missing = g_strcmp0 (PQresultErrorField (res, PG_DIAG_SQLSTATE), "42P01") == 0;
    if (!missing)
      g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "reading function_files: %s",
                   PQresultErrorMessage (res));
    PQclear (res);
    return missing ? g_steal_pointer (&map) : NULL;
  }
  for (int i = 0; i < PQntuples (res); i++)
    g_hash_table_insert (map, g_strdup (PQgetvalue (res, i, 0)), g_strdup (PQgetvalue (res, i, 1)));
  PQclear (res);
  return g_steal_pointer (&map);
}

/* The function files whose text is not the one last applied (names,
 * sorted; empty when all are current), or NULL on error. */
static GPtrArray *
stale_functions (PGconn *pg, GError **error)
{
  g_auto (GStrv) files = kb_sql_functions ();
  g_autoptr (GHashTable) applied = applied_functions (pg, error);
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);

  if (applied == NULL)
    return NULL;
  for (guint i = 0; files[i]; i++) {
    g_autofree gchar *path = g_strconcat ("sql/functions/", files[i], NULL);
    g_autofree gchar *sql = kb_sql_text (path);
    g_autofree gchar *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sql, -1);

    if (g_strcmp0 (g_hash_table_lookup (applied, files[i]), sha) != 0)
      g_ptr_array_add (stale, g_strdup (files[i]));
  }
  return g_steal_pointer (&stale);
}

/* Runs one function file and records its checksum, in one transaction, so
 * that a failing file leaves the function as it was and names itself. */
static gboolean
apply_function (PGconn *pg, const gchar *file, GError **error)
{
  g_autofree gchar *path = g_strconcat ("sql/functions/", file, NULL);
  g_autofree gchar *sql = kb_sql_text (path);
  g_autofree gchar *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sql, -1);
  const gchar *params[] = { file, sha };
  PGresult *res;

  if (!exec_ok (pg, "BEGIN", file, error))
    return FALSE;
  if (!exec_ok (pg, sql, file, error)) {
    PQclear (PQexec (pg, "ROLLBACK"));
    return FALSE;
  }
  res = PQexecParams (pg,
                      "INSERT INTO function_files (name, sha256) VALUES ($1, $2) "
                      "ON CONFLICT (name) DO UPDATE SET sha256 = $2, applied_at = now()",
                      2, NULL, params, NULL, NULL, 0);
  if (PQresultStatus (res) != PGRES_COMMAND_OK) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "recording %s: %s", file,
                 PQresultErrorMessage (res));
    PQclear (res);
    PQclear (PQexec (pg, "ROLLBACK"));
    return FALSE;
  }
  PQclear (res);
  if (!exec_ok (pg, "COMMIT", file, error))
    return FALSE;
  g_info ("applied function file %s", file);
  return TRUE;
}

static gboolean
apply_functions (PGconn *pg, GError **error)
{
  g_autoptr (GPtrArray) stale = stale_functions (pg, error);

  if (stale == NULL)
    return FALSE;
  for (guint i = 0; i < stale->len; i++)
    if (!apply_function (pg, g_ptr_array_index (stale, i), error))
      return FALSE;
  return TRUE;
}

/* Whether every function file is applied in its current text. */
static gboolean
functions_check (PGconn *pg, GError **error)
{
  g_autoptr (GPtrArray) stale = stale_functions (pg, error);

  if (stale == NULL)
    return FALSE;
  if (stale->len > 0) {
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE,
                 "the database schema is behind: function file %s is not applied in its "
                 "current form (run `kontor migrate`)",
                 (const gchar *) g_ptr_array_index (stale, 0));
    return FALSE;
  }
  return TRUE;
}

/* The server's role, kontor_app, gets what it needs on every table and
 * function there is now (kb_grant_app, migration 014). */
static gboolean
grant_app (PGconn *pg, GError **error)
{
  PGresult *res = PQexec (pg, "SELECT kb_grant_app()");
  gboolean ok = PQresultStatus (res) == PGRES_TUPLES_OK;

  if (!ok)
    g_set_error (error, KB_ERROR, KB_ERROR_DATABASE, "granting kontor_app: %s",
                 PQresultErrorMessage (res));
  else if (PQgetvalue (res, 0, 0)[0] != 't')
    g_warning ("there is no role kontor_app: the server's role gets no grants (migration 014)");
  PQclear (res);
  return ok;
}

/* ---- the check and the migration ------------------------------------------ */

gboolean
kb_migrate_check (PGconn *pg, GError **error)
{
  g_auto (GStrv) files = kb_sql_migrations ();
  g_autoptr (GHashTable) applied = applied_versions (pg, error);

  if (applied == NULL)
    return FALSE;
  for (guint i = 0; files[i]; i++)
    if (!g_hash_table_contains (applied, GINT_TO_POINTER (migration_version (files[i])))) {
      g_set_error (error, KB_ERROR, KB_ERROR_DATABASE,
                   "the database schema is behind: migration %s is not applied "
                   "(run `kontor migrate`)",
                   files[i]);
      return FALSE;
    }
  return functions_check (pg, error);
}

gboolean
kb_migrate (const gchar *conninfo, GError **error)
{
  g_auto (GStrv) files = kb_sql_migrations ();
  PGconn *pg = kb_connect_blocking (conninfo, error);
  gboolean ok = FALSE;

  if (pg == NULL)
    return FALSE;

  /* Quiet the NOTICEs of CREATE … IF NOT EXISTS. */
  if (!exec_ok (pg, "SET client_min_messages = warning", "setting up", error)
      || !exec_ok (pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "locking", error))
    goto out;

  {
    g_autoptr (GHashTable) applied = applied_versions (pg, error);

    if (applied == NULL)
      goto out;
    for (guint i = 0; files[i]; i++) {
      g_autofree gchar *path = NULL;
      g_autofree gchar *sql = NULL;

      if (g_hash_table_contains (applied, GINT_TO_POINTER (migration_version (files[i]))))
        continue;
      path = g_strconcat ("sql/", files[i], NULL);
      sql = kb_sql_text (path);
      /* Each file is BEGIN … COMMIT and records itself: on an error the
       * transaction is left aborted, so roll it back before saying so. */
      if (!exec_ok (pg, sql, files[i], error)) {
        PQclear (PQexec (pg, "ROLLBACK"));
        goto out;
      }
      g_info ("applied migration %s", files[i]);
    }
  }
  ok = apply_functions (pg, error) && grant_app (pg, error);

out:
  PQfinish (pg);
  return ok;
}
