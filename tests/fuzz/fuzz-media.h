/* fuzz-media.h — what the media targets share: GStreamer and kontor's
 * debug category set up, and a KmFwdPort whose way into its SRTP encoder
 * is a pair of pads of ours, so that a target sees (and checks) what the
 * relay sends instead of encrypting it. */
#pragma once

#include "media/km-private.h"
#include "media/km-fwd-private.h"

#include <gst/rtp/gstrtcpbuffer.h>

#include "tests/fuzz/fuzz-common.h"
#include "tests/fuzz/fuzz-guard.h"

typedef struct {
  KmFwdPort *port;
  GstPad *rtp_in, *rtcp_in; /* ours: where the relay's pushes land */
} FuzzPort;

/* Each media target starts the same way. */
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_quiet_logs ();
  gst_init (NULL, NULL);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  return 0;
}

/* What starts a stream on src: stream-start, caps, segment. */
static inline void
fuzz_start_stream (GstPad *src, const gchar *id, const gchar *caps)
{
  gst_pad_push_event (src, gst_event_new_stream_start (id));
  g_autoptr (GstCaps) c = gst_caps_from_string (caps);
  gst_pad_push_event (src, gst_event_new_caps (c));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));
}

/* Every RTCP packet the relay sends must be a valid compound packet. */
static inline GstFlowReturn
fuzz_check_rtcp (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  FUZZ_CHECK (gst_rtcp_buffer_validate (buf),
              "sent an RTCP packet that is not a valid compound packet");
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* A src pad linked to a new sink pad of ours (*in) that chain reads,
 * with private as its element-private data: what km_fwd_port_attach()
 * links to the encoder. */
static inline GstPad *
fuzz_checked_pad (GstPad **in, const gchar *name, GstPadChainFunction chain, gpointer private,
                  const gchar *caps)
{
  GstPad *out = gst_pad_new (name, GST_PAD_SRC);
  *in = gst_pad_new (name, GST_PAD_SINK);
  gst_pad_set_element_private (*in, private);
  gst_pad_set_chain_function (*in, chain);
  gst_pad_set_active (*in, TRUE);
  gst_pad_set_active (out, TRUE);
  gst_pad_link_full (out, *in, GST_PAD_LINK_CHECK_NOTHING);
  fuzz_start_stream (out, name, caps);
  return out;
}

/* A port with its DTLS keys in place (what km_fwd_port_ready() waits
 * for) and its payload-type map as the SDP gave it (apt NULL: no RTX);
 * the RTP it sends goes to rtp_chain, with private. */
static inline void
fuzz_port_open (FuzzPort *p, const gchar *name, const gint16 *apt, GstPadChainFunction rtp_chain,
                gpointer private)
{
  p->port = km_fwd_port_new (NULL, name);
  p->port->rtp_out = fuzz_checked_pad (&p->rtp_in, "rtp", rtp_chain, private, "application/x-rtp");
  p->port->rtcp_out =
      fuzz_checked_pad (&p->rtcp_in, "rtcp", fuzz_check_rtcp, private, "application/x-rtcp");
  for (guint i = 0; i < G_N_ELEMENTS (p->port->apt); i++)
    p->port->apt[i] = apt ? apt[i] : -1;
  p->port->ready = TRUE;
}

/* After its sinks and sources are gone. */
static inline void
fuzz_port_close (FuzzPort *p)
{
  GstPad *pads[] = { p->port->rtp_out, p->port->rtcp_out, p->rtp_in, p->rtcp_in };
  for (guint i = 0; i < G_N_ELEMENTS (pads); i++) {
    gst_pad_set_active (pads[i], FALSE);
    gst_object_unref (pads[i]);
  }
  p->port->rtp_out = p->port->rtcp_out = NULL;
  km_fwd_port_unref (p->port);
}
