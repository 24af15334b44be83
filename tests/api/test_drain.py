#!/usr/bin/env python3
"""test_drain.py — SIGTERM drains (issue 15): /readyz turns 503 draining,
no new meeting starts here (a job seeker arriving for another booking, or
an admit, is answered `draining`, and the page tries again), while the
meeting in progress goes on: its job seeker reloads and is back in, chat
still passes.  When it ends, kontor exits 0 by itself.  A second run shows
the deadline: with a meeting still going, kontor stops after
[server] drain_timeout seconds, also with exit status 0."""
import signal
import time

from kontor_harness import Kontor, Spec, need_env


def booking_id(k, demo):
    return int(k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))


def meeting(k):
    """A meeting in progress: (demo, booking id, caseworker socket, job seeker socket)."""
    demo = k.demo(60)
    bid = booking_id(k, demo)
    _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
    seeker, cw = k.admitted(demo["booking_token"], bid, cookie)
    return demo, bid, cw, seeker, cookie


def exited(k, timeout):
    try:
        return k.proc.wait(timeout=timeout)
    except Exception:
        return None


def main():
    need_env()
    spec = Spec()
    with Kontor(extra_env={"KONTOR_LOGIN_PER_MINUTE": "1000"}) as k:
        status, body, _, _ = k.request("GET", "/readyz")
        spec.check("/readyz: ready, no meeting", status == 200 and body == {"ready": True, "meetings": 0}, body)
        status, body, _, _ = k.request("GET", "/healthz")
        spec.check("/healthz: alive", status == 200 and body == {"status": "alive"}, body)
        # Another job seeker, of another caseworker, waits for a meeting
        # that has not begun (moved off the demo caseworker, whose next demo
        # booking would cancel it).
        other = k.demo(60)
        office = k.sql(f"SELECT office_id FROM bookings b JOIN caseworkers c ON c.id = b.caseworker_id "
                       f"WHERE b.reference = '{other['booking_reference']}'")
        second = k.sql(f"INSERT INTO caseworkers (office_id, name, email, password_hash) VALUES "
                       f"({office}, 'Second', 'second@test.example', '$argon2id$x') RETURNING id")
        k.sql(f"UPDATE bookings SET caseworker_id = {second} WHERE reference = '{other['booking_reference']}'")
        demo, bid, cw, seeker, cookie = meeting(k)
        spec.check("/readyz counts the meeting", k.request("GET", "/readyz")[1].get("meetings") == 1)
        waiting = k.ws()
        waiting.send({"type": "join", "token": other["booking_token"]})
        waiting.recv_type("waiting")

        k.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        status, body, _, _ = k.request("GET", "/readyz")
        spec.check("after SIGTERM /readyz answers 503 draining", status == 503
                   and body["error"]["code"] == "draining", body)
        spec.check("kontor is still running", k.proc.poll() is None)

        newcomer = k.ws()
        newcomer.send({"type": "join", "token": other["booking_token"]})
        msg = newcomer.recv_type("error")
        spec.check("a job seeker arriving for a meeting that has not begun is answered draining",
                   msg.get("code") == "draining", msg)
        cw2 = k.ws(cookie=cookie)
        cw2.send({"type": "hello"})
        cw2.recv_type("queue")
        cw2.send({"type": "admit", "booking_id": booking_id(k, other)})
        msg = cw2.recv_type("error")
        spec.check("an admit that would start a new meeting is answered draining", msg.get("code") == "draining", msg)
        spec.check("and changed nothing",
                   k.sql(f"SELECT status FROM bookings WHERE id = {booking_id(k, other)}") == "waiting")

        seeker.close()
        back = k.ws()
        back.send({"type": "join", "token": demo["booking_token"]})
        msg = back.recv(5)
        while msg.get("type") not in ("admitted", "error"):
            msg = back.recv(5)
        spec.check("the job seeker of the running meeting reloads and is back in",
                   msg.get("type") == "admitted", msg)
        back.send({"type": "chat", "text": "still here"})
        spec.check("chat still passes", cw.recv_type("chat").get("text") == "still here")
        spec.check("after 3 s kontor still runs the meeting", exited(k, 3) is None)

        cw.send({"type": "end", "booking_id": bid})
        back.recv_type("ended")
        code = exited(k, 10)
        spec.check("when the meeting ends, kontor exits 0 by itself", code == 0, code)
        for ws in (cw, cw2, back, waiting, newcomer):
            ws.close()

    with Kontor(extra_env={"KONTOR_LOGIN_PER_MINUTE": "1000", "KONTOR_DRAIN_TIMEOUT": "3"}) as k:
        demo, bid, cw, seeker, cookie = meeting(k)
        started = time.monotonic()
        k.proc.send_signal(signal.SIGTERM)
        code = exited(k, 15)
        took = time.monotonic() - started
        spec.check(f"with a meeting still going, kontor stops at drain_timeout (3 s; took {took:.1f} s), exit 0",
                   code == 0 and 2.5 < took < 8, (code, took))
        for ws in (cw, seeker):
            ws.close()

    with Kontor() as k:
        k.proc.send_signal(signal.SIGTERM)
        code = exited(k, 5)
        spec.check("with no meeting, SIGTERM stops at once, exit 0", code == 0, code)
    spec.done()


if __name__ == "__main__":
    main()
