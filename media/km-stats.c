/* km-stats.c — per-participant statistics every few seconds, from the
 * forwarding path's counters (km-forward.c, km-receive.c): rates over the
 * interval, then the stats callback; and every second, whether what the
 * relay sends a participant still reaches it (path_lost).  All on the
 * main context. */
#include "media/km-private.h"

#define KM_STATS_INTERVAL_S 3
/* path_lost at most this often per participant: time for a restart. */
#define KM_PATH_LOST_GAP_US (8 * G_USEC_PER_SEC)

static void
report (KmMeeting *m, KmParticipant *p)
{
  KmFwdStats f;
  km_fwd_port_stats (p->port, &f);
  gint64 now = g_get_monotonic_time ();
  double dt = p->last_stats_time ? (now - p->last_stats_time) / 1e6 : 0;
  KmStats st = { 0 };
  st.bytes_in = f.bytes_in;
  st.bytes_out = f.bytes_out;
  st.packets_in = f.packets_in;
  st.lost_in = f.lost_in;
  st.own_srtp = f.own_srtp;
  if (dt > 0.1) {
    if (f.bytes_in >= p->last_bytes_in)
      st.bitrate_in_kbps = (f.bytes_in - p->last_bytes_in) * 8 / dt / 1000;
    if (f.bytes_out >= p->last_bytes_out)
      st.bitrate_out_kbps = (f.bytes_out - p->last_bytes_out) * 8 / dt / 1000;
  }
  /* Loss over the interval, not since the start. */
  guint64 pk = f.packets_in - MIN (f.packets_in, p->last_packets_in);
  guint64 lost = f.lost_in - MIN (f.lost_in, p->last_lost_in);
  st.loss_in = pk + lost > 0 ? (double) lost / (double) (pk + lost) : 0;
  st.rtt_ms = f.rtt_s >= 0 ? f.rtt_s * 1000 : -1;
  st.jitter_ms = f.jitter_s * 1000;
  for (guint i = 0; i < p->sources->len; i++) {
    KmSource *src = g_ptr_array_index (p->sources, i);
    if (km_fwd_source_kind (src->fwd) == KM_KIND_VIDEO)
      st.frames_in += km_fwd_source_frames (src->fwd);
  }
  p->last_bytes_in = f.bytes_in;
  p->last_bytes_out = f.bytes_out;
  p->last_packets_in = f.packets_in;
  p->last_lost_in = f.lost_in;
  p->last_stats_time = now;
  if (m->callbacks.stats)
    m->callbacks.stats (p->id, &st, m->user_data);
}

static void
check_path (KmMeeting *m, KmParticipant *p)
{
  gint64 now = g_get_monotonic_time ();
  if (p->path_lost_at && now - p->path_lost_at < KM_PATH_LOST_GAP_US)
    return;
  if (!km_fwd_port_path_lost (p->port, now))
    return;
  p->path_lost_at = now;
  GST_INFO ("%s: what the relay sends no longer arrives, while its media does", p->name);
  if (m->callbacks.path_lost)
    m->callbacks.path_lost (p->id, m->user_data);
}

static gboolean
on_stats_timer (gpointer data)
{
  KmMeeting *m = data;
  gboolean due = m->stats_ticks++ % KM_STATS_INTERVAL_S == 0;
  /* The callback may remove participants: collect the ids first. */
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, m->participants);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    KmParticipant *p = value;
    if (p->connected)
      g_array_append_val (ids, p->id);
  }
  for (guint i = 0; i < ids->len; i++) {
    KmParticipant *p = km_meeting_lookup (m, g_array_index (ids, guint, i));
    if (p && p->connected && due)
      report (m, p);
    p = km_meeting_lookup (m, g_array_index (ids, guint, i));
    if (p && p->connected)
      check_path (m, p);
    if (p && p->connected)
      km_fwd_port_quiet_dtls (p->port);
  }
  return G_SOURCE_CONTINUE;
}

void
km_stats_start (KmMeeting *m)
{
  if (!m->stats_timer)
    m->stats_timer = g_timeout_add_seconds (1, on_stats_timer, m);
}
