"""kontor_harness.py — start a real kontor against a fresh database, and
talk to it over HTTP and WebSocket with nothing but the standard library.

Every HTTP answer is checked against docs/openapi.yaml on the way
(kontor_contract.py): an answer the contract does not describe raises
ContractError, so each test checks the contract for free.

Used by the api and fuzz suites.  Needs KONTOR_BIN and KONTOR_TEST_CONNINFO.
"""
import base64
import http.client
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import time

from kontor_contract import contract

SKIP = 77
# The pages of this source tree: the binary's own default is where meson
# install puts them (web/meson.build).
WEB_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")


def need_env():
    for name in ("KONTOR_BIN", "KONTOR_TEST_CONNINFO"):
        if not os.environ.get(name):
            print(f"skip: {name} is not set", file=sys.stderr)
            sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(conninfo, sql):
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                           "-d", conninfo, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


class Kontor:
    """A kontor server on its own fresh database; use as a context manager."""

    METRICS_TOKEN = secrets.token_hex(16)

    def __init__(self, extra_env=None, server_role=None, stderr_path=None, cwd=None, stdout_path=None):
        """server_role: run kontor as this login role, a member of
        kontor_app (no DDL, migration 014), while `kontor migrate` runs as
        the cluster's superuser.  stderr_path: kontor's whole log (stdout and
        stderr) goes there, or only stderr when stdout_path is given too.
        cwd: kontor's working folder."""
        self.base_conninfo = os.environ["KONTOR_TEST_CONNINFO"]
        self.dbname = "api_" + secrets.token_hex(6)
        psql(self.base_conninfo, f"CREATE DATABASE {self.dbname}")
        self.conninfo = f"{self.base_conninfo} dbname={self.dbname}"
        self.port = free_port()
        self.env = dict(os.environ, KONTOR_DATABASE=self.conninfo,
                        KONTOR_PORT=str(self.port), KONTOR_LISTEN_ADDRESS="127.0.0.1",
                        KONTOR_WEB_ROOT=os.environ.get("KONTOR_WEB_ROOT", os.path.normpath(WEB_ROOT)),
                        # A g_critical is a bug: let it stop the server and fail the test.
                        G_DEBUG="fatal-criticals",
                        KONTOR_METRICS_TOKEN=self.METRICS_TOKEN,
                        **(extra_env or {}))
        self.proc = None
        self.server_role = server_role
        self.stderr_path = stderr_path
        self.stdout_path = stdout_path
        self.cwd = cwd
        if server_role:
            self.env["KONTOR_MIGRATE_DATABASE"] = self.conninfo
            self.env["KONTOR_DATABASE"] = f"{self.conninfo} user={server_role}"

    def run(self, *args, env=None):
        p = subprocess.run([os.environ["KONTOR_BIN"], *args], env=dict(self.env, **(env or {})),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"kontor {' '.join(args)}: {p.stderr.strip()}")
        return p.stdout

    def demo(self, starts_in):
        """A fresh demo booking starting starts_in seconds from now (may be
        negative: then it is booked as if an hour ago, so the service's
        minimum notice holds as it did when a real job seeker booked)."""
        if starts_in >= 60:
            return json.loads(self.run("demo", "--json", f"--starts-in={starts_in}"))
        return json.loads(self.run("demo", "--json", f"--starts-in={starts_in + 3600}",
                                   env={"KONTOR_CLOCK_OFFSET": "-3600"}))

    def sql(self, statement):
        return psql(self.conninfo, statement)

    def __enter__(self):
        self.run("migrate")
        if self.server_role:
            psql(self.base_conninfo, f"""DO $$ BEGIN
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{self.server_role}') THEN
                     CREATE ROLE {self.server_role} LOGIN;
                   END IF; END $$; GRANT kontor_app TO {self.server_role}""")
        self.start()
        return self

    def start(self):
        """Starts the server (again, after a kill: same port, same database)
        and waits until it listens."""
        # The log goes to stderr (signaling/log.c); stdout has the line
        # "kontor: serving URL".
        err = open(self.stderr_path, "a") if self.stderr_path else sys.stderr
        out = open(self.stdout_path, "a") if self.stdout_path else err if self.stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen([os.path.abspath(os.environ["KONTOR_BIN"])], env=self.env,
                                     cwd=self.cwd, stdout=out, stderr=err)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"kontor exited with {self.proc.returncode}")
                time.sleep(0.1)
        raise RuntimeError("kontor did not start listening")

    def __exit__(self, *exc):
        code = None
        if self.proc and self.proc.poll() is None:
            # SIGINT stops at once; SIGTERM would drain (test_drain.py) and
            # wait for meetings a test left running.
            self.proc.send_signal(signal.SIGINT)
            try:
                code = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        elif self.proc:
            code = self.proc.returncode
        try:
            psql(self.base_conninfo, f"DROP DATABASE IF EXISTS {self.dbname} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        # A clean stop is part of the contract (and, in the sanitizer build,
        # where leaks and memory errors are reported).
        if code != 0 and exc[0] is None:
            print(f"FAIL kontor stopped with exit status {code}", file=sys.stderr)
            sys.exit(1)
        return False

    # ---- HTTP ----
    def request(self, method, path, body=None, headers=None, raw=None):
        """(status, parsed JSON or None, headers, text); raises
        kontor_contract.ContractError for an answer docs/openapi.yaml does
        not describe."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        contract().check(method, path, resp.status, resp.headers, text)
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = None
        return resp.status, parsed, resp.headers, text

    def metrics(self):
        """GET /metrics as monitoring does, with the bearer token: the text."""
        status, _, _, text = self.request(
            "GET", "/metrics", headers={"Authorization": "Bearer " + self.METRICS_TOKEN})
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        return text

    def login(self, email, password):
        status, body, headers, _ = self.request("POST", "/api/v1/login",
                                                {"email": email, "password": password})
        cookie = headers.get("Set-Cookie", "")
        return status, body, cookie.split(";")[0] if cookie else None

    def ws(self, cookie=None, origin=None, path="/ws"):
        return WebSocket("127.0.0.1", self.port, cookie=cookie, origin=origin, path=path)

    def admitted(self, token, booking_id, cookie):
        """The job seeker of the link token waits and their caseworker
        (logged in: cookie) admits them: (seeker socket, caseworker socket),
        both past `admitted`."""
        seeker = self.ws()
        seeker.send({"type": "join", "token": token})
        seeker.recv_type("waiting")
        cw = self.ws(cookie=cookie)
        cw.send({"type": "hello"})
        cw.recv_type("queue")
        cw.send({"type": "admit", "booking_id": booking_id})
        cw.recv_type("admitted")
        seeker.recv_type("admitted")
        return seeker, cw


class WebSocket:
    """A minimal RFC 6455 client: text frames, masking, close."""

    def __init__(self, host, port, cookie=None, origin=None, path="/ws"):
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: kontor.v1"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        if origin:
            lines.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:  # refused without an HTTP answer
                self.status, self.closed = 0, True
                return
            head += chunk
        self.status = int(head.split(b" ")[1])
        self.closed = self.status != 101

    def send_raw(self, payload: bytes, opcode=1):
        mask = secrets.token_bytes(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, obj):
        self.send_raw(json.dumps(obj).encode())

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def read_frame(self):
        """The next frame as it came, pings included: (opcode, payload).
        Raises ConnectionError when the connection ends without a frame."""
        b1, b2 = self._read(2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b1 & 0x0F, self._read(n)

    def recv(self, timeout=10):
        """The next JSON message, or ('close', code) when the server closed."""
        self.sock.settimeout(timeout)
        opcode, payload = self.read_frame()
        if opcode == 8:
            self.closed = True
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            return ("close", code)
        if opcode == 9:  # ping: answer as a browser does
            self.send_raw(payload, opcode=10)
            return self.recv(timeout)
        return json.loads(payload)

    def recv_type(self, wanted, timeout=10):
        """Skip messages until one of type `wanted` (queue pushes interleave)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.recv(max(0.1, deadline - time.monotonic()))
            if isinstance(msg, tuple) or msg.get("type") == wanted:
                return msg
        raise TimeoutError(f"no {wanted} message")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Spec:
    """Tiny runner: each check prints ok/FAIL; exit status says it all."""

    def __init__(self):
        self.failures = 0

    def check(self, name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"  ({detail})"))
        if not cond:
            self.failures += 1

    def done(self):
        print(f"{self.failures} failure(s)")
        sys.exit(1 if self.failures else 0)
