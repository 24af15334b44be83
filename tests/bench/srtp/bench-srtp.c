/* bench-srtp.c — what SRTP costs per packet with libsrtp2's own ciphers
 * (Debian's: NSS) and with kontor's (media/km-srtpcrypto.c, OpenSSL), in
 * one run: protect and unprotect of RTP packets of a browser's size, on
 * one thread.  Prints `name: value unit` lines and the ratio.
 *   BUILD/tests/bench/srtp/bench-srtp [PACKETS]   (default 200000) */
#include "media/km-private.h"
#include "media/km-srtp.h"

#include <stdio.h>
#include <string.h>

static const guint8 key[30] = { 7, 1, 7, 2, 7,  3, 7,  4, 7,  5, 7,  6, 7,  7, 7,
                                8, 7, 9, 7, 10, 7, 11, 7, 12, 7, 13, 7, 14, 7, 15 };

static srtp_t
session (srtp_ssrc_type_t type)
{
  srtp_policy_t policy;
  km_srtp_policy_init (&policy, key, 1024);
  policy.ssrc.type = type;
  srtp_t s = NULL;
  if (srtp_create (&s, &policy) != srtp_err_status_ok)
    g_error ("srtp_create failed");
  return s;
}

/* Seconds per packet for protect + unprotect of count packets. */
static double
run (guint count, int payload)
{
  srtp_t out = session (ssrc_any_outbound), in = session (ssrc_any_inbound);
  guint8 p[1500 + SRTP_MAX_TRAILER_LEN];
  gint64 t0 = g_get_monotonic_time ();
  for (guint i = 0; i < count; i++) {
    memset (p, 0, 12);
    p[0] = 0x80;
    p[1] = 96;
    GST_WRITE_UINT16_BE (p + 2, (guint16) i);
    GST_WRITE_UINT32_BE (p + 4, i * 3000u);
    GST_WRITE_UINT32_BE (p + 8, 0x12345678u);
    memset (p + 12, (int) (i & 0xff), (gsize) payload);
    int len = 12 + payload;
    if (srtp_protect (out, p, &len) != srtp_err_status_ok
        || srtp_unprotect (in, p, &len) != srtp_err_status_ok)
      g_error ("packet %u refused", i);
  }
  double s = (g_get_monotonic_time () - t0) / 1e6 / count;
  srtp_dealloc (out);
  srtp_dealloc (in);
  return s;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  guint64 count = 200000;
  if (argc > 1 && !g_ascii_string_to_unsigned (argv[1], 10, 1000, G_MAXUINT, &count, NULL))
    g_error ("usage: bench-srtp [PACKETS]");
  if (srtp_init () != srtp_err_status_ok)
    g_error ("srtp_init failed");
  /* Sessions made before km_srtp_init keep libsrtp2's own ciphers. */
  int payloads[] = { 160, 1200 };
  double own[2], ours[2];
  for (int i = 0; i < 2; i++)
    own[i] = run ((guint) count, payloads[i]);
  km_srtp_init ();
  if (!km_srtp_crypto_installed ())
    g_error ("kontor's ciphers were not installed");
  for (int i = 0; i < 2; i++)
    ours[i] = run ((guint) count, payloads[i]);
  for (int i = 0; i < 2; i++) {
    printf ("srtp %d-byte payload, libsrtp2's own: %.2f us/packet\n", payloads[i], own[i] * 1e6);
    printf ("srtp %d-byte payload, kontor's: %.2f us/packet\n", payloads[i], ours[i] * 1e6);
    printf ("srtp %d-byte payload, kontor's / libsrtp2's own: %.2f\n", payloads[i],
            ours[i] / own[i]);
  }
  return 0;
}
