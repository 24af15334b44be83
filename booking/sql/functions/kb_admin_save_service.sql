-- kb_admin_save_service: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_save_service(p_actor bigint, p_now timestamp with time zone, p_id bigint, p_name text, p_duration integer, p_buffer integer, p_notice integer, p_horizon integer, p_join_before integer, p_join_after integer, p_languages text[], p_interpreter boolean)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, NULL);
  IF p_id IS NULL THEN
    INSERT INTO services (name, duration_min, buffer_min, notice_min, horizon_days,
                          join_before_min, join_after_min, languages, interpreter_allowed)
    VALUES (p_name, p_duration, p_buffer, p_notice, p_horizon, p_join_before, p_join_after,
            coalesce(p_languages, '{}'), p_interpreter)
    RETURNING id INTO v_id;
  ELSE
    UPDATE services
       SET name = p_name, duration_min = p_duration, buffer_min = p_buffer,
           notice_min = p_notice, horizon_days = p_horizon, join_before_min = p_join_before,
           join_after_min = p_join_after, languages = coalesce(p_languages, '{}'),
           interpreter_allowed = p_interpreter
     WHERE id = p_id RETURNING id INTO v_id;
    -- An unknown id changed nothing: say so, and audit nothing.
    IF v_id IS NULL THEN
      RAISE EXCEPTION 'no such service' USING ERRCODE = 'check_violation', DETAIL = 'no_service';
    END IF;
  END IF;
  PERFORM kb_audit(p_now, p_actor, 'save_service', NULL,
                   jsonb_build_object('service', v_id, 'name', p_name, 'duration', p_duration,
                                      'buffer', p_buffer));
  RETURN v_id;
END $function$
;
COMMENT ON FUNCTION kb_admin_save_service(bigint,timestamp with time zone,bigint,text,integer,integer,integer,integer,integer,integer,text[],boolean) IS 'Administrator: create or update a service (audited).';
