/* km-init.c — start-up checks, process-wide configuration, and the
 * webrtcbin settings every participant shares. */
#include "media/km-private.h"

#include <string.h>

GST_DEBUG_CATEGORY (km_debug);
KmGlobal km_global;

G_DEFINE_QUARK (km-error-quark, km_error)

/* Plugin, an element from it we use, and the Debian package shipping it. */
static const struct {
  const gchar *plugin, *element, *package;
} needed[] = {
  { "coreelements", "fakesink",    "libgstreamer1.0-0" },
  { "webrtc",       "webrtcbin",   "gstreamer1.0-plugins-bad" },
  { "dtls",         "dtlssrtpdec", "gstreamer1.0-plugins-bad" },
  { "dtls",         "dtlssrtpenc", "gstreamer1.0-plugins-bad" },
  { "srtp",         "srtpdec",     "gstreamer1.0-plugins-bad" },
  { "srtp",         "srtpenc",     "gstreamer1.0-plugins-bad" },
  { "nice",         "nicesrc",     "gstreamer1.0-nice" },
  { "rtpmanager",   "rtpbin",      "gstreamer1.0-plugins-good" },
};

static gboolean
check_plugins (GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++) {
    g_autoptr (GstElementFactory) f =
        gst_element_factory_find (needed[i].element);
    if (!f) {
      g_set_error (error, KM_ERROR, KM_ERROR_MISSING_PLUGIN,
                   "GStreamer plugin '%s' (element %s) is missing: install "
                   "the Debian package %s", needed[i].plugin,
                   needed[i].element, needed[i].package);
      return FALSE;
    }
  }
  return TRUE;
}

/* webrtcbin makes its DTLS certificate when the first DTLS element is
 * created (0.3 s); do it now rather than on the first participant. */
static void
prewarm (void)
{
  gint64 t0 = g_get_monotonic_time ();
  GstElement *dec = gst_element_factory_make ("dtlssrtpdec", NULL);
  if (dec) {
    g_autofree gchar *pem = NULL;
    g_object_get (dec, "pem", &pem, NULL);
    gst_object_unref (gst_object_ref_sink (dec));
  }
  GST_INFO ("DTLS certificate ready in %.1f ms",
            (g_get_monotonic_time () - t0) / 1000.0);
}

gboolean
km_init (const KmConfig *config, GError **error)
{
  if (!km_debug)
    GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  if (!check_plugins (error))
    return FALSE;
  if (config->ice_min_port > config->ice_max_port
      || config->ice_max_port > 65535) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE,
                 "bad ICE port range %u-%u", config->ice_min_port,
                 config->ice_max_port);
    return FALSE;
  }
  const KmCodec *video = NULL;
  if (config->video_codec && *config->video_codec) {
    /* "h264" and "H.264" as people write it. */
    g_autofree gchar *name = g_strdup (config->video_codec);
    gchar *dot = strchr (name, '.');
    if (dot)
      memmove (dot, dot + 1, strlen (dot));
    video = km_codec_lookup (name);
    if (!video || video->kind != KM_KIND_VIDEO) {
      g_set_error (error, KM_ERROR, KM_ERROR_CODEC,
                   "unknown video codec \"%s\" (VP8 or H264)",
                   config->video_codec);
      return FALSE;
    }
  }
  km_shutdown ();
  km_global.video_codec = video;
  km_global.ice_min_port = config->ice_min_port;
  km_global.ice_max_port = config->ice_max_port;
  km_global.stun_server = g_strdup (config->stun_server);
  km_global.turn_server = g_strdup (config->turn_server);
  km_global.public_address = g_strdup (config->public_address);
  km_global.initialised = TRUE;
  prewarm ();
  return TRUE;
}

void
km_shutdown (void)
{
  g_clear_pointer (&km_global.stun_server, g_free);
  g_clear_pointer (&km_global.turn_server, g_free);
  g_clear_pointer (&km_global.public_address, g_free);
  km_global.video_codec = NULL;
  km_global.initialised = FALSE;
}

/* A relay does not play out: each incoming stream gets kontor's relay
 * buffer instead of a jitterbuffer (km-relaybuf.c), so packets are
 * forwarded on the thread that received them.  KONTOR_MEDIA_JITTERBUFFER=1
 * keeps rtpbin's jitterbuffer (for comparisons). */
static GstElement *
request_jitterbuffer (GstElement *rtpbin, guint session, guint ssrc,
                      gpointer data)
{
  return km_relay_buffer_new ();
}

void
km_configure_webrtcbin (GstElement *webrtc)
{
  /* How long a gap may wait for its retransmission (relay buffer or
   * jitterbuffer alike); packets in order pass at once. */
  guint latency = 100;
  const gchar *env = g_getenv ("KONTOR_MEDIA_LATENCY_MS");
  if (env)
    latency = (guint) g_ascii_strtoull (env, NULL, 10);
  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", latency, NULL);
  if (g_strcmp0 (g_getenv ("KONTOR_MEDIA_JITTERBUFFER"), "1") != 0) {
    /* webrtcbin 1.22 names its rtpbin "rtpbin". */
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (webrtc),
                                                         "rtpbin");
    if (rtpbin)
      g_signal_connect (rtpbin, "request-jitterbuffer",
                        G_CALLBACK (request_jitterbuffer), NULL);
    else
      GST_WARNING_OBJECT (webrtc, "no rtpbin: keeping the jitterbuffer");
  }
  if (km_global.stun_server)
    g_object_set (webrtc, "stun-server", km_global.stun_server, NULL);
  if (km_global.turn_server)
    g_object_set (webrtc, "turn-server", km_global.turn_server, NULL);
  GstWebRTCICE *ice = NULL;
  /* g_object_get hands us references of our own: drop them, never
   * webrtcbin's. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (!ice)
    return;
  if (km_global.ice_min_port || km_global.ice_max_port)
    g_object_set (ice, "min-rtp-port", km_global.ice_min_port,
                  "max-rtp-port", km_global.ice_max_port, NULL);
  /* A server must not look for a UPnP router: libnice would multicast
   * SSDP on the server's network for every participant and open HTTP
   * ports inside the ICE range. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent")) {
    GObject *agent = NULL;
    g_object_get (ice, "agent", &agent, NULL);
    if (agent) {
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
        g_object_set (agent, "upnp", FALSE, NULL);
      g_object_unref (agent);
    }
  }
  gst_object_unref (ice);
}
