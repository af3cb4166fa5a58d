#!/usr/bin/env bash
# Installs the command-line tools the tests need that npm does not bring, pinned, and only when missing,
# from the Go module proxy into $(go env GOPATH)/bin:
#   grpcurl (test/e2e/grpc-reflection.e2e.test.ts);
#   opa, the Open Policy Agent CLI that compiles Rego policies to WebAssembly at start (STATEGATE_OPA_PATH;
#   the server also finds it in $(go env GOPATH)/bin when that is not on PATH).
# Idempotent: a second run finds everything in place and says so.
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: go is required to install grpcurl and opa" >&2
  exit 1
fi
bin="$(go env GOPATH)/bin"

# install NAME MODULE VERSION PACKAGE: `go version -m` names the module version a Go binary was built from.
install() {
  local name=$1 module=$2 version=$3 package=$4
  local binary="$bin/$name"
  if [ -x "$binary" ] && go version -m "$binary" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$module[[:space:]]+$version([[:space:]]|$)"; then
    echo "install-tools: $name $version already in $bin"
  else
    echo "install-tools: installing $name $version into $bin"
    GOBIN="$bin" go install "$package@$version"
    echo "install-tools: installed $binary ($version)"
  fi
}

install grpcurl github.com/fullstorydev/grpcurl v1.9.4 github.com/fullstorydev/grpcurl/cmd/grpcurl
install opa github.com/open-policy-agent/opa v1.22.4 github.com/open-policy-agent/opa
