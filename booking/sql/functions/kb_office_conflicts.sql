-- kb_office_conflicts: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002.
CREATE OR REPLACE FUNCTION public.kb_office_conflicts(p_office bigint, p_now timestamp with time zone)
 RETURNS TABLE(booking_id bigint, problem text)
 LANGUAGE sql
 STABLE
AS $function$
  SELECT b.id, kb_booking_problem(b.caseworker_id, b.service_id, b.during, NULL)
    FROM bookings b JOIN caseworkers c ON c.id = b.caseworker_id
   WHERE c.office_id = p_office AND b.status = 'booked' AND lower(b.during) > p_now
     AND kb_booking_problem(b.caseworker_id, b.service_id, b.during, NULL) IS NOT NULL
   ORDER BY lower(b.during), b.id
$function$
;
COMMENT ON FUNCTION kb_office_conflicts(bigint,timestamp with time zone) IS 'Future booked meetings of an office that break the current hours, closures, absences or caseworker status.';
