-- kb_book_sealed: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: none (migration 016).
-- kb_book, and the link token sealed with the server's key stored with the
-- booking in the same transaction: the confirmation queued by the insert
-- (migration 016) can then carry the link.
CREATE OR REPLACE FUNCTION public.kb_book_sealed(p_now timestamp with time zone, p_service bigint, p_office bigint, p_caseworker bigint, p_start timestamp with time zone, p_reference text, p_token_hash bytea, p_kiosk_hash text, p_name text, p_contact text, p_language text, p_interpreter boolean, p_token_sealed bytea)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  new_id bigint;
BEGIN
  new_id := kb_book(p_now, p_service, p_office, p_caseworker, p_start, p_reference, p_token_hash,
                    p_kiosk_hash, p_name, p_contact, p_language, p_interpreter);
  IF p_token_sealed IS NOT NULL THEN
    UPDATE bookings SET token_sealed = p_token_sealed WHERE id = new_id;
  END IF;
  RETURN new_id;
END $function$
;
COMMENT ON FUNCTION kb_book_sealed(timestamp with time zone,bigint,bigint,bigint,timestamp with time zone,text,bytea,text,text,text,text,boolean,bytea) IS 'kb_book, storing the link token sealed with the server key in the same transaction.';
