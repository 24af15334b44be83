-- kb_admin_save_office: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_save_office(p_actor bigint, p_now timestamp with time zone, p_id bigint, p_name text, p_time_zone text, p_address text, p_languages text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, p_id);
  IF p_id IS NULL THEN
    INSERT INTO offices (name, time_zone, address, languages)
    VALUES (p_name, p_time_zone, coalesce(p_address, ''), coalesce(p_languages, '{nb}'))
    RETURNING id INTO v_id;
  ELSE
    UPDATE offices SET name = p_name, time_zone = p_time_zone,
                       address = coalesce(p_address, ''), languages = coalesce(p_languages, languages)
     WHERE id = p_id RETURNING id INTO v_id;
  END IF;
  PERFORM kb_audit(p_now, p_actor, 'save_office', NULL,
                   jsonb_build_object('office', v_id, 'name', p_name, 'time_zone', p_time_zone));
  RETURN v_id;
END $function$
;
COMMENT ON FUNCTION kb_admin_save_office(bigint,timestamp with time zone,bigint,text,text,text,text[]) IS 'Administrator: create or update an office (audited).';
