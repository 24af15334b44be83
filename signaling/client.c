/* client.c — one WebSocket client: its life (a reference per reply in
 * flight), its queue of answers, and their writing.  It knows nothing of
 * what messages mean (handlers.c) or of rooms (room.c); they call it.
 *
 * A socket that reads nothing must not make the server hold its answers
 * for ever: past [limits] ws_queue_kib waiting, it is dropped.
 *
 * The keep-alive is kontor's own, not libwebsockets' idle policy: lws 4.1
 * keeps each socket's "validity" timer in one sorted list of every timer,
 * and each ping and pong moved that socket's timer by walking the list, so
 * idle sockets cost CPU with the square of their number (tests/bench,
 * "waiting").  Here a frame costs a clock read, and server.c looks at
 * every socket once per tick. */

#include "signaling/ks-client.h"

#include <string.h>

/* ---- lifetime and sending ------------------------------------------- */

KsClient *
ks_client_new (KsServer *server, struct lws *wsi)
{
  KsClient *c = g_rc_box_new0 (KsClient);
  c->server = server;
  c->wsi = wsi;
  c->detached = wsi == NULL;
  g_queue_init (&c->outq);
  c->rx = g_string_new (NULL);
  c->cancellable = g_cancellable_new ();
  c->heard = g_get_monotonic_time ();
  return c;
}

static void
client_clear (KsClient *c)
{
  g_queue_clear_full (&c->outq, g_free);
  g_string_free (c->rx, TRUE);
  g_object_unref (c->cancellable);
  g_free (c->session_token);
  g_free (c->peer);
  g_free (c->node_hint);
  g_free (c->ice_ufrag);
  g_clear_pointer (&c->caseworker, kb_caseworker_free);
}

KsClient *
ks_client_ref (KsClient *client)
{
  return g_rc_box_acquire (client);
}

void
ks_client_unref (KsClient *client)
{
  g_rc_box_release_full (client, (GDestroyNotify) client_clear);
}

/* bytes more are queued for the socket: FALSE when that passes the cap
 * (the socket is then being dropped). */
static gboolean
queue_fits (KsClient *client, gsize bytes)
{
  client->queued_bytes += bytes;
  if (client->queued_bytes <= (gsize) client->server->config->ws_queue_kib * 1024)
    return TRUE;
  g_message ("a socket of %s reads nothing (%" G_GSIZE_FORMAT " bytes waiting): dropping it",
             client->peer, client->queued_bytes);
  /* It reads nothing, so a closing handshake would never get through. */
  client->closing = TRUE;
  lws_set_timeout (client->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  return FALSE;
}

void
ks_client_send (KsClient *client, json_t *msg)
{
  if ((!client->wsi && !client->detached) || client->closing) {
    json_decref (msg);
    return;
  }
  gchar *text = msg ? json_dumps (msg, JSON_COMPACT) : NULL;
  json_decref (msg);
  if (!text) {
    /* A message jansson could not make (a bug): nothing to queue. */
    g_critical ("a message that is no JSON was not sent");
    return;
  }
  if (!queue_fits (client, strlen (text))) {
    g_free (text);
    return;
  }
  g_queue_push_tail (&client->outq, text);
  if (client->wsi)
    lws_callback_on_writable (client->wsi);
}

void
ks_client_send_error (KsClient *client, const gchar *code, const gchar *message, gboolean close)
{
  ks_client_send (client, ks_json_error (code, message));
  if (close && (client->wsi || client->detached))
    client->closing = TRUE;
}

/* The end of every asynchronous reply: FALSE when the socket is gone, or
 * is closing (replaced by another tab, or refused), and the reply should be
 * dropped.  A closing socket must not act: an admit answered after its tab
 * was replaced would take the seat back from the newer tab. */
gboolean
ks_client_still_open (KsClient *client, const GError *error)
{
  return client->wsi != NULL && !client->closing
         && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- keep-alive ------------------------------------------------------ */

void
ks_client_heard (KsClient *client)
{
  client->heard = g_get_monotonic_time ();
  client->pinged = FALSE;
}

/* The ping is sent at most once per silence: TCP delivers it or the
 * connection breaks, and a peer that gets it answers at once (browsers do,
 * by themselves).  Silent to the end, with or without it, means gone. */
gboolean
ks_client_keepalive (KsClient *client, gint64 now)
{
  gint64 silent = now - client->heard;
  if (!client->wsi)
    return FALSE;
  if (silent >= KS_HANGUP_AFTER_S * G_USEC_PER_SEC) {
    g_message ("a socket of %s was silent for %" G_GINT64_FORMAT " s: dropping it", client->peer,
               silent / G_USEC_PER_SEC);
    /* No closing handshake: its peer is not there to answer. */
    client->closing = TRUE;
    lws_set_timeout (client->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return TRUE;
  }
  if (silent >= KS_PING_AFTER_S * G_USEC_PER_SEC && !client->pinged) {
    client->pinged = TRUE;
    client->ping_due = TRUE;
    lws_callback_on_writable (client->wsi);
  }
  return FALSE;
}

/* ---- writing -------------------------------------------------------- */

int
ks_client_write (KsClient *c)
{
  if (c->ping_due) {
    c->ping_due = FALSE;
    /* lws passes up only pongs that carry something (and a pong carries
     * back what its ping did). */
    guchar buf[LWS_PRE + 1];
    buf[LWS_PRE] = 'k';
    if (lws_write (c->wsi, buf + LWS_PRE, 1, LWS_WRITE_PING) < 1)
      return -1;
  } else if (!g_queue_is_empty (&c->outq)) {
    gchar *text = g_queue_pop_head (&c->outq);
    gsize n = strlen (text);
    c->queued_bytes -= MIN (n, c->queued_bytes);
    g_autofree guchar *buf = g_malloc (LWS_PRE + n);
    memcpy (buf + LWS_PRE, text, n);
    g_free (text);
    if (lws_write (c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int) n)
      return -1;
  }
  if (!g_queue_is_empty (&c->outq)) {
    lws_callback_on_writable (c->wsi);
    return 0;
  }
  if (c->closing) {
    lws_close_reason (c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
    return -1;
  }
  return 0;
}
