-- A meeting's room closed on this node: $1 = booking id, $2 = this node.
DELETE FROM meeting_hosts WHERE booking_id = $1 AND node = $2
