-- $1 actor, $2 now (µs), $3 caseworker, $4 office, $5 name, $6 is_admin,
-- $7 languages text[] (NULL keeps them).
SELECT kb_admin_update_caseworker($1, kb_ts($2), $3, $4, $5, $6, $7::text[]) AS id
