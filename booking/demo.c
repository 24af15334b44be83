/* demo.c — demo data for `kontor demo` and the end-to-end test: an office
 * in Europe/Oslo open all day every day (so the demo works at any hour), a
 * service, a caseworker with a fresh password who holds meetings in
 * Norwegian and English (so the booking page shows free times whether a
 * newcomer's browser asks for either), and one booking that starts
 * shortly.  Blocking: runs before the loop, never on it. */
#include "kb-private.h"

#define DEMO_EMAIL "demo@kontor.example"

/* Runs one statement; NULL with error on failure. */
static PGresult *
demo_exec (PGconn *pg, const gchar *sql, int n, const gchar *const *params, GError **error)
{
  PGresult *res = PQexecParams (pg, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus (res);

  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    kb_result_to_error (res, error);
    g_prefix_error (error, "demo data: ");
    PQclear (res);
    return NULL;
  }
  return res;
}

/* The first column of the first row as an id, or -1. */
static gint64
demo_id (PGconn *pg, const gchar *sql, int n, const gchar *const *params, GError **error)
{
  PGresult *res = demo_exec (pg, sql, n, params, error);
  gint64 id;

  if (res == NULL)
    return -1;
  id = PQntuples (res) > 0 ? g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10) : -1;
  PQclear (res);
  return id;
}

static gboolean
demo_fill (PGconn *pg, KbDemo *demo, gint64 now, gint starts_in_s, GError **error)
{
  g_autofree gchar *now_p = kb_param_int64 (now);
  g_autofree gchar *start_p = kb_param_int64 (now + (gint64) starts_in_s * G_USEC_PER_SEC);
  g_autofree gchar *office_p = NULL, *service_p = NULL, *cw_p = NULL;
  g_autofree gchar *pw_hash = NULL, *token_hash = NULL;
  gint64 office, service, cw;
  PGresult *res;

  office = demo_id (pg,
                    "INSERT INTO offices (name, time_zone, address, languages) "
                    "VALUES ('Kontor demo', 'Europe/Oslo', 'Demogata 1, 0150 Oslo', '{nb,en}') "
                    "ON CONFLICT (name) DO UPDATE SET time_zone = EXCLUDED.time_zone, "
                    "languages = EXCLUDED.languages RETURNING id",
                    0, NULL, error);
  if (office < 0)
    return FALSE;
  office_p = kb_param_int64 (office);

  /* Open 00:00–24:00 on every weekday: the booking is valid at any hour. */
  {
    const gchar *p[] = { office_p };

    res = demo_exec (pg, "DELETE FROM opening_hours WHERE office_id = $1", 1, p, error);
    if (res == NULL)
      return FALSE;
    PQclear (res);
    res = demo_exec (pg,
                     "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
                     "SELECT $1, d, '00:00', '24:00' FROM generate_series(1, 7) d",
                     1, p, error);
    if (res == NULL)
      return FALSE;
    PQclear (res);
  }

  service = demo_id (
      pg,
      "INSERT INTO services (name, duration_min, buffer_min, join_before_min, join_after_min, "
      "  notice_min) "
      "VALUES ('Video guidance (demo)', 30, 0, 10, 15, 0) "
      "ON CONFLICT (name) DO UPDATE SET notice_min = 0 RETURNING id",
      0, NULL, error);
  if (service < 0)
    return FALSE;
  service_p = kb_param_int64 (service);

  demo->caseworker_email = g_strdup (DEMO_EMAIL);
  demo->caseworker_password = kb_password_new (14);
  pw_hash = kb_password_hash (demo->caseworker_password, error);
  if (pw_hash == NULL)
    return FALSE;
  {
    const gchar *p[] = { office_p, DEMO_EMAIL, pw_hash };

    cw = demo_id (
        pg,
        "INSERT INTO caseworkers (office_id, name, email, password_hash, is_admin, languages) "
        "VALUES ($1, 'Demo Caseworker', $2, $3, true, '{nb,en}') "
        "ON CONFLICT ((lower(email))) DO UPDATE SET office_id = EXCLUDED.office_id, "
        "password_hash = EXCLUDED.password_hash, active = true, "
        "languages = EXCLUDED.languages RETURNING id",
        3, p, error);
  }
  if (cw < 0)
    return FALSE;
  cw_p = kb_param_int64 (cw);

  /* No contact on demo bookings: the per-contact cap and overlap rule
   * would otherwise refuse the fourth demo run.
   * Demo data only: an older demo booking in the way is cancelled rather
   * than refusing the new one. */
  {
    const gchar *p[] = { cw_p, service_p, start_p, now_p };

    res = demo_exec (pg,
                     "UPDATE bookings b SET status = 'cancelled', cancelled_at = kb_ts($4), "
                     "status_changed_at = kb_ts($4) FROM services s "
                     "WHERE s.id = $2 AND b.caseworker_id = $1 AND b.status <> 'cancelled' "
                     "AND b.blocked && tstzrange(kb_ts($3), kb_ts($3) "
                     "    + make_interval(mins => s.duration_min + s.buffer_min))",
                     4, p, error);
    if (res == NULL)
      return FALSE;
    PQclear (res);
  }

  /* A booking that starts in the past (starts_in_s < 0, for tests of late
   * arrivals) counts as made when it started, so the notice rule holds. */
  demo->booking_token = kb_token_new ();
  demo->booking_reference = kb_reference_new ();
  demo->booking_starts_at = now + (gint64) starts_in_s * G_USEC_PER_SEC;
  token_hash = kb_param_token_hash (demo->booking_token);
  {
    const gchar *p[] = { demo->booking_reference, token_hash, service_p, cw_p, start_p, now_p };

    res = demo_exec (
        pg,
        "INSERT INTO bookings (reference, token_hash, seeker_name, seeker_contact, "
        "  language, service_id, caseworker_id, during, blocked, created_at, "
        "  status_changed_at) "
        "SELECT $1, $2::bytea, 'Demo Job Seeker', '', 'nb', s.id, $4, "
        "  tstzrange(kb_ts($5), kb_ts($5) + make_interval(mins => s.duration_min)), "
        "  tstzrange(kb_ts($5), kb_ts($5) + make_interval(mins => s.duration_min + s.buffer_min)), "
        "  least(kb_ts($6), kb_ts($5)), kb_ts($6) "
        "FROM services s WHERE s.id = $3::bigint",
        6, p, error);
    if (res == NULL)
      return FALSE;
    PQclear (res);
  }
  return TRUE;
}

KbDemo *
kb_demo_seed (const gchar *conninfo, gint64 now, gint starts_in_s, GError **error)
{
  g_autoptr (KbDemo) demo = g_new0 (KbDemo, 1);
  PGconn *pg = kb_connect_blocking (conninfo, error);
  gboolean ok;
  PGresult *res;

  if (pg == NULL)
    return NULL;
  if (!kb_migrate_check (pg, error)) {
    PQfinish (pg);
    return NULL;
  }
  res = demo_exec (pg, "BEGIN", 0, NULL, error);
  if (res == NULL) {
    PQfinish (pg);
    return NULL;
  }
  PQclear (res);
  ok = demo_fill (pg, demo, now, starts_in_s, error);
  res = demo_exec (pg, ok ? "COMMIT" : "ROLLBACK", 0, NULL, ok ? error : NULL);
  if (res == NULL)
    ok = FALSE;
  else
    PQclear (res);
  PQfinish (pg);
  return ok ? g_steal_pointer (&demo) : NULL;
}
