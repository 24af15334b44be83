-- $1 actor, $2 now (µs), $3 office, $4 name, $5 e-mail, $6 argon2id hash,
-- $7 is_admin, $8 languages text[].
SELECT kb_admin_create_caseworker($1, kb_ts($2), $3, $4, $5, $6, $7, $8::text[]) AS id
