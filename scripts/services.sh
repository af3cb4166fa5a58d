#!/usr/bin/env bash
# Test services for the provider tests (DESIGN.md §6), installed and started by the project itself.
#
#   scripts/services.sh up      install what is missing (apt-get), start each service, wait until it answers
#   scripts/services.sh down    stop what `up` started
#   scripts/services.sh status  say which services answer
#
# Idempotent; meant for root on Debian without systemd (CI containers). Services run in the background,
# their data and logs under .tmp/services (PostgreSQL uses Debian's own cluster, `pg_ctlcluster`).
# Credentials are fixed test values, never secrets. The tests read the URLs from the environment, with
# these defaults:
#   STATEGATE_TEST_POSTGRES_URL  postgres://stategate:stategate@127.0.0.1:5432/stategate
#   STATEGATE_TEST_REDIS_URL     redis://127.0.0.1:6379
#   STATEGATE_TEST_NATS_URL      nats://127.0.0.1:4222
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT="$PWD/.tmp/services"
PG_VERSION="${PG_VERSION:-15}"
PG_PORT=5432
REDIS_PORT=6379
NATS_PORT=4222
NATS_MONITOR_PORT=8222
export DEBIAN_FRONTEND=noninteractive

log() { echo "services: $*"; }

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "services: must run as root (it installs packages with apt-get and starts system services)" >&2
    exit 1
  fi
}

APT_UPDATED=0
ensure_package() { # package [command that proves it is installed]
  local package="$1" probe="${2:-}"
  if [ -n "$probe" ] && command -v "$probe" >/dev/null 2>&1; then return 0; fi
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then return 0; fi
  need_root
  if [ "$APT_UPDATED" = 0 ] && ! apt-cache show "$package" >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing $package"
  apt-get install -y -qq --no-install-recommends "$package" >/dev/null
}

# TCP check without nc: bash's /dev/tcp.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # what, seconds, command...
  local what="$1" seconds="$2"
  shift 2
  local i
  for ((i = 0; i < seconds * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "services: $what did not become ready within ${seconds}s" >&2
  return 1
}

# ---- PostgreSQL ----

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

pg_up() {
  ensure_package postgresql pg_ctlcluster
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
    log "creating PostgreSQL $PG_VERSION cluster main"
    pg_createcluster --locale C.UTF-8 "$PG_VERSION" main >/dev/null
  fi
  if ! pg_ready; then
    log "starting PostgreSQL $PG_VERSION"
    pg_ctlcluster "$PG_VERSION" main start || true
  fi
  wait_for postgresql 30 pg_ready
  # Role and database for the tests; UTF8 so that COLLATE "C" orders strings by code point.
  su postgres -c "psql -q -v ON_ERROR_STOP=1 -p $PG_PORT" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stategate') THEN
    CREATE ROLE stategate LOGIN PASSWORD 'stategate';
  END IF;
END $$;
SQL
  if ! su postgres -c "psql -tAq -p $PG_PORT -c \"SELECT 1 FROM pg_database WHERE datname = 'stategate'\"" | grep -q 1; then
    su postgres -c "createdb -p $PG_PORT -O stategate -E UTF8 -T template0 --locale C.UTF-8 stategate"
  fi
}

pg_down() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && pg_ready; then
    log "stopping PostgreSQL"
    pg_ctlcluster "$PG_VERSION" main stop || true
  fi
}

# ---- Redis ----

redis_ready() { redis-cli -p "$REDIS_PORT" ping | grep -q PONG; }

redis_up() {
  ensure_package redis-server redis-server
  mkdir -p "$ROOT/redis"
  if ! redis_ready; then
    log "starting Redis"
    redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$ROOT/redis" \
      --pidfile "$ROOT/redis/redis.pid" --logfile "$ROOT/redis/redis.log" --save '' --appendonly no
  fi
  wait_for redis 30 redis_ready
}

redis_down() {
  if command -v redis-cli >/dev/null 2>&1 && redis_ready; then
    log "stopping Redis"
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
}

# ---- NATS (JetStream) ----

# The client port decides (a server started by other means may not expose monitoring).
nats_ready() { port_open "$NATS_PORT"; }

nats_up() {
  ensure_package nats-server nats-server
  mkdir -p "$ROOT/nats"
  if ! nats_ready; then
    log "starting NATS with JetStream"
    nohup nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR_PORT" -sd "$ROOT/nats/jetstream" \
      -P "$ROOT/nats/nats.pid" >"$ROOT/nats/nats.log" 2>&1 &
  fi
  wait_for nats 30 nats_ready
}

nats_down() {
  if [ -f "$ROOT/nats/nats.pid" ]; then
    local pid
    pid="$(cat "$ROOT/nats/nats.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping NATS"
      kill "$pid"
      wait_for "nats to stop" 10 bash -c "! kill -0 $pid"
    fi
    rm -f "$ROOT/nats/nats.pid"
  fi
}

print_urls() {
  echo "STATEGATE_TEST_POSTGRES_URL=postgres://stategate:stategate@127.0.0.1:$PG_PORT/stategate"
  echo "STATEGATE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "STATEGATE_TEST_NATS_URL=nats://127.0.0.1:$NATS_PORT"
}

status() {
  local rc=0
  if command -v pg_isready >/dev/null 2>&1 && pg_ready; then echo "postgresql: up ($PG_PORT)"; else echo "postgresql: down"; rc=1; fi
  if command -v redis-cli >/dev/null 2>&1 && redis_ready; then echo "redis: up ($REDIS_PORT)"; else echo "redis: down"; rc=1; fi
  if nats_ready; then echo "nats: up ($NATS_PORT)"; else echo "nats: down"; rc=1; fi
  return "$rc"
}

case "${1:-}" in
  up)
    pg_up
    redis_up
    nats_up
    log "ready:"
    print_urls
    ;;
  down)
    nats_down
    redis_down
    pg_down
    ;;
  status)
    status
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
