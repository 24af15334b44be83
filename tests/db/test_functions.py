"""test_functions.py — the functions' definitions live in
booking/sql/functions/NAME.sql, not in copies across migrations
(booking/README.md, "Functions"), and `kontor migrate` keeps them current.

  * a fresh database and one brought up to 011 by the old migrations alone
    end with the same functions after `kontor migrate`;
  * migrating again changes nothing;
  * a function whose file changed (or that someone altered by hand) is put
    back by the next migrate (`kontor` runs one at start too), and only
    that one.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from kontor_harness import Spec, need_env, psql  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SQL = os.path.join(ROOT, "booking", "sql")
FUNCTIONS = """SELECT p.proname, pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc')
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.proname LIKE 'kb\\_%' ORDER BY 1"""


class Db:
    def __init__(self, base, name):
        self.base, self.name = base, name
        psql(base, f"DROP DATABASE IF EXISTS {name}")
        psql(base, f"CREATE DATABASE {name}")
        self.conninfo = f"{base} dbname={name}"

    def sql(self, statement):
        return psql(self.conninfo, statement)

    def kontor(self, *args):
        env = dict(os.environ, KONTOR_DATABASE=self.conninfo)
        return subprocess.run([os.environ["KONTOR_BIN"], *args], env=env, capture_output=True,
                              text=True, timeout=60)

    def drop(self):
        psql(self.base, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def main():
    need_env()
    spec = Spec()
    base = os.environ["KONTOR_TEST_CONNINFO"]
    fresh, old = Db(base, "fn_fresh"), Db(base, "fn_old")
    try:
        spec.check("a fresh database migrates", fresh.kontor("migrate").returncode == 0)
        files = sorted(f for f in os.listdir(os.path.join(SQL, "functions")) if f.endswith(".sql"))
        recorded = fresh.sql("SELECT string_agg(name, ' ' ORDER BY name) FROM function_files").split()
        spec.check("every function file is recorded as applied", recorded == files,
                   f"{len(recorded)} of {len(files)}")

        # A database that the numbered migrations up to 011 made, as the
        # code before the function files did.
        for f in sorted(os.listdir(SQL)):
            if f.endswith(".sql") and int(f[:3]) <= 11:
                subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", old.conninfo,
                                "-f", os.path.join(SQL, f)], check=True, capture_output=True)
        spec.check("a database at 011 migrates", old.kontor("migrate").returncode == 0)
        spec.check("and ends with the functions a fresh one has",
                   old.sql(FUNCTIONS) == fresh.sql(FUNCTIONS))

        before = fresh.sql("SELECT string_agg(name || applied_at, ',' ORDER BY name) FROM function_files")
        again = fresh.kontor("migrate")
        spec.check("migrating again succeeds", again.returncode == 0, again.stderr)
        spec.check("and applies nothing",
                   fresh.sql("SELECT string_agg(name || applied_at, ',' ORDER BY name) FROM function_files") == before)

        # Someone changed kb_free_slots by hand, or its file changed since
        # it was applied: the checksum no longer matches the file.
        original = fresh.sql("SELECT pg_get_functiondef('kb_free_slots'::regproc)")
        fresh.sql("COMMENT ON FUNCTION kb_free_slots IS 'changed by hand'")
        fresh.sql("UPDATE function_files SET sha256 = repeat('0', 64) WHERE name = 'kb_free_slots.sql'")
        stamp = fresh.sql("SELECT applied_at FROM function_files WHERE name = 'kb_book.sql'")
        spec.check("migrate puts it back", fresh.kontor("migrate").returncode == 0)
        spec.check("with the file's definition and comment",
                   fresh.sql("SELECT pg_get_functiondef('kb_free_slots'::regproc)") == original
                   and fresh.sql("SELECT obj_description('kb_free_slots'::regproc, 'pg_proc')") != "changed by hand")
        spec.check("and no other file was applied again",
                   fresh.sql("SELECT applied_at FROM function_files WHERE name = 'kb_book.sql'") == stamp)
        spec.check("the checksum is the file's",
                   fresh.sql("SELECT sha256 FROM function_files WHERE name = 'kb_free_slots.sql'") != "0" * 64)
    finally:
        fresh.drop()
        old.drop()
    spec.done()


if __name__ == "__main__":
    main()
