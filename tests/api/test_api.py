#!/usr/bin/env python3
"""test_api.py — docs/api.md and docs/protocol.md, checked against a real
kontor on a real PostgreSQL: every refusal code of the join window, login
and sessions, the live queue, and what hostile input gets.

No media is negotiated here (no offers), so no ICE candidates are gathered
and the test may run outside a network namespace."""
import json
import secrets
import time

from kontor_harness import Kontor, Spec, need_env


def api_errors(k, spec):
    status, body, _, _ = k.request("GET", "/api/v1/nowhere")
    spec.check("unknown endpoint is 404 not_found", status == 404 and body["error"]["code"] == "not_found", body)
    status, body, _, _ = k.request("GET", "/api/v1/login")
    spec.check("GET on a POST endpoint is 405", status == 405 and body["error"]["code"] == "method_not_allowed", body)
    status, body, _, _ = k.request("POST", "/api/v1/login", raw=b"{not json", headers={"Content-Type": "application/json"})
    spec.check("malformed JSON is 400 bad_request", status == 400 and body["error"]["code"] == "bad_request", body)
    status, body, _, _ = k.request("POST", "/api/v1/login", {"email": "a@b", "password": "x", "admin": True})
    spec.check("an unknown field is 400 bad_request", status == 400 and body["error"]["code"] == "bad_request", body)
    status, body, _, _ = k.request("POST", "/api/v1/login", {"email": 5, "password": "x"})
    spec.check("a wrongly typed field is 400", status == 400, body)
    status, body, _, _ = k.request("POST", "/api/v1/login", raw=b"email=a&password=b",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    spec.check("a form post (CSRF shape) is refused with 415", status == 415, body)
    big = json.dumps({"email": "a" * 20000, "password": "x"}).encode()
    status, body, _, _ = k.request("POST", "/api/v1/login", raw=big, headers={"Content-Type": "application/json"})
    spec.check("a body over 16 KiB is 413 too_large", status == 413 and body["error"]["code"] == "too_large", body)
    status, body, _, _ = k.request("GET", "/api/v1/queue")
    spec.check("the queue without a session is 401 not_logged_in", status == 401 and body["error"]["code"] == "not_logged_in", body)
    status, body, _, _ = k.request("GET", "/api/v1/me", headers={"Cookie": "kontor_session=" + "A" * 43})
    spec.check("a forged session cookie is 401", status == 401, body)
    status, body, _, _ = k.request("POST", "/api/v1/booking", {"token": secrets.token_urlsafe(32)})
    spec.check("an unknown booking token is 404 no_booking", status == 404 and body["error"]["code"] == "no_booking", body)
    status, body, _, _ = k.request("GET", "/api/v1/config")
    spec.check("config lists ice_servers and the server's time",
               status == 200 and isinstance(body.get("ice_servers"), list) and body.get("now"), body)
    spec.check("config, which anyone may read, carries STUN but no TURN credentials",
               body["ice_servers"] == [{"urls": "stun:127.0.0.1:9"}], body)
    status, _, headers, text = k.request("GET", "/metrics", headers={"Authorization": "Bearer " + k.METRICS_TOKEN})
    spec.check("/metrics answers monitoring's bearer token in the Prometheus format",
               status == 200 and "kontor_websockets{role=\"seeker\"}" in text
               and headers.get("Content-Type", "").startswith("text/plain"), text[:200])
    # Loopback proves nothing (behind a proxy on the same host everyone is
    # loopback): without the token, or with a wrong one, there is no /metrics.
    for what, h in [("no token, from loopback", {}),
                    ("a wrong token", {"Authorization": "Bearer " + "0" * 32}),
                    ("the token with one character more", {"Authorization": "Bearer " + k.METRICS_TOKEN + "0"}),
                    ("the token as Basic", {"Authorization": "Basic " + k.METRICS_TOKEN}),
                    ("a trusted proxy's X-Forwarded-For of loopback", {"X-Forwarded-For": "127.0.0.1"})]:
        status, body, _, _ = k.request("GET", "/metrics", headers=h)
        spec.check(f"/metrics with {what} is 404, as for no such endpoint", status == 404, status)


def login_and_session(k, spec, demo):
    status, body, cookie = k.login(demo["caseworker_email"], "wrong password")
    spec.check("a wrong password is 401 bad_login", status == 401 and body["error"]["code"] == "bad_login", body)
    status, body, cookie = k.login("nobody@example.org", "whatever")
    spec.check("an unknown e-mail gets the same 401 bad_login", status == 401 and body["error"]["code"] == "bad_login", body)
    status, body, _, headers_text = None, None, None, None
    conn_status, body, headers, _ = k.request("POST", "/api/v1/login",
                                              {"email": demo["caseworker_email"],
                                               "password": demo["caseworker_password"]})
    set_cookie = headers.get("Set-Cookie", "")
    spec.check("the right password logs in", conn_status == 200 and body["caseworker"]["time_zone"] == "Europe/Oslo", body)
    spec.check("the session cookie is HttpOnly and SameSite=Strict",
               "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie, set_cookie)
    cookie = set_cookie.split(";")[0]
    status, body, _, _ = k.request("GET", "/api/v1/me", headers={"Cookie": cookie})
    spec.check("me answers with the session", status == 200 and body["caseworker"]["id"] > 0, body)
    status, body, _, _ = k.request("GET", "/api/v1/queue", headers={"Cookie": cookie})
    spec.check("the queue over HTTP holds today's demo booking", status == 200 and
               demo["booking_reference"] in [b["reference"] for b in body["bookings"]], body)
    status, body, _, _ = k.request("GET", "/api/v1/queue?date=2027-01-04", headers={"Cookie": cookie})
    spec.check("another day's queue answers that date", status == 200 and body["date"] == "2027-01-04"
               and body["bookings"] == [], body)
    status, body, _, _ = k.request("GET", "/api/v1/queue?date=2027-02-30", headers={"Cookie": cookie})
    spec.check("an impossible date is 400 bad_date", status == 400 and body["error"]["code"] == "bad_date", body)
    return cookie


def join_refusals(k, spec):
    ws = k.ws()
    ws.send({"type": "join", "token": secrets.token_urlsafe(32)})
    msg = ws.recv()
    spec.check("a random token is refused with no_booking", msg.get("code") == "no_booking", msg)
    ws.send({"type": "join", "token": "short"})
    msg = ws.recv()
    spec.check("a malformed token is refused with no_booking", msg.get("code") == "no_booking", msg)

    early = k.demo(3600)
    ws.send({"type": "join", "token": early["booking_token"]})
    msg = ws.recv()
    spec.check("an hour early is too_early with opens_at",
               msg.get("code") == "too_early" and msg.get("opens_at"), msg)

    late = k.demo(-1800)
    ws.send({"type": "join", "token": late["booking_token"]})
    msg = ws.recv()
    spec.check("30 minutes after the start is too_late", msg.get("code") == "too_late", msg)

    # Demo bookings share one caseworker, and a new one cancels an older one
    # in its way: keep these clear of the main booking (starts in 60 s).
    cancelled = k.demo(7200)
    k.sql(f"UPDATE bookings SET status = 'cancelled' WHERE reference = '{cancelled['booking_reference']}'")
    ws.send({"type": "join", "token": cancelled["booking_token"]})
    msg = ws.recv()
    spec.check("a cancelled booking is refused with cancelled", msg.get("code") == "cancelled", msg)

    done = k.demo(-2400)
    k.sql(f"UPDATE bookings SET status = 'completed' WHERE reference = '{done['booking_reference']}'")
    ws.send({"type": "join", "token": done["booking_token"]})
    msg = ws.recv()
    spec.check("a completed meeting is refused with completed", msg.get("code") == "completed", msg)
    ws.close()


def hostile_messages(k, spec):
    cases = [
        ("not JSON", b"{"),
        ("an array", b"[1]"),
        ("an unknown type", json.dumps({"type": "drop_tables"}).encode()),
        ("an unknown field", json.dumps({"type": "join", "token": "x" * 43, "as": "admin"}).encode()),
        ("a number for token", json.dumps({"type": "join", "token": 5}).encode()),
        ("a 70 KiB message", json.dumps({"type": "join", "token": "x" * 70000}).encode()),
    ]
    for name, payload in cases:
        ws = k.ws()
        ws.send_raw(payload)
        msg = ws.recv()
        closed = ws.recv() if isinstance(msg, dict) else msg
        spec.check(f"{name} gets bad_message and the socket closes",
                   isinstance(msg, dict) and msg.get("code") == "bad_message"
                   and isinstance(closed, tuple) and closed[1] == 1008, (msg, closed))
        ws.close()

    ws = k.ws()
    ws.send({"type": "offer", "sdp": "v=0"})
    msg = ws.recv()
    spec.check("offer before join is not_joined", msg.get("code") == "not_joined", msg)
    ws.send({"type": "hello"})
    msg = ws.recv()
    spec.check("hello without a session is not_logged_in", msg.get("code") == "not_logged_in", msg)
    ws.close()

    ws = k.ws(origin="http://evil.example")
    spec.check("a WebSocket from another origin is refused", ws.status != 101, ws.status)
    ws.close()
    # public_url is http://localhost:PORT here: the whole origin counts.
    own = f"http://localhost:{k.port}"
    for origin, allowed, what in [
            (own, True, "its own origin"),
            (f"http://127.0.0.1:{k.port}", True, "another loopback name of this developer's machine"),
            (f"https://localhost:{k.port}", False, "the same host and port over another scheme"),
            (f"http://localhost:{k.port + 1}", False, "another port"),
            (f"http://localhost:{k.port}.evil.example", False, "a host that starts like its own"),
            ("null", False, "an opaque origin (null)"),
            (own + "/" + "x" * 600, False, "an origin too long to read whole"),
            ("http://evil.example/" + "x" * 6000 + own, False, "a huge origin that ends like its own")]:
        ws = k.ws(origin=origin)
        spec.check(f"a WebSocket from {what} is {'accepted' if allowed else 'refused'}",
                   (ws.status == 101) == allowed, ws.status)
        ws.close()


def waiting_and_queue(k, spec, demo, cookie):
    cw = k.ws(cookie=cookie)
    cw.cookie = cookie
    cw.send({"type": "hello"})
    queue = cw.recv_type("queue")
    refs = [b["reference"] for b in queue.get("bookings", [])]
    spec.check("hello answers with today's queue", demo["booking_reference"] in refs, queue)

    seeker = k.ws()
    seeker.send({"type": "join", "token": demo["booking_token"]})
    msg = seeker.recv()
    spec.check("inside the window the job seeker waits", msg.get("type") == "waiting"
               and msg["booking"]["status"] == "waiting", msg)

    # The check-in and the presence are two changes, each pushed: a first
    # queue may show them checked in and not yet present; the last counts.
    mine, deadline = [], time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            queue = cw.recv_type("queue", timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        mine = [b for b in queue["bookings"] if b["reference"] == demo["booking_reference"]]
        if mine and mine[0]["present"] is True:
            break
    spec.check("the caseworker sees them waiting, present, live",
               mine and mine[0]["status"] == "waiting" and mine[0]["present"] is True
               and mine[0]["checked_in_at"], mine)

    seeker.close()
    # Queue pushes may come more than once for one change (this node's own,
    # and the database's announcement to every node): the last one counts.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        queue = cw.recv_type("queue")
        mine = [b for b in queue["bookings"] if b["reference"] == demo["booking_reference"]]
        if mine and mine[0]["present"] is False:
            break
    spec.check("a closed tab changes presence, not the stored status",
               mine and mine[0]["status"] == "waiting" and mine[0]["present"] is False, mine)

    seeker = k.ws()
    seeker.token = demo["booking_token"]
    seeker.send({"type": "join", "token": demo["booking_token"]})
    msg = seeker.recv()
    spec.check("a waiting job seeker may come back to the waiting room", msg.get("type") == "waiting", msg)

    cw.send({"type": "admit", "booking_id": 999999})
    msg = cw.recv_type("error")
    spec.check("admitting an unknown booking is no_booking", msg.get("code") == "no_booking", msg)
    no_shows(k, spec, cw)
    meeting_without_media(k, spec, cw, seeker, mine[0]["id"])
    seeker.close()
    cw.close()


def no_shows(k, spec, cw):
    """A no-show may be confirmed by hand only once the late-entry window
    has closed with nobody checked in."""
    early = k.demo(5400)
    early_id = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{early['booking_reference']}'"))
    cw.send({"type": "no_show", "booking_id": early_id})
    msg = cw.recv_type("error")
    spec.check("a no-show before the time to enter has passed is refused (too_soon)",
               msg.get("code") == "too_soon", msg)
    gone = k.demo(-2400)
    gone_id = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{gone['booking_reference']}'"))
    cw.send({"type": "no_show", "booking_id": gone_id})
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline and status != "no_show":
        status = k.sql(f"SELECT status FROM bookings WHERE id = {gone_id}")
        time.sleep(0.1)
    spec.check("after the window, with nobody checked in, the no-show is recorded",
               status == "no_show", status)


def meeting_without_media(k, spec, cw, seeker, booking_id):
    """Admission, chat, an interpreter by invitation, and the end — the
    signalling only: nobody offers, so no ICE candidates are gathered."""
    seeker.send({"type": "chat", "text": "hello?"})
    msg = seeker.recv_type("error")
    spec.check("chat before admission is not_in_meeting", msg.get("code") == "not_in_meeting", msg)

    cw.send({"type": "admit", "booking_id": booking_id})
    a1, a2 = cw.recv_type("admitted"), seeker.recv_type("admitted")
    spec.check("admit: both sides are told to offer, with ICE servers and their role",
               a1.get("role") == "caseworker" and a2.get("role") == "seeker"
               and isinstance(a2.get("ice_servers"), list), (a1, a2))
    turn = turn_entries(a2.get("ice_servers", []))
    expiry = int(turn[0]["username"].split(":")[0]) if turn else 0
    spec.check("a participant gets TURN credentials of its own that expire in turn_ttl (600 s)",
               len(turn) == 1 and turn[0]["urls"] == "turn:127.0.0.1:9"
               and abs(expiry - (time.time() + 600)) < 30 and turn[0]["credential"], turn)
    spec.check("and never the relay's own TURN secret", "relaysecret" not in json.dumps(a1) + json.dumps(a2))

    # An offer whose only video codec the relay cannot forward is refused
    # before anything is applied (so no ICE gathering), with a code the
    # page can turn into "use another browser".
    av1_only = "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendrecv",
        "a=rtpmap:111 opus/48000/2", "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
        "a=setup:actpass",
        "m=video 9 UDP/TLS/RTP/SAVPF 45", "c=IN IP4 0.0.0.0", "a=mid:1", "a=sendrecv",
        "a=rtpmap:45 AV1/90000", ""])
    seeker.send({"type": "offer", "sdp": av1_only})
    msg = seeker.recv_type("error")
    spec.check("an offer with only a video codec the relay cannot forward is unsupported_codec",
               msg.get("code") == "unsupported_codec" and "VP8" in msg.get("message", ""), msg)

    # Broken m-lines are bad_sdp, refused before anything is applied; the
    # socket and the meeting stay (chat below still works).  The last one
    # is well-formed but has no fingerprint: webrtcbin refuses it (first
    # thing, before any ICE work) on its own thread, and that is bad_sdp too.
    head = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    audio = ["c=IN IP4 0.0.0.0", "a=mid:0", "a=sendrecv", "a=rtpmap:111 opus/48000/2",
             "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx", "a=setup:actpass"]
    vp8 = ["c=IN IP4 0.0.0.0", "a=mid:1", "a=sendrecv", "a=rtpmap:96 VP8/90000"]
    broken = {
        "a video m-line without port, protocol and formats": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=video"],
        "a port that is not a number": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=video x9 UDP/TLS/RTP/SAVPF 96", *vp8],
        "a port over 65535": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=video 70000 UDP/TLS/RTP/SAVPF 96", *vp8],
        "no formats": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=video 9 UDP/TLS/RTP/SAVPF", *vp8],
        "formats that are not payload types": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=video 9 UDP/TLS/RTP/SAVPF 96 vp8 300", *vp8],
        "audio without a codec the relay knows": ["m=audio 9 UDP/TLS/RTP/SAVPF 0", *audio[:3], "a=rtpmap:0 PCMU/8000", *audio[4:]],
        "a second video m-line without one": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=video 9 UDP/TLS/RTP/SAVPF 96", *vp8,
                                              "m=video 9 UDP/TLS/RTP/SAVPF 45", "a=mid:2", "a=rtpmap:45 AV1/90000"],
        "plain RTP instead of DTLS-SRTP": ["m=audio 9 RTP/AVP 111", *audio],
        "a media type that is not audio or video": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio, "m=text 9 UDP/TLS/RTP/SAVPF 96"],
        "two spaces between fields": ["m=audio  9 UDP/TLS/RTP/SAVPF 111", *audio],
        "no fingerprint (refused by webrtcbin)": ["m=audio 9 UDP/TLS/RTP/SAVPF 111", *audio],
    }
    for name, lines in broken.items():
        seeker.send({"type": "offer", "sdp": "\r\n".join(head + lines + [""])})
        msg = seeker.recv_type("error")
        spec.check(f"an offer with {name} is bad_sdp", msg.get("code") == "bad_sdp", msg)

    seeker.send({"type": "chat", "text": "Hei, jeg er her."})
    msg = cw.recv_type("chat")
    spec.check("chat reaches the caseworker with who sent it",
               msg.get("text") == "Hei, jeg er her." and msg.get("from") == "seeker" and msg.get("at"), msg)
    cw.send({"type": "chat", "text": "x" * 2001})
    msg = cw.recv_type("error")
    spec.check("an over-long chat message is bad_message", msg.get("code") == "bad_message", msg)
    cw.close()
    cw2 = k.ws(cookie=cw.cookie)
    cw2.send({"type": "hello"})
    cw2.recv_type("queue")
    cw2.send({"type": "admit", "booking_id": booking_id})
    spec.check("a caseworker who reloads re-enters the meeting",
               cw2.recv_type("admitted").get("role") == "caseworker")

    cw2.send({"type": "invite", "booking_id": booking_id})
    inv = cw2.recv_type("invitation")
    url = inv.get("url", "")
    spec.check("the caseworker gets an interpreter link for this meeting", "/join.html?node=" in url and "#i=" in url, inv)
    interp = k.ws()
    interp.send({"type": "join", "invite": url.split("#i=")[1]})
    msg = interp.recv_type("admitted")
    spec.check("the interpreter enters directly, as interpreter", msg.get("role") == "interpreter", msg)
    msg = seeker.recv_type("peer")
    while msg.get("role") != "interpreter":
        msg = seeker.recv_type("peer")
    spec.check("the job seeker is told the interpreter is here", msg.get("present") is True, msg)
    interp.send({"type": "chat", "text": "Tolk her."})
    spec.check("the interpreter's chat reaches both",
               cw2.recv_type("chat").get("from") == "interpreter" and seeker.recv_type("chat").get("from") == "interpreter")

    cw2.send({"type": "end", "booking_id": booking_id})
    ended = [w.recv_type("ended") for w in (seeker, interp)]
    spec.check("end: everyone is told, the booking is completed",
               all(e.get("booking", {}).get("status") == "completed" for e in ended), ended)
    interp.send({"type": "join", "invite": url.split("#i=")[1]})
    msg = interp.recv_type("error")
    spec.check("the invitation dies with the meeting", msg.get("code") == "no_booking", msg)
    seeker2 = k.ws()
    seeker2.send({"type": "join", "token": seeker.token})
    msg = seeker2.recv()
    spec.check("after the end the link answers completed", msg.get("code") == "completed", msg)
    interp.close()
    seeker2.close()
    cw2.close()


def guesses(k, n, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    # A fresh e-mail each time: these count the address, not the account
    # (whose own back-off test_bounds.py checks).
    return [k.request("POST", "/api/v1/login",
                      {"email": f"guess-{secrets.token_hex(4)}@example.org", "password": f"guess {i}"},
                      headers=headers)[0] for i in range(n)]


def behind_a_proxy(spec):
    """[server] trusted_proxies: the rate limits count the client the proxy
    names, not the proxy; from anyone else X-Forwarded-For is ignored.

    Three logins a minute, so that a bucket regains one only every 20 s:
    slow password checks on a busy machine cannot refill it mid-test."""
    slow = {"KONTOR_LOGIN_PER_MINUTE": "3"}
    with Kontor(extra_env=dict(slow, KONTOR_TRUSTED_PROXIES="10.9.9.9, 127.0.0.1")) as k:
        a = guesses(k, 4, "198.51.100.7")
        b = guesses(k, 2, "198.51.100.8")
        spec.check("behind a trusted proxy each client has its own limit", a[-1] == 429 and 429 not in b, (a, b))
        c = guesses(k, 2, "198.51.100.8, 198.51.100.7")
        spec.check("only the proxy's own (last) X-Forwarded-For entry counts", c == [429, 429], c)
        d = guesses(k, 2, "not an address")
        spec.check("a malformed X-Forwarded-For counts as the proxy itself", 429 not in d, d)
        e = guesses(k, 2, "198.51.100.7:40123")
        spec.check("a port after the proxy's entry is ignored (same client, still limited)", e[-1] == 429, e)
        f = guesses(k, 2, "x" * 3000 + ", 198.51.100.9")
        spec.check("a long header from the client still yields the proxy's entry", 429 not in f and 401 in f, f)
    with Kontor(extra_env=slow) as k:
        spoofed = [guesses(k, 1, f"203.0.113.{i}")[0] for i in range(5)]
        spec.check("without trusted_proxies X-Forwarded-For changes nothing", spoofed[-1] == 429, spoofed)


# A TURN server whose credentials pages must never see (the relay's own),
# and coturn's shared secret for credentials that expire.  Loopback, port 9
# (discard): whatever the relay sends there stays on this machine.
TURN = {"KONTOR_STUN_SERVER": "stun:127.0.0.1:9",
        "KONTOR_TURN_SERVER": "turn:relayonly:relaysecret@127.0.0.1:9",
        "KONTOR_TURN_SECRET": "test-shared-secret-0123456789", "KONTOR_TURN_TTL": "600"}


def turn_entries(ice_servers):
    return [s for s in ice_servers if str(s.get("urls", "")).startswith("turn")]


def main():
    need_env()
    spec = Spec()
    with Kontor(extra_env=TURN) as k:
        demo = k.demo(60)
        api_errors(k, spec)
        cookie = login_and_session(k, spec, demo)
        join_refusals(k, spec)
        hostile_messages(k, spec)
        waiting_and_queue(k, spec, demo, cookie)
        status, _, headers, _ = k.request("POST", "/api/v1/logout", {}, headers={"Cookie": cookie})
        status2, _, _, _ = k.request("GET", "/api/v1/me", headers={"Cookie": cookie})
        spec.check("after logout the session is gone", status == 200 and status2 == 401, (status, status2))
        codes = [k.login(f"guess{i}@example.org", "guess")[0] for i in range(12)]
        spec.check("password guessing is cut off with 429 (10 a minute per address)",
                   codes[-1] == 429 and 401 in codes, codes)
    behind_a_proxy(spec)
    spec.done()


if __name__ == "__main__":
    main()
