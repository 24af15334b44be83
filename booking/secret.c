/* secret.c — link tokens, session secrets, references and passwords, and
 * running their slow hashing off the main loop.
 * Raw secrets leave this process only towards their owner; the database
 * keeps SHA-256 hashes (tokens) or argon2id hashes (passwords). */
#include "kb-private.h"

#include <sodium.h>
#include <string.h>

void
kb_sodium_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done)) {
    /* Only fails when the system has no entropy source: nothing safe is
     * possible without one. */
    if (sodium_init () < 0)
      g_error ("libsodium could not be initialised");
    g_once_init_leave (&done, 1);
  }
}

gchar *
kb_token_new (void)
{
  guint8 raw[32];
  gchar out[sodium_base64_ENCODED_LEN (32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  kb_sodium_init ();
  randombytes_buf (raw, sizeof raw);
  sodium_bin2base64 (out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (raw, sizeof raw);
  return g_strdup (out);
}

void
kb_token_hash (const gchar *token, guint8 out[KB_TOKEN_HASH_LEN])
{
  kb_sodium_init ();
  crypto_hash_sha256 (out, (const guint8 *) token, strlen (token));
}

gboolean
kb_secret_equal (const void *a, const void *b, gsize len)
{
  return sodium_memcmp (a, b, len) == 0;
}

/* Interactive limits (about 64 MiB and 0.1 s): a login must stay quick on a
 * small server while an offline guess stays expensive. */
gchar *
kb_password_hash (const gchar *password, GError **error)
{
  gchar out[crypto_pwhash_STRBYTES];

  kb_sodium_init ();
  if (crypto_pwhash_str (out, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE)
      != 0) {
    g_set_error_literal (error, KB_ERROR, KB_ERROR_DATABASE,
                         "out of memory while hashing a password");
    return NULL;
  }
  return g_strdup (out);
}

gboolean
kb_password_verify (const gchar *hash, const gchar *password)
{
  kb_sodium_init ();
  if (hash == NULL || password == NULL)
    return FALSE;
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

/* No 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B: a reference is read aloud on the
 * phone and typed at a kiosk.  migration 002 checks the same alphabet. */
static const gchar reference_alphabet[] = "ACDEFHJKMNPQRTUVWXY34679";

gchar *
kb_reference_new (void)
{
  gchar out[8];
  const guint n = sizeof reference_alphabet - 1;

  kb_sodium_init ();
  for (guint i = 0; i < 7; i++)
    out[i] = i == 3 ? '-' : reference_alphabet[randombytes_uniform (n)];
  out[7] = '\0';
  return g_strdup (out);
}

gchar *
kb_password_new (guint length)
{
  static const gchar alphabet[] = "abcdefghjkmnpqrstuvwxyzACDEFHJKMNPQRTUVWXY34679";
  gchar *out = g_malloc (length + 1);

  kb_sodium_init ();
  for (guint i = 0; i < length; i++)
    out[i] = alphabet[randombytes_uniform (sizeof alphabet - 1)];
  out[length] = '\0';
  return out;
}

gchar *
kb_kiosk_code_new (void)
{
  kb_sodium_init ();
  return g_strdup_printf ("%06u", (guint) randombytes_uniform (1000000));
}

gchar *
kb_kiosk_code_hash (const gchar *code)
{
  gchar out[crypto_pwhash_STRBYTES];

  kb_sodium_init ();
  if (crypto_pwhash_str (out, code, strlen (code), crypto_pwhash_OPSLIMIT_MIN + 1, 8 * 1024 * 1024)
      != 0)
    return NULL;
  return g_strdup (out);
}

void
kb_secret_free (gchar *secret)
{
  if (secret)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* Hashing and verifying with argon2 take long enough to stall every other
 * client if done on the loop; all four users (login, kiosk code, booking,
 * new caseworker) hand the work to a thread the same way. */
void
kb_task_run_blocking (GTask *task, GTaskThreadFunc func, GAsyncReadyCallback done)
{
  GTask *inner = g_task_new (NULL, NULL, done, task);

  g_task_set_task_data (inner, g_task_get_task_data (task), NULL);
  g_task_run_in_thread (inner, func);
  g_object_unref (inner);
}
