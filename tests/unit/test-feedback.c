/* test-feedback.c — what the relay reads of a browser's RTCP
 * (media/km-feedback.c): every field only after checking that the packet
 * holds it (tests/fuzz/fuzz-rtcp.c fuzzes the same function; these are
 * the cases it made us write down), and what a receiver's reports of loss
 * and delay make the relay tell the sender (REMB). */
#include "media/km-private.h"
#include "media/km-fwd-private.h"

#include <gst/rtp/gstrtcpbuffer.h>

#define SLOT 0x2fb5ee2au
#define CAMERA 0x5e4d0001u

typedef struct {
  KmFwdPort *port;
  KmFwdSink *sink;
  KmFwdSource *source;
  gint64 now;
} Rig;

static void
rig_init (Rig *rig)
{
  rig->port = km_fwd_port_new (NULL, "browser");
  rig->sink = km_fwd_sink_new (rig->port, km_codec_lookup ("VP8"), "slot");
  rig->sink->ssrc = SLOT;
  /* The report the slot sent 100 ms ago, which the browser answers. */
  rig->now = g_get_monotonic_time ();
  rig->sink->sr_lsr[0] = 0x12345678;
  rig->sink->sr_sent[0] = rig->now - 100 * 1000;
  rig->source = km_fwd_source_alloc (rig->port, "VP8", CAMERA);
  rig->port->sources = g_list_prepend (rig->port->sources, rig->source);
}

static void
rig_clear (Rig *rig)
{
  km_fwd_sink_free (rig->sink);
  km_fwd_source_free (rig->source);
  km_fwd_port_unref (rig->port);
}

static void
read_bytes (Rig *rig, const guint8 *data, gsize n)
{
  GstBuffer *buf = n ? gst_buffer_new_memdup (data, n) : gst_buffer_new ();
  km_feedback_read (rig->port, buf, rig->now);
  gst_buffer_unref (buf);
}

static void
test_sender_report (void)
{
  Rig rig;
  rig_init (&rig);
  static const guint8 sr[] = {
    0x80, 200,  0,    6,    0x5e, 0x4d, 0x00, 0x01, /* SR, 6 words, camera */
    0xe8, 0xa1, 0xb2, 0xc3, 0,    0,    0,    0,    /* NTP time */
    0,    1,    0x5f, 0x90,                         /* RTP time 90000 */
    0,    0,    0,    10,   0,    0,    0x10, 0
  }; /* packets, octets */
  read_bytes (&rig, sr, sizeof sr);
  g_assert_true (rig.source->have_sr);
  g_assert_cmphex (rig.source->sr_ntp, ==, G_GUINT64_CONSTANT (0xe8a1b2c300000000));
  g_assert_cmpuint (rig.source->sr_rtp, ==, 90000);
  rig_clear (&rig);
}

static void
test_sender_report_too_short (void)
{
  Rig rig;
  rig_init (&rig);
  /* The length says 1 word: the SSRC, no sender info. */
  static const guint8 sr[] = { 0x80, 200, 0, 1, 0x5e, 0x4d, 0x00, 0x01 };
  read_bytes (&rig, sr, sizeof sr);
  g_assert_false (rig.source->have_sr);
  rig_clear (&rig);
}

static void
test_round_trip (void)
{
  Rig rig;
  rig_init (&rig);
  static const guint8 rr[] = { 0x81, 201,  0,    7,    0, 0, 0,    9, /* RR, one block */
                               0x2f, 0xb5, 0xee, 0x2a, 0, 0, 0,    0, /* on the slot */
                               0,    0,    0,    0,    0, 0, 0,    0,
                               0x12, 0x34, 0x56, 0x78, 0, 0, 0x10, 0 }; /* LSR, DLSR 1/16 s */
  read_bytes (&rig, rr, sizeof rr);
  /* 100 ms since the report, 62.5 of them held by the browser. */
  g_assert_cmpfloat_with_epsilon (rig.sink->rtt, 0.0375, 0.001);
  rig_clear (&rig);
}

static void
test_count_beyond_length (void)
{
  Rig rig;
  rig_init (&rig);
  /* The count says 31 blocks, the length holds none; what follows in the
   * buffer (here an APP packet) would read as a block on the slot. */
  static const guint8 rr[] = { 0x9f, 201,  0,    1,    0,    0,    0,    9,    0x80, 204, 0,    6,
                               0x2f, 0xb5, 0xee, 0x2a, 0,    0,    0,    0,    0,    0,   0,    0,
                               0,    0,    0,    0,    0x12, 0x34, 0x56, 0x78, 0,    0,   0x10, 0 };
  read_bytes (&rig, rr, sizeof rr);
  g_assert_cmpfloat (rig.sink->rtt, <, 0);
  rig_clear (&rig);
}

static void
test_not_a_compound_packet (void)
{
  Rig rig;
  rig_init (&rig);
  static const guint8 odd[][12] = {
    { 0x81, 201, 0, 7, 0, 0, 0, 9, 0x2f, 0xb5, 0xee, 0x2a }, /* cut short */
    { 0x40, 201, 0, 1, 0, 0, 0, 9 },                         /* version 1 */
    { 0x81, 205, 0, 0 },                                     /* a NACK of nothing */
  };
  read_bytes (&rig, NULL, 0);
  read_bytes (&rig, odd[0], 12);
  read_bytes (&rig, odd[1], 8);
  read_bytes (&rig, odd[2], 4);
  g_assert_cmpfloat (rig.sink->rtt, <, 0);
  g_assert_false (rig.source->have_sr);
  rig_clear (&rig);
}

/* ---- a receiver's link, told to the sender ---- */

#define SENDER_CAMERA 0x5e4d0777u

/* A sender's port whose RTCP toward its browser is kept in `told`, and
 * its camera feeding the rig's slot. */
typedef struct {
  Rig rig;
  KmFwdPort *sender;
  KmFwdSource *camera;
  GstPad *out, *in;
  GQueue told; /* GstBuffer* */
} LinkRig;

static GstFlowReturn
keep_rtcp (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  LinkRig *l = g_object_get_data (G_OBJECT (pad), "rig");
  g_queue_push_tail (&l->told, buf);
  return GST_FLOW_OK;
}

static void
link_rig_init (LinkRig *l)
{
  rig_init (&l->rig);
  g_queue_init (&l->told);
  l->sender = km_fwd_port_new (NULL, "sender");
  l->out = gst_pad_new ("rtcp_out", GST_PAD_SRC);
  l->in = gst_pad_new ("rtcp_in", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (l->in), "rig", l);
  gst_pad_set_chain_function (l->in, keep_rtcp);
  g_assert_cmpint (gst_pad_link (l->out, l->in), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (l->in, TRUE);
  gst_pad_set_active (l->out, TRUE);
  gst_pad_push_event (l->out, gst_event_new_stream_start ("rtcp"));
  g_autoptr (GstCaps) caps = gst_caps_new_empty_simple ("application/x-rtcp");
  gst_pad_push_event (l->out, gst_event_new_caps (caps));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (l->out, gst_event_new_segment (&segment));
  l->sender->rtcp_out = l->out;
  l->sender->ready = TRUE;
  l->camera = km_fwd_source_alloc (l->sender, "VP8", SENDER_CAMERA);
  l->sender->sources = g_list_prepend (l->sender->sources, l->camera);
  g_assert_true (km_fwd_connect (l->camera, l->rig.sink, NULL));
}

static void
link_rig_clear (LinkRig *l)
{
  km_fwd_source_free (l->camera);
  l->sender->rtcp_out = NULL;
  km_fwd_port_unref (l->sender);
  g_queue_clear_full (&l->told, (GDestroyNotify) gst_buffer_unref);
  gst_object_unref (l->out);
  gst_object_unref (l->in);
  rig_clear (&l->rig);
}

/* The receiver's report on the slot `at` µs after the rig's start, with
 * its cumulative loss and extended highest sequence number, after the
 * slot has carried `octets` in all. */
static void
receiver_reports (LinkRig *l, gint64 at, guint32 lost, guint32 ext_seq, guint32 octets)
{
  guint8 rr[32] = { 0x81, 201, 0, 7, 0, 0, 0, 9, 0x2f, 0xb5, 0xee, 0x2a };
  GST_WRITE_UINT32_BE (rr + 12, lost & 0xffffff);
  GST_WRITE_UINT32_BE (rr + 16, ext_seq);
  l->rig.sink->octets = octets;
  GstBuffer *buf = gst_buffer_new_memdup (rr, sizeof rr);
  km_feedback_read (l->rig.port, buf, l->rig.now + at);
  gst_buffer_unref (buf);
}

/* The bitrate of the one REMB the sender was told since last asked, for
 * the sender's camera; 0 when none. */
static guint32
remb_told (LinkRig *l)
{
  guint32 bits = 0;
  guint rembs = 0;
  for (GstBuffer *buf; (buf = g_queue_pop_head (&l->told));) {
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    GstRTCPPacket packet;
    g_assert_true (gst_rtcp_buffer_validate (buf));
    gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp);
    for (gboolean more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
         more = gst_rtcp_packet_move_to_next (&packet)) {
      if (gst_rtcp_packet_get_type (&packet) != GST_RTCP_TYPE_PSFB
          || gst_rtcp_packet_fb_get_type (&packet) != GST_RTCP_PSFB_TYPE_AFB)
        continue;
      const guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
      g_assert_cmpuint (gst_rtcp_packet_fb_get_fci_length (&packet), ==, 3);
      g_assert_cmpmem (fci, 4, "REMB", 4);
      g_assert_cmpuint (fci[4], ==, 1); /* one SSRC */
      guint32 word = GST_READ_UINT32_BE (fci + 4);
      bits = (word & 0x3ffff) << ((word >> 18) & 0x3f);
      g_assert_cmphex (GST_READ_UINT32_BE (fci + 8), ==, SENDER_CAMERA);
      rembs++;
    }
    gst_rtcp_buffer_unmap (&rtcp);
    gst_buffer_unref (buf);
  }
  g_assert_cmpuint (rembs, <=, 1);
  return bits;
}

static void
test_no_loss_no_limit (void)
{
  LinkRig l;
  link_rig_init (&l);
  /* A second apart, 1 Mbit/s carried, nothing lost. */
  for (guint i = 0; i < 5; i++)
    receiver_reports (&l, i * G_USEC_PER_SEC, 0, 1000 + 100 * i, 125000 * i);
  g_assert_cmpuint (remb_told (&l), ==, 0);
  link_rig_clear (&l);
}

static void
test_loss_limits_the_sender (void)
{
  LinkRig l;
  link_rig_init (&l);
  receiver_reports (&l, 0, 0, 1000, 0);
  /* 30 of 100 packets lost while the slot carried 1 Mbit/s: the link
   * takes what arrived and a little more (1 - loss / 2). */
  receiver_reports (&l, G_USEC_PER_SEC, 30, 1100, 125000);
  guint32 limit = remb_told (&l);
  g_assert_cmpuint (limit, >=, 845000);
  g_assert_cmpuint (limit, <=, 851000);
  /* Reports that come with NACKs, closer than half a second, are not
   * judged on their own. */
  receiver_reports (&l, G_USEC_PER_SEC + 100000, 30, 1110, 130000);
  g_assert_cmpuint (remb_told (&l), ==, 0);
  /* Nothing lost since: the limit rises by 8 % a judgement. */
  receiver_reports (&l, 2 * G_USEC_PER_SEC, 30, 1200, 230000);
  guint32 raised = remb_told (&l);
  g_assert_cmpuint (raised, >, limit * 1.07);
  g_assert_cmpuint (raised, <, limit * 1.09);
  /* The receiver leaves the slot: the sender is let go at once. */
  km_fwd_disconnect (l.rig.sink);
  g_assert_cmpuint (remb_told (&l), ==, KM_LINK_MAX);
  link_rig_clear (&l);
}

static void
test_queue_limits_the_sender (void)
{
  LinkRig l;
  link_rig_init (&l);
  /* The round trip from 20 ms to 120 ms and staying there, nothing lost:
   * the link is full and queues; the limit eases to 85 % of what was
   * carried. */
  for (guint i = 0; i <= 4; i++) {
    gint64 at = i * G_USEC_PER_SEC;
    guint32 rtt_ms = i < 2 ? 20 : 120;
    l.rig.sink->sr_lsr[0] = 0x1000 + i;
    l.rig.sink->sr_sent[0] = l.rig.now + at - rtt_ms * 1000;
    guint8 rr[32] = { 0x81, 201, 0, 7, 0, 0, 0, 9, 0x2f, 0xb5, 0xee, 0x2a };
    GST_WRITE_UINT32_BE (rr + 16, 1000 + 100 * i);
    GST_WRITE_UINT32_BE (rr + 24, 0x1000 + i); /* LSR; DLSR 0 */
    l.rig.sink->octets = 125000 * i;
    GstBuffer *buf = gst_buffer_new_memdup (rr, sizeof rr);
    km_feedback_read (l.rig.port, buf, l.rig.now + at);
    gst_buffer_unref (buf);
    guint32 limit = remb_told (&l);
    if (i < 3) /* the second long round trip is the first second of it */
      g_assert_cmpuint (limit, ==, 0);
    else if (i == 3)
      g_assert_cmpuint (limit, ==, 850000);
  }
  link_rig_clear (&l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  GST_DEBUG_CATEGORY_INIT (km_debug, "kontor-media", 0, "kontor media relay");
  g_test_add_func ("/feedback/sender-report", test_sender_report);
  g_test_add_func ("/feedback/sender-report-too-short", test_sender_report_too_short);
  g_test_add_func ("/feedback/round-trip", test_round_trip);
  g_test_add_func ("/feedback/count-beyond-length", test_count_beyond_length);
  g_test_add_func ("/feedback/not-a-compound-packet", test_not_a_compound_packet);
  g_test_add_func ("/feedback/link/no-loss-no-limit", test_no_loss_no_limit);
  g_test_add_func ("/feedback/link/loss-limits-the-sender", test_loss_limits_the_sender);
  g_test_add_func ("/feedback/link/queue-limits-the-sender", test_queue_limits_the_sender);
  return g_test_run ();
}
