#!/usr/bin/env python3
"""test_privacy.py — what kontor keeps, and what it may change (issue 14).

A whole journey (book, a wrong and a right kiosk code, the personal link,
admission, chat both ways, an interpreter, the end, a cancellation) runs
against a kontor that connects as its own database role, a member of
kontor_app, while migrations ran as the owner.  Then:

  * the unique chat line is nowhere: not in a dump of the database, not in
    kontor's log, not in any file in its working, home or temp folders;
  * kontor's log (with debug messages on) holds no name, contact,
    reference, kiosk code or link token of the job seeker, nor the
    caseworker's session secret;
  * the server's role cannot change the schema, nor change or remove audit
    rows; even a role granted UPDATE is stopped by the trigger; the sweep
    removes audit rows past their retention, and only those;
  * an administrator reads and exports the log, filtered by person and
    date; a CSV cell that looks like a formula is defused.  The reason
    given for a cancellation stays in the log; a chat line never enters.
"""
import datetime
import os
import secrets
import subprocess
import tempfile
import time

from kontor_harness import Kontor, Spec, need_env, psql

ROLE = "kontor_server_test"


def as_role(k, role, sql):
    """(ok, message) of sql run by role on kontor's database."""
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", f"{k.conninfo} user={role}", "-c", sql],
                       capture_output=True, text=True)
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def files_containing(folder, needle):
    hits = []
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle.encode() in f.read():
                        hits.append(path)
            except OSError:
                pass
    return hits


def main():
    need_env()
    spec = Spec()
    tag = secrets.token_hex(4)
    name, contact = f"Kari Hemmelig{tag}", f"kari.{tag}@example.org"
    chat_line = f"hemmelig-samtale-{secrets.token_hex(8)}"
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "kontor.log")
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        env = {"G_MESSAGES_DEBUG": "all", "HOME": home, "TMPDIR": home, "XDG_CACHE_HOME": home,
               "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home, "KONTOR_LOGIN_PER_MINUTE": "1000",
               "KONTOR_AUDIT_RETENTION_DAYS": "365"}
        with Kontor(extra_env=env, server_role=ROLE, stderr_path=log, cwd=home) as k:
            # Audit rows from long ago, written as the owner could have.
            k.sql("INSERT INTO audit_log (at, action) VALUES (now() - interval '400 days', 'old_test'), "
                  "(now() - interval '300 days', 'kept_test')")

            demo = k.demo(60)
            _, _, cookie = k.login(demo["caseworker_email"], demo["caseworker_password"])
            session_secret = cookie.split("=", 1)[1]
            h = {"Cookie": cookie}
            office = int(k.sql(f"SELECT office_id FROM caseworkers WHERE email = '{demo['caseworker_email']}'"))
            me = int(k.sql(f"SELECT id FROM caseworkers WHERE email = '{demo['caseworker_email']}'"))
            k.login(demo["caseworker_email"], "a wrong password")

            # The journey, on the demo booking (in its window) under this person's name.
            ref = demo["booking_reference"]
            booking = int(k.sql(f"SELECT id FROM bookings WHERE reference = '{ref}'"))
            k.sql(f"UPDATE bookings SET seeker_name = '{name}', seeker_contact = '{contact}' WHERE id = {booking}")
            code = k.request("POST", "/api/v1/queue/kiosk-code", {"booking_id": booking}, headers=h)[1]["kiosk_code"]
            for c in ("000000" if code != "000000" else "111111", code):
                ws = k.ws()
                ws.send({"type": "join", "reference": ref, "kiosk_code": c})
                ws.recv()
                ws.close()
            k.request("POST", "/api/v1/booking", {"token": demo["booking_token"]})
            seeker, cw = k.admitted(demo["booking_token"], booking, cookie)
            seeker.send({"type": "chat", "text": chat_line})
            got = cw.recv_type("chat")
            cw.send({"type": "chat", "text": chat_line + " (svar)"})
            seeker.recv_type("chat")
            spec.check("the chat line reaches the caseworker", got.get("text") == chat_line, got)
            cw.send({"type": "invite", "booking_id": booking})
            invite = cw.recv_type("invitation")["url"].split("#i=")[1]
            interp = k.ws()
            interp.send({"type": "join", "invite": invite})
            interp.recv_type("admitted")
            cw.send({"type": "end", "booking_id": booking})
            seeker.recv_type("ended")
            for ws in (seeker, cw, interp):
                ws.close()
            # A cancellation whose reason a spreadsheet would take for a formula.
            day = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
            slots = k.request("GET", f"/api/v1/slots?service=1&office={office}&from={day}&to={day}")[1]["slots"]
            other = k.request("POST", "/api/v1/bookings", {
                "service_id": 1, "office_id": office, "starts_at": slots[0]["starts_at"],
                "name": name, "contact": contact, "language": "nb"})[1]
            status, _, _, _ = k.request("POST", "/api/v1/queue/cancel", {
                "booking_id": other["booking"]["id"], "reason": "=HYPERLINK(\"http://evil.example\")"}, headers=h)
            spec.check("the journey ran with kontor as a role without DDL", status == 200, status)

            # ---- the database role --------------------------------------
            ok, msg = as_role(k, ROLE, "CREATE TABLE intruder (a int)")
            spec.check("kontor's role cannot create a table", not ok, msg)
            ok, msg = as_role(k, ROLE, "ALTER TABLE bookings ADD COLUMN x int")
            spec.check("nor alter one", not ok, msg)
            for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                ok, msg = as_role(k, ROLE, sql)
                spec.check(f"kontor's role cannot {sql.split()[0]} audit rows", not ok, msg)
            ok, msg = as_role(k, ROLE, "INSERT INTO audit_log (at, action) VALUES (now(), 'x') RETURNING id")
            spec.check("but may add one", ok, msg)
            psql(k.base_conninfo, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_intruder') "
                                  "THEN CREATE ROLE audit_intruder LOGIN; END IF; END $$")
            k.sql("GRANT SELECT, UPDATE, DELETE ON audit_log TO audit_intruder")
            ok, msg = as_role(k, "audit_intruder", "DELETE FROM audit_log")
            spec.check("a role someone granted DELETE is stopped by the append-only trigger",
                       not ok and "append-only" in msg, msg)
            ok, msg = as_role(k, "audit_intruder", "UPDATE audit_log SET details = '{}'")
            spec.check("and UPDATE too", not ok and "append-only" in msg, msg)

            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and k.sql("SELECT count(*) FROM audit_log WHERE action = 'old_test'") != "0":
                time.sleep(1)
            spec.check("the sweep removes audit rows past their retention (365 days here)",
                       k.sql("SELECT count(*) FROM audit_log WHERE action = 'old_test'") == "0")
            spec.check("and only those", k.sql("SELECT count(*) FROM audit_log WHERE action = 'kept_test'") == "1")

            # ---- the administrator reads and exports the log -------------
            today = datetime.datetime.now(datetime.timezone.utc).date()
            span = f"from={(today - datetime.timedelta(days=1)).isoformat()}&to={(today + datetime.timedelta(days=1)).isoformat()}"
            status, body, _, _ = k.request("GET", f"/api/v1/admin/audit?office={office}&{span}", headers=h)
            actions = {e["action"] for e in body.get("entries", [])} if status == 200 else set()
            want = {"login", "login_failed", "admit", "complete", "cancel", "kiosk_code"}
            spec.check("the administrator reads the office's log: " + ", ".join(sorted(want)),
                       want <= actions, (status, sorted(actions)))
            mine = k.request("GET", f"/api/v1/admin/audit?office={office}&caseworker={me}&{span}", headers=h)[1]
            spec.check("filtered by person", mine["entries"] and all(e["caseworker_id"] == me for e in mine["entries"]),
                       mine)
            old = k.request("GET", f"/api/v1/admin/audit?office={office}&from=2020-01-01&to=2020-01-02", headers=h)[1]
            spec.check("and by date", old["entries"] == [], old)
            # A name a spreadsheet would take for a formula.
            k.sql(f"UPDATE caseworkers SET name = '=1+1 Kari' WHERE id = {me}")
            status, _, headers, csv = k.request("GET", f"/api/v1/admin/audit?office={office}&{span}&format=csv",
                                                headers=h)
            spec.check("exported as CSV", status == 200 and csv.startswith("id,at,caseworker_id")
                       and headers.get("Content-Type", "").startswith("text/csv"), csv[:100])
            spec.check("where a cell that looks like a formula is defused",
                       '"\'=1+1 Kari"' in csv and ',"=1+1' not in csv, csv[-300:])
            status, _, _, _ = k.request("GET", f"/api/v1/admin/audit?office={office}&from=2026-13-01&to=2026-12-01",
                                        headers=h)
            spec.check("an impossible date is 422", status == 422, status)
            dump = subprocess.run(["pg_dump", "-d", k.conninfo], capture_output=True, text=True).stdout

        # ---- after kontor stopped: what it left ---------------------------
        spec.check("the database dump has the booking but not the chat line",
                   ref in dump and chat_line not in dump, len(dump))
        with open(log) as f:
            text = f.read()
        if os.environ.get("KONTOR_KEEP_LOG"):
            with open(os.environ["KONTOR_KEEP_LOG"], "w") as f:
                f.write(text)
        spec.check("kontor's log is there, with debug messages", len(text) > 200, len(text))
        for what, secret in [("the chat line", chat_line), ("the job seeker's name", name),
                             ("the contact", contact), ("the reference", ref), ("the kiosk code", code),
                             ("the link token", demo["booking_token"]), ("the session secret", session_secret),
                             ("the invitation", invite)]:
            spec.check(f"kontor's log holds no {what}", secret not in text)
        spec.check("no file in kontor's folders holds the chat line",
                   files_containing(home, chat_line) == [], files_containing(home, chat_line))
    spec.done()


if __name__ == "__main__":
    main()
