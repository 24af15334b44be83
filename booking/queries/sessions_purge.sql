-- Forget expired sessions.  $1 = now (µs).
DELETE FROM sessions WHERE expires_at <= kb_ts($1)
