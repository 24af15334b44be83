/* test-migrate.c — migrations apply to an empty database, twice without
 * error, and a store refuses a database that is behind. */
#include "kbt.h"

#include <string.h>

static void
test_twice (void)
{
  g_autofree gchar *db = kbt_db_new (FALSE);
  g_autoptr (GError) error = NULL;
  PGconn *pg;

  g_assert_true (kb_migrate (db, &error));
  g_assert_no_error (error);
  g_assert_true (kb_migrate (db, &error));
  g_assert_no_error (error);

  pg = kbt_connect (db);
  /* Each migration recorded exactly once. */
  g_assert_cmpint (
      kbt_exec_id (pg, "SELECT count(*) - count(DISTINCT version) FROM schema_version", 0, NULL),
      ==, 0);
  g_assert_cmpint (kbt_exec_id (pg, "SELECT min(version) FROM schema_version", 0, NULL), ==, 1);
  /* Every table and column has a comment. */
  g_assert_cmpint (
      kbt_exec_id (
          pg,
          "SELECT count(*) FROM information_schema.columns c "
          "JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = 'public'::regnamespace "
          "WHERE c.table_schema = 'public' "
          "AND col_description(k.oid, c.ordinal_position) IS NULL",
          0, NULL),
      ==, 0);
  g_assert_cmpint (
      kbt_exec_id (pg,
                   "SELECT count(*) FROM pg_class k WHERE k.relnamespace = 'public'::regnamespace "
                   "AND k.relkind IN ('r', 'v') AND obj_description(k.oid, 'pg_class') IS NULL",
                   0, NULL),
      ==, 0);
  PQfinish (pg);
  kbt_db_drop (db);
}

static void
test_behind (void)
{
  g_autofree gchar *db = kbt_db_new (FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (KbStore) store = NULL;

  /* An empty database: the very first migration is missing. */
  store = kb_store_new (db, 1, &error);
  g_assert_null (store);
  g_assert_error (error, KB_ERROR, KB_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "001_initial"));
  g_clear_error (&error);

  g_assert_true (kb_migrate (db, &error));
  store = kb_store_new (db, 2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

static void
test_zone (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  PGconn *pg = kbt_connect (db);
  const gchar *bad[] = { "Europe/Olso", "CET", "posix/Europe/Oslo", "+01:00" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    const gchar *p[] = { bad[i] };
    PGresult *res = kbt_exec (pg, "INSERT INTO offices (name, time_zone) VALUES ('x', $1)", 1, p);

    g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
    g_assert_cmpstr (kbt_sqlstate (res), ==, "23514");
    PQclear (res);
  }
  g_assert_cmpint (
      kbt_exec_id (
          pg,
          "INSERT INTO offices (name, time_zone) VALUES ('ok', 'Europe/Stockholm') RETURNING id", 0,
          NULL),
      >, 0);
  PQfinish (pg);
  kbt_db_drop (db);
}

/* A database made by the walking skeleton (001 only, with data) upgrades to
 * the current schema, its rows intact. */
static void
test_upgrade (void)
{
  g_autofree gchar *db = kbt_db_new (FALSE);
  g_autofree gchar *path = g_build_filename (KB_SQL_DIR, "001_initial.sql", NULL);
  g_autofree gchar *sql = NULL;
  g_autoptr (GError) error = NULL;
  PGconn *pg = kbt_connect (db);
  PGresult *res;

  g_assert_true (g_file_get_contents (path, &sql, NULL, &error));
  res = PQexec (pg, sql);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  kbt_exec_id (pg, "INSERT INTO offices (name, time_zone) VALUES ('o', 'Europe/Oslo')", 0, NULL);
  kbt_exec_id (pg,
               "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
               "SELECT 1, d, '00:00', '24:00' FROM generate_series(1, 7) d",
               0, NULL);
  kbt_exec_id (pg, "INSERT INTO services (name) VALUES ('s')", 0, NULL);
  kbt_exec_id (pg,
               "INSERT INTO caseworkers (office_id, name, email, password_hash) "
               "VALUES (1, 'k', 'k@example.org', '$argon2id$x')",
               0, NULL);
  kbt_exec_id (
      pg,
      "INSERT INTO bookings (reference, token_hash, seeker_name, seeker_contact, "
      "  service_id, caseworker_id, during, blocked, created_at, status_changed_at) "
      "SELECT r, sha256(r::bytea), 'x', 'seeker@kontor.example', 1, 1, "
      "  tstzrange(t, t + interval '30 minutes'), tstzrange(t, t + interval '30 minutes'), t, t "
      "FROM (VALUES ('ACD-EFH', timestamptz '2026-11-25 10:00+00'), "
      "             ('ACD-EFJ', timestamptz '2026-11-25 11:00+00')) v(r, t)",
      0, NULL);

  g_assert_true (kb_migrate (db, &error));
  g_assert_no_error (error);
  g_assert_cmpint (
      kbt_exec_id (pg, "SELECT count(*) FROM booking_view WHERE sequence = 0", 0, NULL), ==, 2);
  g_assert_cmpint (
      kbt_exec_id (
          pg, "SELECT count(*) FROM bookings WHERE seeker_contact_norm = 'seeker@kontor.example'",
          0, NULL),
      ==, 2);
  g_assert_cmpint (kbt_exec_id (pg, "SELECT count(*) FROM schema_version", 0, NULL), >, 1);
  PQfinish (pg);
  kbt_db_drop (db);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/db/migrate/twice", test_twice);
  g_test_add_func ("/db/migrate/behind", test_behind);
  g_test_add_func ("/db/migrate/time-zone", test_zone);
  g_test_add_func ("/db/migrate/upgrade-from-001", test_upgrade);
  return g_test_run ();
}
