/* test-ratelimit.c — the rate limits' buckets (signaling/ratelimit.c): whose
 * tries count together, and whose apart. */
#include "signaling/ks-limits.h"

static KsServer *
server_with_limit (guint per_minute)
{
  static KsConfig config;
  static KsServer server;
  config.login_per_minute = config.book_per_minute = per_minute;
  config.link_per_minute = config.public_per_minute = per_minute;
  server.config = &config;
  return &server;
}

/* How many tries subject gets before the first refusal (at most 100). */
static guint
allowed (KsServer *s, KsRateAction action, const gchar *subject)
{
  guint n = 0;
  while (n < 100 && ks_rate_allow (s, action, subject))
    n++;
  return n;
}

static void
test_ipv6_by_64 (void)
{
  KsServer *s = server_with_limit (5);
  /* One host hops between the addresses of its /64: one allowance. */
  g_assert_cmpuint (allowed (s, KS_RATE_LOGIN, "2001:db8:1:2::1"), ==, 5);
  g_assert_false (ks_rate_allow (s, KS_RATE_LOGIN, "2001:db8:1:2::2"));
  g_assert_false (ks_rate_allow (s, KS_RATE_LOGIN, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
  /* The next /64 is someone else. */
  g_assert_cmpuint (allowed (s, KS_RATE_LOGIN, "2001:db8:1:3::1"), ==, 5);
  /* IPv4 stays per address, written either way. */
  g_assert_cmpuint (allowed (s, KS_RATE_LOGIN, "192.0.2.1"), ==, 5);
  g_assert_false (ks_rate_allow (s, KS_RATE_LOGIN, "::ffff:192.0.2.1"));
  g_assert_cmpuint (allowed (s, KS_RATE_LOGIN, "192.0.2.2"), ==, 5);
}

static void
test_reference_in_any_case (void)
{
  KsServer *s = server_with_limit (4);
  /* The lookup ignores case, so the allowance does too. */
  g_assert_cmpuint (allowed (s, KS_RATE_REFERENCE, "abc-def"), ==, 4);
  g_assert_false (ks_rate_allow (s, KS_RATE_REFERENCE, "ABC-DEF"));
  g_assert_false (ks_rate_allow (s, KS_RATE_REFERENCE, "Abc-Def"));
  g_assert_cmpuint (allowed (s, KS_RATE_REFERENCE, "ABC-DEG"), ==, 4);
}

static void
test_kinds_apart (void)
{
  KsServer *s = server_with_limit (3);
  /* A reference spelt like an address drains neither the address's link
   * lookups nor its log-ins. */
  g_assert_cmpuint (allowed (s, KS_RATE_REFERENCE, "198.51.100.7"), ==, 3);
  g_assert_cmpuint (allowed (s, KS_RATE_LINK, "198.51.100.7"), ==, 3);
  g_assert_cmpuint (allowed (s, KS_RATE_LOGIN, "198.51.100.7"), ==, 3);
  g_assert_cmpuint (allowed (s, KS_RATE_PUBLIC, "198.51.100.7"), ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ratelimit/ipv6-by-64", test_ipv6_by_64);
  g_test_add_func ("/ratelimit/reference-in-any-case", test_reference_in_any_case);
  g_test_add_func ("/ratelimit/kinds-apart", test_kinds_apart);
  return g_test_run ();
}
