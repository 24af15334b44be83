/* test-book.c — booking through the C API: named and any caseworker,
 * races between concurrent clients, cancel and move by link, a
 * caseworker's cancellation, the no-show sweep, statistics, and the
 * iCalendar file checked by a real parser (python3-icalendar). */
#include "kbt.h"
#include "booking/booking-admin.h"

#include <math.h>

#define MIN_US ((gint64) 60 * G_USEC_PER_SEC)

typedef struct {
  gchar *db;
  PGconn *pg;
  KbStore *store;
  gint64 office, service, cw[3], other_office_cw;
  gint64 now, ten; /* the clock; 2026-06-01 10:00 local */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  kbt_open (&f->db, &f->pg);
  f->office = kbt_exec_id (
      f->pg,
      "INSERT INTO offices (name, time_zone, address) VALUES ('Sentrum', 'Europe/Oslo', 'Storgata 1') RETURNING id",
      0, NULL);
  kbt_exec_ok (f->pg,
               "INSERT INTO offices (name, time_zone) VALUES ('Elsewhere', 'Europe/Stockholm')");
  kbt_exec_ok (f->pg, "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
                      "SELECT 1, d, '08:00', '16:00' FROM generate_series(1, 7) d");
  f->service = kbt_exec_id (f->pg,
                            "INSERT INTO services (name, duration_min, buffer_min, notice_min) "
                            "VALUES ('Guidance', 30, 10, 60) RETURNING id",
                            0, NULL);
  for (guint i = 0; i < 3; i++) {
    g_autofree gchar *sql = g_strdup_printf (
        "INSERT INTO caseworkers (office_id, name, email, password_hash) "
        "VALUES (1, 'Caseworker %u', 'cw%u@example.org', '$argon2id$x') RETURNING id",
        i, i);
    f->cw[i] = kbt_exec_id (f->pg, sql, 0, NULL);
  }
  f->other_office_cw =
      kbt_exec_id (f->pg,
                   "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                   "VALUES (2, 'Sven', 'sven@example.org', '$argon2id$x') RETURNING id",
                   0, NULL);
  f->ten = kbt_exec_id (
      f->pg, "SELECT kb_us('2026-06-01 10:00'::timestamp AT TIME ZONE 'Europe/Oslo')", 0, NULL);
  f->now = f->ten - 24 * 60 * MIN_US;
  f->store = kbt_store (f->db, 4);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kbt_close (f->db, f->pg, f->store);
}

static KbBookResult *
book (Fixture *f, gint64 cw, gint64 start, const gchar *contact, GError **error)
{
  KbBookRequest r = { f->service, f->office, cw, start, "Ola Nordmann", contact, "nb", FALSE };

  return kbt_book_api (f->store, &r, f->now, error);
}

static void
assert_reason (const GError *error, const gchar *reason)
{
  g_autofree gchar *got = kb_error_reason (error);

  g_assert_cmpstr (got, ==, reason);
}

static void
test_book (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) a = NULL, b = NULL, c = NULL, d = NULL;
  KbBookResult *none;

  a = book (f, f->cw[1], f->ten, "a@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (a->token), ==, 43);
  g_assert_cmpuint (strlen (a->kiosk_code), ==, 6);
  g_assert_true (
      g_regex_match_simple ("^[ACDEFHJKMNPQRTUVWXY34679]{3}-[ACDEFHJKMNPQRTUVWXY34679]{3}$",
                            a->booking->reference, 0, 0));
  g_assert_cmpint (a->booking->caseworker_id, ==, f->cw[1]);
  g_assert_cmpint (a->booking->starts_at, ==, f->ten);
  g_assert_cmpint (a->booking->ends_at, ==, f->ten + 30 * MIN_US);
  g_assert_cmpint (a->booking->status, ==, KB_STATUS_BOOKED);
  g_assert_cmpint (a->booking->sequence, ==, 0);
  g_assert_cmpstr (a->booking->office_address, ==, "Storgata 1");
  g_assert_cmpstr (a->booking->seeker_contact, ==, "a@example.org");

  /* The kiosk code is stored hashed (argon2id), not in clear. */
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM bookings WHERE kiosk_code_hash LIKE '$argon2id$%'",
                   0, NULL),
      ==, 1);

  /* Same caseworker, same time: taken. */
  none = book (f, f->cw[1], f->ten, "b@example.org", &error);
  g_assert_null (none);
  g_assert_error (error, KB_ERROR, KB_ERROR_SLOT_TAKEN);
  g_clear_error (&error);

  /* Only the offered times (08:00 and every 30 + 10 minutes after) can be
   * booked: not 10:35, not 10:20, not a microsecond after 10:00, with any
   * caseworker or a named one. */
  {
    const gint64 between[] = { f->ten + 35 * MIN_US, f->ten + 20 * MIN_US,
                               f->ten + 40 * MIN_US + 1 };

    for (guint i = 0; i < G_N_ELEMENTS (between); i++)
      for (guint named = 0; named < 2; named++) {
        none = book (f, named ? f->cw[2] : 0, between[i], "b@example.org", &error);
        g_assert_null (none);
        g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
        assert_reason (error, "not_a_slot");
        g_clear_error (&error);
      }
  }

  /* Any caseworker: the least loaded that day (cw 0 and 2 have none; the
   * lower id wins the tie), then the other, then none left ... */
  b = book (f, 0, f->ten, "b@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->booking->caseworker_id, ==, f->cw[0]);
  c = book (f, 0, f->ten, "c@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->booking->caseworker_id, ==, f->cw[2]);
  none = book (f, 0, f->ten, "d@example.org", &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_SLOT_TAKEN);
  assert_reason (error, "slot_taken");
  g_clear_error (&error);

  /* ... and at 11:20 the least loaded is whoever has fewest that day. */
  kbt_exec_ok (f->pg, "UPDATE bookings SET status = 'cancelled' WHERE caseworker_id = 2");
  d = book (f, 0, f->ten + 80 * MIN_US, "d@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpint (d->booking->caseworker_id, ==, f->cw[1]);

  /* Rules come back as reasons. */
  none = book (f, 0, f->ten + 8 * 60 * MIN_US, "e@example.org", &error); /* 18:00 */
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  assert_reason (error, "outside_hours");
  g_clear_error (&error);
  none = book (f, 0, f->now + 40 * MIN_US, "e@example.org", &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  assert_reason (error, "notice");
  g_clear_error (&error);
  /* The same job seeker twice at once. */
  none = book (f, f->cw[0], f->ten + 120 * MIN_US, "A@Example.org", &error);
  g_assert_nonnull (none);
  kb_book_result_free (none);
  none = book (f, f->cw[2], f->ten + 120 * MIN_US, "a@example.org", &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  assert_reason (error, "seeker_overlap");
  g_clear_error (&error);
}

typedef struct {
  guint ok, taken, other;
} Tally;

static void
race_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Tally *t = data;
  g_autoptr (GError) error = NULL;
  KbBookResult *r = kb_book_finish (NULL, result, &error);

  if (r)
    t->ok++;
  else if (g_error_matches (error, KB_ERROR, KB_ERROR_SLOT_TAKEN))
    t->taken++;
  else {
    g_printerr ("race: %s\n", error->message);
    t->other++;
  }
  kb_book_result_free (r);
}

static void
race (Fixture *f, gint64 cw, gint64 start, guint clients, Tally *t)
{
  for (guint i = 0; i < clients; i++) {
    static guint racer;
    g_autofree gchar *contact = g_strdup_printf ("racer%u@example.org", racer++);
    KbBookRequest r = { f->service, f->office, cw, start, "Racer", contact, "nb", FALSE };

    kb_book_async (f->store, &r, f->now, NULL, race_done, t);
  }
  for (guint spins = 0; t->ok + t->taken + t->other < clients && spins < 100000; spins++)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_race (Fixture *f, gconstpointer data)
{
  Tally named = { 0 }, any = { 0 };

  /* 24 clients, one named caseworker, one slot: exactly one wins. */
  race (f, f->cw[0], f->ten, 24, &named);
  g_assert_cmpuint (named.other, ==, 0);
  g_assert_cmpuint (named.ok, ==, 1);
  g_assert_cmpuint (named.taken, ==, 23);

  /* 24 clients, any caseworker, k = 2 free (cw 0 is taken now): exactly
   * two win, and no two live bookings overlap. */
  race (f, 0, f->ten, 24, &any);
  g_assert_cmpuint (any.other, ==, 0);
  g_assert_cmpuint (any.ok, ==, 2);
  g_assert_cmpuint (any.taken, ==, 22);
  g_assert_cmpint (kbt_exec_id (f->pg, "SELECT count(*) FROM bookings", 0, NULL), ==, 3);
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(DISTINCT caseworker_id) FROM bookings", 0, NULL), ==, 3);
  g_assert_cmpint (kbt_exec_id (f->pg,
                                "SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id "
                                "AND a.caseworker_id = b.caseworker_id AND a.blocked && b.blocked",
                                0, NULL),
                   ==, 0);
}

static KbBooking *
cancel (Fixture *f, const gchar *token, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbBooking *b;

  kb_cancel_async (f->store, token, now, NULL, kbt_ready, &res);
  b = kb_cancel_finish (f->store, kbt_wait (&res), error);
  g_object_unref (res);
  return b;
}

static KbBooking *
move (Fixture *f, const gchar *token, gint64 start, GError **error)
{
  GAsyncResult *res = NULL;
  KbBooking *b;

  kb_move_async (f->store, token, start, f->now, NULL, kbt_ready, &res);
  b = kb_move_finish (f->store, kbt_wait (&res), error);
  g_object_unref (res);
  return b;
}

/* Parses ics with python3-icalendar and prints "uid|seq|status|start|end",
 * start and end as epoch seconds; fails unless both are in UTC. */
static gchar *
parse_ics (const gchar *ics)
{
  static const gchar script[] =
      "import sys, icalendar\n"
      "c = icalendar.Calendar.from_ical(sys.stdin.read())\n"
      "e = c.walk('VEVENT')[0]\n"
      "assert e.get('DTSTAMP') is not None\n"
      "s, t = e.decoded('DTSTART'), e.decoded('DTEND')\n"
      "assert s.utcoffset().total_seconds() == 0 and t.utcoffset().total_seconds() == 0\n"
      "print('%s|%s|%s|%d|%d' % (e['UID'], e['SEQUENCE'], e['STATUS'],\n"
      "      s.timestamp(), t.timestamp()), end='')\n";
  const gchar *argv[] = { "/usr/bin/python3", "-c", script, NULL };
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = NULL, *err = NULL;

  p = g_subprocess_newv (argv,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                             | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                         &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, ics, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (p))
    g_error ("icalendar could not parse:\n%s\n%s", ics, err);
  return g_steal_pointer (&out);
}

static gboolean
have_icalendar (void)
{
  gint status = -1;

  return g_spawn_command_line_sync ("/usr/bin/python3 -c 'import icalendar'", NULL, NULL, &status,
                                    NULL)
         && status == 0;
}

static void
test_cancel_move_ics (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) a = book (f, f->cw[0], f->ten, "a@example.org", &error);
  g_autoptr (KbBookResult) blocker =
      book (f, f->cw[0], f->ten + 120 * MIN_US, "z@example.org", &error);
  g_autofree gchar *ics0 = NULL, *ics1 = NULL, *ics2 = NULL;
  g_autofree gchar *p0 = NULL, *p1 = NULL, *p2 = NULL, *expect0 = NULL, *expect1 = NULL;
  g_autofree gchar *uid = NULL;
  KbBooking *b;

  g_assert_no_error (error);
  ics0 = kb_ics_build (a->booking, "https://kontor.example/join.html#t=x",
                       "https://kontor.example/booking.html#t=x", "kontor.example", f->now);
  g_assert_nonnull (strstr (ics0, "DTSTART:20260601T080000Z\r\n")); /* 10:00 in Oslo */
  g_assert_nonnull (strstr (ics0, "SEQUENCE:0\r\n"));

  /* Moving onto a taken time, between the offered times, or outside the
   * hours, is refused. */
  b = move (f, a->token, f->ten + 120 * MIN_US, &error);
  g_assert_null (b);
  g_assert_error (error, KB_ERROR, KB_ERROR_SLOT_TAKEN);
  g_clear_error (&error);
  b = move (f, a->token, f->ten + 60 * MIN_US, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  assert_reason (error, "not_a_slot");
  g_clear_error (&error);
  b = move (f, a->token, f->ten + 9 * 60 * MIN_US, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  assert_reason (error, "outside_hours");
  g_clear_error (&error);

  b = move (f, a->token, f->ten + 80 * MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->starts_at, ==, f->ten + 80 * MIN_US);
  g_assert_cmpint (b->ends_at, ==, f->ten + 110 * MIN_US);
  g_assert_cmpint (b->sequence, ==, 1);
  ics1 = kb_ics_build (b, NULL, NULL, "kontor.example", f->now + 1);
  kb_booking_free (b);

  b = cancel (f, a->token, f->now, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_CANCELLED);
  g_assert_cmpint (b->sequence, ==, 2);
  ics2 = kb_ics_build (b, NULL, NULL, "kontor.example", f->now + 2);
  kb_booking_free (b);
  g_assert_nonnull (strstr (ics2, "STATUS:CANCELLED\r\n"));

  /* Cancelled is final for the job seeker; unknown links are not found. */
  b = cancel (f, a->token, f->now, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_STATE);
  g_clear_error (&error);
  b = cancel (f, "no-such-token", f->now, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  b = move (f, a->token, f->ten, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_STATE);
  g_clear_error (&error);

  if (!have_icalendar ()) {
    g_test_skip ("python3-icalendar is not installed");
    return;
  }
  p0 = parse_ics (ics0);
  p1 = parse_ics (ics1);
  p2 = parse_ics (ics2);
  uid = g_strdup_printf ("kontor-booking-%" G_GINT64_FORMAT "-%s@kontor.example", a->booking->id,
                         a->booking->reference);
  expect0 = g_strdup_printf ("%s|0|CONFIRMED|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, uid,
                             f->ten / G_USEC_PER_SEC, (f->ten + 30 * MIN_US) / G_USEC_PER_SEC);
  expect1 = g_strdup_printf ("%s|1|CONFIRMED|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, uid,
                             (f->ten + 80 * MIN_US) / G_USEC_PER_SEC,
                             (f->ten + 110 * MIN_US) / G_USEC_PER_SEC);
  g_assert_cmpstr (p0, ==, expect0);
  g_assert_cmpstr (p1, ==, expect1);
  g_assert_true (g_str_has_prefix (p2, uid));
  g_assert_nonnull (strstr (p2, "|2|CANCELLED|"));
}

/* The night of 2026-10-25 in Oslo passes 02:00–03:00 twice (summer time,
 * then winter time).  A meeting at 02:30 winter time, and one from 02:30
 * summer time to 02:10 winter time, come back from a calendar parser at
 * the instants booked, each ending after it starts. */
static void
test_ics_repeated_hour (void)
{
  /* 00:30Z = 02:30 CEST, 01:10Z = 02:10 CET, 01:30Z = 02:30 CET */
  const gint64 h0030 = G_GINT64_CONSTANT (1792888200) * G_USEC_PER_SEC;
  const struct {
    gint64 start, end;
  } cases[] = {
    { h0030 + 60 * MIN_US, h0030 + 90 * MIN_US }, /* 02:30–03:00 winter time */
    { h0030, h0030 + 40 * MIN_US },               /* 02:30 summer – 02:10 winter */
  };

  if (!have_icalendar ()) {
    g_test_skip ("python3-icalendar is not installed");
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    KbBooking b = { .id = 7,
                    .reference = "AAA-CCC",
                    .service_name = "Guidance",
                    .caseworker_name = "K",
                    .office_name = "Sentrum",
                    .office_tz = "Europe/Oslo",
                    .starts_at = cases[i].start,
                    .ends_at = cases[i].end,
                    .status = KB_STATUS_BOOKED };
    g_autofree gchar *ics =
        kb_ics_build (&b, NULL, NULL, "kontor.example", h0030 - 24 * 60 * MIN_US);
    g_autofree gchar *parsed = parse_ics (ics);
    g_autofree gchar *expect =
        g_strdup_printf ("kontor-booking-7-AAA-CCC@kontor.example|0|CONFIRMED|%" G_GINT64_FORMAT
                         "|%" G_GINT64_FORMAT,
                         cases[i].start / G_USEC_PER_SEC, cases[i].end / G_USEC_PER_SEC);

    g_assert_cmpstr (parsed, ==, expect);
  }
}

static void
test_caseworker_cancel_sweep_stats (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) a = book (f, f->cw[0], f->ten, "a@example.org", &error);
  g_autoptr (KbBookResult) b = book (f, f->cw[1], f->ten, "b@example.org", &error);
  g_autoptr (KbBookResult) c = book (f, f->cw[2], f->ten, "c@example.org", &error);
  g_autoptr (KbBookResult) d = book (f, f->cw[0], f->ten + 80 * MIN_US, "d@example.org", &error);
  g_autoptr (GPtrArray) stats = NULL;
  GAsyncResult *res = NULL;
  KbBooking *k;
  gchar *sql;

  g_assert_no_error (error);

  /* A caseworker of another office may not cancel: to her the booking
   * does not exist. */
  kb_cancel_by_caseworker_async (f->store, d->booking->id, f->other_office_cw, "no", f->now, NULL,
                                 kbt_ready, &res);
  k = kb_cancel_by_caseworker_finish (f->store, kbt_wait (&res), &error);
  g_clear_object (&res);
  g_assert_null (k);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* One of this office may, with a reason, and it is audited. */
  kb_cancel_by_caseworker_async (f->store, d->booking->id, f->cw[1], "caseworker ill", f->now, NULL,
                                 kbt_ready, &res);
  k = kb_cancel_by_caseworker_finish (f->store, kbt_wait (&res), &error);
  g_clear_object (&res);
  g_assert_no_error (error);
  g_assert_cmpint (k->status, ==, KB_STATUS_CANCELLED);
  g_assert_cmpstr (k->cancel_reason, ==, "caseworker ill");
  kb_booking_free (k);
  g_assert_cmpint (
      kbt_exec_id (
          f->pg,
          "SELECT count(*) FROM audit_log WHERE action = 'cancel' AND details->>'reason' = 'caseworker ill'",
          0, NULL),
      ==, 1);

  /* a: checked in 10:00, admitted 10:02, completed.  b: checked in 09:55,
   * never admitted.  c: never came. */
  sql = g_strdup_printf (
      "UPDATE bookings SET status = 'completed', checked_in_at = kb_ts(%" G_GINT64_FORMAT "), "
      "admitted_at = kb_ts(%" G_GINT64_FORMAT "), ended_at = kb_ts(%" G_GINT64_FORMAT
      ") WHERE id = %" G_GINT64_FORMAT,
      f->ten, f->ten + 2 * MIN_US, f->ten + 30 * MIN_US, a->booking->id);
  kbt_exec_ok (f->pg, sql);
  g_free (sql);
  sql = g_strdup_printf (
      "UPDATE bookings SET status = 'waiting', checked_in_at = kb_ts(%" G_GINT64_FORMAT
      ") WHERE id = %" G_GINT64_FORMAT,
      f->ten - 5 * MIN_US, b->booking->id);
  kbt_exec_ok (f->pg, sql);
  g_free (sql);

  /* At 10:14 nothing is overdue; at 10:31 c is a no-show, b not admitted. */
  kb_sweep_async (f->store, f->ten + 14 * MIN_US, NULL, kbt_ready, &res);
  g_assert_cmpint (kb_sweep_finish (f->store, kbt_wait (&res), &error), ==, 0);
  g_clear_object (&res);
  kb_sweep_async (f->store, f->ten + 31 * MIN_US, NULL, kbt_ready, &res);
  g_assert_cmpint (kb_sweep_finish (f->store, kbt_wait (&res), &error), ==, 2);
  g_clear_object (&res);
  g_assert_no_error (error);
  sql = g_strdup_printf ("SELECT count(*) FROM bookings WHERE id = %" G_GINT64_FORMAT
                         " AND status = 'not_admitted'",
                         b->booking->id);
  g_assert_cmpint (kbt_exec_id (f->pg, sql, 0, NULL), ==, 1);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM bookings WHERE id = %" G_GINT64_FORMAT
                         " AND status = 'no_show'",
                         c->booking->id);
  g_assert_cmpint (kbt_exec_id (f->pg, sql, 0, NULL), ==, 1);
  g_free (sql);

  kb_stats_async (f->store, f->office, "2026-06-01", "2026-06-02", NULL, kbt_ready, &res);
  stats = kb_stats_finish (f->store, kbt_wait (&res), &error);
  g_clear_object (&res);
  g_assert_no_error (error);
  g_assert_cmpuint (stats->len, ==, 2);
  {
    KbDayStats *s = stats->pdata[0], *t = stats->pdata[1];

    g_assert_cmpstr (s->date, ==, "2026-06-01");
    g_assert_cmpuint (s->booked, ==, 3);
    g_assert_cmpuint (s->completed, ==, 1);
    g_assert_cmpuint (s->cancelled, ==, 1);
    g_assert_cmpuint (s->no_show, ==, 1);
    g_assert_cmpuint (s->not_admitted, ==, 1);
    g_assert_cmpfloat (s->wait_median_s, ==, 120.0);
    g_assert_cmpfloat (s->wait_p90_s, ==, 120.0);
    /* 3 × 30 min of 3 caseworkers × 8 h. */
    g_assert_cmpfloat_with_epsilon (s->booked_share, 90.0 / (3 * 480), 1e-9);
    g_assert_cmpstr (t->date, ==, "2026-06-02");
    g_assert_cmpuint (t->booked, ==, 0);
    g_assert_true (isnan (t->wait_median_s));
  }
}

static void
test_conflicts (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) a = book (f, f->cw[0], f->ten, "a@example.org", &error);
  g_autoptr (KbBookResult) b = book (f, f->cw[1], f->ten + 80 * MIN_US, "b@example.org", &error);
  g_autoptr (GPtrArray) list = NULL;
  GAsyncResult *res = NULL;

  g_assert_no_error (error);
  /* The office closes for the day after both were booked. */
  kbt_exec_ok (
      f->pg,
      "INSERT INTO special_days (office_id, days, reason) VALUES (1, '[2026-06-01,2026-06-02)', 'strike')");
  kb_conflicts_async (f->store, f->office, f->now, NULL, kbt_ready, &res);
  list = kb_conflicts_finish (f->store, kbt_wait (&res), &error);
  g_object_unref (res);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpint (((KbBooking *) list->pdata[0])->id, ==, a->booking->id);
  g_assert_cmpstr (((KbBooking *) list->pdata[0])->cancel_reason, ==, "outside_hours");
}

/* A meeting nobody ended is completed by the sweep two hours after its
 * booked end, as ending at its booked end, and audited as the system's
 * doing. */
static void
test_sweep_closes_forgotten_meeting (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) a = book (f, f->cw[0], f->ten, "a@example.org", &error);
  GAsyncResult *res = NULL;
  gchar *sql;

  g_assert_no_error (error);
  sql = g_strdup_printf (
      "UPDATE bookings SET status = 'in_meeting', checked_in_at = kb_ts(%" G_GINT64_FORMAT "), "
      "admitted_at = kb_ts(%" G_GINT64_FORMAT ") WHERE id = %" G_GINT64_FORMAT,
      f->ten, f->ten + MIN_US, a->booking->id);
  kbt_exec_ok (f->pg, sql);
  g_free (sql);

  /* It ends at 10:30: still in_meeting at 12:29, completed at 12:30. */
  kb_sweep_async (f->store, f->ten + 149 * MIN_US, NULL, kbt_ready, &res);
  g_assert_cmpint (kb_sweep_finish (f->store, kbt_wait (&res), &error), ==, 0);
  g_clear_object (&res);
  kb_sweep_async (f->store, f->ten + 150 * MIN_US, NULL, kbt_ready, &res);
  g_assert_cmpint (kb_sweep_finish (f->store, kbt_wait (&res), &error), ==, 1);
  g_clear_object (&res);
  g_assert_no_error (error);
  sql = g_strdup_printf ("SELECT count(*) FROM bookings WHERE id = %" G_GINT64_FORMAT
                         " AND status = 'completed' AND ended_at = kb_ts(%" G_GINT64_FORMAT ")",
                         a->booking->id, f->ten + 30 * MIN_US);
  g_assert_cmpint (kbt_exec_id (f->pg, sql, 0, NULL), ==, 1);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM audit_log WHERE booking_id = %" G_GINT64_FORMAT
                         " AND action = 'complete' AND caseworker_id IS NULL",
                         a->booking->id);
  g_assert_cmpint (kbt_exec_id (f->pg, sql, 0, NULL), ==, 1);
  g_free (sql);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add ("/db/book/named-and-any", Fixture, NULL, setup, test_book, teardown);
  g_test_add ("/db/book/race", Fixture, NULL, setup, test_race, teardown);
  g_test_add ("/db/book/cancel-move-ics", Fixture, NULL, setup, test_cancel_move_ics, teardown);
  g_test_add_func ("/db/book/ics-repeated-hour", test_ics_repeated_hour);
  g_test_add ("/db/book/caseworker-cancel-sweep-stats", Fixture, NULL, setup,
              test_caseworker_cancel_sweep_stats, teardown);
  g_test_add ("/db/book/conflicts", Fixture, NULL, setup, test_conflicts, teardown);
  g_test_add ("/db/book/sweep-closes-forgotten-meeting", Fixture, NULL, setup,
              test_sweep_closes_forgotten_meeting, teardown);
  return g_test_run ();
}
