/* test-pool.c — the pool queues more queries than it has connections, and
 * comes back by itself after its connections are killed (as in a database
 * restart).  Its bounds: a full queue refuses at once (busy), the
 * statement_timeout set on each connection cuts a stuck statement off
 * (busy, the connection kept), and a database that refuses connections is
 * reported at once (unavailable) until it takes them again. */
#include "kbt.h"

#include <string.h>

static void
test_many (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (KbStore) store = kb_store_new (db, 3, &error);
  GAsyncResult *res[60] = { NULL };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res[i]);
  for (guint i = 0; i < G_N_ELEMENTS (res); i++) {
    GPtrArray *list = kb_queue_finish (store, kbt_wait (&res[i]), &error);

    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 0);
    g_ptr_array_unref (list);
    g_object_unref (res[i]);
  }
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

static gboolean
one_query_ok (KbStore *store)
{
  GAsyncResult *res = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *list;

  kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res);
  list = kb_queue_finish (store, kbt_wait (&res), &error);
  g_object_unref (res);
  if (list == NULL) {
    g_assert_error (error, KB_ERROR, KB_ERROR_UNAVAILABLE);
    return FALSE;
  }
  g_ptr_array_unref (list);
  return TRUE;
}

static void
test_reconnect (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (KbStore) store = kb_store_new (db, 2, &error);
  PGconn *pg = kbt_connect (db);
  gboolean ok = FALSE;

  g_assert_no_error (error);
  g_assert_true (one_query_ok (store));
  /* The pool warns about the lost connections: expected here. */
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);

  /* Every other backend of this database goes away, as in a restart (the
   * pool's two, and perhaps an autovacuum worker or a backend of an
   * earlier case still on its way out). */
  g_assert_cmpint (kbt_exec_id (pg,
                                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                                0, NULL),
                   >=, 2);

  /* A query may fail while the loss is noticed; within a few seconds the
   * pool answers again with freshly prepared statements. */
  for (guint i = 0; i < 50 && !ok; i++) {
    ok = one_query_ok (store);
    if (!ok)
      g_usleep (100 * 1000);
    else {
      /* Both connections must come back, not only one. */
      ok = one_query_ok (store) && one_query_ok (store);
    }
  }
  g_assert_true (ok);
  g_assert_cmpint (kbt_exec_id (pg,
                                "SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                                0, NULL),
                   >=, 1);
  PQfinish (pg);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

/* Freeing the store with queries queued and in flight answers each of them
 * with an error, after the pool is gone. */
static void
test_free_busy (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  g_autoptr (GError) error = NULL;
  KbStore *store = kb_store_new (db, 2, &error);
  GAsyncResult *res[10] = { NULL };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res[i]);
  kb_store_free (store);
  for (guint i = 0; i < G_N_ELEMENTS (res); i++) {
    GPtrArray *list = kb_queue_finish (NULL, kbt_wait (&res[i]), &error);

    g_assert_null (list);
    g_assert_error (error, KB_ERROR, KB_ERROR_UNAVAILABLE);
    g_clear_error (&error);
    g_object_unref (res[i]);
  }
  kbt_db_drop (db);
}

/* Takes every lock on bookings (from another connection) so that
 * statements reading it wait; "ROLLBACK" lets them go. */
static void
hold_bookings (PGconn *pg)
{
  kbt_exec_ok (pg, "BEGIN; LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE");
}

static GPtrArray *
queue_finish (KbStore *store, GAsyncResult **slot, GError **error)
{
  GAsyncResult *res = kbt_wait (slot);
  GPtrArray *list = kb_queue_finish (store, res, error);

  g_object_unref (res);
  *slot = NULL;
  return list;
}

static void
test_queue_is_bounded (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  KbStoreOptions options = { .pool_size = 1, .max_waiting = 3, .statement_timeout_ms = 10000 };
  g_autoptr (GError) error = NULL;
  g_autoptr (KbStore) store = kb_store_new_full (db, &options, &error);
  PGconn *pg = kbt_connect (db);
  GAsyncResult *res[6] = { NULL };
  KbStoreStats stats;
  gint64 start;

  g_assert_no_error (error);
  hold_bookings (pg);
  /* One in flight (stuck on the lock), three waiting, two past the bound. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res[i]);
  for (guint i = 4; i < 6; i++) {
    g_assert_null (queue_finish (store, &res[i], &error));
    g_assert_error (error, KB_ERROR, KB_ERROR_BUSY);
    g_clear_error (&error);
  }
  /* Refused at once, not after the others. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
  kb_store_stats (store, &stats);
  g_assert_cmpuint (stats.waiting, ==, 3);
  g_assert_cmpuint (stats.refused_busy, ==, 2);

  kbt_exec_ok (pg, "ROLLBACK");
  for (guint i = 0; i < 4; i++) {
    GPtrArray *list = queue_finish (store, &res[i], &error);

    g_assert_no_error (error);
    g_ptr_array_unref (list);
  }
  PQfinish (pg);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

static void
test_statement_timeout (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  KbStoreOptions options = { .pool_size = 1, .max_waiting = 10, .statement_timeout_ms = 300 };
  g_autoptr (GError) error = NULL;
  g_autoptr (KbStore) store = kb_store_new_full (db, &options, &error);
  PGconn *pg = kbt_connect (db);
  GAsyncResult *res = NULL;
  GPtrArray *list;
  KbStoreStats stats;
  gint64 start, took;

  g_assert_no_error (error);
  hold_bookings (pg);
  start = g_get_monotonic_time ();
  kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res);
  g_assert_null (queue_finish (store, &res, &error));
  took = g_get_monotonic_time () - start;
  /* PostgreSQL cut it off (57014), not the pool's own timer 2 s later. */
  g_assert_error (error, KB_ERROR, KB_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "statement timeout"));
  g_assert_cmpint (took, >=, 250 * 1000);
  g_assert_cmpint (took, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);
  kbt_exec_ok (pg, "ROLLBACK");

  /* The same connection answers the next query. */
  kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res);
  list = queue_finish (store, &res, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (list);
  kb_store_stats (store, &stats);
  g_assert_cmpuint (stats.reconnects, ==, 0);
  PQfinish (pg);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

/* Runs the main loop (the pool's timers and sockets) for ms. */
static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (5 * 1000);
  }
}

/* From the cluster's first database: PostgreSQL refuses this for the
 * database one is connected to. */
static void
allow_connections (const gchar *dbname, gboolean allow)
{
  PGconn *admin = kbt_connect (g_getenv ("KONTOR_TEST_CONNINFO"));
  char *name = PQescapeIdentifier (admin, dbname, strlen (dbname));
  g_autofree gchar *sql =
      g_strdup_printf ("ALTER DATABASE %s ALLOW_CONNECTIONS %s", name, allow ? "true" : "false");

  kbt_exec_ok (admin, sql);
  PQfreemem (name);
  PQfinish (admin);
}

static void
test_unavailable_fast (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (KbStore) store = kb_store_new (db, 2, &error);
  PGconn *pg = kbt_connect (db);
  GAsyncResult *res = NULL;
  KbStoreStats stats = { 0 };
  gboolean back = FALSE;
  gint64 start;

  g_assert_no_error (error);
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
  /* The database stops taking connections and drops the pool's. */
  allow_connections (PQdb (pg), FALSE);
  kbt_exec_ok (pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  for (guint i = 0; i < 100 && (stats.available || i == 0); i++) {
    spin (20);
    kb_store_stats (store, &stats);
  }
  g_assert_false (stats.available);

  /* From now on every query is answered at once. */
  start = g_get_monotonic_time ();
  kb_queue_async (store, 1, g_get_real_time (), NULL, kbt_ready, &res);
  g_assert_null (queue_finish (store, &res, &error));
  g_assert_error (error, KB_ERROR, KB_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 10);

  allow_connections (PQdb (pg), TRUE);
  /* Back within the longest back-off (2 s) and a little. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 60 && !back; i++) {
    back = one_query_ok (store);
    if (!back)
      spin (100);
  }
  g_assert_true (back);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  kb_store_stats (store, &stats);
  g_assert_true (stats.available);
  PQfinish (pg);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/db/pool/many", test_many);
  g_test_add_func ("/db/pool/reconnect", test_reconnect);
  g_test_add_func ("/db/pool/free-busy", test_free_busy);
  g_test_add_func ("/db/pool/queue-is-bounded", test_queue_is_bounded);
  g_test_add_func ("/db/pool/statement-timeout", test_statement_timeout);
  g_test_add_func ("/db/pool/unavailable-fast", test_unavailable_fast);
  return g_test_run ();
}
