-- A node takes the lease on a meeting (migration 015): $1 = booking id,
-- $2 = this node's name, $3 = lease in seconds.  It gets it when nobody
-- holds it, when it holds it already, or when the holder's lease has run
-- out (the holder died).  Returns one row: the holder afterwards (this node
-- when it got it) and how many ms the holder's lease still runs.  No row:
-- another node took it at this very moment; ask again.
WITH taken AS (
  INSERT INTO meeting_hosts (booking_id, node, lease_until)
  VALUES ($1, $2, now() + make_interval(secs => $3))
  ON CONFLICT (booking_id) DO UPDATE
     SET node = EXCLUDED.node,
         lease_until = EXCLUDED.lease_until,
         claimed_at = CASE WHEN meeting_hosts.node = EXCLUDED.node
                           THEN meeting_hosts.claimed_at ELSE now() END,
         seeker_present = meeting_hosts.seeker_present AND meeting_hosts.node = EXCLUDED.node
   WHERE meeting_hosts.node = EXCLUDED.node OR meeting_hosts.lease_until < now()
  RETURNING node)
SELECT node AS holder, 0::bigint AS remaining_ms FROM taken
UNION ALL
SELECT h.node, greatest(0, ceil(extract(epoch FROM h.lease_until - now()) * 1000))::bigint
  FROM meeting_hosts h
 WHERE h.booking_id = $1 AND NOT EXISTS (SELECT 1 FROM taken)
