#!/usr/bin/env python3
"""test_keepalive.py — a WebSocket whose peer vanished is found by its
silence; one whose peer is there stays, however quiet.

kontor pings a socket that has sent nothing (no message, no pong) for 20 s
and drops one silent for 45 s (signaling/client.c), looking every 5 s.
Browsers answer pings by themselves, so an open page is never silent for
long; a closed laptop lid or a lost network is: its job seeker must stop
showing as present in the caseworker's queue, as when the tab closes.

Two bookings, each with its caseworker's page open; both job seekers join
and wait, then say nothing.  One answers pings (a browser); the other reads
nothing at all (a vanished peer: its pings pile up unread).  About 55 s."""
import base64
import hashlib
import json
import secrets
import select
import time

from kontor_harness import Kontor, Spec, need_env

PING_AFTER, HANGUP_AFTER, TICK = 20, 45, 5
SLACK = 3  # a queue query and a loaded machine


def second_booking(k, demo):
    """A second caseworker (the demo one's password) with a booking at the
    same hour as the demo's: (reference, link token)."""
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    alphabet = "ACDEFHJKMNPQRTUVWXY34679"
    while True:
        ref = "".join(secrets.choice(alphabet) for _ in range(6))
        ref = ref[:3] + "-" + ref[3:]
        if ref != demo["booking_reference"]:
            break
    k.sql(f"""
INSERT INTO caseworkers (office_id, name, email, password_hash, languages)
  SELECT office_id, 'Second Caseworker', 'second@kontor.example', password_hash, languages
    FROM caseworkers WHERE email = '{demo["caseworker_email"]}';
INSERT INTO bookings (reference, token_hash, seeker_name, seeker_contact, language, service_id,
                      caseworker_id, during, blocked, created_at, status_changed_at)
  SELECT '{ref}', decode('{hashlib.sha256(token.encode()).hexdigest()}', 'hex'), 'Second seeker',
         '', b.language, b.service_id, c.id, b.during, b.blocked, b.created_at,
         b.status_changed_at
    FROM bookings b, caseworkers c
   WHERE b.reference = '{demo["booking_reference"]}' AND c.email = 'second@kontor.example'""")
    return ref, token


def caseworker_page(k, email, password):
    status, _, cookie = k.login(email, password)
    assert status == 200, status
    cw = k.ws(cookie=cookie)
    cw.send({"type": "hello"})
    cw.recv_type("queue")
    return cw


def presence(queue, ref):
    mine = [b for b in queue.get("bookings", []) if b["reference"] == ref]
    return mine[0]["present"] if mine else None


def read_frame(ws):
    """One frame from a socket select() found readable: (opcode, payload),
    or (None, b"") when the connection ended without a close frame."""
    try:
        return ws.read_frame()
    except (ConnectionError, OSError):
        return None, b""


def main():
    need_env()
    spec = Spec()
    with Kontor() as k:
        demo = k.demo(120)
        ref_b, token_b = second_booking(k, demo)
        ref_a = demo["booking_reference"]
        cw_a = caseworker_page(k, demo["caseworker_email"], demo["caseworker_password"])
        cw_b = caseworker_page(k, "second@kontor.example", demo["caseworker_password"])

        # A: a page that answers pings, as every browser does.
        a = k.ws()
        a.send({"type": "join", "token": demo["booking_token"]})
        spec.check("the job seeker who stays waits", a.recv_type("waiting").get("type") == "waiting")
        a_silent_since = time.monotonic()
        # B: its peer vanishes right after it joined.
        b = k.ws()
        b.send({"type": "join", "token": token_b})
        b_silent_since = time.monotonic()
        spec.check("the job seeker who vanishes waits",
                   b.recv_type("waiting").get("type") == "waiting")

        seen = {ref_a: None, ref_b: None}
        pings = {"a": [], "cw_a": [], "cw_b": []}
        names = {a.sock: ("a", a), cw_a.sock: ("cw_a", cw_a), cw_b.sock: ("cw_b", cw_b)}
        b_gone_at = None
        a_dropped = cws_dropped = False
        end = a_silent_since + HANGUP_AFTER + TICK + SLACK + 2
        deadline = b_silent_since + HANGUP_AFTER + TICK + 20
        while time.monotonic() < deadline and (b_gone_at is None or time.monotonic() < end):
            readable, _, _ = select.select(list(names), [], [], 0.5)
            for sock in readable:
                name, ws = names[sock]
                opcode, payload = read_frame(ws)
                if opcode is None or opcode == 8:
                    if name == "a":
                        a_dropped = True
                    else:
                        cws_dropped = True
                    del names[sock]
                elif opcode == 9:
                    pings[name].append(time.monotonic())
                    ws.send_raw(payload, opcode=10)
                elif opcode == 1:
                    msg = json.loads(payload)
                    if msg.get("type") == "queue":
                        ref = ref_a if name == "cw_a" else ref_b
                        # A queue sent before B's arrival was recorded may
                        # still come: gone is only after present.
                        was = seen[ref]
                        seen[ref] = presence(msg, ref)
                        if ref == ref_b and was and seen[ref] is False and b_gone_at is None:
                            b_gone_at = time.monotonic()

        # (a) the page that answers pings
        first = pings["a"][0] - a_silent_since if pings["a"] else None
        spec.check(f"a job seeker silent for {PING_AFTER} s is pinged",
                   first is not None and PING_AFTER - 1 <= first <= PING_AFTER + TICK + SLACK,
                   f"first ping after {first} s")
        spec.check("one ping per silence, not one per tick", len(pings["a"]) <= 2, pings["a"])
        spec.check(f"a job seeker who answers pings is still connected after "
                   f"{time.monotonic() - a_silent_since:.0f} s of silence", not a_dropped)
        a.send({"type": "invite", "booking_id": 1})
        msg = a.recv_type("error", 5)
        spec.check("and still answered", not isinstance(msg, tuple) and msg.get("code") == "forbidden",
                   msg)
        spec.check("and still present in the caseworker's queue", seen[ref_a] is not False, seen)
        spec.check("caseworker pages that answer pings stay connected, and are pinged too",
                   not cws_dropped and pings["cw_a"] and pings["cw_b"], pings)

        # (b) the vanished one
        gone = b_gone_at - b_silent_since if b_gone_at else None
        spec.check(f"a job seeker silent for {HANGUP_AFTER} s leaves the caseworker's queue "
                   f"within {HANGUP_AFTER}-{HANGUP_AFTER + TICK + SLACK} s",
                   gone is not None and HANGUP_AFTER - 1 <= gone <= HANGUP_AFTER + TICK + SLACK,
                   f"after {gone} s, presence {seen[ref_b]}")
        frames = []
        b.sock.settimeout(5)
        while len(frames) < 10:
            opcode, _ = read_frame(b)
            frames.append(opcode)
            if opcode is None or opcode == 8:
                break
        spec.check("its socket got one ping and was then closed",
                   frames.count(9) == 1 and frames[-1] in (None, 8), frames)

        # Back: the job seeker who vanished may join again (a new socket).
        b2 = k.ws()
        b2.send({"type": "join", "token": token_b})
        spec.check("and may come back", b2.recv_type("waiting").get("type") == "waiting")
        for ws in (a, b, b2, cw_a, cw_b):
            ws.close()
        spec.check("the server is still up", k.request("GET", "/api/v1/config")[0] == 200)
    spec.done()


if __name__ == "__main__":
    main()
