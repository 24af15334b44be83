-- An active caseworker for login, with the password hash to verify.
-- $1 = e-mail (any case).
SELECT c.id, c.name, c.email, c.office_id, o.name AS office_name,
       o.time_zone AS office_tz, c.is_admin, c.password_hash
  FROM caseworkers c
  JOIN offices o ON o.id = c.office_id
 WHERE lower(c.email) = lower($1::text) AND c.active
