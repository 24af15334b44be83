-- Every office, by name (public: the booking page offers them).
SELECT o.id, o.name, o.time_zone, o.address, array_to_string(o.languages, ',') AS languages
  FROM offices o
 ORDER BY o.name, o.id
