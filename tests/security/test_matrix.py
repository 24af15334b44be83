#!/usr/bin/env python3
"""test_matrix.py — every role gets exactly what it may (issue 14).

Reads matrix.tsv (every HTTP route and WebSocket message × every kind of
caller → the exact answer) and tries every cell against a real kontor and
PostgreSQL.  A refusal must change nothing: the rows of every table but the
sessions are the same before and after.  A route of signaling/http.c or a
message of signaling/handlers.c without a row, or a row for one that does
not exist, fails the test: a new endpoint needs its rows first.
"""
import datetime
import os
import re
import secrets
import time

from kontor_harness import Kontor, Spec, need_env

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CALLERS = ["anonymous", "seeker", "other_seeker", "interpreter", "caseworker", "other_office",
           "deactivated", "admin", "monitoring"]
TABLES = ["bookings", "caseworkers", "offices", "services", "opening_hours", "special_days",
          "special_hours", "absences", "audit_log", "settings"]
PASSWORD = "a long enough secret"


def read_matrix():
    rows = []
    with open(os.path.join(HERE, "matrix.tsv")) as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            rows.append(dict(zip(header, cells)))
    return header, rows


def server_surface():
    """(set of (method, path)) from http.c, set of message types from handlers.c."""
    http = open(os.path.join(ROOT, "signaling", "http.c")).read()
    routes = {("POST" if post == "TRUE" else "GET", path)
              for path, post in re.findall(r'\{ "(/[^"]*)", (TRUE|FALSE), ks_api_\w+ \}', http)}
    handlers = open(os.path.join(ROOT, "signaling", "handlers.c")).read()
    table = handlers[handlers.index("handlers[] = {"):]
    table = table[:table.index("};")]
    messages = set(re.findall(r'\{ "(\w+)", on_\w+ \}', table))
    return routes, messages


class Fixture:
    """Two offices, the callers, bookings A (in its meeting) and B (waiting)."""

    def __init__(self, k):
        self.k = k
        self.n = 0
        b_demo = k.demo(60)
        self.admin_email = b_demo["caseworker_email"]
        _, _, self.admin_cookie = k.login(self.admin_email, b_demo["caseworker_password"])
        self.admin_password = b_demo["caseworker_password"]
        self.office1 = int(k.sql(f"SELECT office_id FROM caseworkers WHERE email = '{self.admin_email}'"))
        self.service = int(k.sql("SELECT min(id) FROM services"))
        self.cw = self.staff(self.office1, "Carl Caseworker", "carl@matrix.test")
        self.doomed = self.staff(self.office1, "Dora Deactivated", "dora@matrix.test")
        self.office2 = self.admin("offices", {"name": "Other office", "time_zone": "Europe/Stockholm",
                                              "languages": ["nb"]})
        self.admin("hours", {"office_id": self.office2, "hours": [
            {"weekday": d, "opens": "08:00", "closes": "16:00"} for d in range(1, 8)]})
        self.other = self.staff(self.office2, "Olga Other", "olga@matrix.test")
        self.scratch_office = self.admin("offices", {"name": "Scratch office", "time_zone": "Europe/Oslo"})
        self.scratch_cw = self.staff(self.scratch_office, "Sam Scratch", "sam@matrix.test")
        # B: a booking of Dora's, its job seeker waiting; A: Carl's, in its meeting.
        k.sql(f"UPDATE bookings SET caseworker_id = {self.doomed} WHERE reference = '{b_demo['booking_reference']}'")
        self.b_token = b_demo["booking_token"]
        self.b = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{b_demo['booking_reference']}'"))
        a_demo = k.demo(60)
        # Each demo gives the demo caseworker a new password.
        self.admin_password = a_demo["caseworker_password"]
        _, _, self.admin_cookie = k.login(self.admin_email, self.admin_password)
        k.sql(f"UPDATE bookings SET caseworker_id = {self.cw} WHERE reference = '{a_demo['booking_reference']}'")
        self.a_token = a_demo["booking_token"]
        self.a = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{a_demo['booking_reference']}'"))
        self.cookies = {"caseworker": k.login("carl@matrix.test", PASSWORD)[2],
                        "other_office": k.login("olga@matrix.test", PASSWORD)[2],
                        "deactivated": k.login("dora@matrix.test", PASSWORD)[2],
                        "admin": self.admin_cookie}
        day = datetime.date.today() + datetime.timedelta(days=2)
        self.slots = []
        for d in range(7):
            date = (day + datetime.timedelta(days=d)).isoformat()
            self.slots += k.request("GET", f"/api/v1/slots?service={self.service}&office={self.office1}"
                                           f"&from={date}&to={date}")[1].get("slots", [])
        # The meeting: Carl admits A's job seeker; an interpreter comes in.
        self.seeker_ws = self.seeker_socket(self.a_token, "waiting")
        self.cw_ws = None
        self.caseworker_socket()
        self.seeker_ws.recv_type("admitted")
        self.other_seeker_ws = self.seeker_socket(self.b_token, "waiting")
        # Dora's calendar feed, made before her deactivation.
        self.doomed_feed = secrets.token_urlsafe(32)
        k.sql(f"INSERT INTO calendar_feeds VALUES ({self.doomed}, "
              f"sha256(convert_to('{self.doomed_feed}', 'UTF8')), now())")
        # Dora's page is open when the administrator deactivates her.
        self.doomed_ws = self.hello_socket(self.cookies["deactivated"])
        self.admin("caseworkers/active", {"caseworker_id": self.doomed, "active": False})
        self.doomed_closed = closed_with(self.doomed_ws, "not_logged_in")

    # ---- helpers --------------------------------------------------------
    def unique(self):
        self.n += 1
        return self.n

    def admin(self, what, body):
        status, answer, _, _ = self.k.request("POST", "/api/v1/admin/" + what, body,
                                              headers={"Cookie": self.admin_cookie})
        assert status == 200, (what, status, answer)
        return answer["id"]

    def staff(self, office, name, email):
        return self.admin("caseworkers", {"office_id": office, "name": name, "email": email,
                                          "password": PASSWORD, "languages": ["nb"]})

    def book(self, caseworker=None):
        """A fresh booking at office 1 (its answer: booking, join_url, …)."""
        for _ in range(len(self.slots)):
            slot = self.slots.pop(0)
            body = {"service_id": self.service, "office_id": self.office1, "starts_at": slot["starts_at"],
                    "name": "Matrix Person", "contact": f"p{secrets.token_hex(4)}@matrix.test",
                    "language": "nb"}
            if caseworker:
                body["caseworker_id"] = caseworker
            status, answer, _, _ = self.k.request("POST", "/api/v1/bookings", body)
            if status == 201:
                return answer
        raise RuntimeError("no free slot left for a booking")

    def failed_message(self):
        """The id of a message given up on, of a fresh booking."""
        booking = self.book()["booking"]["id"]
        return int(self.k.sql(f"UPDATE outbox SET status = 'failed', attempts = 1 WHERE booking_id = {booking} "
                              f"AND kind = 'confirmation' RETURNING id"))

    def seeker_socket(self, token, first):
        ws = self.k.ws()
        ws.send({"type": "join", "token": token})
        ws.recv_type(first)
        return ws

    def hello_socket(self, cookie):
        ws = self.k.ws(cookie=cookie)
        ws.send({"type": "hello"})
        ws.recv_type("queue")
        return ws

    def caseworker_socket(self):
        """Carl, seated in A's meeting (a newer socket takes the seat)."""
        ws = self.hello_socket(self.cookies["caseworker"])
        ws.send({"type": "admit", "booking_id": self.a})
        ws.recv_type("admitted")
        if self.cw_ws:
            self.cw_ws.close()
        self.cw_ws = ws
        return ws

    def interpreter_socket(self):
        self.cw_ws.send({"type": "invite", "booking_id": self.a, "new": True})
        token = self.cw_ws.recv_type("invitation")["url"].split("#i=")[1]
        ws = self.k.ws()
        ws.send({"type": "join", "invite": token})
        ws.recv_type("admitted")
        return ws, token

    def snapshot(self):
        # A failed log-in is refused and audited (login_failed): that row is
        # the one change a refusal makes, on purpose.
        where = {"audit_log": " WHERE x.action <> 'login_failed'"}
        parts = [f"SELECT '{t}' AS t, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS h "
                 f"FROM {t} x{where.get(t, '')}" for t in TABLES]
        text = self.k.sql("SELECT string_agg(t || '=' || h, ' ') FROM (" + " UNION ALL ".join(parts) + ") s")
        return dict(pair.split("=") for pair in text.split())

    def row_a(self):
        return self.k.sql(f"SELECT x::text FROM bookings x WHERE id = {self.a}")


def closed_with(ws, code, timeout=5):
    told = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msg = ws.recv(max(0.1, deadline - time.monotonic()))
            if isinstance(msg, tuple):
                return told
            told = told or (msg.get("type") == "error" and msg.get("code") == code)
    except (ConnectionError, OSError):
        return told
    return False


def ws_answer(ws, quiet=0.6, answers=("admitted", "invitation", "waiting")):
    """The first error code after a message, 'closed', or 'allow' when no
    error came (an answer, or silence for quiet seconds).  Queue pushes and
    presence are what a caseworker's socket hears anyway: not answers."""
    deadline = time.monotonic() + quiet
    try:
        while time.monotonic() < deadline:
            msg = ws.recv(max(0.05, deadline - time.monotonic()))
            if isinstance(msg, tuple):
                return "closed"
            if msg.get("type") == "error":
                return "ws:" + msg["code"]
            if msg.get("type") in answers:
                return "allow"
    except TimeoutError:
        return "allow"
    except (ConnectionError, OSError):
        return "closed"
    return "allow"


# ---- HTTP cells ------------------------------------------------------------

def http_request(fx, method, path, caller, allowed):
    """(path with query, body, headers, own_booking) for the caller; when
    allowed, bodies name throw-away rows so that later cells still hold."""
    k, n = fx.k, fx.unique()
    headers = {}
    if caller in fx.cookies:
        headers["Cookie"] = fx.cookies[caller]
    if caller == "monitoring":
        headers["Authorization"] = "Bearer " + k.METRICS_TOKEN
    today = datetime.date.today()
    span = f"from={(today - datetime.timedelta(days=1)).isoformat()}&to={(today + datetime.timedelta(days=1)).isoformat()}"
    own = None
    if path == "/api/v1/logout" and caller in ("caseworker", "other_office", "admin"):
        # A session of its own to end: the caller's other cells go on.
        email = {"caseworker": "carl@matrix.test", "other_office": "olga@matrix.test"}.get(caller)
        headers["Cookie"] = (k.login(email, PASSWORD) if email
                             else k.login(fx.admin_email, fx.admin_password))[2]
    if path in ("/api/v1/booking", "/api/v1/booking/calendar", "/api/v1/booking/cancel",
                "/api/v1/booking/move"):
        token = {"seeker": fx.a_token, "interpreter": fx.invitation}.get(caller, secrets.token_urlsafe(32))
        if caller == "other_seeker" or (caller == "seeker" and path in ("/api/v1/booking/cancel",
                                                                        "/api/v1/booking/move")):
            own = fx.book()
            token = own["join_url"].split("#t=")[1]
        body = {"token": token}
        if path.endswith("/move"):
            body["starts_at"] = fx.slots.pop(0)["starts_at"]
        return path, body, headers, own
    if path == "/api/v1/feed/{token}.ics":
        # The URL a caseworker's POST /calendar-feed gave (Dora's made
        # before her deactivation); anyone else holds a made-up one.
        if caller in ("caseworker", "other_office", "admin"):
            _, feed, _, _ = k.request("POST", "/api/v1/calendar-feed", {}, headers=headers)
            return "/" + feed["url"].split("://")[1].split("/", 1)[1], None, {}, None
        token = fx.doomed_feed if caller == "deactivated" else secrets.token_urlsafe(32)
        return f"/api/v1/feed/{token}.ics", None, {}, None
    target = fx.a
    if allowed and path in ("/api/v1/queue/cancel", "/api/v1/queue/kiosk-code"):
        target = fx.book(fx.cw)["booking"]["id"]
    scratch_cw = fx.scratch_cw
    if allowed and path.startswith("/api/v1/admin/caseworkers/"):
        scratch_cw = fx.staff(fx.scratch_office, f"Scratch {n}", f"scratch{n}@matrix.test")
    bodies = {
        "/api/v1/login": {"email": "dora@matrix.test" if caller == "deactivated" else fx.admin_email,
                          "password": PASSWORD if caller == "deactivated" else fx.admin_password},
        "/api/v1/logout": {},
        "/api/v1/queue/cancel": {"booking_id": target, "reason": "matrix"},
        "/api/v1/queue/kiosk-code": {"booking_id": target},
        "/api/v1/bookings": None,
        "/api/v1/admin/offices": {"name": f"Matrix office {n}", "time_zone": "Europe/Oslo"},
        "/api/v1/admin/hours": {"office_id": fx.scratch_office,
                                "hours": [{"weekday": 1, "opens": "09:00", "closes": "15:00"}]},
        "/api/v1/admin/special-days": {"office_id": fx.scratch_office,
                                       "first_date": (today + datetime.timedelta(days=100 + n)).isoformat(),
                                       "last_date": (today + datetime.timedelta(days=100 + n)).isoformat(),
                                       "reason": "matrix"},
        "/api/v1/admin/special-days/delete": {"id": fx.special_day if not allowed else fx.admin(
            "special-days", {"office_id": fx.scratch_office,
                             "first_date": (today + datetime.timedelta(days=300 + n)).isoformat(),
                             "last_date": (today + datetime.timedelta(days=300 + n)).isoformat(),
                             "reason": "to delete"})},
        "/api/v1/admin/services": {"name": f"Matrix service {n}", "duration_min": 30, "buffer_min": 0,
                                   "notice_min": 0, "horizon_days": 30, "languages": ["nb"]},
        "/api/v1/admin/caseworkers": {"office_id": fx.scratch_office, "name": f"New {n}",
                                      "email": f"new{n}@matrix.test", "password": PASSWORD,
                                      "languages": ["nb"]},
        "/api/v1/admin/caseworkers/active": {"caseworker_id": scratch_cw, "active": False},
        "/api/v1/admin/caseworkers/update": {"caseworker_id": scratch_cw, "office_id": fx.scratch_office,
                                             "name": f"Renamed {n}", "is_admin": False, "languages": ["nb"]},
        "/api/v1/admin/caseworkers/password": {"caseworker_id": scratch_cw, "password": "brand new secret 2"},
        "/api/v1/admin/absences": {"caseworker_id": fx.scratch_cw,
                                   "from": f"{today + datetime.timedelta(days=200 + n)}T07:00:00Z",
                                   "to": f"{today + datetime.timedelta(days=200 + n)}T09:00:00Z",
                                   "reason": "matrix"},
        "/api/v1/admin/absences/delete": {"id": fx.absence if not allowed else fx.admin(
            "absences", {"caseworker_id": fx.scratch_cw,
                         "from": f"{today + datetime.timedelta(days=400 + n)}T07:00:00Z",
                         "to": f"{today + datetime.timedelta(days=400 + n)}T09:00:00Z", "reason": "to delete"})},
        "/api/v1/booking/resend-link": {"reference": "ABC-DEF", "contact": f"lost{n}@matrix.test"},
        "/api/v1/calendar-feed": {},
        "/api/v1/admin/messages/resend": {"id": fx.failed_message() if allowed else 1},
        "/api/v1/admin/reassign": {"booking_id": fx.reassignable if not allowed else fx.book(fx.cw)["booking"]["id"],
                                   "to_caseworker_id": fx.cw2},
    }
    queries = {
        "/api/v1/slots": f"?service={fx.service}&office={fx.office1}&from={today}&to={today}",
        "/api/v1/caseworkers": f"?office={fx.office1}",
        "/api/v1/admin/hours": f"?office={fx.office1}",
        "/api/v1/admin/special-days": f"?office={fx.office1}",
        "/api/v1/admin/absences": f"?office={fx.office1}",
        "/api/v1/admin/conflicts": f"?office={fx.office1}",
        "/api/v1/admin/caseworkers": f"?office={fx.office1}",
        "/api/v1/admin/stats": f"?office={fx.office1}&{span}",
        "/api/v1/admin/audit": f"?office={fx.office1}&{span}",
        "/api/v1/admin/messages": f"?office={fx.office1}",
    }
    if method == "GET":
        return path + queries.get(path, ""), None, headers, None
    if path == "/api/v1/bookings":
        slot = fx.slots.pop(0)
        return path, {"service_id": fx.service, "office_id": fx.office1, "starts_at": slot["starts_at"],
                      "name": "Matrix Booker", "contact": f"b{n}@matrix.test", "language": "nb"}, headers, None
    return path, bodies[path], headers, None


def answer_of(status, body):
    if status < 400:
        return "allow"
    code = (body or {}).get("error", {}).get("code", "?") if isinstance(body, dict) else "?"
    return f"{status} {code}"


# ---- WebSocket cells -------------------------------------------------------

def ws_cell(fx, message, caller):
    """Sends message as caller on a fresh socket in the caller's state."""
    if caller == "deactivated":
        return "closed" if fx.doomed_closed else "open"
    if caller in ("seeker", "interpreter"):
        # Carl seated in A's meeting on a socket read lately (the server
        # hangs up on a socket that answers no ping for 45 s).
        fx.caseworker_socket()
    if caller == "anonymous":
        ws = fx.k.ws()
    elif caller == "seeker":
        fx.seeker_ws.close()
        fx.seeker_ws = ws = fx.seeker_socket(fx.a_token, "admitted")
    elif caller == "other_seeker":
        fx.other_seeker_ws.close()
        fx.other_seeker_ws = ws = fx.seeker_socket(fx.b_token, "waiting")
    elif caller == "interpreter":
        ws, _ = fx.interpreter_socket()
    elif caller == "caseworker":
        ws = fx.caseworker_socket()
    else:
        ws = fx.hello_socket(fx.cookies[caller])
    payload = {
        "join": {"type": "join", "token": fx.a_token},
        "hello": {"type": "hello"},
        "offer": {"type": "offer", "sdp": "v=0"},
        "ice": {"type": "ice", "candidate": None},
        "chat": {"type": "chat", "text": "matrix"},
        "leave": {"type": "leave"},
    }.get(message, {"type": message, "booking_id": fx.a})
    ws.send(payload)
    # hello is answered by a queue, which a caseworker's socket also gets
    # unasked: only a socket that did not say hello yet can tell.
    fresh_hello = message == "hello" and caller == "anonymous"
    got = ws_answer(ws, answers=("admitted", "invitation", "waiting") + (("queue",) if fresh_hello else ()))
    if caller not in ("seeker", "caseworker"):
        ws.close()
    if message == "join" and caller == "anonymous":
        fx.seeker_ws.close()
        fx.seeker_ws = ws  # it took the job seeker's seat
    return got


def main():
    need_env()
    spec = Spec()
    header, rows = read_matrix()
    spec.check("the table has a column per kind of caller", header[2:] == CALLERS, header)
    routes, messages = server_surface()
    http_rows = {(r["kind"], r["target"]) for r in rows if r["kind"] != "WS"}
    ws_rows = {r["target"] for r in rows if r["kind"] == "WS"}
    spec.check(f"every route of the server has a row ({len(routes)})", routes <= http_rows,
               sorted(routes - http_rows))
    spec.check("no row names a route the server lacks", http_rows <= routes, sorted(http_rows - routes))
    spec.check(f"every WebSocket message has a row ({len(messages)})", messages == ws_rows,
               sorted(messages ^ ws_rows))
    env = {k: "1000000" for k in ("KONTOR_LOGIN_PER_MINUTE", "KONTOR_BOOK_PER_MINUTE",
                                  "KONTOR_LINK_PER_MINUTE", "KONTOR_PUBLIC_PER_MINUTE",
                                  "KONTOR_LOST_LINK_PER_HOUR")}
    env["KONTOR_MAX_LIVE_BOOKINGS"] = "64"
    started = time.monotonic()
    cells = refusals = 0
    with Kontor(extra_env=env) as k:
        fx = Fixture(k)
        spec.check("the deactivated caseworker's open socket was closed with not_logged_in", fx.doomed_closed)
        _, fx.invitation = fx.interpreter_socket()
        fx.special_day = fx.admin("special-days", {"office_id": fx.scratch_office,
                                                   "first_date": "2031-01-02", "last_date": "2031-01-02",
                                                   "reason": "kept"})
        fx.absence = fx.admin("absences", {"caseworker_id": fx.scratch_cw, "from": "2031-01-02T07:00:00Z",
                                           "to": "2031-01-02T09:00:00Z", "reason": "kept"})
        fx.cw2 = fx.staff(fx.office1, "Carla Second", "carla@matrix.test")
        fx.reassignable = fx.book(fx.cw)["booking"]["id"]

        def cell(row, caller):
            nonlocal cells, refusals
            want = row[caller]
            if want == "n/a":
                return
            cells += 1
            allowed = want in ("allow", "own")
            before = fx.snapshot() if not allowed else None
            a_before = fx.row_a()
            if row["kind"] == "WS":
                got = ws_cell(fx, row["target"], caller)
            else:
                path, body, headers, own = http_request(fx, row["kind"], row["target"], caller, allowed)
                status, answer, _, _ = k.request(row["kind"], path, body, headers=headers)
                got = answer_of(status, answer)
                if got != want and isinstance(answer, dict) and "error" in answer:
                    got += f" ({answer['error'].get('message')}; body {body})"
                if want == "own" and got == "allow":
                    got = "own" if fx.row_a() == a_before and own else "changed A"
            ok = got == want
            if ok and not allowed:
                refusals += 1
                after = fx.snapshot()
                changed = [t for t in TABLES if before[t] != after[t]]
                ok = not changed
                got += f" (changed {changed})" if changed else ""
            spec.check(f"{row['kind']} {row['target']} as {caller}: {want}", ok, got)

        # Refusals first, then what is allowed; logout and the end of A's
        # meeting, which take away what later cells stand on, come last.
        last = [("POST", "/api/v1/logout"), ("WS", "end")]
        ordered = [r for r in rows if (r["kind"], r["target"]) not in last] + \
                  [r for key in last for r in rows if (r["kind"], r["target"]) == key]
        for allowed_pass in (False, True):
            for row in ordered:
                for caller in CALLERS:
                    if (row[caller] in ("allow", "own")) != allowed_pass:
                        continue
                    cell(row, caller)
    print(f"{cells} cells ({refusals} refusals checked against the database) in "
          f"{time.monotonic() - started:.0f} s")
    spec.done()


if __name__ == "__main__":
    main()
