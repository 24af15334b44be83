-- kb_admin_create_caseworker: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_create_caseworker(p_actor bigint, p_now timestamp with time zone, p_office bigint, p_name text, p_email text, p_password_hash text, p_is_admin boolean, p_languages text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, p_office);
  INSERT INTO caseworkers (office_id, name, email, password_hash, is_admin, languages)
  VALUES (p_office, p_name, p_email, p_password_hash, p_is_admin, coalesce(p_languages, '{nb}'))
  RETURNING id INTO v_id;
  PERFORM kb_audit(p_now, p_actor, 'create_caseworker', NULL,
                   jsonb_build_object('caseworker', v_id, 'email', p_email, 'is_admin', p_is_admin));
  RETURN v_id;
END $function$
;
COMMENT ON FUNCTION kb_admin_create_caseworker(bigint,timestamp with time zone,bigint,text,text,text,boolean,text[]) IS 'Administrator: add a caseworker to the office (audited).';
