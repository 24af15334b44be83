/* ks-limits.h — bounds: what one socket or address may hold (limits.c)
 * and how often an address may try (ratelimit.c). */
#pragma once

#include "signaling/ks-client.h"
#include "signaling/ks-request.h"

/* ---- limits.c --------------------------------------------------------- */

/* A new socket: counts it for its address and starts its join timer.
 * FALSE when its address has too many open: it has been told and closes. */
gboolean ks_limits_socket_opened (KsClient *client);
void ks_limits_socket_closed (KsClient *client);
/* The socket sent join or hello: its join timer stops. */
void ks_limits_joining (KsClient *client);
/* One more message from the socket: FALSE (and it has been told, at most
 * once a second) when it sends faster than allowed. */
gboolean ks_limits_message (KsClient *client);
/* An offer or candidate from a media participant; on FALSE it has answered. */
gboolean ks_limits_offer_or_reply (KsClient *client, const gchar *sdp);
gboolean ks_limits_candidate_or_reply (KsClient *client);

/* ---- ratelimit.c ------------------------------------------------------ */

typedef enum {
  KS_RATE_LOGIN,     /* per client address (IPv6: per /64) */
  KS_RATE_BOOK,      /* per client address */
  KS_RATE_LINK,      /* lookups by link or kiosk code, per client address */
  KS_RATE_PUBLIC,    /* public GETs, per client address */
  KS_RATE_REFERENCE, /* kiosk lookups per booking reference, in any case */
  KS_RATE_RESEND     /* "I lost my link", by the hour: per booking
                      * reference, per contact and per client address,
                      * the subject "reference|R", "contact|C" or
                      * "address|A" (A as for the others, IPv6 per /64) */
} KsRateAction;
/* FALSE when subject (a client address, or for KS_RATE_REFERENCE a
 * booking reference) has used up its allowance for action.  Each action
 * counts apart from the others. */
gboolean ks_rate_allow (KsServer *server, KsRateAction action, const gchar *subject);
/* The public lookups' limit per address; on FALSE it has answered 429. */
gboolean ks_public_rate_or_reply (KsRequest *r);
/* Seconds an account must wait before its next log-in try (0: none), and
 * the outcome of a try, which sets that wait. */
guint ks_login_wait (const gchar *email);
void ks_login_result (const gchar *email, gboolean ok);
