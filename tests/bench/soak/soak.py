#!/usr/bin/env python3
"""soak.py — 1,000 WebSocket clients joining, leaving and vanishing at
random for 10 minutes against a real kontor and PostgreSQL; the server's
resident memory and open descriptors must come back to where they started.

  tests/bench/run soak                    (the release build, 10 min)
  soak.py [--minutes M] [--clients N] [--bookings B] [--seed S]

Needs KONTOR_BIN and KONTOR_TEST_CONNINFO (tests/bench/run sets both).

Every client loops until the time is up: connect; now and then stay silent
until the server's join timeout closes it; otherwise join a booking by its
link (so several clients share a booking: second tabs, each newer one
replacing the older), then at random chat, leave and join again, stop
reading for a while, close cleanly, vanish without a close frame, or send a
join and vanish at once; then reconnect after a pause.  One caseworker per
booking says hello and admits its job seeker now and then.  Nobody offers
media: the server would gather ICE candidates, and this runs outside a
network namespace.

All clients come from 127.0.0.1, so the per-address bounds (64 sockets, 60
link lookups a minute) are raised for the run; their own tests are
tests/api/test_bounds.py.

The verdict: sockets, rooms and seats back to 0, descriptors back to their
start, and resident memory within 16 MiB of its start (glibc keeps some
freed memory for reuse; the growth over a second run would show a leak).

Measured: the server's VmRSS and open descriptors (from /proc) and its
/metrics (sockets, rooms, seats) after a warm-up, every 30 s, at the peak
and after every client has gone plus a settle; an ordinary client's
latency (GET /api/v1/config every 100 ms) during the soak.  Prints a table
and ratios against the baseline taken in the same run.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import secrets
import socket
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "api"))
from kontor_harness import Kontor, need_env  # noqa: E402


def frame(payload, opcode=1):
    mask = secrets.token_bytes(4)
    n = len(payload)
    header = struct.pack("!BB", 0x80 | opcode, 0x80 | n) if n < 126 else \
        struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Client:
    """One WebSocket on asyncio streams."""

    async def open(self, port, cookie=None):
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), 10)
        head = ["GET /ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                "Connection: Upgrade", f"Sec-WebSocket-Key: {secrets.token_urlsafe(16)}",
                "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: kontor.v1"]
        if cookie:
            head.append(f"Cookie: {cookie}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        answer = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        return answer.startswith(b"HTTP/1.1 101")

    def send(self, msg):
        if not self.writer.is_closing():
            self.writer.write(frame(json.dumps(msg).encode()))

    async def recv(self, timeout):
        """The next text message, or None when closed or on timeout."""
        try:
            while True:
                b1, b2 = await asyncio.wait_for(self.reader.readexactly(2), timeout)
                n = b2 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", await self.reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
                payload = await self.reader.readexactly(n)
                if b1 & 0x0F == 8:
                    return None
                if b1 & 0x0F == 1:
                    return json.loads(payload)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
            return None

    async def read_for(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if await self.recv(end - time.monotonic()) is None and self.reader.at_eof():
                return False
        return True

    def close(self, clean):
        try:
            if clean and not self.writer.is_closing():
                self.writer.write(frame(struct.pack("!H", 1000), 8))
            self.writer.close()
        except (ConnectionError, OSError, RuntimeError):
            pass


class Soak:
    def __init__(self, k, args):
        self.k, self.args = k, args
        self.rng = random.Random(args.seed)
        self.deadline = 0
        self.counts = {}
        self.latencies = []
        self.samples = []

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    # ---- bookings ----------------------------------------------------------

    def setup(self):
        """Bookings in their join window, each with a caseworker of its own
        (made for the demo caseworker, then reassigned)."""
        self.bookings = []
        office = None
        for n in range(self.args.bookings):
            demo = self.k.demo(60)
            _, _, admin = self.k.login(demo["caseworker_email"], demo["caseworker_password"])
            office = office or int(self.k.sql(
                "SELECT office_id FROM caseworkers WHERE email = 'demo@kontor.example'"))
            bid = int(self.k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))
            email, password = f"soak{n}@kontor.example", secrets.token_urlsafe(12)
            h = {"Cookie": admin}
            _, cw, _, _ = self.k.request("POST", "/api/v1/admin/caseworkers",
                                         {"office_id": office, "name": f"Soak {n}", "email": email,
                                          "password": password, "languages": ["nb", "en"]}, headers=h)
            self.k.request("POST", "/api/v1/admin/reassign",
                           {"booking_id": bid, "to_caseworker_id": cw["id"]}, headers=h)
            _, _, cookie = self.k.login(email, password)
            self.bookings.append({"id": bid, "token": demo["booking_token"], "cookie": cookie})

    # ---- clients --------------------------------------------------------------

    async def seeker(self, rng):
        port = self.k.port
        await asyncio.sleep(rng.uniform(0, 20))  # ramp up
        while time.monotonic() < self.deadline:
            c = Client()
            try:
                if not await c.open(port):
                    self.count("refused")
                    await asyncio.sleep(1)
                    continue
                self.count("connect")
                if rng.random() < 0.05:
                    self.count("never_join")
                    await c.read_for(40)  # the join timeout closes it
                    c.close(False)
                    continue
                b = rng.choice(self.bookings)
                c.send({"type": "join", "token": b["token"]})
                self.count("join")
                for _ in range(rng.randrange(1, 6)):
                    if time.monotonic() > self.deadline:
                        break
                    r = rng.random()
                    if r < 0.3:
                        if not await c.read_for(rng.uniform(1, 15)):
                            break
                    elif r < 0.45:
                        c.send({"type": "chat", "text": "soak"})
                        self.count("chat")
                    elif r < 0.6:
                        c.send({"type": "leave"})
                        c.send({"type": "join", "token": b["token"]})
                        self.count("rejoin")
                    elif r < 0.7:
                        self.count("stall")
                        await asyncio.sleep(rng.uniform(1, 20))  # reads nothing meanwhile
                    else:
                        await c.read_for(rng.uniform(0.5, 5))
                how = rng.random()
                if how < 0.4:
                    c.close(True)
                    self.count("close_clean")
                elif how < 0.8:
                    c.close(False)
                    self.count("vanish")
                else:
                    c.send({"type": "join", "token": b["token"]})
                    c.close(False)
                    self.count("join_and_vanish")
            except (asyncio.TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError):
                self.count("error")
                c.close(False) if hasattr(c, "writer") else None
            await asyncio.sleep(rng.uniform(0.1, 3))

    async def caseworker(self, b, rng):
        await asyncio.sleep(rng.uniform(0, 10))
        while time.monotonic() < self.deadline:
            c = Client()
            try:
                if not await c.open(self.k.port, b["cookie"]):
                    await asyncio.sleep(1)
                    continue
                c.send({"type": "hello"})
                for _ in range(rng.randrange(3, 20)):
                    if time.monotonic() > self.deadline:
                        break
                    await c.read_for(rng.uniform(1, 6))
                    c.send({"type": "admit", "booking_id": b["id"]})
                    self.count("admit")
                c.close(rng.random() < 0.5)
            except (asyncio.TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError):
                self.count("error")
            await asyncio.sleep(rng.uniform(0.5, 3))


    # ---- the server's figures ------------------------------------------------

    def sample(self, label):
        pid = self.k.proc.pid
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        text = self.k.metrics()
        m = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                m[name] = float(value)
        row = (label, rss / 1024, fds, int(m['kontor_websockets{role="any"}']),
               int(m["kontor_rooms"]), int(m["kontor_websockets_in_room"]))
        self.samples.append(row)
        print(f"{row[0]:>10} {row[1]:9.1f} {row[2]:6d} {row[3]:8d} {row[4]:6d} {row[5]:6d}",
              flush=True)
        return row

    async def sampler(self):
        start = time.monotonic()
        while time.monotonic() < self.deadline:
            await asyncio.sleep(30)
            self.sample(f"{time.monotonic() - start:.0f} s")

    async def run(self):
        self.deadline = time.monotonic() + self.args.minutes * 60
        tasks = [asyncio.create_task(self.seeker(random.Random(self.rng.random())))
                 for _ in range(self.args.clients - len(self.bookings))]
        tasks += [asyncio.create_task(self.caseworker(b, random.Random(self.rng.random())))
                  for b in self.bookings]
        tasks += [asyncio.create_task(self.sampler())]
        await asyncio.gather(*tasks)


def probe(port, seconds, out):
    """An ordinary page's request, every 100 ms, timed.  In a process of its
    own: the 1,000 clients keep this one's event loop busy, and its lag is
    not the server's."""
    lat, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                c.sendall(b"GET /api/v1/config HTTP/1.1\r\nHost: x\r\n\r\n")
                while c.recv(65536):
                    pass
            lat.append((time.monotonic() - t) * 1000)
        except OSError:
            lat.append(10000.0)
        time.sleep(0.1)
    out.send(lat)


def main():
    need_env()
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--bookings", type=int, default=40)
    p.add_argument("--seed", type=int, default=1203)
    args = p.parse_args()
    limit = max(4096, args.clients * 4)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    env = {"KONTOR_WS_PER_ADDRESS": str(args.clients * 2), "KONTOR_LINK_PER_MINUTE": "1000000",
           "KONTOR_LOGIN_PER_MINUTE": "1000000", "KONTOR_PUBLIC_PER_MINUTE": "1000000",
           "KONTOR_WS_MESSAGES_PER_SECOND": "1000"}
    print(f"soak: {args.clients} clients on {args.bookings} bookings for {args.minutes:g} min, "
          f"seed {args.seed}", flush=True)
    with Kontor(env) as k:
        s = Soak(k, args)
        s.setup()
        time.sleep(2)
        print(f"{'when':>10} {'RSS MiB':>9} {'fds':>6} {'sockets':>8} {'rooms':>6} {'seats':>6}")
        base = s.sample("start")
        theirs, ours = multiprocessing.Pipe(duplex=False)
        prober = multiprocessing.Process(target=probe, args=(k.port, args.minutes * 60, ours))
        prober.start()
        asyncio.run(s.run())
        s.latencies = theirs.recv()
        prober.join()
        peak = max(s.samples, key=lambda r: r[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(5)
            end = s.sample("settled")
            if end[3:] == (0, 0, 0) and end[2] <= base[2]:
                break
        lat = sorted(s.latencies)
        p99 = lat[int(len(lat) * 0.99)] if lat else 0
        print(f"clients' steps: {dict(sorted(s.counts.items()))}")
        print(f"probe latency: median {statistics.median(lat):.1f} ms, p99 {p99:.1f} ms, "
              f"max {lat[-1]:.1f} ms over {len(lat)} requests")
        print(f"rss_peak: {peak[1]:.1f} MiB ({peak[1] / base[1]:.2f}x start)")
        print(f"rss_after: {end[1]:.1f} MiB ({end[1] / base[1]:.2f}x start, "
              f"{end[1] - base[1]:+.1f} MiB)")
        print(f"fds_after: {end[2]} (start {base[2]})")
        print(f"sockets_rooms_seats_after: {end[3]} {end[4]} {end[5]}")
        ok = end[3:] == (0, 0, 0) and end[2] == base[2] and end[1] - base[1] < 16
        print("verdict:", "bounded" if ok else "NOT BOUNDED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
