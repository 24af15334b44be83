/* km-srtpout.c — the relay's send path once DTLS has given its keys: each
 * packet is protected with libsrtp2 and handed to the receiver's libnice
 * component on the thread that forwards it.
 *
 *   km_fwd_forward ─► rewrite per slot ─► [srtp_protect ► nice_agent_send]
 *
 * Before this, kontor pushed every packet into webrtcbin's dtlssrtpenc:
 * srtpenc, a funnel, dtlsenc and nicesink, four chain functions and
 * basesink's bookkeeping per packet and receiver, around the same two
 * calls that do the work (libsrtp2's protect and libnice's send).
 *
 * The keys come out of webrtcbin's DTLS cleanly: GStreamer's DTLS
 * connection exports them (SSL_export_keying_material, RFC 5764) and sets
 * them on srtpenc before it reports "connected", which is when kontor
 * starts sending (km_fwd_port_ready); they are read from srtpenc then.
 * srtpenc itself has sent nothing by then (rtpbin's own RTCP is dropped
 * before it), so no stream's rollover counter is lost in the hand-over.
 * webrtcbin 1.22 negotiates only SRTP_AES128_CM_SHA1_80; anything else
 * keeps the old path, as does KONTOR_MEDIA_SRTPENC=1 (for comparisons).
 */
#include "media/km-private.h"
#include "media/km-fwd-private.h"

#include "media/km-srtp.h"

#include <nice/agent.h>
#include <string.h>

/* GStreamer's GstSrtpCipherType and GstSrtpAuthType, by nick. */
#define CIPHER_AES_128_ICM "aes-128-icm"
#define AUTH_HMAC_SHA1_80 "hmac-sha1-80"

struct _KmSrtpOut {
  GMutex lock; /* the session: libsrtp2 is not thread-safe per session */
  srtp_t session;
  NiceAgent *agent; /* a reference */
  guint stream, component;
  gchar *name;
  guint64 refused; /* packets libsrtp2 would not protect */
};

void
km_srtp_policy_init (srtp_policy_t *policy, const guint8 *key, gulong window)
{
  memset (policy, 0, sizeof *policy);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtcp);
  policy->key = (guint8 *) key;
  policy->window_size = window;
}

KmSrtpOut *
km_srtp_out_new (GstElement *webrtc, GstElement *enc, const gchar *name)
{
  static gint keep = -1;
  if (km_env_switch ("KONTOR_MEDIA_SRTPENC", &keep))
    return NULL;

  g_autoptr (GstElement) srtpenc = km_find_element (enc, "srtpenc");
  g_autoptr (GstElement) nicesink = km_find_element (webrtc, "nicesink");
  if (!srtpenc || !nicesink) {
    GST_WARNING ("%s: no srtpenc or nicesink: sending through webrtcbin", name);
    return NULL;
  }
  const gchar *rtp_cipher = km_enum_nick (G_OBJECT (srtpenc), "rtp-cipher");
  const gchar *rtp_auth = km_enum_nick (G_OBJECT (srtpenc), "rtp-auth");
  const gchar *rtcp_cipher = km_enum_nick (G_OBJECT (srtpenc), "rtcp-cipher");
  const gchar *rtcp_auth = km_enum_nick (G_OBJECT (srtpenc), "rtcp-auth");
  if (g_strcmp0 (rtp_cipher, CIPHER_AES_128_ICM) || g_strcmp0 (rtcp_cipher, CIPHER_AES_128_ICM)
      || g_strcmp0 (rtp_auth, AUTH_HMAC_SHA1_80) || g_strcmp0 (rtcp_auth, AUTH_HMAC_SHA1_80)) {
    GST_WARNING ("%s: SRTP profile %s/%s, %s/%s is not the one kontor sends itself: "
                 "sending through webrtcbin",
                 name, rtp_cipher, rtp_auth, rtcp_cipher, rtcp_auth);
    return NULL;
  }
  g_autoptr (GstBuffer) key = NULL;
  g_object_get (srtpenc, "key", &key, NULL);
  GstMapInfo map;
  if (!key || !gst_buffer_map (key, &map, GST_MAP_READ))
    return NULL;
  gboolean key_ok = map.size == SRTP_AES_ICM_128_KEY_LEN_WSALT;
  srtp_policy_t policy;
  km_srtp_policy_init (&policy, map.data, KM_SRTP_WINDOW);
  policy.ssrc.type = ssrc_any_outbound;
  /* As srtpenc was set (km_fwd_port_attach): a retransmission without
   * RTX repeats a packet, within the window the store covers. */
  policy.allow_repeat_tx = 1;

  KmSrtpOut *out = g_new0 (KmSrtpOut, 1);
  km_srtp_init ();
  srtp_err_status_t st = key_ok ? srtp_create (&out->session, &policy) : srtp_err_status_bad_param;
  gst_buffer_unmap (key, &map);
  if (st != srtp_err_status_ok) {
    GST_WARNING ("%s: srtp_create: %d (key of %" G_GSIZE_FORMAT " bytes): "
                 "sending through webrtcbin",
                 name, st, map.size);
    g_free (out);
    return NULL;
  }
  g_object_get (nicesink, "agent", &out->agent, "stream", &out->stream, "component",
                &out->component, NULL);
  if (!out->agent || !out->stream || !out->component) {
    GST_WARNING ("%s: nicesink has no libnice component: sending through webrtcbin", name);
    km_srtp_out_free (out);
    return NULL;
  }
  g_mutex_init (&out->lock);
  out->name = g_strdup (name);
  GST_DEBUG ("%s: sending with libsrtp2 on stream %u", name, out->stream);
  return out;
}

gboolean
km_srtp_out_send (KmSrtpOut *out, const guint8 *packet, gsize size, gboolean rtcp)
{
  guint8 data[KM_SRTP_MAX_PACKET + SRTP_MAX_TRAILER_LEN];
  if (size > KM_SRTP_MAX_PACKET || size < 4)
    return FALSE;
  memcpy (data, packet, size);
  int len = (int) size;

  g_mutex_lock (&out->lock);
  srtp_err_status_t st =
      rtcp ? srtp_protect_rtcp (out->session, data, &len) : srtp_protect (out->session, data, &len);
  if (st != srtp_err_status_ok)
    out->refused++;
  g_mutex_unlock (&out->lock);
  if (st != srtp_err_status_ok) {
    /* A repeat outside the replay window, in practice: a lost packet. */
    GST_LOG ("%s: srtp_protect%s: %d", out->name, rtcp ? "_rtcp" : "", st);
    return FALSE;
  }
  /* Without the agent's lock held by anyone here: libnice takes it. */
  return nice_agent_send (out->agent, out->stream, out->component, (guint) len,
                          (const gchar *) data)
         == len;
}

/* dtlsenc's task exists to send DTLS records, which are all sent once the
 * handshake is over (both sides: the browser sends media only then).
 * Deactivating its source pad ends the task and its thread; a record
 * written later (the close_notify at the end) stays queued in the element
 * until it is freed.  Nothing else goes through dtlsenc any more: kontor
 * sends past it, and rtpbin's own RTCP is dropped before it. */
void
km_srtp_out_quiet_dtls (GstElement *enc, const gchar *name)
{
  g_autoptr (GstElement) dtlsenc = km_find_element (enc, "dtlsenc");
  g_autoptr (GstPad) src = dtlsenc ? gst_element_get_static_pad (dtlsenc, "src") : NULL;
  if (!src || !gst_pad_set_active (src, FALSE))
    GST_WARNING ("%s: dtlsenc's task kept", name);
  else
    GST_DEBUG ("%s: handshake over, dtlsenc's task stopped", name);
}

void
km_srtp_out_free (KmSrtpOut *out)
{
  if (!out)
    return;
  if (out->session)
    srtp_dealloc (out->session);
  g_clear_object (&out->agent);
  if (out->name) /* set once fully made */
    g_mutex_clear (&out->lock);
  g_free (out->name);
  g_free (out);
}
