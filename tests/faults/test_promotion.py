#!/usr/bin/env python3
"""test_promotion.py — the PostgreSQL primary dies while a client books, and
its streaming replica is promoted (docs/operations.md, "PostgreSQL high
availability").

Two clusters of the test's own: a primary and a replica made from it with
pg_basebackup, streaming with synchronous replication (the primary's
synchronous_standby_names names the replica, synchronous_commit = on), as
Patroni's synchronous_mode runs them.  kontor is given one multi-host
conninfo naming both, with target_session_attrs=read-write.  Mid-run the
primary is killed with SIGKILL (postmaster and backends: a machine that
dies, no shutdown checkpoint); a few seconds later — what a failover
manager takes to decide — the replica is promoted with pg_ctl promote.

What must hold:
- every booking acknowledged to the client (201 with its reference) and
  every acknowledged cancellation is in the promoted database: with
  synchronous replication a commit is answered only once the replica has
  it;
- while there is no primary, kontor does not land on the standby (it is up
  but read-only: target_session_attrs refuses it); every answer is a 503
  db_unavailable or busy, never a 500, and /readyz says 503;
- once the replica is promoted the same kontor process, not restarted,
  books again within a bounded time (its reconnect back-off is at most
  2 s) and /readyz is 200 again.
The gap (first failed booking to first booking after it) is printed.
"""
import getpass
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from kontor_harness import Kontor, Spec, psql
from faults_harness import Writer, metrics, need_tools, seed_office

PGBIN = "/usr/lib/postgresql/15/bin"
PRIMARY_PORT, REPLICA_PORT = 5433, 5434
DECIDE_S = 3        # primary dead, nothing promoted yet: kontor must wait
BACK_S = 15         # after pg_ctl promote: bookings succeed within this
POOL = 3
STATEMENT_TIMEOUT_MS = 2000


def as_owner(*argv, **kw):
    """PostgreSQL refuses to run as root: as root, the clusters belong to
    the postgres user (as in deploy/pg-local)."""
    if os.geteuid() == 0:
        argv = ("runuser", "-u", "postgres", "--", *argv)
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120, **kw)


class Node:
    """One PostgreSQL 15 cluster: data in DIR/data, socket DIR/.s.PGSQL.port."""

    def __init__(self, port):
        self.dir = tempfile.mkdtemp(prefix=f"pg-promote-{port}-", dir="/tmp")
        self.port = port
        self.data = os.path.join(self.dir, "data")
        self.user = "postgres" if os.geteuid() == 0 else getpass.getuser()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o700)

    def conninfo(self, dbname="postgres"):
        return f"host={self.dir} port={self.port} user={self.user} dbname={dbname}"

    def settings(self, text, auto=False):
        path = os.path.join(self.data, "postgresql.auto.conf" if auto else "postgresql.conf")
        as_owner("sh", "-c", 'cat >>"$1"', "sh", path, input=text)

    def ctl(self, *args):
        return as_owner(f"{PGBIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "postgres.log"),
                        "-w", "-t", "60", *args)

    def running(self):
        try:
            as_owner(f"{PGBIN}/pg_ctl", "-D", self.data, "status")
            return True
        except subprocess.CalledProcessError:
            return False

    def kill(self, sig=signal.SIGKILL):
        """sig (SIGKILL: no shutdown, no checkpoint, nothing flushed that
        was not already; SIGSTOP: hung) to the postmaster and every process
        it started."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            postmaster = int(f.readline())
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(entry))
        if getattr(self, "frozen", None):
            children = self.frozen
        for pid in [postmaster] + children:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        self.frozen = [postmaster] + children if sig == signal.SIGSTOP else []
        deadline = time.monotonic() + 10
        while sig == signal.SIGKILL and time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in [postmaster] + children):
            time.sleep(0.05)

    def remove(self):
        if getattr(self, "frozen", None):
            self.kill()   # never woken: it would be a second primary
        elif os.path.exists(os.path.join(self.data, "PG_VERSION")) and self.running():
            self.ctl("-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def common(node):
    return (f"\n# test_promotion.py\nlisten_addresses = ''\n"
            f"unix_socket_directories = '{node.dir}'\nunix_socket_permissions = 0700\n"
            f"port = {node.port}\nmax_connections = 100\nlog_min_messages = warning\n"
            # Unlike deploy/pg-local, durable: what is acknowledged must survive.
            "fsync = on\n")


def make_pair():
    primary, replica = Node(PRIMARY_PORT), Node(REPLICA_PORT)
    as_owner(f"{PGBIN}/initdb", "-D", primary.data, "-U", primary.user, "-A", "trust", "-E", "UTF8",
             "--locale=C", "--no-sync")
    # initdb's pg_hba.conf already trusts local replication connections.
    primary.settings(common(primary)
                     + "wal_level = replica\nmax_wal_senders = 5\nmax_replication_slots = 5\n"
                     # Every commit waits until the replica has flushed it:
                     # acknowledged means on both (Patroni's synchronous_mode).
                     + "synchronous_commit = on\nsynchronous_standby_names = 'replica'\n")
    primary.ctl("start")
    as_owner(f"{PGBIN}/pg_basebackup", "-d", primary.conninfo(), "-D", replica.data,
             "-X", "stream", "-C", "-S", "replica", "-R", "--no-sync")
    replica.settings(common(replica)
                     # Once promoted it is alone: waiting for a standby that
                     # does not exist would stop every commit.  Patroni does the
                     # same when the last standby goes (synchronous_mode_strict off).
                     + "synchronous_standby_names = ''\n")
    # After what -R wrote: the name the primary waits for.
    replica.settings(f"primary_conninfo = 'host={primary.dir} port={primary.port} user={primary.user} "
                     f"application_name=replica'\nprimary_slot_name = 'replica'\n", auto=True)
    replica.ctl("start")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if psql(primary.conninfo(), "SELECT sync_state FROM pg_stat_replication "
                                    "WHERE application_name = 'replica'") == "sync":
            break
        time.sleep(0.2)
    else:
        raise RuntimeError("the replica did not become a synchronous standby")
    psql(primary.conninfo(), "CREATE DATABASE kontor")
    return primary, replica


def timed(k, path):
    started = time.monotonic()
    status, body, _, _ = k.request("GET", path)
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    return status, code, time.monotonic() - started


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "kill"
    need_tools()
    spec = Spec()
    primary = replica = None
    try:
        primary, replica = make_pair()
        both = (f"host={primary.dir},{replica.dir} port={primary.port},{replica.port} "
                f"user={primary.user} dbname=kontor target_session_attrs=read-write connect_timeout=2")
        os.environ["KONTOR_TEST_CONNINFO"] = both
        spec.check("the replica streams synchronously from the primary and is read-only",
                   psql(replica.conninfo(), "SELECT pg_is_in_recovery()") == "t")
        with Kontor(extra_env={"KONTOR_DB_POOL_SIZE": str(POOL),
                               "KONTOR_DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
                               "KONTOR_BOOK_PER_MINUTE": "1000000",
                               "KONTOR_LINK_PER_MINUTE": "1000000"}) as k:
            run(spec, k, primary, replica, mode)
    finally:
        for node in (replica, primary):
            if node:
                node.remove()
    spec.done()


def run(spec, k, primary, replica, mode):
    k.demo(600)
    office, service = seed_office(k, caseworkers=4)
    status, _, _ = timed(k, "/readyz")
    spec.check("kontor is ready on the primary", status == 200, status)

    writer = Writer(k, office, service, pause=0.02, max_requests=3000)
    writer.start()
    time.sleep(4)

    # ---- the primary dies (kill) or hangs (freeze) ----
    killed_at = time.monotonic()
    primary.kill(signal.SIGKILL if mode == "kill" else signal.SIGSTOP)
    print(f"# primary {'killed' if mode == 'kill' else 'frozen'} after "
          f"{len(writer.booked)} acknowledged bookings")

    # A dead primary is noticed at once (its sockets close); a hung one
    # only by kontor's own timers: the statement in flight (statement_timeout
    # + 2 s), then the connection attempt that gets no answer (5 s).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and metrics(k).get("kontor_db_available") != 0:
        time.sleep(0.1)
    noticed = time.monotonic() - killed_at
    spec.check(f"kontor notices there is no primary ({noticed:.2f} s after the {mode})",
               metrics(k).get("kontor_db_available") == 0, noticed)
    status, code, took = timed(k, "/readyz")
    spec.check(f"no primary: /readyz answers 503 db_unavailable ({took * 1000:.0f} ms)",
               (status, code) == (503, "db_unavailable"), (status, code))
    status, code, took = timed(k, "/api/v1/offices")
    spec.check(f"no primary: a read answers 503 db_unavailable at once, the read-only standby is not "
               f"used ({took * 1000:.0f} ms)", (status, code) == (503, "db_unavailable") and took < 1,
               (status, code, took))
    m = metrics(k)
    spec.check("/metrics: no connection open (none on the standby)",
               m.get("kontor_db_connections_up") == 0 and m.get("kontor_db_available") == 0, m)
    # What a failover manager takes to decide (Patroni: the leader key's ttl).
    time.sleep(DECIDE_S)

    # ---- the replica becomes the primary ----
    promoting_at = time.monotonic()
    replica.ctl("promote")
    promoted_at = time.monotonic()
    print(f"# replica promoted {promoted_at - killed_at:.2f} s after the {mode} "
          f"(pg_ctl promote took {promoted_at - promoting_at:.2f} s)")

    deadline = promoted_at + BACK_S
    first_ok = None
    while time.monotonic() < deadline and first_ok is None:
        first_ok = next((a for a in writer.answers if a[0] > promoting_at and a[2] == 201), None)
        time.sleep(0.05)
    spec.check("the same kontor process books again after the promotion (not restarted)",
               first_ok is not None and k.proc.poll() is None)
    if first_ok:
        print(f"# first booking after the promotion began {first_ok[0] - promoted_at:.2f} s "
              f"after pg_ctl promote returned")
    ready = None
    while time.monotonic() < deadline and ready is None:
        if timed(k, "/readyz")[0] == 200:
            ready = time.monotonic() - promoted_at
        else:
            time.sleep(0.1)
    spec.check(f"/readyz is 200 again ({ready if ready is None else round(ready, 2)} s after the promotion)",
               ready is not None, ready)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and metrics(k).get("kontor_db_connections_up") != POOL:
        time.sleep(0.2)
    spec.check(f"all {POOL} pool connections are open again, on the new primary",
               metrics(k).get("kontor_db_connections_up") == POOL)

    time.sleep(3)
    writer.stop()
    check(spec, writer, replica, killed_at, promoted_at)


def check(spec, writer, replica, killed_at, promoted_at):
    answers = writer.answers
    odd = [a for a in answers if a[2] not in (200, 201, 503) or (a[2] == 503 and a[3] not in
                                                                  ("db_unavailable", "busy"))]
    spec.check(f"{len(answers)} writer requests: each answered with success or 503 "
               f"db_unavailable/busy (never 500)", not odd, odd[:5])
    failed = [a for a in answers if a[2] not in (200, 201)]
    first_fail = min((a[0] for a in failed), default=None)
    after = [a for a in answers if first_fail is not None and a[0] > first_fail and a[2] in (200, 201)]
    if first_fail is not None and after:
        gap = min(a[0] + a[4] for a in after) - first_fail
        print(f"# gap: first failed request to first success {gap:.2f} s "
              f"({len(failed)} requests answered 503, {len(failed) - sum(1 for a in failed if a[3] == 'busy')}"
              f" of them db_unavailable); failure to promotion {promoted_at - killed_at:.2f} s")
    spec.check("some requests failed while there was no primary, and bookings succeeded after",
               first_fail is not None and len(after) > 5, (first_fail, len(after)))
    before = sum(1 for a in answers if a[0] < killed_at and a[2] == 201)
    late = sum(1 for a in answers if a[0] > promoted_at and a[2] == 201)
    spec.check(f"bookings acknowledged before the failure ({before}) and after the promotion ({late})",
               before > 10 and late > 10, (before, late))

    # Read straight from the promoted node, not through the multi-host list.
    db = [line.split("=", 1)[1] for line in writer.k.conninfo.split() if line.startswith("dbname=")][-1]
    promoted = replica.conninfo(db)
    spec.check("the replica is the primary now", psql(promoted, "SELECT pg_is_in_recovery()") == "f")
    refs = ",".join(f"'{r}'" for r in writer.booked) or "''"
    rows = dict(line.split("|") for line in
                psql(promoted, f"SELECT reference, status FROM bookings WHERE reference IN ({refs})").splitlines())
    lost = [r for r in writer.booked if r not in rows]
    wrong = [r for r in writer.booked
             if r in rows and r not in writer.unsure
             and rows[r] != ("cancelled" if r in writer.cancelled else "booked")]
    spec.check(f"every acknowledged write is in the promoted database: {len(writer.booked)} bookings, "
               f"{len(writer.cancelled)} cancellations", not lost and not wrong, (lost[:5], wrong[:5]))
    total = int(psql(promoted, "SELECT count(*) FROM bookings WHERE seeker_contact LIKE 'writer%'"))
    print(f"# bookings in the promoted database {total}, acknowledged {len(writer.booked)} "
          f"(a difference: answered 503 with the outcome unknown)")


if __name__ == "__main__":
    main()
