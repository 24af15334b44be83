/* test-feedback.c — what the relay reads of a browser's RTCP
 * (media/km-feedback.c): every field only after checking that the packet
 * holds it.  tests/fuzz/fuzz-rtcp.c fuzzes the same function; these are
 * the cases it made us write down. */
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
  return g_test_run ();
}
