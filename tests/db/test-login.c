/* test-login.c — caseworker login (good and bad), sessions, logout. */
#include "kbt.h"

#define HOUR_US ((gint64) 3600 * G_USEC_PER_SEC)

static KbCaseworker *
login (KbStore *store, const gchar *email, const gchar *password, gint64 now, gchar **token,
       GError **error)
{
  GAsyncResult *res = NULL;
  KbCaseworker *c;

  kb_login_async (store, email, password, now, NULL, kbt_ready, &res);
  c = kb_login_finish (store, kbt_wait (&res), token, error);
  g_object_unref (res);
  return c;
}

static KbCaseworker *
session (KbStore *store, const gchar *token, gint64 now, GError **error)
{
  GAsyncResult *res = NULL;
  KbCaseworker *c;

  kb_session_async (store, token, now, NULL, kbt_ready, &res);
  c = kb_session_finish (store, kbt_wait (&res), error);
  g_object_unref (res);
  return c;
}

static void
test_login (void)
{
  gchar *db;
  PGconn *pg;
  KbStore *store;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = NULL;
  gint64 office, service, cw, now = g_get_real_time ();
  KbCaseworker *c;

  kbt_open (&db, &pg);
  kbt_seed (pg, "Europe/Oslo", 30, 0, "Kari@Example.org", "correct horse", &office, &service, &cw);
  store = kbt_store (db, 2);

  /* Wrong password and unknown e-mail fail alike. */
  c = login (store, "kari@example.org", "wrong", now, &token, &error);
  g_assert_null (c);
  g_assert_null (token);
  g_assert_error (error, KB_ERROR, KB_ERROR_BAD_LOGIN);
  g_clear_error (&error);
  c = login (store, "nobody@example.org", "correct horse", now, &token, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_BAD_LOGIN);
  g_clear_error (&error);

  /* E-mail case does not matter. */
  c = login (store, "kari@example.ORG", "correct horse", now, &token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->id, ==, cw);
  g_assert_cmpstr (c->office_tz, ==, "Europe/Oslo");
  g_assert_false (c->is_admin);
  g_assert_cmpuint (strlen (token), ==, 43);
  kb_caseworker_free (c);

  /* Only the hash is stored. */
  {
    const gchar *p[] = { token };
    g_assert_cmpint (
        kbt_exec_id (pg, "SELECT count(*) FROM sessions WHERE token_hash = convert_to($1, 'UTF8')",
                     1, p),
        ==, 0);
    g_assert_cmpint (
        kbt_exec_id (
            pg, "SELECT count(*) FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
            1, p),
        ==, 1);
  }

  c = session (store, token, now + HOUR_US, &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->id, ==, cw);
  kb_caseworker_free (c);

  /* Expired after 12 hours. */
  c = session (store, token, now + 12 * HOUR_US, &error);
  g_assert_null (c);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* The sweep forgets expired sessions only. */
  {
    GAsyncResult *res = NULL;

    kb_sweep_async (store, now + 11 * HOUR_US, NULL, kbt_ready, &res);
    g_assert_cmpint (kb_sweep_finish (store, kbt_wait (&res), &error), ==, 0);
    g_object_unref (res);
    g_assert_cmpint (kbt_exec_id (pg, "SELECT count(*) FROM sessions", 0, NULL), ==, 1);
  }

  /* A deactivated caseworker loses the session and cannot log in. */
  kbt_exec_id (pg, "UPDATE caseworkers SET active = false", 0, NULL);
  c = session (store, token, now, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  c = login (store, "kari@example.org", "correct horse", now, NULL, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_BAD_LOGIN);
  g_clear_error (&error);
  kbt_exec_id (pg, "UPDATE caseworkers SET active = true", 0, NULL);

  /* Logout ends it (and a sweep after expiry would have). */
  {
    GAsyncResult *res = NULL;

    kb_logout_async (store, token, now, NULL, kbt_ready, &res);
    g_assert_true (kb_logout_finish (store, kbt_wait (&res), &error));
    g_assert_no_error (error);
    g_object_unref (res);
  }
  c = session (store, token, now, &error);
  g_assert_error (error, KB_ERROR, KB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Every log-in, failed log-in and logout is in the audit log, without
   * what was typed; a failure for an unknown e-mail names nobody. */
  g_assert_cmpint (
      kbt_exec_id (pg, "SELECT count(*) FROM audit_log WHERE action = 'login'", 0, NULL), >=, 1);
  g_assert_cmpint (
      kbt_exec_id (pg, "SELECT count(*) FROM audit_log WHERE action = 'logout'", 0, NULL), ==, 1);
  g_assert_cmpint (kbt_exec_id (pg,
                                "SELECT count(*) FROM audit_log WHERE action = 'login_failed' "
                                "AND caseworker_id IS NOT NULL",
                                0, NULL),
                   >=, 1);
  g_assert_cmpint (kbt_exec_id (pg,
                                "SELECT count(*) FROM audit_log WHERE action = 'login_failed' "
                                "AND details <> '{}'",
                                0, NULL),
                   ==, 0);

  kbt_close (db, pg, store);
}

int
main (int argc, char **argv)
{
  if (!kbt_init (&argc, &argv))
    return KBT_SKIP;
  g_test_add_func ("/db/login/good-and-bad", test_login);
  return g_test_run ();
}
