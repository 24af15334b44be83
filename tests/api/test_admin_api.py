#!/usr/bin/env python3
"""test_admin_api.py — an administrator sets up an office over the HTTP
API (time zone, weekly hours with a lunch break, a closure, a service, a
caseworker) and the free slots follow; outsiders are refused; statistics
come as JSON and CSV."""
import datetime
from zoneinfo import ZoneInfo

from kontor_harness import Kontor, Spec, need_env


def main():
    need_env()
    spec = Spec()
    with Kontor(extra_env={"KONTOR_LOGIN_PER_MINUTE": "1000"}) as k:
        demo = k.demo(60)
        _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
        h = {"Cookie": cookie}

        def post(path, body, headers=h):
            status, answer, _, _ = k.request("POST", "/api/v1/admin/" + path, body, headers=headers)
            return status, answer

        status, body = post("offices", {"name": "Nytt kontor", "time_zone": "Europe/Stockholm"}, headers={})
        spec.check("without a session the admin API is 401", status == 401, body)
        k.sql(f"UPDATE caseworkers SET is_admin = false WHERE email = '{demo['caseworker_email']}'")
        status, body = post("offices", {"name": "Nytt kontor", "time_zone": "Europe/Stockholm"})
        spec.check("a caseworker who is not an administrator is refused with 403",
                   status == 403 and body["error"]["code"] == "forbidden", body)

        k.sql(f"UPDATE caseworkers SET is_admin = true WHERE email = '{demo['caseworker_email']}'")
        status, body = post("offices", {"name": "Nytt kontor", "time_zone": "Europe/Stokholm"})
        spec.check("a misspelt time zone is refused with a clear code", status in (400, 422)
                   and "zone" in (body["error"]["code"] + body["error"]["message"]).lower(), body)
        status, body = post("offices", {"name": "Nytt kontor", "time_zone": "Europe/Stockholm",
                                        "address": "Storgatan 1", "languages": ["sv", "en"]})
        spec.check("an administrator creates an office", status == 200 and body["id"] > 0, body)
        office = body.get("id") if body else None
        status, body = post("hours", {"office_id": 987654, "hours": []})
        spec.check("hours for an office that does not exist are refused with no_office",
                   status == 422 and body["error"]["code"] == "no_office", body)

        week = [{"weekday": d, "opens": "09:00", "closes": "12:00"} for d in range(1, 8)] + \
               [{"weekday": d, "opens": "13:00", "closes": "15:00"} for d in range(1, 8)]
        status, body = post("hours", {"office_id": office, "hours": week})
        spec.check("weekly hours with a lunch break are saved", status == 200, body)
        status, body, _, _ = k.request("GET", f"/api/v1/admin/hours?office={office}", headers=h)
        spec.check("the weekly hours read back as saved", status == 200 and len(body["hours"]) == 14
                   and body["hours"][0] == {"weekday": 1, "opens": "09:00", "closes": "12:00"}, body)
        status, body = post("hours", {"office_id": office, "hours": [{"weekday": 9, "opens": "09:00", "closes": "10:00"}]})
        spec.check("weekday 9 is refused with 400", status == 400, body)
        status, body = post("hours", {"office_id": office, "hours": [{"weekday": 4294967297, "opens": "09:00", "closes": "10:00"}]})
        spec.check("weekday 2^32 + 1 is refused with 400, not read as Monday", status == 400, body)
        status, body = post("hours", {"office_id": office, "hours": [{"weekday": 1, "opens": "12:00", "closes": "09:00"}]})
        spec.check("closing before opening is refused", status in (400, 422), body)
        spec.check("in an administrator's words, not a job seeker's about a booking",
                   body and "booking" not in body["error"]["message"].lower()
                   and "closes before it opens" in body["error"]["message"], body)
        status, body = post("hours", {"office_id": office, "hours": [
            {"weekday": 1, "opens": "09:00", "closes": "12:00"},
            {"weekday": 1, "opens": "11:00", "closes": "13:00"}]})
        spec.check("overlapping intervals on one weekday are refused with 409 slot_taken, "
                   "saying they overlap (not that someone took a time)",
                   status == 409 and body["error"]["code"] == "slot_taken"
                   and "overlap" in body["error"]["message"]
                   and "someone" not in body["error"]["message"].lower(), body)

        status, body = post("services", {"name": "Samtal", "duration_min": 30, "buffer_min": 0,
                                         "notice_min": 0, "horizon_days": 30, "languages": ["sv"]})
        spec.check("an administrator creates a service", status == 200 and body["id"] > 0, body)
        service = body.get("id") if body else None
        audits = k.sql("SELECT count(*) FROM audit_log WHERE action = 'save_service'")
        status, body = post("services", {"name": "Wrapped", "duration_min": 4294967326})
        spec.check("a duration of 2^32 + 30 minutes is refused with 422 bad_value, not stored as 30",
                   status == 422 and body["error"]["code"] == "bad_value"
                   and k.sql("SELECT count(*) FROM services WHERE name = 'Wrapped'") == "0", body)
        for field, value, words in (("horizon_days", 400, "horizon_days must be from 1 to 366"),
                                    ("notice_min", -1, "notice_min must be from 0 to 43200"),
                                    ("duration_min", 1, "duration_min must be from 5 to 480")):
            status, body = post("services", {"name": "Odd", field: value})
            spec.check(f"{field} {value} is refused 422 bad_value, naming the field and its range",
                       status == 422 and body["error"]["code"] == "bad_value"
                       and words in body["error"]["message"], body)
        status, body = post("services", {"id": 987654, "name": "Nothing"})
        spec.check("changing a service that does not exist is refused with 422 no_service, "
                   "not 200 with id 0", status == 422 and body["error"]["code"] == "no_service", body)
        spec.check("and nothing is audited for it",
                   k.sql("SELECT count(*) FROM audit_log WHERE action = 'save_service'") == audits)
        status, body = post("caseworkers", {"office_id": office, "name": "Sara Saksson",
                                            "email": "sara@test.example", "password": "short", "languages": ["sv"]})
        spec.check("a short password is refused with weak_password", status == 422
                   and body["error"]["code"] == "weak_password", body)
        status, body = post("caseworkers", {"office_id": office, "name": "Sara Saksson",
                                            "email": "sara@test.example",
                                            "password": "a long enough secret", "languages": ["sv"]})
        spec.check("an administrator creates a caseworker", status == 200 and body["id"] > 0, body)

        day = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
        status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&office={office}&from={day}&to={day}")
        slots = body.get("slots", []) if body else []
        spec.check("the new office offers 10 slots: 09-12 and 13-15, not over lunch",
                   status == 200 and len(slots) == 10, (status, len(slots)))

        status, b, _, _ = k.request("POST", "/api/v1/bookings", {
            "service_id": service, "office_id": office, "starts_at": slots[0]["starts_at"],
            "name": "Test Person", "contact": "tp@test.example", "language": "sv"})
        status2, body, _, _ = k.request("POST", "/api/v1/queue/cancel",
                                        {"booking_id": b["booking"]["id"], "reason": "Office opens later"}, headers=h)
        spec.check("an administrator cancels, with a reason, a booking of another office",
                   status == 201 and status2 == 200 and body["booking"]["status"] == "cancelled", (status, status2, body))
        status, body = post("reassign", {"booking_id": b["booking"]["id"]})
        spec.check("reassigning it now: 409 not_changeable, 'Only a booked meeting can be reassigned.'",
                   status == 409 and body["error"]["code"] == "not_changeable"
                   and body["error"]["message"] == "Only a booked meeting can be reassigned.", body)
        status, body = post("reassign", {"booking_id": 987654321})
        spec.check("reassigning a booking that does not exist: 404, 'There is no such booking.'",
                   status == 404 and body["error"]["message"] == "There is no such booking.", body)
        status, body = post("special-days", {"office_id": office, "first_date": day, "last_date": day,
                                             "reason": "Staff training"})
        spec.check("a closure is saved", status == 200 and body["id"] > 0, body)
        status, body, _, _ = k.request("GET", f"/api/v1/admin/special-days?office={office}", headers=h)
        spec.check("and listed, closed all day", status == 200 and len(body["special_days"]) == 1
                   and body["special_days"][0]["first_date"] == day and body["special_days"][0]["hours"] == []
                   and body["special_days"][0]["reason"] == "Staff training", body)
        status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&office={office}&from={day}&to={day}")
        spec.check("on the closed day there are no slots", status == 200 and body["slots"] == [], body)

        status, body, _, _ = k.request("GET", f"/api/v1/admin/stats?office={office}&from={day}&to={day}", headers=h)
        spec.check("statistics come per day as JSON", status == 200 and len(body["days"]) == 1
                   and body["days"][0]["date"] == day, body)
        status, _, headers, text = k.request("GET", f"/api/v1/admin/stats?office={office}&from={day}&to={day}&format=csv",
                                             headers=h)
        spec.check("and as CSV", status == 200 and headers.get("Content-Type", "").startswith("text/csv")
                   and text.startswith("date,booked,completed") and day in text, text[:120])
        # The demo office's hours shrink to 09-12: the demo booking (starting
        # now) falls outside unless now is 09:00-11:30 in Oslo.  The change
        # keeps it and lists it for the administrator.
        status, me, _, _ = k.request("GET", "/api/v1/me", headers=h)
        demo_office = me["caseworker"]["office_id"]
        status, body = post("hours", {"office_id": demo_office,
                                      "hours": [{"weekday": d, "opens": "09:00", "closes": "12:00"} for d in range(1, 8)]})
        spec.check("shrinking the demo office's hours is saved", status == 200, body)
        start = datetime.datetime.fromisoformat(demo["booking_starts_at"].replace("Z", "+00:00"))
        local = start.astimezone(ZoneInfo("Europe/Oslo"))
        minutes = local.hour * 60 + local.minute + (1 if local.second else 0)
        inside = 9 * 60 <= minutes <= 11 * 60 + 30
        status, body, _, _ = k.request("GET", f"/api/v1/admin/conflicts?office={demo_office}", headers=h)
        listed = [c for c in body.get("conflicts", []) if c["reference"] == demo["booking_reference"]]
        spec.check("a booking the new hours leave outside is kept and listed as outside_hours",
                   status == 200 and (inside or (listed and listed[0]["problem"] == "outside_hours"
                                                 and listed[0]["status"] == "booked")), body)
        status, body, _, _ = k.request("GET", "/api/v1/offices")
        spec.check("the public office list shows the new office with its zone",
                   status == 200 and any(o["name"] == "Nytt kontor" and o["time_zone"] == "Europe/Stockholm"
                                         for o in body["offices"]), body)
        status, body, _, _ = k.request("GET", f"/api/v1/caseworkers?office={office}")
        spec.check("the public caseworker list shows names and languages, not e-mail",
                   status == 200 and body["caseworkers"] and "email" not in body["caseworkers"][0], body)
        status, body, _, _ = k.request("GET", f"/api/v1/admin/caseworkers?office={office}", headers=h)
        spec.check("the administrator's list shows e-mail and whether active",
                   status == 200 and body["caseworkers"][0]["email"] == "sara@test.example"
                   and body["caseworkers"][0]["active"] is True, body)
        edits(k, spec, post, h, office)
        outsiders(k, spec, demo)
    spec.done()


def edits(k, spec, post, h, office):
    """Change a caseworker, give them a new password, enter and take back an
    absence; nobody demotes themselves."""
    status, body, _, _ = k.request("GET", f"/api/v1/admin/caseworkers?office={office}", headers=h)
    sara = [c for c in body["caseworkers"] if c["email"] == "sara@test.example"][0]
    status, body = post("caseworkers/update", {"caseworker_id": sara["id"], "office_id": office,
                                               "name": "Sara Saksson-Berg", "is_admin": False,
                                               "languages": ["sv", "en"]})
    spec.check("an administrator changes a caseworker's name and languages", status == 200, body)
    status, body, _, _ = k.request("GET", f"/api/v1/admin/caseworkers?office={office}", headers=h)
    sara2 = [c for c in body["caseworkers"] if c["id"] == sara["id"]][0]
    spec.check("the change shows", sara2["name"] == "Sara Saksson-Berg" and sara2["languages"] == ["sv", "en"], sara2)

    status, _, old_cookie = k.login("sara@test.example", "a long enough secret")
    status, body = post("caseworkers/password", {"caseworker_id": sara["id"], "password": "brand new secret 2"})
    spec.check("an administrator sets a new password", status == 200, body)
    status, _, _, _ = k.request("GET", "/api/v1/me", headers={"Cookie": old_cookie})
    spec.check("the old session ends with it", status == 401, status)
    status, _, _ = k.login("sara@test.example", "brand new secret 2")
    spec.check("the new password works", status == 200, status)
    status, _, _ = k.login("sara@test.example", "a long enough secret")
    spec.check("the old one does not", status == 401, status)

    status, me, _, _ = k.request("GET", "/api/v1/me", headers=h)
    status, body = post("caseworkers/update", {"caseworker_id": me["caseworker"]["id"],
                                               "office_id": me["caseworker"]["office_id"],
                                               "name": "Demo", "is_admin": False})
    spec.check("an administrator cannot take away their own role", status == 422
               and body["error"]["code"] == "own_role", body)
    spec.check("and is told so", "own role" in body["error"]["message"], body)
    status, body = post("caseworkers/update", {"caseworker_id": 987654, "office_id": office,
                                               "name": "Nobody", "is_admin": False})
    spec.check("a caseworker id that does not exist is 404, and the message names a caseworker "
               "(not a booking)", status == 404 and body["error"]["message"] == "There is no such caseworker.",
               body)
    status, body = post("caseworkers", {"office_id": office, "name": "Sara Again",
                                        "email": "sara@test.example", "password": "a long enough secret"})
    spec.check("an e-mail address in use is refused with 422 duplicate, saying so",
               status == 422 and body["error"]["code"] == "duplicate"
               and "already in use" in body["error"]["message"], body)

    status, body = post("absences", {"caseworker_id": sara["id"], "from": "2030-01-07T08:00:00Z",
                                     "to": "2030-01-07T16:00:00Z", "reason": "course"})
    spec.check("an absence is entered", status == 200 and body["id"] > 0, body)
    absence = body.get("id")
    status, body, _, _ = k.request("GET", f"/api/v1/admin/absences?office={office}", headers=h)
    spec.check("and listed", status == 200 and [a["id"] for a in body["absences"]] == [absence], body)
    status, body = post("absences/delete", {"id": absence})
    status2, body2, _, _ = k.request("GET", f"/api/v1/admin/absences?office={office}", headers=h)
    spec.check("and taken back", status == 200 and body2["absences"] == [], (body, body2))
    status, body = post("absences/delete", {"id": absence})
    spec.check("taking it back twice: 404, 'There is no such absence.'",
               status == 404 and body["error"]["message"] == "There is no such absence.", body)


def outsiders(k, spec, demo):
    """Sara works at another office and is no administrator: everything of
    the demo office is refused to her, and a job seeker's socket cannot act
    as a caseworker."""
    status, _, cookie = k.login("sara@test.example", "brand new secret 2")
    spec.check("the new caseworker can log in", status == 200, status)
    h = {"Cookie": cookie}
    demo_id = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))

    status, body, _, _ = k.request("POST", "/api/v1/queue/cancel",
                                   {"booking_id": demo_id, "reason": "not mine"}, headers=h)
    spec.check("a caseworker (not an administrator) cannot cancel another office's booking: "
               "404 no_booking, as for an id that does not exist",
               status == 404 and body["error"]["code"] == "no_booking", body)
    status2, body2, _, _ = k.request("POST", "/api/v1/queue/cancel",
                                     {"booking_id": demo_id + 100000, "reason": "not mine"}, headers=h)
    spec.check("the two answers are the same, byte for byte", (status, body) == (status2, body2),
               (body, body2))
    status, body, _, _ = k.request("GET", "/api/v1/admin/stats?from=2026-01-01&to=2026-01-02", headers=h)
    spec.check("a caseworker cannot read statistics (403)", status == 403, body)
    status, body, _, _ = k.request("POST", "/api/v1/admin/services", {"name": "x"}, headers=h)
    spec.check("a caseworker cannot create services (403)", status == 403, body)

    ws = k.ws(cookie=cookie)
    ws.send({"type": "hello"})
    queue = ws.recv_type("queue")
    spec.check("her queue holds none of the demo office's bookings",
               all(b["reference"] != demo["booking_reference"] for b in queue["bookings"]), queue)
    ws.send({"type": "admit", "booking_id": demo_id})
    msg = ws.recv_type("error")
    spec.check("she cannot admit another caseworker's job seeker: no_booking",
               msg.get("code") == "no_booking", msg)
    ws.send({"type": "admit", "booking_id": demo_id + 100000})
    msg2 = ws.recv_type("error")
    spec.check("the same answer as for a booking that does not exist", msg == msg2, (msg, msg2))
    ws.send({"type": "end", "booking_id": demo_id})
    msg = ws.recv_type("error")
    spec.check("nor end their meeting", msg.get("code") == "no_booking", msg)
    ws.close()

    seeker = k.ws()
    seeker.send({"type": "join", "token": demo["booking_token"]})
    seeker.recv()
    seeker.send({"type": "admit", "booking_id": demo_id})
    msg = seeker.recv_type("error")
    spec.check("a job seeker's socket cannot admit", msg.get("code") == "forbidden", msg)
    seeker.close()
    status = k.sql(f"SELECT status FROM bookings WHERE id = {demo_id}")
    spec.check("and nothing of it was written", status in ("booked", "waiting"), status)


if __name__ == "__main__":
    main()
