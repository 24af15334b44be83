-- kb_off_grid: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 011.
CREATE OR REPLACE FUNCTION public.kb_off_grid(p_office bigint, p_service bigint, p_start timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  SELECT h.open @> tstzrange(p_start, p_start + make_interval(mins => s.duration_min))
         AND NOT EXISTS (
           SELECT 1
             FROM kb_slot_grid(h.open, o.time_zone, x.day, x.day,
                               make_interval(mins => s.duration_min),
                               make_interval(mins => s.duration_min + s.buffer_min)) g(t0)
            WHERE g.t0 = p_start)
    FROM offices o, services s,
         LATERAL (SELECT (p_start AT TIME ZONE o.time_zone)::date AS day) x,
         LATERAL (SELECT kb_office_open(o.id, x.day - 1, x.day + 1) AS open) h
   WHERE o.id = p_office AND s.id = p_service
$function$
;
COMMENT ON FUNCTION kb_off_grid(bigint,bigint,timestamp with time zone) IS 'Whether a start inside the opening hours is between the offered slot starts (kb_slot_grid).';
