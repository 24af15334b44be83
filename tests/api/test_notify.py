#!/usr/bin/env python3
"""test_notify.py — the job seeker's messages (issue 16; docs/api.md,
"Messages"), with a real SMTP server (aiosmtpd, requiring STARTTLS with a
certificate of a CA made here, and authentication) and an SMS gateway
stand-in on loopback, both started here:

- booking, moving and cancelling send a confirmation, a change and a
  cancellation by e-mail in the booking's language, text and HTML, with the
  personal link and an .ics (REQUEST, then CANCEL with the same UID and a
  higher SEQUENCE), each with the Message-ID stored before it was sent;
- a phone number gets an SMS through the gateway's template, JSON-escaped;
- a contact that is neither is refused (bad_contact) and nothing is kept;
  an empty one books, with no messages;
- reminders are queued 24 h and 1 h before (those still ahead), and go
  when due; a cancellation takes the pending ones back;
- the mail server down for a minute loses nothing: the message arrives
  after it returns;
- kontor killed while handing a message over: after the restart the
  message arrives, and the copy, if any, has the same Message-ID."""
import datetime
import email
import email.policy
import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kontor_harness import Kontor, Spec, free_port, need_env, SKIP

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    import icalendar
except ImportError:
    print("skip: needs python3-aiosmtpd and python3-icalendar", flush=True)
    raise SystemExit(SKIP)


class Inbox:
    """What the SMTP server received, parsed; hold(to) makes DATA for that
    recipient hang (after the message is recorded) until released."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.hold_for = None
        self.held = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, msg))
        if self.hold_for and self.hold_for in envelope.rcpt_tos:
            self.held.set()
            import asyncio
            await asyncio.sleep(60)
        return "250 OK"

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for r, m in self.messages if pred(r, m)]
            if found:
                return found
            time.sleep(0.2)
        return []


class Sms(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Sms.received.append((self.headers.get("Authorization"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


SMTP_USER, SMTP_PASSWORD = "kontor", "mail-secret-123"


def authenticate(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == SMTP_USER.encode()
                      and auth_data.password == SMTP_PASSWORD.encode())


def mail_server(inbox, port, certdir):
    """The mail server: STARTTLS required before anything, and a login."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(certdir, "cert.pem"), os.path.join(certdir, "key.pem"))
    server = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx,
                        require_starttls=True, auth_required=True, authenticator=authenticate)
    server.start()
    return server


def certificate(certdir):
    """A self-signed certificate for 127.0.0.1: kontor trusts it through
    [notify] smtp_ca_file, not by skipping the check."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", os.path.join(certdir, "key.pem"), "-out", os.path.join(certdir, "cert.pem")],
                   check=True, capture_output=True)


def seed(k):
    office = int(k.sql("INSERT INTO offices (name, time_zone, languages) VALUES "
                       "('Testkontor', 'Europe/Oslo', '{nb,sv,da,en}') RETURNING id"))
    for day in range(1, 8):
        k.sql(f"INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
              f"VALUES ({office}, {day}, '08:00', '16:00')")
    service = int(k.sql("INSERT INTO services (name, duration_min, buffer_min, notice_min, languages) "
                        "VALUES ('Veiledning', 30, 10, 0, '{}') RETURNING id"))
    k.sql(f"INSERT INTO caseworkers (office_id, name, email, password_hash, languages) VALUES "
          f"({office}, 'Saksbehandler', 'sb@test.example', '$argon2id$v=19$m=1,t=1,p=1$x$y', '{{nb,sv,da,en}}')")
    return office, service


def slots(k, office, service, days_ahead):
    day = (datetime.date.today() + datetime.timedelta(days=days_ahead)).isoformat()
    status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&office={office}&from={day}&to={day}")
    return [s["starts_at"] for s in body["slots"]]


def book(k, office, service, start, contact, language):
    return k.request("POST", "/api/v1/bookings", {
        "service_id": service, "office_id": office, "starts_at": start, "name": "Kari Nordmann",
        "contact": contact, "language": language})


def parts(msg):
    text = html = ics = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain":
            text = part.get_content()
        elif ctype == "text/html":
            html = part.get_content()
        elif ctype == "text/calendar":
            ics = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    return text, html, ics


def event(cal):
    return next(c for c in cal.walk() if c.name == "VEVENT")


def main():
    need_env()
    spec = Spec()
    inbox = Inbox()
    smtp_port = free_port()
    keydir = tempfile.mkdtemp()
    certificate(keydir)
    smtp = mail_server(inbox, smtp_port, keydir)
    sms = ThreadingHTTPServer(("127.0.0.1", 0), Sms)
    threading.Thread(target=sms.serve_forever, daemon=True).start()
    env = {
        "KONTOR_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "KONTOR_SMTP_TLS": "required",
        "KONTOR_SMTP_CA_FILE": os.path.join(keydir, "cert.pem"),
        "KONTOR_SMTP_USER": SMTP_USER, "KONTOR_SMTP_PASSWORD": SMTP_PASSWORD,
        "KONTOR_SMTP_FROM": "Jobbsenteret <noreply@kontor.test>",
        "KONTOR_SMS_URL": f"http://127.0.0.1:{sms.server_address[1]}/send",
        "KONTOR_SMS_HEADERS": "Content-Type: application/json\nAuthorization: Bearer sms-secret",
        "KONTOR_KEY_FILE": os.path.join(keydir, "seal.key"),
        "KONTOR_BOOK_PER_MINUTE": "1000", "KONTOR_NODE_NAME": "n1",
    }
    with Kontor(extra_env=env) as k:
        spec.check("a missing key file is made, 0600",
                   os.stat(env["KONTOR_KEY_FILE"]).st_mode & 0o777 == 0o600)
        office, service = seed(k)
        times = slots(k, office, service, 2)

        # ---- confirmation, change, cancellation by e-mail, in Swedish ----
        status, body, _, _ = book(k, office, service, times[0], "Kari@Test.Example", "sv")
        spec.check("booking with an e-mail address: 201", status == 201, body)
        token = body["join_url"].split("#t=")[1]
        bid = body["booking"]["id"]
        got = inbox.wait(lambda r, m: "kari@test.example" in [x.lower() for x in r], 15)
        spec.check("the confirmation arrives (STARTTLS, the server's certificate checked, logged in)",
                   len(got) == 1, len(got))
        conf = got[0]
        stored = k.sql(f"SELECT message_id FROM outbox WHERE booking_id = {bid} AND kind = 'confirmation'")
        spec.check("its Message-ID is the one stored before sending", conf["Message-ID"] == stored,
                   (conf["Message-ID"], stored))
        spec.check("in Swedish", "videomöte" in str(conf["Subject"]), str(conf["Subject"]))
        text, html, ics = parts(conf)
        spec.check("plain text with the personal link", text and f"join.html#t={token}" in text, text)
        spec.check("and HTML with it", html and f"join.html#t={token}" in html)
        spec.check("how to prepare", text and "kamera och mikrofon" in text, text)
        ev = event(ics)
        uid = str(ev["UID"])
        spec.check(".ics attached: REQUEST, SEQUENCE 0, the booking's UID",
                   str(ics["METHOD"]) == "REQUEST" and int(ev["SEQUENCE"]) == 0
                   and uid.startswith(f"kontor-booking-{bid}-"), (ics["METHOD"], ev.get("SEQUENCE"), uid))
        status, _, _, _ = k.request("GET", f"/api/v1/booking?token={token}")

        status, moved, _, _ = k.request("POST", "/api/v1/booking/move", {"token": token, "starts_at": times[2]})
        spec.check("moved by link", status == 200, moved)
        got = inbox.wait(lambda r, m: "Ändrat" in str(m["Subject"]), 15)
        spec.check("a change arrives", len(got) == 1)
        if got:
            _, _, ics = parts(got[0])
            ev = event(ics)
            spec.check("its .ics: same UID, SEQUENCE 1, the new time",
                       str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 1
                       and ev["DTSTART"].dt == datetime.datetime.fromisoformat(times[2].replace("Z", "+00:00")),
                       (ev["UID"], ev["SEQUENCE"], ev["DTSTART"].dt))
        reminders = k.sql(f"SELECT count(*) FROM outbox WHERE booking_id = {bid} AND kind = 'reminder' AND status = 'pending'")
        spec.check("after the move, two reminders wait (24 h and 1 h before)", reminders == "2", reminders)
        status, _, _, _ = k.request("POST", "/api/v1/booking/cancel", {"token": token})
        got = inbox.wait(lambda r, m: "Inställt" in str(m["Subject"]), 15)
        spec.check("a cancellation arrives", len(got) == 1)
        if got:
            text, _, ics = parts(got[0])
            ev = event(ics)
            spec.check("its .ics: CANCEL, same UID, a higher SEQUENCE, STATUS:CANCELLED",
                       str(ics["METHOD"]) == "CANCEL" and str(ev["UID"]) == uid
                       and int(ev["SEQUENCE"]) >= 2 and str(ev["STATUS"]) == "CANCELLED",
                       (ics["METHOD"], ev["SEQUENCE"], ev.get("STATUS")))
            spec.check("no link to a cancelled meeting", f"#t={token}" not in text, text)
        reminders = k.sql(f"SELECT count(*) FROM outbox WHERE booking_id = {bid} AND kind = 'reminder' AND status = 'pending'")
        spec.check("the cancellation took the reminders back", reminders == "0", reminders)

        # ---- SMS ----
        status, body, _, _ = book(k, office, service, times[4], "912 34 567", "nb")
        spec.check("booking with a phone number without country code: 201", status == 201, body)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not Sms.received:
            time.sleep(0.2)
        spec.check("the gateway gets one request, with its configured header",
                   len(Sms.received) == 1 and Sms.received[0][0] == "Bearer sms-secret", Sms.received)
        if Sms.received:
            sent = json.loads(Sms.received[0][1])
            spec.check("to the number in E.164 (+47 from the office), in Norwegian, with the link",
                       sent["to"] == "+4791234567" and "Videomøtet ditt er bestilt" in sent["text"]
                       and body["join_url"] in sent["text"], sent)

        # ---- refusals and no contact ----
        before = k.sql("SELECT count(*) FROM bookings")
        status, body, _, _ = book(k, office, service, times[6], "not a contact", "nb")
        spec.check("a contact that is neither: 422 bad_contact",
                   status == 422 and body["error"]["code"] == "bad_contact", (status, body))
        spec.check("... and nothing was kept", k.sql("SELECT count(*) FROM bookings") == before)
        status, body, _, _ = book(k, office, service, times[6], "", "en")
        spec.check("an empty contact books", status == 201, body)
        spec.check("... with no messages",
                   k.sql(f"SELECT count(*) FROM outbox WHERE booking_id = {body['booking']['id']}") == "0")

        # ---- a reminder, when due ----
        status, body, _, _ = book(k, office, service, slots(k, office, service, 3)[0], "rem@test.example", "da")
        rid = body["booking"]["id"]
        k.sql(f"UPDATE outbox SET next_attempt_at = now() - interval '1 s' "
              f"WHERE booking_id = {rid} AND kind = 'reminder' AND next_attempt_at = "
              f"(SELECT min(next_attempt_at) FROM outbox WHERE booking_id = {rid} AND kind = 'reminder')")
        got = inbox.wait(lambda r, m: "Påmindelse" in str(m["Subject"]), 15)
        spec.check("a due reminder arrives, in Danish", len(got) == 1)

        # ---- the mail server away for a minute ----
        smtp.stop()
        stopped = time.monotonic()
        status, body, _, _ = book(k, office, service, times[8], "outage@test.example", "en")
        oid = k.sql(f"SELECT id FROM outbox WHERE booking_id = {body['booking']['id']} AND kind = 'confirmation'")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and k.sql(f"SELECT count(*) FROM outbox_attempts WHERE outbox_id = {oid}") == "0":
            time.sleep(0.5)
        failed = k.sql(f"SELECT ok, error FROM outbox_attempts WHERE outbox_id = {oid} LIMIT 1")
        spec.check("with the mail server down, the attempt fails and is recorded", failed.startswith("f|"), failed)
        spec.check("... and the message waits", k.sql(f"SELECT status FROM outbox WHERE id = {oid}") == "pending")
        time.sleep(max(0, 60 - (time.monotonic() - stopped)))
        smtp = mail_server(inbox, smtp_port, keydir)
        got = inbox.wait(lambda r, m: "outage@test.example" in r, 90)
        spec.check("after it returns, the message arrives", len(got) == 1, len(got))

        # ---- killed while handing a message over ----
        inbox.hold_for = "killed@test.example"
        status, body, _, _ = book(k, office, service, times[10], "killed@test.example", "en")
        spec.check("the mail server has the message and holds its answer", inbox.held.wait(20))
        k.proc.kill()
        k.proc.wait()
        inbox.hold_for = None
        k.start()
        got = inbox.wait(lambda r, m: "killed@test.example" in r and len(
            [1 for r2, _ in inbox.messages if "killed@test.example" in r2]) >= 2, 30)
        copies = [m["Message-ID"] for r, m in inbox.messages if "killed@test.example" in r]
        spec.check("after the restart it is sent again, with the same Message-ID",
                   len(copies) == 2 and copies[0] == copies[1], copies)
        st = k.sql(f"SELECT status FROM outbox WHERE booking_id = {body['booking']['id']} AND kind = 'confirmation'")
        spec.check("... and recorded as sent", st == "sent", st)

        # ---- nothing lost ----
        left = k.sql("SELECT count(*) FROM outbox WHERE kind <> 'reminder' AND status NOT IN ('sent', 'cancelled')")
        spec.check("every message but reminders still ahead was sent", left == "0", left)
    smtp.stop()
    sms.shutdown()
    spec.done()


if __name__ == "__main__":
    main()
