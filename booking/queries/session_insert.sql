-- A new login session, audited.  $1 = SHA-256 of the secret, $2 =
-- caseworker id, $3 = now (µs), $4 = lifetime in seconds.
WITH s AS (
  INSERT INTO sessions (token_hash, caseworker_id, created_at, expires_at)
  VALUES ($1, $2, kb_ts($3), kb_ts($3) + make_interval(secs => $4::int))
  RETURNING caseworker_id)
INSERT INTO audit_log (at, caseworker_id, action)
SELECT kb_ts($3), caseworker_id, 'login' FROM s
