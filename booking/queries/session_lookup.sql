-- The active caseworker behind a live session.  $1 = SHA-256 of the
-- secret, $2 = now (µs).
SELECT c.id, c.name, c.email, c.office_id, o.name AS office_name,
       o.time_zone AS office_tz, c.is_admin
  FROM sessions s
  JOIN caseworkers c ON c.id = s.caseworker_id
  JOIN offices o ON o.id = c.office_id
 WHERE s.token_hash = $1 AND s.expires_at > kb_ts($2) AND c.active
