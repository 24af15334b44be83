/* seal.c — the link token kept sealed with a server key (migration 016),
 * so that reminders and "I lost my link" can carry the same link the job
 * seeker got when booking.  The database holds only the sealed form
 * (libsodium secretbox: a random nonce, then the ciphertext with its tag);
 * without the key file it is noise.  The key lives in a file of its own,
 * named by [notify] key_file, never in the database or its backups. */
#include "kb-private.h"

#include <sodium.h>
#include <string.h>

G_STATIC_ASSERT (KB_SEAL_KEY_LEN == crypto_secretbox_KEYBYTES);

/* A missing key file is made (64 hex digits, mode 0600): the first start
 * of a new installation needs no extra step.  A file that is there but
 * not a key is an error, never replaced. */
gboolean
kb_seal_key_load (const gchar *path, guint8 key[KB_SEAL_KEY_LEN], GError **error)
{
  g_autofree gchar *text = NULL;
  gsize len = 0;
  g_autoptr (GError) read_error = NULL;

  kb_sodium_init ();
  if (!g_file_get_contents (path, &text, &len, &read_error)) {
    if (!g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_set_error (error, KB_ERROR, KB_ERROR_INVALID, "key_file %s: %s", path, read_error->message);
      return FALSE;
    }
    gchar hex[2 * KB_SEAL_KEY_LEN + 2];
    crypto_secretbox_keygen (key);
    sodium_bin2hex (hex, sizeof hex - 1, key, KB_SEAL_KEY_LEN);
    strcat (hex, "\n");
    if (!g_file_set_contents_full (path, hex, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
      sodium_memzero (hex, sizeof hex);
      return FALSE;
    }
    sodium_memzero (hex, sizeof hex);
    g_message ("made a new key for sealed links in %s", path);
    return TRUE;
  }
  g_strstrip (text);
  gsize bin_len = 0;
  gboolean ok =
      strlen (text) == 2 * KB_SEAL_KEY_LEN
      && sodium_hex2bin (key, KB_SEAL_KEY_LEN, text, strlen (text), NULL, &bin_len, NULL) == 0
      && bin_len == KB_SEAL_KEY_LEN;
  sodium_memzero (text, strlen (text));
  if (!ok)
    g_set_error (error, KB_ERROR, KB_ERROR_INVALID,
                 "key_file %s must hold 64 hexadecimal digits (a 32-byte key)", path);
  return ok;
}

gchar *
kb_seal_token (const guint8 key[KB_SEAL_KEY_LEN], const gchar *token)
{
  gsize n = strlen (token);
  gsize sealed_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
  g_autofree guint8 *sealed = g_malloc (sealed_len);
  GString *out = g_string_sized_new (2 + 2 * sealed_len);

  kb_sodium_init ();
  randombytes_buf (sealed, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy (sealed + crypto_secretbox_NONCEBYTES, (const guint8 *) token, n, sealed,
                         key);
  g_string_append (out, "\\x");
  for (gsize i = 0; i < sealed_len; i++)
    g_string_append_printf (out, "%02x", sealed[i]);
  return g_string_free (out, FALSE);
}

gchar *
kb_unseal_token (const guint8 key[KB_SEAL_KEY_LEN], const gchar *hex)
{
  gsize hex_len = hex ? strlen (hex) : 0;
  gsize len = 0;
  g_autofree guint8 *sealed = g_malloc (hex_len / 2 + 1);

  kb_sodium_init ();
  if (hex_len == 0 || sodium_hex2bin (sealed, hex_len / 2 + 1, hex, hex_len, NULL, &len, NULL) != 0
      || len <= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return NULL;
  gsize n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
  gchar *token = g_malloc0 (n + 1);
  if (crypto_secretbox_open_easy ((guint8 *) token, sealed + crypto_secretbox_NONCEBYTES,
                                  len - crypto_secretbox_NONCEBYTES, sealed, key)
      != 0) {
    g_free (token);
    return NULL;
  }
  return token;
}
