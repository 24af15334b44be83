-- kb_slot_grid: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 011.
CREATE OR REPLACE FUNCTION public.kb_slot_grid(p_open tstzmultirange, p_tz text, p_from date, p_to date, p_dur interval, p_step interval)
 RETURNS SETOF timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
  SELECT t.t0
    FROM generate_series(0, p_to - p_from) i,
         LATERAL (SELECT tstzrange((p_from + i)::timestamp AT TIME ZONE p_tz,
                                   (p_from + i + 1)::timestamp AT TIME ZONE p_tz) AS day) d,
         LATERAL unnest(p_open) r,
         LATERAL generate_series(greatest(lower(r), lower(d.day)), upper(r) - p_dur, p_step) t(t0)
   WHERE r && d.day AND t.t0 < upper(d.day)
$function$
;
COMMENT ON FUNCTION kb_slot_grid(tstzmultirange,text,date,date,interval,interval) IS 'Slot starts of local dates: from each opening interval''s start (or local midnight when it runs on from the day before) every duration + buffer.';
