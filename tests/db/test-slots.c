/* test-slots.c — free slots through kb_slots_async, across the DST change
 * days of Europe/Oslo and Europe/Stockholm (March and October 2026),
 * including special hours 01:00–04:00 local that span the change itself:
 * slots keep the office's wall-clock hours, none vanish, none double. */
#include "kbt.h"

typedef struct {
  gchar *db;
  PGconn *pg;
  KbStore *store;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  kbt_open (&f->db, &f->pg);
  f->store = kbt_store (f->db, 2);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kbt_close (f->db, f->pg, f->store);
}

static gint64
sql_id (Fixture *f, const gchar *sql, const gchar *a, const gchar *b)
{
  const gchar *p[] = { a, b };

  return kbt_exec_id (f->pg, sql, (a ? 1 : 0) + (b ? 1 : 0), p);
}

/* An office in zone tz, 08:00–10:00 every day, special hours 01:00–04:00 on
 * both change days, one caseworker, a 30-minute service without notice. */
static gint64
office (Fixture *f, const gchar *tz, gint64 *service, gint64 *cw)
{
  g_autofree gchar *name = g_strdup_printf ("Office %s", tz);
  gint64 o =
      sql_id (f, "INSERT INTO offices (name, time_zone) VALUES ($1, $2) RETURNING id", name, tz);
  g_autofree gchar *os = g_strdup_printf ("%" G_GINT64_FORMAT, o);
  g_autofree gchar *email = g_strdup_printf ("cw-%s@example.org", tz);

  sql_id (f,
          "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
          "SELECT $1, d, '08:00', '10:00' FROM generate_series(1, 7) d",
          os, NULL);
  sql_id (f,
          "WITH d AS (INSERT INTO special_days (office_id, days) VALUES "
          "  ($1, '[2026-03-29,2026-03-30)'), ($1, '[2026-10-25,2026-10-26)') RETURNING id) "
          "INSERT INTO special_hours (special_day_id, opens_at, closes_at) "
          "SELECT id, '01:00', '04:00' FROM d",
          os, NULL);
  *service = kbt_exec_id (f->pg,
                          "INSERT INTO services (name, duration_min, notice_min, horizon_days) "
                          "VALUES ('S ' || random(), 30, 0, 366) RETURNING id",
                          0, NULL);
  *cw = sql_id (f,
                "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                "VALUES ($1, 'K', $2, '$argon2id$x') RETURNING id",
                os, email);
  return o;
}

static GPtrArray *
slots (Fixture *f, gint64 service, gint64 office, gint64 cw, const gchar *from, const gchar *to,
       gint64 now, GError **error)
{
  KbSlotQuery q = { service, office, cw, NULL, from, to };
  GAsyncResult *res = NULL;
  GPtrArray *list;

  kb_slots_async (f->store, &q, now, NULL, kbt_ready, &res);
  list = kb_slots_finish (f->store, kbt_wait (&res), error);
  g_object_unref (res);
  return list;
}

/* "HH:MM+HH" local wall clock with the UTC offset, for each slot. */
static gchar *
describe (GPtrArray *list, const gchar *tz)
{
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier (tz);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++) {
    KbSlot *s = list->pdata[i];
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (s->starts_at / G_USEC_PER_SEC);
    g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, zone);
    g_autofree gchar *text = g_date_time_format (local, "%H:%M%:::z");

    g_assert_cmpint (s->ends_at - s->starts_at, ==, (gint64) 30 * 60 * G_USEC_PER_SEC);
    if (i > 0) {
      /* Strictly increasing instants: nothing doubled. */
      g_assert_cmpint (s->starts_at, >, ((KbSlot *) list->pdata[i - 1])->starts_at);
      g_string_append_c (out, ' ');
    }
    g_string_append (out, text);
  }
  return g_string_free (out, FALSE);
}

static const gint64 jan_1 = (gint64) 1767225600 * G_USEC_PER_SEC; /* 2026-01-01Z */

static void
test_dst (Fixture *f, gconstpointer data)
{
  const gchar *zones[] = { "Europe/Oslo", "Europe/Stockholm" };

  for (guint z = 0; z < G_N_ELEMENTS (zones); z++) {
    gint64 service, cw, o = office (f, zones[z], &service, &cw);
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) march = NULL, october = NULL, around = NULL;
    g_autofree gchar *m = NULL, *oc = NULL, *a = NULL;

    /* 01:00–04:00 on 29 March lasts two real hours: 02:00–03:00 does not
     * exist.  Four slots, at the wall-clock times that exist. */
    march = slots (f, service, o, 0, "2026-03-29", "2026-03-29", jan_1, &error);
    g_assert_no_error (error);
    m = describe (march, zones[z]);
    g_assert_cmpstr (m, ==, "01:00+01 01:30+01 03:00+02 03:30+02");

    /* On 25 October it lasts four: 02:00–03:00 happens twice, and both
     * hours get their slots, each once. */
    october = slots (f, service, o, cw, "2026-10-25", "2026-10-25", jan_1, &error);
    g_assert_no_error (error);
    oc = describe (october, zones[z]);
    g_assert_cmpstr (oc, ==,
                     "01:00+02 01:30+02 02:00+02 02:30+02 02:00+01 02:30+01 03:00+01 03:30+01");

    /* Weekly hours keep their wall clock on both sides of the change. */
    around = slots (f, service, o, 0, "2026-03-28", "2026-03-30", jan_1, &error);
    g_assert_no_error (error);
    a = describe (around, zones[z]);
    g_assert_cmpstr (a, ==,
                     "08:00+01 08:30+01 09:00+01 09:30+01 "
                     "01:00+01 01:30+01 03:00+02 03:30+02 "
                     "08:00+02 08:30+02 09:00+02 09:30+02");
    for (guint i = 0; i < around->len; i++) {
      KbSlot *s = around->pdata[i];

      g_assert_cmpint (s->office_id, ==, o);
      g_assert_cmpuint (s->caseworker_ids->len, ==, 1);
      g_assert_cmpint (g_array_index (s->caseworker_ids, gint64, 0), ==, cw);
    }
  }
}

static void
test_taken_and_filters (Fixture *f, gconstpointer data)
{
  gint64 service, cw, o = office (f, "Europe/Oslo", &service, &cw);
  g_autofree gchar *os = g_strdup_printf ("%" G_GINT64_FORMAT, o);
  gint64 cw2 = sql_id (f,
                       "INSERT INTO caseworkers (office_id, name, email, password_hash, languages) "
                       "VALUES ($1, 'P', 'p@example.org', '$argon2id$x', '{nb,en}') RETURNING id",
                       os, NULL);
  gint64 nine = kbt_exec_id (
      f->pg, "SELECT kb_us('2026-06-01 09:00'::timestamp AT TIME ZONE 'Europe/Oslo')", 0, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL, one = NULL, en = NULL, late = NULL, none = NULL;
  g_autofree gchar *cw2s = g_strdup_printf ("%" G_GINT64_FORMAT, cw2);

  /* cw is booked 09:00–09:30, cw2 absent 08:00–08:30. */
  g_assert_cmpint (kbt_book (f->pg, service, cw, nine, NULL, NULL), >, 0);
  sql_id (f,
          "INSERT INTO absences (caseworker_id, during) VALUES ($1, "
          "tstzrange('2026-06-01 08:00'::timestamp AT TIME ZONE 'Europe/Oslo', "
          "          '2026-06-01 08:30'::timestamp AT TIME ZONE 'Europe/Oslo'))",
          cw2s, NULL);

  all = slots (f, service, 0, 0, "2026-06-01", "2026-06-01", jan_1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  g_assert_cmpuint (((KbSlot *) all->pdata[0])->caseworker_ids->len, ==, 1); /* 08:00: cw only */
  g_assert_cmpint (g_array_index (((KbSlot *) all->pdata[0])->caseworker_ids, gint64, 0), ==, cw);
  g_assert_cmpuint (((KbSlot *) all->pdata[1])->caseworker_ids->len, ==, 2); /* 08:30: both */
  g_assert_cmpuint (((KbSlot *) all->pdata[2])->caseworker_ids->len, ==, 1); /* 09:00: cw2 only */
  g_assert_cmpint (g_array_index (((KbSlot *) all->pdata[2])->caseworker_ids, gint64, 0), ==, cw2);

  one = slots (f, service, o, cw, "2026-06-01", "2026-06-01", jan_1, &error);
  g_assert_cmpuint (one->len, ==, 3); /* not 09:00 */

  {
    KbSlotQuery q = { service, o, 0, "en", "2026-06-01", "2026-06-01" };
    GAsyncResult *res = NULL;

    kb_slots_async (f->store, &q, jan_1, NULL, kbt_ready, &res);
    en = kb_slots_finish (f->store, kbt_wait (&res), &error);
    g_object_unref (res);
    g_assert_no_error (error);
    g_assert_cmpuint (en->len, ==, 3); /* cw2 speaks en */
  }

  /* Notice: asking at 08:40 with no notice leaves 09:00 and 09:30. */
  late =
      slots (f, service, o, 0, "2026-06-01", "2026-06-01", nine - 20 * 60 * G_USEC_PER_SEC, &error);
  g_assert_cmpuint (late->len, ==, 2);

  /* Impossible dates are refused before SQL. */
  none = slots (f, service, o, 0, "2026-02-30", "2026-03-01", jan_1, &error);
  g_assert_null (none);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
}

/* The starts in [from, to) of a list of slots, as text. */
static gchar *
starts_between (GPtrArray *list, gint64 from, gint64 to)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++) {
    KbSlot *s = list->pdata[i];

    if (s->starts_at >= from && s->starts_at < to)
      g_string_append_printf (out, "%" G_GINT64_FORMAT " ", s->starts_at);
  }
  return g_string_free (out, FALSE);
}

static KbBookResult *
book_at (Fixture *f, gint64 service, gint64 office, gint64 start, GError **error)
{
  KbBookRequest r = { service, office, 0, start, "Ola", "", "nb", FALSE };

  return kbt_book_api (f->store, &r, jan_1, error);
}

/* Local wall-clock time with its offset → µs. */
static gint64
at (Fixture *f, const gchar *timestamptz)
{
  return sql_id (f, "SELECT kb_us($1::timestamptz)", timestamptz, NULL);
}

static void
assert_not_a_slot (Fixture *f, gint64 service, gint64 office, gint64 start)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *reason = NULL;
  KbBookResult *none = book_at (f, service, office, start, &error);

  g_assert_null (none);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  reason = kb_error_reason (error);
  g_assert_cmpstr (reason, ==, "not_a_slot");
}

/* What kb_free_slots offers is exactly what kb_book takes: on the autumn
 * night every offered slot books, both passes of 02:30 included, and a
 * time between them is refused as not_a_slot (outside the hours the
 * refusal stays outside_hours). */
static void
test_only_offered_times_book (Fixture *f, gconstpointer data)
{
  gint64 service, cw, o = office (f, "Europe/Oslo", &service, &cw);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) october =
      slots (f, service, o, 0, "2026-10-25", "2026-10-25", jan_1, &error);
  g_autoptr (GPtrArray) after = NULL;
  g_autofree gchar *reason = NULL;
  KbBookResult *r;

  g_assert_no_error (error);
  g_assert_cmpuint (october->len, ==, 8);
  assert_not_a_slot (f, service, o, at (f, "2026-10-25 02:15+01"));
  assert_not_a_slot (f, service, o, at (f, "2026-10-25 02:30+01") + 1);
  assert_not_a_slot (f, service, o, at (f, "2026-10-26 08:59+01"));
  r = book_at (f, service, o, at (f, "2026-10-25 05:00+01"), &error);
  g_assert_null (r);
  reason = kb_error_reason (error);
  g_assert_cmpstr (reason, ==, "outside_hours");
  g_clear_error (&error);

  for (guint i = 0; i < october->len; i++) {
    KbSlot *s = october->pdata[i];

    r = book_at (f, service, o, s->starts_at, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->booking->starts_at, ==, s->starts_at);
    kb_book_result_free (r);
  }
  after = slots (f, service, o, 0, "2026-10-25", "2026-10-25", jan_1, &error);
  g_assert_cmpuint (after->len, ==, 0);
}

/* An office open round the clock, with a 35-minute step that does not
 * divide a day: each date's grid starts at its local midnight, so the
 * slots of a date are the same whichever dates a search asks for, and an
 * offered slot deep in a week's answer books. */
static void
test_grid_per_date (Fixture *f, gconstpointer data)
{
  gint64 o = kbt_exec_id (
      f->pg, "INSERT INTO offices (name, time_zone) VALUES ('Night', 'Europe/Oslo') RETURNING id",
      0, NULL);
  g_autofree gchar *os = g_strdup_printf ("%" G_GINT64_FORMAT, o);
  gint64 service = kbt_exec_id (
      f->pg,
      "INSERT INTO services (name, duration_min, buffer_min, notice_min, horizon_days) "
      "VALUES ('Short', 25, 10, 0, 366) RETURNING id",
      0, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) week = NULL, day = NULL;
  g_autofree gchar *w = NULL, *d = NULL;
  gint64 midnight = at (f, "2026-06-04 00:00+02"), next = at (f, "2026-06-05 00:00+02");
  KbBookResult *r = NULL;

  sql_id (f,
          "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
          "SELECT $1, d, '00:00', '24:00' FROM generate_series(1, 7) d",
          os, NULL);
  sql_id (f,
          "INSERT INTO caseworkers (office_id, name, email, password_hash) "
          "VALUES ($1, 'N', 'n@example.org', '$argon2id$x')",
          os, NULL);

  week = slots (f, service, o, 0, "2026-06-01", "2026-06-07", jan_1, &error);
  g_assert_no_error (error);
  day = slots (f, service, o, 0, "2026-06-04", "2026-06-04", jan_1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (day->len, ==, 42); /* 00:00, 00:35, …, 23:55 */
  w = starts_between (week, midnight, next);
  d = starts_between (day, midnight, next);
  g_assert_cmpstr (w, ==, d);

  r = book_at (f, service, o, ((KbSlot *) day->pdata[20])->starts_at, &error);
  g_assert_no_error (error);
  kb_book_result_free (r);
  assert_not_a_slot (f, service, o, midnight + (gint64) 30 * 60 * G_USEC_PER_SEC);
}

/* Special hours that open inside the hour the clocks skip and close less
 * than an hour later (02:30-03:15 on 29 March): the wall-clock opening is
 * an instant after the closing.  That interval is empty that night; the
 * rest of the day, the days around it and bookings next to it go on as
 * ever (before, tstzrange raised an error and every search, booking and
 * hours change within a day of it failed). */
static void
test_dst_skipped_opening (Fixture *f, gconstpointer data)
{
  gint64 service, cw, o = office (f, "Europe/Oslo", &service, &cw);
  g_autofree gchar *os = g_strdup_printf ("%" G_GINT64_FORMAT, o);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) around = NULL;
  g_autofree gchar *a = NULL;
  KbBookResult *r;

  /* 01:00-04:00 becomes 01:00-02:00 and 02:30-03:15. */
  sql_id (f,
          "UPDATE special_hours SET closes_at = '02:00' WHERE special_day_id IN "
          "(SELECT id FROM special_days WHERE office_id = $1 AND days @> '2026-03-29'::date)",
          os, NULL);
  sql_id (f,
          "INSERT INTO special_hours (special_day_id, opens_at, closes_at) "
          "SELECT id, '02:30', '03:15' FROM special_days "
          "WHERE office_id = $1 AND days @> '2026-03-29'::date",
          os, NULL);

  around = slots (f, service, o, 0, "2026-03-28", "2026-03-30", jan_1, &error);
  g_assert_no_error (error);
  a = describe (around, "Europe/Oslo");
  g_assert_cmpstr (a, ==,
                   "08:00+01 08:30+01 09:00+01 09:30+01 "
                   "01:00+01 01:30+01 "
                   "08:00+02 08:30+02 09:00+02 09:30+02");

  r = book_at (f, service, o, at (f, "2026-03-30 08:00+02"), &error);
  g_assert_no_error (error);
  kb_book_result_free (r);
  r = book_at (f, service, o, at (f, "2026-03-29 03:00+02"), &error);
  g_assert_null (r);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add ("/db/slots/dst", Fixture, NULL, setup, test_dst, teardown);
  g_test_add ("/db/slots/taken-and-filters", Fixture, NULL, setup, test_taken_and_filters,
              teardown);
  g_test_add ("/db/slots/only-offered-times-book", Fixture, NULL, setup,
              test_only_offered_times_book, teardown);
  g_test_add ("/db/slots/grid-per-date", Fixture, NULL, setup, test_grid_per_date, teardown);
  g_test_add ("/db/slots/dst-skipped-opening", Fixture, NULL, setup, test_dst_skipped_opening,
              teardown);
  return g_test_run ();
}
