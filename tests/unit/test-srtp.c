/* test-srtp.c — kontor's own SRTP decryption taking over from srtpdec in
 * the middle of a stream (media/km-srtpin.c): a stream whose sequence
 * numbers have wrapped is still decrypted, because the session starts
 * from the rollover counter srtpdec had reached; and without it, it would
 * not be.  Real libsrtp2 on both sides. */
#include "media/km-private.h"
#include "media/km-srtp.h"

#define SSRC 0x1234abcdu
#define OTHER 0x0badcafeu

static const guint8 key[30] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30 };

typedef struct {
  guint8 data[64 + SRTP_MAX_TRAILER_LEN];
  int len;
} Packet;

/* A browser's sender: one outbound session for every stream. */
static srtp_t
sender_new (void)
{
  km_srtp_init ();
  srtp_policy_t policy;
  km_srtp_policy_init (&policy, key, 128);
  policy.ssrc.type = ssrc_any_outbound;
  srtp_t s = NULL;
  g_assert_cmpint (srtp_create (&s, &policy), ==, srtp_err_status_ok);
  return s;
}

/* RTP packet seq of stream ssrc, protected by sender. */
static Packet
protect (srtp_t sender, guint32 ssrc, guint16 seq)
{
  Packet p = { .len = 12 + 20 };
  p.data[0] = 0x80;
  p.data[1] = 96;
  GST_WRITE_UINT16_BE (p.data + 2, seq);
  GST_WRITE_UINT32_BE (p.data + 4, seq * 3000u);
  GST_WRITE_UINT32_BE (p.data + 8, ssrc);
  memset (p.data + 12, seq & 0xff, 20);
  g_assert_cmpint (srtp_protect (sender, p.data, &p.len), ==, srtp_err_status_ok);
  return p;
}

static gboolean
decrypts (srtp_t receiver, Packet p, guint16 seq)
{
  if (srtp_unprotect (receiver, p.data, &p.len) != srtp_err_status_ok)
    return FALSE;
  g_assert_cmpint (p.len, ==, 32);
  g_assert_cmpuint (GST_READ_UINT16_BE (p.data + 2), ==, seq);
  return p.data[12] == (seq & 0xff) && p.data[31] == (seq & 0xff);
}

static void
test_takes_over_after_a_wrap (void)
{
  srtp_t sender = sender_new ();
  /* srtpdec from the stream's first packet, across the wrap. */
  srtp_t srtpdec = km_srtp_in_session_new (key, sizeof key, NULL, NULL, 0);
  g_assert_nonnull (srtpdec);
  for (guint i = 0; i < 12; i++) {
    guint16 seq = (guint16) (65530 + i);
    g_assert_true (decrypts (srtpdec, protect (sender, SSRC, seq), seq));
  }
  guint32 roc = 0;
  g_assert_cmpint (srtp_get_stream_roc (srtpdec, SSRC, &roc), ==, srtp_err_status_ok);
  g_assert_cmpuint (roc, ==, 1);

  /* kontor takes over with the counter srtpdec reached, and a stream
   * that begins after the hand-over starts from 0. */
  guint32 ssrcs[] = { SSRC }, rocs[] = { roc };
  srtp_t ours = km_srtp_in_session_new (key, sizeof key, ssrcs, rocs, 1);
  srtp_t fresh = km_srtp_in_session_new (key, sizeof key, NULL, NULL, 0);
  g_assert_nonnull (ours);
  Packet next = protect (sender, SSRC, 6);
  g_assert_true (decrypts (ours, next, 6));
  /* Without the counter the same packet does not authenticate. */
  g_assert_false (decrypts (fresh, next, 6));
  for (guint16 seq = 7; seq < 40; seq++)
    g_assert_true (decrypts (ours, protect (sender, SSRC, seq), seq));
  g_assert_true (decrypts (ours, protect (sender, OTHER, 100), 100));
  /* A packet seen already (a replay) is refused. */
  Packet again = protect (sender, SSRC, 40);
  g_assert_true (decrypts (ours, again, 40));
  g_assert_false (decrypts (ours, again, 40));

  srtp_dealloc (sender);
  srtp_dealloc (srtpdec);
  srtp_dealloc (ours);
  srtp_dealloc (fresh);
}

static void
test_refuses_a_wrong_key_length (void)
{
  g_assert_null (km_srtp_in_session_new (key, 16, NULL, NULL, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  g_test_add_func ("/srtp/takes-over-after-a-wrap", test_takes_over_after_a_wrap);
  g_test_add_func ("/srtp/refuses-a-wrong-key-length", test_refuses_a_wrong_key_length);
  return g_test_run ();
}
