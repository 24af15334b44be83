/* km-relaybuf.c — what kontor gives rtpbin instead of a jitterbuffer.
 *
 * Since the forwarding path takes packets before rtpbin (km-receive.c),
 * this element sees only the first packets of each stream, until
 * webrtcbin has announced it; it stays so that those pass at once and no
 * jitterbuffer threads are started.  What follows is why it was written.
 *
 * A relay does not play media out, so rtpjitterbuffer's work costs without
 * helping: an output thread and a timer thread per incoming stream, and one
 * more thread hand-off per packet (most of the relay's CPU, see
 * docs/performance.md).  The one thing it did that a relay needs is asking
 * the sender to retransmit what was lost on the way in.
 *
 * This element passes packets on, on the thread that received them.  When
 * a sequence number is missing it sends upstream the request
 * rtpjitterbuffer would send (rtprtxreceive notes it so that it can restore
 * the retransmission, rtpsession turns it into a NACK), and holds the
 * packets after the hole, in order, until the hole is filled or `latency`
 * ms have passed; then it lets them go with the hole.  No thread, no timer:
 * the time limit is checked when packets arrive.
 *
 * rtpbin and webrtcbin set `latency` and `do-retransmission` on whatever
 * jitterbuffer they get, and webrtcbin's get-stats reads its `stats`; all
 * three mean here what they mean on rtpjitterbuffer.
 */
#include "media/km-private.h"

/* A forward jump larger than this is a new stream (or the sender's
 * restart), not loss: nothing is requested or held.  It also bounds what
 * is held behind a hole (~1 s of 1.5 Mbit/s video). */
#define KM_MAX_GAP 128

typedef struct {
  GstBuffer *buf;
  guint16 seq;
} KmHeld;

typedef struct {
  GstElement parent;
  GstPad *sinkpad, *srcpad;
  gint latency_ms; /* atomic: set by rtpbin on any thread */
  gint do_rtx;     /* atomic; only stored, see nack_pt() */
  /* Streaming thread only (chain and serialized events). */
  gboolean started;
  guint32 ssrc;
  gint pt;           /* of the last packet, -1 before */
  gboolean nack;     /* the sender takes NACKs for pt */
  guint16 next;      /* the sequence number to pass on next */
  GQueue held;       /* KmHeld*, ascending, all after next */
  gint64 give_up_at; /* monotonic µs */
  /* Written by the streaming thread, read by get-stats: __atomic. */
  guint64 pushed, lost, late, duplicates, rtx_requests, rtx_filled;
} KmRelayBuf;

#define COUNT(self, field, n) __atomic_add_fetch (&(self)->field, (n), __ATOMIC_RELAXED)
#define READ(self, field) __atomic_load_n (&(self)->field, __ATOMIC_RELAXED)

typedef struct {
  GstElementClass parent_class;
} KmRelayBufClass;

enum { PROP_0, PROP_LATENCY, PROP_DO_RETRANSMISSION, PROP_STATS };
enum { SIGNAL_REQUEST_PT_MAP, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (KmRelayBuf, km_relay_buf, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sink_tpl = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate src_tpl = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

static gboolean
parse (GstBuffer *buf, guint16 *seq, guint32 *ssrc, guint *pt)
{
  guint8 h[12];
  if (gst_buffer_extract (buf, 0, h, sizeof h) != sizeof h || (h[0] >> 6) != 2)
    return FALSE;
  *pt = h[1] & 0x7f;
  *seq = (guint16) (h[2] << 8 | h[3]);
  *ssrc = (guint32) h[8] << 24 | (guint32) h[9] << 16 | (guint32) h[10] << 8 | h[11];
  return TRUE;
}

/* Asks for the packets from..to-1 (bounded: a long burst is better
 * answered by a keyframe than by a retransmission storm). */
static void
request_rtx (KmRelayBuf *self, guint16 from, guint16 to)
{
  guint deadline = (guint) g_atomic_int_get (&self->latency_ms);
  for (guint n = 0; from != to && n < 32; from++, n++) {
    GstStructure *s = gst_structure_new (
        "GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT, (guint) from, "ssrc", G_TYPE_UINT,
        self->ssrc, "delay", G_TYPE_UINT, 0u, "deadline", G_TYPE_UINT, deadline, "retry",
        G_TYPE_UINT, 0u, "packet-count", G_TYPE_UINT, 1u, NULL);
    gst_pad_push_event (self->sinkpad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
    COUNT (self, rtx_requests, 1);
  }
}

static void
hold (KmRelayBuf *self, GstBuffer *buf, guint16 seq)
{
  /* Keep the queue in sequence order; a duplicate is dropped. */
  GList *l = self->held.tail;
  for (; l; l = l->prev) {
    gint16 d = (gint16) (seq - ((KmHeld *) l->data)->seq);
    if (d == 0) {
      COUNT (self, duplicates, 1);
      gst_buffer_unref (buf);
      return;
    }
    if (d > 0)
      break;
  }
  KmHeld *h = g_new (KmHeld, 1);
  h->buf = buf;
  h->seq = seq;
  if (l)
    g_queue_insert_after (&self->held, l, h);
  else
    g_queue_push_head (&self->held, h);
}

static GstFlowReturn
push_head (KmRelayBuf *self)
{
  KmHeld *h = g_queue_pop_head (&self->held);
  self->next = (guint16) (h->seq + 1);
  GstBuffer *buf = h->buf;
  g_free (h);
  COUNT (self, pushed, 1);
  return gst_pad_push (self->srcpad, buf);
}

static GstFlowReturn
push_all (KmRelayBuf *self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  while (self->held.length) {
    GstFlowReturn r = push_head (self);
    if (r != GST_FLOW_OK)
      ret = r;
  }
  return ret;
}

static void
drop_all (KmRelayBuf *self)
{
  KmHeld *h;
  while ((h = g_queue_pop_head (&self->held))) {
    gst_buffer_unref (h->buf);
    g_free (h);
  }
}

/* Passes on what the filled holes released, or everything once the wait
 * for a hole is over. */
static GstFlowReturn
release (KmRelayBuf *self, gint64 now)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean moved = FALSE;
  while (self->held.length && ((KmHeld *) self->held.head->data)->seq == self->next) {
    GstFlowReturn r = push_head (self);
    if (r != GST_FLOW_OK)
      ret = r;
    moved = TRUE;
  }
  if (!self->held.length)
    return ret;
  if (now >= self->give_up_at) {
    GST_DEBUG_OBJECT (self, "ssrc %u: gave up waiting for %u", self->ssrc, self->next);
    guint16 newest = ((KmHeld *) self->held.tail->data)->seq;
    COUNT (self, lost, (guint16) (newest + 1 - self->next) - self->held.length);
    GstFlowReturn r = push_all (self);
    return r != GST_FLOW_OK ? r : ret;
  }
  if (moved) /* a later hole: its own wait starts now */
    self->give_up_at = now + (gint64) g_atomic_int_get (&self->latency_ms) * 1000;
  return ret;
}

/* Whether the sender accepts NACKs for this payload type, from the SDP
 * through rtpbin's pt map (as rtpjitterbuffer gets its clock rate).
 * webrtcbin 1.22's do-retransmission cannot say: with BUNDLE it sets every
 * transceiver's do-nack on every stream, and the last one wins. */
static gboolean
nack_pt (KmRelayBuf *self, guint pt)
{
  GstCaps *caps = NULL;
  g_signal_emit (self, signals[SIGNAL_REQUEST_PT_MAP], 0, pt, &caps);
  gboolean nack = FALSE;
  if (caps && gst_caps_get_size (caps) > 0) {
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    if (!gst_structure_get_boolean (s, "rtcp-fb-nack", &nack))
      nack = FALSE;
  }
  GST_DEBUG_OBJECT (self, "pt %u: %s", pt, nack ? "NACK" : "no NACK");
  if (caps)
    gst_caps_unref (caps);
  return nack;
}

static GstFlowReturn
chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  KmRelayBuf *self = (KmRelayBuf *) parent;
  guint16 seq;
  guint32 ssrc;
  guint pt;
  if (!parse (buf, &seq, &ssrc, &pt))
    return gst_pad_push (self->srcpad, buf);
  if ((gint) pt != self->pt) {
    self->pt = (gint) pt;
    self->nack = nack_pt (self, pt);
  }
  if (!self->started || ssrc != self->ssrc) {
    GstFlowReturn r = push_all (self);
    if (r != GST_FLOW_OK && r != GST_FLOW_NOT_LINKED) {
      gst_buffer_unref (buf);
      return r;
    }
    self->started = TRUE;
    self->ssrc = ssrc;
    self->next = seq;
  }
  gint16 d = (gint16) (seq - self->next);
  gint64 now = g_get_monotonic_time ();

  if (d < 0 && d > -KM_MAX_GAP) {
    /* A duplicate, or a retransmission that came after we gave up. */
    COUNT (self, late, 1);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  if (d < 0 || d > KM_MAX_GAP) {
    /* The stream jumped: start again from this packet. */
    GstFlowReturn r = push_all (self);
    self->next = (guint16) (seq + 1);
    COUNT (self, pushed, 1);
    GstFlowReturn r2 = gst_pad_push (self->srcpad, buf);
    return r2 != GST_FLOW_OK ? r2 : r;
  }
  if (!self->held.length) {
    if (d == 0) {
      self->next++;
      COUNT (self, pushed, 1);
      return gst_pad_push (self->srcpad, buf);
    }
    gint latency = g_atomic_int_get (&self->latency_ms);
    if (!self->nack || latency <= 0) {
      /* Nobody retransmits: let the depayloader see the hole now. */
      self->next = (guint16) (seq + 1);
      COUNT (self, pushed, 1);
      COUNT (self, lost, (guint) d);
      return gst_pad_push (self->srcpad, buf);
    }
    GST_LOG_OBJECT (self, "ssrc %u: %u missing", self->ssrc, self->next);
    request_rtx (self, self->next, seq);
    self->give_up_at = now + (gint64) latency * 1000;
    hold (self, buf, seq);
    return GST_FLOW_OK;
  }
  /* Holding: ask for whatever is missing between the newest held packet
   * and this one. */
  guint16 last = ((KmHeld *) self->held.tail->data)->seq;
  gint16 after_last = (gint16) (seq - last);
  if (after_last > 1)
    request_rtx (self, (guint16) (last + 1), seq);
  else if (after_last < 0)
    COUNT (self, rtx_filled, 1); /* or reordered: both fill a hole */
  hold (self, buf, seq);
  return release (self, now);
}

static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  KmRelayBuf *self = (KmRelayBuf *) parent;
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_FLUSH_STOP:
    drop_all (self);
    self->started = FALSE;
    self->pt = -1;
    break;
  case GST_EVENT_EOS:
    push_all (self);
    break;
  default:
    break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  KmRelayBuf *self = (KmRelayBuf *) element;
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (km_relay_buf_parent_class)->change_state (element, transition);
  /* The pads are deactivated by now: no streaming thread is inside. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    drop_all (self);
    self->started = FALSE;
    self->pt = -1;
  }
  return ret;
}

static void
set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  KmRelayBuf *self = (KmRelayBuf *) object;
  switch (id) {
  case PROP_LATENCY:
    g_atomic_int_set (&self->latency_ms, (gint) MIN (g_value_get_uint (value), 10000u));
    break;
  case PROP_DO_RETRANSMISSION:
    g_atomic_int_set (&self->do_rtx, g_value_get_boolean (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static void
get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  KmRelayBuf *self = (KmRelayBuf *) object;
  switch (id) {
  case PROP_LATENCY:
    g_value_set_uint (value, (guint) g_atomic_int_get (&self->latency_ms));
    break;
  case PROP_DO_RETRANSMISSION:
    g_value_set_boolean (value, g_atomic_int_get (&self->do_rtx));
    break;
  case PROP_STATS:
    /* The fields webrtcbin's get-stats reads from rtpjitterbuffer. */
    g_value_take_boxed (
        value, gst_structure_new ("application/x-rtp-jitterbuffer-stats", "num-pushed",
                                  G_TYPE_UINT64, READ (self, pushed), "num-lost", G_TYPE_UINT64,
                                  READ (self, lost), "num-late", G_TYPE_UINT64, READ (self, late),
                                  "num-duplicates", G_TYPE_UINT64, READ (self, duplicates),
                                  "avg-jitter", G_TYPE_UINT64, (guint64) 0, "rtx-count",
                                  G_TYPE_UINT64, READ (self, rtx_requests), "rtx-success-count",
                                  G_TYPE_UINT64, READ (self, rtx_filled), "rtx-per-packet",
                                  G_TYPE_DOUBLE, 0.0, "rtx-rtt", G_TYPE_UINT64, (guint64) 0, NULL));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static void
finalize (GObject *object)
{
  drop_all ((KmRelayBuf *) object);
  G_OBJECT_CLASS (km_relay_buf_parent_class)->finalize (object);
}

static void
km_relay_buf_class_init (KmRelayBufClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);
  oc->set_property = set_property;
  oc->get_property = get_property;
  oc->finalize = finalize;
  g_object_class_install_property (
      oc, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
                         "How long a hole may wait for its retransmission (ms)", 0, G_MAXUINT, 100,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      oc, PROP_DO_RETRANSMISSION,
      g_param_spec_boolean ("do-retransmission", "Do retransmission",
                            "Ask the sender to retransmit lost packets", FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (oc, PROP_STATS,
                                   g_param_spec_boxed ("stats", "Statistics",
                                                       "As rtpjitterbuffer's", GST_TYPE_STRUCTURE,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /* rtpbin answers this as for rtpjitterbuffer. */
  signals[SIGNAL_REQUEST_PT_MAP] =
      g_signal_new ("request-pt-map", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, GST_TYPE_CAPS, 1, G_TYPE_UINT);
  ec->change_state = change_state;
  gst_element_class_add_static_pad_template (ec, &sink_tpl);
  gst_element_class_add_static_pad_template (ec, &src_tpl);
  gst_element_class_set_static_metadata (ec, "kontor relay buffer", "Filter/Network/RTP",
                                         "Passes RTP on at once, NACKs holes", "kontor");
}

static void
km_relay_buf_init (KmRelayBuf *self)
{
  self->latency_ms = 100;
  self->pt = -1;
  g_queue_init (&self->held);
  self->sinkpad = gst_pad_new_from_static_template (&sink_tpl, "sink");
  gst_pad_set_chain_function (self->sinkpad, chain);
  gst_pad_set_event_function (self->sinkpad, sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_tpl, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

GstElement *
km_relay_buffer_new (void)
{
  return g_object_new (km_relay_buf_get_type (), NULL);
}
