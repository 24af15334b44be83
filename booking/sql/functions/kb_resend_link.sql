-- kb_resend_link: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: none.
CREATE OR REPLACE FUNCTION public.kb_resend_link(p_now timestamp with time zone, p_reference text, p_contact text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
DECLARE
  b bookings;
  given record;
BEGIN
  -- A live booking whose link can be sent: not over, not cancelled, with a
  -- contact and the sealed token (bookings before 016 have none).
  SELECT x.* INTO b FROM bookings x
   WHERE x.reference = upper(btrim(p_reference))
     AND x.status IN ('booked', 'waiting') AND upper(x.during) > p_now
     AND x.contact_to IS NOT NULL AND x.token_sealed IS NOT NULL
     AND x.forgotten_at IS NULL
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  -- The contact typed now, told apart as the booking's was (the office's
  -- country for a number without one): e-mail without regard to case,
  -- phone numbers in E.164.
  SELECT k.kind, k.address INTO given
    FROM caseworkers c JOIN offices o ON o.id = c.office_id,
         LATERAL kb_contact_address(p_contact, o.phone_country) k
   WHERE c.id = b.caseworker_id;
  IF given.kind IS DISTINCT FROM b.contact_kind
     OR (given.kind = 'email' AND lower(given.address) <> lower(b.contact_to))
     OR (given.kind = 'phone' AND given.address <> b.contact_to) THEN
    RETURN false;
  END IF;
  -- Whatever the nodes' rate limits let through, at most five a day per
  -- booking reach the job seeker.
  IF (SELECT count(*) FROM outbox
       WHERE booking_id = b.id AND kind = 'link' AND created_at > now() - interval '1 day') >= 5 THEN
    RETURN false;
  END IF;
  PERFORM kb_outbox_queue(b, 'link', '-infinity', NULL);
  RETURN true;
END $function$
;
COMMENT ON FUNCTION kb_resend_link(timestamp with time zone,text,text) IS '"I lost my link": queues a link message when the reference and the contact (normalised) match a live booking; says whether it did (the caller must not tell anyone).';
