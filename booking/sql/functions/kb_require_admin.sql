-- kb_require_admin: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003, 006.
CREATE OR REPLACE FUNCTION public.kb_require_admin(p_actor bigint, p_office bigint)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM caseworkers
                  WHERE id = p_actor AND active AND is_admin) THEN
    RAISE EXCEPTION 'an administrator is required'
      USING ERRCODE = 'insufficient_privilege', DETAIL = 'forbidden';
  END IF;
  -- p_office still names the office concerned: it must exist.
  IF p_office IS NOT NULL AND NOT EXISTS (SELECT 1 FROM offices WHERE id = p_office) THEN
    RAISE EXCEPTION 'no office %', p_office
      USING ERRCODE = 'check_violation', DETAIL = 'no_office';
  END IF;
END $function$
;
COMMENT ON FUNCTION kb_require_admin(bigint,bigint) IS 'Raises 42501 unless the actor is an active administrator; raises no_office if the office named does not exist.';
