-- $1 actor, $2 now (µs), $3 caseworker, $4 from (µs), $5 to (µs), $6 reason.
SELECT kb_admin_add_absence($1, kb_ts($2), $3, kb_ts($4), kb_ts($5), $6) AS id
