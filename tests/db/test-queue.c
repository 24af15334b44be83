/* test-queue.c — a caseworker's queue is the office-local day, not the UTC
 * day, in start order. */
#include "kbt.h"

static gint64
local_us (PGconn *pg, const gchar *local)
{
  const gchar *p[] = { local };

  return kbt_exec_id (pg, "SELECT kb_us($1::timestamp AT TIME ZONE 'Europe/Oslo')", 1, p);
}

static void
test_queue (void)
{
  gchar *db;
  PGconn *pg;
  KbStore *store;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  GAsyncResult *res = NULL;
  gint64 office, service, cw;
  const gchar *inside[] = { "2026-11-25 00:00", "2026-11-25 12:00", "2026-11-25 23:30" };
  const gchar *outside[] = { "2026-11-24 23:00", "2026-11-26 00:00" };
  gint64 ids[3];

  kbt_open (&db, &pg);
  kbt_seed (pg, "Europe/Oslo", 30, 0, "kari@example.org", "pw", &office, &service, &cw);
  /* Inserted out of order on purpose. */
  for (gint i = 2; i >= 0; i--)
    ids[i] = kbt_book (pg, service, cw, local_us (pg, inside[i]), NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (outside); i++)
    g_assert_cmpint (kbt_book (pg, service, cw, local_us (pg, outside[i]), NULL, NULL), >, 0);

  store = kbt_store (db, 1);
  /* 00:30 local is still 2026-11-24 in UTC. */
  kb_queue_async (store, cw, local_us (pg, "2026-11-25 00:30"), NULL, kbt_ready, &res);
  list = kb_queue_finish (store, kbt_wait (&res), &error);
  g_object_unref (res);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (((KbBooking *) list->pdata[i])->id, ==, ids[i]);

  kbt_close (db, pg, store);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/db/queue/local-day", test_queue);
  return g_test_run ();
}
