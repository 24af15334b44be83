-- The sweep: no_show / not_admitted for overdue bookings, personal data
-- past its retention blanked (sql/007_retention.sql), audit rows past
-- theirs removed (sql/014_roles_and_audit.sql).  $1 = now (µs).  n counts
-- status changes only: those are what open queues must show.
SELECT kb_close_overdue(kb_ts($1)) AS n, kb_forget_personal_data(kb_ts($1)) AS forgotten,
       kb_purge_audit(kb_ts($1)) AS purged
