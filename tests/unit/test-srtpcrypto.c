/* test-srtpcrypto.c — kontor's AES-ICM-128 and HMAC-SHA1 for libsrtp2
 * (media/km-srtpcrypto.c) speak SRTP with libsrtp2's own: what one
 * protects the other decrypts and authenticates, RTP and RTCP, both tag
 * lengths, every payload size a browser sends, across a sequence number
 * wrap; a packet changed on the way is refused.  libsrtp2's own ciphers
 * are the ones Debian's libsrtp2 brings (NSS); sessions made before the
 * install keep them, so both live in one process here. */
#include "media/km-private.h"
#include "media/km-srtp.h"

#include <string.h>

static const guint8 key[30] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
                                0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05,
                                0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };

#define SSRC 0x5eed1234u

typedef enum { TAG_80, TAG_32 } Tag;

/* Sessions for both directions, with ciphers of whoever is installed now. */
typedef struct {
  srtp_t out, in;
} Pair;

static Pair pairs[2][2]; /* [libsrtp2's own = 0, kontor's = 1][tag] */

static srtp_t
session (Tag tag, srtp_ssrc_type_t type)
{
  srtp_policy_t policy;
  km_srtp_policy_init (&policy, key, 1024);
  if (tag == TAG_32)
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
  policy.ssrc.type = type;
  srtp_t s = NULL;
  g_assert_cmpint (srtp_create (&s, &policy), ==, srtp_err_status_ok);
  return s;
}

static Pair
pair_new (Tag tag)
{
  return (Pair){ session (tag, ssrc_any_outbound), session (tag, ssrc_any_inbound) };
}

/* An RTP packet: header then a payload of len bytes made from seq. */
static int
rtp (guint8 *p, guint16 seq, int len)
{
  p[0] = 0x80;
  p[1] = 96;
  GST_WRITE_UINT16_BE (p + 2, seq);
  GST_WRITE_UINT32_BE (p + 4, seq * 3000u);
  GST_WRITE_UINT32_BE (p + 8, SSRC);
  for (int i = 0; i < len; i++)
    p[12 + i] = (guint8) (seq * 7 + i);
  return 12 + len;
}

/* A receiver report with one block. */
static int
rtcp (guint8 *p, guint n)
{
  memset (p, 0, 32);
  p[0] = 0x81;
  p[1] = 201;
  GST_WRITE_UINT16_BE (p + 2, 7);
  GST_WRITE_UINT32_BE (p + 4, SSRC);
  GST_WRITE_UINT32_BE (p + 8, 0xabcdef01u);
  GST_WRITE_UINT32_BE (p + 12, n);
  return 32;
}

/* Sizes from an empty payload to more than a browser's largest, odd ones
 * included: the key stream is cut in the middle of an AES block. */
static const int sizes[] = { 0, 1, 15, 16, 17, 160, 1000, 1187, 1200, 1400 };

/* from protects, to decrypts: count packets from seq on, every size. */
static void
rtp_passes (Pair *from, Pair *to, guint16 seq, guint count)
{
  for (guint i = 0; i < count; i++, seq++) {
    int len = sizes[i % G_N_ELEMENTS (sizes)];
    guint8 plain[1500], p[1500 + SRTP_MAX_TRAILER_LEN];
    int n = rtp (plain, seq, len);
    memcpy (p, plain, (gsize) n);
    int sent = n;
    g_assert_cmpint (srtp_protect (from->out, p, &sent), ==, srtp_err_status_ok);
    g_assert_cmpint (sent, >, n);
    g_assert_true (len == 0 || memcmp (p + 12, plain + 12, (gsize) len) != 0);
    g_assert_cmpint (srtp_unprotect (to->in, p, &sent), ==, srtp_err_status_ok);
    g_assert_cmpint (sent, ==, n);
    g_assert_cmpmem (p, (gsize) n, plain, (gsize) n);
  }
}

static void
rtcp_passes (Pair *from, Pair *to, guint count)
{
  for (guint i = 0; i < count; i++) {
    guint8 plain[32], p[32 + SRTP_MAX_TRAILER_LEN + 4];
    int n = rtcp (plain, i);
    memcpy (p, plain, (gsize) n);
    int sent = n;
    g_assert_cmpint (srtp_protect_rtcp (from->out, p, &sent), ==, srtp_err_status_ok);
    g_assert_cmpint (srtp_unprotect_rtcp (to->in, p, &sent), ==, srtp_err_status_ok);
    g_assert_cmpmem (p, (gsize) n, plain, (gsize) n);
  }
}

static void
test_known_answers (void)
{
  /* Installing again runs libsrtp2's checks again, against kontor's own
   * answers and those of the type it replaces (RFC 3711 B.2, RFC 2202). */
  g_autoptr (GError) error = NULL;
  g_assert_true (km_srtp_crypto_install (&error));
  g_assert_no_error (error);
}

static void
test_own_to_kontor (void)
{
  for (Tag t = TAG_80; t <= TAG_32; t++) {
    /* Across a wrap: the rollover counter is in the IV and the tag. */
    rtp_passes (&pairs[0][t], &pairs[1][t], 65000, 1000);
    rtcp_passes (&pairs[0][t], &pairs[1][t], 50);
  }
}

static void
test_kontor_to_own (void)
{
  for (Tag t = TAG_80; t <= TAG_32; t++) {
    rtp_passes (&pairs[1][t], &pairs[0][t], 65000, 1000);
    rtcp_passes (&pairs[1][t], &pairs[0][t], 50);
  }
}

static void
test_changed_packet_refused (void)
{
  Pair a = pair_new (TAG_80), b = pair_new (TAG_80);
  for (int at = 0; at < 3; at++) {
    guint8 p[1500 + SRTP_MAX_TRAILER_LEN];
    int n = rtp (p, (guint16) (100 + at), 200);
    g_assert_cmpint (srtp_protect (a.out, p, &n), ==, srtp_err_status_ok);
    /* The header, the payload, the tag. */
    int where[] = { 3, 100, n - 1 };
    p[where[at]] ^= 0x01;
    g_assert_cmpint (srtp_unprotect (b.in, p, &n), ==, srtp_err_status_auth_fail);
  }
  srtp_dealloc (a.out);
  srtp_dealloc (a.in);
  srtp_dealloc (b.out);
  srtp_dealloc (b.in);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  /* libsrtp2's own first, as GStreamer's srtp plugin starts it; then
   * kontor's, as km_init installs them. */
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  for (Tag t = TAG_80; t <= TAG_32; t++)
    pairs[0][t] = pair_new (t);
  g_setenv ("KONTOR_MEDIA_SRTP_NSS", "0", TRUE);
  km_srtp_init ();
  g_assert_true (km_srtp_crypto_installed ());
  for (Tag t = TAG_80; t <= TAG_32; t++)
    pairs[1][t] = pair_new (t);

  g_test_add_func ("/srtp-crypto/known-answers", test_known_answers);
  g_test_add_func ("/srtp-crypto/libsrtp2s-own-to-kontors", test_own_to_kontor);
  g_test_add_func ("/srtp-crypto/kontors-to-libsrtp2s-own", test_kontor_to_own);
  g_test_add_func ("/srtp-crypto/changed-packet-refused", test_changed_packet_refused);
  int ret = g_test_run ();
  for (int i = 0; i < 2; i++)
    for (Tag t = TAG_80; t <= TAG_32; t++) {
      srtp_dealloc (pairs[i][t].out);
      srtp_dealloc (pairs[i][t].in);
    }
  return ret;
}
