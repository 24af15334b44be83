/* invite.c — interpreter invitations: a link that lets one more person
 * into one meeting while it lasts.
 *
 * One live link per meeting: a second click shows the same link, and only
 * "new link" replaces it (the old one stops working).  The first socket
 * that comes in with it holds it: nobody else can use it after that, and
 * it is revoked when that socket leaves, when the meeting ends, and by the
 * sweep once the meeting has nobody to let an interpreter in.
 *
 * Lookups go by the SHA-256 of the secret.  The secret itself is kept in
 * memory too, for the caseworker's second click; an invitation never
 * outlives its meeting, and a meeting does not survive a restart. */

#include "signaling/ks-server.h"

#include <string.h>

typedef struct {
  gint64 booking_id;
  gchar *token;
  gconstpointer holder; /* the socket that came in with it; compared, never followed */
} Invitation;

static void
invitation_free (Invitation *inv)
{
  memset (inv->token, 0, strlen (inv->token));
  g_free (inv->token);
  g_free (inv);
}

static gchar *
hash_hex (const gchar *token)
{
  guint8 hash[KB_TOKEN_HASH_LEN];
  kb_token_hash (token, hash);
  GString *s = g_string_sized_new (2 * KB_TOKEN_HASH_LEN);
  for (gsize i = 0; i < KB_TOKEN_HASH_LEN; i++)
    g_string_append_printf (s, "%02x", hash[i]);
  return g_string_free (s, FALSE);
}

static GHashTable *
table (KsServer *server)
{
  if (!server->invitations)
    server->invitations =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) invitation_free);
  return server->invitations;
}

static Invitation *
of_booking (KsServer *server, gint64 booking_id)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, table (server));
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((Invitation *) value)->booking_id == booking_id)
      return value;
  return NULL;
}

gchar *
ks_invitation_for (KsServer *server, gint64 booking_id, gboolean renew)
{
  Invitation *inv = of_booking (server, booking_id);
  if (inv && !renew)
    return g_strdup (inv->token);
  ks_invitations_forget (server, booking_id);
  inv = g_new0 (Invitation, 1);
  inv->booking_id = booking_id;
  inv->token = kb_token_new ();
  g_hash_table_insert (table (server), hash_hex (inv->token), inv);
  return g_strdup (inv->token);
}

gint64
ks_invitation_lookup (KsServer *server, const gchar *token, gconstpointer holder)
{
  g_autofree gchar *key = hash_hex (token);
  Invitation *inv = g_hash_table_lookup (table (server), key);
  return inv && (!inv->holder || inv->holder == holder) ? inv->booking_id : 0;
}

void
ks_invitation_hold (KsServer *server, const gchar *token, gconstpointer holder)
{
  g_autofree gchar *key = hash_hex (token);
  Invitation *inv = g_hash_table_lookup (table (server), key);
  if (inv)
    inv->holder = holder;
}

void
ks_invitations_release (KsServer *server, gconstpointer holder)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, table (server));
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((Invitation *) value)->holder == holder)
      g_hash_table_iter_remove (&it);
}

void
ks_invitations_forget (KsServer *server, gint64 booking_id)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, table (server));
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((Invitation *) value)->booking_id == booking_id)
      g_hash_table_iter_remove (&it);
}

guint
ks_invitations_sweep (KsServer *server, KsInvitationLive live)
{
  GHashTableIter it;
  gpointer value;
  guint removed = 0;
  g_hash_table_iter_init (&it, table (server));
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (!live (server, ((Invitation *) value)->booking_id)) {
      g_hash_table_iter_remove (&it);
      removed++;
    }
  return removed;
}
