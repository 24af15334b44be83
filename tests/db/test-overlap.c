/* test-overlap.c — the database itself refuses two overlapping live
 * bookings of one caseworker, the buffer after a meeting included; plain
 * SQL, no C rules in between. */
#include "kbt.h"

#define MIN_US ((gint64) 60 * G_USEC_PER_SEC)

static void
test_overlap (void)
{
  gchar *db;
  PGconn *pg;
  gint64 office, service, cw, other, first, later,
      t0 = (g_get_real_time () / MIN_US + 24 * 60) * MIN_US;
  g_autofree gchar *state = NULL;

  kbt_open (&db, &pg);
  /* 30-minute meetings with 10 minutes of buffer after each. */
  kbt_seed (pg, "Europe/Oslo", 30, 10, "kari@example.org", "pw", &office, &service, &cw);

  first = kbt_book (pg, service, cw, t0, NULL, &state);
  g_assert_cmpint (first, >, 0);
  g_clear_pointer (&state, g_free);

  /* Plainly overlapping. */
  g_assert_cmpint (kbt_book (pg, service, cw, t0 + 15 * MIN_US, NULL, &state), ==, 0);
  g_assert_cmpstr (state, ==, "23P01");
  g_clear_pointer (&state, g_free);

  /* Starts after the meeting but inside its buffer. */
  g_assert_cmpint (kbt_book (pg, service, cw, t0 + 35 * MIN_US, NULL, &state), ==, 0);
  g_assert_cmpstr (state, ==, "23P01");
  g_clear_pointer (&state, g_free);

  /* Ends inside the first one's start (its own buffer overlaps). */
  g_assert_cmpint (kbt_book (pg, service, cw, t0 - 35 * MIN_US, NULL, &state), ==, 0);
  g_assert_cmpstr (state, ==, "23P01");
  g_clear_pointer (&state, g_free);

  /* Exactly after the buffer: fine (ranges are half-open). */
  later = kbt_book (pg, service, cw, t0 + 40 * MIN_US, NULL, NULL);
  g_assert_cmpint (later, >, 0);

  /* Another caseworker at the same time: fine. */
  {
    g_autofree gchar *o = g_strdup_printf ("%" G_GINT64_FORMAT, office);
    const gchar *p[] = { o };
    other = kbt_exec_id (pg,
                         "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                         "VALUES ($1, 'Other', 'other@example.org', '$argon2id$x') RETURNING id",
                         1, p);
  }
  g_assert_cmpint (kbt_book (pg, service, other, t0, NULL, NULL), >, 0);

  /* A cancelled booking frees its time. */
  {
    g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, first);
    const gchar *p[] = { id };
    kbt_exec_id (pg, "UPDATE bookings SET status = 'cancelled' WHERE id = $1", 1, p);
  }
  g_assert_cmpint (kbt_book (pg, service, cw, t0 - 5 * MIN_US, NULL, NULL), >, 0);

  /* An UPDATE that moves a booking onto another is refused as well: the
   * one at t0+40 moved 10 minutes earlier meets [t0-5, t0+35). */
  {
    g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, later);
    const gchar *p[] = { id };
    PGresult *res = kbt_exec (
        pg,
        "UPDATE bookings SET "
        "during = tstzrange(lower(during) - interval '10 minutes', upper(during) - interval '10 minutes'), "
        "blocked = tstzrange(lower(blocked) - interval '10 minutes', upper(blocked) - interval '10 minutes') "
        "WHERE id = $1",
        1, p);
    g_assert_cmpstr (kbt_sqlstate (res), ==, "23P01");
    PQclear (res);
  }
  kbt_close (db, pg, NULL);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/db/overlap/caseworker", test_overlap);
  return g_test_run ();
}
