/* fuzz-peer.c — libFuzzer target: the client address behind a reverse
 * proxy (signaling/peer.c): the trusted_proxies list, the TCP peer as lws
 * writes it, and the X-Forwarded-For header, which anyone who reaches the
 * proxy writes the start of.
 *
 * Input: three NUL-separated texts: the list, the peer, the header.
 *
 * Checked besides the sanitizers: the address ks_peer_forwarded returns is
 * one (it parses again, to itself), and a peer is listed when the list is
 * exactly that peer.
 */
#include "signaling/ks-server.h"

#include "tests/fuzz/fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_quiet_logs ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *copy = g_strndup ((const gchar *) data, size);
  gchar *parts[3] = { copy, (gchar *) "", (gchar *) "" };
  /* g_strndup stopped at the first NUL; find the others in data. */
  gsize at = strlen (copy) + 1;
  g_autofree gchar *peer = at < size ? g_strndup ((const gchar *) data + at, size - at) : NULL;
  if (peer) {
    parts[1] = peer;
    at += strlen (peer) + 1;
  }
  g_autofree gchar *xff = at < size ? g_strndup ((const gchar *) data + at, size - at) : NULL;
  if (xff)
    parts[2] = xff;

  gboolean listed = ks_peer_listed (parts[0], parts[1]);
  g_autoptr (GInetAddress) self = g_inet_address_new_from_string (parts[1]);
  if (self && !strchr (parts[1], ',')) {
    FUZZ_CHECK (ks_peer_listed (parts[1], parts[1]), "peer %s is not listed in a list of itself",
                parts[1]);
  }
  (void) listed;

  g_autofree gchar *client = ks_peer_forwarded (parts[2]);
  if (client) {
    g_autoptr (GInetAddress) again = g_inet_address_new_from_string (client);
    FUZZ_CHECK (again, "X-Forwarded-For \"%s\" gave \"%s\", no address", parts[2], client);
    g_autofree gchar *text = g_inet_address_to_string (again);
    FUZZ_CHECK (g_str_equal (text, client), "%s reads back as %s", client, text);
  }
  GInetAddress *a = ks_peer_parse_address (parts[2]);
  g_clear_object (&a);
  return 0;
}
