-- The caseworkers of an office, by name.  $1 = office.
SELECT c.id, c.name, c.email, c.office_id, o.name AS office_name, o.time_zone AS office_tz,
       c.is_admin, c.active, array_to_string(c.languages, ',') AS languages
  FROM caseworkers c JOIN offices o ON o.id = c.office_id
 WHERE c.office_id = $1
 ORDER BY c.name, c.id
