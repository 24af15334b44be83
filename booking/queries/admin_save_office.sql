-- $1 actor, $2 now (µs), $3 office id (NULL: new), $4 name, $5 zone,
-- $6 address, $7 languages (text[]).
SELECT kb_admin_save_office($1, kb_ts($2), $3, $4, $5, $6, $7::text[]) AS id
