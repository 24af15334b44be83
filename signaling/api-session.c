/* api-session.c — caseworker sessions: login, logout, who am I, and the
 * day's queue over plain HTTP (docs/api.md "Caseworker session"). */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"
#include "signaling/ks-room.h"
#include "signaling/ks-staff.h"

#include <stdio.h>
#include <string.h>

/* ---- POST /api/v1/login, /logout ------------------------------------ */

/* A password check costs 64 MiB and most of a core for a while (argon2id),
 * so at most [limits] login_concurrency run at once; sixteen times as many
 * wait their turn in order, and past that a log-in is answered 503 busy at
 * once rather than queued without end. */
typedef struct {
  KsRequest *request;
  gchar *email;
  gchar *password;
} Login;

static GQueue waiting_logins = G_QUEUE_INIT;
static guint running_logins;

static void
login_free (Login *l)
{
  ks_request_unref (l->request);
  g_free (l->email);
  if (l->password) {
    memset (l->password, 0, strlen (l->password));
    g_free (l->password);
  }
  g_free (l);
}

static void start_login (Login *l);

static void
next_login (void)
{
  Login *l;
  while ((l = g_queue_pop_head (&waiting_logins))) {
    if (l->request->wsi) { /* still someone to answer */
      start_login (l);
      return;
    }
    login_free (l);
  }
}

static void
login_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Login *l = user_data;
  KsRequest *r = l->request;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = NULL;
  g_autoptr (KbCaseworker) cw = kb_login_finish (r->server->store, result, &token, &error);

  running_logins--;
  if (!error || g_error_matches (error, KB_ERROR, KB_ERROR_BAD_LOGIN))
    ks_login_result (l->email, error == NULL);
  if (ks_answer_dropped (r, error)) {
    /* nothing to answer */
  } else if (g_error_matches (error, KB_ERROR, KB_ERROR_BAD_LOGIN)) {
    ks_respond_error (r, 401, "bad_login", "Wrong e-mail or password.");
  } else if (error) {
    ks_respond_booking_error (r, error);
  } else {
    r->set_cookie =
        g_strdup_printf ("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200%s",
                         r->server->session_cookie, token, r->server->secure ? "; Secure" : "");
    ks_respond (r, 200, json_pack ("{s:o}", "caseworker", ks_json_caseworker (cw)));
  }
  login_free (l);
  next_login ();
}

static void
start_login (Login *l)
{
  KsRequest *r = l->request;
  running_logins++;
  kb_login_async (r->server->store, l->email, l->password, kb_clock_now (), r->cancellable,
                  login_done, l);
}

void
ks_api_login (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  const gchar *email = NULL, *password = NULL;
  json_error_t err;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s:s, s:s}", "email", &email, "password", &password)
      != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  if (strlen (email) == 0 || strlen (email) > 254 || strlen (password) == 0
      || strlen (password) > 1024) {
    ks_respond_error (r, 400, "bad_request",
                      "E-mail and password must be 1-254 and 1-1024 characters.");
    return;
  }
  if (!ks_rate_allow (r->server, KS_RATE_LOGIN, r->peer)) {
    ks_respond_error (r, 429, "rate_limited", "Too many login attempts. Please wait a minute.");
    return;
  }
  /* Counted per e-mail whether or not such an account exists, so the
   * answer tells nothing about which accounts do. */
  guint wait = ks_login_wait (email);
  if (wait > 0) {
    g_autofree gchar *msg = g_strdup_printf ("Too many failed log-ins for this account. "
                                             "Please wait %u seconds.",
                                             wait);
    ks_respond_error (r, 429, "rate_limited", msg);
    return;
  }
  guint concurrency = r->server->config->login_concurrency;
  if (running_logins >= concurrency && waiting_logins.length >= 16 * concurrency) {
    ks_respond_error (r, 503, "busy",
                      "Many people are logging in right now. Please try again in a moment.");
    return;
  }
  Login *l = g_new0 (Login, 1);
  l->request = ks_request_ref (r);
  l->email = g_strdup (email);
  l->password = g_strdup (password);
  if (running_logins < concurrency)
    start_login (l);
  else
    g_queue_push_tail (&waiting_logins, l);
}

static void
logout_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  kb_logout_finish (r->server->store, result, &error);
  /* The session is gone from the database: its open sockets go too, even
   * when nobody waits for this answer any more. */
  if (!error)
    ks_staff_log_out (r->server, r->step, 0);
  if (ks_answer_dropped (r, error))
    return;
  if (error && !g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND)) {
    ks_respond_booking_error (r, error);
    return;
  }
  r->set_cookie = g_strdup_printf ("%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
                                   r->server->session_cookie, r->server->secure ? "; Secure" : "");
  ks_respond (r, 200, json_object ());
}

void
ks_api_logout (KsRequest *r)
{
  g_autofree gchar *token = ks_peer_session_cookie (r->wsi);
  if (!token) {
    ks_respond (r, 200, json_object ());
    return;
  }
  ks_request_set_step (r, g_strdup (token), g_free);
  kb_logout_async (r->server->store, token, kb_clock_now (), r->cancellable, logout_done,
                   ks_request_ref (r));
}

static void
me_next (KsRequest *r, KbCaseworker *cw)
{
  ks_respond (r, 200, json_pack ("{s:o}", "caseworker", ks_json_caseworker (cw)));
}

void
ks_api_me (KsRequest *r)
{
  ks_with_session (r, me_next);
}
