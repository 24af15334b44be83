/* ks-server.h — the base every file of signaling/ stands on: the server
 * object, what a browser may send at most, and the leaf helpers that call
 * nothing else of signaling/ (json.c, peer.c, invite.c, stats.c).  Not for other
 * modules: they use signaling.h.
 *
 * The layers above it, lowest first; a file calls only into its own layer's
 * headers and those below (signaling/README.md, tests/layers):
 *   ks-client.h, ks-request.h   a WebSocket client; an HTTP request
 *   ks-limits.h                 bounds per socket, rate limits
 *   ks-room.h                   meetings (room.c), then queues (queue.c)
 *   ks-handlers.h               message and route handlers, the lws callbacks */
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
/* A request body must be in this long after its headers: lws restarts its
 * idle timeout with every byte, so a body sent a byte at a time would
 * otherwise hold its connection for ever. */
#define KS_MAX_BODY_S 20
/* What one media participant may send (a page needs a handful of each;
 * renegotiation happens on screen sharing and reconnection). */
#define KS_MAX_MLINES 16
#define KS_MAX_OFFERS 200
#define KS_MAX_CANDIDATES 256
#define KS_MAX_ICE_RESTARTS 20
#define KS_SESSION_COOKIE "kontor_session"
/* Over https the cookie's name carries the __Host- prefix: browsers then
 * keep it only with Secure, Path=/ and no Domain, so no other site of the
 * domain, and no plain-HTTP answer, can set or shadow it. */
#define KS_SESSION_COOKIE_SECURE "__Host-kontor_session"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

/* A log line about one meeting carries its booking id as the field
 * MEETING_ID (a journal field, a key of the JSON line: log.c).  Log no
 * name, contact, reference, code or token: the id is enough to look the
 * rest up where it is kept. */
#define ks_log_meeting(level, booking_id, ...)                                        \
  G_STMT_START                                                                        \
  {                                                                                   \
    gchar ks_meeting_id_[24];                                                         \
    g_snprintf (ks_meeting_id_, sizeof ks_meeting_id_, "%" G_GINT64_FORMAT,           \
                (gint64) (booking_id));                                               \
    g_log_structured (G_LOG_DOMAIN, (level), "MEETING_ID", ks_meeting_id_, "MESSAGE", \
                      __VA_ARGS__);                                                   \
  }                                                                                   \
  G_STMT_END

typedef struct _KsClient KsClient;
typedef struct _KsRoom KsRoom;
typedef struct _KsRequest KsRequest;
typedef struct _KsStats KsStats;

typedef enum { KS_ROLE_NONE, KS_ROLE_SEEKER, KS_ROLE_CASEWORKER, KS_ROLE_INTERPRETER } KsRole;

/* A job seeker came to or left a booking's room: the caseworker's queue
 * shows it.  room.c calls it; server.c points it at queue.c, a layer
 * above room.c, so that the calls between the two run one way. */
typedef void (*KsSeekerMoved) (KsServer *server, gint64 caseworker_id);
/* Another node took the lease on a meeting whose room is open here:
 * server.c points it at room.c (ks_room_evict), which hosts.c may not
 * call. */
typedef void (*KsHostLost) (KsServer *server, gint64 booking_id);
/* The booking of a meeting whose room is open here has ended (status:
 * completed, cancelled, no_show or not_admitted), whoever ended it: the
 * sweep, a cancel, another node.  server.c points it at room.c
 * (ks_room_over). */
typedef void (*KsBookingOver) (KsServer *server, gint64 booking_id, KbStatus status);

struct _KsServer {
  KsConfig *config; /* owned copy */
  KbStore *store;   /* borrowed */
  struct lws_context *context;
  gboolean tls;                /* kontor itself holds the certificate */
  SSL_CTX *ssl_ctx;            /* the vhost's, lws owns it; for a reload (tls.c) */
  gboolean secure;             /* pages come over https: tls, or public_url https (a TLS proxy) */
  const gchar *session_cookie; /* KS_SESSION_COOKIE or, secure, KS_SESSION_COOKIE_SECURE */
  struct lws_protocol_vhost_options headers[7]; /* sent with every answer (server.c) */
  gchar *csp;
  GHashTable *rooms; /* booking id (gint64*) → KsRoom* (owned) */
  GList *clients;    /* KsClient*, every open WebSocket (weak) */
  struct lws_http_mount files_mount;
  guint sweep_source;
  guint keepalive_source; /* pings silent WebSockets, drops vanished ones */
  gboolean sweeping;
  gboolean rechecking;        /* staff.c: a check of caseworker sessions runs */
  gboolean draining;          /* SIGTERM came: no new meetings (ks_server_drain) */
  GCancellable *cancellable;  /* server-wide queries */
  GHashTable *invitations;    /* SHA-256 hex of a token → its invitation (invite.c) */
  GHashTable *ws_per_address; /* client address → open WebSockets (GUINT) */
  GHashTable *ended;          /* booking id (gint64*) → monotonic µs its meeting ended */
  KsSeekerMoved seeker_moved;
  /* hosts.c: several nodes (migration 015) */
  GHashTable *hosted;   /* booking id (gint64*) → its lease here (owned) */
  GArray *renew_sent;   /* gint64 ids of the heartbeat in flight */
  gboolean renewing;    /* a heartbeat is in flight */
  guint heartbeat;      /* source id */
  KbListener *listener; /* LISTEN kontor_queue */
  KsHostLost host_lost;
  KsBookingOver booking_over;
  KsStats *stats; /* stats.c: counters for /metrics (made on first use) */
};

/* ---- json.c: shapes and texts shared by the API and the WebSocket ------ */

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
/* The answer for a KbBookResult / KbBooking: booking, links, calendar. */
json_t *ks_json_booking_with_links (KsServer *server, const KbBooking *booking, const gchar *token);
/* When the database cannot answer now (booking's KB_ERROR_UNAVAILABLE or
 * KB_ERROR_BUSY): the stable code, "db_unavailable" or "busy", that HTTP
 * (with 503) and the WebSocket send, and *message; NULL otherwise. */
const gchar *ks_db_trouble (const GError *error, const gchar **message);
/* RFC 3339 with a zone → µs since the epoch. */
gboolean ks_parse_time (const gchar *text, gint64 *out);
/* A language as the API takes it: two or three lower-case letters. */
gboolean ks_valid_language (const gchar *text);
json_t *ks_json_strv (GStrv v); /* an array of strings ([] for NULL) */
/* The caseworkers of an office (KbCaseworker*): the public listing (name and
 * languages of the active ones) or, full, the administrator's (also e-mail,
 * role and state, and the inactive ones). */
json_t *ks_json_caseworker_list (GPtrArray *list, gboolean full);

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
/* Whether a browser's Origin header may open a WebSocket: the whole origin
 * (scheme, host, port; default ports implied) must be public_url's.  When
 * public_url names this machine (localhost, 127.0.0.1, ::1: a developer's
 * set-up), any loopback name with the same scheme and port will do.  An
 * origin that is no URL ("null", a truncated header) is refused. */
gboolean ks_peer_origin_allowed (const gchar *origin, const gchar *public_url);
/* The value of the cookie called exactly name in a Cookie header (the
 * first, if several), or NULL; transfer full. */
gchar *ks_peer_cookie (const gchar *header, const gchar *name);
/* Copy the session cookie (server->session_cookie) of a request or
 * handshake (NULL if none, or if the connection is gone: wsi NULL). */
gchar *ks_peer_session_cookie (struct lws *wsi);

/* ---- invite.c: interpreter invitations -------------------------------- */

/* The secret of booking_id's one live invitation (transfer full): the same
 * one again, unless renew or there is none; renew revokes the old one. */
gchar *ks_invitation_for (KsServer *server, gint64 booking_id, gboolean renew);
/* The booking an invitation is for, or 0: unknown, revoked, or already
 * held by another socket than holder. */
gint64 ks_invitation_lookup (KsServer *server, const gchar *token, gconstpointer holder);
/* holder came in with the invitation: from now on it is holder's only. */
void ks_invitation_hold (KsServer *server, const gchar *token, gconstpointer holder);
/* holder left: the invitation it held is revoked. */
void ks_invitations_release (KsServer *server, gconstpointer holder);
/* The meeting ended: its invitation is revoked. */
void ks_invitations_forget (KsServer *server, gint64 booking_id);
/* Revokes every invitation whose meeting live() says is over; how many. */
typedef gboolean (*KsInvitationLive) (KsServer *server, gint64 booking_id);
guint ks_invitations_sweep (KsServer *server, KsInvitationLive live);

/* ---- stats.c: what this node counted, for /metrics --------------------- */

typedef enum {
  KS_BOOKING_MADE,
  KS_BOOKING_MOVED,
  KS_BOOKING_CANCELLED_BY_SEEKER,     /* by the personal link */
  KS_BOOKING_CANCELLED_BY_CASEWORKER, /* from the queue */
  KS_N_BOOKING_EVENTS,
} KsBookingEvent;

/* A join was answered with this error code (a code outside the list in
 * stats.c counts as "other"). */
void ks_stats_join_refused (KsServer *server, const gchar *code);
/* A change to a booking succeeded in the database. */
void ks_stats_booking (KsServer *server, KsBookingEvent event);
/* An API answer with status was written for a request whose headers came
 * at started_us (monotonic).  route: a path of the route table (static), or
 * NULL for none; method: "GET", "POST" or "other".  Never a path as sent:
 * the label set must stay bounded and free of anything personal. */
void ks_stats_http (KsServer *server, const gchar *route, const gchar *method, guint status,
                    gint64 started_us);
/* A participant's stats report: adds what grew since before (NULL: its
 * first report) to the relayed bytes and packets. */
void ks_stats_media (KsServer *server, const KmStats *before, const KmStats *now);
/* The counters in the Prometheus text format, HELP and TYPE included. */
void ks_stats_write (KsServer *server, GString *out);
/* One histogram series: name_bucket{labels,le="…"} for each upper bound
 * (counts per bucket, not cumulative), +Inf, name_sum and name_count.
 * labels: `a="x",b="y"`, or "" for none. */
void ks_stats_write_histogram (GString *out, const gchar *name, const gchar *labels,
                               const gdouble *bounds, guint n_bounds, const guint64 *counts,
                               guint64 count, gdouble sum);
void ks_stats_free (KsStats *stats);

/* ---- config.c ---------------------------------------------------------- */

/* The RTCIceServer array a page gets (transfer full): the STUN server, and
 * with_turn (a participant entering a meeting, never /api/v1/config) the
 * TURN server with credentials of its own that expire turn_ttl after
 * now_s (coturn's use-auth-secret), when turn_secret is set. */
json_t *ks_ice_servers (const KsConfig *config, gboolean with_turn, gint64 now_s);
/* A node name as [cluster] node_name and the WebSocket's ?node= take it:
 * 1-64 of letters, digits and . _ : - (what migration 015 accepts). */
gboolean ks_node_name_valid (const gchar *name);
/* coturn's password for a user name: base64 (HMAC-SHA1 (secret, name)). */
gchar *ks_turn_password (const gchar *secret, const gchar *username);

/* ---- tls.c: a new certificate without a restart (SIGHUP) --------------- */

/* Reads cert_path (PEM: the certificate, then its chain) and key_path,
 * checks that the key belongs to the certificate, that it has not expired
 * and that the key type is the running one's, and only then puts them in
 * ctx; on any error ctx is untouched.  Returns a description of the new
 * certificate for the log (transfer full), or NULL with error. */
gchar *ks_tls_install (SSL_CTX *ctx, const gchar *cert_path, const gchar *key_path, GError **error);
