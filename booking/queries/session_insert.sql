-- A new login session.  $1 = SHA-256 of the secret, $2 = caseworker id,
-- $3 = now (µs), $4 = lifetime in seconds.
INSERT INTO sessions (token_hash, caseworker_id, created_at, expires_at)
VALUES ($1, $2, kb_ts($3), kb_ts($3) + make_interval(secs => $4::int))
