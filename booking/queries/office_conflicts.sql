-- Future bookings of an office that break today's rules.  $1 = office,
-- $2 = now (µs).  The problem travels in the cancel_reason column.
SELECT v.id, v.reference, v.token_hash, v.seeker_name, v.seeker_contact,
       v.service_name, v.language, v.caseworker_id, v.caseworker_name,
       v.office_id, v.office_name, v.office_tz, v.starts_us, v.ends_us,
       v.join_before_s, v.join_after_s, v.status, v.checked_in_us,
       v.admitted_us, v.ended_us, v.sequence, v.interpreter, v.service_id,
       v.office_address, v.created_us, v.cancelled_us,
       c.problem AS cancel_reason
  FROM kb_office_conflicts($1, kb_ts($2)) c
  JOIN booking_view v ON v.id = c.booking_id
 ORDER BY v.starts_us, v.id
