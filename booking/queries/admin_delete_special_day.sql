-- $1 actor, $2 now (µs), $3 special day id.
SELECT kb_admin_delete_special_day($1, kb_ts($2), $3) AS id
