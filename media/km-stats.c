/* km-stats.c — per-participant statistics every few seconds: webrtcbin's
 * get-stats on a GStreamer thread for what the browser sends, the
 * forwarding path's counters (km-forward.c) for what it receives, then
 * rates computed and the stats callback called on the main context. */
#include "media/km-private.h"

#define KM_STATS_INTERVAL_S 3

typedef struct {
  KmMeeting *meeting;
  guint      id;
  guint64    bytes_in;
  guint64    packets_in;
  gint64     lost_in;
  double     jitter_s;     /* largest over incoming streams */
} KmStatsReply;

static void
reply_free (gpointer data)
{
  KmStatsReply *r = data;
  km_meeting_unref (r->meeting);
  g_free (r);
}

static gboolean
add_one (GQuark field, const GValue *value, gpointer data)
{
  KmStatsReply *r = data;
  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure (value);
  GstWebRTCStatsType type;
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;
  guint64 u = 0;
  gint64 i = 0;
  double d = 0;
  switch (type) {
  case GST_WEBRTC_STATS_INBOUND_RTP:
    if (gst_structure_get_uint64 (s, "bytes-received", &u))
      r->bytes_in += u;
    if (gst_structure_get_uint64 (s, "packets-received", &u))
      r->packets_in += u;
    if (gst_structure_get_int64 (s, "packets-lost", &i) && i > 0)
      r->lost_in += i;
    if (gst_structure_get_double (s, "jitter", &d))
      r->jitter_s = MAX (r->jitter_s, d);
    break;
  default:
    break;
  }
  return TRUE;
}

static void
on_stats_event (KmMeeting *m, gpointer data)
{
  KmStatsReply *r = data;
  KmParticipant *p = km_meeting_lookup (m, r->id);
  if (!p || !p->connected)
    return;
  gint64 now = g_get_monotonic_time ();
  double dt = p->last_stats_time ? (now - p->last_stats_time) / 1e6 : 0;
  KmStats st = { 0 };
  guint64 bytes_out = km_fwd_port_bytes_out (p->port);
  st.bytes_in = r->bytes_in;
  st.bytes_out = bytes_out;
  if (dt > 0.1) {
    if (r->bytes_in >= p->last_bytes_in)
      st.bitrate_in_kbps = (r->bytes_in - p->last_bytes_in) * 8 / dt / 1000;
    if (bytes_out >= p->last_bytes_out)
      st.bitrate_out_kbps = (bytes_out - p->last_bytes_out) * 8 / dt / 1000;
  }
  /* Loss over the interval, not since the start. */
  guint64 pk = r->packets_in - MIN (r->packets_in, p->last_packets_in);
  guint64 lost = (guint64) r->lost_in
      - MIN ((guint64) r->lost_in, p->last_lost_in);
  st.loss_in = pk + lost > 0 ? (double) lost / (double) (pk + lost) : 0;
  double rtt = km_fwd_port_rtt (p->port);
  st.rtt_ms = rtt >= 0 ? rtt * 1000 : -1;
  st.jitter_ms = r->jitter_s * 1000;
  for (guint i = 0; i < p->sources->len; i++) {
    KmSource *src = g_ptr_array_index (p->sources, i);
    if (km_fwd_source_kind (src->fwd) == KM_KIND_VIDEO)
      st.frames_in += km_fwd_source_frames (src->fwd);
  }
  p->last_bytes_in = r->bytes_in;
  p->last_bytes_out = bytes_out;
  p->last_packets_in = r->packets_in;
  p->last_lost_in = (guint64) r->lost_in;
  p->last_stats_time = now;
  if (m->callbacks.stats)
    m->callbacks.stats (p->id, &st, m->user_data);
}

static void
on_stats (GstPromise *promise, gpointer data)
{
  KmStatsReply *r = data;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED) {
    const GstStructure *s = gst_promise_get_reply (promise);
    if (s) {
      KmStatsReply *copy = g_memdup2 (r, sizeof *r);
      km_meeting_ref (copy->meeting);
      gst_structure_foreach (s, add_one, copy);
      km_post (copy->meeting, on_stats_event, copy, reply_free);
    }
  }
  gst_promise_unref (promise);
}

void
km_peer_request_stats (KmParticipant *p)
{
  KmStatsReply *r = g_new0 (KmStatsReply, 1);
  r->meeting = km_meeting_ref (p->meeting);
  r->id = p->id;
  GstPromise *promise = gst_promise_new_with_change_func (on_stats, r,
                                                          reply_free);
  g_signal_emit_by_name (p->webrtc, "get-stats", NULL, promise);
}

static gboolean
on_stats_timer (gpointer data)
{
  KmMeeting *m = data;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, m->participants);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    KmParticipant *p = value;
    if (p->connected)
      km_peer_request_stats (p);
  }
  return G_SOURCE_CONTINUE;
}

void
km_stats_start (KmMeeting *m)
{
  if (!m->stats_timer)
    m->stats_timer = g_timeout_add_seconds (KM_STATS_INTERVAL_S,
                                            on_stats_timer, m);
}
