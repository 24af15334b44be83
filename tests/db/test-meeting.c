/* test-meeting.c — a meeting's life through the async API on a main loop:
 * join refusals and check-in, admit, re-entry, complete; a caseworker acts
 * only through a live session of an active account. */
#include "kbt.h"

#define MIN_US ((gint64) 60 * G_USEC_PER_SEC)

typedef struct {
  gchar *db;
  PGconn *pg;
  KbStore *store;
  gint64 office, service, cw, other;
  gchar *cw_session, *other_session; /* live session secrets of cw, other */
} Fixture;

/* A session for a caseworker, as a log-in would store it: the secret is
 * returned, the database keeps its SHA-256. */
static gchar *
session_for (PGconn *pg, gint64 caseworker, const gchar *expires)
{
  gchar *token = kb_token_new ();
  guint8 hash[KB_TOKEN_HASH_LEN];
  g_autoptr (GString) hex = g_string_new ("\\x");
  g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, caseworker);

  kb_token_hash (token, hash);
  for (gsize i = 0; i < KB_TOKEN_HASH_LEN; i++)
    g_string_append_printf (hex, "%02x", hash[i]);
  {
    const gchar *p[] = { hex->str, id, expires };
    kbt_exec_id (pg,
                 "INSERT INTO sessions (token_hash, caseworker_id, created_at, expires_at) "
                 "VALUES ($1, $2, now() - interval '1 day', now() + $3::interval) "
                 "RETURNING caseworker_id",
                 3, p);
  }
  return token;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree gchar *o = NULL;

  kbt_open (&f->db, &f->pg);
  kbt_seed (f->pg, "Europe/Oslo", 30, 5, "kari@example.org", "pw", &f->office, &f->service, &f->cw);
  o = g_strdup_printf ("%" G_GINT64_FORMAT, f->office);
  {
    const gchar *p[] = { o };
    f->other = kbt_exec_id (f->pg,
                            "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                            "VALUES ($1, 'Other', 'other@example.org', '$argon2id$x') RETURNING id",
                            1, p);
  }
  f->cw_session = session_for (f->pg, f->cw, "1 day");
  f->other_session = session_for (f->pg, f->other, "1 day");
  f->store = kbt_store (f->db, 2);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kbt_close (f->db, f->pg, f->store);
  g_free (f->cw_session);
  g_free (f->other_session);
}

static KbBooking *
join (Fixture *f, const gchar *token, gint64 now, KbJoinVerdict *verdict, gint64 *opens_at)
{
  GAsyncResult *res = NULL;
  g_autoptr (GError) error = NULL;
  KbBooking *b;

  kb_join_async (f->store, token, now, NULL, kbt_ready, &res);
  b = kb_join_finish (f->store, kbt_wait (&res), verdict, opens_at, &error);
  g_assert_no_error (error);
  g_object_unref (res);
  return b;
}

static KbBooking *
admit (Fixture *f, gint64 id, const gchar *session, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbBooking *b;

  kb_admit_async (f->store, id, session, now, NULL, kbt_ready, &res);
  b = kb_admit_finish (f->store, kbt_wait (&res), error);
  g_object_unref (res);
  return b;
}

static KbBooking *
complete (Fixture *f, gint64 id, const gchar *session, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbBooking *b;

  kb_complete_async (f->store, id, session, now, NULL, kbt_ready, &res);
  b = kb_complete_finish (f->store, kbt_wait (&res), error);
  g_object_unref (res);
  return b;
}

static void
test_lifecycle (Fixture *f, gconstpointer data)
{
  g_autofree gchar *token = kb_token_new ();
  gint64 start = (g_get_real_time () / MIN_US + 60) * MIN_US;
  gint64 id = kbt_book (f->pg, f->service, f->cw, start, token, NULL);
  KbJoinVerdict verdict;
  gint64 opens_at = 0;
  g_autoptr (GError) error = NULL;
  KbBooking *b;

  g_assert_cmpint (id, >, 0);

  /* Unknown token. */
  {
    g_autofree gchar *stranger = kb_token_new ();
    b = join (f, stranger, start, &verdict, NULL);
    g_assert_null (b);
    g_assert_cmpint (verdict, ==, KB_JOIN_NO_BOOKING);
  }

  /* One microsecond before the window: too early, with the opening time. */
  b = join (f, token, start - 10 * MIN_US - 1, &verdict, &opens_at);
  g_assert_cmpint (verdict, ==, KB_JOIN_TOO_EARLY);
  g_assert_cmpint (opens_at, ==, start - 10 * MIN_US);
  g_assert_cmpint (b->status, ==, KB_STATUS_BOOKED);
  g_assert_cmpstr (b->office_tz, ==, "Europe/Oslo");
  g_assert_cmpint (b->starts_at, ==, start);
  g_assert_cmpint (b->ends_at, ==, start + 30 * MIN_US);
  g_assert_cmpint (b->join_before_s, ==, 600);
  g_assert_cmpint (b->join_after_s, ==, 900);
  kb_booking_free (b);

  /* Admit before check-in: wrong state. */
  b = admit (f, id, f->cw_session, start, &error);
  g_assert_null (b);
  g_assert_error (error, KB_ERROR, KB_ERROR_STATE);
  g_clear_error (&error);

  /* Exactly at the opening: checked in. */
  b = join (f, token, start - 10 * MIN_US, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_OK);
  g_assert_cmpint (b->status, ==, KB_STATUS_WAITING);
  g_assert_cmpint (b->checked_in_at, ==, start - 10 * MIN_US);
  kb_booking_free (b);

  /* Reload: back to the waiting room, check-in time kept. */
  b = join (f, token, start - 5 * MIN_US, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_OK);
  g_assert_cmpint (b->status, ==, KB_STATUS_WAITING);
  g_assert_cmpint (b->checked_in_at, ==, start - 10 * MIN_US);
  kb_booking_free (b);

  /* Someone else's booking reads as none at all. */
  b = admit (f, id, f->other_session, start, &error);
  g_assert_null (b);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  b = admit (f, id + 1000, f->cw_session, start, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  b = admit (f, id, f->cw_session, start + MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_IN_MEETING);
  g_assert_cmpint (b->admitted_at, ==, start + MIN_US);
  kb_booking_free (b);

  /* The caseworker reloads: admitting the own meeting again is fine. */
  b = admit (f, id, f->cw_session, start + 2 * MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_IN_MEETING);
  g_assert_cmpint (b->admitted_at, ==, start + MIN_US);
  kb_booking_free (b);

  /* The job seeker reloads, even after the late-entry window. */
  b = join (f, token, start + 20 * MIN_US, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_REJOIN);
  kb_booking_free (b);

  b = complete (f, id, f->other_session, start + 25 * MIN_US, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  b = complete (f, id, f->cw_session, start + 25 * MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_COMPLETED);
  g_assert_cmpint (b->ended_at, ==, start + 25 * MIN_US);
  kb_booking_free (b);
  b = complete (f, id, f->cw_session, start + 26 * MIN_US, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_STATE);
  g_clear_error (&error);

  b = join (f, token, start + 26 * MIN_US, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_COMPLETED);
  kb_booking_free (b);

  /* The read-only view agrees. */
  {
    GAsyncResult *res = NULL;

    kb_booking_by_token_async (f->store, token, NULL, kbt_ready, &res);
    b = kb_booking_by_token_finish (f->store, kbt_wait (&res), &error);
    g_assert_no_error (error);
    g_assert_cmpint (b->id, ==, id);
    g_assert_cmpint (b->status, ==, KB_STATUS_COMPLETED);
    kb_booking_free (b);
    g_object_unref (res);
  }
}

static void
test_late_and_cancelled (Fixture *f, gconstpointer data)
{
  g_autofree gchar *late = kb_token_new ();
  g_autofree gchar *gone = kb_token_new ();
  gint64 start = (g_get_real_time () / MIN_US + 120) * MIN_US;
  gint64 id_gone;
  KbJoinVerdict verdict;
  KbBooking *b;

  g_assert_cmpint (kbt_book (f->pg, f->service, f->cw, start, late, NULL), >, 0);
  id_gone = kbt_book (f->pg, f->service, f->other, start, gone, NULL);

  /* Exactly at start + 15 min one may still enter ... */
  b = join (f, late, start + 15 * MIN_US + 1, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_TOO_LATE);
  g_assert_cmpint (b->status, ==, KB_STATUS_BOOKED); /* not checked in */
  kb_booking_free (b);
  b = join (f, late, start + 15 * MIN_US, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_OK);
  g_assert_cmpint (b->status, ==, KB_STATUS_WAITING);
  kb_booking_free (b);

  {
    g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, id_gone);
    const gchar *p[] = { id };
    kbt_exec_id (f->pg, "UPDATE bookings SET status = 'cancelled' WHERE id = $1", 1, p);
  }
  b = join (f, gone, start, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_CANCELLED);
  kb_booking_free (b);
}

static const gchar *
status_of (PGconn *pg, gint64 id)
{
  static gchar status[32];
  g_autofree gchar *sql =
      g_strdup_printf ("SELECT status FROM bookings WHERE id = %" G_GINT64_FORMAT, id);
  PGresult *r = PQexec (pg, sql);
  g_assert_cmpint (PQntuples (r), ==, 1);
  g_strlcpy (status, PQgetvalue (r, 0, 0), sizeof status);
  PQclear (r);
  return status;
}

static void
exec_ok (PGconn *pg, const gchar *sql)
{
  PGresult *r = PQexec (pg, sql);
  g_assert_cmpint (PQresultStatus (r), ==, PGRES_COMMAND_OK);
  PQclear (r);
}

/* A socket keeps the session secret it opened with; every action is
 * checked against the live session in the same statement, so logging out,
 * an expired session, a password reset (which ends all sessions) or a
 * deactivation take the caseworker's authority at once, and the refused
 * action changes nothing. */
static void
test_session_checked (Fixture *f, gconstpointer data)
{
  g_autofree gchar *token = kb_token_new ();
  g_autofree gchar *expired = session_for (f->pg, f->cw, "-1 second");
  g_autofree gchar *stranger = kb_token_new ();
  gint64 start = (g_get_real_time () / MIN_US + 60) * MIN_US;
  gint64 id = kbt_book (f->pg, f->service, f->cw, start, token, NULL);
  g_autoptr (GError) error = NULL;
  KbJoinVerdict verdict;
  KbBooking *b;

  kb_booking_free (join (f, token, start, &verdict, NULL));
  g_assert_cmpint (verdict, ==, KB_JOIN_OK);

  b = admit (f, id, expired, start, &error);
  g_assert_null (b);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_LOGGED_IN);
  g_clear_error (&error);
  b = admit (f, id, stranger, start, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_LOGGED_IN);
  g_clear_error (&error);
  /* No session reads as no session, whatever the booking id. */
  b = admit (f, id + 1000, stranger, start, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_LOGGED_IN);
  g_clear_error (&error);
  g_assert_cmpstr (status_of (f->pg, id), ==, "waiting");

  /* Deactivated: the session row may still be there, the authority is not. */
  {
    g_autofree gchar *sql = g_strdup_printf (
        "UPDATE caseworkers SET active = false WHERE id = %" G_GINT64_FORMAT, f->cw);
    exec_ok (f->pg, sql);
  }
  b = admit (f, id, f->cw_session, start, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_LOGGED_IN);
  g_clear_error (&error);
  g_assert_cmpstr (status_of (f->pg, id), ==, "waiting");
  {
    g_autofree gchar *sql = g_strdup_printf (
        "UPDATE caseworkers SET active = true WHERE id = %" G_GINT64_FORMAT, f->cw);
    exec_ok (f->pg, sql);
  }
  b = admit (f, id, f->cw_session, start, &error);
  g_assert_no_error (error);
  kb_booking_free (b);

  /* Logged out (the row is gone): neither end nor no-show goes through. */
  {
    g_autofree gchar *sql =
        g_strdup_printf ("DELETE FROM sessions WHERE caseworker_id = %" G_GINT64_FORMAT, f->cw);
    exec_ok (f->pg, sql);
  }
  b = complete (f, id, f->cw_session, start + MIN_US, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_LOGGED_IN);
  g_clear_error (&error);
  g_assert_cmpstr (status_of (f->pg, id), ==, "in_meeting");
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add ("/db/meeting/lifecycle", Fixture, NULL, setup, test_lifecycle, teardown);
  g_test_add ("/db/meeting/session-checked", Fixture, NULL, setup, test_session_checked, teardown);
  g_test_add ("/db/meeting/late-and-cancelled", Fixture, NULL, setup, test_late_and_cancelled,
              teardown);
  return g_test_run ();
}
