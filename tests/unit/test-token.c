/* test-token.c — link and session secrets: format, hashing, constant-time
 * comparison, argon2id passwords. */
#include "booking/booking.h"

#include <string.h>

static void
test_token_format (void)
{
  g_autofree gchar *a = kb_token_new ();
  g_autofree gchar *b = kb_token_new ();

  g_assert_cmpuint (strlen (a), ==, 43);
  for (const gchar *p = a; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
  g_assert_cmpstr (a, !=, b);
}

static void
test_token_hash (void)
{
  /* SHA-256("abc"), FIPS 180-2 test vector. */
  static const guint8 abc[KB_TOKEN_HASH_LEN] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
  guint8 h1[KB_TOKEN_HASH_LEN], h2[KB_TOKEN_HASH_LEN];
  g_autofree gchar *t = kb_token_new ();

  kb_token_hash ("abc", h1);
  g_assert_cmpmem (h1, sizeof h1, abc, sizeof abc);

  kb_token_hash (t, h1);
  kb_token_hash (t, h2);
  g_assert_true (kb_secret_equal (h1, h2, sizeof h1));
  /* One character more or less is another hash. */
  {
    g_autofree gchar *t2 = g_strdup (t);

    t2[42] = t2[42] == 'A' ? 'B' : 'A';
    kb_token_hash (t2, h2);
    g_assert_false (kb_secret_equal (h1, h2, sizeof h1));
  }
}

static void
test_secret_equal (void)
{
  guint8 a[32], b[32];

  memset (a, 7, sizeof a);
  memcpy (b, a, sizeof b);
  g_assert_true (kb_secret_equal (a, b, sizeof a));
  /* A difference in the first, a middle and the last byte. */
  for (guint i = 0; i < sizeof b; i += 15) {
    b[i] ^= 1;
    g_assert_false (kb_secret_equal (a, b, sizeof a));
    b[i] ^= 1;
  }
  b[31] ^= 0x80;
  g_assert_false (kb_secret_equal (a, b, sizeof a));
  g_assert_true (kb_secret_equal (a, b, 0));
}

static void
test_password (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *h = kb_password_hash ("correct horse battery staple", &error);
  g_autofree gchar *h2 = kb_password_hash ("correct horse battery staple", NULL);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (h, "$argon2id$"));
  g_assert_cmpstr (h, !=, h2); /* salted */
  g_assert_true (kb_password_verify (h, "correct horse battery staple"));
  g_assert_false (kb_password_verify (h, "correct horse battery stapl"));
  g_assert_false (kb_password_verify (h, ""));
  g_assert_false (kb_password_verify ("not a hash", "x"));
  g_assert_false (kb_password_verify (NULL, "x"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/unit/token/format", test_token_format);
  g_test_add_func ("/unit/token/hash", test_token_hash);
  g_test_add_func ("/unit/token/secret-equal", test_secret_equal);
  g_test_add_func ("/unit/token/password", test_password);
  return g_test_run ();
}
