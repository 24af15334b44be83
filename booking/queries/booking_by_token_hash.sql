-- The booking behind a link token.  $1 = SHA-256 of the token (bytea).
SELECT v.* FROM booking_view v WHERE v.token_hash = $1
