/* signaling.h — the front of kontor: configuration and the server.
 *
 * signaling/ owns connections, sessions and rooms and is the only module
 * that speaks JSON to browsers (docs/api.md, docs/protocol.md).  It asks
 * booking/ who may enter and tells media/ who is in a meeting.
 */
#pragma once

#include <glib.h>
#include "booking/booking.h"

G_BEGIN_DECLS

#define KS_ERROR (ks_error_quark ())
GQuark ks_error_quark (void);

typedef enum {
  KS_ERROR_CONFIG, /* a setting is malformed or out of range */
  KS_ERROR_LISTEN, /* the server could not start */
} KsErrorCode;

/* Every setting kontor has.  Loaded from a GKeyFile, then overridden by
 * KONTOR_* environment variables (ks_config_help() lists them). */
typedef struct {
  gchar *listen_address;   /* [server] listen_address  KONTOR_LISTEN_ADDRESS */
  guint port;              /* [server] port            KONTOR_PORT */
  gchar *web_root;         /* [server] web_root        KONTOR_WEB_ROOT */
  gchar *public_url;       /* [server] public_url      KONTOR_PUBLIC_URL */
  gchar *tls_cert;         /* [server] tls_cert        KONTOR_TLS_CERT */
  gchar *tls_key;          /* [server] tls_key         KONTOR_TLS_KEY */
  gint64 clock_offset_s;   /* [server] clock_offset    KONTOR_CLOCK_OFFSET */
  gchar *trusted_proxies;  /* [server] trusted_proxies KONTOR_TRUSTED_PROXIES */
  gchar *metrics_token;    /* [server] metrics_token   KONTOR_METRICS_TOKEN */
  guint drain_timeout_s;   /* [server] drain_timeout   KONTOR_DRAIN_TIMEOUT */
  gchar *log_format;       /* [server] log_format      KONTOR_LOG_FORMAT */
  gchar *database;         /* [database] conninfo      KONTOR_DATABASE */
  gchar *migrate_database; /* [database] migrate_conninfo KONTOR_MIGRATE_DATABASE */
  guint pool_size;         /* [database] pool_size     KONTOR_DB_POOL_SIZE */
  guint db_max_waiting;    /* [database] max_waiting   KONTOR_DB_MAX_WAITING */
  guint
      db_statement_timeout_ms;  /* [database] statement_timeout_ms KONTOR_DB_STATEMENT_TIMEOUT_MS */
  guint ice_port_min;           /* [media] ice_port_min     KONTOR_ICE_PORT_MIN */
  guint ice_port_max;           /* [media] ice_port_max     KONTOR_ICE_PORT_MAX */
  gchar *stun_server;           /* [media] stun_server      KONTOR_STUN_SERVER */
  gchar *turn_server;           /* [media] turn_server      KONTOR_TURN_SERVER */
  gchar *turn_secret;           /* [media] turn_secret      KONTOR_TURN_SECRET */
  guint turn_ttl_s;             /* [media] turn_ttl         KONTOR_TURN_TTL */
  gchar *public_address;        /* [media] public_address   KONTOR_PUBLIC_ADDRESS */
  gchar *ice_address;           /* [media] ice_address      KONTOR_ICE_ADDRESS */
  gchar *video_codec;           /* [media] video_codec      KONTOR_VIDEO_CODEC */
  guint login_per_minute;       /* [limits] login_per_minute    KONTOR_LOGIN_PER_MINUTE */
  guint book_per_minute;        /* [limits] book_per_minute     KONTOR_BOOK_PER_MINUTE */
  guint link_per_minute;        /* [limits] link_per_minute     KONTOR_LINK_PER_MINUTE */
  guint public_per_minute;      /* [limits] public_per_minute   KONTOR_PUBLIC_PER_MINUTE */
  guint lost_link_per_hour;     /* [limits] lost_link_per_hour  KONTOR_LOST_LINK_PER_HOUR */
  guint login_concurrency;      /* [limits] login_concurrency   KONTOR_LOGIN_CONCURRENCY */
  guint ws_per_address;         /* [limits] ws_per_address      KONTOR_WS_PER_ADDRESS */
  guint ws_messages_per_second; /* [limits] ws_messages_per_second KONTOR_WS_MESSAGES_PER_SECOND */
  guint ws_queue_kib;           /* [limits] ws_queue_kib        KONTOR_WS_QUEUE_KIB */
  guint join_timeout_s;         /* [limits] join_timeout        KONTOR_JOIN_TIMEOUT */
  guint contact_cap;          /* [limits] max_live_bookings_per_contact KONTOR_MAX_LIVE_BOOKINGS */
  gchar *node_name;           /* [cluster] node_name       KONTOR_NODE_NAME */
  guint lease_s;              /* [cluster] lease           KONTOR_LEASE */
  gchar *smtp_url;            /* [notify] smtp_url         KONTOR_SMTP_URL */
  gchar *smtp_user;           /* [notify] smtp_user        KONTOR_SMTP_USER */
  gchar *smtp_password;       /* [notify] smtp_password    KONTOR_SMTP_PASSWORD */
  gchar *smtp_from;           /* [notify] smtp_from        KONTOR_SMTP_FROM */
  gchar *smtp_tls;            /* [notify] smtp_tls         KONTOR_SMTP_TLS */
  gchar *smtp_ca_file;        /* [notify] smtp_ca_file     KONTOR_SMTP_CA_FILE */
  gchar *sms_url;             /* [notify] sms_url          KONTOR_SMS_URL */
  gchar *sms_headers;         /* [notify] sms_headers      KONTOR_SMS_HEADERS */
  gchar *sms_body;            /* [notify] sms_body         KONTOR_SMS_BODY */
  gchar *key_file;            /* [notify] key_file         KONTOR_KEY_FILE */
  gchar *reminders;           /* [notify] reminders        KONTOR_REMINDERS */
  guint give_up_minutes;      /* [notify] give_up          KONTOR_NOTIFY_GIVE_UP */
  guint retention_days;       /* [privacy] retention_days  KONTOR_RETENTION_DAYS */
  guint audit_retention_days; /* [privacy] audit_retention_days KONTOR_AUDIT_RETENTION_DAYS */
} KsConfig;

/* Defaults, then the file (if path is not NULL), then the environment.
 * envp is the environment to read (NULL: the process's own); tests pass
 * their own.  Transfer full; NULL with error naming the setting. */
KsConfig *ks_config_load (const gchar *path, gchar **envp, GError **error);
void ks_config_free (KsConfig *config);
/* A deep copy; transfer full. */
KsConfig *ks_config_copy (const KsConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsConfig, ks_config_free)
/* The text `kontor --help` prints about settings. */
const gchar *ks_config_help (void);

/* Sends GLib's log to where log_format ("auto", "json" or "text",
 * [server] log_format) says (log.c); call once, before the first line
 * that should go there.  FALSE with error for another format. */
gboolean ks_log_setup (const gchar *log_format, GError **error);
/* One JSON log line, newline included, as the json format writes it;
 * unix_us is the time it carries.  Transfer full. */
gchar *ks_log_json_line (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                         gint64 unix_us);

typedef struct _KsServer KsServer;

/* Starts listening on the default GMainContext; the caller runs the loop.
 * store is borrowed and must outlive the server. */
KsServer *ks_server_new (const KsConfig *config, KbStore *store, GError **error);
/* SIGTERM: stop taking new meetings (/readyz says so, a join or admit that
 * would start one is answered `draining`) while the meetings in progress
 * go on, and people of those meetings may still come back in. */
void ks_server_drain (KsServer *server);
/* SIGHUP: reads tls_cert and tls_key again and serves new TLS connections
 * with them; open connections (and so meetings) keep going.  A pair that
 * cannot be read, does not match or has expired changes nothing: FALSE
 * with error saying why, and the old certificate stays. */
gboolean ks_server_reload_tls (KsServer *server, GError **error);
/* Meetings in progress here (a caseworker in the room, or media running). */
guint ks_server_meetings (KsServer *server);
void ks_server_free (KsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsServer, ks_server_free)

G_END_DECLS
