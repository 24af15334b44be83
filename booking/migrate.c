/* migrate.c — applies booking/sql/NNN_name.sql in order, each once, and
 * tells a server whose database is behind which migration is missing.
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
  return TRUE;
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
  ok = TRUE;

out:
  PQfinish (pg);
  return ok;
}
