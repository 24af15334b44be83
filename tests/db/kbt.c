/* kbt.c — helpers shared by the db tests (see kbt.h). */
#include "kbt.h"

#include <unistd.h>

gboolean
kbt_available (void)
{
  const gchar *c = g_getenv ("KONTOR_TEST_CONNINFO");

  return c != NULL && *c != '\0';
}

gboolean
kbt_init (int *argc, char ***argv)
{
  if (!kbt_available ())
    return FALSE;
  g_test_init (argc, argv, NULL);
  return TRUE;
}

PGconn *
kbt_connect (const gchar *conninfo)
{
  PGconn *pg = PQconnectdb (conninfo);

  if (PQstatus (pg) != CONNECTION_OK)
    g_error ("cannot connect (%s): %s", conninfo, PQerrorMessage (pg));
  PQclear (PQexec (pg, "SET client_min_messages = warning"));
  return pg;
}

PGresult *
kbt_exec (PGconn *pg, const gchar *sql, int n, const gchar *const *params)
{
  return PQexecParams (pg, sql, n, NULL, params, NULL, NULL, 0);
}

/* The simple query protocol: unlike kbt_exec, several statements at once. */
void
kbt_exec_ok (PGconn *pg, const gchar *sql)
{
  PGresult *res = PQexec (pg, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  PQclear (res);
}

const gchar *
kbt_sqlstate (const PGresult *res)
{
  const gchar *s = PQresultErrorField (res, PG_DIAG_SQLSTATE);

  return s ? s : "";
}

gint64
kbt_exec_id (PGconn *pg, const gchar *sql, int n, const gchar *const *params)
{
  PGresult *res = kbt_exec (pg, sql, n, params);
  gint64 id = 0;

  if (PQresultStatus (res) != PGRES_TUPLES_OK && PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0 && !PQgetisnull (res, 0, 0))
    id = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return id;
}

gchar *
kbt_db_new (gboolean migrate)
{
  static guint counter;
  const gchar *base = g_getenv ("KONTOR_TEST_CONNINFO");
  g_autofree gchar *name =
      g_strdup_printf ("kbt_%d_%u_%u", (int) getpid (), counter++, g_random_int () % 100000);
  g_autofree gchar *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  PGconn *admin = kbt_connect (base);
  gchar *conninfo;

  /* A later keyword wins in a libpq conninfo string. */
  kbt_exec_id (admin, sql, 0, NULL);
  PQfinish (admin);
  conninfo = g_strdup_printf ("%s dbname=%s", base, name);
  if (migrate) {
    g_autoptr (GError) error = NULL;

    if (!kb_migrate (conninfo, &error))
      g_error ("migrate: %s", error->message);
  }
  return conninfo;
}

void
kbt_db_drop (const gchar *conninfo)
{
  PGconn *pg = kbt_connect (conninfo);
  g_autofree gchar *sql = g_strdup_printf ("DROP DATABASE %s WITH (FORCE)", PQdb (pg));
  PGconn *admin;

  PQfinish (pg);
  admin = kbt_connect (g_getenv ("KONTOR_TEST_CONNINFO"));
  kbt_exec_id (admin, sql, 0, NULL);
  PQfinish (admin);
}

void
kbt_open (gchar **db, PGconn **pg)
{
  *db = kbt_db_new (TRUE);
  *pg = kbt_connect (*db);
}

KbStore *
kbt_store (const gchar *db, guint pool_size)
{
  g_autoptr (GError) error = NULL;
  KbStore *store = kb_store_new (db, pool_size, &error);

  g_assert_no_error (error);
  return store;
}

void
kbt_close (gchar *db, PGconn *pg, KbStore *store)
{
  if (store)
    kb_store_free (store);
  if (pg)
    PQfinish (pg);
  kbt_db_drop (db);
  g_free (db);
}

void
kbt_seed (PGconn *pg, const gchar *tz, gint duration_min, gint buffer_min, const gchar *email,
          const gchar *password, gint64 *office, gint64 *service, gint64 *caseworker)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *hash = kb_password_hash (password, &error);
  g_autofree gchar *office_name = g_strdup_printf ("Office %s %u", tz, g_random_int ());
  g_autofree gchar *service_name = g_strdup_printf ("Service %u", g_random_int ());
  g_autofree gchar *dur = g_strdup_printf ("%d", duration_min);
  g_autofree gchar *buf = g_strdup_printf ("%d", buffer_min);
  g_autofree gchar *o = NULL, *s = NULL;

  g_assert_no_error (error);
  {
    const gchar *p[] = { office_name, tz };

    *office = kbt_exec_id (pg, "INSERT INTO offices (name, time_zone) VALUES ($1, $2) RETURNING id",
                           2, p);
  }
  o = g_strdup_printf ("%" G_GINT64_FORMAT, *office);
  {
    const gchar *p[] = { o };

    kbt_exec_id (pg,
                 "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
                 "SELECT $1, d, '00:00', '24:00' FROM generate_series(1, 7) d",
                 1, p);
  }
  {
    const gchar *p[] = { service_name, dur, buf };

    *service = kbt_exec_id (pg,
                            "INSERT INTO services (name, duration_min, buffer_min) "
                            "VALUES ($1, $2, $3) RETURNING id",
                            3, p);
  }
  s = g_strdup_printf ("%" G_GINT64_FORMAT, *service);
  {
    const gchar *p[] = { o, email, hash };

    *caseworker = kbt_exec_id (pg,
                               "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                               "VALUES ($1, 'Kari Test', $2, $3) RETURNING id",
                               3, p);
  }
}

gint64
kbt_book (PGconn *pg, gint64 service, gint64 caseworker, gint64 start_us, const gchar *token,
          gchar **sqlstate)
{
  g_autofree gchar *tok = token ? g_strdup (token) : kb_token_new ();
  static const gchar alphabet[] = "ACDEFHJKMNPQRTUVWXY34679";
  gchar ref[8];
  g_autofree gchar *s = g_strdup_printf ("%" G_GINT64_FORMAT, service);
  g_autofree gchar *c = g_strdup_printf ("%" G_GINT64_FORMAT, caseworker);
  g_autofree gchar *t = g_strdup_printf ("%" G_GINT64_FORMAT, start_us);
  guint8 hash[KB_TOKEN_HASH_LEN];
  GString *hex = g_string_new ("\\x");
  PGresult *res;
  gint64 id = 0;

  for (guint i = 0; i < 7; i++)
    ref[i] = i == 3 ? '-' : alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  ref[7] = '\0';
  kb_token_hash (tok, hash);
  for (guint i = 0; i < sizeof hash; i++)
    g_string_append_printf (hex, "%02x", hash[i]);
  {
    const gchar *p[] = { ref, hex->str, s, c, t };

    res = kbt_exec (
        pg,
        "INSERT INTO bookings (reference, token_hash, seeker_name, service_id, caseworker_id, "
        "  during, blocked, created_at, status_changed_at) "
        "SELECT $1, $2::bytea, 'Ola Test', s.id, $4::bigint, "
        "  tstzrange(kb_ts($5), kb_ts($5) + make_interval(mins => s.duration_min)), "
        "  tstzrange(kb_ts($5), kb_ts($5) + make_interval(mins => s.duration_min + s.buffer_min)), "
        "  kb_ts($5) - interval '1 day', kb_ts($5) - interval '1 day' "
        "FROM services s WHERE s.id = $3::bigint RETURNING id",
        5, p);
  }
  g_string_free (hex, TRUE);
  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
    id = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  if (sqlstate)
    *sqlstate = g_strdup (kbt_sqlstate (res));
  PQclear (res);
  return id;
}

KbBookResult *
kbt_book_api (KbStore *store, const KbBookRequest *request, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbBookResult *out;

  kb_book_async (store, request, now, NULL, kbt_ready, &res);
  out = kb_book_finish (store, kbt_wait (&res), error);
  g_object_unref (res);
  return out;
}

void
kbt_ready (GObject *source, GAsyncResult *result, gpointer slot)
{
  *(GAsyncResult **) slot = g_object_ref (result);
}

static gboolean
kbt_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
kbt_wait (GAsyncResult **slot)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (20, kbt_timeout, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_nonnull (*slot);
  return *slot;
}
