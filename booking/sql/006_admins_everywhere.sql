-- 006_admins_everywhere.sql — an administrator administers every office.
--
-- 003 limited administrators to their own office.  That left a new office
-- without anyone allowed to give it hours, services or caseworkers: the
-- administrator who created it could not set it up.  Administrators set up
-- the service as a whole (issue "Web front-end": "an administrator sets up
-- a new office in minutes"); caseworkers stay limited to their own office.

BEGIN;

INSERT INTO schema_version (version, name) VALUES (6, '006_admins_everywhere');

CREATE OR REPLACE FUNCTION kb_require_admin (p_actor bigint, p_office bigint) RETURNS void
  LANGUAGE plpgsql STABLE AS $$
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
END $$;
COMMENT ON FUNCTION kb_require_admin (bigint, bigint) IS 'Raises 42501 unless the actor is an active administrator; raises no_office if the office named does not exist.';

COMMIT;
