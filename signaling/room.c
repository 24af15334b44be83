/* room.c — one room per booking: who of the two is connected, whether the
 * meeting has begun, and the media meeting that relays between them.
 *
 * A room exists while someone of the booking has a socket in it.  Its media
 * (a KmMeeting) exists while at least one admitted participant is
 * connected; a reload removes one participant and adds a fresh one, and the
 * other side never notices more than a short pause.  Stored status lives in
 * the database; the room holds only live presence. */
#define G_LOG_DOMAIN "kontor-signaling"

#include "signaling/ks-private.h"

struct _KsRoom {
  KsServer  *server;
  gint64     booking_id;       /* hash key */
  gint64     caseworker_id;
  json_t    *booking;          /* latest booking JSON, for messages */
  KsClient  *seeker;           /* weak: cleared in ks_room_leave */
  KsClient  *caseworker;       /* weak */
  KmMeeting *meeting;
};

void
ks_room_free (KsRoom *room)
{
  /* Sockets still pointing here lose their room: the server is going. */
  if (room->seeker)
    room->seeker->room = NULL, room->seeker->participant = 0;
  if (room->caseworker)
    room->caseworker->room = NULL, room->caseworker->participant = 0;
  g_clear_pointer (&room->meeting, km_meeting_free);
  json_decref (room->booking);
  g_free (room);
}

gint64
ks_room_caseworker_id (KsRoom *room)
{
  return room->caseworker_id;
}

gboolean
ks_room_seeker_present (KsServer *server, gint64 booking_id)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking_id);
  return room && room->seeker;
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
  }
  room->caseworker_id = booking->caseworker_id;
  json_decref (room->booking);
  room->booking = ks_json_booking (booking);
  return room;
}

static KsClient *
client_of (KsRoom *room, guint participant)
{
  if (room->seeker && room->seeker->participant == participant)
    return room->seeker;
  if (room->caseworker && room->caseworker->participant == participant)
    return room->caseworker;
  return NULL;
}

static KsClient *
other_of (KsRoom *room, KsClient *client)
{
  return client == room->seeker ? room->caseworker : room->seeker;
}

/* ---- media callbacks (always on the main context) -------------------- */

static void
on_local_description (guint participant, const gchar *type, const gchar *sdp,
                      gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s, s:s}", "type", type, "sdp", sdp));
}

static void
on_local_candidate (guint participant, guint mline, const gchar *candidate,
                    gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s, s:o, s:i}", "type", "ice",
                                  "candidate", candidate ? json_string (candidate) : json_null (),
                                  "sdpMLineIndex", (int) mline));
}

static void
on_renegotiate (guint participant, guint audio, guint video, gpointer user_data)
{
  KsClient *c = client_of (user_data, participant);
  if (c)
    ks_client_send (c, json_pack ("{s:s, s:i, s:i}", "type", "renegotiate",
                                  "audio", (int) audio, "video", (int) video));
}

static void
on_connection_state (guint participant, gboolean connected, gpointer user_data)
{
  KsRoom *room = user_data;
  g_message ("booking %" G_GINT64_FORMAT ": participant %u media %s",
             room->booking_id, participant, connected ? "connected" : "disconnected");
}

static void
on_stats (guint participant, const KmStats *stats, gpointer user_data)
{
  g_debug ("participant %u: in %.0f kbit/s out %.0f kbit/s loss %.3f rtt %.1f ms",
           participant, stats->bitrate_in_kbps, stats->bitrate_out_kbps,
           stats->loss_in, stats->rtt_ms);
}

static void
on_failed (guint participant, const GError *error, gpointer user_data)
{
  KsRoom *room = user_data;
  KsClient *c = client_of (room, participant);
  g_warning ("booking %" G_GINT64_FORMAT ": media of participant %u failed: %s",
             room->booking_id, participant, error->message);
  if (c)
    ks_client_send_error (c, "internal", "The video connection failed. Reload the page to reconnect.", FALSE);
}

static const KmCallbacks media_callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .renegotiate = on_renegotiate,
  .connection_state = on_connection_state,
  .stats = on_stats,
  .failed = on_failed,
};

/* ---- entering and leaving ------------------------------------------- */

static void
send_presence (KsClient *to, const gchar *role, gboolean present)
{
  if (to)
    ks_client_send (to, json_pack ("{s:s, s:s, s:b}", "type", "peer", "role", role,
                                   "present", present));
}

/* Gives the client a media participant and tells it to offer. */
static void
enter_media (KsRoom *room, KsClient *client, const gchar *label)
{
  g_autoptr (GError) error = NULL;

  if (client->participant)
    return;
  if (!room->meeting) {
    g_autofree gchar *name = g_strdup_printf ("booking-%" G_GINT64_FORMAT, room->booking_id);
    room->meeting = km_meeting_new (name, &media_callbacks, room, &error);
    if (!room->meeting) {
      g_warning ("booking %" G_GINT64_FORMAT ": %s", room->booking_id, error->message);
      ks_client_send_error (client, "internal", "The video meeting could not be started.", FALSE);
      return;
    }
  }
  client->participant = km_meeting_add_participant (room->meeting, label, &error);
  if (!client->participant) {
    g_warning ("booking %" G_GINT64_FORMAT ": %s", room->booking_id, error->message);
    ks_client_send_error (client, "internal", "The video meeting could not be started.", FALSE);
    return;
  }
  json_error_t jerr;
  json_t *ice = json_loads (room->server->ice_servers_json, 0, &jerr);
  ks_client_send (client, json_pack ("{s:s, s:O, s:o}", "type", "admitted",
                                     "booking", room->booking, "ice_servers", ice));
}

/* A newer socket of the same person retires the older one. */
static void
retire (KsServer *server, KsClient *old)
{
  ks_client_send_error (old, "replaced", "This meeting was opened in another window.", TRUE);
  ks_room_leave (server, old);
}

void
ks_room_seeker_enter (KsServer *server, KsClient *client,
                      const KbBooking *booking, gboolean admitted)
{
  KsRoom *room = room_for (server, booking);
  if (room->seeker && room->seeker != client)
    retire (server, room->seeker);
  room->seeker = client;
  client->room = room;

  if (admitted) {
    enter_media (room, client, "seeker");
  } else {
    ks_client_send (client, json_pack ("{s:s, s:O}", "type", "waiting",
                                       "booking", room->booking));
  }
  send_presence (room->caseworker, "seeker", TRUE);
  ks_queue_changed (server, room->caseworker_id);
}

void
ks_room_caseworker_enter (KsServer *server, KsClient *client,
                          const KbBooking *booking)
{
  if (client->room && client->room->booking_id != booking->id)
    ks_room_leave (server, client);

  KsRoom *room = room_for (server, booking);
  if (room->caseworker && room->caseworker != client)
    retire (server, room->caseworker);
  room->caseworker = client;
  client->room = room;

  enter_media (room, client, "caseworker");
  if (room->seeker) {
    enter_media (room, room->seeker, "seeker");
    send_presence (room->seeker, "caseworker", TRUE);
    send_presence (client, "seeker", TRUE);
  }
}

static void
drop_room_if_empty (KsServer *server, KsRoom *room)
{
  if (!room->seeker && !room->caseworker)
    g_hash_table_remove (server->rooms, &room->booking_id);
  else if (room->meeting && km_meeting_participant_count (room->meeting) == 0)
    g_clear_pointer (&room->meeting, km_meeting_free);
}

void
ks_room_leave (KsServer *server, KsClient *client)
{
  KsRoom *room = client->room;
  if (!room)
    return;
  if (client->participant && room->meeting)
    km_meeting_remove_participant (room->meeting, client->participant);
  client->participant = 0;
  client->room = NULL;

  KsClient *other = other_of (room, client);
  if (client == room->seeker) {
    room->seeker = NULL;
    send_presence (other, "seeker", FALSE);
  } else if (client == room->caseworker) {
    room->caseworker = NULL;
    send_presence (other, "caseworker", FALSE);
  }
  drop_room_if_empty (server, room);
}

void
ks_room_end (KsServer *server, const KbBooking *booking)
{
  KsRoom *room = g_hash_table_lookup (server->rooms, &booking->id);
  if (!room)
    return;
  json_t *msg = json_pack ("{s:s, s:o}", "type", "ended", "booking", ks_json_booking (booking));
  KsClient *both[2] = { room->seeker, room->caseworker };
  for (guint i = 0; i < 2; i++) {
    if (!both[i])
      continue;
    ks_client_send (both[i], json_incref (msg));
    both[i]->room = NULL;
    if (both[i]->participant && room->meeting)
      km_meeting_remove_participant (room->meeting, both[i]->participant);
    both[i]->participant = 0;
  }
  json_decref (msg);
  room->seeker = room->caseworker = NULL;
  g_hash_table_remove (server->rooms, &booking->id);
}

void
ks_room_offer (KsServer *server, KsClient *client, const gchar *sdp)
{
  g_autoptr (GError) error = NULL;
  if (!km_meeting_set_remote_description (client->room->meeting, client->participant,
                                          "offer", sdp, &error)) {
    g_message ("booking %" G_GINT64_FORMAT ": offer refused: %s",
               client->room->booking_id, error->message);
    ks_client_send_error (client, "bad_sdp", error->message, FALSE);
  }
}

void
ks_room_candidate (KsServer *server, KsClient *client, guint mline,
                   const gchar *candidate)
{
  g_autoptr (GError) error = NULL;
  if (!km_meeting_add_remote_candidate (client->room->meeting, client->participant,
                                        mline, candidate, &error))
    g_debug ("candidate refused: %s", error->message);
}
