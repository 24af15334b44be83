-- Every office, by name (public: the booking page offers them), with the
-- languages its active caseworkers speak.
SELECT o.id, o.name, o.time_zone, o.address, array_to_string(o.languages, ',') AS languages,
       (SELECT string_agg(DISTINCT l, ',' ORDER BY l)
          FROM caseworkers c, unnest(c.languages) l
         WHERE c.office_id = o.id AND c.active) AS caseworker_languages
  FROM offices o
 ORDER BY o.name, o.id
