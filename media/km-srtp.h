/* km-srtp.h — kontor's own SRTP with libsrtp2: what km-nicerecv.c and the
 * tests use of km-srtpin.c (decrypting what browsers send) and
 * km-srtpout.c (libsrtp2's one-time set-up).  The send path's functions
 * are in km-fwd-private.h, with the forwarder that calls them. */
#pragma once

#include <gst/gst.h>
#include <srtp2/srtp.h>

/* libsrtp2's set-up, once per process (GStreamer's srtp plugin may have
 * done it already; it is done only once), with kontor's AES-ICM-128 and
 * HMAC-SHA1 in its crypto kernel unless KONTOR_MEDIA_SRTP_NSS=1.  km_init
 * calls it before any session exists. */
void km_srtp_init (void);

/* km-srtpcrypto.c: puts kontor's AES-ICM-128 and HMAC-SHA1 (OpenSSL,
 * keyed once per session) in libsrtp2's crypto kernel, in place of
 * libsrtp2's own; sessions made afterwards use them.  FALSE if libsrtp2
 * refused one (its known-answer tests): those made before keep theirs.
 * Call after srtp_init, before sessions are made on other threads. */
gboolean km_srtp_crypto_install (GError **error);
/* Whether they are in (both). */
gboolean km_srtp_crypto_installed (void);

/* The largest packet kontor protects or decrypts itself: browsers keep
 * theirs under ~1200 bytes. */
#define KM_SRTP_MAX_PACKET 1500

/* policy set for the one profile webrtcbin 1.22 negotiates,
 * AES128_CM_SHA1_80 for RTP and RTCP, with key (master key then salt, 30
 * bytes, not copied) and a replay window of window packets; the caller
 * sets the SSRC type. */
void km_srtp_policy_init (srtp_policy_t *policy, const guint8 *key, gulong window);

/* An inbound session for AES128_CM_SHA1_80 with key (master key then
 * salt, 30 bytes) in which the n streams ssrcs[i] continue from rollover
 * counter rocs[i]; other streams start at 0.  NULL if libsrtp2 refuses. */
srtp_t km_srtp_in_session_new (const guint8 *key, gsize key_len, const guint32 *ssrcs,
                               const guint32 *rocs, guint n);

typedef struct _KmSrtpIn KmSrtpIn;
/* Takes decryption over from the srtpdec that receives from nicesrc:
 * NULL (logged) where it cannot, and srtpdec goes on.  Call on the thread
 * that receives for nicesrc, between two packets. */
KmSrtpIn *km_srtp_in_new (GstElement *nicesrc, const gchar *name);
/* One packet as received (pts: its time in the pipeline): TRUE if it was
 * taken (decrypted and pushed on, or dropped as a replay or forgery);
 * FALSE if it is not for here (DTLS, say) and goes the old way. */
gboolean km_srtp_in_receive (KmSrtpIn *in, const guint8 *data, guint len, GstClockTime pts);
void km_srtp_in_free (KmSrtpIn *in);
