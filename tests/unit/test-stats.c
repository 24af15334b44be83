/* test-stats.c — the counters behind /metrics (signaling/stats.c): the
 * relayed totals only grow, whatever the reports say; a code outside the
 * list counts as "other"; an HTTP histogram's buckets are cumulative and
 * end in +Inf = _count. */
#include "signaling/ks-server.h"

#include <string.h>

/* The value of the sample line that starts with `series ` in text. */
static gdouble
sample (const gchar *text, const gchar *series)
{
  g_autofree gchar *needle = g_strconcat ("\n", series, " ", NULL);
  const gchar *p = strstr (text, needle);
  g_assert_nonnull (p);
  return g_ascii_strtod (p + strlen (needle), NULL);
}

static gchar *
scrape (KsServer *server)
{
  GString *s = g_string_new ("\n");
  ks_stats_write (server, s);
  return g_string_free (s, FALSE);
}

static void
test_relayed_totals_only_grow (void)
{
  KsServer server = { 0 };
  KmStats a = { .bytes_in = 1000, .bytes_out = 3000, .packets_in = 10, .lost_in = 1 };
  KmStats b = { .bytes_in = 1500, .bytes_out = 3100, .packets_in = 15, .lost_in = 3 };
  /* A new transport starts its figures again: nothing is taken back. */
  KmStats c = { .bytes_in = 200, .bytes_out = 100, .packets_in = 2, .lost_in = 0 };
  KmStats d = { .bytes_in = 700, .bytes_out = 400, .packets_in = 9, .lost_in = 1 };

  ks_stats_media (&server, NULL, &a);
  ks_stats_media (&server, &a, &b);
  ks_stats_media (&server, &b, &c);
  ks_stats_media (&server, &c, &d);
  /* A second participant's first report. */
  ks_stats_media (&server, NULL, &a);

  g_autofree gchar *text = scrape (&server);
  g_assert_cmpfloat (sample (text, "kontor_media_relayed_bytes_total{direction=\"in\"}"), ==,
                     1500 + 500 + 1000);
  g_assert_cmpfloat (sample (text, "kontor_media_relayed_bytes_total{direction=\"out\"}"), ==,
                     3100 + 300 + 3000);
  g_assert_cmpfloat (sample (text, "kontor_media_packets_received_total"), ==, 15 + 7 + 10);
  g_assert_cmpfloat (sample (text, "kontor_media_packets_lost_total"), ==, 3 + 1 + 1);
  ks_stats_free (server.stats);
}

static void
test_join_codes_bounded (void)
{
  KsServer server = { 0 };
  ks_stats_join_refused (&server, "too_early");
  ks_stats_join_refused (&server, "too_early");
  ks_stats_join_refused (&server, "anything a future code may be");
  ks_stats_join_refused (&server, NULL);

  g_autofree gchar *text = scrape (&server);
  g_assert_cmpfloat (sample (text, "kontor_join_refusals_total{code=\"too_early\"}"), ==, 2);
  g_assert_cmpfloat (sample (text, "kontor_join_refusals_total{code=\"other\"}"), ==, 2);
  g_assert_null (strstr (text, "future"));
  ks_stats_free (server.stats);
}

static void
test_http_histogram_whole (void)
{
  KsServer server = { 0 };
  gint64 now = g_get_monotonic_time ();
  ks_stats_http (&server, "/api/v1/config", "GET", 200, now);
  ks_stats_http (&server, "/api/v1/config", "GET", 204, now - 3 * G_USEC_PER_SEC);
  ks_stats_http (&server, "/api/v1/config", "GET", 200, now - 60 * G_USEC_PER_SEC);
  ks_stats_http (&server, NULL, "POST", 404, now);

  g_autofree gchar *text = scrape (&server);
  const gchar *cfg = "route=\"/api/v1/config\",method=\"GET\",status=\"2xx\"";
  g_autofree gchar *b1 =
      g_strdup_printf ("kontor_http_request_duration_seconds_bucket{%s,le=\"1\"}", cfg);
  g_autofree gchar *b5 =
      g_strdup_printf ("kontor_http_request_duration_seconds_bucket{%s,le=\"5\"}", cfg);
  g_autofree gchar *inf =
      g_strdup_printf ("kontor_http_request_duration_seconds_bucket{%s,le=\"+Inf\"}", cfg);
  g_autofree gchar *count = g_strdup_printf ("kontor_http_request_duration_seconds_count{%s}", cfg);
  g_autofree gchar *sum = g_strdup_printf ("kontor_http_request_duration_seconds_sum{%s}", cfg);
  g_assert_cmpfloat (sample (text, b1), ==, 1);
  g_assert_cmpfloat (sample (text, b5), ==, 2);
  g_assert_cmpfloat (sample (text, inf), ==, 3);
  g_assert_cmpfloat (sample (text, count), ==, 3);
  g_assert_cmpfloat (sample (text, sum), >=, 63);
  g_assert_cmpfloat (sample (text,
                             "kontor_http_request_duration_seconds_count{route=\"other\",method="
                             "\"POST\",status=\"4xx\"}"),
                     ==, 1);
  ks_stats_free (server.stats);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats/relayed-totals-only-grow", test_relayed_totals_only_grow);
  g_test_add_func ("/stats/join-codes-bounded", test_join_codes_bounded);
  g_test_add_func ("/stats/http-histogram-whole", test_http_histogram_whole);
  return g_test_run ();
}
