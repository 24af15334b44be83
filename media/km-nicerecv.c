/* km-nicerecv.c — receives a participant's packets on a thread of kontor's
 * own instead of through nicesrc's create().
 *
 * nicesrc hands packets over one at a time: its libnice callback queues
 * the packet and quits a main loop, create() returns it, basesrc pushes it
 * and create() runs the loop again.  Each packet so costs an eventfd write
 * and a futex wake, and each wake-up an extra poll and an eventfd read,
 * on top of basesrc's bookkeeping.
 *
 * Once media flows (km-recvpath.c), kontor attaches its own callback to
 * the same libnice component, on a GMainContext that a thread of its own
 * runs.  The callback pushes each packet out of nicesrc's source pad
 * itself, into the same elements as before (capsfilter, dtlssrtpdec, …),
 * and the loop goes on polling: no quit, no restart.  nicesrc's own thread
 * then waits in its empty loop until the element stops; packets it had
 * queued before the switch still go out, serialised with the new ones by
 * the capsfilter's stream lock.  libnice answers STUN (consent checks)
 * inside the same receive path, so that moves to this thread as well.
 *
 * KONTOR_MEDIA_NICESRC=1 leaves nicesrc as it is, for comparisons.
 */
#include "media/km-private.h"

#include <nice/agent.h>

#define KEY "km-nicerecv"

typedef struct {
  GstPad *src;      /* nicesrc's source pad (ref) */
  NiceAgent *agent; /* (ref) */
  guint stream, component;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstClock *clock; /* the pipeline's, for timestamps like
                    * nicesrc's do-timestamp; may be NULL */
  GstClockTime base_time;
  KmSsrcGate gate; /* streams this participant may send */
} KmNiceRecv;

/* Start and stop take it, so that a start on a streaming thread cannot
 * slip in after a teardown's stop on the main thread. */
static GMutex lock;
/* Stored on a nicesrc once stopped: it is never started again. */
static gchar stopped;

/* libnice calls this on our thread, without its agent lock, for every
 * packet that is not STUN. */
static void
on_packet (NiceAgent *agent, guint stream, guint component, guint len, gchar *data,
           gpointer user_data)
{
  KmNiceRecv *r = user_data;
  if (!km_ssrcgate_admit (&r->gate, (const guint8 *) data, len, g_get_monotonic_time ())) {
    /* Once per 1,000 dropped, so that a flood does not flood the log. */
    if (r->gate.refused % 1000 == 1)
      GST_WARNING_OBJECT (r->src,
                          "more than %u streams from one participant: "
                          "%" G_GUINT64_FORMAT " packets dropped",
                          KM_SSRCGATE_MAX, r->gate.refused);
    return;
  }
  GstBuffer *buf = gst_buffer_new_allocate (NULL, len, NULL);
  gst_buffer_fill (buf, 0, data, len);
  if (r->clock) {
    GstClockTime now = gst_clock_get_time (r->clock);
    if (now >= r->base_time)
      GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = now - r->base_time;
  }
  GstFlowReturn ret = gst_pad_push (r->src, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
    GST_DEBUG_OBJECT (r->src, "push: %s", gst_flow_get_name (ret));
}

static gpointer
run (gpointer data)
{
  KmNiceRecv *r = data;
  g_main_context_push_thread_default (r->context);
  g_main_loop_run (r->loop);
  g_main_context_pop_thread_default (r->context);
  return NULL;
}

static void
nicerecv_free (KmNiceRecv *r)
{
  g_main_loop_unref (r->loop);
  /* The component keeps its own reference while its sockets stay
   * attached here. */
  g_main_context_unref (r->context);
  g_clear_object (&r->clock);
  g_object_unref (r->agent);
  gst_object_unref (r->src);
  g_free (r);
}

void
km_nicerecv_start (GstElement *nicesrc)
{
  static gint keep = -1;
  if (km_env_switch ("KONTOR_MEDIA_NICESRC", &keep))
    return;

  NiceAgent *agent = NULL;
  guint stream = 0, component = 0;
  g_object_get (nicesrc, "agent", &agent, "stream", &stream, "component", &component, NULL);
  if (!agent || !stream || !component) {
    GST_WARNING_OBJECT (nicesrc, "no libnice component: nicesrc kept");
    g_clear_object (&agent);
    return;
  }
  KmNiceRecv *r = g_new0 (KmNiceRecv, 1);
  r->src = gst_element_get_static_pad (nicesrc, "src");
  r->agent = agent;
  r->stream = stream;
  r->component = component;
  r->clock = gst_element_get_clock (nicesrc);
  r->base_time = gst_element_get_base_time (nicesrc);
  r->context = g_main_context_new ();
  r->loop = g_main_loop_new (r->context, FALSE);

  g_mutex_lock (&lock);
  if (g_object_get_data (G_OBJECT (nicesrc), KEY)) {
    g_mutex_unlock (&lock);
    nicerecv_free (r);
    return;
  }
  r->thread = g_thread_new ("km-recv", run, r);
  nice_agent_attach_recv (agent, stream, component, r->context, on_packet, r);
  g_object_set_data (G_OBJECT (nicesrc), KEY, r);
  g_mutex_unlock (&lock);
  GST_DEBUG_OBJECT (nicesrc, "receiving on kontor's thread");
}

static void
stop_one (const GValue *item, gpointer data)
{
  GObject *element = g_value_get_object (item);
  KmNiceRecv *r = g_object_get_data (element, KEY);
  g_object_set_data (element, KEY, &stopped);
  if (!r || r == (gpointer) &stopped)
    return;
  /* No callback: libnice stops reading, and once attach_recv returns it
   * starts none (it holds its agent lock around both).  One already
   * running ends before the join returns. */
  nice_agent_attach_recv (r->agent, r->stream, r->component, r->context, NULL, NULL);
  g_main_loop_quit (r->loop);
  g_thread_join (r->thread);
  nicerecv_free (r);
}

void
km_nicerecv_stop (GstElement *webrtc)
{
  g_mutex_lock (&lock);
  GstIterator *it = gst_bin_iterate_all_by_element_factory_name (GST_BIN (webrtc), "nicesrc");
  while (gst_iterator_foreach (it, stop_one, NULL) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  g_mutex_unlock (&lock);
}
