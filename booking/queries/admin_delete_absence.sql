-- $1 actor, $2 now (µs), $3 absence.
SELECT kb_admin_delete_absence($1, kb_ts($2), $3) AS id
