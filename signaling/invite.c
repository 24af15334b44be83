/* invite.c — interpreter invitations: a link that lets one more person
 * into one meeting while it lasts.
 *
 * Only the SHA-256 of the secret is kept, in memory: an invitation never
 * outlives its meeting, and a meeting does not survive a restart of the
 * server either. */

#include "signaling/ks-server.h"

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
    server->invitations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return server->invitations;
}

gchar *
ks_invitation_new (KsServer *server, gint64 booking_id)
{
  gchar *token = kb_token_new ();
  g_hash_table_insert (table (server), hash_hex (token),
                       g_memdup2 (&booking_id, sizeof booking_id));
  return token;
}

gint64
ks_invitation_lookup (KsServer *server, const gchar *token)
{
  g_autofree gchar *key = hash_hex (token);
  gint64 *id = g_hash_table_lookup (table (server), key);
  return id ? *id : 0;
}

void
ks_invitations_forget (KsServer *server, gint64 booking_id)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, table (server));
  while (g_hash_table_iter_next (&it, &key, &value))
    if (*(gint64 *) value == booking_id)
      g_hash_table_iter_remove (&it);
}
