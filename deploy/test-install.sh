#!/bin/sh
# deploy/test-install.sh — what `meson install` puts in place, and the
# systemd unit it installs (suite unit; deploy/meson.build registers it).
#
#   test-install.sh BUILD_DIR PREFIX BINDIR DATADIR SYSCONFDIR UNITDIR
#
# Installs the build into a folder of its own (DESTDIR), then checks:
#   * the binary, the pages, the migrations, the example configuration and
#     the unit are there;
#   * the installed binary's default web_root is the installed pages;
#   * the unit names the installed binary and configuration;
#   * `systemd-analyze verify --root` finds nothing wrong with the unit,
#     the installed binary included (and does fail when the binary named
#     in ExecStart is missing, so that check is real);
#   * `systemd-analyze security --offline` rates the unit's exposure at
#     4.0 or less.
set -u

[ $# -eq 6 ] || { echo "usage: $0 BUILD_DIR PREFIX BINDIR DATADIR SYSCONFDIR UNITDIR" >&2; exit 2; }
build=$1 prefix=$2 bindir=$3 datadir=$4 sysconfdir=$5 unitdir=$6
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze (apt-get install systemd)"; exit 77; }

root=$(mktemp -d "${TMPDIR:-/tmp}/kontor-install.XXXXXX") || exit 1
trap 'rm -rf "$root"' EXIT
failures=0
check() { # check NAME COMMAND...
  name=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}

# --no-rebuild: meson test has built everything; a nested ninja would not help.
if ! meson install -C "$build" --destdir "$root" --no-rebuild --quiet >"$root.log" 2>&1; then
  cat "$root.log"; rm -f "$root.log"; echo "FAIL meson install"; exit 1
fi
rm -f "$root.log"

unit=$unitdir/kontor.service
check "the binary is installed in $bindir" test -x "$root$bindir/kontor"
check "the pages in $datadir/kontor/web" test -f "$root$datadir/kontor/web/index.html"
check "with their scripts and style" test -f "$root$datadir/kontor/web/js/api.js" -a -f "$root$datadir/kontor/web/css/kontor.css"
check "and without the build file" test ! -e "$root$datadir/kontor/web/meson.build"
check "the migrations, for reference, in $datadir/kontor/sql" test -f "$root$datadir/kontor/sql/001_initial.sql"
check "with the function files" test -f "$root$datadir/kontor/sql/functions/kb_book.sql"
check "the example configuration in $datadir/doc/kontor" test -f "$root$datadir/doc/kontor/kontor.conf.example"
check "the unit in $unitdir" test -f "$root$unit"

# --help prints each setting's default (signaling/config.c's table).
check "the installed binary serves the installed pages by default" \
  sh -c '"$1" --help | grep -q "(default $2)"' sh "$root$bindir/kontor" "$datadir/kontor/web"
check "the unit starts the installed binary" grep -qx "ExecStart=$bindir/kontor --config $sysconfdir/kontor/kontor.conf" "$root$unit"
check "after migrating with it" grep -qx "ExecStartPre=$bindir/kontor --config $sysconfdir/kontor/kontor.conf migrate" "$root$unit"
check "SIGTERM drains, and systemd waits an hour and a minute for it" \
  sh -c 'grep -qx KillSignal=SIGTERM "$1" && grep -qx TimeoutStopSec=3660 "$1"' sh "$root$unit"

# verify --root needs the targets the unit is ordered after, and the
# programs it runs besides kontor (kill, for ExecReload); they come from
# this machine.
mkdir -p "$root/usr/lib/systemd" "$root/bin" && cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/" \
  && cp /bin/kill "$root/bin/kill" || exit 1
out=$(systemd-analyze verify --man=false --root="$root" "$unit" 2>&1)
rc=$?
[ -n "$out" ] && echo "$out"
check "systemd-analyze verify finds nothing wrong with the unit" test $rc -eq 0 -a -z "$out"
sed "s|^ExecStart=$bindir/kontor|ExecStart=$bindir/kontor-missing|" "$root$unit" >"$root$unitdir/kontor-missing.service"
check "and would see a missing binary" sh -c '! systemd-analyze verify --man=false --root="$1" "$2" 2>/dev/null' \
  sh "$root" "$unitdir/kontor-missing.service"

security=$(systemd-analyze security --offline=true --no-pager "$root$unit" 2>&1)
level=$(printf '%s\n' "$security" | sed -n 's/.*Overall exposure level for kontor.service: \([0-9.]*\).*/\1/p')
echo "exposure level: ${level:-none}"
if [ -z "$level" ] || ! awk -v l="$level" 'BEGIN { exit !(l <= 4.0) }'; then
  printf '%s\n' "$security"
  echo "FAIL systemd-analyze security rates the unit 4.0 or less"
  failures=$((failures + 1))
else
  echo "ok   systemd-analyze security rates the unit 4.0 or less"
fi

echo "$failures failure(s)"
[ $failures -eq 0 ]
