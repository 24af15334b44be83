/* km-codec.c — the codecs the relay forwards, and which video codec a
 * meeting uses.
 *
 * The relay never transcodes, so everyone in a meeting must send and
 * receive the same video codec.  The rule (media.h, docs/protocol.md): a
 * participant's offer is answered with the video codec of the others
 * already in the meeting; when nobody there has video yet, with the first
 * codec of the relay's order (KmConfig.video_codec first, then VP8, then
 * H.264) that the offer carries.  An offer without it is refused with
 * KM_ERROR_CODEC and the meeting goes on without that participant's media.
 */
#include "media/km-private.h"

#include <string.h>

/* H.264 as browsers all send it: constrained baseline (profile_idc 66 with
 * constraint_set1), any level.  Other profiles would reach receivers that
 * only agreed to constrained baseline: the relay does not decode, so it
 * cannot make them fit. */
static gboolean
h264_profile_ok (const gchar *plid)
{
  if (!plid || strlen (plid) != 6 || !g_ascii_isxdigit (plid[0]))
    return FALSE;
  guint64 v = g_ascii_strtoull (plid, NULL, 16);
  guint profile_idc = (v >> 16) & 0xff, iop = (v >> 8) & 0xff;
  return profile_idc == 0x42 && (iop & 0x40);
}

/* The order of the video codecs is the relay's preference.  The relay
 * forwards packets as they are, so a receiver decodes the sender's
 * bitstream: what matters here is only which streams a browser can take. */
static const KmCodec codecs[] = {
  { "VP8", KM_KIND_VIDEO, 90000, NULL, NULL },
  { "H264", KM_KIND_VIDEO, 90000, "packetization-mode=1", h264_profile_ok },
  { "OPUS", KM_KIND_AUDIO, 48000, NULL, NULL },
};

const KmCodec *
km_codec_lookup (const gchar *encoding)
{
  for (gsize i = 0; encoding && i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (codecs[i].encoding, encoding) == 0)
      return &codecs[i];
  return NULL;
}

GstCaps *
km_codec_caps (const KmCodec *codec, guint pt, const gchar *profile)
{
  GstCaps *caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
                                       codec->kind == KM_KIND_VIDEO ? "video" : "audio",
                                       "encoding-name", G_TYPE_STRING, codec->encoding,
                                       "clock-rate", G_TYPE_INT, (gint) codec->clock_rate, NULL);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  if (codec->fmtp) {
    /* As webrtcbin turns a=fmtp into caps: string values. */
    g_auto (GStrv) kv = g_strsplit (codec->fmtp, "=", 2);
    gst_structure_set (s, kv[0], G_TYPE_STRING, kv[1], NULL);
  }
  if (pt)
    gst_structure_set (s, "payload", G_TYPE_INT, (gint) pt, NULL);
  if (profile)
    gst_structure_set (s, "profile-level-id", G_TYPE_STRING, profile, NULL);
  return caps;
}

/* The value of key in one a=fmtp parameter list, or NULL. */
static gchar *
fmtp_value (const gchar *params, const gchar *key)
{
  g_auto (GStrv) items = g_strsplit (params, ";", -1);
  for (gchar **i = items; *i; i++) {
    g_auto (GStrv) kv = g_strsplit (g_strstrip (*i), "=", 2);
    if (kv[0] && kv[1] && g_ascii_strcasecmp (kv[0], key) == 0)
      return g_strdup (g_strstrip (kv[1]));
  }
  return NULL;
}

/* Whether one offered m-line carries a format of codec the relay can
 * pass on; where the codec has profiles, *pt and *profile get the
 * format's payload type and profile-level-id. */
static gboolean
media_offers (const GstSDPMedia *media, const KmCodec *codec, guint *pt_out, gchar **profile)
{
  g_autofree gchar *want = g_strdup_printf ("%s/%u", codec->encoding, codec->clock_rate);
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    /* The browser's text: only a whole number 0-127 is a payload type. */
    guint64 number;
    if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (media, i), 10, 0, 127, &number,
                                     NULL))
      continue;
    gint pt = (gint) number;
    const gchar *rtpmap = NULL;
    g_autofree gchar *key = g_strdup_printf ("%d ", pt);
    for (guint k = 0; k < gst_sdp_media_attributes_len (media); k++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, k);
      if (g_strcmp0 (a->key, "rtpmap") == 0 && a->value && g_str_has_prefix (a->value, key))
        rtpmap = a->value + strlen (key);
    }
    if (!rtpmap || g_ascii_strncasecmp (rtpmap, want, strlen (want)) != 0)
      continue;
    const gchar *fmtp = "";
    for (guint k = 0; k < gst_sdp_media_attributes_len (media); k++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, k);
      if (g_strcmp0 (a->key, "fmtp") == 0 && a->value && g_str_has_prefix (a->value, key))
        fmtp = a->value + strlen (key);
    }
    if (codec->fmtp) {
      g_auto (GStrv) kv = g_strsplit (codec->fmtp, "=", 2);
      g_autofree gchar *v = fmtp_value (fmtp, kv[0]);
      if (g_strcmp0 (v, kv[1]) != 0)
        continue;
    }
    if (codec->profile_ok) {
      g_autofree gchar *plid = fmtp_value (fmtp, "profile-level-id");
      if (!codec->profile_ok (plid))
        continue;
      *pt_out = (guint) pt;
      g_free (*profile);
      *profile = g_steal_pointer (&plid);
    }
    return TRUE;
  }
  return FALSE;
}

/* Whether an offered m-line is in use: port 0 means rejected or stopped,
 * unless it is bundle-only (Firefox offers every m-line after the first so
 * under max-bundle: it will share the first one's transport). */
gboolean
km_codec_media_in_use (const GstSDPMedia *media)
{
  return gst_sdp_media_get_port (media) != 0
         || gst_sdp_media_get_attribute_val (media, "bundle-only") != NULL;
}

gboolean
km_codec_in_media (const GstSDPMedia *media, KmKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (codecs); i++) {
    guint pt = 0;
    g_autofree gchar *profile = NULL;
    if (codecs[i].kind == kind && media_offers (media, &codecs[i], &pt, &profile))
      return TRUE;
  }
  return FALSE;
}

/* The first video m-line of the offer that carries codec; FALSE if none
 * does or the offer has no video. */
static gboolean
offer_has (const GstSDPMessage *offer, const KmCodec *codec, guint *pt, gchar **profile)
{
  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);
    if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0 && km_codec_media_in_use (media)
        && media_offers (media, codec, pt, profile))
      return TRUE;
  }
  return FALSE;
}

/* The video codec the others in the meeting use, or NULL. */
static const KmCodec *
meeting_video (KmParticipant *p)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, p->meeting->participants);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    KmParticipant *other = value;
    if (other != p && other->video)
      return other->video;
  }
  return NULL;
}

static gboolean
offer_has_video (const GstSDPMessage *offer)
{
  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);
    if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0 && km_codec_media_in_use (media))
      return TRUE;
  }
  return FALSE;
}

gboolean
km_codec_choose (KmParticipant *p, const GstSDPMessage *offer, GError **error)
{
  if (!offer_has_video (offer))
    return TRUE;
  /* Once chosen, a participant keeps its codec: its slots and everyone
   * else's are negotiated for it. */
  const KmCodec *want = p->video ? p->video : meeting_video (p);
  guint pt = 0;
  g_autofree gchar *profile = NULL;
  if (!want) {
    const KmCodec *order[G_N_ELEMENTS (codecs) + 1];
    guint n = 0;
    if (km_global.video_codec)
      order[n++] = km_global.video_codec;
    for (gsize i = 0; i < G_N_ELEMENTS (codecs); i++)
      if (codecs[i].kind == KM_KIND_VIDEO)
        order[n++] = &codecs[i];
    for (guint i = 0; i < n && !want; i++)
      if (offer_has (offer, order[i], &pt, &profile))
        want = order[i];
    if (!want) {
      g_set_error (error, KM_ERROR, KM_ERROR_CODEC,
                   "the offer has no video codec the relay forwards (VP8, "
                   "or H.264 constrained baseline with packetization-mode "
                   "1)");
      return FALSE;
    }
  } else if (!offer_has (offer, want, &pt, &profile)) {
    g_set_error (error, KM_ERROR, KM_ERROR_CODEC,
                 "this meeting's video is %s%s and the offer has none: "
                 "the relay does not convert between codecs",
                 want->encoding,
                 want->profile_ok ? " (constrained baseline, packetization-mode 1)" : "");
    return FALSE;
  }
  if (p->video != want)
    GST_INFO ("%s: video codec %s (pt %u %s)", p->name, want->encoding, pt, profile ? profile : "");
  p->video = want;
  gst_clear_caps (&p->video_caps);
  p->video_caps = km_codec_caps (want, pt, profile);
  return TRUE;
}
