-- An office's weekly hours.  $1 = office.
SELECT weekday, to_char(opens_at, 'HH24:MI') AS opens, to_char(closes_at, 'HH24:MI') AS closes
  FROM opening_hours
 WHERE office_id = $1
 ORDER BY weekday, opens_at
