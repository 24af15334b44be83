/* join.c — who may enter a meeting room, and when.  Pure: no I/O, so the
 * unit tests can walk every edge of the window. */
#include "kb-private.h"

/* The window is closed at both ends: at exactly starts_at - join_before the
 * door opens, at exactly starts_at + join_after a late job seeker still gets
 * in.  The next microsecond is too late. */
KbJoinVerdict
kb_join_decide (const KbBooking *booking, gint64 now, gint64 *opens_at)
{
  if (booking == NULL)
    return KB_JOIN_NO_BOOKING;

  switch (booking->status) {
  case KB_STATUS_BOOKED: {
    gint64 opens = booking->starts_at - (gint64) booking->join_before_s * G_USEC_PER_SEC;
    gint64 closes = booking->starts_at + (gint64) booking->join_after_s * G_USEC_PER_SEC;

    if (now < opens) {
      if (opens_at)
        *opens_at = opens;
      return KB_JOIN_TOO_EARLY;
    }
    if (now > closes)
      return KB_JOIN_TOO_LATE;
    return KB_JOIN_OK;
  }
  case KB_STATUS_WAITING:
    /* Checked in already: back to the waiting room (a reload) until the
     * booked time is over. */
    return now < booking->ends_at ? KB_JOIN_OK : KB_JOIN_TOO_LATE;
  case KB_STATUS_IN_MEETING:
    return KB_JOIN_REJOIN;
  case KB_STATUS_COMPLETED:
    return KB_JOIN_COMPLETED;
  case KB_STATUS_CANCELLED:
    return KB_JOIN_CANCELLED;
  case KB_STATUS_NO_SHOW:
  case KB_STATUS_NOT_ADMITTED:
    return KB_JOIN_TOO_LATE;
  }
  return KB_JOIN_NO_BOOKING;
}
