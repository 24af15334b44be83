/* bench-booking.c — booking figures, not a pass/fail test: an office with
 * 50 caseworkers and four weeks of 70 % full calendars; free-slot search
 * latency for a week (p50/p99), and bookings per second with 16 concurrent
 * clients, with the count of double bookings (must be 0).  Each figure on
 * its own line as `name: value unit`.  Needs KONTOR_TEST_CONNINFO; creates
 * and drops its own database.
 *
 * Baselines, measured in the same run on the same database, give the
 * ratios: a search against a plain query that only reads the week's
 * bookings (what any slot search must at least do), and one booking at a
 * time against a plain INSERT of the same row into a table without
 * constraints, indexes or triggers.  Most of a booking's time is the kiosk
 * code's password hash (libsodium crypto_pwhash, on a worker thread), on
 * purpose: a six-digit code must be slow to guess from a leaked table. */
#include "booking/booking.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CASEWORKERS 50
#define SLOT_QUERIES 40
#define CLIENTS 16
#define BOOK_ATTEMPTS 320
#define SERIAL_BOOKS 100

static PGconn *
connect_or_die (const gchar *conninfo)
{
  PGconn *pg = PQconnectdb (conninfo);

  if (PQstatus (pg) != CONNECTION_OK)
    g_error ("connect: %s", PQerrorMessage (pg));
  PQclear (PQexec (pg, "SET client_min_messages = warning"));
  return pg;
}

static gint64
exec_or_die (PGconn *pg, const gchar *sql)
{
  PGresult *res = PQexec (pg, sql);
  gint64 v = 0;

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0)
    v = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return v;
}

static void
ready (GObject *source, GAsyncResult *result, gpointer slot)
{
  *(GAsyncResult **) slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

typedef struct {
  KbStore *store;
  gint64 service, office, now;
  GPtrArray *free_slots; /* KbSlot* to pick from */
  guint started, done, ok, taken, other;
  gint64 t0;
} Race;

static void client_next (Race *r);

static gdouble
median (GArray *ms)
{
  g_array_sort (ms, compare_double);
  return ms->len ? g_array_index (ms, gdouble, ms->len / 2) : 0;
}

/* One synchronous statement; its wall time in ms. */
static gdouble
timed_exec (PGconn *pg, const gchar *sql, int n, const gchar *const *params)
{
  gint64 t = g_get_monotonic_time ();
  PGresult *res = PQexecParams (pg, sql, n, NULL, params, NULL, NULL, 0);
  gdouble ms = (g_get_monotonic_time () - t) / 1000.0;
  if (PQresultStatus (res) != PGRES_TUPLES_OK && PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (pg));
  PQclear (res);
  return ms;
}

static void
client_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Race *r = data;
  g_autoptr (GError) error = NULL;
  KbBookResult *b = kb_book_finish (r->store, result, &error);

  r->done++;
  if (b)
    r->ok++;
  else if (g_error_matches (error, KB_ERROR, KB_ERROR_SLOT_TAKEN))
    r->taken++;
  else {
    r->other++;
    g_printerr ("book: %s\n", error->message);
  }
  kb_book_result_free (b);
  client_next (r);
}

static void
client_next (Race *r)
{
  KbSlot *slot;
  g_autofree gchar *contact = NULL;
  KbBookRequest req = { 0 };

  if (r->started >= BOOK_ATTEMPTS)
    return;
  r->started++;
  slot = r->free_slots->pdata[g_random_int_range (0, r->free_slots->len)];
  contact = g_strdup_printf ("bench%u@example.org", r->started);
  req.service_id = r->service;
  req.office_id = r->office;
  req.starts_at = slot->starts_at;
  req.seeker_name = "Bench";
  req.seeker_contact = contact;
  req.language = "nb";
  kb_book_async (r->store, &req, r->now, NULL, client_done, r);
}

int
main (int argc, char **argv)
{
  const gchar *base = g_getenv ("KONTOR_TEST_CONNINFO");
  g_autofree gchar *name = NULL, *conninfo = NULL, *sql = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
  PGconn *admin, *pg;
  KbStore *store;
  gint64 office, service, now, seed_t0;
  Race r = { 0 };

  if (base == NULL || *base == '\0') {
    g_printerr ("bench-booking: set KONTOR_TEST_CONNINFO (deploy/pg-local start DIR)\n");
    return 77;
  }
  name = g_strdup_printf ("kbbench_%d", (int) getpid ());
  admin = connect_or_die (base);
  sql = g_strdup_printf ("CREATE DATABASE %s", name);
  exec_or_die (admin, sql);
  conninfo = g_strdup_printf ("%s dbname=%s", base, name);
  if (!kb_migrate (conninfo, &error))
    g_error ("migrate: %s", error->message);

  /* Four weeks from Monday 2026-11-30, Monday–Friday 08:00–16:00, 30-minute
   * meetings: 16 slots a day per caseworker; 70 % of them booked. */
  pg = connect_or_die (conninfo);
  office = exec_or_die (
      pg, "INSERT INTO offices (name, time_zone) VALUES ('Bench', 'Europe/Oslo') RETURNING id");
  exec_or_die (pg, "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
                   "SELECT 1, d, '08:00', '16:00' FROM generate_series(1, 5) d");
  service = exec_or_die (pg, "INSERT INTO services (name, duration_min, notice_min, horizon_days) "
                             "VALUES ('Guidance', 30, 0, 90) RETURNING id");
  exec_or_die (pg, "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                   "SELECT 1, 'Caseworker ' || i, 'cw' || i || '@example.org', '$argon2id$x' "
                   "FROM generate_series(1, 50) i");
  seed_t0 = g_get_monotonic_time ();
  exec_or_die (pg, "SELECT setseed(0.42)");
  exec_or_die (
      pg,
      "INSERT INTO bookings (reference, token_hash, seeker_name, service_id, caseworker_id, "
      "  during, blocked, created_at, status_changed_at) "
      "SELECT (SELECT string_agg(substr('ACDEFHJKMNPQRTUVWXY34679', (n / (24 ^ k)::bigint % 24)::int + 1, 1), '' ORDER BY k) "
      "          FROM generate_series(0, 2) k) || '-' || "
      "       (SELECT string_agg(substr('ACDEFHJKMNPQRTUVWXY34679', (n / (24 ^ (k + 3))::bigint % 24)::int + 1, 1), '' ORDER BY k) "
      "          FROM generate_series(0, 2) k), "
      "       sha256(('bench' || n)::bytea), 'Seed', 1, cw, "
      "       tstzrange(t, t + interval '30 minutes'), 'empty', '2026-11-28', '2026-11-28' "
      "  FROM (SELECT row_number() OVER () AS n, cw, t FROM ("
      "          SELECT cw, ((d::date + s * interval '30 minutes' + time '08:00') AT TIME ZONE 'Europe/Oslo') AS t "
      "            FROM generate_series(1, 50) cw, generate_series(date '2026-11-30', date '2026-12-27', interval '1 day') d, "
      "                 generate_series(0, 15) s "
      "           WHERE extract(isodow FROM d) < 6 AND random() < 0.7) x) y");
  g_print ("seed_bookings: %" G_GINT64_FORMAT " bookings\n",
           exec_or_die (pg, "SELECT count(*) FROM bookings"));
  g_print ("seed_time: %.1f s\n", (g_get_monotonic_time () - seed_t0) / 1e6);
  exec_or_die (pg, "ANALYZE");

  now = exec_or_die (pg, "SELECT kb_us('2026-11-28 12:00'::timestamp AT TIME ZONE 'Europe/Oslo')");
  store = kb_store_new (conninfo, CLIENTS, &error);
  if (store == NULL)
    g_error ("store: %s", error->message);

  /* Free-slot search for a week, any caseworker, one office. */
  for (guint i = 0; i < SLOT_QUERIES; i++) {
    static const gchar *weeks[][2] = {
      { "2026-11-30", "2026-12-06" },
      { "2026-12-07", "2026-12-13" },
      { "2026-12-14", "2026-12-20" },
      { "2026-12-21", "2026-12-27" },
    };
    KbSlotQuery q = { service, office, 0, NULL, weeks[i % 4][0], weeks[i % 4][1] };
    GAsyncResult *res = NULL;
    gint64 t = g_get_monotonic_time ();
    GPtrArray *slots;
    gdouble ms;

    kb_slots_async (store, &q, now, NULL, ready, &res);
    slots = kb_slots_finish (store, wait_for (&res), &error);
    ms = (g_get_monotonic_time () - t) / 1000.0;
    g_object_unref (res);
    if (slots == NULL)
      g_error ("slots: %s", error->message);
    g_array_append_val (lat, ms);
    if (i < 4) {
      if (r.free_slots == NULL)
        r.free_slots = g_ptr_array_new_with_free_func ((GDestroyNotify) kb_slot_free);
      while (slots->len > 0)
        g_ptr_array_add (r.free_slots, g_ptr_array_steal_index_fast (slots, 0));
    }
    g_ptr_array_unref (slots);
  }
  g_array_sort (lat, compare_double);
  g_print ("free_slots_week_p50: %.1f ms\n", g_array_index (lat, gdouble, lat->len / 2));
  g_print ("free_slots_week_p99: %.1f ms\n",
           g_array_index (lat, gdouble, MIN (lat->len - 1, (guint) (lat->len * 0.99))));
  {
    g_autoptr (GArray) base = g_array_new (FALSE, FALSE, sizeof (gdouble));
    g_autofree gchar *office_text = g_strdup_printf ("%" G_GINT64_FORMAT, office);
    static const gchar *mondays[] = { "2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21" };
    for (guint i = 0; i < SLOT_QUERIES; i++) {
      const gchar *params[] = { office_text, mondays[i % 4] };
      gdouble ms =
          timed_exec (pg,
                      "SELECT b.caseworker_id, lower(b.during), upper(b.during) FROM bookings b "
                      "JOIN caseworkers c ON c.id = b.caseworker_id WHERE c.office_id = $1 "
                      "AND b.during && tstzrange($2::date::timestamp AT TIME ZONE 'Europe/Oslo', "
                      "($2::date + 7)::timestamp AT TIME ZONE 'Europe/Oslo')",
                      2, params);
      g_array_append_val (base, ms);
    }
    gdouble b = median (base);
    g_print ("baseline_read_week_bookings_p50: %.2f ms\n", b);
    g_print ("ratio free_slots_week_p50 / baseline: %.1f\n",
             g_array_index (lat, gdouble, lat->len / 2) / b);
  }
  g_print ("free_slot_starts_4_weeks: %u slots\n", r.free_slots->len);

  /* 16 clients book random free slots ("any caseworker") as fast as they can. */
  r.store = store;
  r.service = service;
  r.office = office;
  r.now = now;
  r.t0 = g_get_monotonic_time ();
  for (guint i = 0; i < CLIENTS; i++)
    client_next (&r);
  while (r.done < BOOK_ATTEMPTS)
    g_main_context_iteration (NULL, TRUE);
  {
    gdouble s = (g_get_monotonic_time () - r.t0) / 1e6;

    g_print ("book_attempts: %u requests\n", r.done);
    g_print ("book_ok: %u bookings\n", r.ok);
    g_print ("book_slot_taken: %u requests\n", r.taken);
    g_print ("book_errors: %u requests\n", r.other);
    g_print ("bookings_per_second: %.1f bookings/s\n", r.ok / s);
    g_print ("requests_per_second: %.1f requests/s\n", r.done / s);
  }
  /* One client, one booking at a time, against plain INSERTs of the same
   * rows into a table with nothing to check. */
  {
    g_autoptr (GArray) book_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
    g_autoptr (GArray) insert_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
    exec_or_die (pg, "CREATE TABLE bench_plain AS SELECT * FROM bookings WITH NO DATA");
    for (guint i = 0; i < SERIAL_BOOKS * 3 && book_ms->len < SERIAL_BOOKS; i++) {
      KbSlot *slot = r.free_slots->pdata[g_random_int_range (0, r.free_slots->len)];
      g_autofree gchar *contact = g_strdup_printf ("serial%u@example.org", i);
      KbBookRequest req = { .service_id = service,
                            .office_id = office,
                            .starts_at = slot->starts_at,
                            .seeker_name = "Bench",
                            .seeker_contact = contact,
                            .language = "nb" };
      GAsyncResult *res = NULL;
      g_autoptr (GError) book_error = NULL;
      gint64 t = g_get_monotonic_time ();
      kb_book_async (store, &req, now, NULL, ready, &res);
      KbBookResult *b = kb_book_finish (store, wait_for (&res), &book_error);
      gdouble ms = (g_get_monotonic_time () - t) / 1000.0;
      g_object_unref (res);
      if (!b)
        continue; /* taken meanwhile: try another slot */
      g_array_append_val (book_ms, ms);
      g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, b->booking->id);
      const gchar *params[] = { id };
      ms = timed_exec (pg, "INSERT INTO bench_plain SELECT * FROM bookings WHERE id = $1", 1,
                       params);
      (void) ms; /* includes reading the row: measured again below without it */
      kb_book_result_free (b);
    }
    /* The plain INSERT alone: the same rows, values given. */
    PGresult *rows =
        PQexec (pg, "SELECT reference, seeker_name, service_id, caseworker_id, during::text "
                    "FROM bench_plain");
    for (int i = 0; i < PQntuples (rows); i++) {
      g_autofree gchar *ref = g_strdup_printf ("P%s", PQgetvalue (rows, i, 0));
      const gchar *params[] = { ref, PQgetvalue (rows, i, 1), PQgetvalue (rows, i, 2),
                                PQgetvalue (rows, i, 3), PQgetvalue (rows, i, 4) };
      gdouble ms = timed_exec (
          pg,
          "INSERT INTO bench_plain (reference, token_hash, seeker_name, "
          "service_id, caseworker_id, during, blocked, created_at, status_changed_at) "
          "VALUES ($1, sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5::tstzrange, 'empty', now(), now())",
          5, params);
      g_array_append_val (insert_ms, ms);
    }
    PQclear (rows);
    gdouble bm = median (book_ms), im = median (insert_ms);
    g_print ("book_one_client_p50: %.2f ms\n", bm);
    g_print ("baseline_plain_insert_p50: %.2f ms\n", im);
    g_print ("ratio book_one_client_p50 / baseline: %.1f\n", bm / im);
  }

  g_print ("double_bookings: %" G_GINT64_FORMAT " pairs\n",
           exec_or_die (pg, "SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id "
                            "AND a.caseworker_id = b.caseworker_id AND a.status <> 'cancelled' "
                            "AND b.status <> 'cancelled' AND a.during && b.during"));

  g_ptr_array_unref (r.free_slots);
  kb_store_free (store);
  PQfinish (pg);
  g_clear_pointer (&sql, g_free);
  /* KONTOR_BENCH_KEEP=1 keeps the database for EXPLAIN ANALYZE. */
  if (g_getenv ("KONTOR_BENCH_KEEP"))
    g_printerr ("kept database %s\n", name);
  else {
    sql = g_strdup_printf ("DROP DATABASE %s WITH (FORCE)", name);
    exec_or_die (admin, sql);
  }
  PQfinish (admin);
  return 0;
}
