#!/usr/bin/env python3
"""test_http.py — HTTP/1.1 from clients that are not browsers: pipelined
requests in every mix, methods kontor does not serve, bodies without a
length.  Whatever arrives, the first request is answered, the connection
ends cleanly (one request per connection: signaling/server.c says why),
nothing hangs or spins, and ordinary clients are served meanwhile."""
import os
import socket
import time

from kontor_harness import Kontor, Spec, need_env


def get(path):
    return f"GET {path} HTTP/1.1\r\nHost: kontor\r\n\r\n".encode()


def post(path, body):
    return (f"POST {path} HTTP/1.1\r\nHost: kontor\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


LOGIN_BODY = b'{"email":"a@example.org","password":"x"}'
LOGIN = post("/api/v1/login", LOGIN_BODY)

# name -> (bytes sent in one write, the status of the first answer)
MIXES = {
    "three GETs to the API": (get("/api/v1/config") * 3, 200),
    "a GET then a POST (once spun the main loop)": (get("/api/v1/config") + LOGIN, 200),
    "a POST then a GET": (LOGIN + get("/api/v1/config"), 401),
    "two POSTs": (LOGIN * 2, 401),
    "a static file then the API (once a 403 page)": (get("/index.html") + get("/api/v1/config"), 200),
    "the API then a static file": (get("/api/v1/config") + get("/index.html"), 200),
    "three static files": (get("/index.html") * 3, 200),
    "a missing file then a file": (get("/nothing.html") + get("/index.html"), 404),
    "an unknown API path then a file": (get("/api/v1/nothing") + get("/index.html"), 404),
    "HEAD then GET": (b"HEAD /index.html HTTP/1.1\r\nHost: kontor\r\n\r\n" + get("/index.html"), 200),
    "PUT then GET": (b"PUT /api/v1/login HTTP/1.1\r\nHost: kontor\r\nContent-Length: 2\r\n\r\n{}"
                     + get("/index.html"), 405),
    "OPTIONS": (b"OPTIONS /api/v1/login HTTP/1.1\r\nHost: kontor\r\n\r\n", 405),
    "CONNECT (once never answered nor timed out)": (b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org\r\n\r\n", 405),
    "a chunked POST": (b"POST /api/v1/login HTTP/1.1\r\nHost: kontor\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411),
    "HTTP/1.0": (b"GET /api/v1/config HTTP/1.0\r\n\r\n", 200),
    # A body the login would take (401) if its length were trusted.
    "a Content-Length that is not a number": (
        b"POST /api/v1/login HTTP/1.1\r\nHost: kontor\r\nContent-Type: application/json\r\n"
        b"Content-Length: %dabc\r\n\r\n%s" % (len(LOGIN_BODY), LOGIN_BODY), 400),
    "two Content-Lengths that disagree": (
        b"POST /api/v1/login HTTP/1.1\r\nHost: kontor\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nContent-Length: 9000\r\n\r\n%s" % (len(LOGIN_BODY), LOGIN_BODY), 400),
}


def exchange(port, data, timeout=10):
    """Sends data in one write; returns (status lines, whether the server
    closed, seconds until it did)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got, closed = b"", False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                got += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    statuses = [line.split(b" ")[1].decode() for line in got.split(b"\r\n")
                if line.startswith(b"HTTP/1.") and len(line.split(b" ")) > 1]
    return statuses, closed, time.monotonic() - start, got


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    need_env()
    spec = Spec()
    with Kontor() as k:
        for name, (data, status) in MIXES.items():
            statuses, closed, took, got = exchange(k.port, data)
            spec.check(f"{name}: the first is answered {status}, then the connection ends",
                       statuses[:1] == [str(status)] and closed and took < 5,
                       (statuses, closed, round(took, 2), got[-120:]))
            spec.check(f"{name}: answers say Connection: close",
                       b"\r\nconnection: close\r\n" in got.lower(), got[:400])
        cpu = cpu_seconds(k.proc.pid)
        time.sleep(2)
        spent = cpu_seconds(k.proc.pid) - cpu
        spec.check("afterwards the server is idle (no spinning)", spent < 0.5, spent)
        status, body, _, _ = k.request("GET", "/api/v1/config")
        spec.check("and serves an ordinary client", status == 200 and "now" in body, (status, body))
        ws = k.ws()
        spec.check("WebSockets still upgrade (101 carries no Connection: close)", ws.status == 101, ws.status)
        ws.send({"type": "leave"})
        msg = ws.recv()
        spec.check("and talk", msg.get("code") == "not_joined", msg)
        ws.close()
        plain_http(k, spec)
    with Kontor({"KONTOR_PUBLIC_URL": "https://kontor.example"}) as k:
        behind_tls_proxy(k, spec)
    spec.done()


def plain_http(k, spec):
    """Plain HTTP (localhost, tests): no HSTS, a cookie without Secure, and
    WebSockets only to ourselves."""
    demo = k.demo(600)
    status, _, headers, _ = k.request("POST", "/api/v1/login", {
        "email": demo["caseworker_email"], "password": demo["caseworker_password"]})
    cookie = headers.get("Set-Cookie", "")
    spec.check("plain HTTP: the session cookie is kontor_session, HttpOnly, SameSite, not Secure",
               status == 200 and cookie.startswith("kontor_session=") and "HttpOnly" in cookie
               and "SameSite=Strict" in cookie and "Secure" not in cookie, cookie)
    spec.check("plain HTTP: no Strict-Transport-Security",
               headers.get("Strict-Transport-Security") is None)
    csp = headers.get("Content-Security-Policy", "")
    spec.check("the CSP lets pages open WebSockets to this server only",
               f"connect-src 'self' ws://localhost:{k.port};" in csp and " ws: " not in csp
               and " wss:" not in csp, csp)


def behind_tls_proxy(k, spec):
    """public_url https, no certificate here: a TLS proxy in front.  Pages
    come over https, so the cookie is Secure with the __Host- prefix and
    browsers are told to stay on https."""
    demo = k.demo(600)
    status, _, headers, _ = k.request("POST", "/api/v1/login", {
        "email": demo["caseworker_email"], "password": demo["caseworker_password"]})
    cookie = headers.get("Set-Cookie", "")
    spec.check("behind a TLS proxy: the cookie is __Host-kontor_session, Secure, Path=/, no Domain",
               status == 200 and cookie.startswith("__Host-kontor_session=") and "; Secure" in cookie
               and "Path=/;" in cookie and "Domain" not in cookie, cookie)
    spec.check("behind a TLS proxy: Strict-Transport-Security on every answer",
               "max-age=" in (headers.get("Strict-Transport-Security") or "")
               and "max-age=" in (k.request("GET", "/api/v1/config")[2].get("Strict-Transport-Security") or ""))
    spec.check("behind a TLS proxy: WebSockets only to wss://kontor.example",
               "connect-src 'self' wss://kontor.example;" in headers.get("Content-Security-Policy", ""))
    session = cookie.split(";")[0]
    me = k.request("GET", "/api/v1/me", headers={"Cookie": session})[0]
    spec.check("the __Host- cookie is the session", me == 200, me)
    plain = "kontor_session=" + session.split("=", 1)[1]
    spec.check("the same secret under the plain name is not",
               k.request("GET", "/api/v1/me", headers={"Cookie": plain})[0] == 401)
    ws = k.ws(cookie=session)
    ws.send({"type": "hello"})
    spec.check("and the WebSocket takes it too", ws.recv_type("queue").get("type") == "queue")
    ws.close()


if __name__ == "__main__":
    main()
