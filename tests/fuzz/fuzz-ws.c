/* fuzz-ws.c — libFuzzer target: every WebSocket message handler, as a
 * socket's messages reach them (signaling/ws.c, through ks_ws_dispatch on
 * a client without a socket, ks_client_new with no wsi).
 *
 * Input: one byte saying who the socket is (not joined yet, a job seeker,
 * or an interpreter, none of them in a room), then messages separated by
 * the byte 0x1e, each handled in turn until one closes the socket, as
 * LWS_CALLBACK_RECEIVE would.
 *
 * This fuzzes the validation layer: JSON parsing, the strict shape of each
 * type, sizes and ranges, the role and room checks.  What comes after
 * validation needs the database or a meeting, and the target stops before
 * either, with no fake: the socket is never a caseworker (whose admit, end
 * and no_show would query) and has no session cookie (hello would query);
 * the server's rate limits are 0 (a state the configuration cannot
 * express), so a well-formed join stops at rate_limited, where the next
 * step would be the query.  tests/fuzz/fuzz_server.py sends mutated
 * messages to a real server with a real database for the rest.
 *
 * Checked besides the sanitizers: every reply queued is a JSON object with
 * a "type" (an error with a "code" and a "message"), and every message
 * that is not a leave gets exactly one reply.
 */
#include "tests/fuzz/fuzz-signaling.h"

/* The replies to one message: how many, each checked. */
static guint
replies (KsClient *client)
{
  guint n = 0;
  while (!g_queue_is_empty (&client->outq)) {
    /* A reply jansson could not make is a critical in ks_client_send
     * (fatal here); before, a NULL was queued. */
    gchar *text = g_queue_pop_head (&client->outq);
    FUZZ_CHECK (text, "a reply could not be built");
    json_error_t err;
    g_autoptr (json_t) msg = json_loads (text, 0, &err);
    FUZZ_CHECK (json_is_object (msg), "reply is no JSON object: %s", text);
    const gchar *type = json_string_value (json_object_get (msg, "type"));
    FUZZ_CHECK (type, "reply without a type: %s", text);
    if (g_str_equal (type, "error"))
      FUZZ_CHECK (json_is_string (json_object_get (msg, "code"))
                      && json_is_string (json_object_get (msg, "message")),
                  "error without code or message: %s", text);
    g_free (text);
    n++;
  }
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  static const KsRole roles[] = { KS_ROLE_NONE, KS_ROLE_SEEKER, KS_ROLE_INTERPRETER };
  KsClient *client = ks_client_new (server, NULL);
  client->role = roles[fuzz_u8 (&in) % G_N_ELEMENTS (roles)];
  client->peer = g_strdup ("192.0.2.7");
  if (client->role != KS_ROLE_NONE)
    client->booking_id = 1;

  while (fuzz_more (&in) && !client->closing) {
    const guint8 *end = memchr (in.data, 0x1e, in.size);
    gsize n = end ? (gsize) (end - in.data) : in.size;
    gsize len;
    const guint8 *text = fuzz_bytes (&in, n, &len);
    fuzz_u8 (&in); /* the separator */
    if (len > KS_MAX_MESSAGE)
      continue;
    /* As ws.c reassembles it: in a GString, so NUL-terminated, but the
     * length is what counts (the text may hold NULs). */
    g_autofree gchar *copy = g_malloc (len + 1);
    memcpy (copy, text, len);
    copy[len] = '\0';
    /* A leave from a socket that joined is the one message without a
     * reply. */
    g_autoptr (json_t) msg = json_loadb (copy, len, JSON_REJECT_DUPLICATES, NULL);
    gboolean leave = client->role != KS_ROLE_NONE && json_object_size (msg) == 1
                     && g_strcmp0 (json_string_value (json_object_get (msg, "type")), "leave") == 0;
    ks_ws_dispatch (client, copy, len);
    guint n_replies = replies (client);
    FUZZ_CHECK (n_replies == (leave ? 0 : 1), "%u replies to %s", n_replies,
                leave ? "a leave" : "a message");
  }
  ks_client_unref (client);
  return 0;
}
