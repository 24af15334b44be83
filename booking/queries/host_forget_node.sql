-- A node starts: whatever rows carry its name are from its previous life
-- (a crash leaves them behind), and no meeting of theirs runs here now.
-- $1 = this node.
DELETE FROM meeting_hosts WHERE node = $1
