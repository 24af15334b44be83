-- $1 caseworker, $2 now (µs), $3 SHA-256 of the new feed secret, or NULL
-- to revoke the feed.
SELECT kb_calendar_feed_renew($1, kb_ts($2), $3) AS id
