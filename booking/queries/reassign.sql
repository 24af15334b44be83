-- $1 now (µs), $2 booking, $3 to caseworker (NULL: least-loaded free),
-- $4 actor.
SELECT kb_reassign(kb_ts($1), $2, $3, $4) AS id
