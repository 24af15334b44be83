/* test-peer.c — who is at the other end (signaling/peer.c): the trusted
 * proxy list, X-Forwarded-For, and the text of error answers, as
 * tests/fuzz found them wanting. */
#include "signaling/ks-server.h"

static void
test_listed (void)
{
  g_assert_true (ks_peer_listed ("10.0.0.1, 10.0.0.2", "10.0.0.2"));
  g_assert_false (ks_peer_listed ("10.0.0.1", "10.0.0.3"));
  g_assert_false (ks_peer_listed ("10.0.0.1", "not an address"));
  /* A dual-stack socket names an IPv4 peer as IPv6. */
  g_assert_true (ks_peer_listed ("127.0.0.1", "::ffff:127.0.0.1"));
  /* Found by fuzz-peer: a list naming it so never matched, not even the
   * same text. */
  g_assert_true (ks_peer_listed ("::ffff:127.0.0.1", "::ffff:127.0.0.1"));
  g_assert_true (ks_peer_listed ("::1, ::ffff:10.0.0.9", "10.0.0.9"));
  g_assert_false (ks_peer_listed ("::ffff:10.0.0.9", "::1"));
}

static void
test_forwarded (void)
{
  const struct {
    const gchar *header, *client;
  } cases[] = {
    { "203.0.113.9", "203.0.113.9" },
    /* Only the last entry is the trusted proxy's. */
    { "198.51.100.1, 203.0.113.9", "203.0.113.9" },
    { "203.0.113.9:4711", "203.0.113.9" },
    { "[2001:db8::7]:443", "2001:db8::7" },
    { " 2001:db8::7 ", "2001:db8::7" },
    { "203.0.113.9, unknown", NULL },
    { "", NULL },
    { "[2001:db8::7", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *client = ks_peer_forwarded (cases[i].header);
    g_assert_cmpstr (client, ==, cases[i].client);
  }
}

/* The session cookie is the one called exactly that (found by the HTTP
 * probe: lws_http_cookie_get matched the name as a suffix anywhere). */
static void
test_cookie (void)
{
  const struct {
    const gchar *header, *name, *value;
  } cases[] = {
    { "kontor_session=abc", "kontor_session", "abc" },
    { "a=1; kontor_session=abc; b=2", "kontor_session", "abc" },
    { "a=1;kontor_session=abc", "kontor_session", "abc" },
    { "kontor_session=abc; kontor_session=def", "kontor_session", "abc" },
    { "xkontor_session=abc", "kontor_session", NULL },
    { "a=bkontor_session=abc", "kontor_session", NULL },
    { "__Host-kontor_session=abc", "kontor_session", NULL },
    { "x__Host-kontor_session=abc", "__Host-kontor_session", NULL },
    { "kontor_session=abc", "__Host-kontor_session", NULL },
    { "x=1; __Host-kontor_session=abc", "__Host-kontor_session", "abc" },
    { "kontor_session=", "kontor_session", NULL },
    { "kontor_session", "kontor_session", NULL },
    { "", "kontor_session", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *value = ks_peer_cookie (cases[i].header, cases[i].name);
    g_assert_cmpstr (value, ==, cases[i].value);
  }
}

/* Found by fuzz-http and fuzz-ws: jansson's error texts quote the
 * client's bytes and cut them at 160, so an error message may be no
 * UTF-8; jansson then makes no JSON of it, and the server answered with
 * nothing (HTTP: a crash). */
static void
test_error_text_is_utf8 (void)
{
  g_autoptr (json_t) e = ks_json_error ("bad_message", "near '\xd4'");
  g_assert_nonnull (e);
  const gchar *message = json_string_value (json_object_get (e, "message"));
  g_assert_true (g_utf8_validate (message, -1, NULL));
  g_assert_cmpstr (message, ==, "near '\xef\xbf\xbd'");
  g_autoptr (json_t) plain = ks_json_text ("hei på deg");
  g_assert_cmpstr (json_string_value (plain), ==, "hei på deg");
}

/* The whole origin of a WebSocket handshake must be public_url's: scheme,
 * host and port (default ports implied, case ignored). */
static void
test_origin (void)
{
  static const struct {
    const gchar *origin, *public_url;
    gboolean allowed;
  } cases[] = {
    { "https://kontor.example.org", "https://kontor.example.org", TRUE },
    { "https://KONTOR.example.org:443", "https://kontor.example.org/", TRUE },
    { "https://kontor.example.org", "https://kontor.example.org:8443", FALSE },
    { "http://kontor.example.org", "https://kontor.example.org", FALSE }, /* scheme */
    { "https://kontor.example.org.evil.example", "https://kontor.example.org", FALSE },
    { "https://evil.example", "https://kontor.example.org", FALSE },
    { "https://user@kontor.example.org", "https://kontor.example.org", FALSE },
    { "null", "https://kontor.example.org", FALSE },
    { "", "https://kontor.example.org", FALSE },
    { "kontor.example.org", "https://kontor.example.org", FALSE },
    { "ftp://kontor.example.org", "ftp://kontor.example.org", FALSE },
    /* A developer's machine: any loopback name, same scheme and port. */
    { "http://127.0.0.1:8080", "http://localhost:8080", TRUE },
    { "http://localhost:8080", "http://localhost:8080", TRUE },
    { "http://[::1]:8080", "http://localhost:8080", TRUE },
    { "http://127.0.0.1:9090", "http://localhost:8080", FALSE },
    { "https://localhost:8080", "http://localhost:8080", FALSE },
    { "http://127.0.0.1", "https://kontor.example.org", FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("%s for %s", cases[i].origin, cases[i].public_url);
    g_assert_cmpint (ks_peer_origin_allowed (cases[i].origin, cases[i].public_url), ==,
                     cases[i].allowed);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/peer/listed", test_listed);
  g_test_add_func ("/peer/forwarded", test_forwarded);
  g_test_add_func ("/peer/cookie", test_cookie);
  g_test_add_func ("/peer/origin", test_origin);
  g_test_add_func ("/peer/error-text-is-utf8", test_error_text_is_utf8);
  return g_test_run ();
}
