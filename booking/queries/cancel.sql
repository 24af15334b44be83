-- Cancel (kb_cancel).  $1 = now (µs), $2 = token hash (NULL when a
-- caseworker cancels by id), $3 = booking id, $4 = caseworker, $5 = reason.
SELECT c.outcome, c.booking_id FROM kb_cancel(kb_ts($1), $2, $3, $4, $5) c
