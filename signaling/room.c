/* room.c — one room per booking: who is connected (job seeker, caseworker,
 * an interpreter invited for this meeting), whether the meeting has begun,
 * the media meeting that relays between them, and their chat.
 *
 * A room exists while someone of the booking has a socket in it.  Its media
 * (a KmMeeting) exists while at least one admitted participant is
 * connected; a reload removes one participant and adds a fresh one, and the
 * others notice no more than a short pause.  Stored status lives in the
 * database; the room holds only live presence.  Chat passes through and is
 * never stored. */

#include "signaling/ks-room.h"

#include <string.h>

#define N_SEATS 3 /* indexed by KsRole - 1: seeker, caseworker, interpreter */

struct _KsRoom {
  KsServer *server;
  gint64 booking_id; /* hash key */
  gint64 caseworker_id;
  json_t *booking;          /* latest booking JSON, for messages */
  KsClient *seats[N_SEATS]; /* weak: cleared in ks_room_leave */
  KmMeeting *meeting;
};

static const gchar *role_names[] = { "none", "seeker", "caseworker", "interpreter" };

const gchar *
ks_role_name (KsRole role)
{
  return role_names[role];
}

static KsClient **
seat (KsRoom *room, KsRole role)
{
  g_return_val_if_fail (role >= KS_ROLE_SEEKER && role <= KS_ROLE_INTERPRETER, NULL);
  return &room->seats[role - 1];
}

/* The caseworker's queue shows whether the job seeker is here; queue.c,
 * the layer above, hears of it through the server's hook. */
static void
seeker_moved (KsServer *server, KsRoom *room, gint64 caseworker_id)
{
  /* Other nodes' queues hear of it through the database (hosts.c). */
  if (room)
    ks_host_presence (server, room->booking_id, *seat (room, KS_ROLE_SEEKER) != NULL);
  if (server->seeker_moved)
    server->seeker_moved (server, caseworker_id);
}

void
ks_room_free (KsRoom *room)
{
  /* Sockets still pointing here lose their room: the server is going. */
  for (guint i = 0; i < N_SEATS; i++)
    if (room->seats[i]) {
      room->seats[i]->room = NULL;
      room->seats[i]->participant = 0;
    }
  g_clear_pointer (&room->meeting, km_meeting_free);
  json_decref (room->booking);
  g_free (room);
}

gint64
ks_room_booking_id (KsRoom *room)
{
  return room->booking_id;
}

gboolean
ks_room_seeker_present (KsServer *server, gint64 booking_id)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  return room && *seat (room, KS_ROLE_SEEKER);
}

static gboolean
room_in_progress (KsRoom *room)
{
  return room && (room->meeting || *seat (room, KS_ROLE_CASEWORKER));
}

gboolean
ks_room_in_progress (KsServer *server, gint64 booking_id)
{
  return room_in_progress (g_hash_table_lookup (server->rooms, &booking_id));
}

guint
ks_rooms_in_progress (KsServer *server)
{
  GHashTableIter it;
  gpointer value;
  guint n = 0;
  g_hash_table_iter_init (&it, server->rooms);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += room_in_progress (value);
  return n;
}

void
ks_rooms_count_seats (KsServer *server, guint seats[N_SEATS])
{
  GHashTableIter it;
  gpointer value;
  memset (seats, 0, N_SEATS * sizeof seats[0]);
  g_hash_table_iter_init (&it, server->rooms);
  while (g_hash_table_iter_next (&it, NULL, &value))
    for (guint i = 0; i < N_SEATS; i++)
      seats[i] += ((KsRoom *) value)->seats[i] != NULL;
}

static KsRoom *
room_for (KsServer *server, const KbBooking *booking)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking->id);
  if (!room) {
    room = g_new0 (KsRoom, 1);
    room->server = server;
    room->booking_id = booking->id;
    g_hash_table_insert (server->rooms, &room->booking_id, room);
    ks_host_hold (server, booking->id);
  }
  room->caseworker_id = booking->caseworker_id;
  json_decref (room->booking);
  room->booking = ks_json_booking (booking);
  return room;
}

static KsClient *
client_of (KsRoom *room, guint participant)
{
  for (guint i = 0; i < N_SEATS; i++)
    if (room->seats[i] && room->seats[i]->participant == participant)
      return room->seats[i];
  return NULL;
}

/* Sends msg (transfer full) to everyone in the room but except. */
static void
send_others (KsRoom *room, KsClient *except, json_t *msg)
{
  for (guint i = 0; i < N_SEATS; i++)
    if (room->seats[i] && room->seats[i] != except)
      ks_client_send (room->seats[i], json_incref (msg));
  json_decref (msg);
}

/* ---- media callbacks (always on the main context) -------------------- */

static void
on_local_description (guint participant, const gchar *type, const gchar *sdp, gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s, s:s}", "type", type, "sdp", sdp));
}

static void
on_local_candidate (guint participant, guint mline, const gchar *candidate, gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s, s:o, s:i}", "type", "ice", "candidate",
                                  candidate ? json_string (candidate) : json_null (),
                                  "sdpMLineIndex", (int) mline));
}

static void
on_renegotiate (guint participant, guint audio, guint video, gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s, s:i, s:i}", "type", "renegotiate", "audio", (int) audio,
                                  "video", (int) video));
}

static void
on_connection_state (guint participant, gboolean connected, gpointer user_data)
{
  KsRoom *room = user_data;
  ks_log_meeting (G_LOG_LEVEL_MESSAGE, room->booking_id,
                  "booking %" G_GINT64_FORMAT ": participant %u media %s", room->booking_id,
                  participant, connected ? "connected" : "disconnected");
}

/* A coarse level a page can show without explaining RTCP: good, fair, poor. */
static const gchar *
quality_level (const KmStats *s)
{
  if (s->loss_in > 0.08 || s->rtt_ms > 600)
    return "poor";
  if (s->loss_in > 0.02 || s->rtt_ms > 250)
    return "fair";
  return "good";
}

static void
on_stats (guint participant, const KmStats *stats, gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (!c)
    return;
  /* The relayed totals grow by what this report adds to the last one. */
  ks_stats_media (c->server, c->has_stats ? &c->last_stats : NULL, stats);
  c->last_stats = *stats;
  c->has_stats = TRUE;
  ks_client_send (c, json_pack ("{s:s, s:s, s:f, s:f, s:f, s:f}", "type", "quality", "level",
                                quality_level (stats), "loss", stats->loss_in, "rtt_ms",
                                stats->rtt_ms, "bitrate_in_kbps", stats->bitrate_in_kbps,
                                "bitrate_out_kbps", stats->bitrate_out_kbps));
}

static void
on_failed (guint participant, const GError *error, gpointer user_data)
{
  KsRoom *room = user_data;
  KsClient *c = client_of (room, participant);
  gboolean offer = g_error_matches (error, KM_ERROR, KM_ERROR_SDP);
  if (offer)
    ks_log_meeting (G_LOG_LEVEL_MESSAGE, room->booking_id,
                    "booking %" G_GINT64_FORMAT ": offer refused: %s", room->booking_id,
                    error->message);
  else
    ks_log_meeting (G_LOG_LEVEL_WARNING, room->booking_id,
                    "booking %" G_GINT64_FORMAT ": media of participant %u failed: %s",
                    room->booking_id, participant, error->message);
  if (!c)
    return;
  /* webrtcbin refuses some offers only while applying them, on its own
   * thread: that is still the offer's fault, and the page may offer again. */
  if (offer)
    ks_client_send_error (c, "bad_sdp", error->message, FALSE);
  else
    ks_client_send_error (c, "internal",
                          "The video connection failed. Reload the page to reconnect.", FALSE);
}

/* Tells a page whose picture or sound arrives on one of its receive slots
 * (docs/protocol.md, "track"). */
static void
on_routed (guint receiver, const gchar *mid, const gchar *kind, guint sender, guint stream,
           gpointer user_data)
{
  KsClient *to = client_of (user_data, receiver);
  KsClient *from = client_of (user_data, sender);
  if (to && from)
    ks_client_send (to, json_pack ("{s:s, s:s, s:s, s:s, s:b}", "type", "track", "mid", mid, "kind",
                                   kind, "role", ks_role_name (from->role), "screen",
                                   kind[0] == 'v' && stream > 0));
}

/* The relay's packets no longer reach this page while its own reach the
 * relay: the page restarts ICE (docs/protocol.md, "restart_ice"). */
static void
on_path_lost (guint participant, gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s}", "type", "restart_ice"));
}

static const KmCallbacks media_callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .renegotiate = on_renegotiate,
  .connection_state = on_connection_state,
  .stats = on_stats,
  .failed = on_failed,
  .routed = on_routed,
  .path_lost = on_path_lost,
};

/* ---- entering and leaving ------------------------------------------- */

static void
send_presence (KsRoom *room, KsClient *who, gboolean present)
{
  send_others (room, who,
               json_pack ("{s:s, s:s, s:b}", "type", "peer", "role", ks_role_name (who->role),
                          "present", present));
}

/* Tells the newcomer who else is here. */
static void
send_present_others (KsRoom *room, KsClient *to)
{
  for (guint i = 0; i < N_SEATS; i++)
    if (room->seats[i] && room->seats[i] != to)
      ks_client_send (to, json_pack ("{s:s, s:s, s:b}", "type", "peer", "role",
                                     ks_role_name (room->seats[i]->role), "present", TRUE));
}

/* What an interpreter is told of the booking: what interpreting needs
 * (the language and the time), nothing of who the job seeker is.
 * Transfer full. */
static json_t *
booking_for (KsClient *client, json_t *booking)
{
  if (client->role != KS_ROLE_INTERPRETER)
    return json_incref (booking);
  json_t *o = json_object ();
  static const gchar *keep[] = { "id", "status", "language", "starts_at", "ends_at", "time_zone" };
  for (gsize i = 0; i < G_N_ELEMENTS (keep); i++) {
    json_t *value = json_object_get (booking, keep[i]);
    if (value)
      json_object_set (o, keep[i], value);
  }
  return o;
}

/* Gives the client a media participant and tells it to offer. */
static void
enter_media (KsRoom *room, KsClient *client)
{
  g_autoptr (GError) error = NULL;

  if (client->participant)
    return;
  if (!room->meeting) {
    /* The media meeting is named by the booking id alone: its log lines
     * carry the name as MEETING_ID (media.h). */
    g_autofree gchar *name = g_strdup_printf ("%" G_GINT64_FORMAT, room->booking_id);
    room->meeting = km_meeting_new (name, &media_callbacks, room, &error);
    if (!room->meeting) {
      ks_log_meeting (G_LOG_LEVEL_WARNING, room->booking_id, "booking %" G_GINT64_FORMAT ": %s",
                      room->booking_id, error->message);
      ks_client_send_error (client, "internal", "The video meeting could not be started.", FALSE);
      return;
    }
  }
  client->participant =
      km_meeting_add_participant (room->meeting, ks_role_name (client->role), &error);
  if (!client->participant) {
    ks_log_meeting (G_LOG_LEVEL_WARNING, room->booking_id, "booking %" G_GINT64_FORMAT ": %s",
                    room->booking_id, error->message);
    ks_client_send_error (client, "internal", "The video meeting could not be started.", FALSE);
    return;
  }
  json_t *ice = ks_ice_servers (room->server->config, TRUE, kb_clock_now () / G_USEC_PER_SEC);
  ks_client_send (client, json_pack ("{s:s, s:o, s:o, s:s}", "type", "admitted", "booking",
                                     booking_for (client, room->booking), "ice_servers", ice,
                                     "role", ks_role_name (client->role)));
}

static void
drop_room_if_empty (KsServer *server, KsRoom *room)
{
  gboolean empty = TRUE;
  for (guint i = 0; i < N_SEATS; i++)
    empty = empty && !room->seats[i];
  if (empty) {
    ks_host_release (server, room->booking_id);
    g_hash_table_remove (server->rooms, &room->booking_id);
  } else if (room->meeting && km_meeting_participant_count (room->meeting) == 0)
    g_clear_pointer (&room->meeting, km_meeting_free);
}

/* Takes client out of room's seats and media; the room itself stays, even
 * when empty: a caller replacing a seat is about to fill it again.  Returns
 * whether client held the job seeker's seat. */
static gboolean
vacate (KsRoom *room, KsClient *client)
{
  gboolean was_seeker = *seat (room, KS_ROLE_SEEKER) == client;
  if (client->participant && room->meeting)
    km_meeting_remove_participant (room->meeting, client->participant);
  client->participant = 0;
  client->has_stats = FALSE;
  client->room = NULL;
  for (guint i = 0; i < N_SEATS; i++)
    if (room->seats[i] == client)
      room->seats[i] = NULL;
  send_presence (room, client, FALSE);
  return was_seeker;
}

/* Seats client in its role.  An older socket of the same role (a second tab,
 * a reload whose old socket has not closed yet) is told it was replaced and
 * retired; the room is never dropped in between, whatever the order in
 * which tabs come and go. */
static void
seat_client (KsServer *server, KsRoom *room, KsClient *client)
{
  KsClient **s = seat (room, client->role);
  if (*s && *s != client) {
    KsClient *old = *s;
    ks_client_send_error (old, "replaced", "This meeting was opened in another window.", TRUE);
    vacate (room, old);
  }
  *s = client;
  client->room = room;
  /* The old socket may have been the last in the media meeting. */
  drop_room_if_empty (server, room);
}

static KsRoom *
take_seat (KsServer *server, KsClient *client, const KbBooking *booking)
{
  if (client->room && client->room->booking_id != booking->id)
    ks_room_leave (server, client);
  KsRoom *room = room_for (server, booking);
  seat_client (server, room, client);
  return room;
}

void
ks_room_seeker_enter (KsServer *server, KsClient *client, const KbBooking *booking,
                      gboolean admitted)
{
  KsRoom *room = take_seat (server, client, booking);
  /* A seated caseworker means the meeting is in progress, whatever the
   * booking read a moment before the admission said (a reload racing it). */
  admitted = admitted || *seat (room, KS_ROLE_CASEWORKER);
  if (admitted) {
    enter_media (room, client);
    send_present_others (room, client);
  } else {
    ks_client_send (client, json_pack ("{s:s, s:O}", "type", "waiting", "booking", room->booking));
  }
  send_presence (room, client, TRUE);
  seeker_moved (server, room, room->caseworker_id);
}

void
ks_room_caseworker_enter (KsServer *server, KsClient *client, const KbBooking *booking)
{
  KsRoom *room = take_seat (server, client, booking);
  enter_media (room, client);
  KsClient *seeker = *seat (room, KS_ROLE_SEEKER);
  if (seeker)
    enter_media (room, seeker);
  send_present_others (room, client);
  send_presence (room, client, TRUE);
}

gboolean
ks_room_interpreter_enter (KsServer *server, KsClient *client, gint64 booking_id)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  /* The invitation holds for the meeting in progress: someone admitted
   * must be there to let the interpreter in. */
  if (!room || !*seat (room, KS_ROLE_CASEWORKER))
    return FALSE;
  if (client->room && client->room != room)
    ks_room_leave (server, client);
  seat_client (server, room, client);
  client->booking_id = booking_id;
  enter_media (room, client);
  send_present_others (room, client);
  send_presence (room, client, TRUE);
  return TRUE;
}

void
ks_room_leave (KsServer *server, KsClient *client)
{
  KsRoom *room = client->room;
  if (!room)
    return;
  gint64 caseworker_id = room->caseworker_id;
  /* An interpreter's link was theirs alone: gone with them. */
  if (client->role == KS_ROLE_INTERPRETER)
    ks_invitations_release (server, client);
  gboolean was_seeker = vacate (room, client);
  /* The job seeker's presence is part of the caseworker's queue. */
  if (was_seeker)
    ks_host_presence (server, room->booking_id, FALSE);
  drop_room_if_empty (server, room); /* room may be freed here */
  if (was_seeker)
    seeker_moved (server, NULL, caseworker_id);
}

/* Long enough for any answer in flight at the end to have come back. */
#define ENDED_KEPT_US (10 * 60 * G_USEC_PER_SEC)

/* Remembers that booking_id's meeting ended, and forgets old ends. */
static void
note_ended (KsServer *server, gint64 booking_id)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer value;
  if (!server->ended)
    server->ended = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_hash_table_iter_init (&it, server->ended);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (now - *(gint64 *) value > ENDED_KEPT_US)
      g_hash_table_iter_remove (&it);
  g_hash_table_insert (server->ended, g_memdup2 (&booking_id, sizeof booking_id),
                       g_memdup2 (&now, sizeof now));
}

gboolean
ks_room_ended (KsServer *server, gint64 booking_id)
{
  return server->ended && g_hash_table_contains (server->ended, &booking_id);
}

/* Ends booking_id's room: everyone in it gets `ended` with the booking
 * (ended: its JSON, borrowed), leaves the media, and the lease goes back. */
static void
end_room (KsServer *server, gint64 booking_id, json_t *ended)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  ks_invitations_forget (server, booking_id);
  note_ended (server, booking_id);
  if (!room)
    return;
  for (guint i = 0; i < N_SEATS; i++) {
    KsClient *c = room->seats[i];
    if (!c)
      continue;
    ks_client_send (c,
                    json_pack ("{s:s, s:o}", "type", "ended", "booking", booking_for (c, ended)));
    if (c->participant && room->meeting)
      km_meeting_remove_participant (room->meeting, c->participant);
    c->participant = 0;
    c->room = NULL;
    /* The interpreter's invitation ended with the meeting. */
    if (c->role == KS_ROLE_INTERPRETER)
      c->role = KS_ROLE_NONE;
    room->seats[i] = NULL;
  }
  ks_host_release (server, booking_id);
  g_hash_table_remove (server->rooms, &booking_id);
}

void
ks_room_end (KsServer *server, const KbBooking *booking)
{
  json_t *ended = ks_json_booking (booking);
  end_room (server, booking->id, ended);
  json_decref (ended);
}

void
ks_room_over (KsServer *server, gint64 booking_id, KbStatus status)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  if (!room)
    return;
  /* A meeting in progress (the sweep completes one two hours past its
   * end): it ends as if the caseworker had ended it. */
  if (*seat (room, KS_ROLE_CASEWORKER)) {
    json_t *ended = room->booking ? json_deep_copy (room->booking) : json_object ();
    json_object_set_new (ended, "status", json_string (kb_status_to_string (status)));
    end_room (server, booking_id, ended);
    json_decref (ended);
    return;
  }
  /* A job seeker waiting: nobody will admit them now.  Without this they
   * would wait in vain, and show as present in the queue, until a reload
   * told them what it tells them here. */
  KsClient *seeker = *seat (room, KS_ROLE_SEEKER);
  if (!seeker)
    return;
  if (status == KB_STATUS_CANCELLED)
    ks_client_send_error (seeker, "cancelled", "This booking has been cancelled.", FALSE);
  else if (status == KB_STATUS_COMPLETED)
    ks_client_send_error (seeker, "completed", "This meeting has ended.", FALSE);
  else
    ks_client_send_error (seeker, "too_late",
                          "The booked time has ended without the meeting. Please book a new time.",
                          FALSE);
  ks_room_leave (server, seeker); /* room may be freed here */
  seeker->role = KS_ROLE_NONE;
}

void
ks_room_evict (KsServer *server, gint64 booking_id)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  if (!room)
    return;
  gint64 caseworker_id = room->caseworker_id;
  for (guint i = 0; i < N_SEATS; i++) {
    KsClient *c = room->seats[i];
    if (!c)
      continue;
    if (c->participant && room->meeting)
      km_meeting_remove_participant (room->meeting, c->participant);
    c->participant = 0;
    c->room = NULL;
    room->seats[i] = NULL;
    /* The page comes back through the balancer and is sent on to the
     * node that holds the meeting now. */
    ks_client_send_error (c, "moving", "The meeting moved to another server. Reconnecting.", TRUE);
  }
  ks_host_release (server, booking_id); /* only a row of this node's goes */
  g_hash_table_remove (server->rooms, &booking_id);
  if (server->seeker_moved)
    server->seeker_moved (server, caseworker_id);
}

void
ks_room_offer (KsServer *server, KsClient *client, const gchar *sdp)
{
  g_autoptr (GError) error = NULL;
  if (!km_meeting_set_remote_description (client->room->meeting, client->participant, "offer", sdp,
                                          &error)) {
    ks_log_meeting (G_LOG_LEVEL_MESSAGE, client->room->booking_id,
                    "booking %" G_GINT64_FORMAT ": offer refused: %s", client->room->booking_id,
                    error->message);
    /* A browser without the meeting's video codec can be told what to do
     * about it (another browser); other refusals cannot. */
    ks_client_send_error (
        client, g_error_matches (error, KM_ERROR, KM_ERROR_CODEC) ? "unsupported_codec" : "bad_sdp",
        error->message, FALSE);
  }
}

void
ks_room_candidate (KsServer *server, KsClient *client, guint mline, const gchar *candidate)
{
  g_autoptr (GError) error = NULL;
  if (!km_meeting_add_remote_candidate (client->room->meeting, client->participant, mline,
                                        candidate, &error))
    ks_log_meeting (G_LOG_LEVEL_DEBUG, client->room->booking_id, "candidate refused: %s",
                    error->message);
}

void
ks_room_chat (KsServer *server, KsClient *client, const gchar *text)
{
  g_autofree gchar *at = ks_json_time (kb_clock_now ());
  send_others (client->room, client,
               json_pack ("{s:s, s:s, s:s, s:s}", "type", "chat", "from",
                          ks_role_name (client->role), "text", text, "at", at));
}

/* An invitation lives while its meeting can let an interpreter in, or
 * holds one. */
static gboolean
meeting_open (KsServer *server, gint64 booking_id)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  return room && (*seat (room, KS_ROLE_CASEWORKER) || *seat (room, KS_ROLE_INTERPRETER));
}

void
ks_room_sweep (KsServer *server)
{
  guint revoked = ks_invitations_sweep (server, meeting_open);
  if (revoked)
    g_info ("%u interpreter invitation(s) revoked: their meetings are over", revoked);
}
