/* km-forward.h — the forwarding data path, behind one internal interface.
 *
 * A KmFwdSource takes one stream that a participant sends (a webrtcbin src
 * pad) and makes it available to any number of KmFwdSinks.  A KmFwdSink is
 * one outgoing slot of a participant (a webrtcbin sink pad, i.e. one
 * transceiver) with its own stable SSRC and payload type, fed by at most one
 * source at a time.  Nothing here decodes media.
 *
 * This implementation depayloads once per source and payloads again per
 * sink (e.g. rtpvp8depay ! tee … funnel ! rtpvp8pay, or rtph264depay …
 * rtph264pay for H.264; km-codec.c has the table), which rewrites SSRC,
 * payload type and sequence numbers in one go.  A leaner path (direct SSRC
 * rewriting, no rtpbin) can replace this file without touching the rest.
 *
 * Threading: km_fwd_source_new() runs on the streaming thread that emitted
 * pad-added (the pad must be linked at once); everything else on the main
 * thread.
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
  const gchar *encoding;     /* SDP encoding name, upper case */
  KmKind       kind;
  guint        clock_rate;
  const gchar *depay, *pay;  /* element factories */
  const gchar *depayloaded;  /* caps between them, or NULL: any */
  const gchar *pay_prop;     /* one payloader property the relay needs, */
  const gchar *pay_value;    /* as text (NULL: none) */
  const gchar *fmtp;         /* "key=value" an offered format must carry
                              * in its a=fmtp (NULL: none) */
  /* Whether an offered profile-level-id is one the relay passes on; NULL:
   * the codec has no profiles. */
  gboolean   (*profile_ok) (const gchar *profile_level_id);
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
GstCaps       *km_codec_caps (const KmCodec *codec, guint pt,
                              const gchar *profile);

typedef struct _KmFwdSource KmFwdSource;
typedef struct _KmFwdSink KmFwdSink;

/* Links src (a webrtcbin src pad with RTP caps) into new elements inside
 * bin.  Returns NULL with error set when the codec is not relayable; the
 * pad is then linked to a fakesink so that the bundle does not fail. */
KmFwdSource *km_fwd_source_new (GstBin *bin, GstPad *src, const gchar *name,
                                GError **error);
KmKind       km_fwd_source_kind (KmFwdSource *source);
const gchar *km_fwd_source_codec (KmFwdSource *source);
/* Frames (video) or packets (audio) depayloaded so far. */
guint64      km_fwd_source_frames (KmFwdSource *source);
/* Asks the sender for a keyframe (becomes a PLI/FIR on the wire). */
void         km_fwd_source_request_keyframe (KmFwdSource *source);
/* Stops feeding every sink (the stream paused or ended). */
void         km_fwd_source_disconnect_all (KmFwdSource *source);
/* Unlinks from every sink, removes and frees the elements. */
void         km_fwd_source_free (KmFwdSource *source);

/* Creates the payloader chain of codec feeding the webrtcbin sink pad
 * sink.  Only sources of the same codec can feed it (no transcoding). */
KmFwdSink   *km_fwd_sink_new (GstBin *bin, GstPad *sink,
                              const KmCodec *codec, const gchar *name,
                              GError **error);
KmKind       km_fwd_sink_kind (KmFwdSink *sink);
/* The payload type the receiving browser negotiated for this slot. */
void         km_fwd_sink_set_pt (KmFwdSink *sink, guint pt);
guint        km_fwd_sink_pt (KmFwdSink *sink);
/* The fixed SSRC of the slot's outgoing stream (never 0). */
guint32      km_fwd_sink_ssrc (KmFwdSink *sink);
/* The SSRC to use for its retransmissions (RTX), fixed too. */
guint32      km_fwd_sink_rtx_ssrc (KmFwdSink *sink);
/* Feeds sink from source, replacing any previous source. */
gboolean     km_fwd_connect (KmFwdSource *source, KmFwdSink *sink,
                             GError **error);
/* The source currently feeding sink, or NULL. */
KmFwdSource *km_fwd_sink_source (KmFwdSink *sink);
void         km_fwd_disconnect (KmFwdSink *sink);
void         km_fwd_sink_free (KmFwdSink *sink);

G_END_DECLS
