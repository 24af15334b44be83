/* ws.c — the WebSocket lws callback: the handshake (the Origin check), a
 * new client, reassembling frames into messages for handlers.c, writing
 * through client.c, and the close, which takes the client out of its room. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-limits.h"
#include "signaling/ks-room.h"

#include <string.h>

/* ---- the lws callback ----------------------------------------------- */

/* Browsers send Origin with every WebSocket handshake; a page from another
 * site must not ride on a caseworker's cookie.  A handshake without one is
 * no browser's (and carries no browser's cookie).  One that does not fit
 * the copy buffer is refused, not waved through. */
static gboolean
origin_allowed (KsServer *server, struct lws *wsi)
{
  char origin[512];
  int total = lws_hdr_total_length (wsi, WSI_TOKEN_ORIGIN);
  if (total == 0)
    return TRUE;
  if (total < 0 || total >= (int) sizeof origin
      || lws_hdr_copy (wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) != total)
    return FALSE;
  return ks_peer_origin_allowed (origin, server->config->public_url);
}

/* The node a page asked the load balancer for (/ws?node=NAME, after a
 * `moved`): when it is not this one, the balancer could not reach it.
 * Or (?gone=NAME) the node the page could not reach through the balancer
 * at all, which it says so that this node waits for that node's lease to
 * run out rather than send it back there. */
static gchar *
node_hint (struct lws *wsi)
{
  char buf[80];
  const char *value = lws_get_urlarg_by_name (wsi, "node=", buf, sizeof buf);
  if (!value)
    value = lws_get_urlarg_by_name (wsi, "gone=", buf, sizeof buf);
  return value && ks_node_name_valid (value) ? g_strdup (value) : NULL;
}

static void
closed (KsClient *c)
{
  KsServer *server = c->server;
  gint64 booking_id = c->booking_id;

  c->wsi = NULL;
  g_cancellable_cancel (c->cancellable);
  ks_limits_socket_closed (c);
  ks_room_leave (server, c);
  server->clients = g_list_remove (server->clients, c);
  if (booking_id)
    ks_log_meeting (G_LOG_LEVEL_DEBUG, booking_id, "socket closed (booking %" G_GINT64_FORMAT ")",
                    booking_id);
  else
    g_debug ("socket closed");
  ks_client_unref (c);
}

int
ks_ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  KsClient **pss = user;
  KsServer *server = lws_context_user (lws_get_context (wsi));

  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return origin_allowed (server, wsi) ? 0 : 1;

  case LWS_CALLBACK_ESTABLISHED:
    *pss = ks_client_new (server, wsi);
    (*pss)->session_token = ks_peer_session_cookie (wsi);
    (*pss)->peer = ks_peer_address (server, wsi);
    (*pss)->node_hint = node_hint (wsi);
    server->clients = g_list_prepend (server->clients, *pss);
    ks_limits_socket_opened (*pss);
    return 0;

  case LWS_CALLBACK_RECEIVE_PONG:
    if (*pss)
      ks_client_heard (*pss);
    return 0;

  case LWS_CALLBACK_RECEIVE: {
    KsClient *c = *pss;
    if (!c || c->closing)
      return 0;
    ks_client_heard (c);
    if (c->rx->len + len > KS_MAX_MESSAGE) {
      g_string_truncate (c->rx, 0);
      ks_client_send_error (c, "bad_message", "message too large", TRUE);
      return 0;
    }
    if (lws_frame_is_binary (wsi)) {
      ks_client_send_error (c, "bad_message", "binary frames are not used", TRUE);
      return 0;
    }
    g_string_append_len (c->rx, in, (gssize) len);
    if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0) {
      if (ks_limits_message (c))
        ks_ws_dispatch (c, c->rx->str, c->rx->len);
      g_string_truncate (c->rx, 0);
    }
    return 0;
  }

  case LWS_CALLBACK_SERVER_WRITEABLE:
    return *pss ? ks_client_write (*pss) : 0;

  case LWS_CALLBACK_CLOSED:
    if (*pss)
      closed (g_steal_pointer (pss));
    return 0;

  default:
    return 0;
  }
}
