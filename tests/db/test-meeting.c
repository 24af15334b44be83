/* test-meeting.c — a meeting's life through the async API on a main loop:
 * join refusals and check-in, admit, re-entry, complete. */
#include "kbt.h"

#define MIN_US ((gint64) 60 * G_USEC_PER_SEC)

typedef struct {
  gchar *db;
  PGconn *pg;
  KbStore *store;
  gint64 office, service, cw, other;
} Fixture;

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
  f->store = kbt_store (f->db, 2);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kbt_close (f->db, f->pg, f->store);
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
admit (Fixture *f, gint64 id, gint64 cw, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbBooking *b;

  kb_admit_async (f->store, id, cw, now, NULL, kbt_ready, &res);
  b = kb_admit_finish (f->store, kbt_wait (&res), error);
  g_object_unref (res);
  return b;
}

static KbBooking *
complete (Fixture *f, gint64 id, gint64 cw, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbBooking *b;

  kb_complete_async (f->store, id, cw, now, NULL, kbt_ready, &res);
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
  b = admit (f, id, f->cw, start, &error);
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

  /* Someone else's booking, or none at all. */
  b = admit (f, id, f->other, start, &error);
  g_assert_null (b);
  g_assert_error (error, KB_ERROR, KB_ERROR_FORBIDDEN);
  g_clear_error (&error);
  b = admit (f, id + 1000, f->cw, start, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  b = admit (f, id, f->cw, start + MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_IN_MEETING);
  g_assert_cmpint (b->admitted_at, ==, start + MIN_US);
  kb_booking_free (b);

  /* The caseworker reloads: admitting the own meeting again is fine. */
  b = admit (f, id, f->cw, start + 2 * MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_IN_MEETING);
  g_assert_cmpint (b->admitted_at, ==, start + MIN_US);
  kb_booking_free (b);

  /* The job seeker reloads, even after the late-entry window. */
  b = join (f, token, start + 20 * MIN_US, &verdict, NULL);
  g_assert_cmpint (verdict, ==, KB_JOIN_REJOIN);
  kb_booking_free (b);

  b = complete (f, id, f->other, start + 25 * MIN_US, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_FORBIDDEN);
  g_clear_error (&error);
  b = complete (f, id, f->cw, start + 25 * MIN_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->status, ==, KB_STATUS_COMPLETED);
  g_assert_cmpint (b->ended_at, ==, start + 25 * MIN_US);
  kb_booking_free (b);
  b = complete (f, id, f->cw, start + 26 * MIN_US, &error);
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

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add ("/db/meeting/lifecycle", Fixture, NULL, setup, test_lifecycle, teardown);
  g_test_add ("/db/meeting/late-and-cancelled", Fixture, NULL, setup, test_late_and_cancelled,
              teardown);
  return g_test_run ();
}
