-- 017_notify_links_feeds.sql — the rest of issue 16: a resent message
-- points at the message it replaces (administrators resend failed ones),
-- and a caseworker's calendar feed (a secret URL whose token is stored
-- hashed, like sessions).  The functions these use are in
-- sql/functions/ (kb_resend_link, kb_admin_resend_message,
-- kb_calendar_feed_renew).

BEGIN;
INSERT INTO schema_version (version, name) VALUES (17, '017_notify_links_feeds');

ALTER TABLE outbox ADD COLUMN resent_as bigint REFERENCES outbox ON DELETE SET NULL;
COMMENT ON COLUMN outbox.resent_as IS 'The message an administrator queued to replace this failed one (NULL: not resent).';

CREATE TABLE calendar_feeds (
  caseworker_id bigint PRIMARY KEY REFERENCES caseworkers ON DELETE CASCADE,
  token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at    timestamptz NOT NULL
);
COMMENT ON TABLE calendar_feeds IS 'A caseworker''s secret calendar feed (GET /api/v1/feed/TOKEN.ics): one at most; a new one replaces (revokes) the old.';
COMMENT ON COLUMN calendar_feeds.caseworker_id IS 'Whose meetings the feed shows.';
COMMENT ON COLUMN calendar_feeds.token_hash IS 'SHA-256 of the secret in the feed''s URL (the secret itself is never stored).';
COMMENT ON COLUMN calendar_feeds.created_at IS 'When this feed URL was made (server clock).';
COMMIT;
