-- 016_notifications.sql — messages to the job seeker (issue 16): a
-- confirmation when they book, a change when the time, caseworker or
-- service changes, a cancellation, and reminders before the meeting, by
-- e-mail or SMS to the contact they gave.
--
-- The outbox is written by triggers on bookings, so a message is queued in
-- the same transaction as the change that causes it, whichever path made
-- the change (API, caseworker, administrator, direct SQL).  Any node sends
-- (booking/outbox.c claims rows with FOR UPDATE SKIP LOCKED); each attempt
-- is recorded.  A message's text is never stored: it is made from the
-- booking when it is sent, and again for a resend.  Its Message-ID is
-- stored before the first attempt, so a message sent twice (a node killed
-- between sending and recording) carries the same Message-ID both times.

BEGIN;
INSERT INTO schema_version (version, name) VALUES (16, '016_notifications');

-- ---- where messages go ----------------------------------------------------

ALTER TABLE offices ADD COLUMN phone_country text NOT NULL DEFAULT '47'
  CHECK (phone_country ~ '^[1-9][0-9]{0,2}$');
COMMENT ON COLUMN offices.phone_country IS 'Country calling code (digits, e.g. 47) for phone numbers given without one.';
UPDATE offices SET phone_country = CASE time_zone
  WHEN 'Europe/Stockholm' THEN '46' WHEN 'Europe/Copenhagen' THEN '45'
  WHEN 'Europe/Helsinki' THEN '358' WHEN 'Atlantic/Reykjavik' THEN '354' ELSE '47' END;

-- An e-mail address, or a phone number as E.164 (+ and 8-15 digits), or
-- NULL: neither (no message can go there).  country: the calling code for
-- a number without one (a national trunk 0 is dropped).
CREATE FUNCTION kb_contact_address (contact text, country text, OUT kind text, OUT address text)
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  c text := btrim(coalesce(contact, ''));
  digits text;
BEGIN
  -- Permissive on the local part; never a space, control character, or
  -- <>,;" (which could smuggle a second recipient or a header).
  IF c ~ '^[^@[:space:][:cntrl:]<>,;"]+@[^@[:space:][:cntrl:]<>,;":]+\.[^@[:space:][:cntrl:]<>,;":.]+$'
     AND length(c) <= 254 THEN
    kind := 'email';
    address := c;
    RETURN;
  END IF;
  IF c !~ '^(\+|00)?[0-9 ().-]+$' THEN
    RETURN;
  END IF;
  digits := regexp_replace(c, '[^0-9+]', '', 'g');
  IF digits LIKE '00%' THEN
    digits := '+' || substr(digits, 3);
  ELSIF digits NOT LIKE '+%' THEN
    digits := '+' || country || regexp_replace(digits, '^0', '');
  END IF;
  IF digits ~ '^\+[1-9][0-9]{7,14}$' THEN
    kind := 'phone';
    address := digits;
  END IF;
END $$;
COMMENT ON FUNCTION kb_contact_address (text, text) IS 'Tells a contact apart as an e-mail address or a phone number (E.164, with the country code given for numbers without one); NULLs when it is neither.';

ALTER TABLE bookings
  ADD COLUMN contact_kind text CHECK (contact_kind IN ('email', 'phone')),
  ADD COLUMN contact_to text,
  ADD COLUMN token_sealed bytea,
  ADD CONSTRAINT bookings_contact_to CHECK ((contact_kind IS NULL) = (contact_to IS NULL));
COMMENT ON COLUMN bookings.contact_kind IS 'What seeker_contact is: email, phone, or NULL (none, or not recognisable: no messages).';
COMMENT ON COLUMN bookings.contact_to IS 'Where messages go: the e-mail address, or the phone number in E.164.  Blanked with the contact at retention.';
COMMENT ON COLUMN bookings.token_sealed IS 'The link token sealed with the server''s key (libsodium secretbox: nonce then ciphertext), so that reminders carry the same link; blanked at retention.';

UPDATE bookings b SET contact_kind = a.kind, contact_to = a.address
  FROM (SELECT x.id, k.kind, k.address
          FROM bookings x
          JOIN caseworkers c ON c.id = x.caseworker_id
          JOIN offices o ON o.id = c.office_id,
               LATERAL kb_contact_address(x.seeker_contact, o.phone_country) k
         WHERE x.forgotten_at IS NULL) a
 WHERE a.id = b.id;

-- Every new contact is told apart; one that is neither (and not empty) is
-- refused with a clear reason, and loses nothing else.
CREATE FUNCTION kb_bookings_contact () RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  a record;
BEGIN
  SELECT k.kind, k.address INTO a
    FROM caseworkers c JOIN offices o ON o.id = c.office_id,
         LATERAL kb_contact_address(NEW.seeker_contact, o.phone_country) k
   WHERE c.id = NEW.caseworker_id;
  IF a.kind IS NULL AND btrim(NEW.seeker_contact) <> '' AND TG_OP = 'INSERT' THEN
    RAISE EXCEPTION 'the contact is neither an e-mail address nor a phone number'
      USING ERRCODE = 'check_violation', DETAIL = 'bad_contact';
  END IF;
  NEW.contact_kind := a.kind;
  NEW.contact_to := a.address;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION kb_bookings_contact () IS 'Sets contact_kind and contact_to from seeker_contact; refuses a new booking whose contact is neither an e-mail address nor a phone number.';
CREATE TRIGGER bookings_contact BEFORE INSERT OR UPDATE OF seeker_contact, caseworker_id ON bookings
  FOR EACH ROW EXECUTE FUNCTION kb_bookings_contact ();

-- ---- the outbox ------------------------------------------------------------

INSERT INTO settings VALUES
  ('notify_reminder_minutes', '1440,60'),
  ('notify_give_up_minutes', '1440'),
  ('notify_domain', 'kontor.invalid');

CREATE TYPE outbox_status AS ENUM ('pending', 'sending', 'sent', 'failed', 'cancelled');
COMMENT ON TYPE outbox_status IS 'A message: waiting (or waiting to be tried again), being sent by a node, sent, given up, or no longer wanted (a reminder of a cancelled or moved meeting).';

CREATE TABLE outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  booking_id      bigint NOT NULL REFERENCES bookings ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('confirmation', 'change', 'cancellation', 'reminder', 'link')),
  channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
  message_id      text NOT NULL UNIQUE,
  sequence        integer NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL,
  give_up_at      timestamptz,
  status          outbox_status NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  claimed_by      text,
  claimed_until   timestamptz,
  sent_at         timestamptz,
  last_error      text
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_booking ON outbox (booking_id);
COMMENT ON TABLE outbox IS 'Messages to job seekers, queued in the transaction of the change that causes them; no text is kept, only what is needed to make and track it.';
COMMENT ON COLUMN outbox.id IS 'Surrogate key.';
COMMENT ON COLUMN outbox.booking_id IS 'The booking the message is about (its text is made from it when sent).';
COMMENT ON COLUMN outbox.kind IS 'confirmation, change, cancellation, reminder, or link (the link again, asked for by the job seeker).';
COMMENT ON COLUMN outbox.channel IS 'email or sms: the contact''s kind when queued.';
COMMENT ON COLUMN outbox.message_id IS 'The e-mail Message-ID (also the SMS''s idempotency key), fixed before the first attempt.';
COMMENT ON COLUMN outbox.sequence IS 'The booking''s iCalendar SEQUENCE when queued.';
COMMENT ON COLUMN outbox.created_at IS 'When it was queued (database clock).';
COMMENT ON COLUMN outbox.next_attempt_at IS 'Not to be sent before this (server clock): -infinity for at once, the reminder''s time, or the next retry.';
COMMENT ON COLUMN outbox.give_up_at IS 'After this a failed attempt is the last (set at the first attempt; a reminder''s is the meeting''s start).';
COMMENT ON COLUMN outbox.status IS 'Where the message is.';
COMMENT ON COLUMN outbox.attempts IS 'Attempts so far.';
COMMENT ON COLUMN outbox.claimed_by IS 'The node sending it now (status sending).';
COMMENT ON COLUMN outbox.claimed_until IS 'Until when that claim holds; a node that died leaves it, and another takes the message then.';
COMMENT ON COLUMN outbox.sent_at IS 'When it was handed over to the mail server or SMS gateway.';
COMMENT ON COLUMN outbox.last_error IS 'The latest attempt''s failure, for administrators (no personal data).';

CREATE TABLE outbox_attempts (
  outbox_id bigint NOT NULL REFERENCES outbox ON DELETE CASCADE,
  at        timestamptz NOT NULL DEFAULT now(),
  node      text NOT NULL,
  ok        boolean NOT NULL,
  error     text
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (outbox_id);
COMMENT ON TABLE outbox_attempts IS 'Every attempt to send a message, and how it went.';
COMMENT ON COLUMN outbox_attempts.outbox_id IS 'The message.';
COMMENT ON COLUMN outbox_attempts.at IS 'When the attempt ended (database clock).';
COMMENT ON COLUMN outbox_attempts.node IS 'The node that tried.';
COMMENT ON COLUMN outbox_attempts.ok IS 'Handed over (true) or not.';
COMMENT ON COLUMN outbox_attempts.error IS 'Why not (the server''s answer, no personal data).';

-- Queue one message of kind for booking b, due at due.
CREATE FUNCTION kb_outbox_queue (b bookings, p_kind text, due timestamptz, give_up timestamptz)
  RETURNS void LANGUAGE sql AS $$
  INSERT INTO outbox (booking_id, kind, channel, message_id, sequence, next_attempt_at, give_up_at)
  SELECT b.id, p_kind, CASE b.contact_kind WHEN 'phone' THEN 'sms' ELSE 'email' END,
         '<' || gen_random_uuid() || '@' || coalesce((SELECT value FROM settings WHERE key = 'notify_domain'), 'kontor.invalid') || '>',
         b.sequence, due, give_up
$$;
COMMENT ON FUNCTION kb_outbox_queue (bookings, text, timestamptz, timestamptz) IS 'Queues one message about a booking, with its Message-ID fixed now.';

-- The reminders of booking b that are still ahead of p_from.
CREATE FUNCTION kb_outbox_reminders (b bookings, p_from timestamptz)
  RETURNS void LANGUAGE sql AS $$
  SELECT kb_outbox_queue(b, 'reminder', lower(b.during) - make_interval(mins => m), lower(b.during))
    FROM unnest(string_to_array((SELECT value FROM settings WHERE key = 'notify_reminder_minutes'), ',')::integer[]) AS m
   WHERE m > 0 AND lower(b.during) - make_interval(mins => m) > p_from
$$;
COMMENT ON FUNCTION kb_outbox_reminders (bookings, timestamptz) IS 'Queues the configured reminders of a booking that fall after p_from.';

CREATE FUNCTION kb_outbox_enqueue () RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.contact_kind IS NOT NULL AND NEW.status = 'booked' THEN
      PERFORM kb_outbox_queue(NEW, 'confirmation', '-infinity', NULL);
      PERFORM kb_outbox_reminders(NEW, NEW.created_at);
    END IF;
    RETURN NULL;
  END IF;
  IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
    UPDATE outbox SET status = 'cancelled'
     WHERE booking_id = NEW.id AND kind = 'reminder' AND status = 'pending';
    IF NEW.contact_kind IS NOT NULL THEN
      PERFORM kb_outbox_queue(NEW, 'cancellation', '-infinity', NULL);
    END IF;
  ELSIF NEW.status = 'booked' AND (NEW.during <> OLD.during OR NEW.caseworker_id <> OLD.caseworker_id
                                   OR NEW.service_id <> OLD.service_id) THEN
    UPDATE outbox SET status = 'cancelled'
     WHERE booking_id = NEW.id AND kind = 'reminder' AND status = 'pending';
    IF NEW.contact_kind IS NOT NULL THEN
      PERFORM kb_outbox_queue(NEW, 'change', '-infinity', NULL);
      PERFORM kb_outbox_reminders(NEW, coalesce(NEW.moved_at, NEW.created_at));
    END IF;
  ELSIF NEW.status NOT IN ('booked', 'waiting') AND OLD.status IN ('booked', 'waiting') THEN
    -- Over (ended, no-show): no reminder is wanted any more.
    UPDATE outbox SET status = 'cancelled'
     WHERE booking_id = NEW.id AND kind = 'reminder' AND status = 'pending';
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION kb_outbox_enqueue () IS 'Queues the job seeker''s messages in the transaction of the booking change that causes them.';
CREATE TRIGGER bookings_outbox AFTER INSERT OR UPDATE OF status, during, caseworker_id, service_id ON bookings
  FOR EACH ROW EXECUTE FUNCTION kb_outbox_enqueue ();

-- Tell the nodes there is something to send (the payload is nothing).
CREATE FUNCTION kb_outbox_notify () RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kontor_outbox', '');
  RETURN NULL;
END $$;
COMMENT ON FUNCTION kb_outbox_notify () IS 'Wakes the senders (LISTEN kontor_outbox) when a message is queued.';
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION kb_outbox_notify ();
COMMIT;
