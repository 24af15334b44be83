#!/usr/bin/env python3
"""test_logs.py — kontor's log as a log shipper reads it (issue 15).

kontor runs with stderr in a file, as under a supervisor that is not
systemd ([server] log_format auto: JSON lines), with debug lines on.  A
job seeker books through the API, looks the booking up by its link, tries
to enter too early; the demo booking is entered, admitted and ended.
Then every line kontor wrote to stderr:

  * is one JSON object with time (UTC, ms), level and message;
  * carries a REQUEST_ID when it is about an HTTP request (the access
    line of each request), one id per request;
  * carries the booking id as MEETING_ID when it is about a meeting;
  * holds no name, contact, reference, kiosk code or link token of the
    job seeker, nor the caseworker's session secret.
An unknown log_format is refused at start.
"""
import datetime
import json
import os
import re
import secrets
import tempfile

from kontor_harness import Kontor, Spec, need_env

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ACCESS = re.compile(r"^(GET|POST) (/\S*) (\d{3})$")
BOOKING = re.compile(r"(?<![/\w])booking (\d+)\b")  # "booking 7", not "/api/v1/booking 200"


def main():
    need_env()
    spec = Spec()
    tag = secrets.token_hex(4)
    name, contact = f"Ola Loggmann{tag}", f"ola.{tag}@example.org"
    with tempfile.TemporaryDirectory() as tmp:
        err_path, out_path = os.path.join(tmp, "stderr"), os.path.join(tmp, "stdout")
        env = {"G_MESSAGES_DEBUG": "all", "KONTOR_LOGIN_PER_MINUTE": "1000"}
        requests = 0
        with Kontor(extra_env=env, stderr_path=err_path, stdout_path=out_path) as k:
            try:
                k.run("migrate", env={"KONTOR_LOG_FORMAT": "xml"})
                refused = ""
            except RuntimeError as e:
                refused = str(e)
            spec.check("an unknown log_format is refused", "log_format \"xml\" must be auto, json or text"
                       in refused, refused)

            demo = k.demo(60)
            status, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
            requests += 1
            h = {"Cookie": cookie}
            booking = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))
            office = int(k.sql(f"SELECT office_id FROM caseworkers WHERE email = '{demo['caseworker_email']}'"))

            # A job seeker books, looks the booking up by link, tries to enter too early.
            day = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
            slots = k.request("GET", f"/api/v1/slots?service=1&office={office}&from={day}&to={day}")[1]["slots"]
            status, mine, _, _ = k.request("POST", "/api/v1/bookings", {
                "service_id": 1, "office_id": office, "starts_at": slots[0]["starts_at"],
                "name": name, "contact": contact, "language": "nb"})
            requests += 2
            spec.check("the job seeker books", status == 201, (status, mine))
            token = mine["join_url"].split("#t=")[1]
            status, _, _, _ = k.request("POST", "/api/v1/booking", {"token": token})
            requests += 1
            spec.check("and finds the booking by its link", status == 200, status)
            early = k.ws()
            early.send({"type": "join", "token": token})
            answer = early.recv()
            early.close()
            spec.check("entering two days early is refused", answer.get("code") == "too_early", answer)
            k.request("POST", "/api/v1/booking", {"token": "x" * 43})
            requests += 1

            # The demo booking: in, admitted, ended.
            seeker, cw = k.admitted(demo["booking_token"], booking, cookie)
            cw.send({"type": "end", "booking_id": booking})
            seeker.recv_type("ended")
            seeker.close()
            cw.close()
            status, _, _, _ = k.request("GET", "/api/v1/queue", headers=h)
            requests += 1
            spec.check("the journey ran", status == 200, status)

        with open(err_path, "rb") as f:
            raw = f.read()
        with open(out_path) as f:
            out = f.read()

    spec.check("stdout has only the serving line", out.startswith("kontor: serving ") and out.count("\n") == 1, out)
    lines = raw.decode("utf-8", errors="replace").splitlines()
    spec.check("kontor wrote log lines", len(lines) > requests, len(lines))
    parsed, bad = [], []
    for line in lines:
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            parsed.append(obj)
        except ValueError:
            bad.append(line)
    spec.check("every line is a JSON object", not bad, bad[:3])
    spec.check("with time (UTC, ms), level and message",
               all(TIME.match(o.get("time", "")) and o.get("level") in
                   ("error", "critical", "warning", "message", "info", "debug") and isinstance(o.get("message"), str)
                   for o in parsed), [o for o in parsed if not TIME.match(o.get("time", ""))][:2])
    access = [o for o in parsed if ACCESS.match(o["message"])]
    spec.check(f"each HTTP request has its line ({requests} requests)", len(access) >= requests,
               [o["message"] for o in access])
    spec.check("and those lines carry a REQUEST_ID",
               all(re.fullmatch(r"[0-9a-f]{16}", o.get("REQUEST_ID", "")) for o in access),
               [o for o in access if "REQUEST_ID" not in o][:2])
    ids = [o["REQUEST_ID"] for o in access if "REQUEST_ID" in o]
    spec.check("one id per request", len(set(ids)) == len(ids), ids)
    spec.check("the lines name the routes, without query strings",
               {"POST /api/v1/bookings 201", "POST /api/v1/booking 200", "POST /api/v1/booking 404",
                "GET /api/v1/slots 200"} <= {o["message"] for o in access}, [o["message"] for o in access])
    about = [o for o in parsed if BOOKING.search(o["message"])]
    spec.check("lines about the meeting carry its booking id as MEETING_ID",
               about and all(o.get("MEETING_ID") == BOOKING.search(o["message"]).group(1)
                             for o in about), about[:3])
    spec.check("the demo meeting is among them", any(o.get("MEETING_ID") == str(booking) for o in parsed),
               len(about))
    text = raw.decode("utf-8", errors="replace")
    for what, secret in [("the job seeker's name", name), ("the contact", contact),
                         ("the link token", token), ("the demo's link token", demo["booking_token"]),
                         ("the reference", mine["booking"]["reference"]),
                         ("the kiosk code", mine["kiosk_code"]), ("the session secret", cookie.split("=", 1)[1])]:
        spec.check(f"no line holds {what}", secret not in text)
    spec.done()


if __name__ == "__main__":
    main()
