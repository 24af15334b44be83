/* ratelimit.c — token buckets per client address and action, so that a
 * script can neither guess passwords and link secrets nor book out a week.
 *
 * Each bucket holds `burst` tokens and regains `per_minute` a minute.  The
 * table is swept of full buckets now and then, so it does not grow with
 * every address ever seen. */
#define G_LOG_DOMAIN "kontor-signaling"

#include "signaling/ks-private.h"

typedef struct {
  gdouble tokens;
  gint64  updated;   /* monotonic µs */
} Bucket;

static GHashTable *buckets;    /* "action|address" → Bucket* */
static gint64 last_sweep;

static void
sweep (gint64 now)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, buckets);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    Bucket *b = value;
    /* Idle for ten minutes: it would be full again, so forget it. */
    if (now - b->updated > 10 * 60 * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&it);
  }
  last_sweep = now;
}

gboolean
ks_rate_allow (KsServer *server, KsRateAction action, const gchar *address)
{
  static const gchar *names[] = { "login", "book", "link" };
  const KsConfig *c = server->config;
  guint per_minute = action == KS_RATE_LOGIN ? c->login_per_minute
                     : action == KS_RATE_BOOK ? c->book_per_minute
                     : c->link_per_minute;
  gdouble burst = per_minute;

  gint64 now = g_get_monotonic_time ();
  if (!buckets)
    buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (now - last_sweep > 60 * G_USEC_PER_SEC)
    sweep (now);

  g_autofree gchar *key = g_strdup_printf ("%s|%s", names[action], address ? address : "?");
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
