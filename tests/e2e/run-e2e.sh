#!/bin/bash
# run-e2e.sh — runs the browser tests against a real kontor inside a network
# namespace of its own, with a fresh database.
#
#   run-e2e.sh KONTOR_BINARY WEB_ROOT [SCREENSHOT_DIR]
#
# Needs: root (network namespaces), KONTOR_TEST_CONNINFO (a PostgreSQL that
# may CREATE DATABASE, reachable over a unix socket: TCP to localhost is not
# reachable from inside the namespace), /usr/bin/chromium and
# tests/e2e/node_modules (npm ci in tests/e2e).  Without one of them it
# skips (exit 77).
#
# Why a namespace: Chromium leaves loopback out of its ICE candidates, and
# the tests must not gather candidates on this machine's real interfaces.
# Inside, a veth pair gives both ends 10.x addresses; server and browsers
# talk to each other there and nowhere else.
#
# Screenshots go to SCREENSHOT_DIR (default: $KONTOR_E2E_SCREENSHOTS, else
# ./e2e-screenshots); the server's log goes beside them as kontor.log, and
# each page's console and WebSocket traffic as NAME-console.log.
# KONTOR_E2E_FILES="early meeting" runs only those test files;
# KONTOR_E2E_NEEDS="turnserver openssl" skips (77) unless those commands
# exist (meson's e2e-tls-turn test runs tls and turn that way).
set -u

here=$(cd "$(dirname "$0")" && pwd)
skip () { echo "SKIP: $*"; exit 77; }

[ $# -ge 2 ] || { echo "usage: $0 KONTOR_BINARY WEB_ROOT [SCREENSHOT_DIR]" >&2; exit 2; }
kontor=$(realpath -e "$1") || { echo "FAIL: no kontor binary at $1" >&2; exit 1; }
web_root=$(realpath -e "$2") || { echo "FAIL: no web root at $2" >&2; exit 1; }
shots=${3:-${KONTOR_E2E_SCREENSHOTS:-$PWD/e2e-screenshots}}

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
[ -n "${KONTOR_TEST_CONNINFO:-}" ] || skip "KONTOR_TEST_CONNINFO is not set"
[ -x /usr/bin/chromium ] || skip "no /usr/bin/chromium (apt-get install chromium)"
[ -d "$here/node_modules/playwright-core" ] || skip "no playwright-core (cd tests/e2e && npm ci)"
[ -x "$kontor" ] || { echo "FAIL: no kontor binary at $kontor" >&2; exit 1; }
command -v psql >/dev/null || skip "no psql"
for need in ${KONTOR_E2E_NEEDS:-}; do
  command -v "$need" >/dev/null || skip "no $need"
done

ns=kontor-e2e-$$
db=kontor_e2e_$$
port=8080            # the namespace is new and empty: any port is free in it
ice_min=41000
ice_max=41100
server_pid=
mkdir -p "$shots"
rm -f "$shots"/*.png "$shots"/*.log

# A conninfo that names another database.  Keyword form: a later keyword
# wins, so appending is enough; URI form: replace the path.
with_db () {
  case "$1" in
    postgres://*|postgresql://*)
      printf '%s\n' "$1" | sed -E "s|^(postgres(ql)?://[^/?]*)(/[^?]*)?|\1/$2|" ;;
    *) printf '%s dbname=%s\n' "$1" "$2" ;;
  esac
}
admin_conn=$KONTOR_TEST_CONNINFO
conn=$(with_db "$admin_conn" "$db")

cleanup () {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid"  # at once: SIGTERM would drain
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
    wait "$server_pid" 2>/dev/null
  fi
  # Whatever a test left behind in the namespace (a second kontor, a
  # browser) was started by this run: end it by PID before the namespace goes.
  pids=$(ip netns pids "$ns" 2>/dev/null)
  if [ -n "$pids" ]; then
    kill -TERM $pids 2>/dev/null; sleep 1
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  fi
  ip netns del "$ns" 2>/dev/null
  # Namespaces a test made beside this one (turn.test.mjs: a job seeker's
  # own network) are named after it.
  for extra in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -- "^$ns-"); do
    pids=$(ip netns pids "$extra" 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    ip netns del "$extra" 2>/dev/null
  done
  psql "$admin_conn" -qAtX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail () { echo "FAIL: $*" >&2; exit 1; }

# ---- database -------------------------------------------------------------
psql "$admin_conn" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null \
  || fail "cannot create database $db with KONTOR_TEST_CONNINFO"
KONTOR_DATABASE=$conn "$kontor" migrate || fail "kontor migrate failed"
demo=$(KONTOR_DATABASE=$conn "$kontor" demo --json) || fail "kontor demo --json failed"
echo "demo: $demo"

# ---- network namespace ----------------------------------------------------
ip netns add "$ns" || fail "ip netns add $ns"
in_ns () { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
# No IPv6 on the veth pair: its link-local addresses finishing duplicate
# address detection a moment after Chromium starts made Chromium see a
# "network change" and abort the first page load (ERR_NETWORK_CHANGED).
# lo keeps ::1; only interfaces made after this line lose IPv6.
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
in_ns ip link add e2e0 type veth peer name e2e1
in_ns ip addr add 10.231.0.1/24 dev e2e0
in_ns ip addr add 10.231.0.2/24 dev e2e1
in_ns ip link set e2e0 up
in_ns ip link set e2e1 up
# Keep the browsers' own ephemeral ports out of the relay's range, so a
# remote port inside it can only be the relay's.
in_ns sysctl -qw net.ipv4.ip_local_port_range="50000 60999"
# KONTOR_E2E_SEEKER_NET=1: a second namespace "$ns-seeker" for a browser
# of its own (turn.test.mjs), 10.232.0.2, joined to this one (10.232.0.1)
# by a veth pair, so that nft can tell its packets from the others'.
if [ -n "${KONTOR_E2E_SEEKER_NET:-}" ]; then
  ip netns add "$ns-seeker" || fail "ip netns add $ns-seeker"
  ip netns exec "$ns-seeker" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns-seeker" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns-seeker" sysctl -qw net.ipv4.ip_local_port_range="50000 60999"
  ip netns exec "$ns-seeker" ip link set lo up
  in_ns ip link add sk0 type veth peer name sk1 netns "$ns-seeker"
  in_ns ip addr add 10.232.0.1/24 dev sk0
  in_ns ip link set sk0 up
  ip netns exec "$ns-seeker" ip addr add 10.232.0.2/24 dev sk1
  ip netns exec "$ns-seeker" ip link set sk1 up
  ip netns exec "$ns-seeker" ip route add default via 10.232.0.1
fi
in_ns psql "$conn" -qAtX -c 'SELECT 1' >/dev/null \
  || fail "the database is not reachable from inside the namespace (use a unix-socket conninfo)"

# ---- server ---------------------------------------------------------------
log=$shots/kontor.log
# Not through in_ns: a shell function in the background is a subshell, and
# its PID is not kontor's.  ip netns exec and env both exec, so $! is.
ip netns exec "$ns" env KONTOR_DATABASE="$conn" KONTOR_PORT=$port KONTOR_WEB_ROOT="$web_root" \
  KONTOR_ICE_PORT_MIN=$ice_min KONTOR_ICE_PORT_MAX=$ice_max \
  "$kontor" >"$log" 2>&1 &
server_pid=$!
base=http://localhost:$port
up=
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$log" >&2; fail "kontor exited at start-up"; }
  if in_ns curl -sf -o /dev/null "$base/api/v1/config"; then up=1; break; fi
  sleep 0.1
done
[ -n "$up" ] || { tail -n 30 "$log" >&2; fail "kontor did not answer on $base within 10 s"; }

# ---- browsers ---------------------------------------------------------------
cd "$here" || fail "cd $here"
# One file at a time, in this order (node --test would sort them): the
# demo booking goes through early (checked in by a server whose clock is
# set back), a11y, then meeting; manage and kiosk make bookings of their
# own, and kiosk's server runs hours ahead, so it comes last.
# KONTOR_E2E_FILES="a11y" runs only some files (while working on them).
status=0
for f in ${KONTOR_E2E_FILES:-early a11y meeting manage book admin kiosk}; do
  echo "=== $f.test.mjs"
  in_ns env KONTOR_E2E_BASE_URL="$base" KONTOR_E2E_DEMO="$demo" KONTOR_E2E_NS="$ns" \
    KONTOR_E2E_ICE_MIN=$ice_min KONTOR_E2E_ICE_MAX=$ice_max \
    KONTOR_E2E_SCREENSHOTS="$shots" KONTOR_E2E_SERVER_LOG="$log" \
    KONTOR_E2E_BINARY="$kontor" KONTOR_E2E_DATABASE="$conn" KONTOR_E2E_WEB_ROOT="$web_root" \
    node --test --test-reporter=spec "./$f.test.mjs" || status=1
done
[ $status -eq 0 ] || { echo "--- last lines of $log:"; tail -n 40 "$log"; }
exit $status
