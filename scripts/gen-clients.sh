#!/usr/bin/env bash
# Regenerates the three client SDKs' code from proto/stategate.proto:
#   clients/ts/src/gen                      protoc-gen-es (clients/ts/buf.gen.yaml)
#   clients/go/stategatepb                  protoc-gen-go + protoc-gen-connect-go (clients/go/buf.gen.yaml)
#   clients/python/stategate_client/*_pb2*  grpcio-tools
# Usage: scripts/gen-clients.sh [OUT]: OUT (default: the repository root) is where the clients/ tree is
# written; scripts/check-clients.sh points it at a temporary folder. Idempotent: same input, same files.
set -euo pipefail
source "$(dirname "$0")/lib/clients.sh"
OUT="$(mkdir -p "${1:-$ROOT}" && cd "${1:-$ROOT}" && pwd)"
cd "$ROOT"

need_node_modules
need_go_plugins
need_venv

log "clients/ts (protoc-gen-es $(protoc-gen-es --version | awk '{print $2}'))"
buf generate --template clients/ts/buf.gen.yaml --output "$OUT"

log "clients/go (protoc-gen-go $PROTOC_GEN_GO_VERSION, protoc-gen-connect-go $PROTOC_GEN_CONNECT_GO_VERSION)"
buf generate --template clients/go/buf.gen.yaml --output "$OUT"

log "clients/python (grpcio-tools $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))'))"
py_out="$OUT/clients/python/stategate_client"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# google/api/annotations_pb2 comes from googleapis-common-protos at run time, so only stategate.proto is
# generated; -I proto finds the vendored google/api files, grpc_tools adds the well-known types itself.
"$VENV/bin/python" -m grpc_tools.protoc -I proto \
  --python_out="$tmp" --grpc_python_out="$tmp" --pyi_out="$tmp" proto/stategate.proto
# grpc_tools writes an absolute `import stategate_pb2`; inside the package it must be relative.
sed -i 's/^import stategate_pb2 as stategate__pb2$/from . import stategate_pb2 as stategate__pb2/' \
  "$tmp/stategate_pb2_grpc.py"
grep -q '^from \. import stategate_pb2 as stategate__pb2$' "$tmp/stategate_pb2_grpc.py" ||
  die "grpc_tools' import of stategate_pb2 changed: fix the rewrite in scripts/gen-clients.sh"
mkdir -p "$py_out"
cp "$tmp"/stategate_pb2.py "$tmp"/stategate_pb2.pyi "$tmp"/stategate_pb2_grpc.py "$py_out/"
