-- An office's closures and special days, by first date; hours as
-- "HH:MM-HH:MM" separated by commas (empty: closed).  $1 = office.
SELECT d.id, lower(d.days)::text AS first_date, (upper(d.days) - 1)::text AS last_date,
       d.reason,
       coalesce(string_agg(to_char(h.opens_at, 'HH24:MI') || '-' || to_char(h.closes_at, 'HH24:MI'),
                           ',' ORDER BY h.opens_at), '') AS hours
  FROM special_days d
  LEFT JOIN special_hours h ON h.special_day_id = d.id
 WHERE d.office_id = $1
 GROUP BY d.id
 ORDER BY lower(d.days), d.id
