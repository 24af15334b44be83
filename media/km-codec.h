/* km-codec.h — the codecs the relay forwards, as one table (km-codec.c):
 * what the forwarding path (km-forward.c) and the negotiation (km-peer.c)
 * need to know about each, so that nothing else compares encoding names.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  KM_KIND_AUDIO,
  KM_KIND_VIDEO,
} KmKind;

/* What the relay needs to know about one codec it forwards (km-codec.c).
 * Everything codec-specific lives in this table; nothing else compares
 * encoding names. */
typedef struct {
  const gchar *encoding; /* SDP encoding name, upper case */
  KmKind kind;
  guint clock_rate;
  const gchar *fmtp; /* "key=value" an offered format must carry
                      * in its a=fmtp (NULL: none) */
  /* Whether an offered profile-level-id is one the relay passes on; NULL:
   * the codec has no profiles. */
  gboolean (*profile_ok) (const gchar *profile_level_id);
} KmCodec;

/* The table entry for an encoding name (any case), or NULL. */
const KmCodec *km_codec_lookup (const gchar *encoding);
/* The codec-preferences caps for a slot of this codec.  pt and profile
 * (0, NULL: any) pin one of several offered formats of a codec with
 * profiles (H.264): the answer then carries exactly that one, with the
 * profile-level-id the browser offered.  (webrtcbin 1.22 compares
 * profile-level-id strings exactly, unless level-asymmetry-allowed=1,
 * where gst_sdp_media_get_caps_from_media turns them into profile
 * names.) */
GstCaps *km_codec_caps (const KmCodec *codec, guint pt, const gchar *profile);

G_END_DECLS
