/* ks-private.h — what the files of signaling/ share among themselves.
 * Not for other modules: they use signaling.h. */
#pragma once

#include <jansson.h>
#include <libwebsockets.h>

#include "booking/booking.h"
#include "media/media.h"
#include "signaling/signaling.h"

#define KS_MAX_MESSAGE   (64 * 1024)
#define KS_MAX_SDP       (32 * 1024)
#define KS_MAX_CANDIDATE 1024
#define KS_MAX_BODY      (16 * 1024)
#define KS_SESSION_COOKIE "kontor_session"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

typedef struct _KsClient KsClient;
typedef struct _KsRoom KsRoom;

struct _KsServer {
  KsConfig            *config;      /* owned copy */
  KbStore             *store;       /* borrowed */
  struct lws_context  *context;
  gboolean             tls;
  GHashTable          *rooms;       /* booking id (gint64*) → KsRoom* (owned) */
  GList               *clients;     /* KsClient*, every open WebSocket (weak) */
  gchar               *ice_servers_json; /* RTCIceServer array for pages */
  struct lws_http_mount files_mount;
};

/* ---- ws.c: one WebSocket connection --------------------------------- */

typedef enum { KS_ROLE_NONE, KS_ROLE_SEEKER, KS_ROLE_CASEWORKER } KsRole;

struct _KsClient {
  KsServer     *server;
  struct lws   *wsi;              /* NULL once the socket closed */
  GQueue        outq;             /* gchar* JSON texts waiting to be written */
  GString      *rx;               /* a message being reassembled */
  GCancellable *cancellable;      /* cancelled when the socket closes */
  KsRole        role;
  gboolean      busy;             /* a join/hello is being answered */
  gboolean      closing;          /* close once outq is written */
  gchar        *session_token;    /* caseworker cookie from the handshake */
  KbCaseworker *caseworker;       /* after hello */
  gint64        booking_id;       /* job seeker: the booking joined */
  KsRoom       *room;             /* the meeting this socket is in, if any */
  guint         participant;      /* media participant id while in a room */
  gboolean      queue_pending;    /* a queue query is in flight */
  gboolean      queue_dirty;      /* something changed while it was */
};

/* Queue a message (transfer full of msg) and wake lws to write it. */
void      ks_client_send (KsClient *client, json_t *msg);
/* Send an error {code, message} and, if close, close after it is written. */
void      ks_client_send_error (KsClient *client, const gchar *code,
                                const gchar *message, gboolean close);
KsClient *ks_client_ref (KsClient *client);
void      ks_client_unref (KsClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsClient, ks_client_unref)

int ks_ws_callback (struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len);

/* ---- http.c: the JSON API ------------------------------------------- */

int ks_http_callback (struct lws *wsi, enum lws_callback_reasons reason,
                      void *user, void *in, size_t len);
/* Copy the session cookie of a request (NULL if none). */
gchar *ks_http_session_cookie (struct lws *wsi);

/* ---- room.c: meetings ----------------------------------------------- */

/* The job seeker's socket entered (waiting or, after admission, the
 * meeting).  booking is borrowed. */
void ks_room_seeker_enter (KsServer *server, KsClient *client,
                           const KbBooking *booking, gboolean admitted);
/* The caseworker admitted (or re-entered) booking; both enter the meeting. */
void ks_room_caseworker_enter (KsServer *server, KsClient *client,
                               const KbBooking *booking);
/* The meeting ended (status completed): tell everyone, free the media. */
void ks_room_end (KsServer *server, const KbBooking *booking);
/* The socket left its room (leave or close). */
void ks_room_leave (KsServer *server, KsClient *client);
/* offer / ice from a participant. */
void ks_room_offer (KsServer *server, KsClient *client, const gchar *sdp);
void ks_room_candidate (KsServer *server, KsClient *client, guint mline,
                        const gchar *candidate);
gboolean ks_room_seeker_present (KsServer *server, gint64 booking_id);
gint64   ks_room_caseworker_id (KsRoom *room);
void ks_room_free (KsRoom *room);

/* ---- queue.c: the caseworkers' live queues --------------------------- */

/* Send a fresh queue to every caseworker socket of caseworker_id. */
void ks_queue_changed (KsServer *server, gint64 caseworker_id);
void ks_queue_send (KsServer *server, KsClient *client);
/* {date, bookings[]} for a caseworker's day (bookings: KbBooking*). */
json_t *ks_queue_json (KsServer *server, const KbCaseworker *caseworker,
                       GPtrArray *bookings, gint64 now);

/* ---- json.c: shapes shared by the API and the WebSocket -------------- */

gchar  *ks_json_time (gint64 usec);            /* RFC 3339 UTC or NULL */
json_t *ks_json_time_or_null (gint64 usec);
json_t *ks_json_booking (const KbBooking *booking);
json_t *ks_json_caseworker (const KbCaseworker *caseworker);
json_t *ks_json_error (const gchar *code, const gchar *message);
