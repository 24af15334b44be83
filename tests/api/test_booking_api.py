#!/usr/bin/env python3
"""test_booking_api.py — booking through the HTTP API against a real kontor
and PostgreSQL: free slots, booking, the calendar file, cancel and move by
link, refusals with their codes, and races: 64 clients at once for one slot
of a named caseworker (exactly one wins), and for one slot with "any
caseworker" among k free ones (exactly k win, none overlap)."""
import datetime
import threading
from zoneinfo import ZoneInfo

from kontor_harness import Kontor, Spec, need_env

try:
    import icalendar
except ImportError:  # Debian python3-icalendar; tests/run-all installs it
    icalendar = None

K = 3          # caseworkers at the test office
CLIENTS = 64   # concurrent job seekers in a race


def seed(k):
    """An office in Oslo open 08:00-16:00 every day, a 30-minute service
    with a 10-minute buffer and no notice, and K caseworkers."""
    office = int(k.sql("INSERT INTO offices (name, time_zone) VALUES ('Testkontor', 'Europe/Oslo') RETURNING id"))
    for day in range(1, 8):
        k.sql(f"INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
              f"VALUES ({office}, {day}, '08:00', '16:00')")
    service = int(k.sql("INSERT INTO services (name, duration_min, buffer_min, notice_min) "
                        "VALUES ('Veiledning', 30, 10, 0) RETURNING id"))
    workers = []
    for i in range(K):
        workers.append(int(k.sql(
            f"INSERT INTO caseworkers (office_id, name, email, password_hash) VALUES "
            f"({office}, 'Saksbehandler {i}', 'sb{i}@test.example', '$argon2id$v=19$m=1,t=1,p=1$x$y') RETURNING id")))
    return office, service, workers


def book(k, office, service, start, contact, caseworker=None, **extra):
    body = {"service_id": service, "office_id": office, "starts_at": start,
            "name": "Test Person", "contact": contact, "language": "nb", **extra}
    if caseworker:
        body["caseworker_id"] = caseworker
    status, answer, _, _ = k.request("POST", "/api/v1/bookings", body)
    return status, answer


def race(k, office, service, start, caseworker):
    results = [None] * CLIENTS
    barrier = threading.Barrier(CLIENTS)

    def one(i):
        barrier.wait()
        results[i] = book(k, office, service, start, f"racer{i}-{start}@test.example", caseworker)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def main():
    need_env()
    spec = Spec()
    with Kontor(extra_env={"KONTOR_BOOK_PER_MINUTE": "100000", "KONTOR_LINK_PER_MINUTE": "100000"}) as k:
        office, service, workers = seed(k)
        day = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

        status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&office={office}&from={day}&to={day}")
        slots = body.get("slots", []) if body else []
        spec.check("a day of 8 hours has 12 free slots of 30+10 minutes", status == 200 and len(slots) == 12, (status, len(slots)))
        spec.check("every slot names all free caseworkers", all(len(s["caseworker_ids"]) == K for s in slots), slots[:1])
        first = slots[0]["starts_at"] if slots else None
        local = datetime.datetime.fromisoformat(first.replace("Z", "+00:00")).astimezone(
            ZoneInfo("Europe/Oslo")) if first else None
        spec.check("the first slot is at 08:00 Oslo time", local and local.strftime("%H:%M") == "08:00", first)

        # The office list says which languages its caseworkers speak, so the
        # booking page can tell "nobody speaks English here" from "fully booked".
        status, body, _, _ = k.request("GET", "/api/v1/offices")
        spec.check("offices list the languages their active caseworkers speak",
                   status == 200 and body["offices"][0]["caseworker_languages"] == ["nb"], body)
        status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&office={office}&language=en&from={day}&to={day}")
        spec.check("in a language none of them speaks there are no slots", status == 200 and body["slots"] == [], body)

        status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&from=2026-02-30&to=2026-03-01")
        spec.check("an impossible date is 400 bad_date", status == 400 and body["error"]["code"] == "bad_date", body)
        for odd in ("2026-+1-01", "2026-%201-01", "+026-01-01", "2026-01-1%20"):
            status, body, _, _ = k.request("GET", f"/api/v1/slots?service={service}&from={odd}&to={day}")
            spec.check(f"a date with a sign or a blank ({odd}) is 400 bad_date",
                       status == 400 and body["error"]["code"] == "bad_date", body)
        status, body, _, _ = k.request("GET", f"/api/v1/slots?service=x&from={day}&to={day}")
        spec.check("a malformed id is 400", status == 400, body)

        # One booking, its links and calendar file.
        status, b = book(k, office, service, slots[1]["starts_at"], "kari@test.example", workers[0])
        spec.check("booking a named caseworker is 201 with reference, kiosk code and links",
                   status == 201 and b["booking"]["reference"] and len(b["kiosk_code"]) >= 6
                   and "#t=" in b["join_url"], (status, b))
        ics = b.get("ics", "") if b else ""
        spec.check("the calendar file has UID, DTSTAMP, the start in UTC and the join link",
                   all(w in ics for w in ("BEGIN:VCALENDAR", "UID:", "DTSTAMP:",
                                          "DTSTART:" + b["booking"]["starts_at"].replace("-", "").replace(":", "")))
                   and b["join_url"].split("#t=")[1][:20] in ics.replace("\r\n ", ""), ics[:200])
        if icalendar:
            cal = icalendar.Calendar.from_ical(ics)
            ev = [c for c in cal.walk("VEVENT")][0]
            start = ev.decoded("DTSTART")
            spec.check("the calendar file parses and its start is the booked time",
                       start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                       == b["booking"]["starts_at"], (start, b["booking"]["starts_at"]))
        token = b["join_url"].split("#t=")[1]

        ws = k.ws()
        ws.send({"type": "join", "reference": b["booking"]["reference"], "kiosk_code": "000000"
                 if b["kiosk_code"] != "000000" else "111111"})
        msg = ws.recv()
        spec.check("a kiosk join with a wrong code is no_booking", msg.get("code") == "no_booking", msg)
        ws.send({"type": "join", "reference": b["booking"]["reference"], "kiosk_code": b["kiosk_code"]})
        right = ws.recv()
        spec.check("the right kiosk code two days early answers exactly as a wrong one "
                   "(a terminal tells only 'come in' from 'no')", right == msg, (right, msg))
        ws.close()

        # A reference is short (it is read aloud): a drawn one that is
        # already taken is drawn again.  The trigger hands the next two
        # inserts Kari's reference (a sequence counts them: a failed insert
        # rolls back everything else).
        k.sql("CREATE SEQUENCE collide")
        k.sql(f"""CREATE FUNCTION collide() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   IF nextval('collide') <= 2 THEN
                     NEW.reference := '{b["booking"]["reference"]}';
                   END IF;
                   RETURN NEW;
                 END $$""")
        k.sql("CREATE TRIGGER a_collide BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION collide()")
        status, body = book(k, office, service, slots[5]["starts_at"], "collide@test.example")
        spec.check("a reference drawn twice already taken is drawn a third time, and the booking is made",
                   status == 201 and body["booking"]["reference"] != b["booking"]["reference"]
                   and int(k.sql("SELECT last_value FROM collide")) == 3, (status, body))
        k.sql("DROP TRIGGER a_collide ON bookings; DROP FUNCTION collide(); DROP SEQUENCE collide")
        if status == 201:
            k.request("POST", "/api/v1/booking/cancel", {"token": body["join_url"].split("#t=")[1]})

        status, body = book(k, office, service, slots[1]["starts_at"], "kari@test.example", workers[1])
        spec.check("the same job seeker cannot hold two meetings at once", status == 422
                   and body["error"]["code"] == "seeker_overlap", body)
        status, body = book(k, office, service, f"{day}T05:00:00Z", "ola@test.example", workers[1])
        spec.check("07:00 Oslo time (before opening) is 422 outside_hours",
                   status == 422 and body["error"]["code"] == "outside_hours", body)
        status, body = book(k, office, service, slots[4]["starts_at"], "ola@test.example", workers[-1] + 1000)
        spec.check("a caseworker the office does not have is 422 no_caseworker (no race was lost)",
                   status == 422 and body["error"]["code"] == "no_caseworker", body)
        status, body, _, _ = k.request("POST", "/api/v1/bookings", {"service_id": service, "office_id": office,
                                       "starts_at": slots[2]["starts_at"], "name": "X", "contact": "x@y.z", "vip": True})
        spec.check("an unknown field is 400 and books nothing", status == 400, body)

        # Only a time the slot search offers books or moves (08:00 and every
        # 40 minutes): 09:05 is inside the hours but between two slots.
        oslo = ZoneInfo("Europe/Oslo")
        t0905 = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(9, 5), oslo) \
            .astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, body = book(k, office, service, t0905, "between@test.example")
        spec.check("09:05, between the offered times, is 422 not_a_slot",
                   status == 422 and body["error"]["code"] == "not_a_slot" and body["error"]["message"], body)
        status, body, _, _ = k.request("POST", "/api/v1/booking/move", {"token": token, "starts_at": t0905})
        spec.check("moving to 09:05 is 422 not_a_slot", status == 422 and body["error"]["code"] == "not_a_slot", body)
        # Not RFC 3339, or not a real time: refused before the database.
        for bad in (f"{day}T07:59:60Z", f"{day}T23:59:60Z", f"{day}T24:00:00Z", f"{day}T08:00Z",
                    f"{day}T08:00:00", f"{day}T08:00:00+01", f"{day}T08:00:00+25:00",
                    day.replace("-", "") + "T080000Z", "2026-W48-3T08:00:00Z", "2026-329T08:00:00Z",
                    f"{day}T08:00:00.0000001Z", f"{day} 08:00:00Z", "2026-02-30T08:00:00Z", ""):
            status, body = book(k, office, service, bad, "bad-time@test.example")
            moved_status, moved_body, _, _ = k.request("POST", "/api/v1/booking/move", {"token": token, "starts_at": bad})
            spec.check(f"starts_at {bad!r} is 400 (bad_date to book, bad_request to move)",
                       status == 400 and body["error"]["code"] == "bad_date"
                       and moved_status == 400 and moved_body["error"]["code"] == "bad_request",
                       (status, body, moved_status, moved_body))
        spec.check("none of them booked anything", int(k.sql(
            "SELECT count(*) FROM bookings WHERE seeker_contact IN ('between@test.example', 'bad-time@test.example')")) == 0)

        # Move, then cancel, by link.
        # (written as Oslo time with its offset and a fraction: RFC 3339 too)
        offset_form = datetime.datetime.fromisoformat(slots[3]["starts_at"].replace("Z", "+00:00")) \
            .astimezone(oslo).isoformat(timespec="milliseconds")
        status, moved, _, _ = k.request("POST", "/api/v1/booking/move", {"token": token, "starts_at": offset_form})
        spec.check(f"moving by link to {offset_form} answers the new time", status == 200
                   and moved["booking"]["starts_at"] == slots[3]["starts_at"], moved)
        status, cancelled, _, _ = k.request("POST", "/api/v1/booking/cancel", {"token": token})
        spec.check("cancelling by link answers status cancelled", status == 200
                   and cancelled["booking"]["status"] == "cancelled", cancelled)
        if icalendar and status == 200:
            before = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
            after = icalendar.Calendar.from_ical(cancelled["ics"]).walk("VEVENT")[0]
            spec.check("the cancelled calendar file keeps the UID, raises SEQUENCE and says CANCELLED",
                       str(after["UID"]) == str(before["UID"])
                       and int(after.get("SEQUENCE", 0)) > int(before.get("SEQUENCE", 0))
                       and str(after["STATUS"]) == "CANCELLED", (after.get("SEQUENCE"), after.get("STATUS")))
        status, body, _, _ = k.request("POST", "/api/v1/booking/cancel", {"token": token})
        spec.check("cancelling twice is 409 not_changeable", status == 409
                   and body["error"]["code"] == "not_changeable", body)

        # Races.
        target = slots[6]["starts_at"]
        results = race(k, office, service, target, workers[0])
        won = [r for r in results if r and r[0] == 201]
        taken = [r for r in results if r and r[0] == 409 and r[1]["error"]["code"] == "slot_taken"]
        rows = int(k.sql(f"SELECT count(*) FROM bookings WHERE caseworker_id = {workers[0]} "
                         f"AND status <> 'cancelled' AND lower(during) = '{target}'"))
        spec.check(f"{CLIENTS} clients race for a named caseworker's slot: exactly one wins",
                   len(won) == 1 and len(taken) == CLIENTS - 1 and rows == 1,
                   (len(won), len(taken), rows, [r for r in results if r and r[0] not in (201, 409)][:2]))

        target = slots[8]["starts_at"]
        results = race(k, office, service, target, None)
        won = [r for r in results if r and r[0] == 201]
        taken = [r for r in results if r and r[0] == 409 and r[1]["error"]["code"] == "slot_taken"]
        overlaps = int(k.sql("SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id "
                             "AND a.caseworker_id = b.caseworker_id AND a.blocked && b.blocked "
                             "WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'"))
        spec.check(f"{CLIENTS} clients race for 'any caseworker' among {K}: exactly {K} win, none overlap",
                   len(won) == K and len(taken) == CLIENTS - K and overlaps == 0
                   and len({r[1]["booking"]["caseworker_name"] if "caseworker_name" in r[1]["booking"] else r[1]["booking"]["reference"] for r in won}) == K,
                   (len(won), len(taken), overlaps))
    spec.done()


if __name__ == "__main__":
    main()
