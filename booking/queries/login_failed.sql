-- A failed log-in, audited: for an account that exists, under its id; for
-- an e-mail nobody has, with no one (what was typed is not kept: it may be
-- a password typed into the wrong field).  $1 = caseworker id or NULL,
-- $2 = now (µs).
INSERT INTO audit_log (at, caseworker_id, action) VALUES (kb_ts($2), $1, 'login_failed')
