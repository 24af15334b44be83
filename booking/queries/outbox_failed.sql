-- Messages about an office's bookings that could not be sent: given up on
-- (failed, not yet resent) or still being retried after a failure.  $1 =
-- office, $2 = at most this many rows.  Newest first.  No contact: what
-- the administrator needs is the booking's reference and the error.
SELECT o.id, o.booking_id, b.reference, o.kind, o.channel, o.status::text AS status, o.attempts,
       o.last_error, kb_us(o.created_at) AS created_us, kb_us(o.give_up_at) AS give_up_us,
       (SELECT kb_us(max(a.at)) FROM outbox_attempts a WHERE a.outbox_id = o.id) AS last_attempt_us
  FROM outbox o
  JOIN bookings b ON b.id = o.booking_id
  JOIN caseworkers c ON c.id = b.caseworker_id
 WHERE c.office_id = $1 AND o.resent_as IS NULL
   AND (o.status = 'failed' OR (o.status = 'pending' AND o.attempts > 0))
 ORDER BY o.created_at DESC, o.id DESC
 LIMIT $2
