# Shared by scripts/gen-clients.sh, check-clients.sh and run-client-examples.sh (sourced, not run):
# the pinned code generators and the helpers that install them when they are missing.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Go code generators, from the Go module proxy. Keep them in step with clients/go/go.mod (the runtime
# the generated code needs: google.golang.org/protobuf and connectrpc.com/connect).
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_CONNECT_GO_VERSION=v1.21.1
# Installed per version, so a protoc-gen-go of another version on PATH never generates this code.
TOOLS_DIR="${STATEGATE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stategate-tools}"

PY_DIR="$ROOT/clients/python"
VENV="$PY_DIR/.venv"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# buf and protoc-gen-es come from the root node_modules (npm ci).
need_node_modules() {
  [[ -x "$ROOT/node_modules/.bin/buf" && -x "$ROOT/node_modules/.bin/protoc-gen-es" ]] ||
    die "node_modules/.bin/buf or protoc-gen-es is missing: run npm ci at the repository root"
  PATH="$ROOT/node_modules/.bin:$PATH"
}

# go_tool NAME PACKAGE VERSION: installs PACKAGE@VERSION into its own folder once, and puts it on PATH.
go_tool() {
  local name="$1" pkg="$2" version="$3" dir="$TOOLS_DIR/$1@$3"
  if [[ ! -x "$dir/$name" ]]; then
    command -v go >/dev/null || die "go is not installed (needed for $name)"
    log "installing $pkg@$version"
    GOBIN="$dir" go install "$pkg@$version"
  fi
  PATH="$dir:$PATH"
}

need_go_plugins() {
  go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
  go_tool protoc-gen-connect-go connectrpc.com/connect/cmd/protoc-gen-connect-go "$PROTOC_GEN_CONNECT_GO_VERSION"
}

# The Python SDK's venv (never the system python): made once, and made again when requirements.txt changes.
need_venv() {
  local stamp="$VENV/.requirements.sha256" want
  want="$(sha256sum "$PY_DIR/requirements.txt" | cut -d' ' -f1)"
  if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    command -v python3 >/dev/null || die "python3 is not installed (needed for clients/python)"
    log "creating $VENV from clients/python/requirements.txt"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PY_DIR/requirements.txt"
    printf '%s\n' "$want" >"$stamp"
  fi
}
