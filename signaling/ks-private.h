/* ks-private.h — what the files of signaling/ share among themselves.
 * Not for other modules: they use signaling.h. */
#pragma once

#include <jansson.h>
#include <libwebsockets.h>

#include "booking/booking.h"
#include "media/media.h"
#include "signaling/signaling.h"

#define KS_MAX_MESSAGE (64 * 1024)
#define KS_MAX_SDP (32 * 1024)
#define KS_MAX_CANDIDATE 1024
#define KS_MAX_BODY (16 * 1024)
/* What one media participant may send (a page needs a handful of each;
 * renegotiation happens on screen sharing and reconnection). */
#define KS_MAX_MLINES 16
#define KS_MAX_OFFERS 200
#define KS_MAX_CANDIDATES 256
#define KS_MAX_ICE_RESTARTS 20
#define KS_SESSION_COOKIE "kontor_session"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

typedef struct _KsClient KsClient;
typedef struct _KsRoom KsRoom;
typedef struct _KsRequest KsRequest;

struct _KsServer {
  KsConfig *config; /* owned copy */
  KbStore *store;   /* borrowed */
  struct lws_context *context;
  gboolean tls;
  GHashTable *rooms;       /* booking id (gint64*) → KsRoom* (owned) */
  GList *clients;          /* KsClient*, every open WebSocket (weak) */
  gchar *ice_servers_json; /* RTCIceServer array for pages */
  struct lws_http_mount files_mount;
  guint sweep_source;
  gboolean sweeping;
  GCancellable *cancellable;  /* server-wide queries */
  GHashTable *invitations;    /* SHA-256 hex of a token → booking id */
  GHashTable *ws_per_address; /* client address → open WebSockets (GUINT) */
  GHashTable *ended;          /* booking id (gint64*) → monotonic µs its meeting ended */
};

/* ---- server.c -------------------------------------------------------- */

/* The RTCIceServer array the pages get (/api/v1/config), from the STUN and
 * TURN settings; transfer full. */
gchar *ks_ice_servers_json (const KsConfig *config);

/* ---- ws.c: one WebSocket connection --------------------------------- */

typedef enum { KS_ROLE_NONE, KS_ROLE_SEEKER, KS_ROLE_CASEWORKER, KS_ROLE_INTERPRETER } KsRole;

const gchar *ks_role_name (KsRole role); /* "seeker" … */

struct _KsClient {
  KsServer *server;
  struct lws *wsi;           /* NULL once the socket closed */
  GQueue outq;               /* gchar* JSON texts waiting to be written */
  GString *rx;               /* a message being reassembled */
  GCancellable *cancellable; /* cancelled when the socket closes */
  KsRole role;
  gboolean busy;            /* a join/hello is being answered */
  gboolean closing;         /* close once outq is written */
  gchar *session_token;     /* caseworker cookie from the handshake */
  gchar *peer;              /* client address, for rate limits */
  KbCaseworker *caseworker; /* after hello */
  gint64 booking_id;        /* job seeker: the booking joined */
  KsRoom *room;             /* the meeting this socket is in, if any */
  guint participant;        /* media participant id while in a room */
  KmStats last_stats;       /* the relay's latest figures (for /metrics) */
  gboolean has_stats;
  gboolean queue_pending; /* a queue query is in flight */
  gboolean queue_dirty;   /* something changed while it was */
  guint leaves;           /* leave messages so far (an admit sent before one is void) */
  /* bounds (limits.c) */
  gsize queued_bytes;        /* in outq */
  gdouble msg_tokens;        /* messages it may still send now */
  gint64 msg_updated;        /* monotonic µs */
  gint64 limited_told;       /* when it was last told rate_limited */
  guint join_timer;          /* closes it if no join/hello comes */
  gboolean counted;          /* counted in server->ws_per_address */
  guint counted_participant; /* the participant the counts below are for */
  guint offers, candidates, ice_restarts;
  gchar *ice_ufrag;  /* of its latest offer */
  gboolean detached; /* never had a socket: replies stay in outq */
};

/* Queue a message (transfer full of msg) and wake lws to write it. */
void ks_client_send (KsClient *client, json_t *msg);
/* Send an error {code, message} and, if close, close after it is written. */
void ks_client_send_error (KsClient *client, const gchar *code, const gchar *message,
                           gboolean close);
KsClient *ks_client_ref (KsClient *client);
void ks_client_unref (KsClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsClient, ks_client_unref)

int ks_ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);
/* The seam tests/fuzz/fuzz-ws.c uses: a client with no socket, whose
 * replies stay in its outq (it is never listed in server->clients), and
 * one complete message handled as if it had arrived on a socket. */
KsClient *ks_client_new_detached (KsServer *server);
void ks_ws_dispatch (KsClient *client, const gchar *text, gsize len);

/* ---- limits.c: bounds on what one socket or address may hold --------- */

/* A new socket: counts it for its address and starts its join timer.
 * FALSE when its address has too many open: it has been told and closes. */
gboolean ks_limits_socket_opened (KsClient *client);
void ks_limits_socket_closed (KsClient *client);
/* The socket sent join or hello: its join timer stops. */
void ks_limits_joining (KsClient *client);
/* One more message from the socket: FALSE (and it has been told, at most
 * once a second) when it sends faster than allowed. */
gboolean ks_limits_message (KsClient *client);
/* bytes more are queued for the socket: FALSE when that passes the cap (the
 * socket is then being dropped). */
gboolean ks_limits_queue (KsClient *client, gsize bytes);
/* An offer or candidate from a media participant; on FALSE it has answered. */
gboolean ks_limits_offer_or_reply (KsClient *client, const gchar *sdp);
gboolean ks_limits_candidate_or_reply (KsClient *client);

/* ---- http.c: one API request and its answer -------------------------- */

struct _KsRequest {
  KsServer *server;
  struct lws *wsi; /* NULL once the connection closed */
  gboolean post;
  gchar path[128];
  GString *body;
  GCancellable *cancellable;
  gboolean routed; /* a handler has been chosen */
  gboolean ready;
  guint status;
  gchar *response; /* JSON text */
  gchar *set_cookie;
  gchar *content_type; /* NULL: application/json */
  gchar *peer;         /* client address, for rate limits */
  gpointer step;       /* a handler's own state between steps */
  GDestroyNotify step_free;
  gchar **args; /* without a connection (tests/fuzz): the
                 * query string's name=value parts, as lws
                 * would hand them over */
};

KsRequest *ks_request_ref (KsRequest *r);
void ks_request_unref (KsRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsRequest, ks_request_unref)
/* Answer with status and a JSON body (transfer full). */
void ks_respond (KsRequest *r, guint status, json_t *body);
/* Answer with a text body of another type (transfer full of text). */
void ks_respond_text (KsRequest *r, guint status, const gchar *content_type, gchar *text);
void ks_respond_error (KsRequest *r, guint status, const gchar *code, const gchar *message);
void ks_respond_internal (KsRequest *r, const GError *error);
void ks_respond_unpack_error (KsRequest *r, const json_error_t *err);
/* TRUE when the connection is gone and the answer should be dropped. */
gboolean ks_answer_dropped (KsRequest *r, const GError *error);
/* The body as a JSON object; on failure it has answered 400 and returns NULL. */
json_t *ks_body_json_or_reply (KsRequest *r);
/* Looks the session cookie up, then calls next with the caseworker
 * (borrowed for the call); answers 401 itself when there is none. */
typedef void (*KsSessionNext) (KsRequest *r, KbCaseworker *cw);
void ks_with_session (KsRequest *r, KsSessionNext next);
/* A positive id from the query string: TRUE with *out = the id, or 0 when
 * absent (and, if any_allowed, when empty or "any"); FALSE when present
 * but not an id.  Only during routing, like ks_request_arg. */
gboolean ks_request_id_arg (KsRequest *r, const gchar *name, gboolean any_allowed, gint64 *out);
/* ?office=ID (0 when absent and not required); on failure it has answered. */
gboolean ks_request_office_or_reply (KsRequest *r, gboolean required, gint64 *out);
void ks_request_set_step (KsRequest *r, gpointer step, GDestroyNotify free_func);
/* A query-string argument of a GET request (only during routing; from
 * r->args when there is no connection), at most 255 bytes. */
gchar *ks_request_arg (KsRequest *r, const gchar *name);

/* ---- ratelimit.c ------------------------------------------------------ */

typedef enum { KS_RATE_LOGIN, KS_RATE_BOOK, KS_RATE_LINK, KS_RATE_PUBLIC } KsRateAction;
/* FALSE when address has used up its allowance for action. */
gboolean ks_rate_allow (KsServer *server, KsRateAction action, const gchar *address);
/* The public lookups' limit per address; on FALSE it has answered 429. */
gboolean ks_public_rate_or_reply (KsRequest *r);
/* Seconds an account must wait before its next log-in try (0: none), and
 * the outcome of a try, which sets that wait. */
guint ks_login_wait (const gchar *email);
void ks_login_result (const gchar *email, gboolean ok);

/* ---- peer.c: who is at the other end ---------------------------------- */

/* The client's address (X-Forwarded-For from a trusted proxy), for rate
 * limits and logs; transfer full. */
gchar *ks_peer_address (KsServer *server, struct lws *wsi);
/* An address as proxies write it: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1"
 * or "[2001:db8::1]:5678".  NULL if it is none of these. */
GInetAddress *ks_peer_parse_address (const gchar *text);
/* Whether address is one of the comma-separated list (an IPv4 peer may
 * come as ::ffff:a.b.c.d on a dual-stack socket). */
gboolean ks_peer_listed (const gchar *list, const gchar *address);
/* The client an X-Forwarded-For value names (its last entry) as text, or
 * NULL when that entry is no address; transfer full. */
gchar *ks_peer_forwarded (const gchar *xff);

/* ---- api-*.c: route handlers (http.c holds the table) ----------------- */

void ks_api_config (KsRequest *r);
void ks_api_login (KsRequest *r);
void ks_api_logout (KsRequest *r);
void ks_api_me (KsRequest *r);
void ks_api_queue (KsRequest *r);
void ks_api_booking (KsRequest *r);
void ks_api_slots (KsRequest *r);
void ks_api_book (KsRequest *r);
void ks_api_cancel (KsRequest *r);
void ks_api_move (KsRequest *r);
void ks_api_calendar (KsRequest *r);
void ks_api_queue_cancel (KsRequest *r);
void ks_api_admin (KsRequest *r);
void ks_api_admin_list (KsRequest *r);
void ks_api_admin_stats (KsRequest *r);
void ks_api_admin_caseworkers (KsRequest *r);
void ks_api_offices (KsRequest *r);
void ks_api_services (KsRequest *r);
void ks_api_caseworkers (KsRequest *r);
void ks_api_metrics (KsRequest *r);

/* ---- api-booking.c helpers shared with the WebSocket ------------------ */

/* The answer for a KbBookResult / KbBooking: booking, links, calendar. */
json_t *ks_json_booking_with_links (KsServer *server, const KbBooking *booking, const gchar *token);
/* Maps booking errors to HTTP answers; FALSE if error is NULL. */
gboolean ks_respond_booking_error (KsRequest *r, const GError *error);
/* When the database cannot answer now (booking's KB_ERROR_UNAVAILABLE or
 * KB_ERROR_BUSY): the stable code, "db_unavailable" or "busy", that HTTP
 * (with 503) and the WebSocket send, and *message; NULL otherwise. */
const gchar *ks_db_trouble (const GError *error, const gchar **message);
/* RFC 3339 with a zone → µs since the epoch. */
gboolean ks_parse_time (const gchar *text, gint64 *out);

int ks_http_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);
/* Copy the session cookie of a request (NULL if none, or if the
 * connection is gone: wsi NULL). */
gchar *ks_http_session_cookie (struct lws *wsi);
/* Runs the handler of r->path and r->post (the route table), or answers
 * 404/405; what LWS_CALLBACK_HTTP does once the request is complete.
 * tests/fuzz/fuzz-http.c calls it on requests without a connection. */
void ks_http_route (KsRequest *r);

/* ---- room.c: meetings ----------------------------------------------- */

/* The job seeker's socket entered (waiting or, after admission, the
 * meeting).  booking is borrowed. */
void ks_room_seeker_enter (KsServer *server, KsClient *client, const KbBooking *booking,
                           gboolean admitted);
/* The caseworker admitted (or re-entered) booking; both enter the meeting. */
void ks_room_caseworker_enter (KsServer *server, KsClient *client, const KbBooking *booking);
/* The meeting ended (status completed): tell everyone, free the media. */
void ks_room_end (KsServer *server, const KbBooking *booking);
/* The socket left its room (leave or close). */
void ks_room_leave (KsServer *server, KsClient *client);
/* offer / ice from a participant. */
void ks_room_offer (KsServer *server, KsClient *client, const gchar *sdp);
void ks_room_candidate (KsServer *server, KsClient *client, guint mline, const gchar *candidate);
/* An invited interpreter enters a meeting in progress; FALSE (nothing
 * changed) when nobody admitted is there. */
gboolean ks_room_interpreter_enter (KsServer *server, KsClient *client, gint64 booking_id);
/* Chat text from a participant to the others; passes through, never stored. */
void ks_room_chat (KsServer *server, KsClient *client, const gchar *text);
gboolean ks_room_seeker_present (KsServer *server, gint64 booking_id);
/* Whether the meeting of booking_id ended here lately (minutes): an answer
 * from the database that was read before the end is out of date. */
gboolean ks_room_ended (KsServer *server, gint64 booking_id);
/* Seats taken over all rooms: seats[0] job seekers, [1] caseworkers,
 * [2] interpreters (for /metrics). */
void ks_rooms_count_seats (KsServer *server, guint seats[3]);
gint64 ks_room_booking_id (KsRoom *room);
void ks_room_free (KsRoom *room);

/* ---- invite.c: interpreter invitations -------------------------------- */

/* A new secret for one meeting (transfer full); only its hash is kept. */
gchar *ks_invitation_new (KsServer *server, gint64 booking_id);
/* The booking an invitation is for, or 0. */
gint64 ks_invitation_lookup (KsServer *server, const gchar *token);
void ks_invitations_forget (KsServer *server, gint64 booking_id);

/* ---- queue.c: the caseworkers' live queues --------------------------- */

/* Send a fresh queue to every caseworker socket of caseworker_id. */
void ks_queue_changed (KsServer *server, gint64 caseworker_id);
void ks_queue_send (KsServer *server, KsClient *client);
/* {date, bookings[]} for a caseworker's day (bookings: KbBooking*): the
 * given local date, or (NULL) today in time_zone. */
json_t *ks_queue_json (KsServer *server, const gchar *time_zone, const gchar *date,
                       GPtrArray *bookings, gint64 now);

/* ---- json.c: shapes shared by the API and the WebSocket -------------- */

gchar *ks_json_time (gint64 usec); /* RFC 3339 UTC or NULL */
json_t *ks_json_time_or_null (gint64 usec);
json_t *ks_json_booking (const KbBooking *booking);
json_t *ks_json_caseworker (const KbCaseworker *caseworker);
/* {type: "error", code, message}; the message may quote what a client
 * sent (jansson's error texts do), so it is made valid UTF-8 first. */
json_t *ks_json_error (const gchar *code, const gchar *message);
/* A JSON string of text, with what is not UTF-8 replaced (U+FFFD): never
 * NULL, unlike json_string(). */
json_t *ks_json_text (const gchar *text);
