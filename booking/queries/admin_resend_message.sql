-- $1 actor, $2 now (µs), $3 the failed message (outbox id).
SELECT kb_admin_resend_message($1, kb_ts($2), $3) AS id
