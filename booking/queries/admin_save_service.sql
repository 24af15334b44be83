-- $1 actor, $2 now (µs), $3 service id (NULL: new), $4 name, $5 duration,
-- $6 buffer, $7 notice (min), $8 horizon (days), $9 join before (min),
-- $10 join after (min), $11 languages text[], $12 interpreter allowed.
SELECT kb_admin_save_service($1, kb_ts($2), $3, $4, $5, $6, $7, $8, $9, $10, $11::text[], $12) AS id
