/* test-admin.c — administration through the C API: who may do what,
 * hours changes that leave bookings in conflict (listed, not deleted),
 * special days, services, caseworkers, absences, reassignment, and the
 * kiosk entry with reference and code. */
#include "kbt.h"
#include "booking/booking-admin.h"

#define MIN_US ((gint64) 60 * G_USEC_PER_SEC)

typedef struct {
  gchar *db;
  PGconn *pg;
  KbStore *store;
  gint64 admin, worker, other_admin, office, service;
  gint64 now, monday_nine;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *hash = kb_password_hash ("admin password", &error);
  const gchar *p[] = { hash };

  kbt_open (&f->db, &f->pg);
  f->office = kbt_exec_id (
      f->pg, "INSERT INTO offices (name, time_zone) VALUES ('Oslo', 'Europe/Oslo') RETURNING id", 0,
      NULL);
  kbt_exec_id (f->pg, "INSERT INTO offices (name, time_zone) VALUES ('Malmö', 'Europe/Stockholm')",
               0, NULL);
  f->admin =
      kbt_exec_id (f->pg,
                   "INSERT INTO caseworkers (office_id, name, email, password_hash, is_admin) "
                   "VALUES (1, 'Ada', 'ada@example.org', $1, true) RETURNING id",
                   1, p);
  f->worker = kbt_exec_id (f->pg,
                           "INSERT INTO caseworkers (office_id, name, email, password_hash) "
                           "VALUES (1, 'Kari', 'kari@example.org', $1) RETURNING id",
                           1, p);
  f->other_admin =
      kbt_exec_id (f->pg,
                   "INSERT INTO caseworkers (office_id, name, email, password_hash, is_admin) "
                   "VALUES (2, 'Sven', 'sven@example.org', $1, true) RETURNING id",
                   1, p);
  f->monday_nine = kbt_exec_id (
      f->pg, "SELECT kb_us('2026-12-07 09:00'::timestamp AT TIME ZONE 'Europe/Oslo')", 0, NULL);
  f->now = f->monday_nine - 3 * 24 * 60 * MIN_US;
  f->store = kbt_store (f->db, 2);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  kbt_close (f->db, f->pg, f->store);
}

static gint64
wait_admin (Fixture *f, GAsyncResult **res, GError **error)
{
  gint64 id = kb_admin_finish (f->store, kbt_wait (res), error);

  g_clear_object (res);
  return id;
}

static gint64
set_hours (Fixture *f, gint64 actor, const KbInterval *hours, guint n, GError **error)
{
  GAsyncResult *res = NULL;

  kb_admin_set_hours_async (f->store, actor, f->office, hours, n, f->now, NULL, kbt_ready, &res);
  return wait_admin (f, &res, error);
}

static KbBookResult *
book (Fixture *f, gint64 cw, gint64 start, const gchar *contact, GError **error)
{
  KbBookRequest r = { f->service, f->office, cw, start, "Ola", contact, "nb", FALSE };

  return kbt_book_api (f->store, &r, f->now, error);
}

static void
test_admin (Fixture *f, gconstpointer data)
{
  static const KbInterval week[] = {
    { 1, "08:00", "11:30" }, { 1, "12:30", "16:00" }, { 2, "08:00", "16:00" },
    { 3, "08:00", "16:00" }, { 4, "08:00", "16:00" }, { 5, "08:00", "16:00" },
  };
  static const KbInterval no_monday[] = { { 2, "08:00", "16:00" } };
  const gchar *langs[] = { "nb", "en", NULL };
  /* 30 minutes and a 30-minute buffer: a slot every hour, 09:00 among them. */
  KbServiceEdit service = { 0, "Guidance", 30, 30, 60, 60, 10, 15, langs, TRUE };
  KbOfficeEdit bad = { 0, "Nowhere", "Europe/Olso", "", NULL };
  KbOfficeEdit good = { 0, "Bergen", "Europe/Oslo", "Strandkaien 1", langs };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) conflicts = NULL;
  g_autoptr (KbBookResult) b = NULL;
  GAsyncResult *res = NULL;
  gint64 id;

  /* Outsiders: a caseworker without the role.  (An administrator of
   * another office may act here: administrators set up every office,
   * sql/006_admins_everywhere.sql.) */
  kb_admin_save_office_async (f->store, f->worker, &good, f->now, NULL, kbt_ready, &res);
  g_assert_cmpint (wait_admin (f, &res, &error), ==, -1);
  g_assert_error (error, KB_ERROR, KB_ERROR_FORBIDDEN);
  g_clear_error (&error);
  set_hours (f, f->worker, week, G_N_ELEMENTS (week), &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_FORBIDDEN);
  g_clear_error (&error);
  kb_admin_save_service_async (f->store, f->worker, &service, f->now, NULL, kbt_ready, &res);
  wait_admin (f, &res, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* An unknown time zone is refused, nothing written. */
  kb_admin_save_office_async (f->store, f->admin, &bad, f->now, NULL, kbt_ready, &res);
  wait_admin (f, &res, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  {
    g_autofree gchar *reason = kb_error_reason (error);
    g_assert_cmpstr (reason, ==, "time_zone");
  }
  g_clear_error (&error);
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM offices WHERE name = 'Nowhere'", 0, NULL), ==, 0);
  kb_admin_save_office_async (f->store, f->admin, &good, f->now, NULL, kbt_ready, &res);
  g_assert_cmpint (wait_admin (f, &res, &error), >, 0);
  g_assert_no_error (error);

  g_assert_cmpint (set_hours (f, f->admin, week, G_N_ELEMENTS (week), &error), ==, 0);
  g_assert_no_error (error);
  kb_admin_save_service_async (f->store, f->admin, &service, f->now, NULL, kbt_ready, &res);
  f->service = wait_admin (f, &res, &error);
  g_assert_no_error (error);

  b = book (f, f->worker, f->monday_nine, "ola@example.org", &error);
  g_assert_no_error (error);

  /* New hours without Monday: the booking stays and is listed. */
  g_assert_cmpint (set_hours (f, f->admin, no_monday, 1, &error), ==, 1);
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM bookings WHERE status = 'booked'", 0, NULL), ==, 1);
  kb_conflicts_async (f->store, f->office, f->now, NULL, kbt_ready, &res);
  conflicts = kb_conflicts_finish (f->store, kbt_wait (&res), &error);
  g_clear_object (&res);
  g_assert_cmpuint (conflicts->len, ==, 1);
  g_assert_cmpstr (((KbBooking *) conflicts->pdata[0])->cancel_reason, ==, "outside_hours");
  g_assert_cmpint (set_hours (f, f->admin, week, G_N_ELEMENTS (week), &error), ==, 0);

  /* A closure on that Monday lists it again; removing the closure clears it. */
  kb_admin_add_special_day_async (f->store, f->admin, f->office, "2026-12-07", "2026-12-07",
                                  "staff day", NULL, 0, f->now, NULL, kbt_ready, &res);
  id = wait_admin (f, &res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM kb_office_conflicts(1, now())", 0, NULL), ==, 1);
  kb_admin_delete_special_day_async (f->store, f->admin, id, f->now, NULL, kbt_ready, &res);
  wait_admin (f, &res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM kb_office_conflicts(1, now())", 0, NULL), ==, 0);

  /* A new caseworker: short passwords refused; then can log in. */
  kb_admin_create_caseworker_async (f->store, f->admin, f->office, "Nils", "nils@example.org",
                                    "short", FALSE, NULL, f->now, NULL, kbt_ready, &res);
  wait_admin (f, &res, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  g_clear_error (&error);
  kb_admin_create_caseworker_async (f->store, f->admin, f->office, "Nils", "nils@example.org",
                                    "a long enough password", FALSE, NULL, f->now, NULL, kbt_ready,
                                    &res);
  id = wait_admin (f, &res, &error);
  g_assert_no_error (error);
  /* The same e-mail again, in another case: a duplicate. */
  kb_admin_create_caseworker_async (f->store, f->admin, f->office, "Nils 2", "NILS@example.org",
                                    "a long enough password", FALSE, NULL, f->now, NULL, kbt_ready,
                                    &res);
  wait_admin (f, &res, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
  {
    g_autofree gchar *reason = kb_error_reason (error);
    g_assert_cmpstr (reason, ==, "duplicate");
  }
  g_clear_error (&error);
  {
    g_autoptr (KbCaseworker) c = NULL;
    g_autofree gchar *token = NULL;

    kb_login_async (f->store, "nils@example.org", "a long enough password", f->now, NULL, kbt_ready,
                    &res);
    c = kb_login_finish (f->store, kbt_wait (&res), &token, &error);
    g_clear_object (&res);
    g_assert_no_error (error);
    g_assert_cmpint (c->id, ==, id);
  }

  /* Kari is away that morning: her booking is listed; the administrator
   * reassigns it to whoever is free (Nils, the only other non-busy one). */
  kb_admin_add_absence_async (f->store, f->admin, f->worker, f->monday_nine - 60 * MIN_US,
                              f->monday_nine + 180 * MIN_US, "course", f->now, NULL, kbt_ready,
                              &res);
  wait_admin (f, &res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM kb_office_conflicts(1, now())", 0, NULL), ==, 1);
  {
    g_autoptr (KbBooking) moved = NULL;

    kb_reassign_async (f->store, b->booking->id, 0, f->worker, f->now, NULL, kbt_ready, &res);
    moved = kb_reassign_finish (f->store, kbt_wait (&res), &error);
    g_clear_object (&res);
    g_assert_error (error, KB_ERROR, KB_ERROR_FORBIDDEN);
    g_clear_error (&error);

    /* Ada is an administrator of the office, and free: least loaded ties
     * go to the lower id, so Ada. */
    kb_reassign_async (f->store, b->booking->id, 0, f->admin, f->now, NULL, kbt_ready, &res);
    moved = kb_reassign_finish (f->store, kbt_wait (&res), &error);
    g_clear_object (&res);
    g_assert_no_error (error);
    g_assert_cmpint (moved->caseworker_id, ==, f->admin);
    g_assert_cmpint (moved->sequence, ==, 1);
    g_assert_cmpint (moved->starts_at, ==, f->monday_nine);
  }
  g_assert_cmpint (
      kbt_exec_id (f->pg, "SELECT count(*) FROM kb_office_conflicts(1, now())", 0, NULL), ==, 0);

  /* Deactivating Nils ends his sessions. */
  kb_admin_set_active_async (f->store, f->admin, id, FALSE, f->now, NULL, kbt_ready, &res);
  wait_admin (f, &res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kbt_exec_id (f->pg, "SELECT count(*) FROM sessions", 0, NULL), ==, 0);

  /* Everything above is in the audit log. */
  g_assert_cmpint (
      kbt_exec_id (f->pg,
                   "SELECT count(DISTINCT action) FROM audit_log WHERE action IN "
                   "('save_office', 'set_hours', 'save_service', 'add_special_day', "
                   "'delete_special_day', 'create_caseworker', 'add_absence', 'reassign', "
                   "'deactivate')",
                   0, NULL),
      ==, 9);
}

static void
test_kiosk (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBookResult) b = NULL;
  GAsyncResult *res = NULL;
  KbJoinVerdict verdict;
  KbBooking *k;
  g_autofree gchar *lower = NULL;
  gchar wrong[7];

  kbt_exec_id (f->pg,
               "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
               "SELECT 1, d, '08:00', '16:00' FROM generate_series(1, 7) d",
               0, NULL);
  f->service =
      kbt_exec_id (f->pg, "INSERT INTO services (name) VALUES ('S') RETURNING id", 0, NULL);
  b = book (f, f->worker, f->monday_nine, "ola@example.org", &error);
  g_assert_no_error (error);

  g_strlcpy (wrong, b->kiosk_code, sizeof wrong);
  wrong[0] = wrong[0] == '9' ? '0' : wrong[0] + 1;
  kb_kiosk_join_async (f->store, b->booking->reference, wrong, f->monday_nine, NULL, kbt_ready,
                       &res);
  k = kb_kiosk_join_finish (f->store, kbt_wait (&res), &verdict, NULL, &error);
  g_clear_object (&res);
  g_assert_no_error (error);
  g_assert_null (k);
  g_assert_cmpint (verdict, ==, KB_JOIN_NO_BOOKING);

  kb_kiosk_join_async (f->store, "AAA-AAA", b->kiosk_code, f->monday_nine, NULL, kbt_ready, &res);
  k = kb_kiosk_join_finish (f->store, kbt_wait (&res), &verdict, NULL, &error);
  g_clear_object (&res);
  g_assert_cmpint (verdict, ==, KB_JOIN_NO_BOOKING);

  /* The reference in any case, the right code, inside the window. */
  lower = g_ascii_strdown (b->booking->reference, -1);
  kb_kiosk_join_async (f->store, lower, b->kiosk_code, f->monday_nine - 5 * MIN_US, NULL, kbt_ready,
                       &res);
  k = kb_kiosk_join_finish (f->store, kbt_wait (&res), &verdict, NULL, &error);
  g_clear_object (&res);
  g_assert_no_error (error);
  g_assert_cmpint (verdict, ==, KB_JOIN_OK);
  g_assert_cmpint (k->status, ==, KB_STATUS_WAITING);
  kb_booking_free (k);
}

static GPtrArray *
list (GAsyncResult **res, Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *out = kb_list_finish (f->store, kbt_wait (res), &error);

  g_clear_object (res);
  g_assert_no_error (error);
  return out;
}

static void
test_lists (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) offices = NULL, services = NULL, workers = NULL, day = NULL, other = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *res = NULL;

  kbt_exec_id (f->pg,
               "INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
               "SELECT 1, d, '08:00', '16:00' FROM generate_series(1, 7) d",
               0, NULL);
  f->service = kbt_exec_id (
      f->pg, "INSERT INTO services (name, languages) VALUES ('S', '{nb,en}') RETURNING id", 0,
      NULL);
  kbt_exec_id (f->pg, "UPDATE caseworkers SET languages = '{nb,en}', active = false WHERE id = 2",
               0, NULL);
  kbt_exec_id (f->pg, "UPDATE caseworkers SET active = true WHERE id = 2", 0, NULL);
  {
    g_autoptr (KbBookResult) b = NULL;
    KbBookRequest r = { f->service, f->office, f->worker, f->monday_nine, "Ola", "", "nb", FALSE };

    kb_book_async (f->store, &r, f->now, NULL, kbt_ready, &res);
    b = kb_book_finish (f->store, kbt_wait (&res), &error);
    g_clear_object (&res);
    g_assert_no_error (error);
  }

  kb_offices_async (f->store, NULL, kbt_ready, &res);
  offices = list (&res, f);
  g_assert_cmpuint (offices->len, ==, 2);
  g_assert_cmpstr (((KbOffice *) offices->pdata[1])->name, ==, "Oslo");
  g_assert_cmpstr (((KbOffice *) offices->pdata[1])->time_zone, ==, "Europe/Oslo");
  g_assert_cmpstr (((KbOffice *) offices->pdata[1])->languages[0], ==, "nb");

  kb_services_async (f->store, NULL, kbt_ready, &res);
  services = list (&res, f);
  g_assert_cmpuint (services->len, ==, 1);
  g_assert_cmpint (((KbService *) services->pdata[0])->duration_min, ==, 30);
  g_assert_cmpint (((KbService *) services->pdata[0])->join_after_min, ==, 15);
  g_assert_cmpuint (g_strv_length (((KbService *) services->pdata[0])->languages), ==, 2);

  kb_caseworkers_async (f->store, f->office, NULL, kbt_ready, &res);
  workers = list (&res, f);
  g_assert_cmpuint (workers->len, ==, 2);
  g_assert_cmpstr (((KbCaseworker *) workers->pdata[1])->name, ==, "Kari");
  g_assert_true (((KbCaseworker *) workers->pdata[1])->active);
  g_assert_cmpstr (((KbCaseworker *) workers->pdata[1])->languages[1], ==, "en");

  kb_queue_date_async (f->store, f->worker, "2026-12-07", NULL, kbt_ready, &res);
  day = list (&res, f);
  g_assert_cmpuint (day->len, ==, 1);
  kb_queue_date_async (f->store, f->worker, "2026-12-08", NULL, kbt_ready, &res);
  other = list (&res, f);
  g_assert_cmpuint (other->len, ==, 0);
  kb_queue_date_async (f->store, f->worker, "2026-13-01", NULL, kbt_ready, &res);
  g_assert_null (kb_list_finish (f->store, kbt_wait (&res), &error));
  g_clear_object (&res);
  g_assert_error (error, KB_ERROR, KB_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add ("/db/admin/crud-conflicts-reassign", Fixture, NULL, setup, test_admin, teardown);
  g_test_add ("/db/admin/kiosk", Fixture, NULL, setup, test_kiosk, teardown);
  g_test_add ("/db/admin/lists", Fixture, NULL, setup, test_lists, teardown);
  return g_test_run ();
}
