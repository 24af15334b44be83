-- $1 actor, $2 now (µs), $3 caseworker, $4 argon2id hash of the new password.
SELECT kb_admin_set_password($1, kb_ts($2), $3, $4) AS id
