-- A node takes up to $3 messages that are due (migration 016): $1 = node,
-- $2 = now (µs, the server clock), $3 = how many, $4 = seconds the claim
-- holds.  A message another node claimed and never finished (it died while
-- sending) is due again once that claim has run out.  Returns what making
-- the message needs: the message, the booking as booking_view shows it,
-- where it goes and the sealed link token.
WITH due AS (
  SELECT o.id FROM outbox o
   WHERE (o.status = 'pending' AND o.next_attempt_at <= kb_ts($2))
      OR (o.status = 'sending' AND o.claimed_until < now())
   ORDER BY o.next_attempt_at, o.id
   LIMIT $3
   FOR UPDATE SKIP LOCKED),
claimed AS (
  UPDATE outbox o
     SET status = 'sending', claimed_by = $1,
         claimed_until = now() + make_interval(secs => $4),
         attempts = o.attempts + 1,
         give_up_at = coalesce(o.give_up_at, kb_ts($2) + make_interval(mins =>
           coalesce((SELECT value::integer FROM settings WHERE key = 'notify_give_up_minutes'), 1440)))
    FROM due WHERE o.id = due.id
  RETURNING o.id, o.booking_id, o.kind, o.channel, o.message_id, o.attempts, o.give_up_at)
SELECT c.id AS outbox_id, c.kind, c.channel, c.message_id, c.attempts,
       kb_us(c.give_up_at) AS give_up_us, b.contact_to,
       encode(b.token_sealed, 'hex') AS token_sealed, v.*
  FROM claimed c
  JOIN bookings b ON b.id = c.booking_id
  JOIN booking_view v ON v.id = c.booking_id
