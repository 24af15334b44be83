-- Absences of an office's caseworkers that have not ended yet, by start.
-- $1 = office, $2 = now (µs).
SELECT a.id, a.caseworker_id, kb_us(lower(a.during)) AS from_us,
       kb_us(upper(a.during)) AS to_us, a.reason
  FROM absences a
  JOIN caseworkers c ON c.id = a.caseworker_id
 WHERE c.office_id = $1 AND upper(a.during) > kb_ts($2)
 ORDER BY lower(a.during), a.id
