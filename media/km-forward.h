/* km-forward.h — the forwarding data path, behind one internal interface.
 *
 * A KmFwdPort is one participant's transport as the forwarder sees it: the
 * way into its DTLS-SRTP encoder (and so onto the wire), and the RTCP its
 * browser sends.  A KmFwdSource is one stream a participant sends (a
 * webrtcbin src pad); a KmFwdSink is one outgoing slot of a participant with
 * its own stable SSRC, RTX SSRC and payload type, fed by at most one source
 * at a time.  Nothing here decodes media.
 *
 * Packets are taken from the sender's SRTP decoder (km-receive.c) and
 * forwarded as they are, with SSRC, payload type, sequence number and
 * timestamp rewritten per slot, straight into the receiver's SRTP
 * encoder: rtpbin sees only the first packets of each stream, so that
 * webrtcbin announces it (pad-added).  So these files also do what rtpbin
 * did: toward a sender, receiver reports, NACKs for holes and keyframe
 * requests (PLI), with RTX unwrapped; toward a receiver, its NACKs
 * answered from a small store per video slot (as RTX where negotiated),
 * its PLI/FIR passed on to the sender, a sender report per slot, and its
 * reports read for statistics (km-feedback.c).
 *
 * Threading: km_fwd_source_new() runs on the streaming thread that emitted
 * pad-added (the pad must be linked at once); packets and RTCP are handled
 * on streaming threads; everything else on the main thread.
 */
#pragma once

#include <gst/gst.h>

#include "media/km-codec.h"

G_BEGIN_DECLS

typedef struct _KmFwdPort KmFwdPort;
typedef struct _KmFwdSource KmFwdSource;
typedef struct _KmFwdSink KmFwdSink;

/* A port for a participant's webrtcbin (not referenced: the port is used
 * only while the webrtcbin runs).  It does nothing until
 * km_fwd_port_attach() found the transport.  Sources keep a reference,
 * since one may be freed after its participant. */
KmFwdPort *km_fwd_port_new (GstElement *webrtc, const gchar *name);
KmFwdPort *km_fwd_port_ref (KmFwdPort *port);
/* Finds the transport once webrtcbin made it (after an answer was set);
 * TRUE once attached.  Safe to call again. */
gboolean km_fwd_port_attach (KmFwdPort *port);
/* Counted since the port was made: what the participant sent us and what
 * we sent it, the largest jitter of its streams, and the largest
 * round-trip time its reports gave (< 0: none yet). */
typedef struct {
  guint64 bytes_in, packets_in, lost_in, bytes_out;
  double jitter_s, rtt_s;
  gboolean own_srtp; /* sending with km-srtpout.c, not through webrtcbin */
} KmFwdStats;
void km_fwd_port_stats (KmFwdPort *port, KmFwdStats *stats);
/* Once kontor sends to the browser behind port itself and has had media
 * from it (its DTLS handshake is over), stops the thread webrtcbin keeps
 * for DTLS records.  Main context; cheap to call every second. */
void km_fwd_port_quiet_dtls (KmFwdPort *port);
/* Whether the browser behind port still sends but no longer receives
 * what we send it: its latest report on a video slot counted nothing of
 * what the slot sent over KM_PATH_LOST_US or more, while the slot kept
 * sending and the browser's media kept coming. */
gboolean km_fwd_port_path_lost (KmFwdPort *port, gint64 now);
/* On the main thread, after every sink of the port is freed and the
 * webrtcbin stopped: lets go of webrtcbin's elements.  Whoever still holds
 * a reference finds the port closed (nothing is sent). */
void km_fwd_port_close (KmFwdPort *port);
void km_fwd_port_unref (KmFwdPort *port);

/* Takes src (a webrtcbin src pad with RTP caps) of the participant behind
 * port (referenced).  Returns NULL with error set when the codec is not relayable; the
 * pad is linked to a fakesink either way, so that the bundle does not fail
 * on a not-linked pad. */
KmFwdSource *km_fwd_source_new (GstBin *bin, GstPad *src, KmFwdPort *port, const gchar *name,
                                GError **error);
KmKind km_fwd_source_kind (KmFwdSource *source);
const gchar *km_fwd_source_codec (KmFwdSource *source);
/* Video frames (marker bits) or audio packets received so far. */
guint64 km_fwd_source_frames (KmFwdSource *source);
/* Asks the sender for a keyframe (becomes a PLI/FIR on the wire). */
void km_fwd_source_request_keyframe (KmFwdSource *source);
/* Stops feeding every sink (the stream paused or ended). */
void km_fwd_source_disconnect_all (KmFwdSource *source);
/* Disconnects every sink, then frees; the sender's webrtcbin is stopped. */
void km_fwd_source_free (KmFwdSource *source);

/* A slot of codec toward the participant behind port. */
KmFwdSink *km_fwd_sink_new (KmFwdPort *port, const KmCodec *codec, const gchar *name);
/* The payload types the receiving browser negotiated for this slot: the
 * codec's, and its RTX one (0: no RTX). */
void km_fwd_sink_set_pt (KmFwdSink *sink, guint pt, guint rtx_pt);
/* The fixed SSRC of the slot's outgoing stream (never 0). */
guint32 km_fwd_sink_ssrc (KmFwdSink *sink);
/* The SSRC of its retransmissions (RTX), fixed too. */
guint32 km_fwd_sink_rtx_ssrc (KmFwdSink *sink);
/* Feeds sink from source, replacing any previous source.  The receiver
 * sees one continuous stream across the switch. */
gboolean km_fwd_connect (KmFwdSource *source, KmFwdSink *sink, GError **error);
/* The source currently feeding sink, or NULL. */
KmFwdSource *km_fwd_sink_source (KmFwdSink *sink);
void km_fwd_disconnect (KmFwdSink *sink);
void km_fwd_sink_free (KmFwdSink *sink);

G_END_DECLS
