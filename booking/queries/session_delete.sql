-- Logout.  $1 = SHA-256 of the secret.
DELETE FROM sessions WHERE token_hash = $1
