/* km-init.c — start-up checks, process-wide configuration, and the
 * webrtcbin settings every participant shares. */
#include "media/km-private.h"
#include "media/km-srtp.h"

#include <gio/gio.h>
#include <string.h>

/* Plugin, an element from it we use, and the Debian package shipping it. */
static const struct {
  const gchar *plugin, *element, *package;
} needed[] = {
  { "coreelements", "fakesink", "libgstreamer1.0-0" },
  { "webrtc", "webrtcbin", "gstreamer1.0-plugins-bad" },
  { "dtls", "dtlssrtpdec", "gstreamer1.0-plugins-bad" },
  { "dtls", "dtlssrtpenc", "gstreamer1.0-plugins-bad" },
  { "srtp", "srtpdec", "gstreamer1.0-plugins-bad" },
  { "srtp", "srtpenc", "gstreamer1.0-plugins-bad" },
  { "nice", "nicesrc", "gstreamer1.0-nice" },
  { "rtpmanager", "rtpbin", "gstreamer1.0-plugins-good" },
};

static gboolean
check_plugins (GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++) {
    g_autoptr (GstElementFactory) f = gst_element_factory_find (needed[i].element);
    if (!f) {
      g_set_error (error, KM_ERROR, KM_ERROR_MISSING_PLUGIN,
                   "GStreamer plugin '%s' (element %s) is missing: install "
                   "the Debian package %s",
                   needed[i].plugin, needed[i].element, needed[i].package);
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
  GST_INFO ("DTLS certificate ready in %.1f ms", (g_get_monotonic_time () - t0) / 1000.0);
}

GstElement *
km_find_element (GstElement *bin, const gchar *factory)
{
  GstIterator *it = gst_bin_iterate_all_by_element_factory_name (GST_BIN (bin), factory);
  GValue v = G_VALUE_INIT;
  GstElement *found = NULL;
  if (gst_iterator_next (it, &v) == GST_ITERATOR_OK)
    found = g_value_dup_object (&v);
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

const gchar *
km_enum_nick (GObject *object, const gchar *property)
{
  GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  if (!ps || !G_IS_PARAM_SPEC_ENUM (ps))
    return NULL;
  GValue v = G_VALUE_INIT;
  g_value_init (&v, ps->value_type);
  g_object_get_property (object, property, &v);
  GEnumValue *e = g_enum_get_value (G_PARAM_SPEC_ENUM (ps)->enum_class, g_value_get_enum (&v));
  g_value_unset (&v);
  return e ? e->value_nick : NULL;
}

/* Splits "10.0.0.5, 2001:db8::5" into addresses this machine has, so that
 * a typo or an address of another host fails at start, not as meetings
 * without candidates. */
static gchar **
parse_ice_addresses (const gchar *list, GError **error)
{
  if (!list || !*list)
    return NULL;
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  for (gchar **p = parts; *p; p++) {
    const gchar *text = g_strstrip (*p);
    if (!*text)
      continue;
    g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (text);
    if (!addr) {
      g_set_error (error, KM_ERROR, KM_ERROR_ICE, "ICE address \"%s\" is not an IP address", text);
      return NULL;
    }
    g_autoptr (GError) bind_error = NULL;
    g_autoptr (GSocket) sock =
        g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_DATAGRAM,
                      G_SOCKET_PROTOCOL_UDP, &bind_error);
    g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (addr, 0);
    if (!sock || !g_socket_bind (sock, sa, FALSE, &bind_error)) {
      g_set_error (error, KM_ERROR, KM_ERROR_ICE,
                   "ICE address %s is not an address of this machine: %s", text,
                   bind_error->message);
      return NULL;
    }
    g_ptr_array_add (out, g_strdup (text));
  }
  if (out->len == 0)
    return NULL;
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

gboolean
km_init (const KmConfig *config, GError **error)
{
  if (!km_debug)
    GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  if (!check_plugins (error))
    return FALSE;
  if (config->ice_min_port > config->ice_max_port || config->ice_max_port > 65535) {
    g_set_error (error, KM_ERROR, KM_ERROR_PIPELINE, "bad ICE port range %u-%u",
                 config->ice_min_port, config->ice_max_port);
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
      g_set_error (error, KM_ERROR, KM_ERROR_CODEC, "unknown video codec \"%s\" (VP8 or H264)",
                   config->video_codec);
      return FALSE;
    }
  }
  g_autoptr (GError) address_error = NULL;
  gchar **addresses = parse_ice_addresses (config->ice_addresses, &address_error);
  if (address_error) {
    g_propagate_error (error, g_steal_pointer (&address_error));
    return FALSE;
  }
  km_shutdown ();
  km_global.ice_addresses = addresses;
  km_global.video_codec = video;
  km_global.ice_min_port = config->ice_min_port;
  km_global.ice_max_port = config->ice_max_port;
  km_global.stun_server = g_strdup (config->stun_server);
  km_global.turn_server = g_strdup (config->turn_server);
  km_global.public_address = g_strdup (config->public_address);
  km_global.initialised = TRUE;
  /* Before any srtpenc, srtpdec or session of kontor's exists. */
  km_srtp_init ();
  prewarm ();
  return TRUE;
}

void
km_shutdown (void)
{
  g_clear_pointer (&km_global.stun_server, g_free);
  g_clear_pointer (&km_global.turn_server, g_free);
  g_clear_pointer (&km_global.public_address, g_free);
  g_clear_pointer (&km_global.ice_addresses, g_strfreev);
  km_global.video_codec = NULL;
  km_global.initialised = FALSE;
}

/* A relay does not play out: each incoming stream gets kontor's relay
 * buffer instead of a jitterbuffer (km-relaybuf.c), so packets are
 * forwarded on the thread that received them.  KONTOR_MEDIA_JITTERBUFFER=1
 * keeps rtpbin's jitterbuffer (for comparisons). */
static GstElement *
request_jitterbuffer (GstElement *rtpbin, guint session, guint ssrc, gpointer data)
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
  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", latency,
                NULL);
  if (g_strcmp0 (g_getenv ("KONTOR_MEDIA_JITTERBUFFER"), "1") != 0) {
    /* webrtcbin 1.22 names its rtpbin "rtpbin". */
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (webrtc), "rtpbin");
    if (rtpbin)
      g_signal_connect (rtpbin, "request-jitterbuffer", G_CALLBACK (request_jitterbuffer), NULL);
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
    g_object_set (ice, "min-rtp-port", km_global.ice_min_port, "max-rtp-port",
                  km_global.ice_max_port, NULL);
  /* Media is UDP in the configured range (TURN covers networks that block
   * UDP), and operators open a UDP range only.  ICE-TCP listeners would
   * be sockets no firewall lets through, and every socket of an agent is
   * polled for each packet its participant sends. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  for (gchar **a = km_global.ice_addresses; a && *a; a++) {
    gboolean added = FALSE;
    g_signal_emit_by_name (ice, "add-local-ip-address", *a, &added);
    if (!added)
      GST_WARNING_OBJECT (webrtc, "ICE refused local address %s", *a);
  }
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
