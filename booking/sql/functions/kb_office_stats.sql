-- kb_office_stats: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002.
CREATE OR REPLACE FUNCTION public.kb_office_stats(p_office bigint, p_from date, p_to date)
 RETURNS TABLE(day date, booked bigint, completed bigint, cancelled bigint, no_show bigint, not_admitted bigint, wait_median_s double precision, wait_p90_s double precision, booked_share double precision)
 LANGUAGE sql
 STABLE
AS $function$
  WITH o AS (SELECT time_zone AS tz FROM offices WHERE id = p_office),
  days AS (SELECT g::date AS day FROM generate_series(p_from, p_to, interval '1 day') g),
  b AS (
    SELECT bk.*, (lower(bk.during) AT TIME ZONE o.tz)::date AS day,
           extract(epoch FROM bk.admitted_at - bk.checked_in_at)::double precision AS wait_s
      FROM bookings bk JOIN caseworkers c ON c.id = bk.caseworker_id, o
     WHERE c.office_id = p_office
       AND lower(bk.during) >= (p_from::timestamp AT TIME ZONE o.tz)
       AND lower(bk.during) < ((p_to + 1)::timestamp AT TIME ZONE o.tz)),
  capacity AS (
    SELECT d.day,
           (SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0)
              FROM unnest(kb_office_open(p_office, d.day, d.day)) r)
           * (SELECT count(*) FROM caseworkers WHERE office_id = p_office AND active) AS open_s
      FROM days d)
  SELECT d.day,
         count(b.id) FILTER (WHERE b.status <> 'cancelled'),
         count(b.id) FILTER (WHERE b.status = 'completed'),
         count(b.id) FILTER (WHERE b.status = 'cancelled'),
         count(b.id) FILTER (WHERE b.status = 'no_show'),
         count(b.id) FILTER (WHERE b.status = 'not_admitted'),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY b.wait_s) FILTER (WHERE b.wait_s IS NOT NULL),
         percentile_cont(0.9) WITHIN GROUP (ORDER BY b.wait_s) FILTER (WHERE b.wait_s IS NOT NULL),
         CASE WHEN max(cap.open_s) > 0 THEN
           coalesce(sum(extract(epoch FROM upper(b.during) - lower(b.during)))
                      FILTER (WHERE b.status <> 'cancelled'), 0) / max(cap.open_s)
         END
    FROM days d
    JOIN capacity cap ON cap.day = d.day
    LEFT JOIN b ON b.day = d.day
   GROUP BY d.day
   ORDER BY d.day
$function$
;
COMMENT ON FUNCTION kb_office_stats(bigint,date,date) IS 'Visit volumes per local day of an office: outcomes, wait median/p90, booked share of opening time.';
