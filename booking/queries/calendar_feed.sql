-- A caseworker's calendar feed: $1 = SHA-256 of the secret in its URL,
-- $2 = now (µs), $3 = days back.  One row per meeting of theirs that ends
-- after now minus those days (cancelled ones too, to be shown cancelled),
-- at most 2,000; and a row with a NULL id when there are none, so that an
-- empty feed is told apart from an unknown one (no row).  Only what the
-- feed shows: never the job seeker's name or contact.
SELECT x.id, x.reference, x.service_name, x.status, x.sequence, x.starts_us, x.ends_us
  FROM calendar_feeds f
  JOIN caseworkers c ON c.id = f.caseworker_id AND c.active
  LEFT JOIN LATERAL (
    SELECT b.id, b.reference, s.name AS service_name, b.status::text AS status, b.sequence,
           kb_us(lower(b.during)) AS starts_us, kb_us(upper(b.during)) AS ends_us
      FROM bookings b JOIN services s ON s.id = b.service_id
     WHERE b.caseworker_id = f.caseworker_id
       AND upper(b.during) > kb_ts($2) - make_interval(days => $3::integer)
     ORDER BY lower(b.during), b.id
     LIMIT 2000) x ON true
 WHERE f.token_hash = $1
