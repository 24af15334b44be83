-- 015_meeting_hosts.sql — several kontor nodes on one database (issue 15).
--
-- A meeting's media lives on one node: the one that holds the meeting's
-- row here.  The row is a lease: the node renews lease_until every few
-- seconds while the meeting's room is open there, and deletes the row when
-- the room closes.  A node that dies stops renewing; once lease_until has
-- passed, another node may take the row over (signaling/hosts.c), and the
-- pages, which reconnect by themselves, meet again there.
--
-- seeker_present is the job seeker's live presence as the hosting node
-- sees it, so that a caseworker's queue on any node shows who is waiting.
-- Every change that a caseworker's queue shows (a booking made, moved,
-- cancelled, admitted; a job seeker arriving or leaving) is announced on
-- the channel kontor_queue with the caseworker's id as payload, and every
-- node LISTENs: no personal data travels in a notification.

BEGIN;
INSERT INTO schema_version (version, name) VALUES (15, '015_meeting_hosts');

CREATE TABLE meeting_hosts (
  booking_id bigint PRIMARY KEY REFERENCES bookings (id) ON DELETE CASCADE,
  node text NOT NULL CHECK (node ~ '^[A-Za-z0-9._:-]{1,64}$'),
  lease_until timestamptz NOT NULL,
  seeker_present boolean NOT NULL DEFAULT false,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_hosts_node ON meeting_hosts (node);
COMMENT ON COLUMN meeting_hosts.booking_id IS 'The meeting (its booking).';
COMMENT ON COLUMN meeting_hosts.node IS 'The node that hosts it: [cluster] node_name.';
COMMENT ON COLUMN meeting_hosts.lease_until IS 'Until when the node''s hold lasts unless renewed (the database''s clock); after it, another node may take the meeting.';
COMMENT ON COLUMN meeting_hosts.seeker_present IS 'Whether the job seeker is in the meeting''s room on that node now.';
COMMENT ON COLUMN meeting_hosts.claimed_at IS 'When this node took the meeting.';
COMMENT ON TABLE meeting_hosts IS 'Which node hosts each running meeting (a lease renewed by heartbeat), and whether its job seeker is there now.  Live state only: rows go when the meeting''s room closes.';

CREATE FUNCTION kb_queue_notify () RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  cw bigint;
BEGIN
  IF TG_TABLE_NAME = 'bookings' THEN
    IF TG_OP <> 'INSERT' THEN
      PERFORM pg_notify('kontor_queue', OLD.caseworker_id::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM pg_notify('kontor_queue', NEW.caseworker_id::text);
    END IF;
  ELSE
    SELECT caseworker_id INTO cw FROM bookings
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.booking_id ELSE NEW.booking_id END;
    IF cw IS NOT NULL THEN
      PERFORM pg_notify('kontor_queue', cw::text);
    END IF;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION kb_queue_notify () IS 'Tells every node (LISTEN kontor_queue) whose caseworker queue changed: the payload is a caseworker id, nothing else.';

CREATE TRIGGER bookings_queue_notify
  AFTER INSERT OR DELETE OR UPDATE OF status, during, caseworker_id, kiosk_locked_at,
    checked_in_at, admitted_at, ended_at ON bookings
  FOR EACH ROW EXECUTE FUNCTION kb_queue_notify ();
CREATE TRIGGER meeting_hosts_queue_notify
  AFTER INSERT OR DELETE OR UPDATE OF seeker_present ON meeting_hosts
  FOR EACH ROW EXECUTE FUNCTION kb_queue_notify ();
COMMIT;
