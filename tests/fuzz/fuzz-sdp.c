/* fuzz-sdp.c — libFuzzer target: a browser's offer and ICE candidates as
 * the relay checks and reads them before webrtcbin gets them
 * (media/km-peer.c, km-codec.c, km-ice.c).
 *
 * Input: one byte of setup (the relay's preferred video codec; whether
 * someone in the meeting already sends VP8 or H.264; whether this
 * participant already chose a codec or sent an offer before), then the
 * offer's text, then after a NUL byte the candidates, one a line, each as
 * `ice` carries it ("candidate:…", "a=candidate:…", or an empty line for
 * the end of candidates).
 *
 * For the offer: km_peer_parse_offer (is it SDP, how many m-lines of each
 * kind, each m-line well formed: km_sdp_check_offer), km_codec_choose (the codec rule, payload
 * types, H.264 profiles, fmtp), km_ice_follow_offer (ICE credentials, restart detection), and what
 * webrtcbin 1.22 then makes of every m-line (gst_sdp_media_get_caps_from_media,
 * gst_sdp_media_attributes_to_caps). For a candidate: km_peer_check_candidate, then, as webrtcbin
 * hands it on, libnice's parser (nice_agent_parse_remote_candidate_sdp).
 *
 * Checked besides the sanitizers: a chosen codec is one the relay forwards
 * and the caps for its slots name it; an accepted candidate starts with
 * "candidate:" and has no line break.
 */
#include "media/km-private.h"

#include <nice/agent.h>

#include "tests/fuzz/fuzz-common.h"

static NiceAgent *agent;
static guint stream_id;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_quiet_logs ();
  gst_init (NULL, NULL);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  /* A local agent with one stream: parsing a candidate sends nothing. */
  agent = nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245);
  stream_id = nice_agent_add_stream (agent, 1);
  return 0;
}

static void
read_offer (KmParticipant *p, const gchar *text)
{
  guint want[2];
  g_autoptr (GError) error = NULL;
  GstSDPMessage *msg = km_peer_parse_offer (text, want, &error);
  if (!msg) {
    FUZZ_CHECK (error && error->domain == KM_ERROR, "an offer refused without a media error");
    return;
  }
  FUZZ_CHECK (want[KM_KIND_AUDIO] + want[KM_KIND_VIDEO] > 0
                  && want[KM_KIND_AUDIO] + want[KM_KIND_VIDEO] <= gst_sdp_message_medias_len (msg),
              "%u audio + %u video m-lines counted of %u", want[0], want[1],
              gst_sdp_message_medias_len (msg));
  if (km_codec_choose (p, msg, &error)) {
    if (p->video) {
      FUZZ_CHECK (km_codec_lookup (p->video->encoding) == p->video
                      && p->video->kind == KM_KIND_VIDEO,
                  "chose %s for video", p->video->encoding);
      const GstStructure *s = gst_caps_get_structure (p->video_caps, 0);
      FUZZ_CHECK (g_strcmp0 (gst_structure_get_string (s, "encoding-name"), p->video->encoding)
                      == 0,
                  "slot caps for another codec than %s", p->video->encoding);
    }
  } else {
    FUZZ_CHECK (g_error_matches (error, KM_ERROR, KM_ERROR_CODEC), "refused with %s",
                error->message);
  }
  km_ice_follow_offer (p, msg);
  /* What webrtcbin does with each m-line once it has the offer. */
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    for (guint f = 0; f < gst_sdp_media_formats_len (media); f++) {
      gint pt = atoi (gst_sdp_media_get_format (media, f));
      GstCaps *caps = gst_sdp_media_get_caps_from_media (media, pt);
      if (caps) {
        GstStructure *s = gst_caps_get_structure (caps, 0);
        gst_sdp_media_attributes_to_caps (media, caps);
        gst_structure_set_name (s, "application/x-rtp");
        gst_caps_unref (caps);
      }
    }
  }
  gst_sdp_message_free (msg);
}

static void
read_candidates (const gchar *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", 64);
  for (guint i = 0; lines[i]; i++) {
    const gchar *c = NULL;
    g_autoptr (GError) error = NULL;
    guint mline = i % 3;
    if (!km_peer_check_candidate (mline, lines[i], &c, &error)) {
      FUZZ_CHECK (g_error_matches (error, KM_ERROR, KM_ERROR_ICE), "candidate refused with %s",
                  error->message);
      continue;
    }
    if (!c)
      continue;
    FUZZ_CHECK (g_str_has_prefix (c, "candidate:") && !strpbrk (c, "\r\n"), "passed on \"%s\"", c);
    NiceCandidate *cand = nice_agent_parse_remote_candidate_sdp (agent, stream_id, c);
    if (cand)
      nice_candidate_free (cand);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  guint8 setup = fuzz_u8 (&in);
  gsize n = strnlen ((const gchar *) in.data, in.size);
  g_autofree gchar *offer = g_strndup ((const gchar *) in.data, n);
  g_autofree gchar *candidates =
      n < in.size ? g_strndup ((const gchar *) in.data + n + 1, in.size - n - 1) : NULL;

  km_global.video_codec = setup & 1 ? km_codec_lookup ("H264") : NULL;
  KmMeeting meeting = { 0 };
  meeting.participants = g_hash_table_new (NULL, NULL);
  KmParticipant other = { .meeting = &meeting, .id = 1, .name = "other" };
  KmParticipant p = { .meeting = &meeting, .id = 2, .name = "fuzz" };
  if (setup & 2)
    other.video = km_codec_lookup (setup & 4 ? "H264" : "VP8");
  if (setup & 8) {
    /* Chosen at an earlier offer, as km_codec_choose left it. */
    p.video = km_codec_lookup (setup & 4 ? "VP8" : "H264");
    p.video_caps = km_codec_caps (p.video, 0, NULL);
  }
  if (setup & 16) {
    p.remote_ufrag = g_strdup ("before");
    p.remote_pwd = g_strdup ("before-before-before");
  }
  g_hash_table_insert (meeting.participants, GUINT_TO_POINTER (1), &other);
  g_hash_table_insert (meeting.participants, GUINT_TO_POINTER (2), &p);

  read_offer (&p, offer);
  if (candidates)
    read_candidates (candidates);

  g_free (p.remote_ufrag);
  g_free (p.remote_pwd);
  gst_clear_caps (&p.video_caps);
  g_hash_table_unref (meeting.participants);
  return 0;
}
