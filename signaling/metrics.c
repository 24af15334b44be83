/* metrics.c — GET /metrics: what an operator's monitoring reads, in the
 * Prometheus text format.  Live figures (sockets, rooms, meetings, media
 * and its quality as the relay last saw it, the database pool), then the
 * counters of stats.c and the query timings of booking/; nothing about any
 * person (docs/api.md lists every metric).
 * Answered only to a request with the configured bearer token ([server]
 * metrics_token): the peer address proves nothing behind a proxy on the
 * same host, where every request comes from loopback. */

#include "signaling/ks-handlers.h"
#include "signaling/ks-room.h"

#include <string.h>

static gboolean
bearer_ok (KsRequest *r)
{
  const gchar *want = r->server->config->metrics_token;
  char header[320];
  gsize n = strlen (want);
  int total = r->wsi ? lws_hdr_total_length (r->wsi, WSI_TOKEN_HTTP_AUTHORIZATION) : 0;

  if (n == 0 || total <= 0 || total >= (int) sizeof header
      || lws_hdr_copy (r->wsi, header, sizeof header, WSI_TOKEN_HTTP_AUTHORIZATION) != total)
    return FALSE;
  if (g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return FALSE;
  return strlen (header + 7) == n && kb_secret_equal (header + 7, want, n);
}

static void
write_query_timings (GString *s, KbStore *store)
{
  guint n;
  const KbQueryTiming *t = kb_store_query_timings (store, &n);
  g_string_append (s, "# HELP kontor_db_query_duration_seconds Database statements, from "
                      "sending to the whole answer, by prepared statement.\n"
                      "# TYPE kontor_db_query_duration_seconds histogram\n");
  for (guint i = 0; i < n; i++) {
    g_autofree gchar *labels = g_strdup_printf ("statement=\"%s\"", t[i].statement);
    ks_stats_write_histogram (s, "kontor_db_query_duration_seconds", labels, kb_query_bucket_bounds,
                              KB_QUERY_BUCKETS, t[i].counts, t[i].count, t[i].sum_s);
  }
}

void
ks_api_metrics (KsRequest *r)
{
  KsServer *server = r->server;
  guint sockets = 0, unjoined = 0, seekers = 0, caseworkers = 0, interpreters = 0, media = 0,
        in_room = 0;
  guint seats[3];
  gdouble in_kbps = 0, out_kbps = 0, loss = 0;
  guint with_stats = 0;

  if (!bearer_ok (r)) {
    ks_respond_error (r, 404, "not_found", "There is no such API endpoint.");
    return;
  }
  for (GList *l = server->clients; l; l = l->next) {
    KsClient *c = l->data;
    sockets++;
    unjoined += c->role == KS_ROLE_NONE;
    seekers += c->role == KS_ROLE_SEEKER;
    caseworkers += c->role == KS_ROLE_CASEWORKER;
    interpreters += c->role == KS_ROLE_INTERPRETER;
    in_room += c->room != NULL;
    if (c->participant) {
      media++;
      if (c->has_stats) {
        with_stats++;
        in_kbps += c->last_stats.bitrate_in_kbps;
        out_kbps += c->last_stats.bitrate_out_kbps;
        loss += c->last_stats.loss_in;
      }
    }
  }

  GString *s = g_string_new (NULL);
  g_string_append_printf (
      s,
      "# HELP kontor_websockets Open WebSocket connections, by role (any: all of them; none: "
      "not joined yet).\n"
      "# TYPE kontor_websockets gauge\n"
      "kontor_websockets{role=\"any\"} %u\n"
      "kontor_websockets{role=\"none\"} %u\n"
      "kontor_websockets{role=\"seeker\"} %u\n"
      "kontor_websockets{role=\"caseworker\"} %u\n"
      "kontor_websockets{role=\"interpreter\"} %u\n"
      "# HELP kontor_rooms Bookings with someone connected.\n"
      "# TYPE kontor_rooms gauge\n"
      "kontor_rooms %u\n"
      "# HELP kontor_meetings_in_progress Meetings running here: a caseworker in the room, or "
      "media.\n"
      "# TYPE kontor_meetings_in_progress gauge\n"
      "kontor_meetings_in_progress %u\n"
      "# HELP kontor_media_participants Participants with a media connection in the relay.\n"
      "# TYPE kontor_media_participants gauge\n"
      "kontor_media_participants %u\n",
      sockets, unjoined, seekers, caseworkers, interpreters, g_hash_table_size (server->rooms),
      ks_rooms_in_progress (server), media);
  /* Every socket that thinks it is in a room holds a seat there, and each
   * seat one socket: the two sums differ only if room state is corrupt
   * (the stateful protocol fuzzer checks this). */
  ks_rooms_count_seats (server, seats);
  g_string_append_printf (
      s,
      "# HELP kontor_room_seats Seats taken in rooms, by role (one per role and booking).\n"
      "# TYPE kontor_room_seats gauge\n"
      "kontor_room_seats{role=\"seeker\"} %u\n"
      "kontor_room_seats{role=\"caseworker\"} %u\n"
      "kontor_room_seats{role=\"interpreter\"} %u\n"
      "# HELP kontor_websockets_in_room Open WebSockets that are in a room (equals the seats taken).\n"
      "# TYPE kontor_websockets_in_room gauge\n"
      "kontor_websockets_in_room %u\n",
      seats[0], seats[1], seats[2], in_room);
  g_string_append_printf (
      s,
      "# HELP kontor_media_bitrate_kbps Sum over participants of the relay's last measured bitrate.\n"
      "# TYPE kontor_media_bitrate_kbps gauge\n"
      "kontor_media_bitrate_kbps{direction=\"in\"} %.1f\n"
      "kontor_media_bitrate_kbps{direction=\"out\"} %.1f\n"
      "# HELP kontor_media_loss_ratio Mean incoming packet loss over participants (last interval).\n"
      "# TYPE kontor_media_loss_ratio gauge\n"
      "kontor_media_loss_ratio %.4f\n",
      in_kbps, out_kbps, with_stats ? loss / with_stats : 0.0);
  KbStoreStats db;
  kb_store_stats (server->store, &db);
  g_string_append_printf (
      s,
      "# HELP kontor_db_connections_up Database connections open and ready, of kontor_db_connections.\n"
      "# TYPE kontor_db_connections_up gauge\n"
      "kontor_db_connections_up %u\n"
      "# HELP kontor_db_connections Database connections configured ([database] pool_size).\n"
      "# TYPE kontor_db_connections gauge\n"
      "kontor_db_connections %u\n"
      "# HELP kontor_db_available 0 while the database is unreachable (requests get 503 db_unavailable).\n"
      "# TYPE kontor_db_available gauge\n"
      "kontor_db_available %u\n"
      "# HELP kontor_db_waiting Queries waiting for a free connection ([database] max_waiting).\n"
      "# TYPE kontor_db_waiting gauge\n"
      "kontor_db_waiting %u\n"
      "# HELP kontor_db_refused_total Queries answered without a result, by reason (busy, db_unavailable).\n"
      "# TYPE kontor_db_refused_total counter\n"
      "kontor_db_refused_total{reason=\"busy\"} %" G_GUINT64_FORMAT "\n"
      "kontor_db_refused_total{reason=\"db_unavailable\"} %" G_GUINT64_FORMAT "\n"
      "# HELP kontor_db_reconnects_total Database connections opened again after a loss.\n"
      "# TYPE kontor_db_reconnects_total counter\n"
      "kontor_db_reconnects_total %" G_GUINT64_FORMAT "\n",
      db.up, db.connections, db.available ? 1u : 0u, db.waiting, db.refused_busy,
      db.refused_unavailable, db.reconnects);
  write_query_timings (s, server->store);
  ks_stats_write (server, s);
  ks_respond_text (r, 200, "text/plain; version=0.0.4; charset=utf-8", g_string_free (s, FALSE));
}
