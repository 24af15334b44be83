/* ks-request.h — request.c: one HTTP API request, its arguments and body,
 * its session, and its answer.  The route handlers (api-*.c) call it;
 * http.c creates requests and writes the answers. */
#pragma once

#include "signaling/ks-server.h"

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
  gchar **args;        /* without a connection (tests/fuzz): the
                        * query string's name=value parts, as lws
                        * would hand them over */
  gint64 started_us;   /* monotonic, when the headers came (/metrics) */
  const gchar *route;  /* the route table's path, once routed to it */
  const gchar *method; /* "GET", "POST" or, refused, "other" (/metrics) */
};

/* A request on wsi (NULL: without a connection, tests/fuzz); transfer full. */
KsRequest *ks_request_new (KsServer *server, struct lws *wsi);
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
/* Maps booking errors to HTTP answers; FALSE if error is NULL. */
gboolean ks_respond_booking_error (KsRequest *r, const GError *error);
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
