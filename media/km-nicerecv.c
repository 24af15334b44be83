/* km-nicerecv.c — receives a participant's packets on kontor's receive
 * threads instead of through nicesrc's create().
 *
 * nicesrc hands packets over one at a time: its libnice callback queues
 * the packet and quits a main loop, create() returns it, basesrc pushes it
 * and create() runs the loop again.  Each packet so costs an eventfd write
 * and a futex wake, and each wake-up an extra poll and an eventfd read,
 * on top of basesrc's bookkeeping.
 *
 * Once media flows (km-recvpath.c), kontor attaches its own callback to
 * the same libnice component, on the GMainContext of one of its receive
 * threads.  The callback pushes each packet out of nicesrc's source pad
 * itself, into the same elements as before (capsfilter, dtlssrtpdec, …),
 * and the loop goes on polling: no quit, no restart.  Packets nicesrc had
 * queued before the switch still go out, serialised with the new ones by
 * the capsfilter's stream lock; then nicesrc's task is stopped, so that its
 * thread goes (its source pad stays active: the callback pushes from it).  libnice answers STUN
 * (consent checks) inside the same receive path, so that moves to these threads as well.
 *
 * The receive threads are a pool of the process, one per core (as
 * mediasoup's workers or Janus' loops): a meeting's participants share
 * one, the one with the fewest participants when the meeting's first
 * media starts, and every packet of every meeting is forwarded on one of
 * them.  Participants never wait for each other's threads to start or
 * stop; the pool lives as long as the process.
 *
 * Once nicesrc's task has stopped, the receive thread also decrypts the
 * SRTP itself (km-srtpin.c) and pushes it out of srtpdec's pads, skipping
 * the elements before them; DTLS still goes in through nicesrc's pad.
 *
 * KONTOR_MEDIA_NICESRC=1 leaves nicesrc as it is, for comparisons;
 * KONTOR_MEDIA_RECV_THREADS=N sets the pool's size (tests, benchmarks).
 */
#include "media/km-private.h"
#include "media/km-srtp.h"

#include <gst/base/gstbasesrc.h>
#include <nice/agent.h>

#define KEY "km-nicerecv"
#define WORKER_KEY "km-nicerecv-worker" /* on a meeting's pipeline */

/* One receive thread and the context its loop runs. */
typedef struct {
  GMainContext *context;
  GThread *thread;
  guint users; /* participants on it; under lock */
} KmRecvWorker;

typedef struct {
  GstPad *src;      /* nicesrc's source pad (ref) */
  NiceAgent *agent; /* (ref) */
  guint stream, component;
  KmRecvWorker *worker;
  GstClock *clock; /* the pipeline's, for timestamps like
                    * nicesrc's do-timestamp; may be NULL */
  GstClockTime base_time;
  KmSsrcGate gate; /* streams this participant may send */
  gint srtp_due;   /* atomic: nicesrc's task has stopped, every packet
                    * is ours: decryption can be taken over */
  gboolean srtp_tried;
  KmSrtpIn *srtp_in; /* km-srtpin.c, once it took over */
} KmNiceRecv;

/* Start and stop take it, so that a start on a streaming thread cannot
 * slip in after a teardown's stop on the main thread; it also guards the
 * pool. */
static GMutex lock;
/* Stored on a nicesrc once stopped: it is never started again. */
static gchar stopped;
static KmRecvWorker *workers;
static guint n_workers;

/* libnice calls this on a receive thread, without its agent lock, for
 * every packet that is not STUN. */
static void
on_packet (NiceAgent *agent, guint stream, guint component, guint len, gchar *data,
           gpointer user_data)
{
  KmNiceRecv *r = user_data;
  /* libnice's socket source, being dispatched.  GLib 2.74 blocks a source
   * that may not recurse for the time of its dispatch: it takes the
   * socket out of the context's poll set and puts it back, and each of
   * the two writes the context's wake-up eventfd, which the next poll
   * returns for and reads.  Nothing here runs this context again, so
   * recursion cannot happen and the block guards nothing: three system
   * calls and a poll saved per wake-up. */
  GSource *source = g_main_current_source ();
  if (G_UNLIKELY (source && !g_source_get_can_recurse (source)))
    g_source_set_can_recurse (source, TRUE);
  if (!km_ssrcgate_admit (&r->gate, (const guint8 *) data, len, g_get_monotonic_time ())) {
    /* Once per 1,000 dropped, so that a flood does not flood the log. */
    if (r->gate.refused % 1000 == 1)
      GST_WARNING_OBJECT (r->src,
                          "more than %u streams from one participant: "
                          "%" G_GUINT64_FORMAT " packets dropped",
                          KM_SSRCGATE_MAX, r->gate.refused);
    return;
  }
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  if (r->clock) {
    GstClockTime now = gst_clock_get_time (r->clock);
    if (now >= r->base_time)
      pts = now - r->base_time;
  }
  /* Between two packets, on the only thread that now receives them. */
  if (G_UNLIKELY (!r->srtp_tried && g_atomic_int_get (&r->srtp_due))) {
    r->srtp_tried = TRUE;
    g_autoptr (GstElement) nicesrc = gst_pad_get_parent_element (r->src);
    r->srtp_in = nicesrc ? km_srtp_in_new (nicesrc, GST_OBJECT_NAME (nicesrc)) : NULL;
  }
  if (r->srtp_in && km_srtp_in_receive (r->srtp_in, (const guint8 *) data, len, pts))
    return;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, len, NULL);
  gst_buffer_fill (buf, 0, data, len);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  GstFlowReturn ret = gst_pad_push (r->src, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
    GST_DEBUG_OBJECT (r->src, "push: %s", gst_flow_get_name (ret));
}

static gpointer
run (gpointer data)
{
  KmRecvWorker *w = data;
  g_main_context_push_thread_default (w->context);
  /* The pool lives as long as the process: nothing quits this loop. */
  GMainLoop *loop = g_main_loop_new (w->context, FALSE);
  g_main_loop_run (loop);
  return NULL;
}

/* The thread of the meeting's other participants, or for a meeting's
 * first the one with the fewest participants; the pool started on first
 * use.  A meeting on one thread: a packet forwarded to another
 * participant takes locks (the receiver's libnice agent, its SRTP session)
 * that the receiver's own receive path takes too, and across two threads
 * each of those meetings made a futex call per packet or more.  Under
 * lock. */
static KmRecvWorker *
pick_worker (GObject *meeting)
{
  KmRecvWorker *known = g_object_get_data (meeting, WORKER_KEY);
  if (known) {
    known->users++;
    return known;
  }
  if (!workers) {
    guint64 n = 0;
    const gchar *env = g_getenv ("KONTOR_MEDIA_RECV_THREADS");
    if (!env || !g_ascii_string_to_unsigned (env, 10, 1, 64, &n, NULL))
      n = g_get_num_processors ();
    n_workers = (guint) n;
    workers = g_new0 (KmRecvWorker, n_workers);
    for (guint i = 0; i < n_workers; i++) {
      workers[i].context = g_main_context_new ();
      workers[i].thread = g_thread_new ("km-recv", run, &workers[i]);
    }
    GST_INFO ("%u receive threads", n_workers);
  }
  KmRecvWorker *best = &workers[0];
  for (guint i = 1; i < n_workers; i++)
    if (workers[i].users < best->users)
      best = &workers[i];
  best->users++;
  g_object_set_data (meeting, WORKER_KEY, best);
  return best;
}

/* The top of element's bin hierarchy (a reference): its meeting's pipeline. */
static GstObject *
meeting_of (GstElement *element)
{
  GstObject *top = gst_object_ref (GST_OBJECT (element));
  GstObject *parent;
  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  return top;
}

static void
nicerecv_free (KmNiceRecv *r)
{
  g_clear_object (&r->clock);
  km_srtp_in_free (r->srtp_in);
  g_object_unref (r->agent);
  gst_object_unref (r->src);
  g_free (r);
}

/* Waits until the worker's thread has finished what it was doing: a
 * callback libnice began before its detach returned ends before this
 * returns (the thread runs one thing at a time). */
typedef struct {
  GMutex lock;
  GCond cond;
  gboolean done;
} KmBarrier;

static gboolean
barrier_reached (gpointer data)
{
  KmBarrier *b = data;
  g_mutex_lock (&b->lock);
  b->done = TRUE;
  g_cond_signal (&b->cond);
  g_mutex_unlock (&b->lock);
  return G_SOURCE_REMOVE;
}

static void
wait_for_worker (KmRecvWorker *w)
{
  if (g_main_context_is_owner (w->context))
    return;
  KmBarrier b = { .done = FALSE };
  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  g_main_context_invoke (w->context, barrier_reached, &b);
  g_mutex_lock (&b.lock);
  while (!b.done)
    g_cond_wait (&b.cond, &b.lock);
  g_mutex_unlock (&b.lock);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
}

/* On GStreamer's thread pool, a moment after the switch: nicesrc's
 * create() waits in its own loop for packets that now come to us.  unlock
 * makes it return (FLUSHING: basesrc pauses the task without a word), and
 * the task is stopped, which gives its thread back.  The time before lets
 * nicesrc push what it had queued before the switch. */
static void
stop_nicesrc_task (GstElement *nicesrc, gpointer data)
{
  g_usleep (200 * 1000);
  g_mutex_lock (&lock);
  gboolean ours = g_object_get_data (G_OBJECT (nicesrc), KEY) != &stopped;
  g_mutex_unlock (&lock);
  if (!ours || GST_STATE (nicesrc) != GST_STATE_PLAYING)
    return;
  GstBaseSrcClass *klass = GST_BASE_SRC_GET_CLASS (nicesrc);
  g_autoptr (GstPad) src = gst_element_get_static_pad (nicesrc, "src");
  if (!klass->unlock || !klass->unlock (GST_BASE_SRC (nicesrc)))
    return;
  gst_pad_stop_task (src);
  GST_DEBUG_OBJECT (nicesrc, "its task stopped");
  /* All that nicesrc had queued has been pushed: from the next packet on,
   * the receive thread may decrypt itself (km-srtpin.c). */
  g_mutex_lock (&lock);
  KmNiceRecv *r = g_object_get_data (G_OBJECT (nicesrc), KEY);
  if (r && r != (gpointer) &stopped)
    g_atomic_int_set (&r->srtp_due, 1);
  g_mutex_unlock (&lock);
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

  g_autoptr (GstObject) meeting = meeting_of (nicesrc);
  g_mutex_lock (&lock);
  if (g_object_get_data (G_OBJECT (nicesrc), KEY)) {
    g_mutex_unlock (&lock);
    nicerecv_free (r);
    return;
  }
  r->worker = pick_worker (G_OBJECT (meeting));
  nice_agent_attach_recv (agent, stream, component, r->worker->context, on_packet, r);
  g_object_set_data (G_OBJECT (nicesrc), KEY, r);
  g_mutex_unlock (&lock);
  gst_element_call_async (nicesrc, stop_nicesrc_task, NULL, NULL);
  GST_DEBUG_OBJECT (nicesrc, "receiving on kontor's receive thread %u",
                    (guint) (r->worker - workers));
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
   * running ends before the barrier is reached. */
  nice_agent_attach_recv (r->agent, r->stream, r->component, r->worker->context, NULL, NULL);
  wait_for_worker (r->worker);
  r->worker->users--;
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
