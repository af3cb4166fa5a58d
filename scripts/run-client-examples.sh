#!/usr/bin/env bash
# Installs each client SDK as a package, outside the checkout, and runs its README example against a live
# server, checking what it printed:
#   clients/ts      `npm pack`ed (JavaScript + .d.ts), installed from the tarball into a fresh npm project in a
#                   temporary directory; the example compiled there against the installed types and run with
#                   plain `node`, over Connect and over gRPC-Web (connect-web, on Node's fetch)
#   clients/go      used by a fresh module in a temporary directory (`require` + a `replace` to clients/go until
#                   the module is published), built and run over gRPC (HTTP/2 cleartext) and over Connect
#   clients/python  built as a wheel, installed into a fresh venv in a temporary directory, the example run
#                   from there (so `stategate_client` is the installed one), over gRPC (HTTP/2 cleartext)
# The server is the built one (node dist/main.js; built first if missing) on a free port with a temporary
# SQLite file, in protected mode (no auth configured: loopback only). Each example must print its three
# events (the Set replayed, then two live Edits) and `OK 3 events`. Exits non-zero on any failure, after
# printing the output and the server's log.
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

# The packages are made and installed before the server starts; npm and pip take what they can from their
# caches (npm ci and clients/python/.venv filled them).
log "clients/ts: npm pack (builds dist/: JavaScript + .d.ts), install the tarball into a fresh project"
(cd clients/ts && npm pack --silent --pack-destination "$tmp" >/dev/null)
mkdir -p "$tmp/ts-app"
printf '{"name":"ts-app","private":true,"type":"module"}\n' >"$tmp/ts-app/package.json"
cp clients/ts/examples/set-and-stream.ts "$tmp/ts-app/"
(cd "$tmp/ts-app" && npm install --silent --no-audit --no-fund --prefer-offline "$tmp"/stategate-client-*.tgz)
# Compiled against the installed package's .d.ts (as a TypeScript user would), then run as plain JavaScript.
"$ROOT/node_modules/.bin/tsc" --strict --module nodenext --moduleResolution nodenext --target es2022 \
  --lib es2023,dom --typeRoots "$ROOT/node_modules/@types" --types node --outDir "$tmp/ts-app/out" \
  "$tmp/ts-app/set-and-stream.ts"

log "clients/go: a fresh module requiring github.com/stategate/stategate/clients/go (replace: this checkout)"
mkdir -p "$tmp/go-app"
cp clients/go/examples/setandstream/main.go "$tmp/go-app/"
{
  echo "module example.com/go-app"
  echo
  echo "go $(sed -n 's/^go //p' clients/go/go.mod)"
  echo
  echo "require github.com/stategate/stategate/clients/go v0.1.0"
  echo
  echo "replace github.com/stategate/stategate/clients/go => $ROOT/clients/go"
} >"$tmp/go-app/go.mod"
(cd "$tmp/go-app" && go mod tidy && go build -o "$tmp/setandstream" .)

log "clients/python: build the wheel, install it into a fresh venv"
# Built from a copy, so the checkout gets no build/ or *.egg-info; with the SDK venv's setuptools (no download).
cp -r clients/python "$tmp/py-src"
rm -rf "$tmp/py-src/.venv"
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -m pip wheel --quiet --no-deps --no-build-isolation \
  -w "$tmp/wheels" "$tmp/py-src"
python3 -m venv "$tmp/py-venv"
"$tmp/py-venv/bin/python" -m pip install --quiet --disable-pip-version-check "$tmp"/wheels/stategate_client-*.whl
mkdir -p "$tmp/py-app"
cp clients/python/examples/set_and_stream.py "$tmp/py-app/"
installed="$(cd "$tmp/py-app" && "$tmp/py-venv/bin/python" -c 'import stategate_client; print(stategate_client.__file__)')"
[[ "$installed" == "$tmp/py-venv/"* ]] || die "stategate_client came from $installed, not the installed wheel"

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

example ts-connect env -C "$tmp/ts-app" STATEGATE_PROTOCOL=connect node out/set-and-stream.js
example ts-grpc-web env -C "$tmp/ts-app" STATEGATE_PROTOCOL=grpc-web node out/set-and-stream.js
example go-grpc "$tmp/setandstream" -protocol grpc
example go-connect "$tmp/setandstream" -protocol connect
example python-grpc env -C "$tmp/py-app" PYTHONDONTWRITEBYTECODE=1 "$tmp/py-venv/bin/python" set_and_stream.py

stop_server
if [[ ${#failed[@]} -gt 0 ]]; then
  log "server log:"
  cat "$tmp/server.log" >&2
  die "client examples failed: ${failed[*]}"
fi
log "all client examples passed"
