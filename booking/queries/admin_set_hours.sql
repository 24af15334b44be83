-- $1 actor, $2 now (µs), $3 office, $4 weekdays int[], $5 opens time[],
-- $6 closes time[].  id = number of future bookings now in conflict.
SELECT kb_admin_set_hours($1, kb_ts($2), $3, $4::integer[], $5::time[], $6::time[]) AS id
