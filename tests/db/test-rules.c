/* test-rules.c — the booking rules held by PostgreSQL, tried with plain
 * SQL: opening hours with a lunch break, closures and special days,
 * absences, notice and horizon, job seeker overlap and cap, references;
 * the checks run on time/caseworker changes only, not on status changes. */
#include "kbt.h"

typedef struct {
  gchar *db;
  PGconn *pg;
  gint64 office, service, cw, cw2;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  kbt_open (&f->db, &f->pg);
  f->office = kbt_exec_id (
      f->pg,
      "INSERT INTO offices (name, time_zone) VALUES ('Grünerløkka', 'Europe/Oslo') RETURNING id", 0,
      NULL);
  /* Monday to Friday 08:00–11:30 and 12:30–15:30 (lunch closed). */
  kbt_exec_ok (f->pg, "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
                      "SELECT 1, d, t.o, t.c FROM generate_series(1, 5) d, "
                      "(VALUES ('08:00'::time, '11:30'::time), ('12:30', '15:30')) t(o, c)");
  f->service = kbt_exec_id (
      f->pg,
      "INSERT INTO services (name, duration_min, buffer_min, notice_min, horizon_days) "
      "VALUES ('Guidance', 30, 10, 60, 30) RETURNING id",
      0, NULL);
  f->cw = kbt_exec_id (f->pg,
                       "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                       "VALUES (1, 'Kari', 'kari@example.org', '$argon2id$x') RETURNING id",
                       0, NULL);
  f->cw2 = kbt_exec_id (f->pg,
                        "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                        "VALUES (1, 'Per', 'per@example.org', '$argon2id$x') RETURNING id",
                        0, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kbt_close (f->db, f->pg, NULL);
}

/* Inserts with plain SQL; returns "" on success, else "SQLSTATE/detail". */
static gchar *
insert (Fixture *f, gint64 cw, const gchar *local_start, const gchar *made_local,
        const gchar *contact)
{
  static guint n;
  g_autofree gchar *c = g_strdup_printf ("%" G_GINT64_FORMAT, cw);
  g_autofree gchar *hash = g_strdup_printf ("\\x%064x", ++n);
  g_autofree gchar *ref =
      g_strdup_printf ("KKK-%c%c%c", "ACDEFHJKMN"[n % 10], "ACDEFHJKMN"[(n / 10) % 10],
                       "ACDEFHJKMN"[(n / 100) % 10]);
  const gchar *p[] = { c, local_start, made_local, contact ? contact : "", hash, ref };
  PGresult *res = kbt_exec (
      f->pg,
      "INSERT INTO bookings (reference, token_hash, seeker_name, seeker_contact, service_id, "
      "  caseworker_id, during, blocked, created_at, status_changed_at) "
      "SELECT $6, $5::bytea, 'Ola', $4, 1, $1::bigint, "
      "  tstzrange($2::timestamp AT TIME ZONE 'Europe/Oslo', ($2::timestamp + interval '30 minutes') AT TIME ZONE 'Europe/Oslo'), "
      "  'empty', $3::timestamp AT TIME ZONE 'Europe/Oslo', $3::timestamp AT TIME ZONE 'Europe/Oslo'",
      6, p);
  gchar *out;

  if (PQresultStatus (res) == PGRES_COMMAND_OK)
    out = g_strdup ("");
  else {
    const gchar *detail = PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL);
    const gchar *constraint = PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME);

    out = g_strdup_printf ("%s/%s", kbt_sqlstate (res),
                           constraint ? constraint
                           : detail   ? detail
                                      : "");
  }
  PQclear (res);
  return out;
}

#define MONDAY "2026-12-07"
#define MADE "2026-12-01 09:00"

static void
assert_insert (Fixture *f, gint64 cw, const gchar *start, const gchar *made, const gchar *contact,
               const gchar *expected)
{
  g_autofree gchar *got = insert (f, cw, start, made, contact);

  if (g_strcmp0 (got, expected) != 0)
    g_error ("booking at %s made %s: expected \"%s\", got \"%s\"", start, made, expected, got);
}

static void
test_hours (Fixture *f, gconstpointer data)
{
  assert_insert (f, f->cw, MONDAY " 08:00", MADE, NULL, "");
  assert_insert (f, f->cw, MONDAY " 11:00", MADE, NULL, ""); /* ends at 11:30 */
  assert_insert (f, f->cw, MONDAY " 11:15", MADE, NULL, "23514/outside_hours");
  assert_insert (f, f->cw, MONDAY " 12:00", MADE, NULL, "23514/outside_hours"); /* lunch */
  assert_insert (f, f->cw, MONDAY " 07:45", MADE, NULL, "23514/outside_hours");
  assert_insert (f, f->cw, MONDAY " 15:00", MADE, NULL, "");
  assert_insert (f, f->cw, MONDAY " 15:15", MADE, NULL, "23514/outside_hours");
  assert_insert (f, f->cw, "2026-12-05 10:00", MADE, NULL, "23514/outside_hours"); /* Saturday */
  /* The buffer may run past closing; the meeting may not. */
  assert_insert (f, f->cw2, MONDAY " 15:00", MADE, NULL, "");
  /* A meeting must have the service's length. */
  {
    PGresult *res = kbt_exec (
        f->pg,
        "UPDATE bookings SET during = tstzrange(lower(during), upper(during) + interval '5 minutes') "
        "WHERE id = (SELECT min(id) FROM bookings)",
        0, NULL);
    g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL), ==, "duration");
    PQclear (res);
  }
}

static void
test_special_days (Fixture *f, gconstpointer data)
{
  /* Tuesday closed; Wednesday open only 18:00–20:00. */
  kbt_exec_ok (
      f->pg, "INSERT INTO special_days (office_id, days, reason) VALUES "
             "(1, '[2026-12-08,2026-12-09)', 'closed'), (1, '[2026-12-09,2026-12-10)', 'evening')");
  kbt_exec_ok (
      f->pg,
      "INSERT INTO special_hours (special_day_id, opens_at, closes_at) VALUES (2, '18:00', '20:00')");
  assert_insert (f, f->cw, "2026-12-08 09:00", MADE, NULL, "23514/outside_hours");
  assert_insert (f, f->cw, "2026-12-09 09:00", MADE, NULL, "23514/outside_hours");
  assert_insert (f, f->cw, "2026-12-09 18:00", MADE, NULL, "");
  assert_insert (f, f->cw, "2026-12-09 19:45", MADE, NULL, "23514/outside_hours");
  assert_insert (f, f->cw, "2026-12-10 09:00", MADE, NULL, "");
}

static void
test_absence (Fixture *f, gconstpointer data)
{
  kbt_exec_ok (f->pg, "INSERT INTO absences (caseworker_id, during) VALUES "
                      "(1, tstzrange('2026-12-07 09:00'::timestamp AT TIME ZONE 'Europe/Oslo', "
                      "              '2026-12-07 10:00'::timestamp AT TIME ZONE 'Europe/Oslo'))");
  assert_insert (f, f->cw, MONDAY " 08:45", MADE, NULL, "23514/absent");
  assert_insert (f, f->cw, MONDAY " 09:30", MADE, NULL, "23514/absent");
  assert_insert (f, f->cw2, MONDAY " 09:30", MADE, NULL, "");
  assert_insert (f, f->cw, MONDAY " 10:00", MADE, NULL, "");
  /* A deactivated caseworker takes no new bookings. */
  kbt_exec_ok (f->pg, "UPDATE caseworkers SET active = false WHERE id = 2");
  assert_insert (f, f->cw2, MONDAY " 14:00", MADE, NULL, "23514/caseworker_inactive");
}

static void
test_notice_horizon (Fixture *f, gconstpointer data)
{
  /* 60 minutes' notice: at 08:00 one can book 09:00, not 08:30. */
  assert_insert (f, f->cw, MONDAY " 08:30", MONDAY " 08:00", NULL, "23514/notice");
  assert_insert (f, f->cw, MONDAY " 09:00", MONDAY " 08:00", NULL, "");
  /* 30 days ahead at most. */
  assert_insert (f, f->cw, "2027-01-06 08:00", "2026-12-07 08:00", NULL, ""); /* exactly 30 days */
  assert_insert (f, f->cw, "2027-01-07 09:00", "2026-12-07 08:00", NULL, "23514/horizon");
}

static void
test_seeker (Fixture *f, gconstpointer data)
{
  assert_insert (f, f->cw, MONDAY " 09:00", MADE, "Ola.Nordmann@Example.org", "");
  /* Same person, other caseworker, overlapping: refused (contact normalised). */
  assert_insert (f, f->cw2, MONDAY " 09:15", MADE, " ola.nordmann@example.ORG ",
                 "23P01/bookings_seeker_overlap");
  assert_insert (f, f->cw2, MONDAY " 09:30", MADE, "ola.nordmann@example.org", "");
  /* Phone numbers: +47 and 0047 and spaces are one person. */
  assert_insert (f, f->cw, MONDAY " 13:00", MADE, "+47 912 34 567", "");
  assert_insert (f, f->cw2, MONDAY " 13:00", MADE, "0047 91234567",
                 "23P01/bookings_seeker_overlap");
  /* The cap: three live bookings per contact, configurable. */
  assert_insert (f, f->cw, MONDAY " 14:00", MADE, "ola.nordmann@example.org", "");
  assert_insert (f, f->cw, MONDAY " 15:00", MADE, "ola.nordmann@example.org", "23514/contact_cap");
  {
    g_autoptr (GError) error = NULL;

    g_assert_true (kb_set_contact_cap (f->db, 4, &error));
    g_assert_no_error (error);
    g_assert_false (kb_set_contact_cap (f->db, 0, &error));
    g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  }
  assert_insert (f, f->cw, MONDAY " 15:00", MADE, "ola.nordmann@example.org", "");
}

static void
test_status_changes_unchecked (Fixture *f, gconstpointer data)
{
  gint64 n;

  assert_insert (f, f->cw, MONDAY " 09:00", MADE, NULL, "");
  /* New hours leave the booking outside: it is not deleted ... */
  kbt_exec_ok (f->pg, "DELETE FROM opening_hours WHERE weekday = 1");
  n = kbt_exec_id (f->pg, "SELECT count(*) FROM kb_office_conflicts(1, '2026-12-01')", 0, NULL);
  g_assert_cmpint (n, ==, 1);
  /* ... its status may still change (check in, admit, complete) ... */
  kbt_exec_ok (f->pg, "UPDATE bookings SET status = 'waiting' WHERE id = 1");
  kbt_exec_ok (
      f->pg,
      "UPDATE bookings SET status = 'completed', ended_at = '2026-12-07 09:30+01' WHERE id = 1");
  /* ... but moving it re-checks the rules. */
  {
    PGresult *res =
        kbt_exec (f->pg,
                  "UPDATE bookings SET during = tstzrange(lower(during) + interval '30 minutes', "
                  "upper(during) + interval '30 minutes') WHERE id = 1",
                  0, NULL);
    g_assert_cmpstr (kbt_sqlstate (res), ==, "23514");
    PQclear (res);
  }
}

static void
test_reference (Fixture *f, gconstpointer data)
{
  PGresult *res = kbt_exec (
      f->pg,
      "INSERT INTO bookings (reference, token_hash, seeker_name, service_id, caseworker_id, during, blocked, created_at, status_changed_at) "
      "VALUES ('K0O-1IL', '\\x"
      "0000000000000000000000000000000000000000000000000000000000000001', 'Ola', 1, 1, "
      "tstzrange('2026-12-07 09:00+01', '2026-12-07 09:30+01'), 'empty', '2026-12-01', '2026-12-01')",
      0, NULL);

  g_assert_cmpstr (kbt_sqlstate (res), ==, "23514");
  g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME), ==,
                   "bookings_reference_alphabet");
  PQclear (res);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add ("/db/rules/hours", Fixture, NULL, setup, test_hours, teardown);
  g_test_add ("/db/rules/special-days", Fixture, NULL, setup, test_special_days, teardown);
  g_test_add ("/db/rules/absence", Fixture, NULL, setup, test_absence, teardown);
  g_test_add ("/db/rules/notice-horizon", Fixture, NULL, setup, test_notice_horizon, teardown);
  g_test_add ("/db/rules/seeker", Fixture, NULL, setup, test_seeker, teardown);
  g_test_add ("/db/rules/status-changes-unchecked", Fixture, NULL, setup,
              test_status_changes_unchecked, teardown);
  g_test_add ("/db/rules/reference", Fixture, NULL, setup, test_reference, teardown);
  return g_test_run ();
}
