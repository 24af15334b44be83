-- Free slots.  $1 = now (µs), $2 = service, $3 = office (NULL: all),
-- $4 = caseworker (NULL: any), $5 = language (NULL: any), $6/$7 = local
-- dates, inclusive.
SELECT f.office_id, kb_us(f.starts_at) AS starts_us, kb_us(f.ends_at) AS ends_us,
       array_to_string(f.caseworker_ids, ',') AS caseworker_ids
  FROM kb_free_slots(kb_ts($1), $2, $3, $4, $5, $6::date, $7::date) f
