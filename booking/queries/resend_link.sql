-- "I lost my link" (issue 16): queues the link again when the reference
-- and the contact match a live booking.  $1 = now (µs), $2 = reference,
-- $3 = contact as typed.  queued says whether it did: never to be told
-- to the asker.
SELECT kb_resend_link(kb_ts($1), $2, $3) AS queued
