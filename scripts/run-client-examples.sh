#!/usr/bin/env bash
# Runs each client SDK's README example against a live server and checks what it printed.
# Starts the built server (node dist/main.js; built first if missing) on a free port with a temporary
# SQLite file, in protected mode (no auth configured: loopback only), then runs:
#   clients/ts      over Connect and over gRPC-Web (connect-web, on Node's fetch)
#   clients/go      over gRPC (HTTP/2 cleartext) and over Connect
#   clients/python  over gRPC (HTTP/2 cleartext)
# Each must print its three events (the Set replayed, then two live Edits) and `OK 3 events`. Exits
# non-zero on any failure, after printing the output and the server's log.
set -euo pipefail
source "$(dirname "$0")/lib/clients.sh"
cd "$ROOT"

need_venv
[[ -f dist/main.js ]] || { log "building the server"; npm run build --silent; }
command -v go >/dev/null || die "go is not installed (needed for clients/go)"

tmp="$(mktemp -d)"
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT

log "building the Go example"
(cd clients/go && go build -o "$tmp/setandstream" ./examples/setandstream)

log "starting the server"
# STATEGATE_PORT=0: the OS picks a free port, and the server logs the URL it listens on.
env -u STATEGATE_AUTH_DISABLED STATEGATE_PORT=0 STATEGATE_LOG_LEVEL=info \
  STATEGATE_STORAGE_PROVIDER="{\"name\":\"sqlite\",\"path\":\"$tmp/stategate.db\"}" \
  node dist/main.js >"$tmp/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 200); do
  url="$(grep -m1 '"msg":"stategate listening"' "$tmp/server.log" | sed 's/.*"url":"\([^"]*\)".*/\1/' || true)"
  [[ -n "$url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; die "the server exited before listening"; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$tmp/server.log" >&2; die "the server did not start in 20 s"; }
log "server listening on $url"

failed=()
# example NAME COMMAND...: runs one example (60 s at most) and checks its output.
example() {
  local name="$1" out="$tmp/$1.out" start=$SECONDS
  shift
  log "example $name"
  if ! STATEGATE_URL="$url" timeout 60 "$@" >"$out" 2>&1; then
    cat "$out" >&2
    log "FAIL $name: exited non-zero"
    failed+=("$name")
    return
  fi
  cat "$out"
  # The Set replayed from the log, then the two Edits live, with consecutive versions, then the verdict.
  if grep -q '^event 1: /stategate.EntityService/Set version=1 ' "$out" &&
    grep -q '^event 2: /stategate.EntityService/Edit version=2 ' "$out" &&
    grep -q '^event 3: /stategate.EntityService/Edit version=3 ' "$out" &&
    [[ "$(tail -n 1 "$out")" == "OK 3 events" ]]; then
    log "ok $name ($((SECONDS - start)) s)"
  else
    log "FAIL $name: did not print the three events and 'OK 3 events'"
    failed+=("$name")
  fi
}

example ts-connect env STATEGATE_PROTOCOL=connect node_modules/.bin/tsx clients/ts/examples/set-and-stream.ts
example ts-grpc-web env STATEGATE_PROTOCOL=grpc-web node_modules/.bin/tsx clients/ts/examples/set-and-stream.ts
example go-grpc "$tmp/setandstream" -protocol grpc
example go-connect "$tmp/setandstream" -protocol connect
example python-grpc env -C clients/python PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -m examples.set_and_stream

stop_server
if [[ ${#failed[@]} -gt 0 ]]; then
  log "server log:"
  cat "$tmp/server.log" >&2
  die "client examples failed: ${failed[*]}"
fi
log "all client examples passed"
