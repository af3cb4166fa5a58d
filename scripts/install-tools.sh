#!/usr/bin/env bash
# Installs the command-line tools the tests need that npm does not bring, pinned, and only when missing:
#   grpcurl (test/e2e/grpc-reflection.e2e.test.ts) from the Go module proxy into $(go env GOPATH)/bin.
# Idempotent: a second run finds everything in place and says so.
set -euo pipefail

GRPCURL_MODULE=github.com/fullstorydev/grpcurl
GRPCURL_VERSION=v1.9.4

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: go is required to install grpcurl ($GRPCURL_MODULE@$GRPCURL_VERSION)" >&2
  exit 1
fi
bin="$(go env GOPATH)/bin"
grpcurl="$bin/grpcurl"

# `go version -m` names the module version a Go binary was built from.
if [ -x "$grpcurl" ] && go version -m "$grpcurl" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$GRPCURL_MODULE[[:space:]]+$GRPCURL_VERSION([[:space:]]|$)"; then
  echo "install-tools: grpcurl $GRPCURL_VERSION already in $bin"
else
  echo "install-tools: installing grpcurl $GRPCURL_VERSION into $bin"
  GOBIN="$bin" go install "$GRPCURL_MODULE/cmd/grpcurl@$GRPCURL_VERSION"
  echo "install-tools: installed $grpcurl ($GRPCURL_VERSION)"
fi
