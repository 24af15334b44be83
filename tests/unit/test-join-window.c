/* test-join-window.c — kb_join_decide() for every verdict, at the edges:
 * the window includes its opening and closing instants. */
#include "booking/booking.h"

#define MIN_US ((gint64) 60 * G_USEC_PER_SEC)

static const gint64 start = (gint64) 1790000000 * G_USEC_PER_SEC;

static KbBooking
booking (KbStatus status)
{
  KbBooking b = { 0 };

  b.id = 1;
  b.status = status;
  b.starts_at = start;
  b.ends_at = start + 30 * MIN_US;
  b.join_before_s = 10 * 60;
  b.join_after_s = 15 * 60;
  return b;
}

static void
test_no_booking (void)
{
  gint64 opens = -1;

  g_assert_cmpint (kb_join_decide (NULL, start, &opens), ==, KB_JOIN_NO_BOOKING);
  g_assert_cmpint (opens, ==, -1);
  g_assert_cmpstr (kb_join_verdict_code (KB_JOIN_NO_BOOKING), ==, "no_booking");
}

static void
test_booked (void)
{
  KbBooking b = booking (KB_STATUS_BOOKED);
  gint64 opens = 0;

  g_assert_cmpint (kb_join_decide (&b, start - 10 * MIN_US - 1, &opens), ==, KB_JOIN_TOO_EARLY);
  g_assert_cmpint (opens, ==, start - 10 * MIN_US);
  g_assert_cmpint (kb_join_decide (&b, start - 60 * MIN_US, NULL), ==, KB_JOIN_TOO_EARLY);
  g_assert_cmpstr (kb_join_verdict_code (KB_JOIN_TOO_EARLY), ==, "too_early");

  g_assert_cmpint (kb_join_decide (&b, start - 10 * MIN_US, NULL), ==, KB_JOIN_OK); /* opens */
  g_assert_cmpint (kb_join_decide (&b, start, NULL), ==, KB_JOIN_OK);
  g_assert_cmpint (kb_join_decide (&b, start + 15 * MIN_US, NULL), ==, KB_JOIN_OK); /* closes */
  g_assert_null (kb_join_verdict_code (KB_JOIN_OK));

  g_assert_cmpint (kb_join_decide (&b, start + 15 * MIN_US + 1, NULL), ==, KB_JOIN_TOO_LATE);
  g_assert_cmpstr (kb_join_verdict_code (KB_JOIN_TOO_LATE), ==, "too_late");

  /* A per-service window. */
  b.join_before_s = 0;
  b.join_after_s = 0;
  g_assert_cmpint (kb_join_decide (&b, start - 1, NULL), ==, KB_JOIN_TOO_EARLY);
  g_assert_cmpint (kb_join_decide (&b, start, NULL), ==, KB_JOIN_OK);
  g_assert_cmpint (kb_join_decide (&b, start + 1, NULL), ==, KB_JOIN_TOO_LATE);
}

static void
test_waiting (void)
{
  KbBooking b = booking (KB_STATUS_WAITING);

  /* Back to the waiting room after the late-entry window, until the end. */
  g_assert_cmpint (kb_join_decide (&b, start + 20 * MIN_US, NULL), ==, KB_JOIN_OK);
  g_assert_cmpint (kb_join_decide (&b, start + 30 * MIN_US - 1, NULL), ==, KB_JOIN_OK);
  g_assert_cmpint (kb_join_decide (&b, start + 30 * MIN_US, NULL), ==, KB_JOIN_TOO_LATE);
}

static void
test_other_states (void)
{
  KbBooking b = booking (KB_STATUS_IN_MEETING);

  /* Rejoin whenever, even long after the booked end: the caseworker ends it. */
  g_assert_cmpint (kb_join_decide (&b, start + 90 * MIN_US, NULL), ==, KB_JOIN_REJOIN);
  g_assert_null (kb_join_verdict_code (KB_JOIN_REJOIN));

  b.status = KB_STATUS_COMPLETED;
  g_assert_cmpint (kb_join_decide (&b, start, NULL), ==, KB_JOIN_COMPLETED);
  g_assert_cmpstr (kb_join_verdict_code (KB_JOIN_COMPLETED), ==, "completed");

  b.status = KB_STATUS_CANCELLED;
  g_assert_cmpint (kb_join_decide (&b, start, NULL), ==, KB_JOIN_CANCELLED);
  g_assert_cmpstr (kb_join_verdict_code (KB_JOIN_CANCELLED), ==, "cancelled");

  b.status = KB_STATUS_NO_SHOW;
  g_assert_cmpint (kb_join_decide (&b, start, NULL), ==, KB_JOIN_TOO_LATE);
  b.status = KB_STATUS_NOT_ADMITTED;
  g_assert_cmpint (kb_join_decide (&b, start, NULL), ==, KB_JOIN_TOO_LATE);
}

static void
test_status_names (void)
{
  for (KbStatus s = KB_STATUS_BOOKED; s <= KB_STATUS_NOT_ADMITTED; s++) {
    KbStatus back;

    g_assert_true (kb_status_from_string (kb_status_to_string (s), &back));
    g_assert_cmpint (back, ==, s);
  }
  g_assert_cmpstr (kb_status_to_string (KB_STATUS_IN_MEETING), ==, "in_meeting");
  g_assert_false (kb_status_from_string ("admitted", NULL));
  g_assert_false (kb_status_from_string (NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/unit/join/no-booking", test_no_booking);
  g_test_add_func ("/unit/join/booked", test_booked);
  g_test_add_func ("/unit/join/waiting", test_waiting);
  g_test_add_func ("/unit/join/other-states", test_other_states);
  g_test_add_func ("/unit/join/status-names", test_status_names);
  return g_test_run ();
}
