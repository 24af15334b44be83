-- A caseworker's bookings on one office-local date, in start order,
-- cancelled ones included (the queue shows them struck through); for
-- today (no date given) also the earlier ones still waiting or in a
-- meeting, which began before local midnight.
-- $1 = caseworker id, $2 = local date (NULL: the date that contains $3),
-- $3 = now (µs).  seeker_present_on: the node in whose room the job
-- seeker is now (migration 015), NULL when nowhere.
WITH day AS (
  SELECT coalesce($2::date, (kb_ts($3) AT TIME ZONE o.time_zone)::date) AS d,
         o.time_zone AS tz
    FROM caseworkers c JOIN offices o ON o.id = c.office_id
   WHERE c.id = $1)
SELECT v.*,
       (SELECT h.node FROM meeting_hosts h
         WHERE h.booking_id = v.id AND h.seeker_present
           AND h.lease_until > now()) AS seeker_present_on
  FROM booking_view v, day
 WHERE v.caseworker_id = $1
   AND ((v.starts_us >= kb_us(day.d::timestamp AT TIME ZONE day.tz)
         AND v.starts_us < kb_us((day.d + 1)::timestamp AT TIME ZONE day.tz))
        -- Today's queue also holds what is still going on from before
        -- local midnight: a job seeker waiting, a meeting in progress.
        OR ($2::date IS NULL AND v.status IN ('waiting', 'in_meeting')
            AND v.starts_us < kb_us(day.d::timestamp AT TIME ZONE day.tz)))
 ORDER BY v.starts_us, v.id
