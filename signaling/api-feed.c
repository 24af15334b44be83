/* api-feed.c — a caseworker's calendar feed (docs/api.md "Calendar
 * feed"): the logged-in caseworker gets a new secret feed URL, which
 * revokes the one before (POST /api/v1/calendar-feed), and their calendar
 * program reads it without a session (GET /api/v1/feed/TOKEN.ics): their
 * meetings with time, service and reference, nothing about the job seeker.
 *
 * The secret is in the URL, because a calendar subscription can carry
 * nothing else; only its hash is stored, and once read the path is
 * replaced by the route's template so no log line of ours carries it. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"

#include <string.h>

#define FEED_PREFIX "/api/v1/feed/"
#define FEED_SUFFIX ".ics"
#define FEED_DAYS_BACK 7

/* ---- POST /api/v1/calendar-feed { revoke? } ---------------------------- */

static void
renewed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = kb_calendar_feed_renew_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error))
    return;
  if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND)) {
    ks_respond_error (r, 401, "not_logged_in", "Please log in.");
    return;
  }
  if (ks_respond_booking_error (r, error))
    return;
  if (!token) {
    ks_respond (r, 200, json_pack ("{s:n, s:n}", "url", "webcal_url"));
    return;
  }
  const gchar *base = r->server->config->public_url;
  g_autofree gchar *url = g_strdup_printf ("%s" FEED_PREFIX "%s" FEED_SUFFIX, base, token);
  const gchar *rest = strstr (base, "://");
  g_autofree gchar *webcal =
      g_strdup_printf ("webcal://%s" FEED_PREFIX "%s" FEED_SUFFIX, rest ? rest + 3 : base, token);
  ks_respond (r, 200, json_pack ("{s:s, s:s}", "url", url, "webcal_url", webcal));
}

static void
renew_next (KsRequest *r, KbCaseworker *cw)
{
  gboolean *revoke = r->step;
  kb_calendar_feed_renew_async (r->server->store, cw->id, *revoke, kb_clock_now (), r->cancellable,
                                renewed, ks_request_ref (r));
}

void
ks_api_calendar_feed (KsRequest *r)
{
  g_autoptr (json_t) root = ks_body_json_or_reply (r);
  int revoke = 0;
  json_error_t err;
  if (!root)
    return;
  if (json_unpack_ex (root, &err, JSON_STRICT, "{s?b}", "revoke", &revoke) != 0) {
    ks_respond_unpack_error (r, &err);
    return;
  }
  gboolean flag = revoke != 0;
  ks_request_set_step (r, g_memdup2 (&flag, sizeof flag), g_free);
  ks_with_session (r, renew_next);
}

/* ---- GET /api/v1/feed/TOKEN.ics ------------------------------------------- */

static void
feed_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsRequest) r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) meetings = kb_calendar_feed_finish (r->server->store, result, &error);
  if (ks_answer_dropped (r, error))
    return;
  if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND)) {
    ks_respond_error (r, 404, "no_feed", "There is no calendar feed at this address.");
    return;
  }
  if (ks_respond_booking_error (r, error))
    return;
  g_autofree gchar *domain = kb_ics_uid_domain (r->server->config->public_url);
  ks_respond_text (r, 200, "text/calendar; charset=utf-8",
                   kb_ics_build_feed (meetings, "kontor", domain, kb_clock_now ()));
}

void
ks_api_feed (KsRequest *r)
{
  /* The route matched: the path is the prefix, base64url, the suffix. */
  gsize n = strlen (r->path) - strlen (FEED_PREFIX) - strlen (FEED_SUFFIX);
  g_autofree gchar *token = g_strndup (r->path + strlen (FEED_PREFIX), n);
  g_strlcpy (r->path, FEED_PREFIX "{token}" FEED_SUFFIX, sizeof r->path);
  if (!ks_rate_allow (r->server, KS_RATE_LINK, r->peer)) {
    ks_respond_error (r, 429, "rate_limited", "Too many attempts. Please wait a minute.");
    return;
  }
  if (strlen (token) != 43) {
    ks_respond_error (r, 404, "no_feed", "There is no calendar feed at this address.");
    return;
  }
  kb_calendar_feed_async (r->server->store, token, kb_clock_now (), FEED_DAYS_BACK, r->cancellable,
                          feed_done, ks_request_ref (r));
}
