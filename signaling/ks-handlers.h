/* ks-handlers.h — the top of signaling/: what answers a WebSocket message
 * (handlers.c) or an API request (api-*.c, metrics.c), and the two lws
 * callbacks server.c registers (ws.c, http.c), which call them. */
#pragma once

#include "signaling/ks-client.h"
#include "signaling/ks-request.h"

/* ---- handlers.c: WebSocket messages ----------------------------------- */

/* One complete message from client, validated and handled (also the seam
 * tests/fuzz/fuzz-ws.c uses, with a client without a socket). */
void ks_ws_dispatch (KsClient *client, const gchar *text, gsize len);

/* ---- route handlers (http.c holds the table; docs/openapi.yaml) ------- */

void ks_api_config (KsRequest *r);            /* api-config.c */
void ks_api_login (KsRequest *r);             /* api-session.c */
void ks_api_logout (KsRequest *r);            /* api-session.c */
void ks_api_me (KsRequest *r);                /* api-session.c */
void ks_api_queue (KsRequest *r);             /* api-queue.c */
void ks_api_queue_cancel (KsRequest *r);      /* api-queue.c */
void ks_api_queue_kiosk_code (KsRequest *r);  /* api-queue.c */
void ks_api_booking (KsRequest *r);           /* api-booking.c */
void ks_api_calendar (KsRequest *r);          /* api-booking.c */
void ks_api_cancel (KsRequest *r);            /* api-booking.c */
void ks_api_move (KsRequest *r);              /* api-booking.c */
void ks_api_resend_link (KsRequest *r);       /* api-booking.c */
void ks_api_calendar_feed (KsRequest *r);     /* api-feed.c */
void ks_api_feed (KsRequest *r);              /* api-feed.c */
void ks_api_book (KsRequest *r);              /* api-bookings.c */
void ks_api_slots (KsRequest *r);             /* api-slots.c */
void ks_api_offices (KsRequest *r);           /* api-catalog.c */
void ks_api_services (KsRequest *r);          /* api-catalog.c */
void ks_api_caseworkers (KsRequest *r);       /* api-catalog.c */
void ks_api_admin (KsRequest *r);             /* api-admin.c */
void ks_api_admin_list (KsRequest *r);        /* api-admin-read.c */
void ks_api_admin_caseworkers (KsRequest *r); /* api-admin-read.c */
void ks_api_admin_stats (KsRequest *r);       /* api-admin-read.c */
void ks_api_admin_audit (KsRequest *r);       /* api-audit.c */
void ks_api_metrics (KsRequest *r);           /* metrics.c */
void ks_api_healthz (KsRequest *r);           /* api-health.c */
void ks_api_readyz (KsRequest *r);            /* api-health.c */

/* ---- the lws callbacks ------------------------------------------------- */

int ks_ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len); /* ws.c */
int ks_http_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len); /* http.c */
/* Runs the handler of r->path and r->post (the route table), or answers
 * 404/405; what LWS_CALLBACK_HTTP does once the request is complete.
 * tests/fuzz/fuzz-http.c calls it on requests without a connection. */
void ks_http_route (KsRequest *r);
