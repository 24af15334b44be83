-- How one attempt went (migration 016): $1 = message, $2 = handed over
-- (boolean), $3 = why not (no personal data), $4 = node, $5 = now (µs),
-- $6 = no use trying again (boolean).  A failure is tried again with
-- back-off (10 s doubling up to 5 min) until its give_up_at, then it is
-- failed, for administrators to see.  Only the claim's holder records.
WITH attempt AS (
  INSERT INTO outbox_attempts (outbox_id, node, ok, error)
  SELECT id, $4, $2, $3 FROM outbox WHERE id = $1 AND claimed_by = $4 AND status = 'sending')
UPDATE outbox
   SET status = CASE WHEN $2 THEN 'sent'::outbox_status
                     WHEN $6 OR kb_ts($5) >= give_up_at THEN 'failed'::outbox_status
                     ELSE 'pending'::outbox_status END,
       sent_at = CASE WHEN $2 THEN now() END,
       last_error = CASE WHEN $2 THEN NULL ELSE $3 END,
       next_attempt_at = kb_ts($5) + make_interval(secs => least(300, 10 * 2 ^ least(attempts - 1, 10))),
       claimed_by = NULL, claimed_until = NULL
 WHERE id = $1 AND claimed_by = $4 AND status = 'sending'
