/* stdio-relay.c — the media relay alone, driven by JSON lines on stdin and
 * reporting on stdout: for checks against real Chromium pages and for the
 * benchmark, where the relay must be a process of its own.
 *
 * in:  {"op":"join","label":L[,"meeting":M]}  {"op":"offer","id":N,"sdp":S}
 *      {"op":"ice","id":N,"mline":M,"candidate":C|null}  {"op":"leave","id":N}
 * out: {"ev":"joined","id":N}  {"ev":"answer","id":N,"sdp":S}
 *      {"ev":"ice","id":N,"mline":M,"candidate":C|null}
 *      {"ev":"renegotiate","id":N,"audio":A,"video":V}
 *      {"ev":"state","id":N,"connected":B}  {"ev":"stats",…}  {"ev":"error",…}
 * Environment: KONTOR_ICE_PORTS=min-max.  Exits at end of input.
 * Participant ids are unique across meetings (meeting-local ids are mapped);
 * without "meeting" everyone joins one meeting.
 */
#include "media/media.h"

#include <gst/gst.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static GMainLoop *loop;
static GHashTable *meetings; /* name → KmMeeting* */
static GHashTable *routes;   /* global id → Route* */
static guint next_global = 1;

typedef struct {
  KmMeeting *meeting;
  guint local;
} Route;

/* Callbacks carry the meeting's local ids; user_data is the name. */
static guint
global_id (gpointer meeting_name, guint local)
{
  GHashTableIter it;
  gpointer key, value;
  KmMeeting *m = g_hash_table_lookup (meetings, meeting_name);
  g_hash_table_iter_init (&it, routes);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    Route *r = value;
    if (r->meeting == m && r->local == local)
      return GPOINTER_TO_UINT (key);
  }
  return 0;
}

static void
emit (json_t *obj)
{
  char *s = json_dumps (obj, JSON_COMPACT);
  fputs (s, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
  free (s);
  json_decref (obj);
}

static void
cb_description (guint id, const gchar *type, const gchar *sdp, gpointer d)
{
  id = global_id (d, id);
  emit (json_pack ("{s:s, s:i, s:s}", "ev", "answer", "id", id, "sdp", sdp));
}

static void
cb_candidate (guint id, guint mline, const gchar *c, gpointer d)
{
  id = global_id (d, id);
  emit (json_pack ("{s:s, s:i, s:i, s:s?}", "ev", "ice", "id", id, "mline", mline, "candidate", c));
}

static void
cb_renegotiate (guint id, guint audio, guint video, gpointer d)
{
  id = global_id (d, id);
  emit (json_pack ("{s:s, s:i, s:i, s:i}", "ev", "renegotiate", "id", id, "audio", audio, "video",
                   video));
}

static void
cb_state (guint id, gboolean connected, gpointer d)
{
  id = global_id (d, id);
  emit (json_pack ("{s:s, s:i, s:b}", "ev", "state", "id", id, "connected", connected));
}

static void
cb_stats (guint id, const KmStats *s, gpointer d)
{
  id = global_id (d, id);
  emit (json_pack ("{s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:I}", "ev", "stats", "id", id, "in_kbps",
                   s->bitrate_in_kbps, "out_kbps", s->bitrate_out_kbps, "loss_in", s->loss_in,
                   "rtt_ms", s->rtt_ms, "jitter_ms", s->jitter_ms, "frames_in",
                   (json_int_t) s->frames_in));
}

static void
cb_failed (guint id, const GError *error, gpointer d)
{
  id = global_id (d, id);
  emit (json_pack ("{s:s, s:i, s:s}", "ev", "failed", "id", id, "message", error->message));
}

static void
report_error (const gchar *op, const GError *error)
{
  emit (json_pack ("{s:s, s:s, s:s}", "ev", "error", "op", op, "message",
                   error ? error->message : "bad request"));
}

static KmCallbacks callbacks = {
  .local_description = cb_description,
  .local_candidate = cb_candidate,
  .renegotiate = cb_renegotiate,
  .connection_state = cb_state,
  .stats = cb_stats,
  .failed = cb_failed,
};

static KmMeeting *
meeting_get (const gchar *name, GError **error)
{
  KmMeeting *m = g_hash_table_lookup (meetings, name);
  if (!m) {
    gchar *key = g_strdup (name);
    /* user_data is the hash table's own key: alive as long as m. */
    m = km_meeting_new (name, &callbacks, key, error);
    if (!m) {
      g_free (key);
      return NULL;
    }
    g_hash_table_insert (meetings, key, m);
  }
  return m;
}

static void
handle (const gchar *line)
{
  json_error_t jerr;
  json_t *msg = json_loads (line, 0, &jerr);
  const char *op = NULL, *label = "peer", *sdp = NULL, *cand = NULL;
  int id = 0, mline = 0;
  g_autoptr (GError) error = NULL;
  Route *route = NULL;
  json_t *jcand = NULL;
  if (!msg
      || json_unpack (msg, "{s:s, s?:s, s?:i, s?:s, s?:i, s?:o}", "op", &op, "label", &label, "id",
                      &id, "sdp", &sdp, "mline", &mline, "candidate", &jcand)
             != 0
      || (jcand && !json_is_null (jcand) && !json_is_string (jcand))) {
    report_error ("parse", NULL);
  } else if (g_str_equal (op, "join")) {
    const char *mname = "stdio";
    json_unpack (msg, "{s?:s}", "meeting", &mname);
    KmMeeting *m = meeting_get (mname, &error);
    guint n = m ? km_meeting_add_participant (m, label, &error) : 0;
    if (n) {
      Route *r = g_new (Route, 1);
      r->meeting = m;
      r->local = n;
      guint g = next_global++;
      g_hash_table_insert (routes, GUINT_TO_POINTER (g), r);
      emit (json_pack ("{s:s, s:i}", "ev", "joined", "id", g));
    } else {
      report_error (op, error);
    }
  } else if (!(route = g_hash_table_lookup (routes, GINT_TO_POINTER (id)))) {
    report_error (op, NULL);
  } else if (g_str_equal (op, "offer")) {
    if (!km_meeting_set_remote_description (route->meeting, route->local, "offer", sdp, &error))
      report_error (op, error);
  } else if (g_str_equal (op, "ice")) {
    cand = jcand && json_is_string (jcand) ? json_string_value (jcand) : NULL;
    if (!km_meeting_add_remote_candidate (route->meeting, route->local, mline, cand, &error))
      report_error (op, error);
  } else if (g_str_equal (op, "leave")) {
    km_meeting_remove_participant (route->meeting, route->local);
    g_hash_table_remove (routes, GINT_TO_POINTER (id));
  } else {
    report_error (op, NULL);
  }
  json_decref (msg);
}

static gboolean
on_stdin (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  g_autofree gchar *line = NULL;
  gsize len = 0;
  GIOStatus st = g_io_channel_read_line (ch, &line, &len, NULL, NULL);
  if (st == G_IO_STATUS_NORMAL && line) {
    handle (line);
    return G_SOURCE_CONTINUE;
  }
  if (st == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  KmConfig config = { 0 };
  const gchar *ports = g_getenv ("KONTOR_ICE_PORTS");
  if (ports && sscanf (ports, "%u-%u", &config.ice_min_port, &config.ice_max_port) != 2) {
    g_printerr ("KONTOR_ICE_PORTS=min-max\n");
    return 2;
  }
  /* "h264" makes a meeting of two Chromium pages use H.264. */
  config.video_codec = g_getenv ("KONTOR_VIDEO_CODEC");
  config.ice_addresses = g_getenv ("KONTOR_ICE_ADDRESS");
  g_autoptr (GError) error = NULL;
  if (!km_init (&config, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  meetings =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) km_meeting_free);
  routes = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  loop = g_main_loop_new (NULL, FALSE);
  GIOChannel *ch = g_io_channel_unix_new (0);
  g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
  emit (json_pack ("{s:s, s:i}", "ev", "ready", "pid", (int) getpid ()));
  g_main_loop_run (loop);
  g_hash_table_unref (routes);
  g_hash_table_unref (meetings);
  km_shutdown ();
  g_io_channel_unref (ch);
  g_main_loop_unref (loop);
  return 0;
}
