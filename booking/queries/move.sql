-- Move by link (kb_move).  $1 = now (µs), $2 = token hash, $3 = new start (µs).
SELECT m.outcome, m.booking_id FROM kb_move(kb_ts($1), $2, kb_ts($3)) m
