-- booked → waiting when the job seeker enters inside the join window (the
-- window itself was decided in C, booking/join.c).  $1 = booking id,
-- $2 = now (µs).  No row back: someone changed the status first.
UPDATE bookings
   SET status = 'waiting', checked_in_at = kb_ts($2), status_changed_at = kb_ts($2)
 WHERE id = $1 AND status = 'booked'
RETURNING id
