#!/usr/bin/env python3
"""test_bounds.py — every bound of [limits] holds while an attacker pushes
past it, and an ordinary client is served meanwhile.

For each attack a bystander asks GET /api/v1/config every 50 ms; the test
prints its latency (median, worst) and the server's resident memory before
and after, and fails when either runs away.  Limits are set low through the
environment so that each attack is short."""
import http.client
import json
import socket
import statistics
import threading
import time

from kontor_harness import Kontor, Spec, need_env


def rss_kib(pid, field="VmRSS"):
    """Resident memory now (VmRSS) or at its peak so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Bystander:
    """An ordinary client asking for /api/v1/config while an attack runs."""

    def __init__(self, k):
        self.k, self.times, self.failures = k, [], 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                ok = self.k.request("GET", "/api/v1/config")[0] == 200
            except OSError:
                ok = False
            self.times.append(time.monotonic() - start)
            self.failures += not ok
            self.stop.wait(0.05)

    def __enter__(self):
        self.rss_before = rss_kib(self.k.proc.pid)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(15)
        self.rss_after = rss_kib(self.k.proc.pid, "VmHWM")
        return False

    def report(self, spec, name, max_growth_kib=30 * 1024):
        median = statistics.median(self.times) * 1000 if self.times else float("nan")
        worst = max(self.times) * 1000 if self.times else float("nan")
        print(f"figures {name}: bystander {len(self.times)} requests, median {median:.1f} ms, "
              f"worst {worst:.1f} ms, failed {self.failures}; "
              f"RSS {self.rss_before} KiB before, peak {self.rss_after} KiB")
        spec.check(f"{name}: the bystander is served throughout (none failed, worst < 1 s)",
                   self.times and self.failures == 0 and worst < 1000, (self.failures, worst))
        spec.check(f"{name}: memory stays bounded (< {max_growth_kib // 1024} MiB growth)",
                   self.rss_after - self.rss_before < max_growth_kib,
                   (self.rss_before, self.rss_after))


def never_reads(spec):
    """A socket that provokes answers and never reads them is dropped once
    ws_queue_kib is queued; the server's memory does not follow it."""
    env = {"KONTOR_WS_QUEUE_KIB": "64", "KONTOR_WS_MESSAGES_PER_SECOND": "1000000"}
    with Kontor(extra_env=env) as k, Bystander(k) as b:
        ws = k.ws()
        ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        frame = b'{"type":"leave"}'   # each answered with not_joined
        dropped = False
        deadline = time.monotonic() + 30
        sent = 0
        ws.sock.settimeout(5)
        try:
            while time.monotonic() < deadline and sent < 400000:
                for _ in range(1000):
                    ws.send_raw(frame)
                sent += 1000
        except OSError:
            dropped = True
        spec.check("a socket that never reads is dropped", dropped, sent)
        ws.close()
    b.report(spec, "never-reading socket")


def message_rate(spec):
    with Kontor(extra_env={"KONTOR_WS_MESSAGES_PER_SECOND": "5"}) as k, Bystander(k) as b:
        ws = k.ws()
        for _ in range(200):
            ws.send({"type": "leave"})
        answers, limited = 0, 0
        try:
            while True:
                msg = ws.recv(timeout=1)
                if isinstance(msg, tuple):
                    break
                if msg.get("code") == "rate_limited":
                    limited += 1
                else:
                    answers += 1
        except (TimeoutError, OSError):
            pass
        spec.check("of 200 messages in a burst only about twice the rate are handled",
                   answers <= 12 and limited == 1, (answers, limited))
        time.sleep(1.2)
        ws.send({"type": "leave"})
        msg = ws.recv(timeout=2)
        spec.check("after a pause the socket is heard again", msg.get("code") == "not_joined", msg)
        ws.close()
    b.report(spec, "message flood")


def join_timeout(spec):
    with Kontor(extra_env={"KONTOR_JOIN_TIMEOUT": "2"}) as k, Bystander(k) as b:
        idle, joined = k.ws(), k.ws()
        joined.send({"type": "join", "token": "A" * 43})
        joined.recv_type("error")
        start = time.monotonic()
        msg = idle.recv(timeout=6)
        end = idle.recv(timeout=3)
        took = time.monotonic() - start
        spec.check("a socket that never says join or hello is told join_timeout and closed",
                   msg.get("code") == "join_timeout" and end[0] == "close" and 1.5 < took < 3.5,
                   (msg, end, took))
        time.sleep(1)
        joined.send({"type": "leave"})
        spec.check("a socket that tried to join is not timed out",
                   joined.recv(timeout=2).get("code") == "not_joined")
        joined.close()
    b.report(spec, "idle sockets")


def per_address(spec):
    with Kontor(extra_env={"KONTOR_WS_PER_ADDRESS": "5"}) as k, Bystander(k) as b:
        socks = [k.ws() for _ in range(5)]
        extra = k.ws()
        msg = extra.recv(timeout=3)
        spec.check("one socket more than ws_per_address is refused with too_many_connections",
                   msg.get("code") == "too_many_connections" and extra.recv(timeout=3)[0] == "close", msg)
        socks.pop().close()
        time.sleep(0.3)
        again = k.ws()
        again.send({"type": "leave"})
        spec.check("when one closes, a new one is let in", again.recv(timeout=3).get("code") == "not_joined")
        for s in socks + [again]:
            s.close()
    b.report(spec, "sockets per address")


def media_sections(spec):
    with Kontor() as k:
        demo = k.demo(60)
        _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
        cw = k.ws(cookie=cookie)
        cw.send({"type": "hello"})
        cw.recv_type("queue")
        seeker = k.ws()
        seeker.send({"type": "join", "token": demo["booking_token"]})
        seeker.recv_type("waiting")
        bid = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))
        cw.send({"type": "admit", "booking_id": bid})
        seeker.recv_type("admitted")
        mlines = "".join(f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:{i}\r\n" for i in range(17))
        seeker.send({"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + mlines})
        msg = seeker.recv_type("error")
        spec.check("an offer with more than 16 media sections is bad_sdp, before anything is applied",
                   msg.get("code") == "bad_sdp", msg)
        seeker.close()
        cw.close()


def public_lookups(spec):
    with Kontor(extra_env={"KONTOR_PUBLIC_PER_MINUTE": "20"}) as k:
        codes = [k.request("GET", path)[0] for path in ["/api/v1/offices", "/api/v1/services"] * 11]
        spec.check("public lookups are rate limited per address (429 past public_per_minute)",
                   codes[:20].count(429) == 0 and codes[-1] == 429, codes)


def logins(spec):
    env = {"KONTOR_LOGIN_CONCURRENCY": "1", "KONTOR_LOGIN_PER_MINUTE": "1000"}
    with Kontor(extra_env=env) as k, Bystander(k) as b:
        results = []

        def attempt(i):
            # Queued checks may wait long on a busy machine: a patient client.
            conn = http.client.HTTPConnection("127.0.0.1", k.port, timeout=120)
            body = json.dumps({"email": f"nobody{i}@example.org", "password": "x"})
            conn.request("POST", "/api/v1/login", body=body, headers={"Content-Type": "application/json"})
            results.append(conn.getresponse().status)
            conn.close()
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(150)
        spec.check("password checks beyond the queue are answered 503 busy, the rest 401, all answered",
                   len(results) == 40 and results.count(503) > 0 and set(results) <= {401, 503},
                   sorted(results))
        tries = [k.request("POST", "/api/v1/login", {"email": "Kari@Example.org", "password": f"g{i}"})
                 for i in range(6)]
        codes = [t[0] for t in tries]
        spec.check("after 5 failures one account must wait (429), whatever the address",
                   codes[:5] == [401] * 5 and codes[5] == 429 and "wait" in tries[5][1]["error"]["message"],
                   codes)
        other = k.request("POST", "/api/v1/login", {"email": "other@example.org", "password": "x"})[0]
        spec.check("other accounts are not held up", other == 401, other)
    b.report(spec, "log-in flood", max_growth_kib=200 * 1024)


def slow_body(spec):
    """A POST whose body comes a byte a second (lws restarts its idle
    timeout with each byte) is answered 408 once 20 s have passed since
    its headers, and its connection closed; a bystander is served meanwhile."""
    with Kontor() as k, Bystander(k) as b:
        sock = socket.create_connection(("127.0.0.1", k.port), timeout=5)
        sock.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n")
        start = time.monotonic()
        answer = b""
        while time.monotonic() - start < 40 and not answer:
            try:
                sock.sendall(b" ")
            except OSError:
                break
            sock.settimeout(1)
            try:
                answer = sock.recv(4096)
            except socket.timeout:
                pass
            except OSError:
                break
        took = time.monotonic() - start
        sock.settimeout(5)
        try:
            while chunk := sock.recv(4096):  # the rest, until the server closes
                answer += chunk
        except OSError:
            pass
        print(f"figures slow body: answered after {took:.1f} s: {answer[:12]!r}")
        spec.check("a body sent a byte a second is answered 408 timeout after about 20 s",
                   answer.startswith(b"HTTP/1.1 408") and b'"timeout"' in answer and 19 < took < 30,
                   (answer[:200], took))
        sock.close()
    b.report(spec, "slow body")


def main():
    need_env()
    spec = Spec()
    never_reads(spec)
    message_rate(spec)
    join_timeout(spec)
    per_address(spec)
    media_sections(spec)
    public_lookups(spec)
    slow_body(spec)
    logins(spec)
    spec.done()


if __name__ == "__main__":
    main()
