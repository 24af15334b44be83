-- $1 actor, $2 now (µs), $3 caseworker, $4 active.
SELECT kb_admin_set_active($1, kb_ts($2), $3, $4) AS id
