/* km-srtpcrypto.c — libsrtp2's AES-ICM-128 cipher and HMAC-SHA1 on
 * OpenSSL contexts that are keyed once.
 *
 * Debian builds libsrtp2 on NSS, and libsrtp2's NSS code sets a cipher and
 * a hash context up again for every packet: a PKCS#11 context object, the
 * AES key schedule, HMAC's two padded key blocks, each under NSS's locks.
 * In the relay's profile that was a third of its CPU (NSS's softokn,
 * freebl, nss3 and nspr), more than the AES and SHA-1 themselves.
 *
 * libsrtp2 lets a program put its own implementation of a cipher or an
 * authentication type into its crypto kernel (srtp_replace_cipher_type,
 * srtp_replace_auth_type, public in its headers); the kernel takes one
 * only if it gives the known answers of its own tests and of the type it
 * replaces.  Everything else stays libsrtp2's: the SRTP and SRTCP framing,
 * key derivation, replay windows, rollover counters.  kontor's types keep
 * an OpenSSL context per key: AES-128 in counter mode keyed once, whose
 * counter is set per packet; HMAC-SHA1 keyed once and restarted per
 * packet.  The crypto kernel is the process's, so webrtcbin's srtpenc and
 * srtpdec use them too for sessions made afterwards.
 *
 * km_srtp_init, libsrtp2's set-up, installs them once, before any
 * session exists (km_init calls it).
 * KONTOR_MEDIA_SRTP_NSS=1 keeps libsrtp2's own, for comparisons.
 */
#include "media/km-private.h"
#include "media/km-srtp.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <string.h>

#define SHA1_LEN 20

/* ---- AES-128 in integer counter mode (RFC 3711 4.1.1) ---- */

typedef struct {
  EVP_CIPHER_CTX *ctx;
  /* The session salt, two zero octets after it: the counter block is
   * this XOR the packet's IV (RFC 3711 4.1.1). */
  guint8 offset[16];
} KmIcm;

static srtp_cipher_type_t icm_type;

static srtp_err_status_t
icm_alloc (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  (void) tag_len;
  if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT)
    return srtp_err_status_bad_param;
  KmIcm *icm = g_new0 (KmIcm, 1);
  icm->ctx = EVP_CIPHER_CTX_new ();
  if (!icm->ctx) {
    g_free (icm);
    return srtp_err_status_alloc_fail;
  }
  srtp_cipher_t *c = g_new0 (srtp_cipher_t, 1);
  c->type = &icm_type;
  c->state = icm;
  c->key_len = key_len;
  c->algorithm = SRTP_AES_ICM_128;
  *cp = c;
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_dealloc (srtp_cipher_pointer_t c)
{
  KmIcm *icm = c->state;
  EVP_CIPHER_CTX_free (icm->ctx);
  /* The offset is key material. */
  explicit_bzero (icm, sizeof *icm);
  g_free (icm);
  g_free (c);
  return srtp_err_status_ok;
}

/* key: the AES key, then the 14-octet salt. */
static srtp_err_status_t
icm_init (void *state, const uint8_t *key)
{
  KmIcm *icm = state;
  memset (icm->offset, 0, sizeof icm->offset);
  memcpy (icm->offset, key + SRTP_AES_128_KEY_LEN, SRTP_SALT_LEN);
  if (!EVP_CIPHER_CTX_reset (icm->ctx)
      || !EVP_EncryptInit_ex (icm->ctx, EVP_aes_128_ctr (), NULL, key, NULL))
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

/* Once per packet: the counter block only, the key schedule stays. */
static srtp_err_status_t
icm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  (void) direction; /* counter mode: the same both ways */
  KmIcm *icm = state;
  guint8 counter[16];
  for (guint i = 0; i < sizeof counter; i++)
    counter[i] = icm->offset[i] ^ iv[i];
  if (!EVP_EncryptInit_ex (icm->ctx, NULL, NULL, NULL, counter))
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* In place; a second call goes on with the same key stream. */
static srtp_err_status_t
icm_encrypt (void *state, uint8_t *buffer, unsigned int *len)
{
  KmIcm *icm = state;
  int out = 0;
  if (*len > G_MAXINT || !EVP_EncryptUpdate (icm->ctx, buffer, &out, buffer, (int) *len)
      || out != (int) *len)
    return srtp_err_status_cipher_fail;
  return srtp_err_status_ok;
}

/* RFC 3711 B.2: the first 32 octets of key stream for its session key and
 * salt, packet index 0 (as the encryption of zeros). */
static const guint8 icm_key[30] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
                                    0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
                                    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd };
static guint8 icm_index[16];
static const guint8 icm_zeros[32];
static const guint8 icm_stream[32] = { 0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
                                       0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
                                       0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
                                       0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab };
static const srtp_cipher_test_case_t icm_test = {
  .key_length_octets = sizeof icm_key,
  .key = icm_key,
  .idx = icm_index,
  .plaintext_length_octets = sizeof icm_zeros,
  .plaintext = icm_zeros,
  .ciphertext_length_octets = sizeof icm_stream,
  .ciphertext = icm_stream,
};

static srtp_cipher_type_t icm_type = {
  .alloc = icm_alloc,
  .dealloc = icm_dealloc,
  .init = icm_init,
  .encrypt = icm_encrypt,
  .decrypt = icm_encrypt,
  .set_iv = icm_set_iv,
  .description = "AES-128 integer counter mode (kontor, OpenSSL)",
  .test_data = &icm_test,
  .id = SRTP_AES_ICM_128,
};

/* ---- HMAC-SHA1 (RFC 2104), the tag cut to what the profile wants ---- */

static EVP_MAC *hmac; /* fetched once, by km_srtp_crypto_install */

static srtp_auth_type_t hmac_type;

static srtp_err_status_t
hmac_alloc (srtp_auth_pointer_t *ap, int key_len, int out_len)
{
  if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)
    return srtp_err_status_bad_param;
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_new (hmac);
  if (!ctx)
    return srtp_err_status_alloc_fail;
  srtp_auth_t *a = g_new0 (srtp_auth_t, 1);
  a->type = &hmac_type;
  a->state = ctx;
  a->out_len = out_len;
  a->key_len = key_len;
  a->prefix_len = 0;
  *ap = a;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc (srtp_auth_pointer_t a)
{
  EVP_MAC_CTX_free (a->state); /* clears its key */
  g_free (a);
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_init (void *state, const uint8_t *key, int key_len)
{
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA1", 0),
    OSSL_PARAM_construct_end (),
  };
  if (!EVP_MAC_init (state, key, (size_t) key_len, params))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

/* Once per packet: the keyed pads are kept, only the hash starts again. */
static srtp_err_status_t
hmac_start (void *state)
{
  if (!EVP_MAC_init (state, NULL, 0, NULL))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_update (void *state, const uint8_t *buffer, int len)
{
  if (len < 0 || !EVP_MAC_update (state, buffer, (size_t) len))
    return srtp_err_status_auth_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_compute (void *state, const uint8_t *buffer, int len, int tag_len, uint8_t *tag)
{
  guint8 full[SHA1_LEN];
  size_t n = 0;
  if (tag_len < 0 || tag_len > SHA1_LEN || len < 0 || !EVP_MAC_update (state, buffer, (size_t) len)
      || !EVP_MAC_final (state, full, &n, sizeof full) || n != SHA1_LEN)
    return srtp_err_status_auth_fail;
  memcpy (tag, full, (size_t) tag_len);
  return srtp_err_status_ok;
}

/* RFC 2202, HMAC-SHA-1 test case 1. */
static const guint8 hmac_key[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                     0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
static const guint8 hmac_data[8] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const guint8 hmac_tag[20] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                                     0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
static const srtp_auth_test_case_t hmac_test = {
  .key_length_octets = sizeof hmac_key,
  .key = hmac_key,
  .data_length_octets = sizeof hmac_data,
  .data = hmac_data,
  .tag_length_octets = sizeof hmac_tag,
  .tag = hmac_tag,
};

static srtp_auth_type_t hmac_type = {
  .alloc = hmac_alloc,
  .dealloc = hmac_dealloc,
  .init = hmac_init,
  .compute = hmac_compute,
  .update = hmac_update,
  .start = hmac_start,
  .description = "HMAC-SHA1 (kontor, OpenSSL)",
  .test_data = &hmac_test,
  .id = SRTP_HMAC_SHA1,
};

/* ---- installing them ---- */

static gint installed; /* atomic */

void
km_srtp_init (void)
{
  static gsize done;
  if (g_once_init_enter (&done)) {
    /* GStreamer's srtp plugin has usually called it already; a second
     * call finds the crypto kernel ready and refuses only to register its
     * debug module twice (srtp_err_status_bad_param), which is harmless. */
    srtp_err_status_t st = srtp_init ();
    if (st != srtp_err_status_ok && st != srtp_err_status_bad_param)
      GST_ERROR ("srtp_init: %d", st);
    static gint nss = -1;
    g_autoptr (GError) error = NULL;
    if (km_env_switch ("KONTOR_MEDIA_SRTP_NSS", &nss))
      GST_INFO ("SRTP ciphers: libsrtp2's own (KONTOR_MEDIA_SRTP_NSS=1)");
    else if (km_srtp_crypto_install (&error))
      GST_INFO ("SRTP ciphers: AES-ICM-128 and HMAC-SHA1 on OpenSSL (km-srtpcrypto.c)");
    else
      GST_WARNING ("SRTP ciphers: libsrtp2's own, since %s", error->message);
    g_once_init_leave (&done, 1);
  }
}

gboolean
km_srtp_crypto_install (GError **error)
{
  if (!hmac)
    hmac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  if (!hmac) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "OpenSSL has no HMAC");
    return FALSE;
  }
  srtp_err_status_t st = srtp_replace_cipher_type (&icm_type, SRTP_AES_ICM_128);
  if (st != srtp_err_status_ok) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "libsrtp2 refused kontor's AES-ICM-128 (status %d)", st);
    return FALSE;
  }
  st = srtp_replace_auth_type (&hmac_type, SRTP_HMAC_SHA1);
  if (st != srtp_err_status_ok) {
    /* The cipher stays kontor's: it passed, and sessions may use it. */
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "libsrtp2 refused kontor's HMAC-SHA1 (status %d)", st);
    return FALSE;
  }
  g_atomic_int_set (&installed, 1);
  return TRUE;
}

gboolean
km_srtp_crypto_installed (void)
{
  return g_atomic_int_get (&installed);
}
