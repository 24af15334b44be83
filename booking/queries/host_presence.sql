-- The job seeker came to or left the meeting hosted here: $1 = booking id,
-- $2 = this node, $3 = present.  Only a real change writes (and so tells
-- the caseworker's queue on every node, migration 015).
UPDATE meeting_hosts SET seeker_present = $3
 WHERE booking_id = $1 AND node = $2 AND seeker_present IS DISTINCT FROM $3
