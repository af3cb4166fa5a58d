# Sourced by scripts/install-tools.sh and scripts/validate-deploy.sh: where the deployment checks' Python
# tools live (DEPLOY_TOOLS_VENV to put them elsewhere), and the requirements that venv was made from.
DEPLOY_TOOLS_REQUIREMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.txt"
DEPLOY_TOOLS_VENV="${DEPLOY_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/stategate/deploy-tools}"
# haproxy, extracted from its Debian package; run it with its libraries: LD_LIBRARY_PATH="$HAPROXY_LIBS".
HAPROXY_DIR="${HAPROXY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stategate/haproxy}"
HAPROXY_LIBS="$HAPROXY_DIR/usr/lib/$(uname -m)-linux-gnu"
