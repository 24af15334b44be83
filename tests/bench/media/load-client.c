/* load-client.c — the media benchmark's load: N 1:1 meetings of GStreamer
 * webrtcbin peers that replay pre-encoded VP8 (640x480, 30 fps, ~1.5
 * Mbit/s, keyframe every 2 s) and Opus, lighter than browsers (no encoding
 * or decoding after start-up).  Both ends of every meeting live here, so
 * one-way delay is measured on one clock: a frame's send time is taken as
 * it enters the sender's payloader and its arrival as it leaves the
 * receiver's depayloader, frames being recognised by their bytes.
 *
 *   load-client --relay PATH [--meetings N] [--warmup S] [--window S]
 *   load-client --direct [--meetings N] …     (peers connect to each other:
 *                                               the baseline without relay)
 *   load-client --janus SOCKET --janus-pid PID  (Janus' videocall plugin over
 *                                               its pfunix transport)
 *
 * The relay (kontor-stdio-relay) is started pinned to CPU 0 with taskset;
 * pin this process elsewhere.  Prints `name: value unit` lines, the
 * relay's and this process's own (its CPU, and whether it kept up).
 *
 * What limits N: this process's CPU.  Every participant is a full
 * webrtcbin (SRTP both ways, rtpbin with a jitterbuffer and NACKs, which
 * the loss run needs, about a dozen threads), about 0.02 s of CPU per
 * second per participant on the 2-core benchmark machine: one core holds
 * about 20 meetings.  Its threads spread over every CPU it is allowed
 * (taskset -c 1-3: more cores, more meetings; never the relay's CPU 0).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/webrtc/webrtc.h>
#include <gio/gunixsocketaddress.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOOP_S 10

typedef struct _Peer Peer;
struct _Peer {
  guint index;
  gchar *name;
  Peer *other;
  GstElement *pipe, *webrtc;
  GstAppSrc *vsrc, *asrc;
  guint relay_id;
  gint64 t_join, t_first;   /* µs; t_first atomic */
  gint64 sent[LOOP_S * 30]; /* send time per frame index */
  guint64 recv_window;      /* atomic */
  guint64 sent_window;
  GMutex lock;
  GArray *delays;            /* gint64 µs, under lock */
  guint vi;                  /* next video frame to send */
  guint64 jsession, jhandle; /* Janus ids */
  gboolean registered;
  gint want_key; /* atomic: a keyframe was asked */
};

static GPtrArray *video_frames, *audio_frames;
static GHashTable *frame_index; /* content hash → index + 1 */
static GPtrArray *peers;
static gboolean direct;
static gchar *janus_path;
static GSocket *janus;
static GIOChannel *relay_in, *relay_out;
static GPid relay_pid;
static GQueue joining = G_QUEUE_INIT;
static gint in_window; /* atomic */
static gint64 start_us;
static GArray *late; /* gint64 µs: how late each video tick of the window sent */

/* ---- pre-encoding, once ---- */

static GPtrArray *
encode (const gchar *desc)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipe = gst_parse_launch (desc, &error);
  if (!pipe) {
    g_printerr ("%s\n", error->message);
    exit (1);
  }
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstSample *s;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    g_ptr_array_add (out, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return out;
}

static guint
content_hash (GstBuffer *buf)
{
  GstMapInfo map;
  guint h = 5381;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return 0;
  gsize n = MIN (map.size, 256);
  for (gsize i = 0; i < n; i++)
    h = h * 33 + map.data[i];
  for (gsize i = map.size - MIN (map.size, 64); i < map.size; i++)
    h = h * 33 + map.data[i];
  h ^= (guint) map.size;
  gst_buffer_unmap (buf, &map);
  return h;
}

/* ---- receiving ---- */

static GstPadProbeReturn
on_video (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Peer *p = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 now = g_get_monotonic_time ();
  if (!__atomic_load_n (&p->t_first, __ATOMIC_RELAXED)
      && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    __atomic_store_n (&p->t_first, now, __ATOMIC_RELAXED);
  guint k =
      GPOINTER_TO_UINT (g_hash_table_lookup (frame_index, GUINT_TO_POINTER (content_hash (buf))));
  if (!k || !g_atomic_int_get (&in_window))
    return GST_PAD_PROBE_OK;
  __atomic_add_fetch (&p->recv_window, 1, __ATOMIC_RELAXED);
  gint64 sent = __atomic_load_n (&p->other->sent[k - 1], __ATOMIC_RELAXED);
  if (sent && now >= sent) {
    gint64 d = now - sent;
    g_mutex_lock (&p->lock);
    g_array_append_val (p->delays, d);
    g_mutex_unlock (&p->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc, GstPad *pad, Peer *p)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const gchar *enc = gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name");
  gboolean video = g_strcmp0 (enc, "VP8") == 0;
  GstElement *bin = gst_parse_bin_from_description (
      video ? "rtpvp8depay ! fakesink name=out sync=false async=false"
            : "rtpopusdepay ! fakesink name=out sync=false async=false",
      TRUE, NULL);
  gst_bin_add (GST_BIN (p->pipe), bin);
  if (video) {
    g_autoptr (GstElement) out = gst_bin_get_by_name (GST_BIN (bin), "out");
    g_autoptr (GstPad) sink = gst_element_get_static_pad (out, "sink");
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, on_video, p, NULL);
  }
  gst_element_sync_state_with_parent (bin);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_link (pad, sink);
}

/* ---- signaling: relay over JSON lines, or peer to peer ---- */

static void
relay_send (json_t *obj)
{
  char *s = json_dumps (obj, JSON_COMPACT);
  g_io_channel_write_chars (relay_in, s, -1, NULL, NULL);
  g_io_channel_write_chars (relay_in, "\n", 1, NULL, NULL);
  g_io_channel_flush (relay_in, NULL);
  free (s);
  json_decref (obj);
}

typedef struct {
  Peer *p;
  gchar *sdp;
  guint mline;
  gchar *cand;
  gboolean offer;
} Hop;

static void
hop_free (gpointer data)
{
  Hop *h = data;
  g_free (h->sdp);
  g_free (h->cand);
  g_free (h);
}

static void set_remote (Peer *p, const gchar *sdp, gboolean offer);

static void
janus_send (json_t *obj)
{
  char *s = json_dumps (obj, JSON_COMPACT);
  g_autoptr (GError) error = NULL;
  if (g_socket_send (janus, s, strlen (s), NULL, &error) < 0)
    g_printerr ("janus: %s\n", error->message);
  free (s);
  json_decref (obj);
}

static void
janus_message (Peer *p, json_t *body, const gchar *type, const gchar *sdp)
{
  json_t *m =
      json_pack ("{s:s, s:s, s:I, s:I, s:o}", "janus", "message", "transaction", "m", "session_id",
                 (json_int_t) p->jsession, "handle_id", (json_int_t) p->jhandle, "body", body);
  if (sdp)
    json_object_set_new (m, "jsep", json_pack ("{s:s, s:s}", "type", type, "sdp", sdp));
  janus_send (m);
}

static gboolean
deliver (gpointer data)
{
  Hop *h = data;
  if (janus && h->sdp) {
    g_autofree gchar *user = g_strdup_printf ("u%u", h->p->other->index);
    if (h->offer)
      janus_message (h->p, json_pack ("{s:s, s:s}", "request", "call", "username", user), "offer",
                     h->sdp);
    else
      janus_message (h->p, json_pack ("{s:s}", "request", "accept"), "answer", h->sdp);
  } else if (janus && h->cand) {
    janus_send (json_pack ("{s:s, s:s, s:I, s:I, s:{s:s, s:i}}", "janus", "trickle", "transaction",
                           "t", "session_id", (json_int_t) h->p->jsession, "handle_id",
                           (json_int_t) h->p->jhandle, "candidate", "candidate", h->cand,
                           "sdpMLineIndex", h->mline));
  } else if (h->sdp) {
    if (direct)
      set_remote (h->p->other, h->sdp, h->offer);
    else
      relay_send (
          json_pack ("{s:s, s:i, s:s}", "op", "offer", "id", h->p->relay_id, "sdp", h->sdp));
  } else if (h->cand) {
    if (direct)
      g_signal_emit_by_name (h->p->other->webrtc, "add-ice-candidate", h->mline, h->cand);
    else
      relay_send (json_pack ("{s:s, s:i, s:i, s:s}", "op", "ice", "id", h->p->relay_id, "mline",
                             h->mline, "candidate", h->cand));
  }
  return G_SOURCE_REMOVE;
}

static void
on_ice_candidate (GstElement *w, guint mline, gchar *cand, Peer *p)
{
  Hop *h = g_new0 (Hop, 1);
  h->p = p;
  h->mline = mline;
  h->cand = g_strdup (cand);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver, h, hop_free);
}

static void
on_description (GstPromise *promise, gpointer data)
{
  Peer *p = data;
  const GstStructure *r = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *d = NULL;
  gboolean offer = gst_structure_has_field (r, "offer");
  gst_structure_get (r, offer ? "offer" : "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d, NULL);
  gst_promise_unref (promise);
  if (!d) {
    g_printerr ("%s: no description\n", p->name);
    return;
  }
  g_signal_emit_by_name (p->webrtc, "set-local-description", d, NULL);
  Hop *h = g_new0 (Hop, 1);
  h->p = p;
  h->sdp = gst_sdp_message_as_text (d->sdp);
  h->offer = offer;
  gst_webrtc_session_description_free (d);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver, h, hop_free);
}

static gboolean
make_offer (gpointer data)
{
  Peer *p = data;
  g_signal_emit_by_name (p->webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_description, p, NULL));
  return G_SOURCE_REMOVE;
}

static void
on_negotiation_needed (GstElement *w, Peer *p)
{
  /* Offer once; without kontor only the first peer of a pair offers. */
  if ((direct || janus) && p->index % 2)
    return;
  g_signal_handlers_disconnect_by_func (w, on_negotiation_needed, p);
  g_idle_add (make_offer, p);
}

static void
set_remote (Peer *p, const gchar *sdp, gboolean offer)
{
  GstSDPMessage *msg = NULL;
  gst_sdp_message_new_from_text (sdp, &msg);
  GstWebRTCSessionDescription *d = gst_webrtc_session_description_new (
      offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  g_signal_emit_by_name (p->webrtc, "set-remote-description", d, NULL);
  gst_webrtc_session_description_free (d);
  if (offer)
    g_signal_emit_by_name (p->webrtc, "create-answer", NULL,
                           gst_promise_new_with_change_func (on_description, p, NULL));
}

static Peer *
peer_by_relay_id (guint id)
{
  for (guint i = 0; i < peers->len; i++) {
    Peer *p = g_ptr_array_index (peers, i);
    if (p->relay_id == id)
      return p;
  }
  return NULL;
}

static void peer_start (Peer *p);

static gboolean
on_relay_line (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  g_autofree gchar *line = NULL;
  if (g_io_channel_read_line (ch, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    return G_SOURCE_REMOVE;
  json_t *ev = json_loads (line, 0, NULL);
  const char *type = NULL, *sdp = NULL;
  int id = 0, mline = 0;
  json_t *cand = NULL;
  if (!ev
      || json_unpack (ev, "{s:s, s?:i, s?:s, s?:i, s?:o}", "ev", &type, "id", &id, "sdp", &sdp,
                      "mline", &mline, "candidate", &cand)
             != 0) {
    json_decref (ev);
    return G_SOURCE_CONTINUE;
  }
  Peer *p = id ? peer_by_relay_id (id) : NULL;
  if (g_str_equal (type, "joined")) {
    Peer *j = g_queue_pop_head (&joining);
    if (j) {
      j->relay_id = id;
      peer_start (j);
    }
  } else if (g_str_equal (type, "answer") && p) {
    set_remote (p, sdp, FALSE);
  } else if (g_str_equal (type, "ice") && p && json_is_string (cand)) {
    g_signal_emit_by_name (p->webrtc, "add-ice-candidate", mline, json_string_value (cand));
  } else if (g_str_equal (type, "error") || g_str_equal (type, "failed")) {
    g_printerr ("relay: %s", line);
  }
  json_decref (ev);
  return G_SOURCE_CONTINUE;
}

static Peer *
peer_by_janus (guint64 handle)
{
  for (guint i = 0; i < peers->len; i++) {
    Peer *p = g_ptr_array_index (peers, i);
    if (p->jhandle == handle)
      return p;
  }
  return NULL;
}

static gboolean
on_janus (GSocket *sock, GIOCondition cond, gpointer data)
{
  gchar buf[65536];
  gssize n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, NULL);
  if (n <= 0)
    return G_SOURCE_REMOVE;
  buf[n] = 0;
  json_t *ev = json_loads (buf, 0, NULL);
  const char *type = NULL, *tr = NULL;
  if (!ev || json_unpack (ev, "{s:s, s?:s}", "janus", &type, "transaction", &tr) != 0) {
    json_decref (ev);
    return G_SOURCE_CONTINUE;
  }
  if (g_str_equal (type, "success") && tr && (tr[0] == 'c' || tr[0] == 'a')) {
    Peer *p = g_ptr_array_index (peers, atoi (tr + 1));
    json_int_t id = 0;
    json_unpack (ev, "{s:{s:I}}", "data", "id", &id);
    if (tr[0] == 'c') {
      p->jsession = id;
      g_autofree gchar *t = g_strdup_printf ("a%u", p->index);
      janus_send (json_pack ("{s:s, s:s, s:s, s:I}", "janus", "attach", "plugin",
                             "janus.plugin.videocall", "transaction", t, "session_id",
                             (json_int_t) p->jsession));
    } else {
      p->jhandle = id;
      g_autofree gchar *user = g_strdup_printf ("u%u", p->index);
      janus_message (p, json_pack ("{s:s, s:s}", "request", "register", "username", user), NULL,
                     NULL);
    }
  } else if (g_str_equal (type, "event")) {
    json_int_t sender = 0;
    const char *what = NULL, *jtype = NULL, *sdp = NULL;
    json_unpack (ev, "{s:I, s:{s:{s?:{s:s}}}, s?:{s:s, s:s}}", "sender", &sender, "plugindata",
                 "data", "result", "event", &what, "jsep", "type", &jtype, "sdp", &sdp);
    Peer *p = peer_by_janus (sender);
    if (p && what && g_str_equal (what, "registered")) {
      p->registered = TRUE;
      if (p->other->registered) {
        /* the callee first: it must exist when the offer comes */
        peer_start (p->index % 2 ? p : p->other);
        peer_start (p->index % 2 ? p->other : p);
      }
    } else if (p && sdp && jtype) {
      set_remote (p, sdp, g_str_equal (jtype, "offer"));
    }
  } else if (g_str_equal (type, "error")) {
    g_printerr ("janus: %s\n", buf);
  }
  json_decref (ev);
  return G_SOURCE_CONTINUE;
}

static gboolean
janus_keepalive (gpointer data)
{
  for (guint i = 0; i < peers->len; i++) {
    Peer *p = g_ptr_array_index (peers, i);
    if (p->jsession)
      janus_send (json_pack ("{s:s, s:s, s:I}", "janus", "keepalive", "transaction", "k",
                             "session_id", (json_int_t) p->jsession));
  }
  return G_SOURCE_CONTINUE;
}

/* ---- sending ---- */

static GstPadProbeReturn
on_keyframe_request (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_UPSTREAM
      && gst_event_has_name (ev, "GstForceKeyUnit"))
    g_atomic_int_set (&((Peer *) data)->want_key, 1);
  return GST_PAD_PROBE_OK;
}

static GstAppSrc *
add_sender (Peer *p, const gchar *desc)
{
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, NULL);
  gst_bin_add (GST_BIN (p->pipe), bin);
  GstElement *src = gst_bin_get_by_name (GST_BIN (bin), "src");
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE, NULL);
  g_autoptr (GstPad) srcpad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_keyframe_request, p, NULL);
  g_autoptr (GstPad) out = gst_element_get_static_pad (bin, "src");
  g_autoptr (GstCaps) caps = gst_caps_from_string (strrchr (desc, '!') + 1);
  GstPad *sink = gst_element_request_pad (
      p->webrtc, gst_element_get_pad_template (p->webrtc, "sink_%u"), NULL, caps);
  gst_pad_link (out, sink);
  gst_object_unref (sink);
  return GST_APP_SRC (src);
}

static void
peer_start (Peer *p)
{
  p->pipe = gst_pipeline_new (p->name);
  p->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  g_object_set (p->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", 50,
                NULL);
  gst_bin_add (GST_BIN (p->pipe), p->webrtc);
  g_signal_connect (p->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), p);
  g_signal_connect (p->webrtc, "pad-added", G_CALLBACK (on_pad_added), p);
  g_signal_connect (p->webrtc, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed), p);
  p->vsrc = add_sender (p, "appsrc name=src caps=video/x-vp8,width=640,height=480,framerate=30/1 "
                           "! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit ! application/x-rtp,"
                           "media=video,encoding-name=VP8,clock-rate=90000,payload=96");
  p->asrc = add_sender (p, "appsrc name=src caps=audio/x-opus,channel-mapping-family=0,"
                           "channels=1,rate=48000 ! rtpopuspay pt=111 ! application/x-rtp,"
                           "media=audio,encoding-name=OPUS,clock-rate=48000,payload=111");
  g_autoptr (GArray) all = NULL;
  g_signal_emit_by_name (p->webrtc, "get-transceivers", &all);
  for (guint i = 0; all && i < all->len; i++)
    g_object_set (g_array_index (all, GObject *, i), "do-nack", TRUE, NULL);
  gst_element_set_state (p->pipe, GST_STATE_PLAYING);
}

/* 10 ms tick: video at 30 fps, audio every 20 ms, from the loops. */
static gboolean
on_tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 t = now - start_us;
  static gint64 next_video, next_audio;
  static guint ai;
  gboolean window = g_atomic_int_get (&in_window);
  /* How late this round of frames goes out: a load client that cannot
   * keep up sends late and in bursts, whatever the relay does. */
  if (window && next_video <= t) {
    gint64 l = t - next_video;
    g_array_append_val (late, l);
  }
  while (next_video <= t) {
    for (guint i = 0; i < peers->len; i++) {
      Peer *p = g_ptr_array_index (peers, i);
      if (!p->vsrc)
        continue;
      /* Answer a keyframe request (PLI/FIR) as an encoder would: the loop
       * jumps to its next keyframe. */
      if (g_atomic_int_compare_and_exchange (&p->want_key, 1, 0))
        while (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (video_frames, p->vi % video_frames->len),
                                       GST_BUFFER_FLAG_DELTA_UNIT))
          p->vi++;
      guint k = p->vi++ % video_frames->len;
      GstBuffer *b = gst_buffer_copy (g_ptr_array_index (video_frames, k));
      GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = GST_CLOCK_TIME_NONE;
      __atomic_store_n (&p->sent[k], g_get_monotonic_time (), __ATOMIC_RELAXED);
      gst_app_src_push_buffer (p->vsrc, b);
      if (window)
        p->sent_window++;
    }
    next_video += G_USEC_PER_SEC / 30;
  }
  while (next_audio <= t) {
    guint k = ai++ % audio_frames->len;
    for (guint i = 0; i < peers->len; i++) {
      Peer *p = g_ptr_array_index (peers, i);
      if (!p->asrc)
        continue;
      GstBuffer *b = gst_buffer_copy (g_ptr_array_index (audio_frames, k));
      GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = GST_CLOCK_TIME_NONE;
      gst_app_src_push_buffer (p->asrc, b);
    }
    next_audio += 20000;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- measuring ---- */

/* CPU time comes from the scheduler's own count (the process CPU clock),
 * not from /proc/PID/stat: utime and stime there are sampled at each
 * timer tick, and a relay busy for 2 % of a core gets only a few dozen
 * ticks in a window, so those figures varied by a quarter between runs. */
static gboolean
proc_usage (double *cpu_s, double *rss_mb, guint *threads)
{
  clockid_t clock;
  struct timespec ts;
  if (clock_getcpuclockid (relay_pid, &clock) != 0 || clock_gettime (clock, &ts) != 0)
    return FALSE;
  *cpu_s = ts.tv_sec + ts.tv_nsec / 1e9;

  g_autofree gchar *path = g_strdup_printf ("/proc/%d/statm", relay_pid);
  g_autofree gchar *statm = NULL;
  long rss = 0;
  if (!g_file_get_contents (path, &statm, NULL, NULL) || sscanf (statm, "%*d %ld", &rss) != 1)
    return FALSE;
  *rss_mb = rss * (sysconf (_SC_PAGESIZE) / 1024.0) / 1024.0;

  g_free (path);
  path = g_strdup_printf ("/proc/%d/status", relay_pid);
  g_autofree gchar *status = NULL;
  const gchar *t;
  if (!g_file_get_contents (path, &status, NULL, NULL) || !(t = strstr (status, "\nThreads:"))
      || sscanf (t, "\nThreads: %u", threads) != 1)
    return FALSE;
  return TRUE;
}

/* This process's own cost, so that a saturated load client is seen and
 * not taken for the relay's limit: its CPU time (all threads, the
 * scheduler's count) and the time its threads were runnable but waited
 * for a CPU (schedstat's second field, summed over the threads; per
 * second of the window, the mean number of its threads kept waiting). */
static double
wait_s (GPid pid)
{
  double sum = 0;
  g_autofree gchar *tasks = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr (GDir) dir = g_dir_open (tasks, 0, NULL);
  const gchar *tid;
  while (dir && (tid = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_strdup_printf ("%s/%s/schedstat", tasks, tid);
    g_autofree gchar *st = NULL;
    unsigned long long run, wait;
    if (g_file_get_contents (path, &st, NULL, NULL) && sscanf (st, "%llu %llu", &run, &wait) == 2)
      sum += wait / 1e9;
  }
  return sum;
}

static void
self_usage (double *cpu_s, double *wait)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  *cpu_s = ts.tv_sec + ts.tv_nsec / 1e9;
  *wait = wait_s (getpid ());
}

/* Busy and total clock ticks of the CPUs PID may run on (/proc/stat), all
 * processes together: a process's own CPU cannot show that its cores
 * were full of other work (the machine is shared). */
static void
cpus_ticks (GPid pid, guint64 *busy, guint64 *total)
{
  cpu_set_t set;
  *busy = *total = 0;
  g_autofree gchar *stat = NULL;
  if (sched_getaffinity (pid, sizeof set, &set) != 0
      || !g_file_get_contents ("/proc/stat", &stat, NULL, NULL))
    return;
  g_auto (GStrv) lines = g_strsplit (stat, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    guint cpu;
    unsigned long long v[8];
    if (sscanf (lines[i], "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                &v[2], &v[3], &v[4], &v[5], &v[6], &v[7])
            != 9
        || cpu >= CPU_SETSIZE || !CPU_ISSET (cpu, &set))
      continue;
    guint64 all = 0;
    for (guint k = 0; k < 8; k++)
      all += v[k];
    *total += all;
    *busy += all - v[3] - v[4]; /* less idle and iowait */
  }
}

static double
busy_share (guint64 b0, guint64 t0, guint64 b1, guint64 t1)
{
  return t1 > t0 ? (double) (b1 - b0) / (t1 - t0) : 0;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
run_for (guint ms)
{
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
}

int
main (int argc, char **argv)
{
  gchar *relay = NULL;
  gint meetings = 1, warmup = 10, window = 30;
  GOptionEntry entries[] = {
    { "relay", 0, 0, G_OPTION_ARG_FILENAME, &relay, "kontor-stdio-relay", "PATH" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &direct, "no relay (baseline)", NULL },
    { "janus", 0, 0, G_OPTION_ARG_FILENAME, &janus_path, "Janus pfunix socket", "PATH" },
    { "janus-pid", 0, 0, G_OPTION_ARG_INT, &relay_pid, "Janus' pid", "PID" },
    { "meetings", 0, 0, G_OPTION_ARG_INT, &meetings, "1:1 meetings", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "seconds before measuring", "S" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window, "seconds measured", "S" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || (!relay && !direct && !janus_path)
      || meetings < 1) {
    g_printerr ("usage: load-client --relay PATH | --direct [--meetings N]\n");
    return 2;
  }
  gst_init (&argc, &argv);

  /* Fresh 8x8-block noise every frame: ~1.4 Mbit/s at 640x480. */
  video_frames = encode ("videotestsrc pattern=snow num-buffers=300 ! "
                         "video/x-raw,width=80,height=60,framerate=30/1 ! "
                         "videoscale method=nearest-neighbour ! "
                         "video/x-raw,width=640,height=480,framerate=30/1 ! "
                         "vp8enc deadline=1 end-usage=cbr target-bitrate=1500000 "
                         "keyframe-max-dist=60 ! appsink name=out sync=false");
  audio_frames = encode ("audiotestsrc wave=pink-noise num-buffers=500 "
                         "samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 ! "
                         "opusenc ! appsink name=out sync=false");
  frame_index = g_hash_table_new (NULL, NULL);
  guint64 bytes = 0;
  for (guint i = 0; i < video_frames->len; i++) {
    GstBuffer *b = g_ptr_array_index (video_frames, i);
    bytes += gst_buffer_get_size (b);
    g_hash_table_insert (frame_index, GUINT_TO_POINTER (content_hash (b)),
                         GUINT_TO_POINTER (i + 1));
  }
  printf ("video bitrate sent: %.0f kbit/s per participant\n",
          bytes * 8.0 / (video_frames->len / 30.0) / 1000);
  fflush (stdout);

  double cpu0 = 0, rss_base = 0, cpu1 = 0, rss1 = 0;
  guint threads_base = 0, threads1 = 0;
  if (janus_path) {
    janus = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_SEQPACKET, 0, &error);
    g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (janus_path);
    if (!janus || !g_socket_connect (janus, addr, NULL, &error)) {
      g_printerr ("janus: %s\n", error->message);
      return 1;
    }
    GSource *src = g_socket_create_source (janus, G_IO_IN, NULL);
    g_source_set_callback (src, (GSourceFunc) (void (*) (void)) on_janus, NULL, NULL);
    g_source_attach (src, NULL);
    g_timeout_add_seconds (20, janus_keepalive, NULL);
    run_for (500);
    proc_usage (&cpu0, &rss_base, &threads_base);
  } else if (!direct) {
    gint in_fd, out_fd;
    gchar *args[] = { "taskset", "-c", "0", relay, NULL };
    if (!g_spawn_async_with_pipes (NULL, args, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &relay_pid,
                                   &in_fd, &out_fd, NULL, &error)) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
    relay_in = g_io_channel_unix_new (in_fd);
    relay_out = g_io_channel_unix_new (out_fd);
    g_io_add_watch (relay_out, G_IO_IN | G_IO_HUP, on_relay_line, NULL);
    run_for (1500);
    proc_usage (&cpu0, &rss_base, &threads_base);
  }

  start_us = g_get_monotonic_time ();
  g_timeout_add (10, on_tick, NULL);
  peers = g_ptr_array_new ();
  for (gint m = 0; m < meetings; m++) {
    Peer *pair[2];
    for (gint k = 0; k < 2; k++) {
      Peer *p = g_new0 (Peer, 1);
      p->index = m * 2 + k;
      p->name = g_strdup_printf ("m%d-%s", m, k ? "caseworker" : "seeker");
      p->delays = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_mutex_init (&p->lock);
      p->t_join = g_get_monotonic_time ();
      g_ptr_array_add (peers, p);
      pair[k] = p;
      if (direct) {
        peer_start (p);
      } else if (janus) {
        g_autofree gchar *t = g_strdup_printf ("c%u", p->index);
        janus_send (json_pack ("{s:s, s:s}", "janus", "create", "transaction", t));
      } else {
        g_autofree gchar *mname = g_strdup_printf ("m%d", m);
        g_queue_push_tail (&joining, p);
        relay_send (json_pack ("{s:s, s:s, s:s}", "op", "join", "label",
                               k ? "caseworker" : "seeker", "meeting", mname));
      }
    }
    pair[0]->other = pair[1];
    pair[1]->other = pair[0];
    run_for (300); /* stagger the starts a little */
  }
  run_for (warmup * 1000);
  if (relay_pid)
    proc_usage (&cpu0, &rss1, &threads1);
  late = g_array_new (FALSE, FALSE, sizeof (gint64));
  double self_cpu0, self_wait0, self_cpu1, self_wait1, relay_wait0 = 0, relay_wait1 = 0;
  guint64 self_b0, self_t0, self_b1, self_t1;
  guint64 relay_b0 = 0, relay_t0 = 0, relay_b1 = 0, relay_t1 = 0;
  gint64 t0 = g_get_monotonic_time ();
  self_usage (&self_cpu0, &self_wait0);
  cpus_ticks (getpid (), &self_b0, &self_t0);
  if (relay_pid) {
    relay_wait0 = wait_s (relay_pid);
    cpus_ticks (relay_pid, &relay_b0, &relay_t0);
  }
  g_atomic_int_set (&in_window, 1);
  run_for (window * 1000);
  g_atomic_int_set (&in_window, 0);
  self_usage (&self_cpu1, &self_wait1);
  cpus_ticks (getpid (), &self_b1, &self_t1);
  if (relay_pid) {
    relay_wait1 = wait_s (relay_pid);
    cpus_ticks (relay_pid, &relay_b1, &relay_t1);
  }
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  if (relay_pid)
    proc_usage (&cpu1, &rss1, &threads1);

  /* ---- report ---- */
  GArray *all = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *first = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint64 sent = 0, recv = 0;
  guint no_media = 0;
  for (guint i = 0; i < peers->len; i++) {
    Peer *p = g_ptr_array_index (peers, i);
    g_mutex_lock (&p->lock);
    g_array_append_vals (all, p->delays->data, p->delays->len);
    g_mutex_unlock (&p->lock);
    sent += p->other->sent_window;
    recv += p->recv_window;
    gint64 f = __atomic_load_n (&p->t_first, __ATOMIC_RELAXED);
    if (f) {
      gint64 d = f - p->t_join;
      g_array_append_val (first, d);
    } else {
      no_media++;
    }
  }
  g_array_sort (all, cmp_i64);
  g_array_sort (first, cmp_i64);
  const gchar *who = direct ? "direct" : janus ? "janus" : "kontor";
  printf ("mode: %s\n", who);
  printf ("meetings: %d\n", meetings);
  if (relay_pid) {
    printf ("%s cpu per meeting-minute: %.3f s\n", who, (cpu1 - cpu0) / meetings / (window / 60.0));
    printf ("%s cpu share of one core: %.1f %%\n", who, (cpu1 - cpu0) / window * 100);
    printf ("%s rss: %.1f MB\n", who, rss1);
    printf ("%s rss per meeting: %.2f MB\n", who, (rss1 - rss_base) / meetings);
    printf ("%s threads idle: %u\n", who, threads_base);
    printf ("%s threads: %u\n", who, threads1);
    printf ("%s threads per meeting: %.2f\n", who, ((double) threads1 - threads_base) / meetings);
    /* Its cores' use by everything on them, and how long its threads
     * waited for one: a relay slowed by the shared machine, not by its
     * own work, shows here. */
    printf ("%s cpus busy (all processes): %.0f %%\n", who,
            busy_share (relay_b0, relay_t0, relay_b1, relay_t1) * 100);
    printf ("%s threads waiting for a cpu: %.2f\n", who,
            MAX (0, relay_wait1 - relay_wait0) / elapsed);
  }
  /* The load client's own figures.  Its CPU is per second of the window
   * and as a share of the CPUs it may run on (taskset).  It is saturated
   * above 90 % of them, or when they were full (over 95 % busy with
   * everything on them) and it was most of that (over 75 %): on a shared
   * machine it cannot reach 90 %.  A full core alone is not enough (the
   * scheduler shares it: 13 % of a full core kept up at N = 2), nor are
   * its threads waiting for a CPU (wake-up latency adds up over its
   * hundreds of threads: two on average on a core 22 % busy).  Saturated
   * or not, a client whose frames leave more than a frame period (33 ms)
   * late at p99 handles what it receives late too: that run's delays are
   * partly the client's, not the relay's. */
  cpu_set_t cpus;
  guint ncpu = sched_getaffinity (0, sizeof cpus, &cpus) == 0 ? CPU_COUNT (&cpus) : 1;
  double self_cps = (self_cpu1 - self_cpu0) / elapsed;
  double self_busy = busy_share (self_b0, self_t0, self_b1, self_t1);
  g_array_sort (late, cmp_i64);
  gint64 late_p99 = late->len ? g_array_index (late, gint64, late->len * 99 / 100) : 0;
  printf ("%s load client cpu: %.2f s/s\n", who, self_cps);
  printf ("%s load client share of its cpus: %.0f %% of %u\n", who, self_cps / ncpu * 100, ncpu);
  printf ("%s load client cpus busy (all processes): %.0f %%\n", who, self_busy * 100);
  printf ("%s load client threads waiting for a cpu: %.1f\n", who,
          MAX (0, self_wait1 - self_wait0) / elapsed);
  printf ("%s load client send lateness p99: %.1f ms\n", who, late_p99 / 1000.0);
  printf ("%s load client saturated: %s\n", who,
          self_cps / ncpu > 0.9 || (self_busy > 0.95 && self_cps / ncpu > 0.75) ? "yes" : "no");
  printf ("%s load client sent late: %s\n", who, late_p99 > G_USEC_PER_SEC / 30 ? "yes" : "no");
  if (all->len) {
    printf ("%s delay median: %.2f ms\n", who, g_array_index (all, gint64, all->len / 2) / 1000.0);
    printf ("%s delay p99: %.2f ms\n", who,
            g_array_index (all, gint64, all->len * 99 / 100) / 1000.0);
  }
  printf ("%s frame loss: %.2f %%\n", who,
          sent ? 100.0 * (1.0 - MIN (1.0, (double) recv / sent)) : 100.0);
  if (first->len)
    printf ("%s first frame median: %.0f ms\n%s first frame max: %.0f ms\n", who,
            g_array_index (first, gint64, first->len / 2) / 1000.0, who,
            g_array_index (first, gint64, first->len - 1) / 1000.0);
  printf ("%s participants without video: %u\n", who, no_media);
  fflush (stdout);
  if (relay_in) {
    g_io_channel_shutdown (relay_in, TRUE, NULL);
    run_for (500);
  }
  for (guint i = 0; i < peers->len; i++) {
    Peer *p = g_ptr_array_index (peers, i);
    if (p->pipe)
      gst_element_set_state (p->pipe, GST_STATE_NULL);
  }
  return no_media ? 1 : 0;
}
