/* test-multi.c — more than two: a third participant joins mid-meeting and
 * everyone receives everyone else (through renegotiation); a screen share
 * is added and removed; a participant leaving does not stop the others;
 * every page learns whose stream each of its receive slots carries; the
 * relay receives them all on its pool of receive threads, one per core
 * however many take part (km-nicerecv.c). */
#include "tests/media/harness.h"

#include <stdio.h>

typedef struct {
  TestClient *tc[3];
  guint n;
  guint streams;
} Group;

/* Every client decodes at least `streams` distinct video streams. */
static gboolean
all_see (gpointer data)
{
  Group *g = data;
  for (guint i = 0; i < g->n; i++)
    if (tc_video_streams (g->tc[i]) < g->streams)
      return FALSE;
  return TRUE;
}

/* Prints how many threads of this process bear each name. */
static void
print_threads (const gchar *when)
{
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint total = 0;
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  for (const gchar *t; dir && (t = g_dir_read_name (dir));) {
    g_autofree gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", t);
    gchar *comm = NULL;
    if (!g_file_get_contents (path, &comm, NULL, NULL))
      continue;
    g_strstrip (comm);
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (names, comm));
    g_hash_table_replace (names, comm, GUINT_TO_POINTER (n + 1));
    total++;
  }
  g_print ("threads %s: %u:", when, total);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, names);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_print (" %s x%u", (gchar *) k, GPOINTER_TO_UINT (v));
  g_print ("\n");
}

/* Once media flows, a participant costs the relay one thread of its own:
 * webrtcbin's `NAME:pc` (counted in main); its ICE agent runs on the relay's one `km-ice` thread.
 * Everything its transport started (nicesrc's and the receive queue's
 * tasks, dtlsenc's, the RTX sender's, rtpsession's RTCP timer) has ended:
 * km-nicerecv.c, km-recvpath.c, km-srtpout.c, km-quiet.c.  The clients in
 * this process keep one of each (five per client), and GLib's pool may
 * keep two idle threads under the name of their last task; the RTCP timer
 * is a thread of its own, so exactly the clients' three.  Without the
 * stops: 3 × 5 more. */
static gboolean
transport_quiet (const gchar *when)
{
  harness_run (1500);
  print_threads (when);
  guint rtcp = harness_threads ("rtpsession-rtcp", FALSE);
  guint rtx = harness_threads ("rtprtxsend", TRUE);
  guint all = harness_threads ("nicesrc", TRUE) + harness_threads ("queue", TRUE)
              + harness_threads ("dtlsenc", TRUE) + rtx + rtcp;
  g_print ("transport threads %s: %u (RTCP timers %u, RTX tasks %u)\n", when, all, rtcp, rtx);
  if (g_getenv ("KONTOR_MEDIA_RTPBIN_THREADS") || g_getenv ("KONTOR_MEDIA_SRTPENC")
      || g_getenv ("KONTOR_MEDIA_NICESRC") || g_getenv ("KONTOR_MEDIA_RECVQUEUE"))
    return TRUE;
  if (rtcp > 3 || rtx > 3 + 2 || all > 3 * 5 + 2) {
    g_printerr ("%s: the relay's participants keep transport threads\n", when);
    return FALSE;
  }
  return TRUE;
}

static gboolean
all_decoding (Group *g, guint ms, guint64 min)
{
  guint64 before[3];
  for (guint i = 0; i < g->n; i++)
    before[i] = tc_video_frames (g->tc[i]);
  harness_run (ms);
  gboolean ok = TRUE;
  for (guint i = 0; i < g->n; i++) {
    guint64 d = tc_video_frames (g->tc[i]) - before[i];
    g_print ("  client %u: +%" G_GUINT64_FORMAT " frames\n", i, d);
    ok = ok && d >= min;
  }
  return ok;
}

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  Harness *h = harness_new ("multi");
  Group g = { .n = 2, .streams = 1 };
  g.tc[0] = harness_join (h, "seeker");
  g.tc[1] = harness_join (h, "caseworker");
  CHECK (harness_wait (20000, all_see, &g), "1:1 did not start");

  /* An interpreter joins: everyone must end up with two video streams. */
  gint64 t0 = g_get_monotonic_time ();
  g.tc[2] = harness_join (h, "interpreter");
  g.n = 3;
  g.streams = 2;
  CHECK (harness_wait (20000, all_see, &g), "third participant: streams seen %u, %u, %u",
         tc_video_streams (g.tc[0]), tc_video_streams (g.tc[1]), tc_video_streams (g.tc[2]));
  g_print ("three participants see each other after %.0f ms "
           "(%u renegotiations)\n",
           (g_get_monotonic_time () - t0) / 1000.0, h->renegotiations);
  CHECK (all_decoding (&g, 2000, 2 * 20), "three: video stalled");
  guint receivers = harness_threads ("km-recv", FALSE);
  g_print ("three participants received on %u of the relay's threads (%u cores)\n", receivers,
           g_get_num_processors ());
  CHECK (receivers >= 1 && receivers <= g_get_num_processors (),
         "%u receive threads for three participants on %u cores", receivers,
         g_get_num_processors ());
  /* Their libnice agents all run on one thread of the relay, not on one
   * thread each (km-iceagent.c); the clients keep webrtcbin's own. */
  guint ice_threads = harness_threads ("km-ice", FALSE);
  g_print ("three participants' ICE agents on %u of the relay's threads\n", ice_threads);
  CHECK (g_getenv ("KONTOR_MEDIA_WEBRTCNICE") || ice_threads == 1, "%u km-ice threads",
         ice_threads);
  /* Each participant's webrtcbin thread carries a name the kernel keeps
   * (at most 15 bytes): meeting, the label's first letter, the id. */
  const gchar *pc[] = { "multi-s1:pc", "multi-c2:pc", "multi-i3:pc" };
  for (guint i = 0; i < G_N_ELEMENTS (pc); i++)
    CHECK (harness_threads (pc[i], FALSE) == 1, "%u threads named %s",
           harness_threads (pc[i], FALSE), pc[i]);
  CHECK (transport_quiet ("after a third participant joined"), "threads left running");
  /* Once media flows the relay's DTLS has nothing left to send, and the
   * task webrtcbin keeps for it ends (checked every second).  What is
   * left are the test clients' own, one each, and at most two threads
   * GLib's pool keeps idle for a while under the name of their last task
   * (without the stop: six). */
  guint dtls = harness_threads ("dtlsenc", TRUE);
  g_print ("dtlsenc threads: %u (the clients' three, the relay's stopped)\n", dtls);
  CHECK (g_getenv ("KONTOR_MEDIA_SRTPENC") || dtls <= 3 + 2, "%u dtlsenc threads", dtls);

  /* Each page is told whose picture each of its slots carries. */
  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 3; j++)
      CHECK (i == j
                 || (harness_routed (h, g.tc[i], "video", g.tc[j], 0)
                     && harness_routed (h, g.tc[i], "audio", g.tc[j], 0)),
             "client %u was not told which slot carries client %u", i, j);

  /* The caseworker shares a screen: the others get a third stream. */
  t0 = g_get_monotonic_time ();
  tc_set_screen (g.tc[1], TRUE);
  harness_run (300);
  tc_offer (g.tc[1], 0, 0, FALSE);
  Group others = { .tc = { g.tc[0], g.tc[2] }, .n = 2, .streams = 3 };
  CHECK (harness_wait (20000, all_see, &others), "screen share not received: %u, %u",
         tc_video_streams (g.tc[0]), tc_video_streams (g.tc[2]));
  g_print ("screen share decoded by both others after %.0f ms\n",
           (g_get_monotonic_time () - t0) / 1000.0);
  CHECK (all_decoding (&others, 2000, 3 * 20), "with screen: stalled");
  CHECK (transport_quiet ("after a screen share"), "a renegotiation started threads again");
  CHECK (harness_routed (h, g.tc[0], "video", g.tc[1], 1)
             && harness_routed (h, g.tc[2], "video", g.tc[1], 1),
         "the share was not announced as the caseworker's second video");

  /* The share stops: the cameras keep going. */
  tc_set_screen (g.tc[1], FALSE);
  tc_offer (g.tc[1], 0, 0, FALSE);
  harness_run (500);
  CHECK (all_decoding (&g, 2000, 2 * 20), "after the share: stalled");
  g_print ("screen share removed, cameras continue\n");

  /* The seeker leaves: the caseworker and interpreter carry on. */
  harness_leave (h, g.tc[0]);
  Group rest = { .tc = { g.tc[1], g.tc[2] }, .n = 2 };
  harness_run (300);
  CHECK (all_decoding (&rest, 2000, 20), "after a leave: stalled");
  g_print ("a participant left; the others still decode\n");

  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
