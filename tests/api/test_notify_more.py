#!/usr/bin/env python3
"""test_notify_more.py — the rest of the job seeker's messages (issue 16;
docs/api.md "I lost my link", "Calendar feed", "Messages that could not be
sent"), with a real SMTP server (aiosmtpd) on loopback, started here:

- a caseworker's calendar feed parses as iCalendar, holds their meetings
  (a cancelled one as cancelled) with the UIDs of the bookings' own
  calendar files, nothing about the job seeker and no link; another
  caseworker's meetings are not in it; a renewed feed's old URL is 404,
  and so is a revoked one;
- "I lost my link": the right reference and contact, a wrong contact and
  a wrong reference get the same answer (status, body, about the same
  time); only the right one sends a message, to the stored contact, with
  the same link as the confirmation; the limits per reference, per
  contact and per client address bite;
- a message the mail server cannot take is retried, then (its give_up_at
  moved into the past here, rather than waiting [notify] give_up minutes)
  failed; administrators see it without the contact, and resend it once
  the server is back: it arrives, with a new Message-ID, audited."""
import datetime
import os
import tempfile
import time

from kontor_harness import Kontor, Spec, free_port, need_env
from test_notify import Inbox, seed, parts, event  # skips without aiosmtpd/icalendar

from aiosmtpd.controller import Controller
import icalendar

PASSWORD = "a long enough secret"


def slots_of(k, office, service, caseworker, days_ahead):
    day = (datetime.date.today() + datetime.timedelta(days=days_ahead)).isoformat()
    _, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&office={office}"
                                     f"&caseworker={caseworker}&from={day}&to={day}")
    return [s["starts_at"] for s in body["slots"]]


def main():
    need_env()
    spec = Spec()
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    keydir = tempfile.mkdtemp()
    env = {
        "KONTOR_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "KONTOR_SMTP_TLS": "off",
        "KONTOR_SMTP_FROM": "Jobbsenteret <noreply@kontor.test>",
        "KONTOR_KEY_FILE": os.path.join(keydir, "seal.key"),
        "KONTOR_BOOK_PER_MINUTE": "1000", "KONTOR_NODE_NAME": "n1",
        # Client addresses told apart by X-Forwarded-For from loopback
        # (a header only: every packet stays on loopback).
        "KONTOR_TRUSTED_PROXIES": "127.0.0.1",
        "KONTOR_LOST_LINK_PER_HOUR": "3",
    }
    with Kontor(extra_env=env) as k:
        office, service = seed(k)
        demo = k.demo(3600)
        _, _, admin = k.login(demo["caseworker_email"], demo["caseworker_password"])
        ids = []
        for n in (1, 2):
            status, body, _, _ = k.request("POST", "/api/v1/admin/caseworkers", {
                "office_id": office, "name": f"Feed Worker {n}", "email": f"cw{n}@feed.test",
                "password": PASSWORD, "languages": ["nb"]}, headers={"Cookie": admin})
            ids.append(body["id"])
        cw1, cw2 = ids
        free1 = slots_of(k, office, service, cw1, 2)
        free2 = slots_of(k, office, service, cw2, 2)

        def book(caseworker, start, contact, name="Kari Nordmann", language="nb"):
            status, body, _, _ = k.request("POST", "/api/v1/bookings", {
                "service_id": service, "office_id": office, "caseworker_id": caseworker,
                "starts_at": start, "name": name, "contact": contact, "language": language})
            assert status == 201, (status, body)
            return body

        # ---- the caseworker's calendar feed ------------------------------
        d1 = book(cw1, free1[0], "feed.one@test.example", "Fenja Feedperson")
        d2 = book(cw1, free1[2], "feed.two@test.example", "Frode Feedperson")
        d3 = book(cw2, free2[4], "feed.three@test.example", "Other Persons-Booking")
        k.request("POST", "/api/v1/booking/cancel", {"token": d2["join_url"].split("#t=")[1]})
        _, _, cookie1 = k.login("cw1@feed.test", PASSWORD)
        status, feed, _, _ = k.request("POST", "/api/v1/calendar-feed", {}, headers={"Cookie": cookie1})
        spec.check("a caseworker gets a feed URL, https/http and webcal",
                   status == 200 and feed["webcal_url"].startswith("webcal://")
                   and feed["url"].split("://")[1] == feed["webcal_url"].split("://")[1], feed)
        path = "/" + feed["url"].split("://")[1].split("/", 1)[1]
        status, _, headers, text = k.request("GET", path)
        spec.check("the feed answers 200 text/calendar",
                   status == 200 and headers["Content-Type"].startswith("text/calendar"), (status, text[:200]))
        cal = icalendar.Calendar.from_ical(text)
        events = {str(e["UID"]): e for e in cal.walk() if e.name == "VEVENT"}
        spec.check("it parses as iCalendar, METHOD:PUBLISH", str(cal["METHOD"]) == "PUBLISH", cal.get("METHOD"))

        def uid(booking):
            return str(event(icalendar.Calendar.from_ical(booking["ics"]))["UID"])

        spec.check("it holds the caseworker's meetings, with the UIDs of the bookings' own .ics",
                   uid(d1) in events and uid(d2) in events, sorted(events))
        if uid(d1) in events:
            e1 = events[uid(d1)]
            spec.check("... time, service and reference",
                       e1["DTSTART"].dt == datetime.datetime.fromisoformat(free1[0].replace("Z", "+00:00"))
                       and "Veiledning" in str(e1["SUMMARY"]) and d1["booking"]["reference"] in str(e1["SUMMARY"]),
                       (e1["DTSTART"].dt, e1["SUMMARY"]))
        spec.check("a cancelled one shows as cancelled",
                   uid(d2) in events and str(events[uid(d2)].get("STATUS")) == "CANCELLED")
        spec.check("another caseworker's meetings are not in it", uid(d3) not in events)
        personal = ["Fenja", "Frode", "Feedperson", "feed.one@", "feed.two@", "Persons-Booking",
                    d1["join_url"].split("#t=")[1], d2["join_url"].split("#t=")[1], "join.html", "booking.html"]
        unfolded = text.replace("\r\n ", "")
        spec.check("no personal data: no name, no contact, no link token",
                   not [p for p in personal if p in unfolded], [p for p in personal if p in unfolded])
        status, again, _, _ = k.request("POST", "/api/v1/calendar-feed", {}, headers={"Cookie": cookie1})
        new_path = "/" + again["url"].split("://")[1].split("/", 1)[1]
        spec.check("after renewal the old URL is 404 no_feed",
                   k.request("GET", path)[0:2] == (404, {"error": {"code": "no_feed",
                                                                  "message": "There is no calendar feed at this address."}}))
        spec.check("... and the new one works", k.request("GET", new_path)[0] == 200)
        spec.check("the hash, not the secret, is stored",
                   k.sql(f"SELECT count(*) FROM calendar_feeds WHERE caseworker_id = {cw1} "
                         f"AND token_hash = sha256(convert_to('{new_path[13:-4]}', 'UTF8'))") == "1")
        status, revoked, _, _ = k.request("POST", "/api/v1/calendar-feed", {"revoke": True},
                                          headers={"Cookie": cookie1})
        spec.check("revoked: no URL, and the last one is 404",
                   status == 200 and revoked["url"] is None and k.request("GET", new_path)[0] == 404)
        spec.check("without a session: 401", k.request("POST", "/api/v1/calendar-feed", {})[0] == 401)
        spec.check("audited", k.sql(f"SELECT count(*) FROM audit_log WHERE action = 'calendar_feed' "
                                    f"AND caseworker_id = {cw1}") == "3")

        # ---- "I lost my link" -------------------------------------------
        a = book(cw1, free1[4], "Lost.Link@Test.Example")
        token = a["join_url"].split("#t=")[1]
        ref = a["booking"]["reference"]
        got = inbox.wait(lambda r, m: "lost.link@test.example" in [x.lower() for x in r], 15)
        spec.check("the confirmation arrives first", len(got) == 1, len(got))

        def lost(reference, contact, address):
            started = time.monotonic()
            status, body, _, text = k.request("POST", "/api/v1/booking/resend-link",
                                              {"reference": reference, "contact": contact},
                                              headers={"X-Forwarded-For": address})
            return status, text, time.monotonic() - started

        right = lost(ref.lower(), "  lost.link@TEST.example ", "198.51.100.1")
        wrong_contact = lost(ref, "someone.else@test.example", "198.51.100.2")
        wrong_ref = lost("ZZZ-ZZZ", "lost.link@test.example", "198.51.100.3")
        spec.check("right, wrong contact and wrong reference: the same answer, 202 {}",
                   right[:2] == wrong_contact[:2] == wrong_ref[:2] == (202, "{}"),
                   (right[:2], wrong_contact[:2], wrong_ref[:2]))
        spec.check("... in about the same time (within 50 ms)",
                   max(right[2], wrong_contact[2], wrong_ref[2]) - min(right[2], wrong_contact[2], wrong_ref[2]) < 0.05,
                   (right[2], wrong_contact[2], wrong_ref[2]))
        deadline = time.monotonic() + 15
        while True:
            got = [m for r, m in inbox.messages if "lost.link@test.example" in [x.lower() for x in r]]
            if len(got) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        spec.check("the right one sends the link again: a second message to the stored contact",
                   len(got) == 2, [str(m["Subject"]) for m in got])
        if len(got) == 2:
            text1, _, _ = parts(got[0])
            text2, _, _ = parts(got[1])
            spec.check("... with the same link as the confirmation",
                       f"join.html#t={token}" in text1 and f"join.html#t={token}" in text2, text2)
        spec.check("the wrong ones send nothing anywhere",
                   not [m for r, m in inbox.messages if "someone.else@test.example" in r]
                   and k.sql(f"SELECT count(*) FROM outbox WHERE kind = 'link'") == "1")
        # Limits: 3 an hour per reference, per contact, per client address.
        third = lost(ref, "third@test.example", "198.51.100.4")
        fourth = lost(ref, "lost.link@test.example", "198.51.100.5")
        spec.check("the fourth request for one reference within the hour: 429 (the third was not)",
                   third[0] == 202 and fourth[0] == 429, (third[:2], fourth[:2]))
        by_contact = lost("ZZZ-ZZY", "lost.link@test.example", "198.51.100.6")
        spec.check("the fourth for one contact (whatever the reference): 429", by_contact[0] == 429, by_contact[:2])
        answers = [lost(f"YYY-YY{c}", f"addr{c}@test.example", "198.51.100.7")[0] for c in "ABCD"]
        spec.check("the fourth from one client address: 429", answers == [202, 202, 202, 429], answers)
        time.sleep(2)
        spec.check("refused requests sent nothing",
                   k.sql("SELECT count(*) FROM outbox WHERE kind = 'link'") == "1")
        phone = book(cw1, free1[6], "912 34 567")
        pref = phone["booking"]["reference"]
        lost(pref, "+47 91 23 45 67", "198.51.100.8")
        time.sleep(1)
        spec.check("a phone number matches in E.164, however it is written",
                   k.sql(f"SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id "
                         f"WHERE b.reference = '{pref}' AND o.kind = 'link' AND o.channel = 'sms'") == "1")

        # ---- failed messages, seen and resent by an administrator ----------
        smtp.stop()
        c = book(cw1, free1[8], "fail.me@test.example")
        cid = c["booking"]["id"]
        oid = k.sql(f"SELECT id FROM outbox WHERE booking_id = {cid} AND kind = 'confirmation'")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and k.sql(f"SELECT attempts FROM outbox WHERE id = {oid}") == "0":
            time.sleep(0.5)
        status, listed, _, text = k.request("GET", f"/api/v1/admin/messages?office={office}",
                                            headers={"Cookie": admin})
        mine = [m for m in listed["messages"] if m["id"] == int(oid)]
        spec.check("a message being retried is listed as pending, with its attempts",
                   status == 200 and mine and mine[0]["status"] == "pending" and mine[0]["attempts"] >= 1, mine)
        # Give up now rather than after [notify] give_up minutes.
        k.sql(f"UPDATE outbox SET give_up_at = now() - interval '1 s', next_attempt_at = '-infinity' "
              f"WHERE id = {oid} AND status = 'pending'")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and k.sql(f"SELECT status FROM outbox WHERE id = {oid}") != "failed":
            time.sleep(0.5)
        spec.check("past give_up_at the next failure is the last: failed",
                   k.sql(f"SELECT status FROM outbox WHERE id = {oid}") == "failed")
        status, listed, _, text = k.request("GET", f"/api/v1/admin/messages?office={office}",
                                            headers={"Cookie": admin})
        mine = [m for m in listed["messages"] if m["id"] == int(oid)]
        spec.check("the administrator's list shows it failed: kind, channel, reference, attempts, error",
                   mine and mine[0]["status"] == "failed" and mine[0]["kind"] == "confirmation"
                   and mine[0]["channel"] == "email" and mine[0]["reference"] == c["booking"]["reference"]
                   and mine[0]["last_error"], mine)
        spec.check("... and no contact", "fail.me" not in text and "@test.example" not in text, text[:300])
        _, _, cwcookie = k.login("cw2@feed.test", PASSWORD)
        spec.check("a caseworker who is no administrator may not see it",
                   k.request("GET", f"/api/v1/admin/messages?office={office}", headers={"Cookie": cwcookie})[0] == 403)
        smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        status, resent, _, _ = k.request("POST", "/api/v1/admin/messages/resend", {"id": int(oid)},
                                         headers={"Cookie": admin})
        spec.check("resend: 200 with the new message's id", status == 200 and resent["id"] != int(oid), resent)
        got = inbox.wait(lambda r, m: "fail.me@test.example" in r, 30)
        spec.check("after the server returns, the resent message arrives", len(got) == 1, len(got))
        if got and status == 200:
            new_mid = k.sql(f"SELECT message_id FROM outbox WHERE id = {resent['id']}")
            old_mid = k.sql(f"SELECT message_id FROM outbox WHERE id = {oid}")
            spec.check("... with the new row's Message-ID (a new message, not the failed one's)",
                       got[0]["Message-ID"] == new_mid != old_mid, (got[0]["Message-ID"], new_mid, old_mid))
            text, _, _ = parts(got[0])
            spec.check("... made from the booking: the confirmation with its link",
                       text and c["join_url"] in text)
        spec.check("audited (resend_message)",
                   k.sql(f"SELECT count(*) FROM audit_log WHERE action = 'resend_message' AND booking_id = {cid}") == "1")
        status, listed, _, _ = k.request("GET", f"/api/v1/admin/messages?office={office}", headers={"Cookie": admin})
        spec.check("the resent one leaves the list", not [m for m in listed["messages"] if m["id"] == int(oid)])
        status, body, _, _ = k.request("POST", "/api/v1/admin/messages/resend", {"id": int(oid)},
                                       headers={"Cookie": admin})
        spec.check("resending it again: 409 not_changeable", (status, body["error"]["code"]) == (409, "not_changeable"))
        spec.check("saying so of the message, not of a booking",
                   body["error"]["message"] == "This message cannot be sent again.", body)
        status, body, _, _ = k.request("POST", "/api/v1/admin/messages/resend", {"id": 987654321},
                                       headers={"Cookie": admin})
        spec.check("an unknown message: 404, 'There is no such message.'",
                   status == 404 and body["error"]["message"] == "There is no such message.", body)
    smtp.stop()
    spec.done()


if __name__ == "__main__":
    main()
