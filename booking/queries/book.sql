-- Book (sql/002_rules.sql kb_book).  $1 = now (µs), $2 = service,
-- $3 = office, $4 = caseworker (NULL: any), $5 = start (µs), $6 = reference,
-- $7 = token hash, $8 = kiosk code hash, $9 = name, $10 = contact,
-- $11 = language, $12 = interpreter.
SELECT kb_book(kb_ts($1), $2, $3, $4, kb_ts($5), $6, $7, $8, $9, $10, $11, $12) AS id
