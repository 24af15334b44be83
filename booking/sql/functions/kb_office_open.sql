-- kb_office_open: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002.
CREATE OR REPLACE FUNCTION public.kb_office_open(p_office bigint, p_from date, p_to date)
 RETURNS tstzmultirange
 LANGUAGE sql
 STABLE
AS $function$
  -- On the night the clocks go forward, a wall-clock time in the skipped
  -- hour becomes the instant an hour later (02:30 Europe/Oslo is 03:30):
  -- an interval that opens inside it and closes less than an hour later
  -- (02:30-03:15) would end before it starts, and tstzrange raises an
  -- error that made every slot search, booking and hours change near that
  -- day fail.  Such an interval is empty that night instead.
  SELECT coalesce(range_agg(tstzrange(i.opens, greatest(i.opens, i.closes))),
                  '{}'::tstzmultirange)
    FROM offices o
   CROSS JOIN LATERAL (SELECT g::date AS day
                         FROM generate_series(p_from, p_to, interval '1 day') g) d
   CROSS JOIN LATERAL (
          SELECT sh.opens_at, sh.closes_at
            FROM special_days sd JOIN special_hours sh ON sh.special_day_id = sd.id
           WHERE sd.office_id = o.id AND sd.days @> d.day
          UNION ALL
          SELECT oh.opens_at, oh.closes_at
            FROM opening_hours oh
           WHERE oh.office_id = o.id AND oh.weekday = extract(isodow FROM d.day)
             AND NOT EXISTS (SELECT 1 FROM special_days sd
                              WHERE sd.office_id = o.id AND sd.days @> d.day)) h
   CROSS JOIN LATERAL (SELECT (d.day + h.opens_at) AT TIME ZONE o.time_zone AS opens,
                              (d.day + h.closes_at) AT TIME ZONE o.time_zone AS closes) i
   WHERE o.id = p_office
$function$
;
COMMENT ON FUNCTION kb_office_open(bigint,date,date) IS 'Opening intervals of an office over a range of its local dates (special days replace weekly hours) as one multirange of instants.';
