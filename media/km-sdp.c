/* km-sdp.c — an offer's m-lines, checked before webrtcbin sees them.
 *
 * GStreamer's SDP parser is lenient: "m=video" alone, a port "abc" or a
 * format list "x y" all parse (as port 0, no formats, …).  webrtcbin then
 * refuses such an offer later, on its own thread, or answers it with media
 * that cannot flow.  No browser sends them.  Checked here, such an offer is
 * refused at once with KM_ERROR_SDP and nothing of it is applied.
 *
 * What is checked, per m-line (RFC 4566 5.14, RFC 8829 5.8):
 *   m=<media> <port>[/<count>] <proto> <fmt> …   single spaces, port 0-65535;
 *   audio and video: an RTP/SAVP(F) profile and payload types 0-127, and
 *   when in use, a codec the relay forwards (km_codec_in_media).  An offer
 *   whose video carries no forwardable codec at all is left to
 *   km_codec_choose, which names the codec the browser lacks. */
#include "media/km-private.h"

#include <string.h>

static gboolean
is_token (const gchar *s)
{
  if (!*s)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && !strchr ("-./_+", *s))
      return FALSE;
  return TRUE;
}

static gboolean
is_rtp (const gchar *media)
{
  return g_strcmp0 (media, "audio") == 0 || g_strcmp0 (media, "video") == 0;
}

/* The text after "m=" of one line, checked against the grammar. */
static gboolean
mline_text_ok (const gchar *text, guint index, GError **error)
{
  g_auto (GStrv) f = g_strsplit (text, " ", -1);
  guint n = g_strv_length (f);
  g_auto (GStrv) port = NULL;
  guint64 number;
  const gchar *why = NULL;

  if (n < 4)
    why = "needs media, port, protocol and at least one format";
  for (guint i = 0; !why && i < n; i++)
    if (!is_token (f[i]))
      why = "has an empty or malformed field";
  if (!why) {
    port = g_strsplit (f[1], "/", 3);
    if (!g_ascii_string_to_unsigned (port[0], 10, 0, 65535, &number, NULL)
        || (port[1] && !g_ascii_string_to_unsigned (port[1], 10, 1, 65535, &number, NULL))
        || (port[1] && port[2]))
      why = "has no valid port";
  }
  if (!why && is_rtp (f[0])) {
    if (!g_str_has_suffix (f[2], "RTP/SAVPF") && !g_str_has_suffix (f[2], "RTP/SAVP"))
      why = "is not RTP over DTLS-SRTP (UDP/TLS/RTP/SAVPF)";
    for (guint i = 3; !why && i < n; i++)
      if (!g_ascii_string_to_unsigned (f[i], 10, 0, 127, &number, NULL))
        why = "has a format that is not an RTP payload type 0-127";
  } else if (!why && g_strcmp0 (f[0], "application") != 0) {
    why = "is neither audio, video nor application";
  }
  if (why) {
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "m-line %u %s", index, why);
    return FALSE;
  }
  return TRUE;
}

gboolean
km_sdp_check_offer (const gchar *text, const GstSDPMessage *offer, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint seen = 0, n = gst_sdp_message_medias_len (offer);
  gboolean video_known = FALSE;

  for (gchar **l = lines; *l; l++) {
    gsize len = strlen (*l);
    if (len && (*l)[len - 1] == '\r')
      (*l)[len - 1] = '\0';
    if (g_str_has_prefix (*l, "m=") && !mline_text_ok (*l + 2, seen++, error))
      return FALSE;
  }
  if (seen != n) {
    g_set_error (error, KM_ERROR, KM_ERROR_SDP, "the m-lines could not be read");
    return FALSE;
  }
  for (guint m = 0; m < n; m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);
    video_known |= g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0
                   && km_codec_in_media (media, KM_KIND_VIDEO);
  }
  for (guint m = 0; m < n; m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);
    const gchar *kind = gst_sdp_media_get_media (media);
    gboolean audio = g_strcmp0 (kind, "audio") == 0;

    if (!is_rtp (kind) || !km_codec_media_in_use (media))
      continue;
    if (audio ? !km_codec_in_media (media, KM_KIND_AUDIO)
              : video_known && !km_codec_in_media (media, KM_KIND_VIDEO)) {
      g_set_error (error, KM_ERROR, KM_ERROR_SDP,
                   "m-line %u carries no codec the relay forwards (%s)", m,
                   audio ? "Opus" : "VP8 or H.264 constrained baseline");
      return FALSE;
    }
  }
  return TRUE;
}
