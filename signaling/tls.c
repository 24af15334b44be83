/* tls.c — a new certificate for the running server (SIGHUP): reads
 * tls_cert and tls_key, checks them whole, and only then puts them in the
 * vhost's SSL_CTX.  Connections already open keep the certificate they
 * were made with (OpenSSL copies it into each connection); the next
 * handshake gets the new one.
 *
 * Why not lws_tls_cert_updated(): in libwebsockets 4.1 it returns 0 whatever
 * happens, and it loads the certificate before the key into the live
 * SSL_CTX, so a key that does not match leaves the server with a
 * certificate and no key: every handshake after it fails.  Here nothing
 * changes until the pair is known to be good. */

#include "signaling/ks-server.h"

#if defined(LWS_WITH_MBEDTLS) || !defined(LWS_WITH_TLS)
#error "the certificate reload needs libwebsockets built with OpenSSL"
#endif

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)

static void
free_chain (STACK_OF (X509) * chain)
{
  sk_X509_pop_free (chain, X509_free);
}

/* OpenSSL's reason for the last failure (its queue is emptied), or
 * fallback when it has none. */
static gchar *
openssl_reason (const gchar *fallback)
{
  unsigned long code = ERR_peek_last_error ();
  ERR_clear_error ();
  if (!code)
    return g_strdup (fallback);
  gchar text[256];
  ERR_error_string_n (code, text, sizeof text);
  return g_strdup (text);
}

/* A key file with a passphrase cannot be reloaded unattended: without this
 * OpenSSL would ask for the passphrase on the terminal. */
static int
no_passphrase (char *buf, int size, int rwflag, void *u)
{
  (void) buf, (void) size, (void) rwflag, (void) u;
  return -1;
}

static gchar *
read_pem (const gchar *what, const gchar *path, gsize *length, GError **error)
{
  g_autoptr (GError) local = NULL;
  gchar *text = NULL;
  if (!g_file_get_contents (path, &text, length, &local)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "%s: %s", what, local->message);
    return NULL;
  }
  return text;
}

/* "CN=…, valid until …, SHA-256 AB:CD:…" for the log. */
static gchar *
describe (X509 *cert)
{
  gchar subject[256] = "";
  X509_NAME_oneline (X509_get_subject_name (cert), subject, sizeof subject);
  g_autoptr (BIO) out = BIO_new (BIO_s_mem ());
  ASN1_TIME_print (out, X509_get0_notAfter (cert));
  gchar until[64] = "";
  int n = BIO_read (out, until, sizeof until - 1);
  until[MAX (n, 0)] = '\0';
  guchar md[EVP_MAX_MD_SIZE];
  guint md_len = 0;
  X509_digest (cert, EVP_sha256 (), md, &md_len);
  g_autoptr (GString) fp = g_string_new (NULL);
  for (guint i = 0; i < md_len; i++)
    g_string_append_printf (fp, "%s%02X", i ? ":" : "", md[i]);
  return g_strdup_printf ("%s, valid until %s, SHA-256 %s", subject, until, fp->str);
}

gchar *
ks_tls_install (SSL_CTX *ctx, const gchar *cert_path, const gchar *key_path, GError **error)
{
  ERR_clear_error ();
  gsize cert_len = 0, key_len = 0;
  g_autofree gchar *cert_pem = read_pem ("tls_cert", cert_path, &cert_len, error);
  if (!cert_pem)
    return NULL;
  g_autofree gchar *key_pem = read_pem ("tls_key", key_path, &key_len, error);
  if (!key_pem)
    return NULL;

  /* The certificate first, then the intermediates (a "fullchain" file),
   * as lws reads it at start-up. */
  g_autoptr (BIO) cert_bio = BIO_new_mem_buf (cert_pem, (int) cert_len);
  g_autoptr (X509) leaf = PEM_read_bio_X509_AUX (cert_bio, NULL, no_passphrase, NULL);
  if (!leaf) {
    g_autofree gchar *why = openssl_reason ("nothing readable");
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "tls_cert %s holds no PEM certificate (%s)",
                 cert_path, why);
    return NULL;
  }
  STACK_OF (X509) *chain = sk_X509_new_null ();
  X509 *next;
  while ((next = PEM_read_bio_X509 (cert_bio, NULL, no_passphrase, NULL)))
    sk_X509_push (chain, next);
  /* The loop ends at the end of the file (no start line), which is no
   * error; anything else is. */
  unsigned long last = ERR_peek_last_error ();
  if (last
      && !(ERR_GET_LIB (last) == ERR_LIB_PEM && ERR_GET_REASON (last) == PEM_R_NO_START_LINE)) {
    g_autofree gchar *why = openssl_reason ("a broken certificate after the first");
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "tls_cert %s: %s", cert_path, why);
    free_chain (chain);
    return NULL;
  }
  ERR_clear_error ();

  g_autoptr (BIO) key_bio = BIO_new_mem_buf (key_pem, (int) key_len);
  g_autoptr (EVP_PKEY) key = PEM_read_bio_PrivateKey (key_bio, NULL, no_passphrase, NULL);
  explicit_bzero (key_pem, key_len);
  if (!key) {
    g_autofree gchar *why = openssl_reason ("nothing readable");
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "tls_key %s holds no PEM private key without a passphrase (%s)", key_path, why);
    free_chain (chain);
    return NULL;
  }
  if (X509_check_private_key (leaf, key) != 1) {
    ERR_clear_error ();
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "tls_key %s does not belong to the certificate in tls_cert %s", key_path,
                 cert_path);
    free_chain (chain);
    return NULL;
  }
  if (X509_cmp_current_time (X509_get0_notAfter (leaf)) <= 0) {
    g_autofree gchar *what = describe (leaf);
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "tls_cert %s has expired (%s)", cert_path, what);
    free_chain (chain);
    return NULL;
  }
  /* OpenSSL keeps one certificate per key type: an RSA certificate put
   * beside a running ECDSA one would not replace it, and some clients
   * would go on getting the old one. */
  EVP_PKEY *running = SSL_CTX_get0_privatekey (ctx);
  if (running && EVP_PKEY_get_base_id (running) != EVP_PKEY_get_base_id (key)) {
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG,
                 "the new key in %s is %s, the running one %s: changing the key type needs a "
                 "restart",
                 key_path, EVP_PKEY_get0_type_name (key), EVP_PKEY_get0_type_name (running));
    free_chain (chain);
    return NULL;
  }

  /* Certificate, key and chain in one step, replacing the old ones. */
  int ok = SSL_CTX_use_cert_and_key (ctx, leaf, key, chain, 1);
  free_chain (chain);
  if (ok != 1) {
    g_autofree gchar *why = openssl_reason ("refused");
    g_set_error (error, KS_ERROR, KS_ERROR_CONFIG, "tls_cert %s: OpenSSL would not use it: %s",
                 cert_path, why);
    return NULL;
  }
  return describe (leaf);
}
