-- no_show / not_admitted for overdue bookings.  $1 = now (µs).
SELECT kb_close_overdue(kb_ts($1)) AS n
