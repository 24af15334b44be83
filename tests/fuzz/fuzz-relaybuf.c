/* fuzz-relaybuf.c — libFuzzer target: the relay buffer, the element rtpbin
 * gets instead of a jitterbuffer (media/km-relaybuf.c), fed as rtpbin
 * feeds it: a stream of RTP buffers on its sink pad, events, property
 * changes, state changes.  Its request-pt-map signal is answered as rtpbin
 * answers it: even payload types take NACKs.
 *
 * The input is a script of steps:
 *   0  a buffer, bytes as given
 *   1  a packet from a few fields: which of two SSRCs, a sequence step
 *      (mostly small, sometimes a jump or a step back), payload type
 *   2  latency set to 0-3 ms (0: holes are not waited for; short, so
 *      that waits run out within an input)
 *   3  flush (FLUSH_START, FLUSH_STOP), or EOS
 *   4  the stats property read
 *   5  PAUSED → READY → PLAYING (drops what is held)
 *   6  a pause of up to 1 ms of real time (the element reads the clock),
 *      at most 2 ms in all per input (they cost executions)
 *
 * Checked besides the sanitizers: every buffer that leaves the element
 * was counted as pushed, one that is no RTP passes at once, every
 * retransmission request
 * names the stream's SSRC, and nothing is left over at the end (leaks).
 */
#include "tests/fuzz/fuzz-media.h"

typedef struct {
  guint64 out, not_rtp_out, not_rtp_in, rtx_requests;
  GHashTable *ssrcs; /* of every RTP buffer pushed in */
} Seen;

static Seen seen;

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  guint8 h[12];
  if (gst_buffer_extract (buf, 0, h, sizeof h) != sizeof h || (h[0] >> 6) != 2)
    seen.not_rtp_out++;
  else
    seen.out++;
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  const GstStructure *s = gst_event_get_structure (event);
  if (s && gst_structure_has_name (s, "GstRTPRetransmissionRequest")) {
    guint ssrc = 0, seqnum = 0;
    FUZZ_CHECK (gst_structure_get_uint (s, "ssrc", &ssrc)
                    && gst_structure_get_uint (s, "seqnum", &seqnum),
                "a retransmission request without ssrc or seqnum");
    FUZZ_CHECK (g_hash_table_contains (seen.ssrcs, GUINT_TO_POINTER (ssrc)),
                "a retransmission request for SSRC %u, never sent", ssrc);
    seen.rtx_requests++;
  }
  gst_event_unref (event);
  return TRUE;
}

static GstCaps *
on_request_pt_map (GstElement *element, guint pt, gpointer data)
{
  return gst_caps_new_simple ("application/x-rtp", "rtcp-fb-nack", G_TYPE_BOOLEAN, pt % 2 == 0,
                              "clock-rate", G_TYPE_INT, 90000, NULL);
}

static guint64
stat (GstElement *buffer, const gchar *field)
{
  GstStructure *s = NULL;
  guint64 v = 0;
  g_object_get (buffer, "stats", &s, NULL);
  FUZZ_CHECK (s && gst_structure_get_uint64 (s, field, &v), "stats without %s", field);
  gst_structure_free (s);
  return v;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzInput in = { data, size };
  memset (&seen, 0, sizeof seen);
  seen.ssrcs = g_hash_table_new (NULL, NULL);
  g_hash_table_add (seen.ssrcs, GUINT_TO_POINTER (0x11110000));
  g_hash_table_add (seen.ssrcs, GUINT_TO_POINTER (0x22220000));
  GstElement *relaybuf = gst_object_ref_sink (km_relay_buffer_new ());
  g_signal_connect (relaybuf, "request-pt-map", G_CALLBACK (on_request_pt_map), NULL);
  g_object_set (relaybuf, "latency", (guint) fuzz_u8 (&in) % 4, NULL);
  GstPad *src = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_event_function (src, src_event);
  gst_pad_set_chain_function (sink, sink_chain);
  g_autoptr (GstPad) its_sink = gst_element_get_static_pad (relaybuf, "sink");
  g_autoptr (GstPad) its_src = gst_element_get_static_pad (relaybuf, "src");
  gst_pad_link (src, its_sink);
  gst_pad_link (its_src, sink);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink, TRUE);
  gst_element_set_state (relaybuf, GST_STATE_PLAYING);
  fuzz_start_stream (src, "relaybuf", "application/x-rtp");

  guint16 seq[2] = { fuzz_u16 (&in), fuzz_u16 (&in) };
  gulong paused = 0;
  for (guint steps = 0; fuzz_more (&in) && steps < 2048; steps++) {
    guint8 op = fuzz_u8 (&in);
    switch (op & 7) {
    case 0: {
      gsize n;
      const guint8 *bytes = fuzz_bytes (&in, fuzz_u8 (&in), &n);
      if (n < 12 || (bytes[0] >> 6) != 2)
        seen.not_rtp_in++;
      else
        g_hash_table_add (seen.ssrcs, GUINT_TO_POINTER (GST_READ_UINT32_BE (bytes + 8)));
      gst_pad_push (src, n ? gst_buffer_new_memdup (bytes, n) : gst_buffer_new ());
      break;
    }
    case 1: {
      guint which = (op >> 3) & 1;
      gint8 step = (gint8) fuzz_u8 (&in);
      /* Mostly the next few, sometimes far. */
      seq[which] += (op & 0x10) ? (guint16) (step * 300) : (guint16) step;
      guint8 p[20] = { 0x80, (guint8) (96 + ((op >> 5) & 3)) };
      GST_WRITE_UINT16_BE (p + 2, seq[which]);
      GST_WRITE_UINT32_BE (p + 8, which ? 0x22220000 : 0x11110000);
      gst_pad_push (src, gst_buffer_new_memdup (p, sizeof p));
      break;
    }
    case 2:
      g_object_set (relaybuf, "latency", (guint) fuzz_u8 (&in) % 4, NULL);
      break;
    case 3:
      if (op & 8) {
        gst_pad_push_event (src, gst_event_new_flush_start ());
        gst_pad_push_event (src, gst_event_new_flush_stop (TRUE));
        fuzz_start_stream (src, "relaybuf", "application/x-rtp");
      } else {
        gst_pad_push_event (src, gst_event_new_eos ());
        /* A stream may start again after EOS with a flush. */
        gst_pad_push_event (src, gst_event_new_flush_start ());
        gst_pad_push_event (src, gst_event_new_flush_stop (TRUE));
        fuzz_start_stream (src, "relaybuf", "application/x-rtp");
      }
      break;
    case 4:
      stat (relaybuf, "num-pushed");
      break;
    case 5:
      gst_element_set_state (relaybuf, GST_STATE_READY);
      gst_element_set_state (relaybuf, GST_STATE_PLAYING);
      fuzz_start_stream (src, "relaybuf", "application/x-rtp");
      break;
    case 6: {
      gulong pause = fuzz_u8 (&in) * 4;
      if (paused + pause <= 2000) {
        g_usleep (pause);
        paused += pause;
      }
      break;
    }
    default:
      break;
    }
  }

  FUZZ_CHECK (seen.not_rtp_out == seen.not_rtp_in,
              "%" G_GUINT64_FORMAT " buffers that are no RTP went in, %" G_GUINT64_FORMAT
              " came out",
              seen.not_rtp_in, seen.not_rtp_out);
  FUZZ_CHECK (seen.out == stat (relaybuf, "num-pushed"),
              "%" G_GUINT64_FORMAT " RTP buffers left, %" G_GUINT64_FORMAT " counted as pushed",
              seen.out, stat (relaybuf, "num-pushed"));
  gst_element_set_state (relaybuf, GST_STATE_NULL);
  gst_pad_set_active (src, FALSE);
  gst_pad_set_active (sink, FALSE);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (relaybuf);
  g_hash_table_unref (seen.ssrcs);
  return 0;
}
