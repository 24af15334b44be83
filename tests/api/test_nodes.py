#!/usr/bin/env python3
"""test_nodes.py — two kontor nodes on one database (issue 15, "More than
one node"; docs/protocol.md, "Several nodes"), spoken to directly as the
load balancer would pass the sockets on:

- a job seeker arriving on node A makes A the meeting's host; the
  caseworker's queue on node B shows the arrival (LISTEN/NOTIFY);
- the caseworker's admit on B is answered `moved` (node a) and the socket
  closes; on A the caseworker is let in, and so is the job seeker;
- a second tab of the job seeker on B is sent to A as well; one that asked
  for A (?node=a) but reached B while A holds the lease is told `moving`;
- A is killed (SIGKILL): once its lease has run out, B takes the meeting
  over: the job seeker and the caseworker are back in the meeting on B,
  within the lease plus a little;
- a node restarted under its old name drops the leases of its previous
  life, and a departure on B shows in a queue on A."""
import os
import signal
import subprocess
import time

from kontor_harness import Kontor, Spec, free_port, need_env

LEASE = 3


class Node:
    """Another kontor process on k's database, named name."""

    def __init__(self, k, name):
        self.port = free_port()
        self.env = dict(k.env, KONTOR_PORT=str(self.port), KONTOR_NODE_NAME=name)
        self.proc = subprocess.Popen([os.path.abspath(os.environ["KONTOR_BIN"])], env=self.env,
                                     stdout=subprocess.DEVNULL)
        import socket
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"node {name} did not start")

    def ws(self, k, cookie=None, path="/ws"):
        from kontor_harness import WebSocket
        return WebSocket("127.0.0.1", self.port, cookie=cookie, path=path)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            return self.proc.wait(timeout=30)
        return self.proc.returncode


def queue_present(ws, bid, want, timeout=8):
    """Reads queue updates until booking bid's presence is want."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(msg, tuple):
            return False
        if msg.get("type") == "queue":
            for b in msg["bookings"]:
                if b["id"] == bid and b["present"] == want:
                    return True
    return False


def join_until(node, k, token, path, wanted, timeout):
    """Joins on node until the answer is wanted (repeating after `moving`,
    as channel.js does); (message, seconds taken)."""
    t0 = time.monotonic()
    ws = node.ws(k, path=path)
    ws.send({"type": "join", "token": token})
    while time.monotonic() - t0 < timeout:
        msg = ws.recv(timeout=timeout)
        if isinstance(msg, tuple):
            break
        if msg.get("type") == "error" and msg.get("code") == "moving":
            time.sleep(msg["retry_ms"] / 1000)
            ws.send({"type": "join", "token": token})
            continue
        if msg.get("type") == wanted:
            return ws, msg, time.monotonic() - t0
    return ws, None, time.monotonic() - t0


def main():
    need_env()
    spec = Spec()
    env = {"KONTOR_NODE_NAME": "a", "KONTOR_LEASE": str(LEASE), "KONTOR_LOGIN_PER_MINUTE": "1000",
           "KONTOR_LINK_PER_MINUTE": "1000"}
    with Kontor(extra_env=env) as k:
        b = Node(k, "b")
        try:
            demo = k.demo(60)
            bid = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{demo['booking_reference']}'"))
            _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])

            cw_b = b.ws(k, cookie=cookie)
            cw_b.send({"type": "hello"})
            first = cw_b.recv_type("queue")
            spec.check("the caseworker's queue on B: not here yet",
                       any(x["id"] == bid and not x["present"] for x in first["bookings"]), first)

            seeker = k.ws()
            seeker.send({"type": "join", "token": demo["booking_token"]})
            spec.check("the job seeker waits on A", seeker.recv_type("waiting") is not None)
            spec.check("the arrival on A shows in the queue on B", queue_present(cw_b, bid, True))
            spec.check("A hosts the meeting (its row)",
                       k.sql(f"SELECT node FROM meeting_hosts WHERE booking_id = {bid}") == "a")

            cw_b.send({"type": "admit", "booking_id": bid})
            moved = cw_b.recv_type("moved")
            spec.check("admit on B: moved to node a", moved and moved["node"] == "a"
                       and moved["booking_id"] == bid, moved)
            end = cw_b.recv(timeout=5)
            spec.check("... and B closes that socket", isinstance(end, tuple) and end[0] == "close", end)

            cw_a = k.ws(cookie=cookie, path="/ws?node=a")
            cw_a.send({"type": "hello"})
            cw_a.recv_type("queue")
            cw_a.send({"type": "admit", "booking_id": bid})
            spec.check("on A the caseworker is let in", cw_a.recv_type("admitted") is not None)
            spec.check("... and so is the job seeker", seeker.recv_type("admitted") is not None)

            tab = b.ws(k)
            tab.send({"type": "join", "token": demo["booking_token"]})
            m = tab.recv_type("moved")
            spec.check("a second tab reaching B is sent to A", m and m["node"] == "a", m)

            tab = b.ws(k, path="/ws?node=a")
            tab.send({"type": "join", "token": demo["booking_token"]})
            m = tab.recv()
            spec.check("one that asked for A but reached B, A alive: moving with retry_ms",
                       m and m.get("code") == "moving" and 250 <= m.get("retry_ms", 0) <= 2000, m)
            tab.close()

            # A dies with the meeting on it.
            k.proc.send_signal(signal.SIGKILL)
            k.proc.wait()
            killed = time.monotonic()
            ws, msg, took = join_until(b, k, demo["booking_token"], "/ws?node=a", "admitted",
                                       LEASE + 10)
            spec.check(f"after A's death the job seeker is back in the meeting on B "
                       f"({took:.1f} s, lease {LEASE} s)", msg is not None and took <= LEASE + 3,
                       msg)
            cw = b.ws(k, cookie=cookie, path="/ws?node=a")
            cw.send({"type": "hello"})
            cw.recv_type("queue")
            cw.send({"type": "admit", "booking_id": bid})
            spec.check("... and the caseworker re-enters it on B", cw.recv_type("admitted") is not None)
            spec.check(f"the whole takeover took {time.monotonic() - killed:.1f} s (< 15 s)",
                       time.monotonic() - killed < 15)
            spec.check("B hosts the meeting now",
                       k.sql(f"SELECT node FROM meeting_hosts WHERE booking_id = {bid}") == "b")

            # A comes back under its old name: its old rows are gone (none
            # left here: B took them), and it sees B's news.
            k.sql("INSERT INTO meeting_hosts (booking_id, node, lease_until) "
                  "SELECT id, 'a', now() + interval '1 hour' FROM bookings "
                  f"WHERE id <> {bid} ORDER BY id LIMIT 1")
            k.start()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and k.sql("SELECT count(*) FROM meeting_hosts WHERE node = 'a'") != "0":
                time.sleep(0.1)
            spec.check("A restarted drops the leases of its previous life",
                       k.sql("SELECT count(*) FROM meeting_hosts WHERE node = 'a'") == "0")
            cw_a = k.ws(cookie=cookie)
            cw_a.send({"type": "hello"})
            spec.check("the queue on A shows the job seeker present on B",
                       queue_present(cw_a, bid, True))
            ws.send({"type": "leave"})
            spec.check("the job seeker leaves on B: the queue on A shows it",
                       queue_present(cw_a, bid, False))
        finally:
            spec.check("B stops cleanly", b.stop() == 0)
    spec.done()


if __name__ == "__main__":
    main()
