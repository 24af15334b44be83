-- kb_calendar_feed_renew: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: none.
CREATE OR REPLACE FUNCTION public.kb_calendar_feed_renew(p_caseworker bigint, p_now timestamp with time zone, p_token_hash bytea)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM caseworkers WHERE id = p_caseworker AND active) THEN
    RAISE EXCEPTION 'no such caseworker' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  IF p_token_hash IS NULL THEN
    DELETE FROM calendar_feeds WHERE caseworker_id = p_caseworker;
  ELSE
    INSERT INTO calendar_feeds (caseworker_id, token_hash, created_at)
    VALUES (p_caseworker, p_token_hash, p_now)
    ON CONFLICT (caseworker_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at;
  END IF;
  PERFORM kb_audit(p_now, p_caseworker, 'calendar_feed', NULL,
                   jsonb_build_object('revoked', p_token_hash IS NULL));
  RETURN p_caseworker;
END $function$
;
COMMENT ON FUNCTION kb_calendar_feed_renew(bigint,timestamp with time zone,bytea) IS 'A caseworker''s calendar feed: a new secret (its hash) replaces the old one, or NULL revokes it (audited).';
