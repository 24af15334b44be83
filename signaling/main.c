/* main.c — the kontor command: reads the configuration and wires the
 * modules together.  `kontor` (or `kontor run`) serves, `kontor migrate`
 * brings the database schema up to date, `kontor demo` loads demo data. */

#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>

#include "booking/booking.h"
#include "media/media.h"
#include "signaling/signaling.h"

static gchar *opt_config;
static gboolean opt_json;
static gint opt_starts_in = 120;

static const GOptionEntry entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config, "Configuration file (kontor.conf)",
    "FILE" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "demo: print the demo data as one JSON object",
    NULL },
  { "starts-in", 0, 0, G_OPTION_ARG_INT, &opt_starts_in,
    "demo: seconds from now until the demo booking starts (default 120)", "SECONDS" },
  { NULL }
};

static gboolean
need_database (const KsConfig *config)
{
  if (*config->database)
    return TRUE;
  g_printerr ("kontor: no database configured: set [database] conninfo in kontor.conf "
              "or KONTOR_DATABASE (deploy/run-local starts a private one)\n");
  return FALSE;
}

/* Migrations run as the schema's owner; the server itself runs as a role
 * without DDL (migration 014), so they may have two connection strings. */
static const gchar *
owner_conninfo (const KsConfig *config)
{
  return *config->migrate_database ? config->migrate_database : config->database;
}

static int
cmd_migrate (const KsConfig *config)
{
  g_autoptr (GError) error = NULL;
  if (!need_database (config))
    return 1;
  if (!kb_migrate (owner_conninfo (config), &error)) {
    g_printerr ("kontor migrate: %s\n", error->message);
    return 1;
  }
  g_print ("kontor: database schema is up to date\n");
  return 0;
}

static int
cmd_demo (const KsConfig *config)
{
  g_autoptr (GError) error = NULL;
  if (!need_database (config))
    return 1;
  if (!kb_migrate (owner_conninfo (config), &error)) {
    g_printerr ("kontor demo: %s\n", error->message);
    return 1;
  }
  g_autoptr (KbDemo) demo = kb_demo_seed (config->database, kb_clock_now (), opt_starts_in, &error);
  if (!demo) {
    g_printerr ("kontor demo: %s\n", error->message);
    return 1;
  }
  /* The demo office is in Oslo: say the time as it reads there. */
  g_autoptr (GTimeZone) oslo = g_time_zone_new_identifier ("Europe/Oslo");
  g_autoptr (GDateTime) start_utc =
      g_date_time_new_from_unix_utc (demo->booking_starts_at / G_USEC_PER_SEC);
  g_autoptr (GDateTime) start =
      oslo ? g_date_time_to_timezone (start_utc, oslo) : g_date_time_ref (start_utc);
  g_autofree gchar *start_text = g_date_time_format (start, "%Y-%m-%d %H:%M Europe/Oslo (UTC%:z)");
  if (opt_json) {
    g_autoptr (GDateTime) utc =
        g_date_time_new_from_unix_utc (demo->booking_starts_at / G_USEC_PER_SEC);
    g_autofree gchar *iso = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
    g_print ("{\"caseworker_email\":\"%s\",\"caseworker_password\":\"%s\","
             "\"booking_reference\":\"%s\",\"booking_token\":\"%s\","
             "\"booking_starts_at\":\"%s\",\"join_url\":\"%s/join.html#t=%s\","
             "\"caseworker_url\":\"%s/caseworker.html\"}\n",
             demo->caseworker_email, demo->caseworker_password, demo->booking_reference,
             demo->booking_token, iso, config->public_url, demo->booking_token, config->public_url);
    return 0;
  }
  g_print ("\n  Demo data is ready.\n\n"
           "  Job seeker   %s/join.html#t=%s\n"
           "               (booking %s, starts %s; the room opens 10 minutes before)\n"
           "  Booking page %s/booking.html#t=%s\n"
           "  Caseworker   %s/caseworker.html\n"
           "               e-mail %s   password %s\n\n",
           config->public_url, demo->booking_token, demo->booking_reference, start_text,
           config->public_url, demo->booking_token, config->public_url, demo->caseworker_email,
           demo->caseworker_password);
  return 0;
}

/* SIGINT stops at once.  SIGTERM drains: no new meetings, the running
 * ones go on until they end or [server] drain_timeout passes; a second
 * SIGTERM stops at once. */
typedef struct {
  GMainLoop *loop;
  KsServer *server;
  guint timeout_s; /* [server] drain_timeout */
  gint64 deadline; /* monotonic µs; 0 while not draining */
  guint tick;      /* drain_tick's source */
} Stopping;

static gboolean
on_sigint (gpointer data)
{
  Stopping *s = data;
  g_message ("stopping");
  g_main_loop_quit (s->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
drain_tick (gpointer data)
{
  Stopping *s = data;
  guint meetings = ks_server_meetings (s->server);
  if (meetings > 0 && g_get_monotonic_time () < s->deadline)
    return G_SOURCE_CONTINUE;
  if (meetings > 0)
    g_message ("drain deadline passed with %u meeting(s) still running: stopping", meetings);
  else
    g_message ("drained: no meeting left, stopping");
  g_main_loop_quit (s->loop);
  s->tick = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
on_sigterm (gpointer data)
{
  Stopping *s = data;
  if (s->deadline) {
    g_message ("second SIGTERM: stopping now");
    g_main_loop_quit (s->loop);
    return G_SOURCE_CONTINUE;
  }
  s->deadline = g_get_monotonic_time () + (gint64) s->timeout_s * G_USEC_PER_SEC;
  g_message ("draining: no new meetings; %u running may go on for up to %u s",
             ks_server_meetings (s->server), s->timeout_s);
  ks_server_drain (s->server);
  if (drain_tick (s) == G_SOURCE_CONTINUE)
    s->tick = g_timeout_add_seconds (1, drain_tick, s);
  return G_SOURCE_CONTINUE;
}

/* The domain of Message-IDs: the sender's, else public_url's host. */
static gchar *
message_id_domain (const KsConfig *config)
{
  const gchar *at = strrchr (config->smtp_from, '@');
  if (at && at[1])
    return g_strndup (at + 1, strcspn (at + 1, "> \t"));
  return kb_ics_uid_domain (config->public_url);
}

/* The key that seals link tokens, the settings the outbox's triggers read,
 * and (with a mail server or SMS gateway) the sender.  NULL without one. */
static gboolean
start_notify (const KsConfig *config, KbStore *store, KbOutbox **outbox, GError **error)
{
  g_autofree gchar *domain = message_id_domain (config);
  /* The calendar UID is the one of the .ics the booking page gives. */
  g_autofree gchar *uid_domain = kb_ics_uid_domain (config->public_url);
  KbNotifyOptions o = { 0 };

  *outbox = NULL;
  if (*config->key_file) {
    if (!kb_seal_key_load (config->key_file, o.key, error))
      return FALSE;
    kb_store_set_seal_key (store, o.key);
    o.has_key = TRUE;
  }
  if (!kb_set_notify_settings (config->database, config->reminders, config->give_up_minutes, domain,
                               error))
    return FALSE;
  if (!*config->smtp_url && !*config->sms_url)
    return TRUE;
  g_auto (GStrv) headers = g_strsplit (config->sms_headers, "\n", -1);
  o.smtp_url = config->smtp_url;
  o.smtp_user = config->smtp_user;
  o.smtp_password = config->smtp_password;
  o.smtp_from = config->smtp_from;
  /* curl's CURLUSESSL_ALL, _TRY, _NONE */
  o.smtp_tls = g_str_equal (config->smtp_tls, "required")   ? 3
               : g_str_equal (config->smtp_tls, "optional") ? 1
                                                            : 0;
  o.smtp_ca_file = config->smtp_ca_file;
  o.sms_url = config->sms_url;
  o.sms_headers = headers;
  o.sms_body = config->sms_body;
  o.public_url = config->public_url;
  o.node = config->node_name;
  o.domain = uid_domain;
  *outbox = kb_outbox_new (store, config->database, &o);
  memset (o.key, 0, sizeof o.key);
  return TRUE;
}

/* SIGHUP: a new certificate (tls_cert, tls_key) without a restart; open
 * connections and meetings go on.  Other settings still need a restart. */
static gboolean
on_sighup (gpointer data)
{
  Stopping *s = data;
  g_autoptr (GError) error = NULL;
  if (!ks_server_reload_tls (s->server, &error))
    g_warning ("SIGHUP: certificate not reloaded, the old one stays: %s", error->message);
  return G_SOURCE_CONTINUE;
}

static int
cmd_run (const KsConfig *config)
{
  g_autoptr (GError) error = NULL;
  if (!need_database (config))
    return 1;

  KmConfig media = {
    .ice_min_port = config->ice_port_min,
    .ice_max_port = config->ice_port_max,
    .stun_server = *config->stun_server ? config->stun_server : NULL,
    .turn_server = *config->turn_server ? config->turn_server : NULL,
    .public_address = *config->public_address ? config->public_address : NULL,
    .ice_addresses = config->ice_address,
    .video_codec = config->video_codec,
  };
  if (!km_init (&media, &error)) {
    g_printerr ("kontor: %s\n", error->message);
    return 1;
  }
  /* No migration here: the server's role may not change the schema.  The
   * store below refuses a schema that is behind, naming `kontor migrate`. */
  if (!kb_set_contact_cap (config->database, config->contact_cap, &error)
      || !kb_set_retention_days (config->database, config->retention_days, &error)
      || !kb_set_audit_retention_days (config->database, config->audit_retention_days, &error)) {
    g_printerr ("kontor: %s\n", error->message);
    return 1;
  }
  KbStoreOptions pool = {
    .pool_size = config->pool_size,
    .max_waiting = config->db_max_waiting,
    .statement_timeout_ms = config->db_statement_timeout_ms,
  };
  g_autoptr (KbStore) store = kb_store_new_full (config->database, &pool, &error);
  if (!store) {
    g_printerr ("kontor: %s\n", error->message);
    return 1;
  }
  g_autoptr (KbOutbox) outbox = NULL;
  if (!start_notify (config, store, &outbox, &error)) {
    g_printerr ("kontor: %s\n", error->message);
    return 1;
  }
  /* The handlers are in place before the port opens: a SIGTERM that
   * comes as soon as something can connect is a drain, handled once the
   * loop runs, not the default action's death by signal. */
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Stopping stopping = { .loop = loop, .timeout_s = config->drain_timeout_s };
  guint sigint = g_unix_signal_add (SIGINT, on_sigint, &stopping);
  guint sigterm = g_unix_signal_add (SIGTERM, on_sigterm, &stopping);
  guint sighup = g_unix_signal_add (SIGHUP, on_sighup, &stopping);
  g_autoptr (KsServer) server = ks_server_new (config, store, &error);
  if (!server) {
    g_printerr ("kontor: %s\n", error->message);
    g_source_remove (sigint);
    g_source_remove (sigterm);
    g_source_remove (sighup);
    return 1;
  }
  stopping.server = server;
  g_print ("kontor: serving %s\n", config->public_url);
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_source_remove (sighup);
  g_clear_handle_id (&stopping.tick, g_source_remove);
  g_clear_pointer (&server, ks_server_free);
  g_clear_pointer (&outbox, kb_outbox_free);
  km_shutdown ();
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  setlocale (LC_ALL, "");
  /* Each GStreamer streaming thread would otherwise get a glibc arena of
   * its own and keep ~60 kB per meeting that is never given back
   * (tests/media/test-resources.c measures it). */
  mallopt (M_ARENA_MAX, 2);

  g_autoptr (GOptionContext) ctx = g_option_context_new ("[run|migrate|demo]");
  g_option_context_set_summary (
      ctx,
      "kontor — booked video meetings between job seekers and caseworkers.\n\n"
      "  run      serve the web pages, the API and the media relay (default)\n"
      "  migrate  apply database migrations and exit\n"
      "  demo     load demo data (an office, a caseworker, a booking) and print how to use it\n\n"
      "Signals (run): SIGTERM drains (no new meetings; stops when the running ones end or\n"
      "after drain_timeout), SIGINT or a second SIGTERM stops at once, SIGHUP reloads\n"
      "tls_cert and tls_key without dropping connections (a bad pair keeps the old one).");
  g_option_context_set_description (ctx, ks_config_help ());
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("kontor: %s (try --help)\n", error->message);
    return 2;
  }
  const gchar *command = argc > 1 ? argv[1] : "run";
  if (argc > 2) {
    g_printerr ("kontor: unexpected argument \"%s\" (try --help)\n", argv[2]);
    return 2;
  }

  g_autoptr (KsConfig) config = ks_config_load (opt_config, NULL, &error);
  if (!config) {
    g_printerr ("kontor: %s\n", error->message);
    return 2;
  }
  if (!ks_log_setup (config->log_format, &error)) {
    g_printerr ("kontor: %s\n", error->message);
    return 2;
  }
  kb_clock_set_offset (config->clock_offset_s * G_USEC_PER_SEC);

  if (g_str_equal (command, "run"))
    return cmd_run (config);
  if (g_str_equal (command, "migrate"))
    return cmd_migrate (config);
  if (g_str_equal (command, "demo"))
    return cmd_demo (config);
  g_printerr ("kontor: unknown command \"%s\" (try --help)\n", command);
  return 2;
}
