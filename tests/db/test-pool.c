/* test-pool.c — the pool queues more queries than it has connections, and
 * comes back by itself after its connections are killed (as in a database
 * restart). */
#include "kbt.h"

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
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    {
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
  if (list == NULL)
    {
      g_assert_error (error, KB_ERROR, KB_ERROR_DATABASE);
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

  /* Every other backend of this database goes away, as in a restart. */
  g_assert_cmpint (kbt_exec_id (pg, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                                0, NULL), ==, 2);

  /* A query may fail while the loss is noticed; within a few seconds the
   * pool answers again with freshly prepared statements. */
  for (guint i = 0; i < 50 && !ok; i++)
    {
      ok = one_query_ok (store);
      if (!ok)
        g_usleep (100 * 1000);
      else
        {
          /* Both connections must come back, not only one. */
          ok = one_query_ok (store) && one_query_ok (store);
        }
    }
  g_assert_true (ok);
  g_assert_cmpint (kbt_exec_id (pg, "SELECT count(*) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                                0, NULL), >=, 1);
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
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    {
      GPtrArray *list = kb_queue_finish (NULL, kbt_wait (&res[i]), &error);

      g_assert_null (list);
      g_assert_error (error, KB_ERROR, KB_ERROR_DATABASE);
      g_clear_error (&error);
      g_object_unref (res[i]);
    }
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
  return g_test_run ();
}
