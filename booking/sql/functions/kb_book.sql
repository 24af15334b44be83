-- kb_book: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002, 003, 011.
CREATE OR REPLACE FUNCTION public.kb_book(p_now timestamp with time zone, p_service bigint, p_office bigint, p_caseworker bigint, p_start timestamp with time zone, p_reference text, p_token_hash bytea, p_kiosk_hash text, p_name text, p_contact text, p_language text, p_interpreter boolean)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF kb_off_grid(p_office, p_service, p_start) THEN
    RAISE EXCEPTION 'not one of the offered times' USING ERRCODE = 'check_violation', DETAIL = 'not_a_slot';
  END IF;
  RETURN kb_book_unchecked(p_now, p_service, p_office, p_caseworker, p_start, p_reference,
                           p_token_hash, p_kiosk_hash, p_name, p_contact, p_language, p_interpreter);
END $function$
;
COMMENT ON FUNCTION kb_book(timestamp with time zone,bigint,bigint,bigint,timestamp with time zone,text,bytea,text,text,text,text,boolean) IS 'Books an offered slot (not_a_slot otherwise) for a named or the least-loaded free caseworker (kb_book_unchecked).';
