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

#include "media/km-codec.h"

G_BEGIN_DECLS

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
