#!/usr/bin/env python3
"""waiting.py — 10,000 idle waiting-room WebSockets on one kontor node:
the server's resident memory per socket, and how long a queue update takes
to reach the caseworkers while those sockets are open.

  tests/bench/run waiting                 (the release build)
  WAITING_N=2000 tests/bench/run waiting  (a smaller run)

Needs KONTOR_BIN and KONTOR_TEST_CONNINFO (tests/bench/run sets both).
Settings from the environment:

  WAITING_N            idle job seekers (default 10000)
  WAITING_BASELINE     the first step, measured on the way (default 1000)
  WAITING_CASEWORKERS  K caseworkers with their live queue open (default 20)
  WAITING_REPS         single arrivals (and leaves) timed per step (default 40)
  WAITING_BURSTS       bursts of K arrivals (and leaves) per step (default 10)
  WAITING_IDLE_SECONDS how long kontor's CPU is watched with nothing to do
                       but its pings, per step (default 20)

A waiting-room socket is a job seeker who opened the meeting link before
being admitted: it sends `join` with the link's token and gets `waiting`
(docs/protocol.md); no media starts until a caseworker admits it.  The
bookings are written straight into the database (as `kontor demo` does,
SHA-256 of each token), one caseworker each: a caseworker's bookings may
not overlap and every booking must be inside its join window now.  Every
socket then goes through kontor's own handshake, join and check-in.

A queue in kontor is one caseworker's day (docs/protocol.md, `queue`): an
arrival changes one caseworker's queue, so it reaches one caseworker's page.
Two figures follow from that, with K caseworkers logged in (`hello`), each
with one booking of their own whose job seeker comes and goes:

  single   one job seeker sends `join` (or `leave`); the time until that
           booking's caseworker has the queue showing them present (gone)
  burst    K job seekers, one per caseworker, send `join` in the same
           instant (an office at the top of the hour); the time until the
           last of the K caseworkers has their update

Both are measured with the K probes alone (baseline), at WAITING_BASELINE
idle sockets and at WAITING_N.  Memory: kontor's VmRSS (/proc/PID/status)
before the idle sockets open (the K caseworkers and probes are open then),
at each step and after they have all closed.  CPU: kontor's (from
/proc/PID/stat) and the client's own, for the ramp, for the queue
measurements and for a quiet spell at each step.

The verdict is "ok" when every job seeker got to wait, none was dropped
while idle, no media started, and the N sockets took less than 200 MiB
(issue 15's goal); the latency is printed, not judged.

All sockets come from 127.0.0.1, so the per-address bounds (64 sockets, 60
link lookups a minute) are raised for the run; `ulimit -n` goes up to the
hard limit for this process and kontor (it inherits it).  Joins are kept to
at most 64 in flight (kontor's database queue holds 200).  The client is
one epoll loop over plain sockets; its own CPU time is printed beside
kontor's.  Nobody is admitted, so kontor gathers no ICE candidates: the run
checks that kontor holds no UDP socket and no media participant.
"""
import base64
import hashlib
import json
import os
import resource
import secrets
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "api"))
from kontor_harness import Kontor, need_env  # noqa: E402

INFLIGHT = 64             # joins waiting for their answer at once
RAMP_SECONDS = 900        # the longest a ramp may take
WAIT_SECONDS = 10         # the longest one queue update may take
GOAL_MIB = 200            # for all N sockets (issue 15)
REFERENCE_ALPHABET = "ACDEFHJKMNPQRTUVWXY34679"


def env_int(name, default):
    return int(os.environ.get(name, default))


def frame(payload, opcode=1):
    mask = secrets.token_bytes(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    else:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


class Ws:
    """One WebSocket, non-blocking, driven by Loop."""
    __slots__ = ("sock", "fd", "buf", "open", "closed", "on_open", "on_msg", "name")

    def __init__(self, loop, port, name, on_open, on_msg, cookie=None):
        self.name, self.on_open, self.on_msg = name, on_open, on_msg
        self.buf, self.open, self.closed = bytearray(), False, False
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setblocking(False)
        self.fd = self.sock.fileno()
        head = ["GET /ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Key: " + base64.b64encode(secrets.token_bytes(16)).decode(),
                "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: kontor.v1"]
        if cookie:
            head.append("Cookie: " + cookie)
        self.sock.send(("\r\n".join(head) + "\r\n\r\n").encode())
        loop.add(self)

    def send(self, msg):
        if not self.closed:
            # A few hundred bytes on loopback: the socket buffer takes them.
            self.sock.send(frame(json.dumps(msg).encode()))

    def readable(self, loop, now):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.drop(self, "closed by kontor")
            return
        self.buf += data
        if not self.open:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                loop.drop(self, "refused: " + self.buf[:40].decode(errors="replace"))
                return
            del self.buf[:end + 4]
            self.open = True
            self.on_open(self)
        while len(self.buf) >= 2:
            b1, b2 = self.buf[0], self.buf[1]
            n, at = b2 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, at = struct.unpack_from("!H", self.buf, 2)[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, at = struct.unpack_from("!Q", self.buf, 2)[0], 10
            if len(self.buf) < at + n:
                return
            payload = bytes(self.buf[at:at + n])
            del self.buf[:at + n]
            op = b1 & 0x0F
            if op == 9:  # ping: answer as a browser does
                self.sock.send(frame(payload, 10))
            elif op == 8:
                loop.drop(self, "close frame")
                return
            elif op == 1:
                self.on_msg(self, json.loads(payload), now)


class Loop:
    """One epoll over every socket; pump() runs until a condition holds or
    the time is up (every wait in this file is bounded)."""

    def __init__(self):
        self.ep = select.epoll()
        self.by_fd = {}
        self.dropped = {}

    def add(self, ws):
        self.by_fd[ws.fd] = ws
        self.ep.register(ws.fd, select.EPOLLIN)

    def drop(self, ws, why):
        if ws.closed:
            return
        ws.closed = True
        self.dropped[why] = self.dropped.get(why, 0) + 1
        try:
            self.ep.unregister(ws.fd)
        except OSError:
            pass
        self.by_fd.pop(ws.fd, None)
        ws.sock.close()

    def pump(self, until, seconds):
        """True when until() held before `seconds` passed."""
        end = time.monotonic() + seconds
        while not until():
            left = end - time.monotonic()
            if left <= 0:
                return False
            for fd, _ in self.ep.poll(min(left, 0.05), 512):
                ws = self.by_fd.get(fd)
                if ws:
                    ws.readable(self, time.monotonic())
        return True


# ---- kontor's figures ---------------------------------------------------------

def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {k: int(fields[k].split()[0]) for k in ("VmRSS", "RssAnon", "Threads")}


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def udp_sockets(pid):
    """kontor's UDP sockets: ICE gathering would open some."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    n = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with open(table) as f:
            next(f)
            n += sum(1 for line in f if line.split()[9] in inodes)
    return n


def metrics(k):
    m = {}
    for line in k.metrics().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            m[name] = float(value)
    return m


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s))) - 1))]


# ---- the bench ------------------------------------------------------------------

class Bench:
    def __init__(self, k, n, baseline, kcw, reps, bursts):
        self.k, self.n, self.baseline, self.kcw = k, n, baseline, kcw
        self.reps, self.bursts = reps, bursts
        self.loop = Loop()
        self.pid = k.proc.pid

    def setup(self):
        """The demo office (open all day), a service long enough to outlast
        the run, K + N caseworkers sharing the demo caseworker's password,
        one booking each starting in 5 minutes (its join window is open)."""
        t = time.monotonic()
        demo = self.k.demo(300)
        self.password = demo["caseworker_password"]
        total = self.kcw + self.n
        refs = {demo["booking_reference"]}
        self.tokens = {}
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
            for i in range(1, total + 1):
                while True:
                    r = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
                    r = r[:3] + "-" + r[3:]
                    if r not in refs:
                        break
                refs.add(r)
                token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
                self.tokens[i] = token
                f.write(f"{i}\t{r}\t{hashlib.sha256(token.encode()).hexdigest()}\n")
            tsv = f.name
        script = f"""
\\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO services (name, duration_min, buffer_min, join_before_min, join_after_min, notice_min)
  VALUES ('Bench waiting room', 240, 0, 10, 15, 0);
INSERT INTO caseworkers (office_id, name, email, password_hash, languages)
  SELECT d.office_id, 'Bench ' || g, 'bench' || g || '@kontor.example', d.password_hash, '{{nb,en}}'
    FROM caseworkers d, generate_series(1, {total}) g
   WHERE d.email = 'demo@kontor.example';
CREATE TEMP TABLE bench_in (n integer, reference text, token_hash text);
\\copy bench_in FROM '{tsv}'
INSERT INTO bookings (reference, token_hash, seeker_name, seeker_contact, language, service_id,
                      caseworker_id, during, blocked, created_at, status_changed_at)
SELECT i.reference, decode(i.token_hash, 'hex'), 'Bench seeker ' || i.n, '', 'nb', s.id, c.id,
       tstzrange(st, st + interval '240 min'), tstzrange(st, st + interval '240 min'),
       now() - interval '1 hour', now()
  FROM bench_in i
  JOIN caseworkers c ON c.email = 'bench' || i.n || '@kontor.example'
  CROSS JOIN (SELECT id FROM services WHERE name = 'Bench waiting room') s
  CROSS JOIN (SELECT date_trunc('second', now() + interval '5 min') AS st) t;
COMMIT;
SELECT i.n, b.id FROM bench_in i JOIN bookings b ON b.reference = i.reference
 WHERE i.n <= {self.kcw} ORDER BY i.n;
"""
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", " ", "-d", self.k.conninfo],
                             input=script, capture_output=True, text=True)
        os.unlink(tsv)
        if out.returncode != 0:
            raise RuntimeError("bench data: " + out.stderr.strip())
        rows = [line.split() for line in out.stdout.strip().splitlines() if line.strip()]
        self.probe_booking = {int(n): int(b) for n, b in rows}
        print(f"setup: {total} caseworkers and bookings in {time.monotonic() - t:.1f} s",
              flush=True)

    # ---- caseworkers and probes ----

    def open_caseworkers(self):
        """K caseworkers log in and open their live queue; K probe job
        seekers open a socket each, not joined yet."""
        self.queues = {}       # i -> latest {booking id: present} and when
        self.cw, self.probe = {}, {}
        self.probe_answers = {}
        for i in range(1, self.kcw + 1):
            status, _, cookie = self.k.login(f"bench{i}@kontor.example", self.password)
            if status != 200:
                raise RuntimeError(f"login of bench{i}: {status}")

            def on_msg(ws, msg, now, i=i):
                if msg.get("type") == "queue":
                    self.queues[i] = ({b["id"]: b["present"] for b in msg["bookings"]}, now)
                elif msg.get("type") == "error":
                    print(f"caseworker {i}: {msg}", flush=True)

            self.cw[i] = Ws(self.loop, self.k.port, f"cw{i}", lambda ws: ws.send({"type": "hello"}),
                            on_msg, cookie=cookie)

            def on_probe(ws, msg, now, i=i):
                self.probe_answers[i] = (msg.get("type"), msg.get("code"), now)

            self.probe[i] = Ws(self.loop, self.k.port, f"probe{i}", lambda ws: None, on_probe)
        ok = self.loop.pump(lambda: len(self.queues) == self.kcw
                            and all(p.open for p in self.probe.values()), 30)
        if not ok:
            raise RuntimeError(f"only {len(self.queues)} of {self.kcw} queues arrived")

    def present(self, i, want):
        q = self.queues.get(i)
        return q is not None and q[0].get(self.probe_booking[i]) is want

    def timed(self, which, message, want):
        """Sends message from the probes `which` at once; the seconds until
        each one's caseworker had the queue showing `want`."""
        got = {}

        def until():
            for i in which:
                if i not in got and self.present(i, want):
                    got[i] = self.queues[i][1]
            return len(got) == len(which)

        for i in which:
            self.queues[i] = ({}, 0)  # forget the older state
        t0 = time.monotonic()
        for i in which:
            self.probe[i].send(message(i))
        if not self.loop.pump(until, WAIT_SECONDS):
            raise RuntimeError(f"no queue update within {WAIT_SECONDS} s for "
                               f"{sorted(set(which) - set(got))}")
        return [got[i] - t0 for i in which]

    def queue_latency(self, label):
        """Single arrivals and leaves, then bursts; prints the figures."""
        join = lambda i: {"type": "join", "token": self.tokens[i]}  # noqa: E731
        leave = lambda i: {"type": "leave"}  # noqa: E731
        quiet = lambda: False  # noqa: E731
        cpu0, kcpu0 = own_cpu(), proc_cpu(self.pid)
        arrive, go = [], []
        for r in range(self.reps):
            i = 1 + r % self.kcw
            arrive += self.timed([i], join, True)
            self.loop.pump(quiet, 0.05)
            go += self.timed([i], leave, False)
            self.loop.pump(quiet, 0.05)
        burst_in, burst_out = [], []
        everyone = list(range(1, self.kcw + 1))
        for _ in range(self.bursts):
            burst_in.append(max(self.timed(everyone, join, True)))
            self.loop.pump(quiet, 0.2)
            burst_out.append(max(self.timed(everyone, leave, False)))
            self.loop.pump(quiet, 0.2)
        for name, v in (("arrival", arrive), ("leave", go),
                        (f"burst_{self.kcw}_arrivals_last", burst_in),
                        (f"burst_{self.kcw}_leaves_last", burst_out)):
            ms = [x * 1000 for x in v]
            print(f"queue_{name} ({label}): p50 {pct(ms, 50):.1f} ms, p99 {pct(ms, 99):.1f} ms, "
                  f"max {max(ms):.1f} ms over {len(ms)}", flush=True)
        print(f"queue_cpu ({label}): client {own_cpu() - cpu0:.2f} s, "
              f"kontor {proc_cpu(self.pid) - kcpu0:.2f} s", flush=True)
        return pct([x * 1000 for x in arrive], 50), pct([x * 1000 for x in burst_in], 50)

    # ---- the idle job seekers ----

    def ramp(self, target):
        """Opens idle job seekers until `target` of them wait; prints the
        rate per thousand."""
        t0, cpu0, kcpu0 = time.monotonic(), own_cpu(), proc_cpu(self.pid)
        retries = []
        step_t, step_n = t0, self.waiting
        next_mark = min(target, (self.waiting // 1000 + 1) * 1000)

        def on_open(ws):
            ws.send({"type": "join", "token": self.tokens[int(ws.name)]})

        def on_msg(ws, msg, now):
            if msg.get("type") == "waiting":
                self.waiting += 1
                self.inflight -= 1
            elif msg.get("type") == "error" and msg.get("code") in ("busy", "db_unavailable"):
                retries.append((now + 0.2, ws))
                self.busy += 1
            else:
                self.inflight -= 1
                self.refused[str(msg.get("code", msg.get("type")))] = \
                    self.refused.get(str(msg.get("code", msg.get("type"))), 0) + 1

        deadline = t0 + RAMP_SECONDS
        while self.waiting < target and time.monotonic() < deadline:
            while self.inflight < INFLIGHT and self.opened < target:
                self.opened += 1
                n = self.kcw + self.opened
                try:
                    self.idle.append(Ws(self.loop, self.k.port, str(n), on_open, on_msg))
                    self.inflight += 1
                except OSError as e:
                    self.refused["connect: " + e.__class__.__name__] = \
                        self.refused.get("connect: " + e.__class__.__name__, 0) + 1
            now = time.monotonic()
            while retries and retries[0][0] <= now:
                _, ws = retries.pop(0)
                on_open(ws)
            before = self.waiting
            self.loop.pump(lambda: self.waiting > before, 0.05)
            while self.waiting >= next_mark:
                now = time.monotonic()
                print(f"  {next_mark:6d} waiting after {now - t0:6.1f} s: "
                      f"{(next_mark - step_n) / max(now - step_t, 1e-6):6.0f} joins/s "
                      f"since {step_n}", flush=True)
                step_t, step_n = now, next_mark
                next_mark = min(target, next_mark + 1000) if next_mark < target else target + 1
            if self.inflight <= 0 and self.opened >= target:
                break
        print(f"ramp to {target}: {time.monotonic() - t0:.1f} s, client cpu "
              f"{own_cpu() - cpu0:.2f} s, kontor cpu {proc_cpu(self.pid) - kcpu0:.2f} s, "
              f"busy answers {self.busy}, refused {self.refused or 0}, "
              f"dropped {self.loop.dropped or 0}", flush=True)
        return self.waiting >= target

    def sample(self, label):
        time.sleep(2)  # let kontor settle (no sweep or ping storms pending)
        self.loop.pump(lambda: False, 0.5)
        s = proc_status(self.pid)
        m = metrics(self.k)
        row = {"label": label, "rss": s["VmRSS"], "anon": s["RssAnon"], "threads": s["Threads"],
               "fds": len(os.listdir(f"/proc/{self.pid}/fd")),
               "sockets": int(m['kontor_websockets{role="any"}']),
               "seekers": int(m['kontor_websockets{role="seeker"}']),
               "rooms": int(m["kontor_rooms"]),
               "media": int(m["kontor_media_participants"]), "udp": udp_sockets(self.pid)}
        print(f"{label:>22} {row['rss'] / 1024:9.1f} {row['anon'] / 1024:9.1f} {row['fds']:6d} "
              f"{row['sockets']:8d} {row['seekers']:8d} {row['rooms']:6d} {row['threads']:7d} "
              f"{row['media']:5d} {row['udp']:4d}", flush=True)
        return row

    def idle_cpu(self, label):
        """kontor's CPU while nothing happens but its pings (every socket
        silent for 20 s is pinged; the client answers)."""
        seconds = env_int("WAITING_IDLE_SECONDS", 20)
        cpu0, kcpu0, t0 = own_cpu(), proc_cpu(self.pid), time.monotonic()
        self.loop.pump(lambda: False, seconds)
        wall = time.monotonic() - t0
        print(f"idle_cpu ({label}): kontor {100 * (proc_cpu(self.pid) - kcpu0) / wall:.1f} % of a "
              f"core, client {100 * (own_cpu() - cpu0) / wall:.1f} % over {wall:.0f} s", flush=True)

    def close_all(self):
        """Closes every idle socket without a close frame (tabs closed);
        the time until kontor counts none."""
        t0 = time.monotonic()
        for ws in self.idle:
            self.loop.drop(ws, "closed by us")
        deadline = t0 + 120
        while time.monotonic() < deadline:
            m = metrics(self.k)
            if int(m['kontor_websockets{role="seeker"}']) <= self.kcw:
                break
            time.sleep(0.1)
        return time.monotonic() - t0

    def run(self):
        self.setup()
        self.idle, self.opened, self.waiting, self.inflight, self.busy = [], 0, 0, 0, 0
        self.refused = {}
        fresh = proc_status(self.pid)
        with open(f"/proc/{self.pid}/limits") as f:
            files = next(line.split()[3] for line in f if line.startswith("Max open files"))
        print(f"kontor: pid {self.pid}, ulimit -n {files}", flush=True)
        self.open_caseworkers()
        print(f"caseworkers: {self.kcw} logged in with their queue open, {self.kcw} probe "
              f"job seekers (one booking of each caseworker)", flush=True)
        print(f"{'when':>22} {'RSS MiB':>9} {'anon MiB':>9} {'fds':>6} {'sockets':>8} "
              f"{'seekers':>8} {'rooms':>6} {'threads':>7} {'media':>5} {'udp':>4}")
        # One round warms the database pool and prepared statements.
        self.timed(list(range(1, self.kcw + 1)), lambda i: {"type": "join",
                                                             "token": self.tokens[i]}, True)
        self.timed(list(range(1, self.kcw + 1)), lambda i: {"type": "leave"}, False)
        base = self.sample("before (K open)")
        self.idle_cpu("0 idle")
        lat0 = self.queue_latency("0 idle")
        rows = [base]
        lats = [lat0]
        steps = [s for s in (self.baseline, self.n) if 0 < s <= self.n]
        steps = sorted(set(steps))
        for target in steps:
            if not self.ramp(target):
                print(f"FAILED: only {self.waiting} of {target} job seekers got to wait")
                return False
            rows.append(self.sample(f"{target} idle"))
            self.idle_cpu(f"{target} idle")
            lats.append(self.queue_latency(f"{target} idle"))
        peak = rows[-1]
        dropped = dict(self.loop.dropped)
        if dropped:
            print(f"DROPPED while idle: {dropped}")
        close_s = self.close_all()
        after = self.sample("after (all closed)")
        print(f"close_all: {close_s:.1f} s until kontor counted none of the {self.n}")

        print(f"rss_fresh: {fresh['VmRSS'] / 1024:.1f} MiB (kontor started, nothing open)")
        print(f"rss_before: {base['rss'] / 1024:.1f} MiB")
        for r in rows[1:]:
            n = int(r["label"].split()[0])
            d = r["rss"] - base["rss"]
            print(f"rss_per_connection ({n}): {d / n:.2f} KiB "
                  f"(total {d / 1024:.1f} MiB over before, {r['rss'] / 1024:.1f} MiB resident)")
        if len(rows) == 3:
            n1 = int(rows[1]["label"].split()[0])
            d = rows[2]["rss"] - rows[1]["rss"]
            print(f"rss_per_connection (from {n1} to {self.n}): {d / (self.n - n1):.2f} KiB "
                  f"({(d / (self.n - n1)) / ((rows[1]['rss'] - base['rss']) / n1):.2f}x the first "
                  f"{n1})")
        total_mib = (peak["rss"] - base["rss"]) / 1024
        print(f"rss_after: {after['rss'] / 1024:.1f} MiB ({after['rss'] / base['rss']:.2f}x before)")
        print(f"goal: {self.n} idle sockets under {GOAL_MIB} MiB: "
              f"{'met' if total_mib < GOAL_MIB else 'NOT MET'} ({total_mib:.1f} MiB)")
        if len(lats) > 1:
            print(f"queue_arrival_p50 ratio ({self.n} idle / 0 idle): "
                  f"{lats[-1][0] / max(lats[0][0], 1e-6):.2f}x")
            print(f"queue_burst_p50 ratio ({self.n} idle / 0 idle): "
                  f"{lats[-1][1] / max(lats[0][1], 1e-6):.2f}x")
        media_ok = all(r["media"] == 0 and r["udp"] == 0 for r in rows + [after])
        print(f"media: {'none started' if media_ok else 'STARTED'} "
              f"(kontor_media_participants and kontor's UDP sockets stayed 0)")
        print(f"client_cpu: {own_cpu():.2f} s in all, kontor_cpu: {proc_cpu(self.pid):.2f} s in all")
        return (media_ok and peak["seekers"] >= self.n and not dropped
                and total_mib < GOAL_MIB)


def main():
    need_env()
    n = env_int("WAITING_N", 10000)
    baseline = env_int("WAITING_BASELINE", 1000)
    kcw = env_int("WAITING_CASEWORKERS", 20)
    reps = env_int("WAITING_REPS", 40)
    bursts = env_int("WAITING_BURSTS", 10)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = n + 2 * kcw + 256
    if hard != resource.RLIM_INFINITY and hard < need:
        print(f"ulimit -Hn is {hard}: {n} sockets need about {need}; run as root or lower WAITING_N")
        sys.exit(1)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # kontor inherits it
    env = {"KONTOR_WS_PER_ADDRESS": str(n + 2 * kcw + 100), "KONTOR_LINK_PER_MINUTE": "1000000",
           "KONTOR_LOGIN_PER_MINUTE": "1000000", "KONTOR_PUBLIC_PER_MINUTE": "1000000"}
    print(f"waiting: {n} idle waiting-room sockets (first step {baseline}), {kcw} caseworkers, "
          f"{reps} single arrivals and {bursts} bursts per step; ulimit -n {hard}", flush=True)
    with Kontor(env) as k:
        ok = Bench(k, n, baseline, kcw, reps, bursts).run()
    print("verdict:", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
