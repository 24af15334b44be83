-- Book (kb_book_sealed, then kb_book in sql/functions/).  $1 = now (µs),
-- $2 = service, $3 = office, $4 = caseworker (NULL: any), $5 = start (µs),
-- $6 = reference, $7 = token hash, $8 = kiosk code hash, $9 = name,
-- $10 = contact, $11 = language, $12 = interpreter, $13 = the token sealed
-- with the server key (bytea; NULL without a key: messages carry no link).
SELECT kb_book_sealed(kb_ts($1), $2, $3, $4, kb_ts($5), $6, $7, $8, $9, $10, $11, $12, $13) AS id
