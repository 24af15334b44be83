#!/usr/bin/env python3
"""test_metrics.py — GET /metrics as an operator's monitoring reads it
(docs/api.md "GET /metrics", docs/operations.md "Watching it"): after a
booking, a move, cancellations by link and by a caseworker, refused joins
and some HTTP requests, the counters moved by exactly that much; sockets,
rooms and meetings are counted now; every histogram is whole (cumulative
buckets, +Inf equal to _count); `promtool check metrics` has nothing to
say; and neither the job seeker's name, contact, link nor reference, nor
anything sent in a URL, appears in the text."""
import datetime
import re
import secrets
import shutil
import subprocess

from kontor_harness import Kontor, Spec, need_env

NAME = "Metrikk Personvernsen"
CONTACT = "metrikk-" + secrets.token_hex(4) + "@test.example"
URL_SECRET = "urlsecret" + secrets.token_hex(4)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def parse(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = SAMPLE.match(line)
            if not m:
                raise ValueError(f"not a sample line: {line!r}")
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def seed(k):
    """An office open all day every day in UTC, a 30-minute service without
    notice, one caseworker."""
    office = int(k.sql("INSERT INTO offices (name, time_zone) VALUES ('Metrikkontor', 'UTC') RETURNING id"))
    for day in range(1, 8):
        k.sql(f"INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
              f"VALUES ({office}, {day}, '08:00', '16:00')")
    service = int(k.sql("INSERT INTO services (name, duration_min, buffer_min, notice_min) "
                        "VALUES ('Veiledning', 30, 0, 0) RETURNING id"))
    k.sql(f"INSERT INTO caseworkers (office_id, name, email, password_hash) VALUES "
          f"({office}, 'Saksbehandler', 'metrikk@test.example', '$argon2id$v=19$m=1,t=1,p=1$x$y')")
    return office, service


def histograms(values, name):
    """{labels without le: ([(le, count)…], sum, count)} of histogram name."""
    series = {}
    for key, v in values.items():
        m = re.match(re.escape(name) + r'_(bucket|sum|count)\{(.*)\}$', key)
        if not m:
            continue
        part, labels = m.groups()
        if part == "bucket":
            le = re.search(r',?le="([^"]*)"$', labels)
            base = labels[:le.start()]
            series.setdefault(base, [[], None, None])[0].append((float(le.group(1)), v))
        else:
            series.setdefault(labels, [[], None, None])[1 if part == "sum" else 2] = v
    return series


def histograms_whole(values, name):
    """Problems of histogram name: buckets not cumulative, +Inf ≠ _count."""
    problems = []
    for labels, (buckets, total, count) in histograms(values, name).items():
        buckets.sort()
        counts = [c for _, c in buckets]
        if counts != sorted(counts):
            problems.append(f"{labels}: buckets fall")
        if not buckets or buckets[-1][0] != float("inf") or buckets[-1][1] != count:
            problems.append(f"{labels}: +Inf bucket is not _count")
        if total is None or total < 0:
            problems.append(f"{labels}: no _sum")
    return problems


def main():
    need_env()
    spec = Spec()
    with Kontor() as k:
        office, service = seed(k)
        early = k.demo(3 * 3600)
        now = k.demo(60)
        before = parse(k.metrics())

        # ---- bookings: two made, one moved, one cancelled by link, one by a caseworker
        day = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
        status, body, _, _ = k.request(
            "GET", f"/api/v1/slots?service={service}&office={office}&from={day}&to={day}&x={URL_SECRET}")
        slots = [s["starts_at"] for s in body.get("slots", [])] if body else []
        spec.check("the office has free slots", status == 200 and len(slots) >= 3, (status, body))
        links = []
        for start in slots[:2]:
            status, body, _, _ = k.request("POST", "/api/v1/bookings", {
                "service_id": service, "office_id": office, "starts_at": start,
                "name": NAME, "contact": CONTACT, "language": "nb"})
            spec.check("a job seeker books", status == 201, (status, body))
            links.append(body["join_url"].split("#t=")[1] if status == 201 else "")
        status, _, _, _ = k.request("POST", "/api/v1/booking/move", {"token": links[1], "starts_at": slots[2]})
        spec.check("… moves one booking by its link", status == 200, status)
        status, _, _, _ = k.request("POST", "/api/v1/booking/cancel", {"token": links[0]})
        spec.check("… and cancels the other", status == 200, status)
        status, _, cookie = k.login(now["caseworker_email"], now["caseworker_password"])
        demo_id = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{early['booking_reference']}'"))
        status, body, _, _ = k.request("POST", "/api/v1/queue/cancel",
                                       {"booking_id": demo_id, "reason": "Syk"}, headers={"Cookie": cookie})
        spec.check("a caseworker cancels a booking from the queue", status == 200, (status, body))
        status, _, _, _ = k.request("POST", "/api/v1/booking/cancel", {"token": links[0]})
        spec.check("cancelling it again is refused (and not counted)", status == 409, status)

        # ---- refused joins: no such link, a cancelled booking, too early
        ws = k.ws()
        ws.send({"type": "join", "token": secrets.token_urlsafe(32)})
        spec.check("a join with an unknown link is refused no_booking", ws.recv().get("code") == "no_booking")
        ws.send({"type": "join", "token": links[0]})
        spec.check("… with a cancelled booking's link, cancelled", ws.recv().get("code") == "cancelled")
        ws.close()
        later = k.demo(3 * 3600)
        ws = k.ws()
        ws.send({"type": "join", "token": later["booking_token"]})
        spec.check("… three hours early, too_early", ws.recv().get("code") == "too_early")
        ws.close()

        # ---- HTTP: three answers of one route, one unknown path, one wrong method
        for _ in range(3):
            k.request("GET", "/api/v1/config")
        k.request("GET", f"/api/v1/{URL_SECRET}")
        k.request("GET", "/api/v1/login")

        # ---- live figures: a job seeker waiting, a socket not joined, a meeting
        seeker = k.ws()
        seeker.send({"type": "join", "token": now["booking_token"]})
        seeker.recv_type("waiting")
        idle = k.ws()
        cw = k.ws(cookie=cookie)
        cw.send({"type": "hello"})
        cw.recv_type("queue")
        now_id = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{now['booking_reference']}'"))
        cw.send({"type": "admit", "booking_id": now_id})
        cw.recv_type("admitted")

        text = k.metrics()
        after = parse(text)

        spec.check("two bookings made", delta(before, after, "kontor_bookings_made_total") == 2,
                   delta(before, after, "kontor_bookings_made_total"))
        spec.check("one moved", delta(before, after, "kontor_bookings_moved_total") == 1)
        spec.check("one cancelled by its job seeker",
                   delta(before, after, 'kontor_bookings_cancelled_total{by="seeker"}') == 1)
        spec.check("one cancelled by a caseworker",
                   delta(before, after, 'kontor_bookings_cancelled_total{by="caseworker"}') == 1)
        for code in ("no_booking", "cancelled", "too_early"):
            spec.check(f"one join refused {code}",
                       delta(before, after, f'kontor_join_refusals_total{{code="{code}"}}') == 1,
                       delta(before, after, f'kontor_join_refusals_total{{code="{code}"}}'))
        spec.check("no other join refusals", sum(
            delta(before, after, key) for key in after if key.startswith("kontor_join_refusals_total")) == 3)

        def http_count(labels):
            return delta(before, after, f"kontor_http_request_duration_seconds_count{{{labels}}}")
        spec.check("three GET /api/v1/config answered 2xx",
                   http_count('route="/api/v1/config",method="GET",status="2xx"') == 3,
                   http_count('route="/api/v1/config",method="GET",status="2xx"'))
        spec.check("an unknown path counts as route other, 4xx",
                   http_count('route="other",method="GET",status="4xx"') == 1)
        spec.check("GET of a POST route counts under its route, 4xx",
                   http_count('route="/api/v1/login",method="GET",status="4xx"') == 1)
        spec.check("the bookings are timed under their route",
                   http_count('route="/api/v1/bookings",method="POST",status="2xx"') == 2)
        spec.check("the book statement was timed twice",
                   delta(before, after, 'kontor_db_query_duration_seconds_count{statement="book"}') == 2)
        spec.check("every statement has its series, sessions too",
                   'kontor_db_query_duration_seconds_count{statement="session_lookup"}' in after)
        for name in ("kontor_http_request_duration_seconds", "kontor_db_query_duration_seconds"):
            problems = histograms_whole(after, name)
            spec.check(f"{name}: every series is whole", not problems, problems[:3])

        spec.check("sockets by role: one job seeker, one caseworker, one not joined",
                   after['kontor_websockets{role="seeker"}'] == 1
                   and after['kontor_websockets{role="caseworker"}'] == 1
                   and after['kontor_websockets{role="none"}'] == 1
                   and after['kontor_websockets{role="any"}'] == 3,
                   {key: v for key, v in after.items() if key.startswith("kontor_websockets{")})
        spec.check("one room, one meeting in progress, two seats",
                   after["kontor_rooms"] == 1 and after["kontor_meetings_in_progress"] == 1
                   and after["kontor_websockets_in_room"] == 2, after.get("kontor_meetings_in_progress"))
        spec.check("the relay's counters are there (no media in this test)",
                   all(key in after for key in ('kontor_media_relayed_bytes_total{direction="in"}',
                                                'kontor_media_relayed_bytes_total{direction="out"}',
                                                "kontor_media_packets_received_total",
                                                "kontor_media_packets_lost_total")))

        again = parse(k.metrics())
        fell = [key for key in after if (key.endswith("_total") or "_total{" in key or "_bucket{" in key
                                         or "_count{" in key) and again.get(key, -1) < after[key]]
        spec.check("no counter falls between two scrapes", not fell, fell[:5])

        secrets_seen = [s for s in (NAME, CONTACT, URL_SECRET, links[0], links[1], now["booking_token"],
                                    now["booking_reference"], now["caseworker_email"], cookie.split("=", 1)[1])
                        if s and s in text]
        spec.check("no name, contact, link, reference, e-mail, cookie or URL part in the text",
                   not secrets_seen, secrets_seen)
        labels = set(re.findall(r'([a-z_]+)="', text))
        spec.check("only the documented label names",
                   labels <= {"role", "direction", "reason", "code", "by", "route", "method", "status",
                              "statement", "le"}, labels)

        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
            said = (p.stdout + p.stderr).strip()
            spec.check("promtool check metrics has nothing to say", p.returncode == 0 and not said, said)
        else:
            spec.check("promtool is installed (Debian package prometheus, deploy/install-deps TEST)", False)
        for s in (seeker, idle, cw):
            s.close()
    spec.done()


if __name__ == "__main__":
    main()
