/* harness.c — see harness.h. */
#include "tests/media/harness.h"

#include <stdio.h>
#include <stdlib.h>

void
harness_init (int *argc, char ***argv)
{
  /* Gathering ICE candidates outside a private namespace would touch the
   * host's interfaces: refuse. */
  if (!g_getenv ("KONTOR_MEDIA_NETNS")) {
    g_printerr ("run me through tests/media/run-in-netns.sh\n");
    exit (77);
  }
  gst_init (argc, argv);
  KmConfig config = { .ice_min_port = 40000,
                      .ice_max_port = 40999,
                      .ice_addresses = g_getenv ("KONTOR_ICE_ADDRESS") };
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  if (!km_init (&config, &error)) {
    g_printerr ("km_init: %s\n", error->message);
    exit (1);
  }
  g_print ("km_init: %.1f ms\n", (g_get_monotonic_time () - t0) / 1000.0);
}

static TestClient *
client_of (Harness *h, guint id)
{
  return g_hash_table_lookup (h->clients, GUINT_TO_POINTER (id));
}

static void
cb_description (guint id, const gchar *type, const gchar *sdp, gpointer data)
{
  TestClient *tc = client_of (data, id);
  if (tc)
    tc_set_answer (tc, sdp);
}

/* The relay offers UDP only, and with KONTOR_ICE_ADDRESS only on those
 * addresses ("candidate:F C UDP PRIO ADDRESS PORT typ host"). */
static void
check_candidate (Harness *h, const gchar *cand)
{
  g_auto (GStrv) f = g_strsplit (cand, " ", 6);
  if (g_strv_length (f) < 5) {
    h->unexpected_candidates++;
    g_printerr ("malformed relay candidate: %s\n", cand);
    return;
  }
  const gchar *only = g_getenv ("KONTOR_ICE_ADDRESS");
  g_auto (GStrv) allowed = only ? g_strsplit (only, ",", -1) : NULL;
  if (g_ascii_strcasecmp (f[2], "UDP") != 0
      || (allowed && !g_strv_contains ((const gchar *const *) allowed, f[4]))) {
    h->unexpected_candidates++;
    g_printerr ("unexpected relay candidate: %s\n", cand);
  }
}

static void
cb_candidate (guint id, guint mline, const gchar *cand, gpointer data)
{
  TestClient *tc = client_of (data, id);
  if (g_getenv ("KONTOR_TEST_PRINT_SDP"))
    g_print ("relay candidate for %u, mline %u: %s\n", id, mline, cand ? cand : "(end)");
  if (cand)
    check_candidate (data, cand);
  if (tc)
    tc_add_candidate (tc, mline, cand);
}

static void
cb_renegotiate (guint id, guint audio, guint video, gpointer data)
{
  Harness *h = data;
  h->renegotiations++;
  g_print ("renegotiate participant %u: %u audio, %u video slots\n", id, audio, video);
  TestClient *tc = client_of (h, id);
  if (tc && h->auto_renegotiate)
    tc_offer (tc, audio, video, FALSE);
}

static void
cb_state (guint id, gboolean connected, gpointer data)
{
  Harness *h = data;
  h->connected += connected ? 1 : -1;
  if (!connected) {
    gpointer key = GUINT_TO_POINTER (id);
    g_hash_table_insert (
        h->drops, key,
        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (h->drops, key)) + 1));
  }
}

guint
harness_drops (Harness *h, TestClient *tc)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (h->drops, GUINT_TO_POINTER (tc_id (tc))));
}

guint
harness_paths_lost (Harness *h, TestClient *tc)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (h->paths_lost, GUINT_TO_POINTER (tc_id (tc))));
}

static void
cb_path_lost (guint id, gpointer data)
{
  Harness *h = data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (h->paths_lost, GUINT_TO_POINTER (id)));
  g_hash_table_insert (h->paths_lost, GUINT_TO_POINTER (id), GUINT_TO_POINTER (n + 1));
}

gboolean
harness_own_srtp (Harness *h, TestClient *tc)
{
  return g_hash_table_lookup (h->own_srtp, GUINT_TO_POINTER (tc_id (tc))) != NULL;
}

static void
cb_stats (guint id, const KmStats *s, gpointer data)
{
  Harness *h = data;
  if (s->own_srtp)
    g_hash_table_insert (h->own_srtp, GUINT_TO_POINTER (id), GUINT_TO_POINTER (1));
  else
    g_hash_table_remove (h->own_srtp, GUINT_TO_POINTER (id));
  if (g_getenv ("KONTOR_TEST_PRINT_STATS"))
    g_print ("stats %u: in %.0f kbit/s out %.0f kbit/s loss %.3f rtt %.1f ms "
             "jitter %.1f ms frames %" G_GUINT64_FORMAT "\n",
             id, s->bitrate_in_kbps, s->bitrate_out_kbps, s->loss_in, s->rtt_ms, s->jitter_ms,
             s->frames_in);
}

static void
cb_failed (guint id, const GError *error, gpointer data)
{
  Harness *h = data;
  h->failures++;
  g_printerr ("participant %u failed: %s\n", id, error->message);
  TestClient *tc = g_hash_table_lookup (h->clients, GUINT_TO_POINTER (id));
  if (tc)
    tc_media_failed (tc, error);
}

/* Keeps the latest announcement per receive slot. */
static void
cb_routed (guint receiver, const gchar *mid, const gchar *kind, guint sender, guint stream,
           gpointer data)
{
  Harness *h = data;
  g_hash_table_insert (h->routes, g_strdup_printf ("%u/%s", receiver, mid),
                       g_strdup_printf ("%s %u %u", kind, sender, stream));
}

gboolean
harness_routed (Harness *h, TestClient *receiver, const gchar *kind, TestClient *sender,
                guint stream)
{
  g_autofree gchar *prefix = g_strdup_printf ("%u/", tc_id (receiver));
  g_autofree gchar *want = g_strdup_printf ("%s %u %u", kind, tc_id (sender), stream);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, h->routes);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (g_str_has_prefix (key, prefix) && g_str_equal (value, want))
      return TRUE;
  return FALSE;
}

gboolean
harness_command (const gchar *const *argv)
{
  gint status = -1;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, &error)) {
    g_printerr ("%s: %s\n", argv[0], error->message);
    return FALSE;
  }
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_printerr ("%s %s: %s\n", argv[0], argv[1] ? argv[1] : "", err);
    return FALSE;
  }
  return TRUE;
}

Harness *
harness_new (const gchar *name)
{
  Harness *h = g_new0 (Harness, 1);
  h->auto_renegotiate = TRUE;
  h->clients = g_hash_table_new (NULL, NULL);
  h->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  h->drops = g_hash_table_new (NULL, NULL);
  h->paths_lost = g_hash_table_new (NULL, NULL);
  h->own_srtp = g_hash_table_new (NULL, NULL);
  KmCallbacks cb = {
    .local_description = cb_description,
    .local_candidate = cb_candidate,
    .renegotiate = cb_renegotiate,
    .connection_state = cb_state,
    .stats = cb_stats,
    .failed = cb_failed,
    .routed = cb_routed,
    .path_lost = cb_path_lost,
  };
  g_autoptr (GError) error = NULL;
  h->meeting = km_meeting_new (name, &cb, h, &error);
  if (!h->meeting) {
    g_printerr ("km_meeting_new: %s\n", error->message);
    exit (1);
  }
  return h;
}

TestClient *
harness_join (Harness *h, const gchar *label)
{
  return harness_join_with (h, label, NULL);
}

TestClient *
harness_join_with (Harness *h, const gchar *label, const TcOptions *options)
{
  g_autoptr (GError) error = NULL;
  guint id = km_meeting_add_participant (h->meeting, label, &error);
  if (!id) {
    g_printerr ("add_participant: %s\n", error->message);
    exit (1);
  }
  TestClient *tc = tc_new_with (label, h->meeting, id, options);
  g_hash_table_insert (h->clients, GUINT_TO_POINTER (id), tc);
  return tc;
}

void
harness_leave (Harness *h, TestClient *tc)
{
  guint id = tc_id (tc);
  g_hash_table_remove (h->clients, GUINT_TO_POINTER (id));
  km_meeting_remove_participant (h->meeting, id);
  tc_free (tc);
}

void
harness_free (Harness *h)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, h->clients);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    km_meeting_remove_participant (h->meeting, tc_id (value));
    tc_free (value);
  }
  g_hash_table_unref (h->clients);
  g_hash_table_unref (h->routes);
  g_hash_table_unref (h->drops);
  g_hash_table_unref (h->paths_lost);
  g_hash_table_unref (h->own_srtp);
  km_meeting_free (h->meeting);
  g_free (h);
}

static gboolean
gtrue (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
harness_wait (guint timeout_ms, gboolean (*cond) (gpointer), gpointer data)
{
  gboolean expired = FALSE;
  guint t = g_timeout_add (timeout_ms, on_timeout, &expired);
  /* Frames are counted on streaming threads: wake up to look at them. */
  guint tick = g_timeout_add (10, gtrue, NULL);
  gboolean ok = FALSE;
  while (!(ok = cond && cond (data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (t);
  g_source_remove (tick);
  return ok;
}

void
harness_run (guint ms)
{
  harness_wait (ms, NULL, NULL);
}

typedef struct {
  TestClient *a, *b;
  guint64 a_frames, b_frames;
  gboolean audio;
} Decoding;

static gboolean
decoding (gpointer data)
{
  Decoding *d = data;
  return tc_video_frames (d->a) >= d->a_frames && tc_video_frames (d->b) >= d->b_frames
         && (!d->audio || (tc_audio_buffers (d->a) > 10 && tc_audio_buffers (d->b) > 10));
}

gboolean
harness_wait_decoding (guint timeout_ms, TestClient *a, guint64 a_frames, TestClient *b,
                       guint64 b_frames, gboolean audio)
{
  Decoding d = { a, b, a_frames, b_frames, audio };
  return harness_wait (timeout_ms, decoding, &d);
}

static gboolean
refused (gpointer data)
{
  return tc_refusal (data) != NULL;
}

gboolean
harness_wait_refused (guint timeout_ms, TestClient *tc)
{
  return harness_wait (timeout_ms, refused, tc);
}

typedef struct {
  TestClient *tc;
  guint64 count;
} Keyframes;

static gboolean
keyframes (gpointer data)
{
  Keyframes *k = data;
  return tc_keyframes (k->tc) >= k->count;
}

gboolean
harness_wait_keyframes (guint timeout_ms, TestClient *tc, guint64 count)
{
  Keyframes k = { tc, count };
  return harness_wait (timeout_ms, keyframes, &k);
}

guint
harness_threads (const gchar *name, gboolean prefix)
{
  guint n = 0;
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  for (const gchar *t; dir && (t = g_dir_read_name (dir));) {
    g_autofree gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", t);
    g_autofree gchar *comm = NULL;
    if (g_file_get_contents (path, &comm, NULL, NULL)
        && (prefix ? g_str_has_prefix (g_strstrip (comm), name)
                   : g_strcmp0 (g_strstrip (comm), name) == 0))
      n++;
  }
  return n;
}

guint64
harness_frames_during (TestClient *tc, guint ms)
{
  guint64 before = tc_video_frames (tc);
  harness_run (ms);
  return tc_video_frames (tc) - before;
}
