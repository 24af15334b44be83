/* ks-client.h — client.c: one WebSocket client, its life, its queue of
 * answers and their writing.  It knows nothing of what the messages mean
 * (handlers.c) or of rooms (room.c): those call it, never the other way. */
#pragma once

#include "signaling/ks-server.h"

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
  guint leaves_at_join;   /* leaves when the join in flight was sent (so is a join) */
  /* bounds (client.c: the queue; limits.c: the rest) */
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
  gchar *node_hint;  /* the node the page asked for (?node=), if any */
  /* keep-alive (client.c): a peer that vanished is found by its silence */
  gint64 heard;      /* monotonic µs of the last frame from it (a pong too) */
  gboolean pinged;   /* a ping went out (or waits) since then */
  gboolean ping_due; /* the next write is that ping */
};

/* A client for a socket that just opened (wsi), or (wsi NULL) the seam
 * tests/fuzz/fuzz-ws.c uses: a client with no socket, whose replies stay
 * in its outq (it is never listed in server->clients).  Transfer full. */
KsClient *ks_client_new (KsServer *server, struct lws *wsi);
KsClient *ks_client_ref (KsClient *client);
void ks_client_unref (KsClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsClient, ks_client_unref)

/* Queue a message (transfer full of msg) and wake lws to write it.  Past
 * [limits] ws_queue_kib waiting, the socket reads nothing: it is dropped. */
void ks_client_send (KsClient *client, json_t *msg);
/* Send an error {code, message} and, if close, close after it is written. */
void ks_client_send_error (KsClient *client, const gchar *code, const gchar *message,
                           gboolean close);
/* A frame (a message, a part of one, or a pong) came from the socket. */
void ks_client_heard (KsClient *client);
/* The keep-alive's look at one socket at now (monotonic µs): one silent
 * for KS_PING_AFTER_S is pinged once, one silent for KS_HANGUP_AFTER_S is
 * dropped (its peer vanished: a closed laptop lid, a lost network): TRUE
 * then, and the caller must wake lws (lws_cancel_service) for the drop to
 * happen now.  server.c calls it for every open socket every
 * KS_KEEPALIVE_TICK_S. */
gboolean ks_client_keepalive (KsClient *client, gint64 now);
#define KS_PING_AFTER_S 20
#define KS_HANGUP_AFTER_S 45
#define KS_KEEPALIVE_TICK_S 5
/* lws says the socket is writable: write the keep-alive's ping if one is
 * due, else one queued message.  -1 when the
 * socket is to close (its last message written, or a write failed). */
int ks_client_write (KsClient *client);
/* The end of every asynchronous reply: FALSE when the socket is gone, or
 * is closing (replaced by another tab, or refused), and the reply should be
 * dropped. */
gboolean ks_client_still_open (KsClient *client, const GError *error);
