/* test-retention.c — personal data has a retention limit: the sweep blanks
 * a job seeker's name, contact and kiosk code once their booking ended
 * longer ago than the retention, keeps what statistics read, and leaves
 * recent bookings alone. */
#include "kbt.h"

#define DAY_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)

static void
test_retention (void)
{
  g_autofree gchar *conninfo = kbt_db_new (TRUE);
  PGconn *pg = kbt_connect (conninfo);
  g_autoptr (GError) error = NULL;
  gint64 office, service, cw;
  gint64 now = kb_clock_now ();

  kbt_seed (pg, "Europe/Oslo", 30, 0, "ret@test.example", "a long password", &office, &service,
            &cw);
  /* Bookings are inserted as they were made: back then.  Plain SQL with
   * the clock moved, so the notice rule holds as it did. */
  gint64 old_id = kbt_book (pg, service, cw, now - 100 * DAY_US, NULL, NULL);
  gint64 recent_id = kbt_book (pg, service, cw, now - 10 * DAY_US, NULL, NULL);
  g_assert_cmpint (old_id, >, 0);
  g_assert_cmpint (recent_id, >, 0);
  kbt_exec_id (pg, "UPDATE bookings SET seeker_contact = 'kari@example.org', status = 'completed'",
               0, NULL);

  g_assert_true (kb_set_retention_days (conninfo, 30, &error));
  g_assert_no_error (error);
  g_assert_false (kb_set_retention_days (conninfo, 0, &error));
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr (KbStore) store = kb_store_new (conninfo, 1, &error);
  g_assert_no_error (error);
  GAsyncResult *res = NULL;
  kb_sweep_async (store, now, NULL, kbt_ready, &res);
  kb_sweep_finish (store, kbt_wait (&res), &error);
  g_clear_object (&res);
  g_assert_no_error (error);

  g_autofree gchar *old_p = g_strdup_printf ("%" G_GINT64_FORMAT, old_id);
  g_autofree gchar *recent_p = g_strdup_printf ("%" G_GINT64_FORMAT, recent_id);
  const gchar *p_old[] = { old_p }, *p_recent[] = { recent_p };
  const gchar *q =
      "SELECT (seeker_name = '-' AND seeker_contact = '' AND kiosk_code_hash IS NULL "
      "AND forgotten_at IS NOT NULL AND status = 'completed')::int FROM bookings WHERE id = $1";
  g_assert_cmpint (kbt_exec_id (pg, q, 1, p_old), ==, 1);
  g_assert_cmpint (kbt_exec_id (pg, q, 1, p_recent), ==, 0);
  g_assert_cmpint (
      kbt_exec_id (pg, "SELECT count(*) FROM bookings WHERE seeker_contact = 'kari@example.org'", 0,
                   NULL),
      ==, 1);

  PQfinish (pg);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (conninfo);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/retention/forgets-old-personal-data", test_retention);
  return g_test_run ();
}
