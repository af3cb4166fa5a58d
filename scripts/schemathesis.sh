#!/usr/bin/env bash
# schemathesis against stategate's REST OpenAPI document (issue 8): no 5xx, and every response conforms
# to the schema (status codes, content types, headers, bodies).
#
#   scripts/schemathesis.sh [BASE_URL]     e.g. http://127.0.0.1:8080
#
# Without BASE_URL it builds nothing and starts `node dist/main.js` itself (run `npm run build` first) on
# a free loopback port with a throwaway SQLite file, and stops it afterwards. Installs the pinned
# schemathesis of requirements-test.txt into a venv (idempotent; SCHEMATHESIS_VENV to put it elsewhere).
# Knobs: SCHEMATHESIS_EXAMPLES (per operation, default 250), SCHEMATHESIS_SEED (default 20261203).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's/^schemathesis==//p' "$root/requirements-test.txt")"
venv="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/stategate/schemathesis-$version}"
st="$venv/bin/schemathesis"

if ! "$st" --version 2>/dev/null | grep -q "$version"; then
  echo "schemathesis.sh: installing schemathesis $version into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/requirements-test.txt"
fi
"$st" --version | grep -q "$version"
if [ "${1:-}" = "--install-only" ]; then exit 0; fi

base="${1:-}"
server_pid=""
workdir=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$workdir" ]; then rm -rf "$workdir"; fi
}
trap cleanup EXIT

# schemathesis keeps a cache in its working directory: a throwaway one, never the checkout.
workdir="$(mktemp -d)"
if [ -z "$base" ]; then
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  STATEGATE_PORT="$port" STATEGATE_METRICS_PORT=0 STATEGATE_LOG_LEVEL=warn \
    STATEGATE_STORAGE_PROVIDER="{\"name\": \"sqlite\", \"path\": \"$workdir/stategate.db\"}" \
    node "$root/dist/main.js" &
  server_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
fi

# The two stream routes never end (a live feed), so every generated request would only time out: they
# are left out here and covered by the stream tests. One worker: hypothesis' lambda descriptions are not
# thread-safe on CPython 3.11 (a SystemError "AST constructor recursion depth mismatch" with 2 workers).
cd "$workdir"
"$st" run "$base/api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --exclude-path-regex '/stream$' \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-250}" \
  --seed "${SCHEMATHESIS_SEED:-20261203}" \
  --generation-allow-x00 true \
  --generation-database none \
  --request-timeout 10 \
  --workers 1 \
  --max-failures 20 \
  --no-color \
  --warnings off
