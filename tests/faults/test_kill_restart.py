#!/usr/bin/env python3
"""test_kill_restart.py — kontor is killed with SIGKILL in the middle of a
meeting and started again.

What must hold (docs/security.md, "Faults"):
- bookings, the caseworker's queue, the statistics and the audit log are
  exactly as before the kill (they live in PostgreSQL; every acknowledged
  change was committed before it was answered);
- the meeting that was running is recorded honestly: it stays in_meeting
  (nobody ended it; the node's death is not an end), the start-up sweep
  leaves it alone, and it can be rejoined and ended after the restart;
- the caseworker's session survives (it is stored, hashed);
- both pages (web/js/channel.js) reconnect by themselves, with their
  bounded back-off, and get back in without anyone reloading.
"""
import datetime
import os
import signal
import time

from kontor_harness import Kontor, Spec
from faults_harness import Page, Cluster, Writer, need_tools, seed_office

# channel.js waits 0.5, 1, 2, 4, 8… s between attempts: a server back within
# about a second is reached by the third attempt, 3.5 s after the kill; one
# that starts slowly (a loaded machine, the sanitizer build) by a later one.
RECONNECT_S = 30   # channel.js retries at least every 15 s


def snapshot(k, cookie, office):
    """What must survive: every booking row, the audit log, the queue and
    the statistics as the API gives them."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    days = f"from={today - datetime.timedelta(days=1)}&to={today + datetime.timedelta(days=2)}"
    _, queue, _, _ = k.request("GET", "/api/v1/queue", headers={"Cookie": cookie})
    _, stats, _, _ = k.request("GET", f"/api/v1/admin/stats?office={office}&{days}",
                               headers={"Cookie": cookie})
    return {
        "bookings": k.sql("SELECT id, reference, status, during, checked_in_at, admitted_at, ended_at, "
                          "cancelled_at FROM bookings ORDER BY id"),
        "audit": k.sql("SELECT count(*), max(id) FROM audit_log"),
        # presence is live state and may differ; the stored fields may not
        "queue": [{k2: v for k2, v in b.items() if k2 != "present"} for b in (queue or {}).get("bookings", [])],
        "stats": stats,
    }


def main():
    need_tools()
    spec = Spec()
    with Cluster(), Kontor(extra_env={"KONTOR_BOOK_PER_MINUTE": "1000000",
                                      "KONTOR_LINK_PER_MINUTE": "1000000"}) as k:
        demo = k.demo(60)
        office, service = seed_office(k)
        demo_office = int(k.sql(f"SELECT office_id FROM caseworkers WHERE email = '{demo['caseworker_email']}'"))
        _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])

        # Some history: bookings made and cancelled through the API.
        writer = Writer(k, office, service, pause=0, max_requests=12)
        writer.run()
        spec.check(f"{len(writer.booked)} bookings and {len(writer.cancelled)} cancellations acknowledged",
                   len(writer.booked) >= 6 and writer.cancelled, writer.answers)

        # A meeting in progress, through the pages' own socket code.
        seeker = Page(k.port, {"type": "join", "token": demo["booking_token"]})
        cw = Page(k.port, {"type": "hello"}, cookie)
        waiting = seeker.wait_message("waiting", 15)
        cw.wait_message("queue", 15)
        booking_id = waiting["message"]["booking"]["id"]
        cw.send({"type": "admit", "booking_id": booking_id})
        spec.check("a meeting runs (both admitted)",
                   bool(cw.wait_message("admitted", 10) and seeker.wait_message("admitted", 10)))
        cw.send({"type": "chat", "text": "before"})
        spec.check("chat passes before the kill", seeker.wait_message("chat", 5, text="before") is not None)

        before = snapshot(k, cookie, demo_office)

        # ---- SIGKILL ----
        killed_at = time.monotonic()
        os.kill(k.proc.pid, signal.SIGKILL)
        k.proc.wait()
        spec.check("both pages notice and start reconnecting",
                   seeker.wait_state("reconnecting", 5) is not None
                   and cw.wait_state("reconnecting", 5) is not None, (seeker.log[-2:], cw.log[-2:]))
        time.sleep(1)
        k.start()
        print(f"# kontor listening again {time.monotonic() - killed_at:.2f} s after the kill")

        status = k.sql(f"SELECT status FROM bookings WHERE id = {booking_id}")
        spec.check("the meeting is still recorded in_meeting: a dead node is not an end",
                   status == "in_meeting", status)

        back = seeker.wait_message("admitted", RECONNECT_S)
        spec.check(f"the job seeker's page reconnects by itself and is let straight back in "
                   f"({back['t'] - killed_at:.1f} s after the kill)" if back else
                   "the job seeker's page reconnects by itself and is let straight back in",
                   back is not None, seeker.log[-4:])
        queue = cw.wait_message("queue", RECONNECT_S)
        mine = [b for b in queue["message"]["bookings"] if b["id"] == booking_id] if queue else []
        spec.check("the caseworker's page reconnects by itself with the same session; "
                   "its queue shows the meeting in_meeting",
                   mine and mine[0]["status"] == "in_meeting", cw.log[-4:])
        # What caseworker.js does on that queue: re-enter its own meeting.
        cw.send({"type": "admit", "booking_id": booking_id})
        spec.check("the caseworker re-enters the meeting", cw.wait_message("admitted", 10) is not None,
                   cw.log[-3:])

        after = snapshot(k, cookie, demo_office)
        for part in ("bookings", "audit", "queue", "stats"):
            spec.check(f"{part}: exactly as before the kill", before[part] == after[part],
                       (before[part], after[part]))

        seeker.send({"type": "chat", "text": "after"})
        spec.check("chat passes after the restart", cw.wait_message("chat", 5, text="after") is not None)
        cw.send({"type": "end", "booking_id": booking_id})
        ended = cw.wait_message("ended", 10) and seeker.wait_message("ended", 10)
        status = k.sql(f"SELECT status FROM bookings WHERE id = {booking_id}")
        spec.check("and ends it: completed", bool(ended) and status == "completed", status)
        for page in (seeker, cw):
            page.close()
    spec.done()


if __name__ == "__main__":
    main()
