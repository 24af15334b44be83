/* stdio-relay.c — the media relay alone, driven by JSON lines on stdin and
 * reporting on stdout: for checks against real Chromium pages and for the
 * benchmark, where the relay must be a process of its own.
 *
 * in:  {"op":"join","label":L}  {"op":"offer","id":N,"sdp":S}
 *      {"op":"ice","id":N,"mline":M,"candidate":C|null}  {"op":"leave","id":N}
 * out: {"ev":"joined","id":N}  {"ev":"answer","id":N,"sdp":S}
 *      {"ev":"ice","id":N,"mline":M,"candidate":C|null}
 *      {"ev":"renegotiate","id":N,"audio":A,"video":V}
 *      {"ev":"state","id":N,"connected":B}  {"ev":"stats",…}  {"ev":"error",…}
 * Environment: KONTOR_ICE_PORTS=min-max.  Exits at end of input.
 */
#include "media/media.h"

#include <gst/gst.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static KmMeeting *meeting;
static GMainLoop *loop;

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
  emit (json_pack ("{s:s, s:i, s:s}", "ev", "answer", "id", id, "sdp", sdp));
}

static void
cb_candidate (guint id, guint mline, const gchar *c, gpointer d)
{
  emit (json_pack ("{s:s, s:i, s:i, s:s?}", "ev", "ice", "id", id, "mline",
                   mline, "candidate", c));
}

static void
cb_renegotiate (guint id, guint audio, guint video, gpointer d)
{
  emit (json_pack ("{s:s, s:i, s:i, s:i}", "ev", "renegotiate", "id", id,
                   "audio", audio, "video", video));
}

static void
cb_state (guint id, gboolean connected, gpointer d)
{
  emit (json_pack ("{s:s, s:i, s:b}", "ev", "state", "id", id, "connected",
                   connected));
}

static void
cb_stats (guint id, const KmStats *s, gpointer d)
{
  emit (json_pack ("{s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:I}", "ev", "stats",
                   "id", id, "in_kbps", s->bitrate_in_kbps, "out_kbps",
                   s->bitrate_out_kbps, "loss_in", s->loss_in, "rtt_ms",
                   s->rtt_ms, "jitter_ms", s->jitter_ms, "frames_in",
                   (json_int_t) s->frames_in));
}

static void
cb_failed (guint id, const GError *error, gpointer d)
{
  emit (json_pack ("{s:s, s:i, s:s}", "ev", "failed", "id", id, "message",
                   error->message));
}

static void
report_error (const gchar *op, const GError *error)
{
  emit (json_pack ("{s:s, s:s, s:s}", "ev", "error", "op", op, "message",
                   error ? error->message : "bad request"));
}

static void
handle (const gchar *line)
{
  json_error_t jerr;
  json_t *msg = json_loads (line, 0, &jerr);
  const char *op = NULL, *label = "peer", *sdp = NULL, *cand = NULL;
  int id = 0, mline = 0;
  g_autoptr (GError) error = NULL;
  json_t *jcand = NULL;
  if (!msg || json_unpack (msg, "{s:s, s?:s, s?:i, s?:s, s?:i, s?:o}", "op",
                           &op, "label", &label, "id", &id, "sdp", &sdp,
                           "mline", &mline, "candidate", &jcand) != 0
      || (jcand && !json_is_null (jcand) && !json_is_string (jcand))) {
    report_error ("parse", NULL);
  } else if (g_str_equal (op, "join")) {
    guint n = km_meeting_add_participant (meeting, label, &error);
    if (n)
      emit (json_pack ("{s:s, s:i}", "ev", "joined", "id", n));
    else
      report_error (op, error);
  } else if (g_str_equal (op, "offer")) {
    if (!km_meeting_set_remote_description (meeting, id, "offer", sdp,
                                            &error))
      report_error (op, error);
  } else if (g_str_equal (op, "ice")) {
    cand = jcand && json_is_string (jcand) ? json_string_value (jcand) : NULL;
    if (!km_meeting_add_remote_candidate (meeting, id, mline, cand, &error))
      report_error (op, error);
  } else if (g_str_equal (op, "leave")) {
    km_meeting_remove_participant (meeting, id);
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
  if (ports && sscanf (ports, "%u-%u", &config.ice_min_port,
                       &config.ice_max_port) != 2) {
    g_printerr ("KONTOR_ICE_PORTS=min-max\n");
    return 2;
  }
  g_autoptr (GError) error = NULL;
  if (!km_init (&config, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  KmCallbacks cb = {
    .local_description = cb_description, .local_candidate = cb_candidate,
    .renegotiate = cb_renegotiate, .connection_state = cb_state,
    .stats = cb_stats, .failed = cb_failed,
  };
  meeting = km_meeting_new ("stdio", &cb, NULL, &error);
  if (!meeting) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  loop = g_main_loop_new (NULL, FALSE);
  GIOChannel *ch = g_io_channel_unix_new (0);
  g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
  emit (json_pack ("{s:s, s:i}", "ev", "ready", "pid", (int) getpid ()));
  g_main_loop_run (loop);
  km_meeting_free (meeting);
  km_shutdown ();
  g_io_channel_unref (ch);
  g_main_loop_unref (loop);
  return 0;
}
