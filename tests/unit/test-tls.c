/* test-tls.c — the certificate reload (signaling/tls.c): a good pair
 * replaces the one in use; every bad one (missing, garbage, a key of
 * another certificate, another key type, expired) is refused with a
 * message that names the trouble, and the SSL_CTX keeps serving the old
 * certificate.  The certificates are made here, in memory. */
#include "signaling/ks-server.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static gchar *dir;

/* A self-signed certificate for CN=name with a new key of type ("EC" or
 * "RSA"), valid from now + from_s for days; written as NAME.crt and
 * NAME.key in dir. */
static void
make_pair (const gchar *name, const gchar *type, glong from_s, glong days)
{
  EVP_PKEY *key = g_str_equal (type, "EC") ? EVP_EC_gen ("P-256") : EVP_RSA_gen (2048);
  g_assert_nonnull (key);
  X509 *cert = X509_new ();
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), g_random_int_range (1, G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (cert), from_s);
  X509_gmtime_adj (X509_getm_notAfter (cert), from_s + days * 86400);
  X509_set_pubkey (cert, key);
  X509_NAME *subject = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_ASC, (const guchar *) name, -1, -1, 0);
  X509_set_issuer_name (cert, subject);
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);

  g_autofree gchar *crt_path = g_strdup_printf ("%s/%s.crt", dir, name);
  g_autofree gchar *key_path = g_strdup_printf ("%s/%s.key", dir, name);
  FILE *f = fopen (crt_path, "w");
  g_assert_nonnull (f);
  g_assert_true (PEM_write_X509 (f, cert));
  fclose (f);
  f = fopen (key_path, "w");
  g_assert_nonnull (f);
  g_assert_true (PEM_write_PrivateKey (f, key, NULL, NULL, 0, NULL, NULL));
  fclose (f);
  X509_free (cert);
  EVP_PKEY_free (key);
}

static gchar *
path (const gchar *file)
{
  return g_build_filename (dir, file, NULL);
}

/* The CN of the certificate ctx serves now. */
static gchar *
serving (SSL_CTX *ctx)
{
  X509 *cert = SSL_CTX_get0_certificate (ctx);
  g_assert_nonnull (cert);
  gchar cn[64] = "";
  X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, cn, sizeof cn);
  return g_strdup (cn);
}

static SSL_CTX *
ctx_with (const gchar *name)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());
  g_autofree gchar *crt = g_strdup_printf ("%s/%s.crt", dir, name);
  g_autofree gchar *key = g_strdup_printf ("%s/%s.key", dir, name);
  g_assert_cmpint (SSL_CTX_use_certificate_chain_file (ctx, crt), ==, 1);
  g_assert_cmpint (SSL_CTX_use_PrivateKey_file (ctx, key, SSL_FILETYPE_PEM), ==, 1);
  return ctx;
}

static void
test_good_pair_replaces (void)
{
  SSL_CTX *ctx = ctx_with ("old");
  g_autofree gchar *crt = path ("new.crt"), *key = path ("new.key");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *what = ks_tls_install (ctx, crt, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (what, "CN=new"));
  g_assert_nonnull (strstr (what, "SHA-256 "));
  g_autofree gchar *cn = serving (ctx);
  g_assert_cmpstr (cn, ==, "new");
  g_assert_cmpint (SSL_CTX_check_private_key (ctx), ==, 1);
  SSL_CTX_free (ctx);
}

/* Each bad pair: refused, the message names what is wrong, and the old
 * certificate and key still serve. */
static void
test_bad_pairs_keep_the_old (void)
{
  g_autofree gchar *garbage = path ("garbage.pem");
  g_assert_true (g_file_set_contents (garbage, "not a certificate\n", -1, NULL));
  const struct {
    const gchar *cert, *key, *says;
  } cases[] = {
    { "missing.crt", "new.key", "No such file" },
    { "new.crt", "missing.key", "No such file" },
    { "garbage.pem", "new.key", "holds no PEM certificate" },
    { "new.crt", "garbage.pem", "holds no PEM private key" },
    { "new.crt", "other.key", "does not belong to the certificate" },
    { "rsa.crt", "rsa.key", "changing the key type needs a restart" },
    { "expired.crt", "expired.key", "has expired" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    SSL_CTX *ctx = ctx_with ("old");
    g_autofree gchar *crt = path (cases[i].cert), *key = path (cases[i].key);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *what = ks_tls_install (ctx, crt, key, &error);
    g_assert_null (what);
    g_assert_error (error, KS_ERROR, KS_ERROR_CONFIG);
    g_test_message ("%s + %s: %s", cases[i].cert, cases[i].key, error->message);
    g_assert_nonnull (strstr (error->message, cases[i].says));
    g_autofree gchar *cn = serving (ctx);
    g_assert_cmpstr (cn, ==, "old");
    g_assert_cmpint (SSL_CTX_check_private_key (ctx), ==, 1);
    SSL_CTX_free (ctx);
  }
}

/* A fullchain file: the certificate, then the intermediates, which go into
 * the chain sent to clients. */
static void
test_chain_is_kept (void)
{
  g_autofree gchar *crt = path ("new.crt"), *key = path ("new.key"), *other = path ("other.crt");
  g_autofree gchar *a = NULL, *b = NULL;
  g_assert_true (g_file_get_contents (crt, &a, NULL, NULL));
  g_assert_true (g_file_get_contents (other, &b, NULL, NULL));
  g_autofree gchar *both = g_strconcat (a, b, NULL);
  g_autofree gchar *full = path ("fullchain.pem");
  g_assert_true (g_file_set_contents (full, both, -1, NULL));

  SSL_CTX *ctx = ctx_with ("old");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *what = ks_tls_install (ctx, full, key, &error);
  g_assert_no_error (error);
  STACK_OF (X509) *chain = NULL;
  g_assert_cmpint (SSL_CTX_get0_chain_certs (ctx, &chain), ==, 1);
  g_assert_cmpint (sk_X509_num (chain), ==, 1);
  SSL_CTX_free (ctx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("kontor-tls-XXXXXX", NULL);
  g_assert_nonnull (dir);
  make_pair ("old", "EC", 0, 30);
  make_pair ("new", "EC", 0, 30);
  make_pair ("other", "EC", 0, 30);
  make_pair ("rsa", "RSA", 0, 30);
  make_pair ("expired", "EC", -3 * 86400, 1);
  g_test_add_func ("/tls/good-pair-replaces", test_good_pair_replaces);
  g_test_add_func ("/tls/bad-pairs-keep-the-old", test_bad_pairs_keep_the_old);
  g_test_add_func ("/tls/chain-is-kept", test_chain_is_kept);
  int status = g_test_run ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *p = path (name);
    g_unlink (p);
  }
  g_rmdir (dir);
  g_free (dir);
  return status;
}
