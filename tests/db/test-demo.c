/* test-demo.c — kb_demo_seed() gives a caseworker who can log in and a
 * booking one can join at once; seeding again reuses office, service and
 * caseworker and still works.  The demo caseworker holds meetings in
 * Norwegian and English, so a newcomer's booking page finds free times in
 * either, and the office list says which languages are spoken there. */
#include "kbt.h"

/* Tomorrow's free demo slots in language (Oslo date of now + 1 day). */
static guint
demo_slots (KbStore *store, gint64 now, const gchar *language)
{
  g_autoptr (GTimeZone) oslo = g_time_zone_new_identifier ("Europe/Oslo");
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC + 86400);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (t, oslo);
  g_autofree gchar *day = g_date_time_format (local, "%Y-%m-%d");
  KbSlotQuery q = { 1, 1, 0, language, day, day };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  GAsyncResult *res = NULL;

  kb_slots_async (store, &q, now, NULL, kbt_ready, &res);
  list = kb_slots_finish (store, kbt_wait (&res), &error);
  g_object_unref (res);
  g_assert_no_error (error);
  return list->len;
}

static void
test_demo (void)
{
  g_autofree gchar *db = kbt_db_new (TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (KbDemo) first = NULL;
  g_autoptr (KbDemo) demo = NULL;
  g_autoptr (KbStore) store = NULL;
  gint64 now = g_get_real_time ();
  PGconn *pg;

  /* One that started 40 minutes ago: allowed (for tests of late arrivals). */
  {
    g_autoptr (KbDemo) late = kb_demo_seed (db, now, -2400, &error);

    g_assert_no_error (error);
    g_assert_cmpint (late->booking_starts_at, ==, now - (gint64) 2400 * G_USEC_PER_SEC);
  }
  first = kb_demo_seed (db, now, 120, &error);
  g_assert_no_error (error);
  /* Again, overlapping the first booking: still fine. */
  demo = kb_demo_seed (db, now, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (demo->caseworker_email, ==, "demo@kontor.example");
  g_assert_cmpuint (strlen (demo->caseworker_password), >=, 12);
  g_assert_cmpstr (demo->caseworker_password, !=, first->caseworker_password);
  g_assert_cmpint (demo->booking_starts_at, ==, now + 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (strlen (demo->booking_reference), ==, 7);

  pg = kbt_connect (db);
  g_assert_cmpint (kbt_exec_id (pg, "SELECT count(*) FROM offices", 0, NULL), ==, 1);
  g_assert_cmpint (kbt_exec_id (pg, "SELECT count(*) FROM caseworkers", 0, NULL), ==, 1);
  g_assert_cmpint (kbt_exec_id (pg, "SELECT count(*) FROM bookings", 0, NULL), ==, 3);
  PQfinish (pg);

  store = kb_store_new (db, 1, &error);
  g_assert_no_error (error);
  {
    GAsyncResult *res = NULL;
    g_autofree gchar *token = NULL;
    g_autoptr (KbCaseworker) c = NULL;

    kb_login_async (store, demo->caseworker_email, demo->caseworker_password, now, NULL, kbt_ready,
                    &res);
    c = kb_login_finish (store, kbt_wait (&res), &token, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (c->office_tz, ==, "Europe/Oslo");
    g_object_unref (res);
  }
  {
    GAsyncResult *res = NULL;
    g_autoptr (KbBooking) b = NULL;
    KbJoinVerdict verdict;

    kb_join_async (store, demo->booking_token, now, NULL, kbt_ready, &res);
    b = kb_join_finish (store, kbt_wait (&res), &verdict, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (verdict, ==, KB_JOIN_OK);
    g_assert_cmpstr (b->reference, ==, demo->booking_reference);
    g_object_unref (res);
  }
  {
    GAsyncResult *res = NULL;
    g_autoptr (GPtrArray) offices = NULL;
    const KbOffice *o;

    kb_offices_async (store, NULL, kbt_ready, &res);
    offices = kb_list_finish (store, kbt_wait (&res), &error);
    g_object_unref (res);
    g_assert_no_error (error);
    g_assert_cmpuint (offices->len, ==, 1);
    o = offices->pdata[0];
    g_assert_cmpuint (g_strv_length (o->caseworker_languages), ==, 2);
    g_assert_cmpstr (o->caseworker_languages[0], ==, "en");
    g_assert_cmpstr (o->caseworker_languages[1], ==, "nb");
    g_assert_true (g_strv_contains ((const gchar *const *) o->languages, "en"));
  }
  /* Open round the clock, 30 minutes a slot: about 48 tomorrow (a DST
   * day has 46 or 50) in either language, none in one nobody speaks. */
  g_assert_cmpuint (demo_slots (store, now, "en"), >=, 44);
  g_assert_cmpuint (demo_slots (store, now, "en"), ==, demo_slots (store, now, "nb"));
  g_assert_cmpuint (demo_slots (store, now, "sv"), ==, 0);
  g_clear_pointer (&store, kb_store_free);
  kbt_db_drop (db);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/db/demo/seed", test_demo);
  return g_test_run ();
}
