-- Statistics per local day.  $1 = office, $2/$3 = local dates, inclusive.
SELECT s.day::text AS day, s.booked, s.completed, s.cancelled, s.no_show,
       s.not_admitted, s.wait_median_s, s.wait_p90_s, s.booked_share
  FROM kb_office_stats($1, $2::date, $3::date) s
