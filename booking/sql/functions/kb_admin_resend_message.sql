-- kb_admin_resend_message: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: none.
CREATE OR REPLACE FUNCTION public.kb_admin_resend_message(p_actor bigint, p_now timestamp with time zone, p_message bigint)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  m outbox;
  b bookings;
  v_office bigint;
  v_new bigint;
BEGIN
  SELECT * INTO m FROM outbox WHERE id = p_message FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM kb_require_admin(p_actor, NULL);
    RAISE EXCEPTION 'no such message' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  SELECT * INTO b FROM bookings WHERE id = m.booking_id FOR UPDATE;
  SELECT office_id INTO v_office FROM caseworkers WHERE id = b.caseworker_id;
  PERFORM kb_require_admin(p_actor, v_office);
  -- Only a message given up on, once; and only while it still says
  -- something true: a cancellation of a cancelled booking, anything else
  -- of a booking still ahead (a reminder before the meeting begins).
  IF m.status <> 'failed' OR m.resent_as IS NOT NULL OR b.contact_kind IS NULL
     OR (m.kind = 'cancellation') <> (b.status = 'cancelled')
     OR (m.kind <> 'cancellation' AND (b.status NOT IN ('booked', 'waiting') OR upper(b.during) <= p_now))
     OR (m.kind = 'reminder' AND lower(b.during) <= p_now) THEN
    RAISE EXCEPTION 'this message cannot be sent again' USING ERRCODE = 'check_violation', DETAIL = 'state';
  END IF;
  -- A new message with a Message-ID of its own (as kb_outbox_queue makes
  -- it): its text is made from the booking as it is now, which may differ
  -- from what the failed one would have said.
  INSERT INTO outbox (booking_id, kind, channel, message_id, sequence, next_attempt_at, give_up_at)
  VALUES (b.id, m.kind, CASE b.contact_kind WHEN 'phone' THEN 'sms' ELSE 'email' END,
          '<' || gen_random_uuid() || '@' || coalesce((SELECT value FROM settings WHERE key = 'notify_domain'), 'kontor.invalid') || '>',
          b.sequence, '-infinity', CASE m.kind WHEN 'reminder' THEN lower(b.during) END)
  RETURNING id INTO v_new;
  UPDATE outbox SET resent_as = v_new WHERE id = m.id;
  PERFORM kb_audit(p_now, p_actor, 'resend_message', b.id,
                   jsonb_build_object('message', m.id, 'kind', m.kind, 'channel', m.channel, 'new_message', v_new));
  RETURN v_new;
END $function$
;
COMMENT ON FUNCTION kb_admin_resend_message(bigint,timestamp with time zone,bigint) IS 'Administrator of the booking''s office: queues a failed message again, as a new message made from the booking (audited).';
