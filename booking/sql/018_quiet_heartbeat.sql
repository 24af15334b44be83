-- 018_quiet_heartbeat.sql — a heartbeat that changes nothing announces
-- nothing (found by the 10,000-socket benchmark, tests/bench/README.md).
-- The heartbeat (host_renew.sql) writes every open room's seeker_present
-- every lease/3 seconds; the trigger of migration 015 fired on every such
-- UPDATE, so every node re-read the queue of every caseworker with an open
-- room every two seconds.  Now an update notifies only when the job
-- seeker's presence or the hosting node really changed.

BEGIN;
INSERT INTO schema_version (version, name) VALUES (18, '018_quiet_heartbeat');

DROP TRIGGER meeting_hosts_queue_notify ON meeting_hosts;
CREATE TRIGGER meeting_hosts_queue_notify
  AFTER INSERT OR DELETE ON meeting_hosts
  FOR EACH ROW EXECUTE FUNCTION kb_queue_notify ();
CREATE TRIGGER meeting_hosts_queue_notify_change
  AFTER UPDATE OF seeker_present, node ON meeting_hosts
  FOR EACH ROW
  WHEN (OLD.seeker_present IS DISTINCT FROM NEW.seeker_present OR OLD.node IS DISTINCT FROM NEW.node)
  EXECUTE FUNCTION kb_queue_notify ();
COMMIT;
