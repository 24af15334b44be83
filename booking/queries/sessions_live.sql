-- Which of many sessions are still live, for the sockets that opened with
-- them: $1 = text[] of the SHA-256 of each secret, in hex; $2 = now (µs).
-- Returns the 1-based positions of those whose session is unexpired and
-- whose caseworker is active.
SELECT t.i AS position
  FROM unnest($1::text[]) WITH ORDINALITY AS t (hash, i)
  JOIN sessions s ON s.token_hash = decode(t.hash, 'hex')
  JOIN caseworkers c ON c.id = s.caseworker_id
 WHERE s.expires_at > kb_ts($2) AND c.active
