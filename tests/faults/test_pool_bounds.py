#!/usr/bin/env python3
"""test_pool_bounds.py — the database pool is bounded, seen from outside.

kontor runs with one connection, max_waiting 2 and a statement_timeout of
1.5 s; another session holds every lock on the bookings table, so booking
lookups stick.  Eight arrive at once.  What must hold:
- one is sent, two wait, the other five are answered 503 busy at once;
- the one sent is cut off by PostgreSQL's statement_timeout (set by kontor
  on its connection) after about 1.5 s, not by kontor's own timer 2 s
  later, and answered 503 busy; every one is answered within a few seconds;
- meanwhile what needs no database (the configuration, a WebSocket that
  is not logged in) is answered at once;
- once the lock goes, the same lookup succeeds on the same connection.
"""
import subprocess
import threading
import time

from kontor_harness import Kontor, Spec
from faults_harness import Cluster, metrics, need_tools

TIMEOUT_S = 1.5
CLIENTS = 8
AT_ONCE_S = 1.0    # generous for a loaded machine; a wait would be >= TIMEOUT_S


def hold_bookings(k):
    """A psql session that takes every lock on bookings and keeps it until
    its stdin gets ROLLBACK."""
    psql = subprocess.Popen(["psql", "-X", "-q", "-d", k.conninfo], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    psql.stdin.write("BEGIN;\nLOCK TABLE bookings IN ACCESS EXCLUSIVE MODE;\n")
    psql.stdin.flush()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if k.sql("SELECT count(*) FROM pg_locks WHERE relation = 'bookings'::regclass "
                 "AND mode = 'AccessExclusiveLock' AND granted") == "1":
            return psql
        time.sleep(0.05)
    raise RuntimeError("the lock was not taken")


def main():
    need_tools()
    spec = Spec()
    with Cluster(), Kontor(extra_env={
            "KONTOR_DB_POOL_SIZE": "1",
            "KONTOR_DB_MAX_WAITING": "2",
            "KONTOR_DB_STATEMENT_TIMEOUT_MS": str(int(TIMEOUT_S * 1000)),
            "KONTOR_LINK_PER_MINUTE": "1000000"}) as k:
        demo = k.demo(600)
        # The harness checks answers against docs/openapi.yaml, which it
        # loads on first use (about a second): load it before timing.
        k.request("GET", "/api/v1/config")
        psql = hold_bookings(k)

        answers = [None] * CLIENTS
        barrier = threading.Barrier(CLIENTS + 1)

        def lookup(i):
            barrier.wait()
            started = time.monotonic()
            status, body, _, _ = k.request("POST", "/api/v1/booking", {"token": demo["booking_token"]})
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            answers[i] = (status, code, time.monotonic() - started)

        threads = [threading.Thread(target=lookup, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        barrier.wait()
        time.sleep(0.2)
        started = time.monotonic()
        status, _, _, _ = k.request("GET", "/api/v1/config")
        config_s = time.monotonic() - started
        started = time.monotonic()
        ws = k.ws()
        ws.send({"type": "hello"})
        msg = ws.recv()
        ws_s = time.monotonic() - started
        ws.close()
        spec.check(f"meanwhile the configuration answers at once ({config_s * 1000:.0f} ms) and a "
                   f"WebSocket too ({ws_s * 1000:.0f} ms)",
                   status == 200 and config_s < AT_ONCE_S and msg.get("code") == "not_logged_in"
                   and ws_s < AT_ONCE_S,
                   (status, config_s, msg, ws_s))
        for t in threads:
            t.join(20)

        print("# answers (status, code, seconds):", sorted(answers, key=lambda a: a[2]))
        spec.check("every lookup is answered 503 busy",
                   all(a and a[0] == 503 and a[1] == "busy" for a in answers), answers)
        fast = [a for a in answers if a and a[2] < AT_ONCE_S]
        spec.check(f"{len(fast)} past the queue's bound are refused at once",
                   len(fast) == CLIENTS - 3, answers)
        cut = [a for a in answers if a and TIMEOUT_S - 0.2 < a[2] < TIMEOUT_S + 1.0]
        spec.check("the one sent first is cut off by the statement_timeout (about 1.5 s)",
                   len(cut) >= 1, answers)
        spec.check("none waits longer than the two timeouts in a row",
                   all(a and a[2] < 2 * (TIMEOUT_S + 2) for a in answers), answers)

        psql.stdin.write("ROLLBACK;\n")
        psql.stdin.close()
        psql.wait(10)
        status, body, _, _ = k.request("POST", "/api/v1/booking", {"token": demo["booking_token"]})
        spec.check("with the lock gone the lookup succeeds", status == 200, body)
        m = metrics(k)
        spec.check("the same connection served it (no reconnect); /metrics counts the refusals",
                   m.get("kontor_db_reconnects_total") == 0
                   and m.get('kontor_db_refused_total{reason="busy"}') == CLIENTS, m)
    spec.done()


if __name__ == "__main__":
    main()
