/* ks-room.h — meetings (room.c) and the caseworkers' live queues
 * (queue.c).  room.c calls only the client layer; queue.c also asks room.c
 * who is present.  room.c tells the queues that a job seeker came or went
 * through server->seeker_moved, never by calling queue.c. */
#pragma once

#include "signaling/ks-client.h"

/* ---- room.c: meetings ----------------------------------------------- */

const gchar *ks_role_name (KsRole role); /* "seeker" … */
/* The job seeker's socket entered (waiting or, after admission, the
 * meeting).  booking is borrowed. */
void ks_room_seeker_enter (KsServer *server, KsClient *client, const KbBooking *booking,
                           gboolean admitted);
/* The caseworker admitted (or re-entered) booking; both enter the meeting. */
void ks_room_caseworker_enter (KsServer *server, KsClient *client, const KbBooking *booking);
/* The meeting ended (status completed): tell everyone, free the media. */
void ks_room_end (KsServer *server, const KbBooking *booking);
/* booking_id's booking has ended with status (completed, cancelled,
 * no_show, not_admitted) by other means than `end` here: the sweep, a
 * cancel, another node (hosts.c's heartbeat reads it).  A meeting in
 * progress ends (`ended`, as ks_room_end); a job seeker waiting is told
 * what a join would tell them now (`cancelled`, `completed`, `too_late`)
 * and leaves the waiting room, as after `leave`; the socket stays open. */
void ks_room_over (KsServer *server, gint64 booking_id, KbStatus status);
/* The socket left its room (leave or close). */
void ks_room_leave (KsServer *server, KsClient *client);
/* offer / ice from a participant. */
void ks_room_offer (KsServer *server, KsClient *client, const gchar *sdp);
void ks_room_candidate (KsServer *server, KsClient *client, guint mline, const gchar *candidate);
/* An invited interpreter enters a meeting in progress; FALSE (nothing
 * changed) when nobody admitted is there. */
gboolean ks_room_interpreter_enter (KsServer *server, KsClient *client, gint64 booking_id);
/* The sweep: revokes the interpreter invitations of meetings that are over
 * (nobody seated to let an interpreter in, and no interpreter in). */
void ks_room_sweep (KsServer *server);
/* Chat text from a participant to the others; passes through, never stored. */
void ks_room_chat (KsServer *server, KsClient *client, const gchar *text);
gboolean ks_room_seeker_present (KsServer *server, gint64 booking_id);
/* A meeting runs for booking_id here: a caseworker in the room, or media. */
gboolean ks_room_in_progress (KsServer *server, gint64 booking_id);
guint ks_rooms_in_progress (KsServer *server);
/* Whether the meeting of booking_id ended here lately (minutes): an answer
 * from the database that was read before the end is out of date. */
gboolean ks_room_ended (KsServer *server, gint64 booking_id);
/* Seats taken over all rooms: seats[0] job seekers, [1] caseworkers,
 * [2] interpreters (for /metrics). */
void ks_rooms_count_seats (KsServer *server, guint seats[3]);
gint64 ks_room_booking_id (KsRoom *room);
void ks_room_free (KsRoom *room);

/* The lease on booking_id's meeting went to another node (hosts.c): every
 * socket in its room is told to go there, and the room closes here. */
void ks_room_evict (KsServer *server, gint64 booking_id);

/* ---- hosts.c: the meetings this node hosts (migration 015) ------------ */

/* Start: drop this node's leases from a previous life, renew the leases
 * of the rooms open here every third of [cluster] lease, and listen for
 * other nodes' queue changes (server->seeker_moved).  Stop: before the
 * server's cancellable is cancelled. */
void ks_hosts_start (KsServer *server);
void ks_hosts_stop (KsServer *server);
/* room.c: a room opened here (its lease was claimed: handlers.c), closed,
 * or its job seeker came or went. */
void ks_host_hold (KsServer *server, gint64 booking_id);
void ks_host_release (KsServer *server, gint64 booking_id);
void ks_host_presence (KsServer *server, gint64 booking_id, gboolean present);

/* ---- queue.c: the caseworkers' live queues --------------------------- */

/* Send a fresh queue to every caseworker socket of caseworker_id (also
 * server->seeker_moved). */
void ks_queue_changed (KsServer *server, gint64 caseworker_id);
void ks_queue_send (KsServer *server, KsClient *client);
/* {date, bookings[]} for a caseworker's day (bookings: KbBooking*): the
 * given local date, or (NULL) today in time_zone. */
json_t *ks_queue_json (KsServer *server, const gchar *time_zone, const gchar *date,
                       GPtrArray *bookings, gint64 now);
