/* limits.c — bounds on what one WebSocket, one client address and one media
 * participant may hold, so that nobody can make the node spend memory or
 * time without end ([limits] in kontor.conf):
 *
 *   open sockets per address     ws_per_address
 *   messages per socket          ws_messages_per_second (bursts of twice that)
 *   answers queued unread        ws_queue_kib, then the socket is dropped
 *                                (client.c)
 *   time to say who one is       join_timeout, then the socket is closed
 *   per media participant        KS_MAX_MLINES, _OFFERS, _CANDIDATES,
 *                                _ICE_RESTARTS (ks-server.h)
 *
 * A refusal is an error message with a stable code (docs/protocol.md);
 * only what cannot be answered any more (a socket that does not read) is
 * dropped without one. */

#include "signaling/ks-limits.h"

#include <string.h>

/* ---- sockets per address, and the join timer ------------------------- */

static gboolean
join_timeout (gpointer user_data)
{
  KsClient *c = user_data;
  c->join_timer = 0;
  if (c->wsi && c->role == KS_ROLE_NONE && !c->busy)
    ks_client_send_error (c, "join_timeout",
                          "Send join or hello after connecting. Reload the page to try again.",
                          TRUE);
  return G_SOURCE_REMOVE;
}

gboolean
ks_limits_socket_opened (KsClient *client)
{
  KsServer *server = client->server;
  if (!server->ws_per_address)
    server->ws_per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (server->ws_per_address, client->peer));
  g_hash_table_insert (server->ws_per_address, g_strdup (client->peer), GUINT_TO_POINTER (n + 1));
  client->counted = TRUE;
  if (n + 1 > server->config->ws_per_address) {
    g_message ("%s has %u WebSockets open: refusing one more", client->peer, n);
    ks_client_send_error (
        client, "too_many_connections",
        "Too many connections from your network. Close other kontor windows and reload.", TRUE);
    return FALSE;
  }
  client->join_timer =
      g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, server->config->join_timeout_s, join_timeout,
                                  ks_client_ref (client), (GDestroyNotify) ks_client_unref);
  return TRUE;
}

void
ks_limits_socket_closed (KsClient *client)
{
  KsServer *server = client->server;
  if (client->join_timer) {
    g_source_remove (client->join_timer);
    client->join_timer = 0;
  }
  if (!client->counted)
    return;
  client->counted = FALSE;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (server->ws_per_address, client->peer));
  if (n <= 1)
    g_hash_table_remove (server->ws_per_address, client->peer);
  else
    g_hash_table_insert (server->ws_per_address, g_strdup (client->peer), GUINT_TO_POINTER (n - 1));
}

void
ks_limits_joining (KsClient *client)
{
  if (client->join_timer) {
    g_source_remove (client->join_timer);
    client->join_timer = 0;
  }
}

/* ---- messages and queued answers -------------------------------------- */

gboolean
ks_limits_message (KsClient *client)
{
  gdouble rate = client->server->config->ws_messages_per_second;
  gint64 now = g_get_monotonic_time ();
  if (client->msg_updated == 0)
    client->msg_tokens = 2 * rate;
  else
    client->msg_tokens =
        MIN (2 * rate, client->msg_tokens + (now - client->msg_updated) * rate / G_USEC_PER_SEC);
  client->msg_updated = now;
  if (client->msg_tokens >= 1) {
    client->msg_tokens -= 1;
    return TRUE;
  }
  /* Told once a second at most: the answers must not become the flood. */
  if (now - client->limited_told > G_USEC_PER_SEC) {
    client->limited_told = now;
    ks_client_send_error (client, "rate_limited",
                          "Too many messages: some were dropped. Slow down.", FALSE);
  }
  return FALSE;
}

/* ---- per media participant --------------------------------------------- */

static void
count_for_participant (KsClient *client)
{
  if (client->counted_participant == client->participant)
    return;
  client->counted_participant = client->participant;
  client->offers = client->candidates = client->ice_restarts = 0;
  g_clear_pointer (&client->ice_ufrag, g_free);
}

static gchar *
sdp_ufrag (const gchar *sdp)
{
  const gchar *p = strstr (sdp, "a=ice-ufrag:");
  if (!p)
    return NULL;
  p += strlen ("a=ice-ufrag:");
  return g_strndup (p, strcspn (p, "\r\n"));
}

static guint
sdp_mlines (const gchar *sdp)
{
  guint n = g_str_has_prefix (sdp, "m=") ? 1 : 0;
  for (const gchar *p = sdp; (p = strstr (p, "\nm=")); p++)
    n++;
  return n;
}

static gboolean
refuse (KsClient *client, const gchar *code, const gchar *message)
{
  ks_client_send_error (client, code, message, FALSE);
  return FALSE;
}

gboolean
ks_limits_offer_or_reply (KsClient *client, const gchar *sdp)
{
  count_for_participant (client);
  if (sdp_mlines (sdp) > KS_MAX_MLINES)
    return refuse (client, "bad_sdp", "The offer has more media sections than a meeting uses.");
  if (++client->offers > KS_MAX_OFFERS)
    return refuse (client, "limit_exceeded",
                   "Too many renegotiations in this connection. Reload the page.");
  g_autofree gchar *ufrag = sdp_ufrag (sdp);
  if (ufrag && client->ice_ufrag && !g_str_equal (ufrag, client->ice_ufrag)
      && ++client->ice_restarts > KS_MAX_ICE_RESTARTS)
    return refuse (client, "limit_exceeded", "Too many connection restarts. Reload the page.");
  if (ufrag) {
    g_free (client->ice_ufrag);
    client->ice_ufrag = g_steal_pointer (&ufrag);
  }
  return TRUE;
}

gboolean
ks_limits_candidate_or_reply (KsClient *client)
{
  count_for_participant (client);
  if (++client->candidates <= KS_MAX_CANDIDATES)
    return TRUE;
  if (client->candidates == KS_MAX_CANDIDATES + 1)
    refuse (client, "limit_exceeded", "Too many connection candidates; further ones are ignored.");
  return FALSE;
}
