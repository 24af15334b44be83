/* config.c — kontor.conf (GKeyFile) plus KONTOR_* environment overrides.
 *
 * Every setting is described once, in the table below: its group and key,
 * its environment variable, its kind and its default.  Loading, the help
 * text and validation all read that table, so they cannot disagree.
 */

#include "signaling/ks-server.h"

#include <gio/gio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The quark's name is the first argument, spaces and all. */
/* clang-format off */
G_DEFINE_QUARK (ks-error-quark, ks_error)
/* clang-format on */

typedef enum {
  KIND_STRING,
  KIND_PORT,
  KIND_UINT,
  KIND_INT64,
  KIND_RATE,
  KIND_DAYS,
  KIND_COUNT,
  KIND_MS
} Kind;

typedef struct {
  const gchar *group;
  const gchar *key;
  const gchar *env;
  Kind kind;
  gsize offset;
  const gchar *fallback;
  const gchar *help;
} Setting;

#define F(field) G_STRUCT_OFFSET (KsConfig, field)

static const Setting settings[] = {
  { "server", "listen_address", "KONTOR_LISTEN_ADDRESS", KIND_STRING, F (listen_address), "0.0.0.0",
    "address to listen on for HTTP and WebSocket" },
  { "server", "port", "KONTOR_PORT", KIND_PORT, F (port), "8080", "TCP port to listen on" },
  { "server", "web_root", "KONTOR_WEB_ROOT", KIND_STRING, F (web_root), KONTOR_DEFAULT_WEB_ROOT,
    "folder with the pages (web/)" },
  { "server", "public_url", "KONTOR_PUBLIC_URL", KIND_STRING, F (public_url), "",
    "URL people use to reach kontor, for links (default: http://localhost:PORT)" },
  { "server", "tls_cert", "KONTOR_TLS_CERT", KIND_STRING, F (tls_cert), "",
    "PEM certificate (then its chain); with tls_key, serve HTTPS/WSS and mark cookies Secure; SIGHUP reads both again" },
  { "server", "tls_key", "KONTOR_TLS_KEY", KIND_STRING, F (tls_key), "",
    "PEM private key for tls_cert" },
  { "server", "clock_offset", "KONTOR_CLOCK_OFFSET", KIND_INT64, F (clock_offset_s), "0",
    "seconds added to the real time (demos and tests only)" },
  { "server", "trusted_proxies", "KONTOR_TRUSTED_PROXIES", KIND_STRING, F (trusted_proxies), "",
    "addresses of reverse proxies (comma-separated IPs) whose X-Forwarded-For names the client, for rate limits; empty: none" },
  { "server", "drain_timeout", "KONTOR_DRAIN_TIMEOUT", KIND_COUNT, F (drain_timeout_s), "3600",
    "on SIGTERM, seconds the meetings in progress may go on before kontor stops anyway (a second SIGTERM or SIGINT stops at once)" },
  { "server", "metrics_token", "KONTOR_METRICS_TOKEN", KIND_STRING, F (metrics_token), "",
    "secret that monitoring sends to read /metrics (Authorization: Bearer ...), 16-256 characters; empty: /metrics is off" },
  { "server", "log_format", "KONTOR_LOG_FORMAT", KIND_STRING, F (log_format), "auto",
    "where log lines go: auto (the journal's fields under systemd, text on a terminal, else json), json (one JSON object per line on stderr) or text" },
  { "database", "conninfo", "KONTOR_DATABASE", KIND_STRING, F (database), "",
    "libpq connection string, e.g. \"host=/run/postgresql dbname=kontor\"" },
  { "database", "migrate_conninfo", "KONTOR_MIGRATE_DATABASE", KIND_STRING, F (migrate_database),
    "",
    "libpq connection string for `kontor migrate` and `kontor demo`, as the schema's owner (default: conninfo); the server itself needs no DDL rights" },
  { "database", "pool_size", "KONTOR_DB_POOL_SIZE", KIND_UINT, F (pool_size), "4",
    "database connections kept open (1-64)" },
  { "database", "max_waiting", "KONTOR_DB_MAX_WAITING", KIND_COUNT, F (db_max_waiting), "200",
    "queries that may wait for a free connection; past it a request is answered 503 busy at once (1-1000000)" },
  { "database", "statement_timeout_ms", "KONTOR_DB_STATEMENT_TIMEOUT_MS", KIND_MS,
    F (db_statement_timeout_ms), "5000",
    "PostgreSQL statement_timeout of every connection (100-3600000); kontor itself gives up 2 s later" },
  { "media", "ice_port_min", "KONTOR_ICE_PORT_MIN", KIND_PORT, F (ice_port_min), "40000",
    "lowest UDP port for WebRTC media" },
  { "media", "ice_port_max", "KONTOR_ICE_PORT_MAX", KIND_PORT, F (ice_port_max), "40999",
    "highest UDP port for WebRTC media" },
  { "media", "stun_server", "KONTOR_STUN_SERVER", KIND_STRING, F (stun_server), "",
    "STUN URL given to browsers and the relay, e.g. stun:stun.example.org:3478" },
  { "media", "turn_server", "KONTOR_TURN_SERVER", KIND_STRING, F (turn_server), "",
    "TURN URL, e.g. turn:turn.example.org:3478 (a user:secret@ in it is for the relay alone: pages never get it)" },
  { "media", "turn_secret", "KONTOR_TURN_SECRET", KIND_STRING, F (turn_secret), "",
    "coturn's static-auth-secret: a page in a meeting gets TURN credentials of its own that expire (16-256 characters); empty: pages get no TURN" },
  { "media", "turn_ttl", "KONTOR_TURN_TTL", KIND_COUNT, F (turn_ttl_s), "14400",
    "seconds a page's TURN credentials last (60-86400)" },
  { "media", "public_address", "KONTOR_PUBLIC_ADDRESS", KIND_STRING, F (public_address), "",
    "IPv4 address the relay advertises when behind 1:1 NAT" },
  { "media", "ice_address", "KONTOR_ICE_ADDRESS", KIND_STRING, F (ice_address), "",
    "local IP addresses (comma-separated) the relay offers media on; empty: every address of the machine" },
  { "media", "video_codec", "KONTOR_VIDEO_CODEC", KIND_STRING, F (video_codec), "vp8",
    "video codec a meeting starts with when its first browser offers both: vp8 or h264 "
    "(no transcoding: later browsers must offer it too)" },
  { "limits", "login_per_minute", "KONTOR_LOGIN_PER_MINUTE", KIND_RATE, F (login_per_minute), "10",
    "login attempts per client address and minute" },
  { "limits", "book_per_minute", "KONTOR_BOOK_PER_MINUTE", KIND_RATE, F (book_per_minute), "10",
    "new bookings per client address and minute" },
  { "limits", "link_per_minute", "KONTOR_LINK_PER_MINUTE", KIND_RATE, F (link_per_minute), "60",
    "lookups by booking link or kiosk code per client address and minute" },
  { "limits", "public_per_minute", "KONTOR_PUBLIC_PER_MINUTE", KIND_RATE, F (public_per_minute),
    "300",
    "public lookups (offices, services, caseworkers, free times) per client address and minute" },
  { "limits", "lost_link_per_hour", "KONTOR_LOST_LINK_PER_HOUR", KIND_RATE, F (lost_link_per_hour),
    "5",
    "\"I lost my link\" requests an hour per booking reference, per contact and per client address" },
  { "limits", "login_concurrency", "KONTOR_LOGIN_CONCURRENCY", KIND_UINT, F (login_concurrency),
    "2",
    "password checks (argon2id, 64 MiB each) run at once; 16 times as many wait, more get 503 busy (1-64)" },
  { "limits", "ws_per_address", "KONTOR_WS_PER_ADDRESS", KIND_COUNT, F (ws_per_address), "64",
    "open WebSockets per client address (a service office behind one NAT shares it)" },
  { "limits", "ws_messages_per_second", "KONTOR_WS_MESSAGES_PER_SECOND", KIND_COUNT,
    F (ws_messages_per_second), "20",
    "WebSocket messages per socket and second (bursts of twice as many), chat included" },
  { "limits", "ws_queue_kib", "KONTOR_WS_QUEUE_KIB", KIND_COUNT, F (ws_queue_kib), "1024",
    "KiB of answers queued for a socket that does not read; past it the socket is dropped" },
  { "limits", "join_timeout", "KONTOR_JOIN_TIMEOUT", KIND_COUNT, F (join_timeout_s), "30",
    "seconds a new WebSocket has to send join or hello before it is closed" },
  { "limits", "max_live_bookings_per_contact", "KONTOR_MAX_LIVE_BOOKINGS", KIND_UINT,
    F (contact_cap), "3", "upcoming bookings one e-mail or phone may hold (1-64)" },
  { "cluster", "node_name", "KONTOR_NODE_NAME", KIND_STRING, F (node_name), "",
    "this node's name, unique among the nodes sharing the database and the one the load balancer's server line carries (letters, digits, . _ : -; default: HOSTNAME-PORT)" },
  { "cluster", "lease", "KONTOR_LEASE", KIND_COUNT, F (lease_s), "6",
    "seconds a node's hold on its meetings lasts unrenewed (renewed every third of it); after a node dies, its meetings move to another node this long after (3-600)" },
  { "notify", "smtp_url", "KONTOR_SMTP_URL", KIND_STRING, F (smtp_url), "",
    "mail server for the job seekers' messages: smtp://host:587 (STARTTLS) or smtps://host:465; empty: no e-mail" },
  { "notify", "smtp_user", "KONTOR_SMTP_USER", KIND_STRING, F (smtp_user), "",
    "user name at the mail server; empty: no authentication" },
  { "notify", "smtp_password", "KONTOR_SMTP_PASSWORD", KIND_STRING, F (smtp_password), "",
    "password at the mail server" },
  { "notify", "smtp_from", "KONTOR_SMTP_FROM", KIND_STRING, F (smtp_from), "",
    "sender of the messages, e.g. \"Jobbsenteret <noreply@example.org>\" (needed with smtp_url)" },
  { "notify", "smtp_tls", "KONTOR_SMTP_TLS", KIND_STRING, F (smtp_tls), "required",
    "TLS towards the mail server for smtp:// URLs: required (STARTTLS or fail), optional (when offered), or off (a mail server on this machine only)" },
  { "notify", "smtp_ca_file", "KONTOR_SMTP_CA_FILE", KIND_STRING, F (smtp_ca_file), "",
    "PEM file of the authorities that may sign the mail server's certificate, when it is not one the system trusts (an agency's own CA); empty: the system's" },
  { "notify", "sms_url", "KONTOR_SMS_URL", KIND_STRING, F (sms_url), "",
    "the SMS gateway's URL (an HTTP POST per message); empty: no SMS" },
  { "notify", "sms_headers", "KONTOR_SMS_HEADERS", KIND_STRING, F (sms_headers),
    "Content-Type: application/json",
    "HTTP headers for the gateway, one \"Name: value\" per line (in kontor.conf: separated by \\n)" },
  { "notify", "sms_body", "KONTOR_SMS_BODY", KIND_STRING, F (sms_body),
    "{\"to\": \"{{to}}\", \"text\": \"{{text}}\", \"id\": \"{{id}}\"}",
    "the gateway's request body: {{to}} (E.164), {{text}} and {{id}} are filled in, JSON-escaped" },
  { "notify", "key_file", "KONTOR_KEY_FILE", KIND_STRING, F (key_file), "",
    "file with the key that seals link tokens so that messages can carry the link (64 hex digits; made when missing); needed with smtp_url or sms_url" },
  { "notify", "reminders", "KONTOR_REMINDERS", KIND_STRING, F (reminders), "1440,60",
    "reminders, in minutes before the meeting, separated by commas (empty: none)" },
  { "notify", "give_up", "KONTOR_NOTIFY_GIVE_UP", KIND_COUNT, F (give_up_minutes), "1440",
    "minutes a message that cannot be sent is tried again before it counts as failed (1-10080)" },
  { "privacy", "retention_days", "KONTOR_RETENTION_DAYS", KIND_DAYS, F (retention_days), "90",
    "days after a meeting that the job seeker's name and contact are kept (1-3650)" },
  { "privacy", "audit_retention_days", "KONTOR_AUDIT_RETENTION_DAYS", KIND_DAYS,
    F (audit_retention_days), "730",
    "days the audit log of staff actions is kept; older rows are removed by the sweep (1-3650)" },
};

static gboolean
parse_number (const Setting *s, const gchar *text, const gchar *origin, KsConfig *config,
              GError **error)
{
  gchar *end = NULL;
  errno = 0;
  gint64 value = g_ascii_strtoll (text, &end, 10);
  gboolean bad = errno != 0 || end == text || *end != '\0';

  if (!bad && s->kind == KIND_PORT && (value < 1 || value > 65535))
    bad = TRUE;
  if (!bad && s->kind == KIND_UINT && (value < 1 || value > 64))
    bad = TRUE;
  if (!bad && s->kind == KIND_RATE && (value < 1 || value > 1000000))
    bad = TRUE;
  if (!bad && s->kind == KIND_DAYS && (value < 1 || value > 3650))
    bad = TRUE;
  if (!bad && s->kind == KIND_COUNT && (value < 1 || value > 1000000))
    bad = TRUE;
  if (!bad && s->kind == KIND_MS && (value < 100 || value > 3600000))
    bad = TRUE;
  if (bad) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "%s: %s = \"%s\" is not a valid %s", origin,
                 s->key, text,
                 s->kind == KIND_PORT    ? "port (1-65535)"
                 : s->kind == KIND_UINT  ? "number (1-64)"
                 : s->kind == KIND_RATE  ? "rate (1-1000000)"
                 : s->kind == KIND_DAYS  ? "number of days (1-3650)"
                 : s->kind == KIND_COUNT ? "number (1-1000000)"
                 : s->kind == KIND_MS    ? "time in milliseconds (100-3600000)"
                                         : "integer");
    return FALSE;
  }
  guint8 *field = (guint8 *) config + s->offset;
  if (s->kind == KIND_INT64)
    *(gint64 *) field = value;
  else
    *(guint *) field = (guint) value;
  return TRUE;
}

static gboolean
apply (const Setting *s, const gchar *text, const gchar *origin, KsConfig *config, GError **error)
{
  if (s->kind == KIND_STRING) {
    gchar **field = (gchar **) ((guint8 *) config + s->offset);
    g_free (*field);
    *field = g_strstrip (g_strdup (text));
    return TRUE;
  }
  g_autofree gchar *trimmed = g_strstrip (g_strdup (text));
  return parse_number (s, trimmed, origin, config, error);
}

static gboolean
load_file (KsConfig *config, const gchar *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }

  /* Unknown groups and keys are mistakes (a typo would silently keep the
   * default), so refuse them. */
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (gchar **g = groups; *g; g++) {
    g_auto (GStrv) keys = g_key_file_get_keys (kf, *g, NULL, NULL);
    for (gchar **k = keys; k && *k; k++) {
      const Setting *found = NULL;
      for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
        if (g_str_equal (settings[i].group, *g) && g_str_equal (settings[i].key, *k))
          found = &settings[i];
      if (!found) {
        g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "%s: unknown setting [%s] %s", path, *g, *k);
        return FALSE;
      }
      g_autofree gchar *value = g_key_file_get_string (kf, *g, *k, error);
      if (!value)
        return FALSE;
      g_autofree gchar *origin = g_strdup_printf ("%s [%s]", path, *g);
      if (!apply (found, value, origin, config, error))
        return FALSE;
    }
  }
  return TRUE;
}

/* Each entry of a comma-separated list must be an IP address. */
static gboolean
valid_address_list (const gchar *list)
{
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  for (gchar **p = parts; *p; p++) {
    g_autoptr (GInetAddress) a = g_inet_address_new_from_string (g_strstrip (*p));
    if (!a)
      return FALSE;
  }
  return TRUE;
}

static gboolean
notify_valid (const KsConfig *config, GError **error)
{
  gboolean any = *config->smtp_url || *config->sms_url;
  if (*config->smtp_url && !g_str_has_prefix (config->smtp_url, "smtp://")
      && !g_str_has_prefix (config->smtp_url, "smtps://")) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "smtp_url \"%s\" must start with smtp:// or smtps://", config->smtp_url);
    return FALSE;
  }
  if (*config->smtp_url && !strchr (config->smtp_from, '@')) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "smtp_from must name an e-mail address");
    return FALSE;
  }
  if (!g_str_equal (config->smtp_tls, "required") && !g_str_equal (config->smtp_tls, "optional")
      && !g_str_equal (config->smtp_tls, "off")) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "smtp_tls \"%s\" must be required, optional or off", config->smtp_tls);
    return FALSE;
  }
  if (*config->sms_url && !g_str_has_prefix (config->sms_url, "http://")
      && !g_str_has_prefix (config->sms_url, "https://")) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "sms_url \"%s\" must start with http:// or https://", config->sms_url);
    return FALSE;
  }
  if (any && !*config->key_file) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "key_file must be set with smtp_url or sms_url (messages carry the link)");
    return FALSE;
  }
  g_auto (GStrv) parts = g_strsplit (config->reminders, ",", -1);
  for (guint i = 0; parts[i]; i++) {
    gchar *end = NULL;
    g_strstrip (parts[i]);
    guint64 m = g_ascii_strtoull (parts[i], &end, 10);
    if (!*parts[i] || *end || m < 1 || m > 43200 || i >= 8) {
      g_set_error (
          error, KS_ERROR, KS_ERROR_CONFIG,
          "reminders \"%s\" must be up to 8 numbers of minutes (1-43200) separated by commas",
          config->reminders);
      return FALSE;
    }
  }
  if (config->give_up_minutes < 1 || config->give_up_minutes > 10080) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "give_up %u must be 1-10080 minutes",
                 config->give_up_minutes);
    return FALSE;
  }
  return TRUE;
}

gboolean
ks_node_name_valid (const gchar *name)
{
  gsize n = strlen (name);
  if (n == 0 || n > 64)
    return FALSE;
  for (const gchar *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._:-", *p))
      return FALSE;
  return TRUE;
}

static gboolean
validate (KsConfig *config, GError **error)
{
  if (*config->trusted_proxies && !valid_address_list (config->trusted_proxies)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "trusted_proxies \"%s\" must be IP addresses separated by commas",
                 config->trusted_proxies);
    return FALSE;
  }
  if (config->ice_port_min > config->ice_port_max) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "ice_port_min (%u) is above ice_port_max (%u)",
                 config->ice_port_min, config->ice_port_max);
    return FALSE;
  }
  if ((*config->tls_cert == '\0') != (*config->tls_key == '\0')) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "tls_cert and tls_key must be set together");
    return FALSE;
  }
  if (*config->stun_server && !g_str_has_prefix (config->stun_server, "stun:")) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "stun_server \"%s\" must start with stun:", config->stun_server);
    return FALSE;
  }
  gsize secret = strlen (config->turn_secret);
  if (secret && (secret < 16 || secret > 256 || !*config->turn_server)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "turn_secret must be 16-256 characters, with turn_server set");
    return FALSE;
  }
  if (config->turn_ttl_s < 60 || config->turn_ttl_s > 86400) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "turn_ttl %u must be 60-86400 seconds",
                 config->turn_ttl_s);
    return FALSE;
  }
  if (*config->turn_server && !g_str_has_prefix (config->turn_server, "turn:")
      && !g_str_has_prefix (config->turn_server, "turns:")) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "turn_server \"%s\" must start with turn: or turns:", config->turn_server);
    return FALSE;
  }
  if (g_ascii_strcasecmp (config->video_codec, "vp8") != 0
      && g_ascii_strcasecmp (config->video_codec, "h264") != 0) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "video_codec \"%s\" must be vp8 or h264",
                 config->video_codec);
    return FALSE;
  }
  if (!g_str_equal (config->log_format, "auto") && !g_str_equal (config->log_format, "json")
      && !g_str_equal (config->log_format, "text")) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "log_format \"%s\" must be auto, json or text",
                 config->log_format);
    return FALSE;
  }
  gsize token = strlen (config->metrics_token);
  if (token && (token < 16 || token > 256)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "metrics_token must be 16-256 characters (it is %" G_GSIZE_FORMAT ")", token);
    return FALSE;
  }
  if (!notify_valid (config, error))
    return FALSE;
  if (config->lease_s < 3 || config->lease_s > 600) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "lease %u must be 3-600 seconds",
                 config->lease_s);
    return FALSE;
  }
  if (*config->node_name == '\0') {
    g_free (config->node_name);
    config->node_name = g_strdup_printf ("%s-%u", g_get_host_name (), config->port);
    g_strcanon (config->node_name,
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-", '-');
    if (strlen (config->node_name) > 64)
      config->node_name[64] = '\0';
  }
  if (!ks_node_name_valid (config->node_name)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "node_name \"%s\" must be 1-64 letters, digits, . _ : or -", config->node_name);
    return FALSE;
  }
  if (*config->public_url == '\0') {
    g_free (config->public_url);
    config->public_url =
        g_strdup_printf ("%s://localhost:%u", *config->tls_cert ? "https" : "http", config->port);
  }
  return TRUE;
}

KsConfig *
ks_config_load (const gchar *path, gchar **envp, GError **error)
{
  g_autoptr (KsConfig) config = g_new0 (KsConfig, 1);
  g_auto (GStrv) own_env = envp ? NULL : g_get_environ ();
  gchar **env = envp ? envp : own_env;

  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    if (!apply (&settings[i], settings[i].fallback, "default", config, error))
      return NULL;

  if (path && !load_file (config, path, error))
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++) {
    const gchar *value = g_environ_getenv (env, settings[i].env);
    if (value && !apply (&settings[i], value, settings[i].env, config, error))
      return NULL;
  }

  if (!validate (config, error))
    return NULL;
  return g_steal_pointer (&config);
}

void
ks_config_free (KsConfig *config)
{
  if (!config)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    if (settings[i].kind == KIND_STRING)
      g_free (*(gchar **) ((guint8 *) config + settings[i].offset));
  g_free (config);
}

KsConfig *
ks_config_copy (const KsConfig *config)
{
  KsConfig *copy = g_memdup2 (config, sizeof *config);
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    if (settings[i].kind == KIND_STRING) {
      gchar **field = (gchar **) ((guint8 *) copy + settings[i].offset);
      *field = g_strdup (*field);
    }
  return copy;
}

const gchar *
ks_config_help (void)
{
  static gchar *text;
  if (text)
    return text;

  GString *s = g_string_new ("Settings (kontor.conf group/key, or environment variable):\n");
  const gchar *group = "";
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++) {
    const Setting *st = &settings[i];
    if (!g_str_equal (group, st->group)) {
      g_string_append_printf (s, "\n  [%s]\n", st->group);
      group = st->group;
    }
    g_string_append_printf (s, "  %-15s %-22s %s", st->key, st->env, st->help);
    if (*st->fallback)
      g_string_append_printf (s, " (default %s)", st->fallback);
    g_string_append_c (s, '\n');
  }
  text = g_string_free (s, FALSE);
  return text;
}

/* turn_server without the user:secret@ the relay may use: what pages see. */
static gchar *
turn_url_for_pages (const gchar *turn_server)
{
  const gchar *colon = strchr (turn_server, ':');
  const gchar *at = strrchr (turn_server, '@');
  if (!colon || !at || at < colon)
    return g_strdup (turn_server);
  return g_strdup_printf ("%.*s:%s", (int) (colon - turn_server), turn_server, at + 1);
}

gchar *
ks_turn_password (const gchar *secret, const gchar *username)
{
  guint8 digest[20];
  gsize len = sizeof digest;
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) username, -1);
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}

json_t *
ks_ice_servers (const KsConfig *config, gboolean with_turn, gint64 now_s)
{
  json_t *list = json_array ();
  if (*config->stun_server)
    json_array_append_new (list, json_pack ("{s:s}", "urls", config->stun_server));
  if (with_turn && *config->turn_server && *config->turn_secret) {
    /* coturn's shared-secret scheme (use-auth-secret): the user name is
     * the expiry, the password its HMAC; nothing is stored, and a
     * credential copied out of a page stops working by itself. */
    g_autofree gchar *url = turn_url_for_pages (config->turn_server);
    g_autofree gchar *username =
        g_strdup_printf ("%" G_GINT64_FORMAT ":kontor", now_s + (gint64) config->turn_ttl_s);
    g_autofree gchar *password = ks_turn_password (config->turn_secret, username);
    json_array_append_new (list, json_pack ("{s:s, s:s, s:s}", "urls", url, "username", username,
                                            "credential", password));
  }
  return list;
}
