-- $1 actor, $2 now (µs), $3 office, $4 first date, $5 last date, $6 reason,
-- $7 opens time[], $8 closes time[] (empty: closed).
SELECT kb_admin_add_special_day($1, kb_ts($2), $3, $4::date, $5::date, $6, $7::time[], $8::time[]) AS id
