/* km-quiet.c — ends two threads each participant's webrtcbin keeps for
 * work kontor does itself once media flows.
 *
 * Once media flows, kontor sends its own RTCP (km-feedback.c: rtpbin's is
 * dropped) and retransmits from its own store (km-forward.c), so two of
 * the five threads a participant still brought only wake up for nothing:
 *
 * - `rtpsession-rtcp`, rtpbin's RTCP timer.  GStreamer 1.22's rtpsession
 *   ends that thread itself when the RTCP interval comes out as "never",
 *   which it does when the RTCP bandwidth is 0 (rtpstats.c: "no bandwidth
 *   for RTCP").  So kontor sets rtcp-rr-bandwidth and rtcp-rs-bandwidth
 *   to 0: after its current wait (a few seconds at most) the thread
 *   leaves its loop and ends; the element is joined as usual when it
 *   stops.  The session itself keeps working: it still reads the
 *   browser's RTCP (km-feedback.c listens to it), the first packets of
 *   each new stream and get-stats.
 * - `rtprtxsendN:src`, the task of rtpbin's RTX sender, which pushes the
 *   retransmissions rtpsession asks for.  Nothing goes through the RTX
 *   sender: kontor pushes what it forwards into the encoder behind rtpbin
 *   (km-forward.c) or past it (km-srtpout.c), so its source pad is
 *   deactivated: that stops the task and gives its thread back, and
 *   keeps it stopped, since the element starts it again only on an active
 *   pad (when webrtcbin sets its payload-type-map at a renegotiation, or
 *   on a flush).  Requests rtpsession still derives from the browser's
 *   NACKs meet a flushing pad and are dropped; kontor answers them.
 *
 * Neither touches an element's state, so teardown is webrtcbin's own.
 * KONTOR_MEDIA_RTPBIN_THREADS=1 leaves webrtcbin as it is, for
 * comparisons.
 */
#include "media/km-private.h"

#include <string.h>

static gboolean
is_factory (GstObject *object, const gchar *name)
{
  GstElementFactory *f =
      GST_IS_ELEMENT (object) ? gst_element_get_factory (GST_ELEMENT (object)) : NULL;
  return f && strcmp (GST_OBJECT_NAME (f), name) == 0;
}

static void
silence_session (const GValue *item, gpointer data)
{
  GstElement *session = g_value_get_object (item);
  g_object_set (session, "rtcp-rr-bandwidth", 0, "rtcp-rs-bandwidth", 0, NULL);
  GST_DEBUG_OBJECT (session, "RTCP bandwidth 0: its RTCP thread ends at its next wake-up");
}

static void
stop_rtx_task (const GValue *item, gpointer data)
{
  GstElement *rtx = g_value_get_object (item);
  g_autoptr (GstPad) src = gst_element_get_static_pad (rtx, "src");
  if (!src || !gst_pad_set_active (src, FALSE))
    GST_WARNING_OBJECT (rtx, "its task kept");
  else
    GST_DEBUG_OBJECT (rtx, "its task stopped");
}

static void
for_each (GstElement *webrtc, const gchar *factory, GstIteratorForeachFunction func)
{
  GstIterator *it = gst_bin_iterate_all_by_element_factory_name (GST_BIN (webrtc), factory);
  while (gst_iterator_foreach (it, func, NULL) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
}

/* On GStreamer's thread pool: deactivating a pad waits for its task,
 * which does not belong on a streaming thread. */
static void
quiet (GstElement *webrtc, gpointer data)
{
  for_each (webrtc, "rtpsession", silence_session);
  for_each (webrtc, "rtprtxsend", stop_rtx_task);
}

void
km_quiet_webrtcbin (GstElement *inside)
{
  static gint keep = -1;
  if (km_env_switch ("KONTOR_MEDIA_RTPBIN_THREADS", &keep))
    return;
  GstObject *o = gst_object_ref (GST_OBJECT (inside));
  while (o && !is_factory (o, "webrtcbin")) {
    GstObject *parent = gst_object_get_parent (o);
    gst_object_unref (o);
    o = parent;
  }
  if (!o) {
    GST_WARNING_OBJECT (inside, "not inside a webrtcbin: its threads kept");
    return;
  }
  gst_element_call_async (GST_ELEMENT (o), quiet, NULL, NULL);
  gst_object_unref (o);
}
