#!/bin/sh
# tests/contract/lint.sh — lints docs/openapi.yaml with the Redocly CLI
# pinned in package.json (installed here by `npm ci`, which tests/run-all
# does; skips without it).  The rules are in redocly.yaml.
#
# Nothing leaves the machine: the CLI's usage report and its check for a
# newer version are switched off, and as root the lint runs in a network
# namespace of its own, where there is no network to reach.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
cli=$here/node_modules/.bin/redocly
if [ ! -x "$cli" ]; then
  echo "skip: the Redocly CLI is not installed: (cd tests/contract && npm ci)" >&2
  exit 77
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
isolate=""
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  isolate="unshare -n"
fi
exec $isolate "$cli" lint --format=stylish --config "$here/redocly.yaml" "$here/../../docs/openapi.yaml"
