/* ratelimit.c — token buckets per client address and action, so that a
 * script can neither guess passwords and link secrets nor book out a week.
 *
 * Each bucket holds `burst` tokens and regains `per_minute` a minute.  The
 * table is swept of full buckets now and then, so it does not grow with
 * every address ever seen. */

#include "signaling/ks-limits.h"

#include <string.h>

typedef struct {
  gdouble tokens;
  gint64 updated; /* monotonic µs */
} Bucket;

static GHashTable *buckets; /* "action|address" → Bucket* */
static gint64 last_sweep;

static void
sweep (gint64 now)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, buckets);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    Bucket *b = value;
    /* Idle for ten minutes, a minute's bucket would be full again (an
     * hour's after an hour), so forget it. */
    gint64 idle = g_str_has_prefix (key, "resend|") ? 60 : 10;
    if (now - b->updated > idle * 60 * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&it);
  }
  last_sweep = now;
}

/* The bucket key of a client address: one IPv6 host usually holds a whole
 * /64 (privacy addresses change by the hour), so its buckets are per /64;
 * IPv4, and IPv4 mapped into IPv6, per address. */
static gchar *
address_key (const gchar *address)
{
  g_autoptr (GInetAddress) a = address ? ks_peer_parse_address (address) : NULL;
  if (!a)
    return g_strdup (address ? address : "?");
  if (g_inet_address_get_family (a) != G_SOCKET_FAMILY_IPV6 || g_inet_address_get_is_loopback (a))
    return g_inet_address_to_string (a);
  const guint8 *b = g_inet_address_to_bytes (a);
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  if (memcmp (b, mapped, sizeof mapped) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0], b[1], b[2], b[3], b[4],
                          b[5], b[6], b[7]);
}

/* "address|ADDRESS" as address_key has it; any other subject as it is. */
static gchar *
resend_key (const gchar *subject)
{
  if (subject && g_str_has_prefix (subject, "address|")) {
    g_autofree gchar *a = address_key (subject + 8);
    return g_strconcat ("address|", a, NULL);
  }
  return g_strdup (subject ? subject : "?");
}

gboolean
ks_rate_allow (KsServer *server, KsRateAction action, const gchar *subject)
{
  /* Each kind has its own namespace: a reference typed at a kiosk must not
   * drain an address's allowance, nor the other way round. */
  static const gchar *names[] = { "login", "book", "link", "public", "reference", "resend" };
  const KsConfig *c = server->config;
  gdouble per_minute = action == KS_RATE_LOGIN    ? c->login_per_minute
                       : action == KS_RATE_BOOK   ? c->book_per_minute
                       : action == KS_RATE_PUBLIC ? c->public_per_minute
                       : action == KS_RATE_RESEND ? c->lost_link_per_hour / 60.0
                                                  : c->link_per_minute;
  /* A bucket holds a minute's allowance; the hourly one an hour's. */
  gdouble burst = action == KS_RATE_RESEND ? c->lost_link_per_hour : per_minute;

  gint64 now = g_get_monotonic_time ();
  if (!buckets)
    buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (now - last_sweep > 60 * G_USEC_PER_SEC)
    sweep (now);

  /* A reference is looked up in any case (booking_by_reference.sql), so
   * every spelling of it shares one allowance. */
  g_autofree gchar *who = action == KS_RATE_REFERENCE ? g_ascii_strup (subject ? subject : "?", -1)
                          : action == KS_RATE_RESEND  ? resend_key (subject)
                                                      : address_key (subject);
  g_autofree gchar *key = g_strdup_printf ("%s|%s", names[action], who);
  Bucket *b = g_hash_table_lookup (buckets, key);
  if (!b) {
    b = g_new0 (Bucket, 1);
    b->tokens = burst;
    b->updated = now;
    g_hash_table_insert (buckets, g_steal_pointer (&key), b);
  }
  b->tokens = MIN (burst, b->tokens + (now - b->updated) * per_minute / (60.0 * G_USEC_PER_SEC));
  b->updated = now;
  if (b->tokens < 1)
    return FALSE;
  b->tokens -= 1;
  return TRUE;
}

gboolean
ks_public_rate_or_reply (KsRequest *r)
{
  if (ks_rate_allow (r->server, KS_RATE_PUBLIC, r->peer))
    return TRUE;
  ks_respond_error (r, 429, "rate_limited", "Too many requests from here. Please wait a minute.");
  return FALSE;
}

/* ---- per-account back-off for log-ins -------------------------------- */

/* Failed log-ins per account (lower-cased e-mail), apart from the address
 * buckets above: a guesser who spreads over many addresses still meets
 * this.  After FREE_FAILURES failures each further try waits twice as long
 * as the one before, up to MAX_WAIT; a success forgets the account.  The
 * wait is capped, so that a guesser cannot lock a caseworker out for long. */
#define FREE_FAILURES 5
#define MAX_WAIT_S 60

typedef struct {
  guint failures;
  gint64 not_before; /* monotonic µs */
  gint64 last;
} Account;

static GHashTable *accounts; /* lower-cased e-mail → Account* */

static gchar *
account_key (const gchar *email)
{
  return g_utf8_casefold (email, -1);
}

guint
ks_login_wait (const gchar *email)
{
  if (!accounts)
    return 0;
  g_autofree gchar *key = account_key (email);
  Account *a = g_hash_table_lookup (accounts, key);
  gint64 now = g_get_monotonic_time ();
  if (!a || a->not_before <= now)
    return 0;
  return (guint) ((a->not_before - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

void
ks_login_result (const gchar *email, gboolean ok)
{
  if (!accounts)
    accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree gchar *key = account_key (email);
  gint64 now = g_get_monotonic_time ();
  if (ok) {
    g_hash_table_remove (accounts, key);
    return;
  }
  /* Forget accounts quiet for an hour, so the table does not keep every
   * e-mail ever tried. */
  if (g_hash_table_size (accounts) > 1024) {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, accounts);
    while (g_hash_table_iter_next (&it, &k, &v))
      if (now - ((Account *) v)->last > (gint64) 3600 * G_USEC_PER_SEC)
        g_hash_table_iter_remove (&it);
  }
  Account *a = g_hash_table_lookup (accounts, key);
  if (!a) {
    a = g_new0 (Account, 1);
    g_hash_table_insert (accounts, g_steal_pointer (&key), a);
  } else if (now - a->last > (gint64) 3600 * G_USEC_PER_SEC) {
    a->failures = 0;
  }
  a->failures++;
  a->last = now;
  if (a->failures >= FREE_FAILURES) {
    guint shift = MIN (a->failures - FREE_FAILURES, 6);
    a->not_before = now + MIN ((gint64) 1 << shift, MAX_WAIT_S) * G_USEC_PER_SEC;
  }
}
