/* handlers.c — what each WebSocket message does (docs/protocol.md): join
 * by link, kiosk code or invitation, hello, admit, end, no_show, offer,
 * ice, leave, invite, chat.
 *
 * A message is validated completely (strict JSON shape, sizes) before its
 * handler sees it; a malformed one closes the socket with bad_message.
 * Replies that wait for the database hold a reference on the client and
 * check that its socket is still open (ks_client_still_open). */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"
#include "signaling/ks-room.h"

#include <string.h>

static void
send_internal (KsClient *client, const GError *error)
{
  const gchar *message;
  const gchar *code = ks_db_trouble (error, &message);
  if (code) {
    ks_client_send_error (client, code, message, FALSE);
    return;
  }
  if (client->booking_id)
    ks_log_meeting (G_LOG_LEVEL_WARNING, client->booking_id, "request failed: %s", error->message);
  else
    g_warning ("request failed: %s", error->message);
  ks_client_send_error (client, "internal",
                        "The service is not available right now. Please try again in a minute.",
                        FALSE);
}

/* ---- which node hosts the meeting (hosts.c, migration 015) ---------- */

typedef void (*HostedFunc) (KsClient *client, const KbBooking *booking, gboolean flag);

typedef struct {
  KsClient *client;
  KbBooking *booking;
  HostedFunc then;
  gboolean flag;
  guint leaves;
} Hosting;

static void
hosting_free (Hosting *h)
{
  ks_client_unref (h->client);
  kb_booking_free (h->booking);
  g_free (h);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Hosting, hosting_free)

/* The page asked the balancer for the meeting's node and came here: that
 * node is out of reach, and its lease will run out unless it renews it.
 * The page asks again shortly; whoever asks after the lease ran out
 * takes the meeting over. */
static void
send_moving (KsClient *client, gint64 remaining_ms)
{
  json_t *msg = ks_json_error ("moving", "The meeting's server is not answering. Trying again.");
  json_object_set_new (msg, "retry_ms", json_integer (CLAMP (remaining_ms + 100, 250, 2000)));
  ks_client_send (client, msg);
}

static void
claimed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Hosting) h = user_data;
  KsClient *client = h->client;
  g_autoptr (GError) error = NULL;
  gint64 remaining_ms = 0;
  g_autofree gchar *holder =
      kb_host_claim_finish (client->server->store, result, &remaining_ms, &error);

  client->busy = FALSE;
  if (!ks_client_still_open (client, error) || client->leaves != h->leaves)
    return;
  if (error) {
    send_internal (client, error);
    return;
  }
  const gchar *me = client->server->config->node_name;
  if (holder && g_str_equal (holder, me)) {
    h->then (client, h->booking, h->flag);
    return;
  }
  if (!holder || (client->node_hint && g_str_equal (client->node_hint, holder))) {
    send_moving (client, holder ? remaining_ms : 0);
    return;
  }
  /* Running on another node: the page goes there (the balancer routes
   * /ws?node=NAME to it). */
  ks_client_send (client, json_pack ("{s:s, s:s, s:I}", "type", "moved", "node", holder,
                                     "booking_id", (json_int_t) h->booking->id));
  client->closing = TRUE; /* once that is written */
}

/* Goes on with then (client, booking, flag) once this node hosts booking's
 * meeting: at once when its room is open here; otherwise after taking the
 * lease, unless another node holds it, in which case the page is sent
 * there.  booking: transfer full. */
static void
with_host (KsClient *client, KbBooking *booking, HostedFunc then, gboolean flag)
{
  KsServer *server = client->server;
  if (!server->store || g_hash_table_contains (server->rooms, &booking->id)) {
    client->busy = FALSE;
    then (client, booking, flag);
    kb_booking_free (booking);
    return;
  }
  Hosting *h = g_new0 (Hosting, 1);
  h->client = ks_client_ref (client);
  h->booking = booking;
  h->then = then;
  h->flag = flag;
  h->leaves = client->leaves;
  kb_host_claim_async (server->store, booking->id, server->config->node_name,
                       server->config->lease_s, client->cancellable, claimed, h);
}

/* ---- join: a job seeker with a link token --------------------------- */

static const gchar *
refusal_message (KbJoinVerdict verdict)
{
  switch (verdict) {
  case KB_JOIN_NO_BOOKING:
    return "There is no booking for this link. Check that you opened the whole link from your confirmation.";
  case KB_JOIN_CANCELLED:
    return "This booking has been cancelled.";
  case KB_JOIN_TOO_EARLY:
    return "The meeting room is not open yet.";
  case KB_JOIN_TOO_LATE:
    return "The time to enter this meeting has passed. Please book a new time.";
  case KB_JOIN_COMPLETED:
    return "This meeting has ended.";
  default:
    return "";
  }
}

static gboolean
token_well_formed (const gchar *token)
{
  if (strlen (token) != 43)
    return FALSE;
  for (const gchar *p = token; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
send_refusal (KsClient *client, KbJoinVerdict verdict, gint64 opens_at)
{
  ks_stats_join_refused (client->server, kb_join_verdict_code (verdict));
  json_t *msg = ks_json_error (kb_join_verdict_code (verdict), refusal_message (verdict));
  if (verdict == KB_JOIN_TOO_EARLY)
    json_object_set_new (msg, "opens_at", ks_json_time_or_null (opens_at));
  ks_client_send (client, msg);
}

static void
send_draining (KsClient *client)
{
  ks_stats_join_refused (client->server, "draining");
  ks_client_send_error (client, "draining",
                        "This server is about to restart and starts no new meetings. "
                        "The page tries again by itself.",
                        FALSE);
}

static void
seeker_in (KsClient *client, const KbBooking *booking, gboolean admitted)
{
  /* The meeting may have ended while this node took its lease (a round
   * trip after the join was read): an ended meeting must not open again. */
  if (ks_room_ended (client->server, booking->id)) {
    send_refusal (client, KB_JOIN_COMPLETED, 0);
    return;
  }
  client->role = KS_ROLE_SEEKER;
  client->booking_id = booking->id;
  ks_room_seeker_enter (client->server, client, booking, admitted);
}

/* The common end of both ways in.  booking: transfer full. */
static void
joined (KsClient *client, KbBooking *owned, KbJoinVerdict verdict, gint64 opens_at,
        const GError *error)
{
  g_autoptr (KbBooking) booking = owned;

  client->busy = FALSE;
  if (!ks_client_still_open (client, error))
    return;
  /* A leave sent after the join, before its answer (pipelined, or a page
   * closing the waiting room at once): the leave is the last word. */
  if (client->leaves != client->leaves_at_join)
    return;
  if (error) {
    const gchar *message;
    const gchar *code = ks_db_trouble (error, &message);
    ks_stats_join_refused (client->server, code ? code : "internal");
    send_internal (client, error);
    return;
  }
  /* Read before the meeting ended here: it is over now (that is final). */
  if ((verdict == KB_JOIN_OK || verdict == KB_JOIN_REJOIN)
      && ks_room_ended (client->server, booking->id))
    verdict = KB_JOIN_COMPLETED;
  if (verdict != KB_JOIN_OK && verdict != KB_JOIN_REJOIN) {
    send_refusal (client, verdict, opens_at);
    return;
  }
  /* A server that drains takes no new meetings: the page tries again
   * (another node, or this one's successor); a meeting running here goes
   * on and its job seeker may come back in. */
  if (client->server->draining && !ks_room_in_progress (client->server, booking->id)) {
    send_draining (client);
    return;
  }
  /* The socket is spoken for while its meeting's host is found. */
  client->busy = TRUE;
  with_host (client, g_steal_pointer (&booking), seeker_in, verdict == KB_JOIN_REJOIN);
}

static void
join_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsClient) client = user_data;
  g_autoptr (GError) error = NULL;
  KbJoinVerdict verdict = KB_JOIN_NO_BOOKING;
  gint64 opens_at = 0;
  KbBooking *booking = kb_join_finish (client->server->store, result, &verdict, &opens_at, &error);
  joined (client, booking, verdict, opens_at, error);
}

static void
kiosk_join_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsClient) client = user_data;
  g_autoptr (GError) error = NULL;
  KbJoinVerdict verdict = KB_JOIN_NO_BOOKING;
  gint64 opens_at = 0;
  KbBooking *booking =
      kb_kiosk_join_finish (client->server->store, result, &verdict, &opens_at, &error);
  joined (client, booking, verdict, opens_at, error);
}

static void
join_as_interpreter (KsClient *client, const gchar *invite)
{
  gint64 booking_id = ks_invitation_lookup (client->server, invite, client);
  if (!booking_id) {
    ks_stats_join_refused (client->server, "no_booking");
    ks_client_send_error (
        client, "no_booking",
        "This invitation is not valid (any more). Ask the caseworker for a new link.", FALSE);
    return;
  }
  client->role = KS_ROLE_INTERPRETER;
  if (!ks_room_interpreter_enter (client->server, client, booking_id)) {
    client->role = KS_ROLE_NONE;
    ks_stats_join_refused (client->server, "not_started");
    ks_client_send_error (client, "not_started",
                          "The meeting is not in progress. Try again when the caseworker is there.",
                          FALSE);
    return;
  }
  /* In: the link is this socket's alone now, and revoked when it leaves. */
  ks_invitation_hold (client->server, invite, client);
}

/* join carries either the link token, or (at a service-office kiosk) the
 * booking reference and the kiosk code. */
static void
on_join (KsClient *client, json_t *msg)
{
  const gchar *token = NULL, *reference = NULL, *code = NULL, *invite = NULL;
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s, s?s, s?s, s?s, s?s}", "type",
                      &(const char *){ NULL }, "token", &token, "reference", &reference,
                      "kiosk_code", &code, "invite", &invite)
          != 0
      || (!!token + !!reference + !!invite) != 1 || (!reference != !code)) {
    ks_client_send_error (client, "bad_message",
                          "join needs one of: token; reference and kiosk_code; invite", TRUE);
    return;
  }
  if (client->role != KS_ROLE_NONE || client->busy) {
    ks_client_send_error (client, "bad_message", "This socket has already joined.", TRUE);
    return;
  }
  ks_limits_joining (client);
  /* A six-digit code is guessable without a limit per booking as well as
   * per address. */
  if (!ks_rate_allow (client->server, KS_RATE_LINK, client->peer)
      || (reference && !ks_rate_allow (client->server, KS_RATE_REFERENCE, reference))) {
    ks_stats_join_refused (client->server, "rate_limited");
    ks_client_send_error (client, "rate_limited", "Too many attempts. Please wait a minute.",
                          FALSE);
    return;
  }
  if ((token && !token_well_formed (token)) || (invite && !token_well_formed (invite))) {
    send_refusal (client, KB_JOIN_NO_BOOKING, 0);
    return;
  }
  if (invite) {
    join_as_interpreter (client, invite);
    return;
  }
  if (reference && (strlen (reference) > 16 || strlen (code) > 16)) {
    send_refusal (client, KB_JOIN_NO_BOOKING, 0);
    return;
  }
  client->busy = TRUE;
  client->leaves_at_join = client->leaves;
  if (token)
    kb_join_async (client->server->store, token, kb_clock_now (), client->cancellable, join_done,
                   ks_client_ref (client));
  else
    kb_kiosk_join_async (client->server->store, reference, code, kb_clock_now (),
                         client->cancellable, kiosk_join_done, ks_client_ref (client));
}

/* ---- hello: a caseworker with a session cookie ---------------------- */

static void
hello_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsClient) client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbCaseworker) cw = kb_session_finish (client->server->store, result, &error);

  client->busy = FALSE;
  if (!ks_client_still_open (client, error))
    return;
  if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND)) {
    ks_client_send_error (client, "not_logged_in", "Please log in again.", TRUE);
    return;
  }
  if (error) {
    send_internal (client, error);
    return;
  }
  client->role = KS_ROLE_CASEWORKER;
  client->caseworker = g_steal_pointer (&cw);
  ks_queue_send (client->server, client);
}

static void
on_hello (KsClient *client, json_t *msg)
{
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s}", "type", &(const char *){ NULL }) != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return;
  }
  if (client->role != KS_ROLE_NONE || client->busy) {
    ks_client_send_error (client, "bad_message", "This socket has already joined.", TRUE);
    return;
  }
  if (!client->session_token) {
    ks_client_send_error (client, "not_logged_in", "Please log in first.", TRUE);
    return;
  }
  ks_limits_joining (client);
  client->busy = TRUE;
  kb_session_async (client->server->store, client->session_token, kb_clock_now (),
                    client->cancellable, hello_done, ks_client_ref (client));
}

/* ---- admit and end: the caseworker acts on a booking ---------------- */

static gboolean
caseworker_or_reply (KsClient *client)
{
  if (client->role == KS_ROLE_CASEWORKER)
    return TRUE;
  if (client->role == KS_ROLE_NONE)
    ks_client_send_error (client, "not_logged_in", "Please log in first.", TRUE);
  else
    ks_client_send_error (client, "forbidden", "Only caseworkers can do this.", FALSE);
  return FALSE;
}

/* not_waiting carries the booking's status (docs/protocol.md), which
 * ops-meeting.c puts in its state error as "the booking is STATUS". */
static void
send_not_waiting (KsClient *client, const GError *error)
{
  static const gchar prefix[] = "the booking is ";
  g_autofree gchar *text =
      g_strdup_printf ("This booking cannot be admitted now: %s", error->message);
  json_t *msg = ks_json_error ("not_waiting", text);
  if (g_str_has_prefix (error->message, prefix))
    json_object_set_new (msg, "status", json_string (error->message + strlen (prefix)));
  ks_client_send (client, msg);
}

static gboolean
booking_action_error_or_reply (KsClient *client, const GError *error, const gchar *verb)
{
  if (!error)
    return FALSE;
  if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_LOGGED_IN))
    ks_client_send_error (client, "not_logged_in", "Please log in again.", TRUE);
  else if (g_error_matches (error, KB_ERROR, KB_ERROR_NOT_FOUND))
    ks_client_send_error (client, "no_booking", "You have no such booking.", FALSE);
  else if (g_error_matches (error, KB_ERROR, KB_ERROR_STATE) && g_str_equal (verb, "admitted"))
    send_not_waiting (client, error);
  else if (g_error_matches (error, KB_ERROR, KB_ERROR_STATE)) {
    g_autofree gchar *text =
        g_strdup_printf ("This booking cannot be %s now: %s", verb, error->message);
    ks_client_send_error (client, "not_in_meeting", text, FALSE);
  } else
    send_internal (client, error);
  return TRUE;
}

/* admit, end and no_show change the stored booking whether or not the
 * socket that asked is still there when the answer comes (they run under
 * the server's cancellable, not the socket's): what follows from the change
 * (the room ends, queues are pushed) happens regardless; only the reply,
 * and taking a seat, need the socket.  Each returns on a stopping server. */
static gboolean
server_stopping (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* An admit in flight remembers how many times its socket had left: one
 * answered after a later leave must not put the caseworker back in. */
typedef struct {
  KsClient *client;
  guint leaves;
} AdmitCall;

static void
caseworker_in (KsClient *client, const KbBooking *booking, gboolean unused)
{
  /* As for the job seeker (seeker_in): ended while the lease was taken. */
  if (ks_room_ended (client->server, booking->id)) {
    g_autoptr (GError) ended = g_error_new (KB_ERROR, KB_ERROR_STATE, "the booking is completed");
    send_not_waiting (client, ended);
    return;
  }
  ks_room_caseworker_enter (client->server, client, booking);
}

static void
admit_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AdmitCall *call = user_data;
  g_autoptr (KsClient) client = call->client;
  gboolean left_since = client->leaves != call->leaves;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) booking = kb_admit_finish (client->server->store, result, &error);

  g_free (call);

  if (server_stopping (error) || (error && !ks_client_still_open (client, NULL)))
    return;
  /* A re-entry read before the meeting ended here: it is over now. */
  if (!error && ks_room_ended (client->server, booking->id))
    error = g_error_new (KB_ERROR, KB_ERROR_STATE, "the booking is completed");
  if (booking_action_error_or_reply (client, error, "admitted"))
    return;
  ks_queue_changed (client->server, booking->caseworker_id);
  if (ks_client_still_open (client, NULL) && !left_since)
    with_host (client, g_steal_pointer (&booking), caseworker_in, FALSE);
}

static void
complete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsClient) client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) booking = kb_complete_finish (client->server->store, result, &error);

  if (server_stopping (error) || (error && !ks_client_still_open (client, NULL)))
    return;
  if (booking_action_error_or_reply (client, error, "ended"))
    return;
  ks_room_end (client->server, booking);
  ks_queue_changed (client->server, booking->caseworker_id);
}

static void
no_show_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (KsClient) client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (KbBooking) booking = kb_no_show_finish (client->server->store, result, &error);

  if (server_stopping (error) || (error && !ks_client_still_open (client, NULL)))
    return;
  if (g_error_matches (error, KB_ERROR, KB_ERROR_STATE)) {
    ks_client_send_error (
        client, "too_soon",
        "A no-show can be recorded only when the time to enter has passed and the job seeker never came.",
        FALSE);
    return;
  }
  if (booking_action_error_or_reply (client, error, "marked"))
    return;
  ks_queue_changed (client->server, booking->caseworker_id);
}

static gboolean
unpack_booking_id_or_reply (KsClient *client, json_t *msg, gint64 *id)
{
  json_int_t value = 0;
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s, s:I}", "type", &(const char *){ NULL },
                      "booking_id", &value)
      != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return FALSE;
  }
  if (value <= 0) {
    ks_client_send_error (client, "bad_message", "booking_id must be positive", TRUE);
    return FALSE;
  }
  *id = value;
  return TRUE;
}

static void
on_admit (KsClient *client, json_t *msg)
{
  gint64 id;
  if (!unpack_booking_id_or_reply (client, msg, &id) || !caseworker_or_reply (client))
    return;
  if (client->server->draining && !ks_room_in_progress (client->server, id)) {
    send_draining (client);
    return;
  }
  AdmitCall *call = g_new (AdmitCall, 1);
  call->client = ks_client_ref (client);
  call->leaves = client->leaves;
  kb_admit_async (client->server->store, id, client->session_token, kb_clock_now (),
                  client->server->cancellable, admit_done, call);
}

static void
on_no_show (KsClient *client, json_t *msg)
{
  gint64 id;
  if (!unpack_booking_id_or_reply (client, msg, &id) || !caseworker_or_reply (client))
    return;
  kb_no_show_async (client->server->store, id, client->session_token, kb_clock_now (),
                    client->server->cancellable, no_show_done, ks_client_ref (client));
}

static void
on_end (KsClient *client, json_t *msg)
{
  gint64 id;
  if (!unpack_booking_id_or_reply (client, msg, &id) || !caseworker_or_reply (client))
    return;
  kb_complete_async (client->server->store, id, client->session_token, kb_clock_now (),
                     client->server->cancellable, complete_done, ks_client_ref (client));
}

/* ---- offer, ice, leave: inside a meeting ---------------------------- */

static gboolean
in_meeting_or_reply (KsClient *client)
{
  if (client->room && client->participant)
    return TRUE;
  ks_client_send_error (client, "not_in_meeting", "You are not in a meeting.", FALSE);
  return FALSE;
}

static void
on_offer (KsClient *client, json_t *msg)
{
  const gchar *sdp = NULL;
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s, s:s}", "type", &(const char *){ NULL }, "sdp",
                      &sdp)
      != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return;
  }
  if (strlen (sdp) > KS_MAX_SDP) {
    ks_client_send_error (client, "bad_message", "sdp is too large", TRUE);
    return;
  }
  if (!g_str_has_prefix (sdp, "v=0")) {
    ks_client_send_error (client, "bad_sdp", "sdp must be a session description (v=0 …)", FALSE);
    return;
  }
  if (in_meeting_or_reply (client) && ks_limits_offer_or_reply (client, sdp))
    ks_room_offer (client->server, client, sdp);
}

static void
on_ice (KsClient *client, json_t *msg)
{
  json_t *candidate = NULL;
  json_int_t mline = -1;
  const gchar *mid = NULL;
  json_t *ufrag = NULL;
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s, s:o, s?I, s?s, s?o}", "type",
                      &(const char *){ NULL }, "candidate", &candidate, "sdpMLineIndex", &mline,
                      "sdpMid", &mid, "usernameFragment", &ufrag)
      != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return;
  }
  if (!json_is_string (candidate) && !json_is_null (candidate)) {
    ks_client_send_error (client, "bad_message", "candidate must be a string or null", TRUE);
    return;
  }
  if (mline == -1 && json_is_null (candidate))
    mline = 0; /* end of candidates needs no index */
  if (mline < 0 || mline > 63) {
    ks_client_send_error (client, "bad_message", "sdpMLineIndex must be 0-63", TRUE);
    return;
  }
  const gchar *text = json_is_string (candidate) ? json_string_value (candidate) : NULL;
  if (text && strlen (text) > KS_MAX_CANDIDATE) {
    ks_client_send_error (client, "bad_message", "candidate is too large", TRUE);
    return;
  }
  if (in_meeting_or_reply (client) && ks_limits_candidate_or_reply (client))
    ks_room_candidate (client->server, client, (guint) mline, text);
}

static void
on_leave (KsClient *client, json_t *msg)
{
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s}", "type", &(const char *){ NULL }) != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return;
  }
  client->leaves++;
  ks_room_leave (client->server, client);
  /* A job seeker or interpreter who left may join again on this socket;
   * a caseworker stays on their queue. */
  if (client->role != KS_ROLE_CASEWORKER)
    client->role = KS_ROLE_NONE;
}

/* ---- invite, chat: inside a meeting ---------------------------------- */

/* One live link per meeting: asking again shows the same one; "new"
 * revokes it and makes another (invite.c). */
static void
on_invite (KsClient *client, json_t *msg)
{
  json_int_t value = 0;
  int renew = 0;
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s, s:I, s?b}", "type", &(const char *){ NULL },
                      "booking_id", &value, "new", &renew)
      != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return;
  }
  if (value <= 0) {
    ks_client_send_error (client, "bad_message", "booking_id must be positive", TRUE);
    return;
  }
  gint64 id = value;
  if (!caseworker_or_reply (client))
    return;
  if (!client->room || !client->participant || ks_room_booking_id (client->room) != id) {
    ks_client_send_error (client, "not_in_meeting", "Invite from inside the meeting.", FALSE);
    return;
  }
  g_autofree gchar *token = ks_invitation_for (client->server, id, renew);
  g_autofree gchar *url =
      /* The link works on this node only (invitations live in memory):
       * ?node= has the load balancer bring the interpreter here. */
      g_strdup_printf ("%s/join.html?node=%s#i=%s", client->server->config->public_url,
                       client->server->config->node_name, token);
  ks_client_send (client, json_pack ("{s:s, s:I, s:s}", "type", "invitation", "booking_id",
                                     (json_int_t) id, "url", url));
}

static void
on_chat (KsClient *client, json_t *msg)
{
  const gchar *text = NULL;
  json_error_t err;
  if (json_unpack_ex (msg, &err, JSON_STRICT, "{s:s, s:s}", "type", &(const char *){ NULL }, "text",
                      &text)
      != 0) {
    ks_client_send_error (client, "bad_message", err.text, TRUE);
    return;
  }
  glong n = g_utf8_strlen (text, -1);
  if (n < 1 || n > 2000) {
    ks_client_send_error (client, "bad_message", "chat text must be 1-2000 characters", TRUE);
    return;
  }
  if (in_meeting_or_reply (client))
    ks_room_chat (client->server, client, text);
}

/* ---- dispatch ------------------------------------------------------- */

typedef void (*Handler) (KsClient *client, json_t *msg);

static const struct {
  const gchar *type;
  Handler handler;
} handlers[] = {
  { "join", on_join },   { "hello", on_hello },     { "admit", on_admit }, { "end", on_end },
  { "offer", on_offer }, { "ice", on_ice },         { "leave", on_leave }, { "invite", on_invite },
  { "chat", on_chat },   { "no_show", on_no_show },
};

void
ks_ws_dispatch (KsClient *client, const gchar *text, gsize len)
{
  json_error_t err;
  g_autoptr (json_t) msg = json_loadb (text, len, JSON_REJECT_DUPLICATES, &err);
  if (!msg || !json_is_object (msg)) {
    ks_client_send_error (client, "bad_message", msg ? "expected a JSON object" : err.text, TRUE);
    return;
  }
  const gchar *type = json_string_value (json_object_get (msg, "type"));
  if (!type) {
    ks_client_send_error (client, "bad_message", "missing \"type\"", TRUE);
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (g_str_equal (type, handlers[i].type)) {
      gboolean opening = g_str_equal (type, "join") || g_str_equal (type, "hello");
      /* A leave may follow a join before its answer: it counts (joined). */
      gboolean leaving_a_join = client->busy && g_str_equal (type, "leave");
      if (!opening && !leaving_a_join && client->role == KS_ROLE_NONE) {
        ks_client_send_error (client, "not_joined", "Send join or hello first.", FALSE);
        return;
      }
      handlers[i].handler (client, msg);
      return;
    }
  /* Cut by characters: a cut inside one would leave no UTF-8. */
  g_autofree gchar *shown = g_utf8_substring (type, 0, MIN (g_utf8_strlen (type, -1), 40));
  g_autofree gchar *text_err = g_strdup_printf ("unknown type \"%s\"", shown);
  ks_client_send_error (client, "bad_message", text_err, TRUE);
}
