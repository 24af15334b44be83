-- The heartbeat (signaling/hosts.c): renews the leases of the meetings
-- whose rooms are open on this node, with their job seekers' presence.
-- $1 = this node, $2 = bigint[] booking ids, $3 = boolean[] job seeker
-- present (same order), $4 = lease in seconds.  A row that went missing
-- (a release racing a new claim) is put back; a row another node holds
-- with a live lease is not touched.  Returns the booking ids this node
-- holds afterwards, each with its booking's status: a meeting not among
-- them is lost to another node, and one whose booking has ended (the sweep,
-- a cancel, another node) closes its room here.
INSERT INTO meeting_hosts AS h (booking_id, node, lease_until, seeker_present)
SELECT t.id, $1, now() + make_interval(secs => $4), t.present
  FROM unnest($2::bigint[], $3::boolean[]) AS t (id, present)
  JOIN bookings b ON b.id = t.id
ON CONFLICT (booking_id) DO UPDATE
   SET node = EXCLUDED.node,
       lease_until = EXCLUDED.lease_until,
       seeker_present = EXCLUDED.seeker_present
 WHERE h.node = EXCLUDED.node OR h.lease_until < now()
RETURNING booking_id, (SELECT b2.status::text FROM bookings b2 WHERE b2.id = h.booking_id) AS status
