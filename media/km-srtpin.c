/* km-srtpin.c — a participant's SRTP decrypted with libsrtp2 on kontor's
 * receive thread, instead of by webrtcbin's capsfilter, dtlssrtpdemux and
 * srtpdec.
 *
 *   libnice ─► km-nicerecv.c ─► [srtp_unprotect] ─► srtpdec's src pads
 *                     └─ DTLS, or before the hand-over ─► nicesrc's pad
 *
 * The decrypted packet is pushed out of srtpdec's own source pad, so that
 * everything after it stays as it was: kontor's probe there forwards what
 * it knows (km-receive.c) and passes the first packets of a new stream on
 * to rtpbin, which makes webrtcbin announce it.  Only the three chain
 * functions before it, and their buffer copy, are saved.
 *
 * The hand-over happens on the receive thread itself, between two packets,
 * once nicesrc's own task has stopped (km-nicerecv.c): every packet before
 * went through srtpdec, every one after comes here.  srtpdec has counted
 * each stream's sequence-number wraps (its rollover counter, RFC 3711
 * 3.3.1) since the stream began; a session that started counting now
 * would be off by those, and decrypt nothing, so each stream srtpdec knows
 * starts here with its count.  The key is the one webrtcbin's DTLS gave
 * srtpdec (dtlsdec's decoder-key); webrtcbin 1.22 negotiates only
 * AES128_CM_SHA1_80.  KONTOR_MEDIA_SRTPDEC=1 leaves srtpdec at work.
 */
#include "media/km-private.h"
#include "media/km-fwd-private.h"

#include "media/km-srtp.h"

/* Packets a stream may arrive out of order by and still be accepted. */
#define REPLAY_WINDOW 1024
/* GstDtlsSrtpCipher and GstDtlsSrtpAuth (gst-plugins-bad's dtls plugin). */
#define DTLS_CIPHER_AES_128_ICM 1
#define DTLS_AUTH_HMAC_SHA1_80 2

struct _KmSrtpIn {
  srtp_t session;
  GstPad *rtp_src, *rtcp_src; /* srtpdec's (refs) */
  gchar *name;
  guint64 refused; /* packets that did not authenticate */
};

srtp_t
km_srtp_in_session_new (const guint8 *key, gsize key_len, const guint32 *ssrcs, const guint32 *rocs,
                        guint n)
{
  if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT)
    return NULL;
  km_srtp_init ();
  srtp_policy_t policy;
  km_srtp_policy_init (&policy, key, REPLAY_WINDOW);
  policy.ssrc.type = ssrc_any_inbound;
  srtp_t session = NULL;
  if (srtp_create (&session, &policy) != srtp_err_status_ok)
    return NULL;
  for (guint i = 0; i < n; i++) {
    km_srtp_policy_init (&policy, key, REPLAY_WINDOW);
    policy.ssrc.type = ssrc_specific;
    policy.ssrc.value = ssrcs[i];
    if (srtp_add_stream (session, &policy) != srtp_err_status_ok
        || (rocs[i] && srtp_set_stream_roc (session, ssrcs[i], rocs[i]) != srtp_err_status_ok)) {
      srtp_dealloc (session);
      return NULL;
    }
  }
  return session;
}

/* The streams srtpdec has seen and their rollover counters. */
static void
read_rocs (GstElement *srtpdec, GArray *ssrcs, GArray *rocs)
{
  g_autoptr (GstStructure) stats = NULL;
  g_object_get (srtpdec, "stats", &stats, NULL);
  const GValue *streams = stats ? gst_structure_get_value (stats, "streams") : NULL;
  if (!streams || !GST_VALUE_HOLDS_ARRAY (streams))
    return;
  for (guint i = 0; i < gst_value_array_get_size (streams); i++) {
    const GValue *v = gst_value_array_get_value (streams, i);
    const GstStructure *s = GST_VALUE_HOLDS_STRUCTURE (v) ? gst_value_get_structure (v) : NULL;
    guint ssrc, roc;
    if (s && gst_structure_get_uint (s, "ssrc", &ssrc) && gst_structure_get_uint (s, "roc", &roc)) {
      g_array_append_val (ssrcs, ssrc);
      g_array_append_val (rocs, roc);
    }
  }
}

KmSrtpIn *
km_srtp_in_new (GstElement *nicesrc, const gchar *name)
{
  static gint keep = -1;
  if (km_env_switch ("KONTOR_MEDIA_SRTPDEC", &keep))
    return NULL;
  g_autoptr (GstObject) bin = gst_object_get_parent (GST_OBJECT (nicesrc));
  g_autoptr (GstElement) dec = bin ? km_find_element (GST_ELEMENT (bin), "dtlssrtpdec") : NULL;
  g_autoptr (GstElement) srtpdec = dec ? km_find_element (dec, "srtpdec") : NULL;
  g_autoptr (GstElement) dtlsdec = dec ? km_find_element (dec, "dtlsdec") : NULL;
  if (!srtpdec || !dtlsdec) {
    GST_WARNING ("%s: no srtpdec or dtlsdec: decrypting in webrtcbin", name);
    return NULL;
  }
  g_autoptr (GstBuffer) key = NULL;
  guint cipher = 0, auth = 0;
  g_object_get (dtlsdec, "decoder-key", &key, "srtp-cipher", &cipher, "srtp-auth", &auth, NULL);
  GstMapInfo map;
  if (!key || cipher != DTLS_CIPHER_AES_128_ICM || auth != DTLS_AUTH_HMAC_SHA1_80
      || !gst_buffer_map (key, &map, GST_MAP_READ)) {
    GST_WARNING ("%s: no key, or not AES128_CM_SHA1_80 (%u, %u): decrypting in webrtcbin", name,
                 cipher, auth);
    return NULL;
  }
  g_autoptr (GArray) ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) rocs = g_array_new (FALSE, FALSE, sizeof (guint32));
  read_rocs (srtpdec, ssrcs, rocs);
  srtp_t session = km_srtp_in_session_new (map.data, map.size, (const guint32 *) ssrcs->data,
                                           (const guint32 *) rocs->data, ssrcs->len);
  gst_buffer_unmap (key, &map);
  if (!session) {
    GST_WARNING ("%s: no libsrtp2 session: decrypting in webrtcbin", name);
    return NULL;
  }
  KmSrtpIn *in = g_new0 (KmSrtpIn, 1);
  in->session = session;
  in->rtp_src = gst_element_get_static_pad (srtpdec, "rtp_src");
  in->rtcp_src = gst_element_get_static_pad (srtpdec, "rtcp_src");
  in->name = g_strdup (name);
  GST_DEBUG ("%s: decrypting with libsrtp2 (%u streams carried over)", name, ssrcs->len);
  return in;
}

/* RTCP or RTP (RFC 5761, 4): payload types 64-95 with the marker bit are
 * RTCP's 192-223. */
static gboolean
is_rtcp (const guint8 *data)
{
  guint pt = data[1] & 0x7f;
  return pt >= 64 && pt <= 95;
}

gboolean
km_srtp_in_receive (KmSrtpIn *in, const guint8 *data, guint len, GstClockTime pts)
{
  /* RFC 7983: 128-191 is RTP or RTCP; DTLS and the rest go the old way. */
  if (len < 12 || len > KM_SRTP_MAX_PACKET || data[0] < 128 || data[0] > 191)
    return FALSE;
  gboolean rtcp = is_rtcp (data);
  GstPad *out = rtcp ? in->rtcp_src : in->rtp_src;
  /* A pad srtpdec never pushed on has none of a stream's first events:
   * until it has, srtpdec goes on decrypting that kind (RTCP's index is
   * in the packet, so two sessions each decrypting some is harmless). */
  if (rtcp && !gst_pad_has_current_caps (out))
    return FALSE;

  GstBuffer *buf = gst_buffer_new_allocate (NULL, len + SRTP_MAX_TRAILER_LEN, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memcpy (map.data, data, len);
  int size = (int) len;
  srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp (in->session, map.data, &size)
                              : srtp_unprotect (in->session, map.data, &size);
  gst_buffer_unmap (buf, &map);
  if (st != srtp_err_status_ok) {
    /* A replay (a retransmission that also came the first time), or a
     * packet that was not the browser's: dropped, as srtpdec would. */
    if (in->refused++ % 1000 == 0)
      GST_DEBUG ("%s: srtp_unprotect%s: %d (%" G_GUINT64_FORMAT " refused)", in->name,
                 rtcp ? "_rtcp" : "", st, in->refused);
    gst_buffer_unref (buf);
    return TRUE;
  }
  gst_buffer_set_size (buf, size);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  GstFlowReturn ret = gst_pad_push (out, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
    GST_DEBUG ("%s: push: %s", in->name, gst_flow_get_name (ret));
  return TRUE;
}

void
km_srtp_in_free (KmSrtpIn *in)
{
  if (!in)
    return;
  srtp_dealloc (in->session);
  gst_clear_object (&in->rtp_src);
  gst_clear_object (&in->rtcp_src);
  g_free (in->name);
  g_free (in);
}
