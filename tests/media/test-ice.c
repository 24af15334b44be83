/* test-ice.c — an ICE restart keeps the meeting (issue #5).
 *
 * 1. A plain restart (same network): the seeker offers new ICE
 *    credentials; the relay answers with fresh ones of its own and both
 *    sides keep decoding.
 * 2. A changed network: the path the seeker's media takes is cut (an nft
 *    rule drops exactly that UDP 5-tuple, both ways); video stops; the
 *    seeker restarts ICE; the relay follows it to another candidate pair
 *    and both sides decode again within a bounded time.  The caseworker
 *    never reconnects: no drop reported, no ICE restart of its own. */
#include "tests/media/harness.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  TestClient *tc;
  gchar *old;
} Answer;

static gboolean
new_answer (gpointer data)
{
  Answer *w = data;
  g_autofree gchar *now = tc_answer_ufrag (w->tc);
  return now && g_strcmp0 (now, w->old) != 0;
}

/* Runs the loop for ms; the longest stretch (ms) without a new decoded
 * frame, at a and at b. */
static void
longest_gaps (TestClient *a, TestClient *b, guint ms, gint64 gap[2])
{
  TestClient *tc[2] = { a, b };
  guint64 seen[2];
  gint64 last[2], start = g_get_monotonic_time ();
  for (guint i = 0; i < 2; i++) {
    seen[i] = tc_video_frames (tc[i]);
    last[i] = start;
    gap[i] = 0;
  }
  for (guint n = 0; n < ms / 10 && g_get_monotonic_time () - start < ms * 1000; n++) {
    harness_run (10);
    gint64 now = g_get_monotonic_time ();
    for (guint i = 0; i < 2; i++) {
      if (tc_video_frames (tc[i]) != seen[i]) {
        seen[i] = tc_video_frames (tc[i]);
        last[i] = now;
      }
      gap[i] = MAX (gap[i], (now - last[i]) / 1000);
    }
  }
}

/* Runs nft inside the test's namespace; TRUE on success. */
static gboolean
nft (const gchar *commands)
{
  const gchar *argv[] = { "nft", commands, NULL };
  return harness_command (argv);
}

/* "10.97.0.1:40002 udp host" or "[fe80::1]:40002 udp host" → address,
 * port; FALSE unless UDP. */
static gboolean
parse_end (const gchar *end, gchar **addr, guint *port)
{
  g_auto (GStrv) w = g_strsplit (end, " ", 3);
  const gchar *colon = w[0] ? strrchr (w[0], ':') : NULL;
  if (!colon || g_strv_length (w) < 2 || g_strcmp0 (w[1], "udp") != 0)
    return FALSE;
  *port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  const gchar *a = w[0][0] == '[' ? w[0] + 1 : w[0];
  gsize len = (gsize) (colon - a) - (w[0][0] == '[' ? 1 : 0);
  *addr = g_strndup (a, len);
  return *port > 0;
}

/* Drops, on input, both directions of the UDP pair the relay reports. */
static gboolean
cut_path (const gchar *path)
{
  g_auto (GStrv) ends = g_strsplit (path, " -> ", 2);
  g_autofree gchar *l = NULL, *r = NULL;
  guint lp, rp;
  if (g_strv_length (ends) != 2 || !parse_end (ends[0], &l, &lp) || !parse_end (ends[1], &r, &rp))
    return FALSE;
  const gchar *ip = strchr (l, ':') ? "ip6" : "ip";
  g_autofree gchar *cmd =
      g_strdup_printf ("add table inet kmcut; "
                       "add chain inet kmcut input { type filter hook input priority 0; }; "
                       "add rule inet kmcut input %s saddr %s %s daddr %s udp sport %u "
                       "udp dport %u drop; "
                       "add rule inet kmcut input %s saddr %s %s daddr %s udp sport %u "
                       "udp dport %u drop",
                       ip, l, ip, r, lp, rp, ip, r, ip, l, rp, lp);
  return nft (cmd);
}

int
main (int argc, char **argv)
{
  harness_init (&argc, &argv);
  Harness *h = harness_new ("ice");
  TestClient *a = harness_join (h, "seeker");
  TestClient *b = harness_join (h, "caseworker");
  CHECK (harness_wait_decoding (20000, a, 10, b, 10, FALSE), "1:1: no decoded video");
  g_autofree gchar *b_ufrag = tc_answer_ufrag (b);
  guint b_drops = harness_drops (h, b);

  /* 1. A restart on an unchanged network keeps decoding. */
  Answer w = { a, tc_answer_ufrag (a) };
  guint64 fa = tc_video_frames (a), fb = tc_video_frames (b);
  gint64 t0 = g_get_monotonic_time ();
  tc_offer (a, 0, 0, TRUE);
  CHECK (harness_wait (5000, new_answer, &w),
         "plain restart: the relay answered with its old credentials");
  g_print ("plain restart: answered in %.0f ms\n", (g_get_monotonic_time () - t0) / 1000.0);
  g_free (w.old);
  gint64 gap[2];
  longest_gaps (a, b, 3000, gap);
  fa = tc_video_frames (a) - fa;
  fb = tc_video_frames (b) - fb;
  g_print ("plain restart: seeker %" G_GUINT64_FORMAT " frames, caseworker %" G_GUINT64_FORMAT
           "; longest gap seeker %" G_GINT64_FORMAT " ms, caseworker %" G_GINT64_FORMAT " ms\n",
           fa, fb, gap[0], gap[1]);
  CHECK (fa >= 20 && fb >= 20 && gap[0] < 1000 && gap[1] < 1000, "plain restart: video stalled");
  g_print ("plain restart: relay reported the seeker's connection lost %u "
           "times\n",
           harness_drops (h, a));

  /* 2. The seeker's path goes dark. */
  g_autofree gchar *before = km_meeting_ice_path (h->meeting, tc_id (a));
  CHECK (before, "no selected pair for the seeker");
  g_print ("seeker's path: %s\n", before);
  CHECK (cut_path (before), "could not cut %s", before);
  harness_run (1500);
  fa = harness_frames_during (a, 1500);
  g_print ("cut: seeker %" G_GUINT64_FORMAT " frames in 1.5 s\n", fa);
  CHECK (fa <= 2, "the cut did not stop the seeker's video (%" G_GUINT64_FORMAT " frames)", fa);

  w = (Answer){ a, tc_answer_ufrag (a) };
  t0 = g_get_monotonic_time ();
  guint64 a_min = tc_video_frames (a) + 10;
  guint64 b_min = tc_video_frames (b) + 10;
  tc_offer (a, 0, 0, TRUE);
  gboolean back = harness_wait_decoding (15000, a, a_min, b, b_min, FALSE);
  gint64 took = g_get_monotonic_time () - t0;
  CHECK (new_answer (&w), "restart: the relay kept its old credentials");
  g_free (w.old);
  CHECK (back,
         "restart after a cut: not decoded again within 15 s "
         "(seeker +%" G_GUINT64_FORMAT ", caseworker +%" G_GUINT64_FORMAT ")",
         tc_video_frames (a) + 10 - a_min, tc_video_frames (b) + 10 - b_min);
  g_print ("restart after a cut: both decoding again after %.0f ms\n", took / 1000.0);
  g_autofree gchar *after = km_meeting_ice_path (h->meeting, tc_id (a));
  g_print ("seeker's new path: %s\n", after ? after : "(none)");
  CHECK (after && g_strcmp0 (after, before) != 0, "the relay still uses the cut pair");
  CHECK (harness_frames_during (a, 2000) >= 15 && harness_frames_during (b, 2000) >= 15,
         "stalled after the restart");
  /* The restart kept the relay's transport, and the threads km-quiet.c
   * ended stay ended: what runs are the two clients' own (one RTCP timer
   * and one RTX task each), and at most two idle threads of GLib's pool
   * still named after a task. */
  guint rtcp = harness_threads ("rtpsession-rtcp", FALSE);
  guint rtx = harness_threads ("rtprtxsend", TRUE);
  g_print ("after the restarts: %u RTCP timers, %u RTX tasks\n", rtcp, rtx);
  CHECK (g_getenv ("KONTOR_MEDIA_RTPBIN_THREADS") || (rtcp <= 2 && rtx <= 2 + 2),
         "the relay's RTCP timer or RTX task runs again after an ICE restart");

  g_autofree gchar *b_now = tc_answer_ufrag (b);
  CHECK (g_strcmp0 (b_now, b_ufrag) == 0 && harness_drops (h, b) == b_drops,
         "the caseworker had to reconnect (%u drops)", harness_drops (h, b) - b_drops);
  g_print ("caseworker: no drop, no ICE restart; seeker drops seen by the "
           "relay: %u\n",
           harness_drops (h, a));

  nft ("delete table inet kmcut");
  harness_free (h);
  harness_run (200);
  km_shutdown ();
  g_print ("ok\n");
  return 0;
}
