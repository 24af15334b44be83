/* test-store.c — the copies a video slot keeps for retransmission
 * (media/km-store.c, used by km-forward.c's push_to_sink and km_fwd_resend): never more than
 * KM_STORE_AGE_US old (less once the receiver's round trip is known), so that a slot's memory
 * follows time and not the sender's packet rate, and none resent once too old to be of use. */
#include "media/km-private.h"
#include "media/km-fwd-private.h"

#include <string.h>

#define CAMERA 0x5e4d0001u
#define STEP_US (10 * 1000) /* 100 packets a second */

typedef struct {
  KmFwdPort *sender, *receiver;
  KmFwdSource *source;
  KmFwdSink *sink;
  GstPad *out[4], *in[4]; /* each port's RTP and RTCP, and what takes them */
  guint sent;             /* RTP packets the receiver's port sent */
  guint16 first_seq;      /* the camera's first */
  gint64 t0;
} Rig;

static GstFlowReturn
take (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  guint *count = g_object_get_data (G_OBJECT (pad), "count");
  if (count)
    (*count)++;
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

/* A port with its DTLS keys in place whose packets end at pads of ours. */
static void
port_ready (Rig *rig, KmFwdPort *port, guint k, guint *count)
{
  for (guint i = 0; i < 2; i++) {
    GstPad *out = rig->out[k + i] = gst_pad_new (i ? "rtcp" : "rtp", GST_PAD_SRC);
    GstPad *in = rig->in[k + i] = gst_pad_new ("in", GST_PAD_SINK);
    gst_pad_set_chain_function (in, take);
    if (!i)
      g_object_set_data (G_OBJECT (in), "count", count);
    gst_pad_set_active (in, TRUE);
    gst_pad_set_active (out, TRUE);
    g_assert_cmpint (gst_pad_link (out, in), ==, GST_PAD_LINK_OK);
    gst_pad_push_event (out, gst_event_new_stream_start ("test"));
    g_autoptr (GstCaps) caps =
        gst_caps_new_empty_simple (i ? "application/x-rtcp" : "application/x-rtp");
    gst_pad_push_event (out, gst_event_new_caps (caps));
    GstSegment segment;
    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_pad_push_event (out, gst_event_new_segment (&segment));
  }
  port->rtp_out = rig->out[k];
  port->rtcp_out = rig->out[k + 1];
  port->ready = TRUE;
}

static void
rig_init (Rig *rig)
{
  memset (rig, 0, sizeof *rig);
  rig->sender = km_fwd_port_new (NULL, "camera");
  rig->receiver = km_fwd_port_new (NULL, "viewer");
  port_ready (rig, rig->sender, 0, NULL);
  port_ready (rig, rig->receiver, 2, &rig->sent);
  rig->source = km_fwd_source_alloc (rig->sender, "VP8", CAMERA);
  rig->sender->sources = g_list_prepend (rig->sender->sources, rig->source);
  rig->sink = km_fwd_sink_new (rig->receiver, km_codec_lookup ("VP8"), "slot");
  km_fwd_sink_set_pt (rig->sink, 96, 0);
  g_assert_true (km_fwd_connect (rig->source, rig->sink, NULL));
  rig->first_seq = 40000;
  rig->t0 = g_get_monotonic_time ();
}

static void
rig_clear (Rig *rig)
{
  km_fwd_sink_free (rig->sink);
  rig->sender->sources = g_list_remove (rig->sender->sources, rig->source);
  km_fwd_source_free (rig->source);
  km_fwd_port_unref (rig->sender);
  km_fwd_port_unref (rig->receiver);
  for (guint i = 0; i < 4; i++) {
    gst_object_unref (rig->out[i]);
    gst_object_unref (rig->in[i]);
  }
}

/* The camera's i-th packet, sent at t0 + i steps. */
static gint64
camera_sends (Rig *rig, guint i)
{
  guint8 p[12 + 100] = { 0x80, 96 };
  GST_WRITE_UINT16_BE (p + 2, (guint16) (rig->first_seq + i));
  GST_WRITE_UINT32_BE (p + 4, 3000 * i);
  GST_WRITE_UINT32_BE (p + 8, CAMERA);
  p[12] = 0x10; /* VP8: start of a partition */
  gint64 at = rig->t0 + (gint64) i * STEP_US;
  GstBuffer *b = gst_buffer_new_memdup (p, sizeof p);
  km_fwd_forward_at (rig->source, b, at);
  gst_buffer_unref (b);
  return at;
}

static guint
copies_held (KmFwdSink *sink)
{
  return km_store_count (sink->store);
}

/* The slot's number for the camera's i-th packet, from the newest sent. */
static guint16
slot_seq (Rig *rig, guint newest, guint i)
{
  return (guint16) (rig->sink->next_seq - 1 - (newest - i));
}

static guint
resend (Rig *rig, guint16 seq, gint64 now)
{
  guint before = rig->sent;
  g_mutex_lock (&rig->receiver->lock);
  km_fwd_resend (rig->sink, seq, now);
  g_mutex_unlock (&rig->receiver->lock);
  return rig->sent - before;
}

/* Two seconds at 100 packets a second: the slot holds the last second's
 * copies only, though the ring has room for 256. */
static void
test_holds_one_second (void)
{
  Rig rig;
  rig_init (&rig);
  gint64 now = 0;
  for (guint i = 0; i < 200; i++)
    now = camera_sends (&rig, i);
  g_assert_cmpuint (rig.sent, >=, 190);
  guint held = copies_held (rig.sink);
  g_assert_cmpuint (held, <=, KM_STORE_AGE_US / STEP_US);
  g_assert_cmpuint (held, >=, KM_STORE_AGE_US / STEP_US - 1);
  /* 1.5 s old: freed and not sent again; 0.5 s old: sent again. */
  g_assert_cmpuint (resend (&rig, slot_seq (&rig, 199, 49), now), ==, 0);
  g_assert_cmpuint (resend (&rig, slot_seq (&rig, 199, 149), now), ==, 1);
  rig_clear (&rig);
}

/* A slot whose sender falls silent keeps its last copies until the next
 * packet, but does not send one once it has grown too old. */
static void
test_no_resend_past_the_age (void)
{
  Rig rig;
  rig_init (&rig);
  gint64 now = 0;
  for (guint i = 0; i < 50; i++)
    now = camera_sends (&rig, i);
  guint16 seq = slot_seq (&rig, 49, 45);
  g_assert_cmpuint (resend (&rig, seq, now), ==, 1);
  g_assert_cmpuint (resend (&rig, seq, now + KM_STORE_AGE_US), ==, 0);
  /* The sender back after two seconds: everything before goes. */
  rig.t0 += 2 * G_USEC_PER_SEC;
  camera_sends (&rig, 50);
  g_assert_cmpuint (copies_held (rig.sink), ==, 1);
  rig_clear (&rig);
}

/* Once the receiver's round trip is known, the slot keeps four of them,
 * within [KM_STORE_MIN_AGE_US, KM_STORE_AGE_US]: a near receiver costs
 * a fifth of the memory, a far one as much as before. */
static void
test_age_follows_round_trip (void)
{
  static const struct {
    double rtt_s;
    gint64 age_us;
  } cases[] = {
    { 0.001, KM_STORE_MIN_AGE_US }, /* a LAN: the floor */
    { 0.200, 800 * 1000 },          /* a mobile link: four round trips */
    { 0.600, KM_STORE_AGE_US },     /* a satellite: the ceiling */
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    Rig rig;
    rig_init (&rig);
    rig.sink->rtt = cases[c].rtt_s;
    gint64 now = 0;
    for (guint i = 0; i < 200; i++)
      now = camera_sends (&rig, i);
    guint expect = (guint) (cases[c].age_us / STEP_US);
    guint held = copies_held (rig.sink);
    g_assert_cmpuint (held, <=, expect);
    g_assert_cmpuint (held, >=, expect - 1);
    /* Just inside the age: sent again; just past it: not. */
    g_assert_cmpuint (resend (&rig, slot_seq (&rig, 199, 199 - (expect - 2)), now), ==, 1);
    g_assert_cmpuint (resend (&rig, slot_seq (&rig, 199, 199 - expect), now), ==, 0);
    rig_clear (&rig);
  }
}

/* The sequence numbers wrap inside the window; the copies on both sides
 * of the wrap are aged the same way. */
static void
test_across_the_wrap (void)
{
  Rig rig;
  rig_init (&rig);
  rig.first_seq = 65500;
  gint64 now = 0;
  for (guint i = 0; i < 300; i++)
    now = camera_sends (&rig, i);
  g_assert_cmpuint (copies_held (rig.sink), <=, KM_STORE_AGE_US / STEP_US);
  g_assert_cmpuint (resend (&rig, slot_seq (&rig, 299, 250), now), ==, 1);
  g_assert_cmpuint (resend (&rig, slot_seq (&rig, 299, 150), now), ==, 0);
  rig_clear (&rig);
}

/* ---- the ring itself (media/km-store.c) ---- */

/* A packet's bytes, different for every seq and size. */
static void
fill (guint8 *p, gsize size, guint16 seq)
{
  for (gsize i = 0; i < size; i++)
    p[i] = (guint8) (seq * 31 + i * 7);
}

/* Twenty thousand packets of every size from 0 to 1500 bytes, sent
 * mostly in order, some late, some twice, with gaps in time: every copy
 * asked for comes back byte for byte while it is younger than the age and
 * is still the newest one in its index place, and none comes back after. */
static void
test_ring_keeps_exact_copies (void)
{
  const gint64 age = 500 * 1000;
  KmStore *store = km_store_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  struct {
    gint64 stored;
    guint16 seq;
    gsize size;
    gboolean put;
  } model[KM_STORE_SIZE] = { 0 };
  gint64 now = 0;
  guint16 next = 65000; /* across the wrap */
  guint8 packet[1500], want[1500];
  for (guint i = 0; i < 20000; i++) {
    guint16 seq = next++;
    gint32 roll = g_rand_int_range (rand, 0, 100);
    if (roll < 5)
      seq -= (guint16) g_rand_int_range (rand, 1, 40); /* late, or again */
    now += g_rand_int_range (rand, 0, roll < 2 ? 200 * 1000 : 12 * 1000);
    gsize size = g_rand_int_range (rand, 0, 1501);
    fill (packet, size, seq);
    km_store_put (store, seq, packet, size, now, age);
    guint at = seq % KM_STORE_SIZE;
    model[at].stored = now;
    model[at].seq = seq;
    model[at].size = size;
    model[at].put = TRUE;
    for (guint k = 0; k < 4; k++) {
      guint16 ask = next - (guint16) g_rand_int_range (rand, 1, 300);
      guint m = ask % KM_STORE_SIZE;
      gboolean held = model[m].put && model[m].seq == ask && now - model[m].stored < age;
      gsize got_size = 0;
      gint64 resent = -1;
      const guint8 *got = km_store_get (store, ask, now, age, &got_size, &resent);
      if (!held) {
        g_assert_null (got);
        continue;
      }
      g_assert_nonnull (got);
      g_assert_cmpuint (got_size, ==, model[m].size);
      fill (want, got_size, ask);
      g_assert_cmpmem (got, got_size, want, got_size);
    }
  }
  g_assert_cmpuint (km_store_bytes (store), <=, 512 * 1024);
  km_store_free (store);
}

/* Half a second of 1.3 Mbit/s video (150 packets of 1100 bytes a second)
 * takes a ring about that large, not more than half again; a sender at
 * 8 Mbit/s grows it to its bound at most, and the newest copies stay; back
 * at 1.3 Mbit/s it shrinks to less than twice that again. */
static void
test_ring_follows_bit_rate (void)
{
  const gint64 age = 500 * 1000;
  KmStore *store = km_store_new ();
  guint8 packet[1500] = { 0 };
  gint64 now = 0;
  guint16 seq = 0;
  for (guint i = 0; i < 150 * 5; i++, seq++, now += G_USEC_PER_SEC / 150)
    km_store_put (store, seq, packet, 1100, now, age);
  gsize window = 75 * (1100 + 16 + 4);
  g_assert_cmpuint (km_store_bytes (store), >=, window);
  g_assert_cmpuint (km_store_bytes (store), <=, window * 3 / 2 + 4096);
  g_assert_cmpuint (km_store_count (store), >=, 74);
  g_assert_cmpuint (km_store_count (store), <=, 76);

  for (guint i = 0; i < 700 * 2; i++, seq++, now += G_USEC_PER_SEC / 700)
    km_store_put (store, seq, packet, 1400, now, age);
  g_assert_cmpuint (km_store_bytes (store), <=, 512 * 1024);
  gsize size;
  gint64 resent;
  for (guint16 back = 1; back <= 256; back++)
    g_assert_nonnull (km_store_get (store, seq - back, now, age, &size, &resent));

  /* Back at 1.3 Mbit/s, the ring gives the rest back within seconds
   * (it shrinks once it holds less than half of itself). */
  for (guint i = 0; i < 150 * 5; i++, seq++, now += G_USEC_PER_SEC / 150)
    km_store_put (store, seq, packet, 1100, now, age);
  g_assert_cmpuint (km_store_bytes (store), <=, window * 2 + 4096);
  km_store_free (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  g_test_add_func ("/store/holds-one-second", test_holds_one_second);
  g_test_add_func ("/store/no-resend-past-the-age", test_no_resend_past_the_age);
  g_test_add_func ("/store/across-the-wrap", test_across_the_wrap);
  g_test_add_func ("/store/age-follows-round-trip", test_age_follows_round_trip);
  g_test_add_func ("/store/ring-keeps-exact-copies", test_ring_keeps_exact_copies);
  g_test_add_func ("/store/ring-follows-bit-rate", test_ring_follows_bit_rate);
  return g_test_run ();
}
