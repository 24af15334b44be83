/* stats.c — what this node counted since it started, for /metrics
 * (metrics.c writes it out with the live figures): join refusals by code,
 * bookings made, moved and cancelled, HTTP answers and how long they took,
 * and what the relay carried.  Every label value comes from a fixed set (the
 * codes below, the route table's paths, the roles): never a path as sent, a
 * name, a contact or a token.  Counters only grow; main thread only. */

#include "signaling/ks-server.h"

#include <string.h>

/* The codes a join is refused with (docs/protocol.md, "join"); any other
 * is counted as "other", so the label set stays this one. */
static const gchar *const join_codes[] = {
  "no_booking",  "cancelled",    "too_early", "too_late",       "completed", "draining",
  "not_started", "rate_limited", "busy",      "db_unavailable", "internal",  "other",
};
#define N_JOIN_CODES G_N_ELEMENTS (join_codes)

/* Upper bounds of the HTTP histograms, seconds: most answers take one or
 * two database round trips; a log-in's argon2id takes a few hundred ms. */
static const gdouble http_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25,  0.5,    1,     2.5,  5,     10 };
#define N_HTTP_BOUNDS G_N_ELEMENTS (http_bounds)

typedef struct {
  guint64 counts[N_HTTP_BOUNDS + 1]; /* per bucket; the last above all */
  guint64 count;
  gdouble sum;
} Histogram;

struct _KsStats {
  guint64 join_refused[N_JOIN_CODES];
  guint64 bookings[KS_N_BOOKING_EVENTS];
  GTree *http; /* the series' labels (route, method, status) → Histogram */
  guint64 bytes_in, bytes_out, packets_in, lost_in;
};

static gint
compare_labels (gconstpointer a, gconstpointer b, gpointer unused)
{
  return strcmp (a, b);
}

static KsStats *
stats_of (KsServer *server)
{
  if (!server->stats) {
    server->stats = g_new0 (KsStats, 1);
    server->stats->http = g_tree_new_full (compare_labels, NULL, g_free, g_free);
  }
  return server->stats;
}

void
ks_stats_free (KsStats *stats)
{
  if (!stats)
    return;
  g_tree_destroy (stats->http);
  g_free (stats);
}

void
ks_stats_join_refused (KsServer *server, const gchar *code)
{
  guint i = 0;
  while (i < N_JOIN_CODES - 1 && g_strcmp0 (code, join_codes[i]) != 0)
    i++;
  stats_of (server)->join_refused[i]++;
}

void
ks_stats_booking (KsServer *server, KsBookingEvent event)
{
  g_return_if_fail (event < KS_N_BOOKING_EVENTS);
  stats_of (server)->bookings[event]++;
}

void
ks_stats_http (KsServer *server, const gchar *route, const gchar *method, guint status,
               gint64 started_us)
{
  KsStats *st = stats_of (server);
  gdouble s = MAX (0, g_get_monotonic_time () - started_us) / (gdouble) G_USEC_PER_SEC;
  g_autofree gchar *labels =
      g_strdup_printf ("route=\"%s\",method=\"%s\",status=\"%uxx\"", route ? route : "other",
                       method ? method : "other", CLAMP (status / 100, 1, 5));
  Histogram *h = g_tree_lookup (st->http, labels);
  if (!h) {
    h = g_new0 (Histogram, 1);
    g_tree_insert (st->http, g_steal_pointer (&labels), h);
  }
  guint b = 0;
  while (b < N_HTTP_BOUNDS && s > http_bounds[b])
    b++;
  h->counts[b]++;
  h->count++;
  h->sum += s;
}

/* Only what grew since the last report: a figure that went back (a new
 * transport) adds nothing, so the totals never fall. */
static guint64
grown (guint64 now, guint64 before)
{
  return now > before ? now - before : 0;
}

void
ks_stats_media (KsServer *server, const KmStats *before, const KmStats *now)
{
  KsStats *st = stats_of (server);
  static const KmStats zero;
  if (!before)
    before = &zero;
  st->bytes_in += grown (now->bytes_in, before->bytes_in);
  st->bytes_out += grown (now->bytes_out, before->bytes_out);
  st->packets_in += grown (now->packets_in, before->packets_in);
  st->lost_in += grown (now->lost_in, before->lost_in);
}

/* ---- the text format ----------------------------------------------------- */

void
ks_stats_write_histogram (GString *out, const gchar *name, const gchar *labels,
                          const gdouble *bounds, guint n_bounds, const guint64 *counts,
                          guint64 count, gdouble sum)
{
  const gchar *sep = labels && *labels ? "," : "";
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 cumulative = 0;
  labels = labels ? labels : "";
  for (guint i = 0; i < n_bounds; i++) {
    cumulative += counts[i];
    g_string_append_printf (out, "%s_bucket{%s%sle=\"%s\"} %" G_GUINT64_FORMAT "\n", name, labels,
                            sep, g_ascii_formatd (num, sizeof num, "%g", bounds[i]), cumulative);
  }
  g_string_append_printf (out, "%s_bucket{%s%sle=\"+Inf\"} %" G_GUINT64_FORMAT "\n", name, labels,
                          sep, count);
  g_string_append_printf (out, "%s_sum{%s} %s\n", name, labels,
                          g_ascii_formatd (num, sizeof num, "%.9g", sum));
  g_string_append_printf (out, "%s_count{%s} %" G_GUINT64_FORMAT "\n", name, labels, count);
}

static gboolean
write_http (gpointer key, gpointer value, gpointer out)
{
  const Histogram *h = value;
  ks_stats_write_histogram (out, "kontor_http_request_duration_seconds", key, http_bounds,
                            N_HTTP_BOUNDS, h->counts, h->count, h->sum);
  return FALSE;
}

void
ks_stats_write (KsServer *server, GString *out)
{
  KsStats *st = stats_of (server);

  g_string_append (out, "# HELP kontor_join_refusals_total Joins refused, by the error code "
                        "sent (other: a code not listed in docs/api.md).\n"
                        "# TYPE kontor_join_refusals_total counter\n");
  for (guint i = 0; i < N_JOIN_CODES; i++)
    g_string_append_printf (out, "kontor_join_refusals_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            join_codes[i], st->join_refused[i]);
  g_string_append_printf (
      out,
      "# HELP kontor_bookings_made_total Bookings made through this node's API.\n"
      "# TYPE kontor_bookings_made_total counter\n"
      "kontor_bookings_made_total %" G_GUINT64_FORMAT "\n"
      "# HELP kontor_bookings_moved_total Bookings moved by their link through this node.\n"
      "# TYPE kontor_bookings_moved_total counter\n"
      "kontor_bookings_moved_total %" G_GUINT64_FORMAT "\n"
      "# HELP kontor_bookings_cancelled_total Bookings cancelled through this node, by who: "
      "the job seeker (link) or a caseworker.\n"
      "# TYPE kontor_bookings_cancelled_total counter\n"
      "kontor_bookings_cancelled_total{by=\"seeker\"} %" G_GUINT64_FORMAT "\n"
      "kontor_bookings_cancelled_total{by=\"caseworker\"} %" G_GUINT64_FORMAT "\n",
      st->bookings[KS_BOOKING_MADE], st->bookings[KS_BOOKING_MOVED],
      st->bookings[KS_BOOKING_CANCELLED_BY_SEEKER],
      st->bookings[KS_BOOKING_CANCELLED_BY_CASEWORKER]);
  g_string_append_printf (
      out,
      "# HELP kontor_media_relayed_bytes_total Bytes the relay received from participants (in) "
      "and sent to them (out), counted at each stats report.\n"
      "# TYPE kontor_media_relayed_bytes_total counter\n"
      "kontor_media_relayed_bytes_total{direction=\"in\"} %" G_GUINT64_FORMAT "\n"
      "kontor_media_relayed_bytes_total{direction=\"out\"} %" G_GUINT64_FORMAT "\n"
      "# HELP kontor_media_packets_received_total RTP packets the relay received from "
      "participants.\n"
      "# TYPE kontor_media_packets_received_total counter\n"
      "kontor_media_packets_received_total %" G_GUINT64_FORMAT "\n"
      "# HELP kontor_media_packets_lost_total RTP packets from participants lost on the way "
      "(sequence gaps); the loss ratio is its rate over lost plus received.\n"
      "# TYPE kontor_media_packets_lost_total counter\n"
      "kontor_media_packets_lost_total %" G_GUINT64_FORMAT "\n",
      st->bytes_in, st->bytes_out, st->packets_in, st->lost_in);
  g_string_append (out, "# HELP kontor_http_request_duration_seconds API answers, from the "
                        "request's headers to the answer written, by route (the route table's "
                        "path, or other), method and status class.\n"
                        "# TYPE kontor_http_request_duration_seconds histogram\n");
  g_tree_foreach (st->http, write_http, out);
}
