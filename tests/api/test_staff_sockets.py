#!/usr/bin/env python3
"""test_staff_sockets.py — a caseworker's authority on an open WebSocket
ends with the session it opened with (issue 14).  Logging out, a new
password and a deactivation close the caseworker's open sockets at once
with not_logged_in; a session that ends behind the server's back (another
node, an expiry) refuses every action at once, changes nothing, and the
socket is closed by the next check (the sweep, every 30 s)."""
import time

from kontor_harness import Kontor, Spec, need_env


def closed_with_not_logged_in(ws, timeout=10):
    """Reads until the server's close: was it not_logged_in, then a close?"""
    told = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msg = ws.recv(max(0.1, deadline - time.monotonic()))
            if isinstance(msg, tuple):
                return told
            if msg.get("type") == "error" and msg.get("code") == "not_logged_in":
                told = True
    except (ConnectionError, OSError):
        return told
    return False


def still_open(ws):
    """The socket answers: a bad admit gets its error, the socket stays."""
    ws.send({"type": "admit", "booking_id": 999999999})
    msg = ws.recv_type("error")
    return not isinstance(msg, tuple) and msg.get("code") == "no_booking"


def main():
    need_env()
    spec = Spec()
    with Kontor(extra_env={"KONTOR_LOGIN_PER_MINUTE": "1000"}) as k:
        demo = k.demo(60)
        _, _, admin = k.login(demo["caseworker_email"], demo["caseworker_password"])
        office = int(k.sql(f"SELECT office_id FROM caseworkers WHERE email = '{demo['caseworker_email']}'"))
        password = "a long enough secret"
        status, body, _, _ = k.request("POST", "/api/v1/admin/caseworkers", {
            "office_id": office, "name": "Sara Saksson", "email": "sara@test.example",
            "password": password, "languages": ["sv"]}, headers={"Cookie": admin})
        sara = body["id"]
        booking = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))

        def sara_socket():
            _, _, cookie = k.login("sara@test.example", password)
            ws = k.ws(cookie=cookie)
            ws.send({"type": "hello"})
            ws.recv_type("queue")
            return cookie, ws

        # Logout: the socket of that session closes, another tab's session stays.
        cookie, ws = sara_socket()
        cookie2, ws2 = sara_socket()
        status, _, _, _ = k.request("POST", "/api/v1/logout", {}, headers={"Cookie": cookie})
        spec.check("logging out closes the socket opened with that session, with not_logged_in",
                   status == 200 and closed_with_not_logged_in(ws))
        spec.check("a socket of the same caseworker's other session stays open", still_open(ws2))

        # A new password ends every session of the caseworker, and every socket.
        status, _, _, _ = k.request("POST", "/api/v1/admin/caseworkers/password",
                                    {"caseworker_id": sara, "password": password + "!"},
                                    headers={"Cookie": admin})
        spec.check("a new password closes the caseworker's open socket", status == 200
                   and closed_with_not_logged_in(ws2))
        password += "!"

        # Deactivation.
        cookie, ws = sara_socket()
        status, _, _, _ = k.request("POST", "/api/v1/admin/caseworkers/active",
                                    {"caseworker_id": sara, "active": False}, headers={"Cookie": admin})
        spec.check("deactivating a caseworker closes her open socket", status == 200
                   and closed_with_not_logged_in(ws))
        spec.check("and her session cookie is dead for HTTP too",
                   k.request("GET", "/api/v1/me", headers={"Cookie": cookie})[0] == 401)
        k.request("POST", "/api/v1/admin/caseworkers/active", {"caseworker_id": sara, "active": True},
                  headers={"Cookie": admin})

        # A session ended behind the server's back (another node logged it
        # out, or deactivated her): every action is refused at once and
        # changes nothing; the socket closes at the next check.
        cookie, ws = sara_socket()
        seeker = k.ws()
        k.sql(f"UPDATE bookings SET caseworker_id = {sara} WHERE id = {booking}")
        seeker.send({"type": "join", "token": demo["booking_token"]})
        seeker.recv_type("waiting")
        k.sql(f"DELETE FROM sessions WHERE caseworker_id = {sara}")
        ws.send({"type": "admit", "booking_id": booking})
        spec.check("an admit through a session deleted elsewhere is refused with not_logged_in, "
                   "and the socket closes", closed_with_not_logged_in(ws))
        status = k.sql(f"SELECT status FROM bookings WHERE id = {booking}")
        spec.check("the booking was not admitted", status == "waiting", status)
        audit = k.sql(f"SELECT count(*) FROM audit_log WHERE booking_id = {booking} "
                      "AND action = 'admit'")
        spec.check("nor audited as admitted", audit == "0", audit)

        cookie, ws = sara_socket()
        k.sql(f"UPDATE caseworkers SET active = false WHERE id = {sara}")
        started = time.monotonic()
        closed = closed_with_not_logged_in(ws, timeout=40)
        spec.check("a caseworker deactivated elsewhere loses her open socket within the sweep "
                   f"interval (30 s; took {time.monotonic() - started:.1f} s)", closed)
        seeker.close()
    spec.done()


if __name__ == "__main__":
    main()
