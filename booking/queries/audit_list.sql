-- The audit log as an administrator reads it: what the staff of an office
-- did and what happened to its bookings, between two local dates of the
-- office (inclusive), optionally of one person.  $1 = the administrator
-- asking (active, is_admin: checked here too), $2 = office id, $3 =
-- caseworker id or NULL, $4 = from date, $5 = to date, $6 = at most this
-- many rows.  Oldest first.  No content of any meeting is in the log.
SELECT a.id, kb_us(a.at) AS at_us, a.caseworker_id, c.name AS caseworker_name, a.action,
       a.booking_id, a.details::text AS details
  FROM audit_log a
  JOIN offices o ON o.id = $2
  LEFT JOIN caseworkers c ON c.id = a.caseworker_id
  LEFT JOIN bookings b ON b.id = a.booking_id
  LEFT JOIN caseworkers owner ON owner.id = b.caseworker_id
 WHERE EXISTS (SELECT 1 FROM caseworkers WHERE id = $1 AND active AND is_admin)
   AND (c.office_id = $2 OR owner.office_id = $2)
   AND ($3::bigint IS NULL OR a.caseworker_id = $3::bigint)
   AND a.at >= ($4::date)::timestamp AT TIME ZONE o.time_zone
   AND a.at < ($5::date + 1)::timestamp AT TIME ZONE o.time_zone
 ORDER BY a.at, a.id
 LIMIT $6
