"""faults_harness.py — what the faults suite adds to tests/api's harness: a
PostgreSQL cluster of the test's own (so it can be stopped and started
without touching anyone else's), pages driven by web/js/channel.js under
node, and a few readings of a running kontor.

Needs KONTOR_BIN, KONTOR_PG_LOCAL (deploy/pg-local), node, PostgreSQL 15.
"""
import datetime
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from kontor_harness import SKIP

HERE = os.path.dirname(os.path.abspath(__file__))


def need_tools():
    missing = [name for name in ("KONTOR_BIN", "KONTOR_PG_LOCAL") if not os.environ.get(name)]
    if missing:
        print(f"skip: {', '.join(missing)} not set", file=sys.stderr)
        sys.exit(SKIP)
    if not os.path.exists("/usr/lib/postgresql/15/bin/pg_ctl"):
        print("skip: no PostgreSQL 15 (apt-get install postgresql-15)", file=sys.stderr)
        sys.exit(SKIP)
    if not shutil.which("node"):
        print("skip: no node (deploy/install-deps --test)", file=sys.stderr)
        sys.exit(SKIP)


class Cluster:
    """A private PostgreSQL cluster in a temporary folder (deploy/pg-local);
    use as a context manager.  Its conninfo becomes KONTOR_TEST_CONNINFO,
    which the harness's Kontor reads."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pg-faults-", dir="/tmp")
        self.conninfo = None

    def _pg_local(self, command):
        return subprocess.run([os.environ["KONTOR_PG_LOCAL"], command, self.dir], check=True,
                              capture_output=True, text=True, timeout=120).stdout.strip()

    def start(self):
        self.conninfo = self._pg_local("start")
        os.environ["KONTOR_TEST_CONNINFO"] = self.conninfo
        return self

    def stop(self):
        self._pg_local("stop")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


class Page:
    """One page's WebSocket: web/js/channel.js run by page_client.mjs.
    `opening` is what the page sends on every (re)connection."""

    def __init__(self, port, opening, cookie="", lifetime=150):
        self.events = queue.Queue()
        self.log = []
        self.proc = subprocess.Popen(
            ["node", os.path.join(HERE, "page_client.mjs"), str(port), json.dumps(opening),
             cookie or "", str(lifetime)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            event = json.loads(line)
            event["t"] = time.monotonic()
            self.events.put(event)

    def send(self, msg):
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def wait(self, pred, timeout):
        """The first event (from now on) for which pred holds, or None
        after timeout seconds.  Events passed over are kept in self.log."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            self.log.append(event)
            if pred(event):
                return event

    def wait_message(self, msg_type, timeout, **fields):
        return self.wait(lambda e: isinstance(e.get("message"), dict)
                         and e["message"].get("type") == msg_type
                         and all(e["message"].get(k) == v for k, v in fields.items()), timeout)

    def wait_state(self, state, timeout):
        return self.wait(lambda e: e.get("state") == state, timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def metrics(k):
    """/metrics as {name-with-labels: float}."""
    status, _, _, text = k.request("GET", "/metrics",
                                   headers={"Authorization": "Bearer " + k.METRICS_TOKEN})
    values = {}
    if status == 200:
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
    return values


def seed_office(k, caseworkers=3):
    """An office in UTC open all day every day, a 30-minute service without
    buffer or notice bookable 60 days ahead, and some caseworkers."""
    office = int(k.sql("INSERT INTO offices (name, time_zone) VALUES ('Feilkontor', 'UTC') RETURNING id"))
    for day in range(1, 8):
        k.sql(f"INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at) "
              f"VALUES ({office}, {day}, '00:00', '24:00')")
    service = int(k.sql("INSERT INTO services (name, duration_min, buffer_min, notice_min, horizon_days) "
                        "VALUES ('Feiltjeneste', 30, 0, 0, 60) RETURNING id"))
    for i in range(caseworkers):
        k.sql(f"INSERT INTO caseworkers (office_id, name, email, password_hash) VALUES "
              f"({office}, 'Saksbehandler {i}', 'feil{i}@test.example', '$argon2id$v=19$m=1,t=1,p=1$x$y')")
    return office, service


def slot_time(n):
    """The n-th half hour from tomorrow 00:00 UTC, as RFC 3339."""
    day = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    t = day + datetime.timedelta(days=1, minutes=30 * n)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Writer(threading.Thread):
    """A client that keeps booking (each at its own time, each with its own
    contact) and cancels every third booking it made, recording every answer
    with how long it took.  Bounded: at most max_requests, and it stops when
    told."""

    def __init__(self, k, office, service, pause=0.05, max_requests=2000):
        super().__init__(daemon=True)
        self.k, self.office, self.service = k, office, service
        self.pause, self.max_requests = pause, max_requests
        self.stopping = threading.Event()
        self.answers = []          # (monotonic, kind, status, code, seconds)
        self.booked = {}           # reference -> token: acknowledged (201)
        self.cancelled = set()     # references whose cancel was acknowledged (200)
        # references whose cancel got no answer or a 503: the cancellation
        # may have committed with its answer lost (PostgreSQL stopping
        # between COMMIT and the reply), so either status is right, and
        # the writer does not ask again (a second cancel of a cancelled
        # booking is rightly 409 not_changeable).
        self.unsure = set()
        self.slot = 0

    def _note(self, kind, started, status, body):
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        self.answers.append((started, kind, status, code, time.monotonic() - started))

    def run(self):
        for i in range(self.max_requests):
            if self.stopping.is_set():
                break
            started = time.monotonic()
            if i % 3 == 2 and len(self.booked) > (len(self.cancelled) + len(self.unsure)) * 3:
                ref = next(r for r in self.booked if r not in self.cancelled and r not in self.unsure)
                try:
                    status, body, _, _ = self.k.request("POST", "/api/v1/booking/cancel",
                                                        {"token": self.booked[ref]})
                except OSError:
                    status, body = 0, None
                self._note("cancel", started, status, body)
                if status == 200:
                    self.cancelled.add(ref)
                elif status in (0, 503):
                    self.unsure.add(ref)
            else:
                self.slot += 1
                body = {"service_id": self.service, "office_id": self.office,
                        "starts_at": slot_time(self.slot), "name": "Feil Test",
                        "contact": f"writer{self.slot}@test.example", "language": "nb"}
                try:
                    status, answer, _, _ = self.k.request("POST", "/api/v1/bookings", body)
                except OSError:
                    status, answer = 0, None
                self._note("book", started, status, answer)
                if status == 201:
                    token = answer["join_url"].split("#t=", 1)[1]
                    self.booked[answer["booking"]["reference"]] = token
            time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        self.join(30)
