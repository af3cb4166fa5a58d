#!/usr/bin/env bash
# Fails when the client SDKs' checked-in generated code is stale (regenerates into a temporary copy and
# compares), or when an SDK does not build: tsc for clients/ts (its JavaScript + .d.ts, and the examples
# against them), go build + vet (and a tidy go.mod) for clients/go, a byte-compile and import of clients/python.
# scripts/run-client-examples.sh installs each as a package outside the checkout.
# Fix staleness with scripts/gen-clients.sh.
set -euo pipefail
source "$(dirname "$0")/lib/clients.sh"
cd "$ROOT"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash scripts/gen-clients.sh "$tmp"

stale=0
compare() { # compare DIR [FILES...]: the checked-in DIR (or only FILES in it) against the fresh copy
  local dir="$1"
  shift
  if [[ $# -eq 0 ]]; then
    diff -r "$tmp/$dir" "$ROOT/$dir" >"$tmp/diff" || { stale=1; log "STALE: $dir"; head -40 "$tmp/diff" >&2; }
  else
    for f in "$@"; do
      diff "$tmp/$dir/$f" "$ROOT/$dir/$f" >"$tmp/diff" || { stale=1; log "STALE: $dir/$f"; head -40 "$tmp/diff" >&2; }
    done
  fi
}
compare clients/ts/src/gen
compare clients/go/stategatepb
compare clients/python/stategate_client stategate_pb2.py stategate_pb2.pyi stategate_pb2_grpc.py
[[ $stale -eq 0 ]] || die "generated client code is stale: run scripts/gen-clients.sh and commit the result"
log "generated client code is up to date"

log "clients/ts: tsc (build dist/: JavaScript + .d.ts; then the examples against those types)"
"$ROOT/node_modules/.bin/tsc" -p clients/ts/tsconfig.build.json
"$ROOT/node_modules/.bin/tsc" -p clients/ts/tsconfig.json

log "clients/go: go mod tidy -diff, go build, go vet"
(cd clients/go && go mod tidy -diff && go build ./... && go vet ./...)

log "clients/python: compile and import"
(cd clients/python && PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -c '
import ast, pathlib, stategate_client
for p in [*pathlib.Path("stategate_client").glob("*.py"), *pathlib.Path("examples").glob("*.py")]:
    ast.parse(p.read_text(), str(p))
print("stategate_client imports; services:", ", ".join(sorted(stategate_client.stategate_pb2.DESCRIPTOR.services_by_name)))
')
log "client SDKs OK"
