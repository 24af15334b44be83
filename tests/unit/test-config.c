/* test-config.c — kontor.conf and KONTOR_* overrides: what a setting
 * becomes, which source wins, and how mistakes are reported. */
#include "signaling/ks-server.h"
#include "signaling/signaling.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gchar *
write_conf (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("kontor-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  return path;
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  gchar *env[] = { NULL };
  g_autoptr (KsConfig) c = ks_config_load (NULL, env, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->port, ==, 8080);
  g_assert_cmpstr (c->listen_address, ==, "0.0.0.0");
  g_assert_cmpuint (c->ice_port_min, ==, 40000);
  g_assert_cmpuint (c->ice_port_max, ==, 40999);
  g_assert_cmpuint (c->pool_size, ==, 4);
  g_assert_cmpuint (c->db_max_waiting, ==, 200);
  g_assert_cmpuint (c->db_statement_timeout_ms, ==, 5000);
  g_assert_cmpstr (c->database, ==, "");
  g_assert_cmpstr (c->public_url, ==, "http://localhost:8080");
  g_assert_cmpstr (c->video_codec, ==, "vp8");
}

static void
test_file_then_environment (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = write_conf ("[server]\nport = 9000\n"
                                       "[database]\nconninfo = dbname=a\n"
                                       "[media]\nice_port_min = 41000\nice_port_max = 41100\n"
                                       "stun_server = stun:stun.example.org:3478\n");
  gchar *env[] = { "KONTOR_DATABASE=dbname=b", "KONTOR_ICE_PORT_MAX=41200",
                   "KONTOR_VIDEO_CODEC=h264", NULL };
  g_autoptr (KsConfig) c = ks_config_load (path, env, &error);
  g_unlink (path);
  g_assert_no_error (error);
  g_assert_cmpuint (c->port, ==, 9000);          /* from the file */
  g_assert_cmpstr (c->database, ==, "dbname=b"); /* env wins */
  g_assert_cmpuint (c->ice_port_min, ==, 41000);
  g_assert_cmpuint (c->ice_port_max, ==, 41200);
  g_assert_cmpstr (c->stun_server, ==, "stun:stun.example.org:3478");
  g_assert_cmpstr (c->video_codec, ==, "h264");
  g_assert_cmpstr (c->public_url, ==, "http://localhost:9000");
}

static void
assert_refused (const gchar *file_text, gchar **env, const gchar *expected_words)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = file_text ? write_conf (file_text) : NULL;
  g_autoptr (KsConfig) c = ks_config_load (path, env, &error);
  if (path)
    g_unlink (path);
  g_assert_null (c);
  g_assert_nonnull (error);
  if (!strstr (error->message, expected_words))
    g_error ("message \"%s\" does not mention \"%s\"", error->message, expected_words);
}

static void
test_mistakes_are_named (void)
{
  gchar *none[] = { NULL };
  gchar *bad_port[] = { "KONTOR_PORT=80x", NULL };
  gchar *zero_port[] = { "KONTOR_PORT=0", NULL };
  gchar *big_port[] = { "KONTOR_ICE_PORT_MAX=70000", NULL };
  gchar *pool[] = { "KONTOR_DB_POOL_SIZE=0", NULL };
  gchar *waiting[] = { "KONTOR_DB_MAX_WAITING=0", NULL };
  gchar *timeout[] = { "KONTOR_DB_STATEMENT_TIMEOUT_MS=10", NULL };
  gchar *tls[] = { "KONTOR_TLS_CERT=/x.pem", NULL };
  gchar *stun[] = { "KONTOR_STUN_SERVER=http://x", NULL };
  gchar *proxy[] = { "KONTOR_TRUSTED_PROXIES=10.0.0.1, proxy.example", NULL };
  gchar *codec[] = { "KONTOR_VIDEO_CODEC=vp9", NULL };
  gchar *metrics[] = { "KONTOR_METRICS_TOKEN=short", NULL };
  gchar *turn_secret[] = { "KONTOR_TURN_SECRET=0123456789abcdef-shared", NULL };
  gchar *turn_ttl[] = { "KONTOR_TURN_TTL=5", NULL };

  assert_refused (NULL, bad_port, "KONTOR_PORT");
  assert_refused (NULL, zero_port, "port");
  assert_refused (NULL, big_port, "70000");
  assert_refused (NULL, pool, "pool_size");
  assert_refused (NULL, waiting, "max_waiting");
  assert_refused (NULL, timeout, "time in milliseconds (100-3600000)");
  assert_refused (NULL, tls, "tls_key");
  assert_refused (NULL, stun, "stun:");
  assert_refused (NULL, proxy, "trusted_proxies \"10.0.0.1, proxy.example\" must be IP addresses");
  assert_refused (NULL, codec, "video_codec \"vp9\"");
  assert_refused (NULL, metrics, "metrics_token must be 16-256 characters (it is 5)");
  assert_refused (NULL, turn_secret, "turn_secret must be 16-256 characters, with turn_server set");
  assert_refused (NULL, turn_ttl, "turn_ttl 5 must be 60-86400 seconds");
  assert_refused ("[server]\nprot = 1\n", none, "unknown setting [server] prot");
  assert_refused ("[media]\nice_port_min = 5000\nice_port_max = 4000\n", none, "above");
  assert_refused ("[server\n", none, "");
}

static void
test_help_lists_every_variable (void)
{
  const gchar *help = ks_config_help ();
  const gchar *vars[] = { "KONTOR_LISTEN_ADDRESS", "KONTOR_PORT",
                          "KONTOR_WEB_ROOT",       "KONTOR_DATABASE",
                          "KONTOR_ICE_PORT_MIN",   "KONTOR_ICE_PORT_MAX",
                          "KONTOR_STUN_SERVER",    "KONTOR_TURN_SERVER",
                          "KONTOR_PUBLIC_ADDRESS", "KONTOR_TRUSTED_PROXIES",
                          "KONTOR_VIDEO_CODEC",    "KONTOR_ICE_ADDRESS",
                          "KONTOR_DB_MAX_WAITING", "KONTOR_DB_STATEMENT_TIMEOUT_MS",
                          "KONTOR_METRICS_TOKEN" };
  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    g_assert_nonnull (strstr (help, vars[i]));
}

/* Pages never see TURN credentials that do not expire: /api/v1/config
 * gives STUN only, a participant entering a meeting gets a user name that
 * is the expiry and coturn's HMAC of it as the password. */
static void
test_turn_credentials (void)
{
  gchar *env[] = { "KONTOR_STUN_SERVER=stun:stun.example.org:3478",
                   "KONTOR_TURN_SERVER=turn:relayuser:relaysecret@turn.example.org:3478",
                   "KONTOR_TURN_SECRET=0123456789abcdef-shared", "KONTOR_TURN_TTL=600", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (KsConfig) c = ks_config_load (NULL, env, &error);
  g_assert_no_error (error);

  g_autoptr (json_t) public = ks_ice_servers (c, FALSE, 1000000);
  g_assert_cmpuint (json_array_size (public), ==, 1);
  g_assert_cmpstr (json_string_value (json_object_get (json_array_get (public, 0), "urls")), ==,
                   "stun:stun.example.org:3478");

  g_autoptr (json_t) meeting = ks_ice_servers (c, TRUE, 1000000);
  json_t *turn = json_array_get (meeting, 1);
  g_assert_cmpstr (json_string_value (json_object_get (turn, "urls")), ==,
                   "turn:turn.example.org:3478");
  g_assert_cmpstr (json_string_value (json_object_get (turn, "username")), ==, "1000600:kontor");
  /* printf 1000600:kontor | openssl dgst -sha1 -hmac 0123456789abcdef-shared -binary | base64 */
  g_assert_cmpstr (json_string_value (json_object_get (turn, "credential")), ==,
                   "NK+u4yv0XQr+hTzi1Qsf1JPtmXY=");
  g_autofree gchar *text = json_dumps (meeting, 0);
  g_assert_null (strstr (text, "relaysecret"));

  /* Without a shared secret a page gets no TURN at all, not the relay's own. */
  gchar *no_secret[] = { "KONTOR_TURN_SERVER=turn:relayuser:relaysecret@turn.example.org:3478",
                         NULL };
  g_autoptr (KsConfig) d = ks_config_load (NULL, no_secret, &error);
  g_assert_no_error (error);
  g_autoptr (json_t) none = ks_ice_servers (d, TRUE, 1000000);
  g_assert_cmpuint (json_array_size (none), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/file-then-environment", test_file_then_environment);
  g_test_add_func ("/config/mistakes-are-named", test_mistakes_are_named);
  g_test_add_func ("/config/help-lists-every-variable", test_help_lists_every_variable);
  g_test_add_func ("/config/turn-credentials", test_turn_credentials);
  return g_test_run ();
}
