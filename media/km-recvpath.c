/* km-recvpath.c — takes the queue out of webrtcbin's receive path.
 *
 * Inside webrtcbin each transport receives as
 *   nicesrc → capsfilter → queue → dtlssrtpdec → rtpbin …
 * so every packet changes thread once before kontor forwards it: a futex
 * wake-up and a context switch per packet, and a thread per participant.
 * A relay has nothing to gain from the queue: once media flows, kontor
 * links capsfilter straight to dtlssrtpdec and the nicesrc thread carries
 * each packet all the way to the receivers' nicesinks (about 10 % less CPU
 * and a lower delay tail, docs/performance.md).  The same moment hands
 * the receiving itself from nicesrc's thread to kontor's (km-nicerecv.c)
 * and ends two of webrtcbin's threads that have nothing left to do
 * (km-quiet.c).
 *
 * Why only once media flows: the receive bin holds packets back (a
 * blocking probe on whatever feeds dtlssrtpdec) until ICE is connected and
 * the description is applied.  Held on the queue's thread that is
 * harmless; held on the nicesrc thread it would stop libnice too, which
 * answers STUN on that very thread, and ICE could then never connect again.
 * So kontor waits for the first packet that got past the block, and from
 * then on keeps its own probe on the capsfilter that lets every packet
 * pass: if the receive bin blocks again later (ICE checking after a
 * restart, a renegotiation while disconnected), packets keep flowing on an
 * already working path instead of wedging the thread that must repair it.
 *
 * The queue stays in the bin, unlinked and stopped (its state locked at
 * NULL, so its thread ends): the receive bin keeps a pointer to it and
 * sets its properties.  KONTOR_MEDIA_RECVQUEUE=1 leaves webrtcbin as it
 * is, for comparisons.
 */
#include "media/km-private.h"

#include <string.h>

/* Returns the element owning pad's peer, or NULL; transfer full. */
static GstElement *
peer_element (GstPad *pad)
{
  g_autoptr (GstPad) peer = gst_pad_get_peer (pad);
  return peer ? gst_pad_get_parent_element (peer) : NULL;
}

static gboolean
has_factory (GstElement *element, const gchar *name)
{
  GstElementFactory *f = element ? gst_element_get_factory (element) : NULL;
  return f && strcmp (GST_OBJECT_NAME (f), name) == 0;
}

/* Overrules the receive bin's blocking probe for buffers: a blocking
 * probe that answers PASS lets the item through whatever the others say
 * (gstpad.c: do_probe_callbacks). */
static GstPadProbeReturn
always_pass (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_PASS;
}

/* On GStreamer's own thread pool: a state change does not belong on a
 * streaming thread. */
static void
stop_queue (GstElement *queue, gpointer data)
{
  gst_element_set_locked_state (queue, TRUE);
  gst_element_set_state (queue, GST_STATE_NULL);
}

/* The queue's thread may have taken a packet out just before the relink
 * and push it after: with nothing linked it would be lost (a lost DTLS
 * handshake packet costs a one-second retransmission).  Such a straggler
 * is handed to dtlssrtpdec directly; its stream lock serialises it with
 * the packets the nicesrc thread now pushes. */
static GstPadProbeReturn
forward_stragglers (GstPad *queue_src, GstPadProbeInfo *info, gpointer data)
{
  GstPad *dec_sink = data;
  if (gst_pad_is_linked (queue_src))
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_pad_chain_list (dec_sink, GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  else
    gst_pad_chain (dec_sink, GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  return GST_PAD_PROBE_HANDLED;
}

/* Runs on the nicesrc thread for a packet about to enter the queue.  When
 * the queue is empty, this packet and all later ones go straight to
 * dtlssrtpdec (gst_pad_push_data looks up the peer again after the
 * probes); otherwise it tries again with the next packet, so that
 * stragglers stay rare. */
static GstPadProbeReturn
bypass_queue (GstPad *caps_src, GstPadProbeInfo *info, gpointer data)
{
  GstElement *queue = data;
  guint queued = 0;
  g_object_get (queue, "current-level-buffers", &queued, NULL);
  if (queued > 0)
    return GST_PAD_PROBE_OK;

  g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (queue, "sink");
  g_autoptr (GstPad) queue_src = gst_element_get_static_pad (queue, "src");
  g_autoptr (GstPad) dec_sink = gst_pad_get_peer (queue_src);
  if (!dec_sink) {
    GST_WARNING_OBJECT (queue, "receive path changed shape, queue kept");
    return GST_PAD_PROBE_REMOVE;
  }
  gst_pad_add_probe (caps_src,
                     GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER
                         | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     always_pass, NULL, NULL);
  gst_pad_add_probe (queue_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     forward_stragglers, gst_object_ref (dec_sink), gst_object_unref);
  gst_pad_unlink (caps_src, queue_sink);
  gst_pad_unlink (queue_src, dec_sink);
  GstPadLinkReturn r = gst_pad_link (caps_src, dec_sink);
  if (r != GST_PAD_LINK_OK) {
    /* Put it back as it was rather than leave the transport deaf. */
    GST_ERROR_OBJECT (queue, "cannot bypass the receive queue (%s)", gst_pad_link_get_name (r));
    if (gst_pad_link (caps_src, queue_sink) != GST_PAD_LINK_OK
        || gst_pad_link (queue_src, dec_sink) != GST_PAD_LINK_OK)
      GST_ERROR_OBJECT (queue, "and cannot put it back: this participant "
                               "receives nothing");
  } else {
    GST_DEBUG_OBJECT (queue, "receive queue bypassed");
    gst_element_call_async (queue, stop_queue, NULL, NULL);
    g_autoptr (GstPad) caps_sink =
        gst_element_get_static_pad (GST_ELEMENT (GST_PAD_PARENT (caps_src)), "sink");
    g_autoptr (GstElement) src = peer_element (caps_sink);
    if (has_factory (src, "nicesrc"))
      km_nicerecv_start (src);
    km_quiet_webrtcbin (queue);
  }
  return GST_PAD_PROBE_REMOVE;
}

/* Called for packets that got past the receive bin's block, on the
 * queue's thread: the transport is up, the bypass can go in.  (A
 * non-blocking probe on the blocked pad is not called before the block
 * lets the packet go: gst_pad_push_data runs blocking probes first.)  No
 * reference to the queue is held here: a probe on the queue's own pad that
 * never fires (no media ever came) would keep the queue alive for ever. */
static GstPadProbeReturn
on_first_packet (GstPad *queue_src, GstPadProbeInfo *info, gpointer data)
{
  GstElement *queue = GST_PAD_PARENT (queue_src);
  if (!queue)
    return GST_PAD_PROBE_REMOVE;
  g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (queue, "sink");
  g_autoptr (GstElement) caps = peer_element (queue_sink);
  g_autoptr (GstElement) dec = peer_element (queue_src);

  if (!has_factory (caps, "capsfilter") || !has_factory (dec, "dtlssrtpdec")) {
    GST_WARNING_OBJECT (queue,
                        "unexpected receive path (%s → queue → %s), "
                        "queue kept",
                        caps ? GST_OBJECT_NAME (caps) : "nothing",
                        dec ? GST_OBJECT_NAME (dec) : "nothing");
    return GST_PAD_PROBE_REMOVE;
  }
  g_autoptr (GstPad) caps_src = gst_element_get_static_pad (caps, "src");
  gst_pad_add_probe (caps_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     bypass_queue, gst_object_ref (queue), gst_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

void
km_recvpath_element_added (GstElement *element)
{
  static gint keep_queue = -1;
  if (km_env_switch ("KONTOR_MEDIA_RECVQUEUE", &keep_queue) || !has_factory (element, "queue"))
    return;
  GstObject *parent = GST_OBJECT_PARENT (element);
  if (!parent || strcmp (G_OBJECT_TYPE_NAME (parent), "TransportReceiveBin"))
    return;
  g_autoptr (GstPad) src = gst_element_get_static_pad (element, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_first_packet, NULL, NULL);
}
