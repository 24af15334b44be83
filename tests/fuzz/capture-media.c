/* capture-media.c — records real traffic of the relay for the fuzzers' seed
 * corpora (tests/fuzz/make-seeds turns it into the corpus directories): a few meetings
 * of the media tests' in-process clients (tests/media/client.c), and what
 * the relay gets from them.
 *
 *   run-in-netns.sh capture-media DIR     (tests/fuzz/make-seeds runs it)
 *
 * Recorded in DIR:
 *   packets.bin   every RTP and RTCP packet as the relay has it after SRTP
 *                 (probes on each srtpdec's rtp_src and rtcp_src, added
 *                 before kontor's own): records of
 *                 kind (0 RTP, 1 RTCP), the receiving webrtcbin's name
 *                 (u8 length, text), µs since start (u64), length (u16),
 *                 bytes; integers big-endian
 *   offer-M-ID-N.sdp   the Nth offer participant ID of meeting M sent
 *   answer-M-ID-N.sdp  the relay's answers
 *   candidates-M.txt   the clients' ICE candidates, one a line
 * Offers, answers and candidates are taken where the clients hand them to
 * the relay: the link wraps km_meeting_set_remote_description,
 * km_meeting_add_remote_candidate and tc_set_answer (-Wl,--wrap).
 *
 * Meetings: VP8 with a keyframe request and a screen share; H.264;
 * Firefox-style offers (bundle-only) without RTX.  With KONTOR_MEDIA_LOSS
 * (run-in-netns.sh drops that share of UDP) the packets include the
 * relay's NACKs being answered, RTX and all.
 */
#include "media/km-private.h"
#include "tests/media/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *packets;
static gchar *dir;
static gint64 t0;
static guint meeting_no;
static GMutex lock;

/* ---- what the clients hand the relay ------------------------------------ */

gboolean __real_km_meeting_set_remote_description (KmMeeting *meeting, guint participant,
                                                   const gchar *type, const gchar *sdp,
                                                   GError **error);
gboolean __wrap_km_meeting_set_remote_description (KmMeeting *meeting, guint participant,
                                                   const gchar *type, const gchar *sdp,
                                                   GError **error);
gboolean __real_km_meeting_add_remote_candidate (KmMeeting *meeting, guint participant, guint mline,
                                                 const gchar *candidate, GError **error);
gboolean __wrap_km_meeting_add_remote_candidate (KmMeeting *meeting, guint participant, guint mline,
                                                 const gchar *candidate, GError **error);
void __real_tc_set_answer (TestClient *tc, const gchar *sdp);
void __wrap_tc_set_answer (TestClient *tc, const gchar *sdp);

static void
save_numbered (const gchar *what, guint id, const gchar *text)
{
  for (guint n = 0;; n++) {
    g_autofree gchar *path = g_strdup_printf ("%s/%s-%u-%u-%u.sdp", dir, what, meeting_no, id, n);
    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      g_file_set_contents (path, text, -1, NULL);
      return;
    }
  }
}

gboolean
__wrap_km_meeting_set_remote_description (KmMeeting *meeting, guint participant, const gchar *type,
                                          const gchar *sdp, GError **error)
{
  save_numbered ("offer", participant, sdp);
  return __real_km_meeting_set_remote_description (meeting, participant, type, sdp, error);
}

gboolean
__wrap_km_meeting_add_remote_candidate (KmMeeting *meeting, guint participant, guint mline,
                                        const gchar *candidate, GError **error)
{
  if (candidate) {
    g_autofree gchar *path = g_strdup_printf ("%s/candidates-%u.txt", dir, meeting_no);
    FILE *f = fopen (path, "a");
    if (f) {
      fprintf (f, "%s\n", candidate);
      fclose (f);
    }
  }
  return __real_km_meeting_add_remote_candidate (meeting, participant, mline, candidate, error);
}

void
__wrap_tc_set_answer (TestClient *tc, const gchar *sdp)
{
  save_numbered ("answer", tc_id (tc), sdp);
  __real_tc_set_answer (tc, sdp);
}

/* ---- the packets --------------------------------------------------------- */

static void
record (guint8 kind, const gchar *name, GstBuffer *buf)
{
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  guint8 head[1 + 1 + 255 + 8 + 2];
  gsize n = MIN (strlen (name), 255);
  gsize at = 0;
  head[at++] = kind;
  head[at++] = (guint8) n;
  memcpy (head + at, name, n);
  at += n;
  GST_WRITE_UINT64_BE (head + at, (guint64) (g_get_monotonic_time () - t0));
  at += 8;
  GST_WRITE_UINT16_BE (head + at, (guint16) MIN (map.size, G_MAXUINT16));
  at += 2;
  g_mutex_lock (&lock);
  fwrite (head, 1, at, packets);
  fwrite (map.data, 1, MIN (map.size, G_MAXUINT16), packets);
  g_mutex_unlock (&lock);
  gst_buffer_unmap (buf, &map);
}

static GstPadProbeReturn
on_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  guint8 kind = GPOINTER_TO_UINT (data) & 1;
  const gchar *name = g_object_get_data (G_OBJECT (pad), "capture-name");
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      record (kind, name, gst_buffer_list_get (list, i));
  } else {
    record (kind, name, GST_PAD_PROBE_INFO_BUFFER (info));
  }
  return GST_PAD_PROBE_OK;
}

/* The webrtcbin an element is inside of: its name is the participant's. */
static gchar *
participant_of (GstElement *element)
{
  GstObject *o = gst_object_ref (GST_OBJECT (element));
  while (o) {
    GstElementFactory *f = GST_IS_ELEMENT (o) ? gst_element_get_factory (GST_ELEMENT (o)) : NULL;
    if (f && g_str_equal (GST_OBJECT_NAME (f), "webrtcbin")) {
      gchar *name = gst_object_get_name (o);
      gst_object_unref (o);
      return name;
    }
    GstObject *parent = gst_object_get_parent (o);
    gst_object_unref (o);
    o = parent;
  }
  return g_strdup ("?");
}

static void
probe_pad (GstElement *element, const gchar *pad_name, guint kind)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, pad_name);
  if (!pad)
    return;
  g_object_set_data_full (G_OBJECT (pad), "capture-name", participant_of (element), g_free);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_packet,
                     GUINT_TO_POINTER (kind), NULL);
}

static void
on_element_added (GstBin *bin, GstBin *sub, GstElement *element, gpointer data)
{
  GstElementFactory *f = gst_element_get_factory (element);
  if (!f || !g_str_equal (GST_OBJECT_NAME (f), "srtpdec"))
    return;
  probe_pad (element, "rtp_src", 0);
  probe_pad (element, "rtcp_src", 1);
}

static Harness *
meeting (const gchar *name)
{
  meeting_no++;
  Harness *h = harness_new (name);
  g_signal_connect (h->meeting->pipeline, "deep-element-added", G_CALLBACK (on_element_added),
                    NULL);
  return h;
}

static void
done (Harness *h)
{
  harness_free (h);
  harness_run (300);
}

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: run-in-netns.sh %s DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  g_mkdir_with_parents (dir, 0755);
  g_autofree gchar *path = g_build_filename (dir, "packets.bin", NULL);
  packets = fopen (path, "wb");
  CHECK (packets, "cannot write %s", path);
  t0 = g_get_monotonic_time ();

  /* VP8, a keyframe request, then a screen share. */
  Harness *h = meeting ("vp8");
  TestClient *a = harness_join (h, "seeker");
  TestClient *b = harness_join (h, "caseworker");
  CHECK (harness_wait_decoding (20000, a, 10, b, 10, TRUE), "vp8: no media");
  tc_request_keyframe (a);
  harness_run (1000);
  tc_set_screen (b, TRUE);
  harness_run (2000);
  done (h);

  /* H.264 */
  h = meeting ("h264");
  const TcOptions h264 = { .video_codec = "H264" };
  a = harness_join_with (h, "seeker", &h264);
  b = harness_join_with (h, "caseworker", &h264);
  CHECK (harness_wait_decoding (20000, a, 5, b, 5, FALSE), "h264: no media");
  harness_run (1000);
  done (h);

  /* Firefox-style offers, no RTX */
  h = meeting ("firefox");
  const TcOptions ff = { .bundle_only = TRUE, .no_rtx = TRUE };
  a = harness_join_with (h, "seeker", &ff);
  b = harness_join_with (h, "caseworker", &ff);
  CHECK (harness_wait_decoding (20000, a, 5, b, 5, FALSE), "firefox: no media");
  harness_run (1000);
  done (h);

  fclose (packets);
  km_shutdown ();
  g_print ("captured into %s\n", dir);
  return 0;
}
