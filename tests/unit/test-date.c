/* test-date.c — kb_date_parse(), the one reading of "YYYY-MM-DD" that
 * every date in the API goes through (slots, queue, audit): a real day
 * written exactly so, nothing else. */
#include "booking/booking.h"

static void
test_real_days (void)
{
  GDate d;
  g_assert_true (kb_date_parse ("2026-12-05", &d));
  g_assert_cmpuint (g_date_get_year (&d), ==, 2026);
  g_assert_cmpuint (g_date_get_month (&d), ==, 12);
  g_assert_cmpuint (g_date_get_day (&d), ==, 5);
  g_assert_true (kb_date_parse ("2028-02-29", NULL)); /* a leap day */
  g_assert_true (kb_date_parse ("2027-03-28", NULL)); /* the spring DST night */
}

static void
test_not_dates (void)
{
  const gchar *bad[] = {
    "2026-02-29", /* no leap day that year */
    "2026-13-01", "2026-00-10",  "2026-01-00", "2026-04-31", "2026-+1-01", /* sscanf would read the
                                                                              sign */
    "2026- 1-01", " 2026-1-01",  "2026-01-1 ", "+026-01-01", "-026-01-01", "2026/01/01",
    "20260101",   "2026-01-011", "2026-1-01",  "",           "abcd-ef-gh", "2026-01-01T00:00",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (kb_date_parse (bad[i], NULL));
  g_assert_false (kb_date_parse (NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/unit/date/real-days", test_real_days);
  g_test_add_func ("/unit/date/not-dates", test_not_dates);
  return g_test_run ();
}
