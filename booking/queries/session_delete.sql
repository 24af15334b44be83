-- Logout, audited.  $1 = SHA-256 of the secret, $2 = now (µs).
WITH s AS (
  DELETE FROM sessions WHERE token_hash = $1 RETURNING caseworker_id)
INSERT INTO audit_log (at, caseworker_id, action)
SELECT kb_ts($2), caseworker_id, 'logout' FROM s
