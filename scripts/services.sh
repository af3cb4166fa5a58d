#!/usr/bin/env bash
# Test services for the provider tests (DESIGN.md §6), installed and started by the project itself.
#
#   scripts/services.sh up [service...]      install what is missing, start each service, wait until it answers
#   scripts/services.sh down [service...]    stop what `up` started
#   scripts/services.sh restart [service...] down, then up (the fault tests restart Redis and NATS mid-run)
#   scripts/services.sh status               say which services answer
# Services: postgres, mariadb, redis, nats, ferretdb, cassandra (all of them when none is named).
#
# Idempotent; meant for root on Debian without systemd (CI containers). Services run in the background,
# their data and logs under .tmp/services (PostgreSQL uses Debian's own cluster, `pg_ctlcluster`).
# Packages come from apt-get; FerretDB 1.24.2 (MongoDB wire protocol on SQLite) is built from the Go
# module proxy by tools/ferretdb; Apache Cassandra 5.0 (single node, 1 GiB heap) comes from Maven Central and is
# started by tools/cassandra. Credentials are fixed test values, never secrets. The tests read the
# URLs from the environment, with these defaults:
#   STATEGATE_TEST_POSTGRES_URL  postgres://stategate:stategate@127.0.0.1:5432/stategate
#   STATEGATE_TEST_MYSQL_URL     mysql://stategate:stategate@127.0.0.1:3306/stategate
#   STATEGATE_TEST_REDIS_URL     redis://127.0.0.1:6379
#   STATEGATE_TEST_NATS_URL      nats://127.0.0.1:4222
#   STATEGATE_TEST_MONGO_URL     mongodb://127.0.0.1:27017/stategate
#   STATEGATE_TEST_CASSANDRA_ADDR  127.0.0.1:9042
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT="$PWD/.tmp/services"
PG_VERSION="${PG_VERSION:-15}"
PG_PORT=5432
MARIADB_PORT=3306
REDIS_PORT=6379
FERRETDB_PORT=27017
NATS_PORT=4222
NATS_MONITOR_PORT=8222
CASSANDRA_PORT=9042
CASSANDRA_STORAGE_PORT=7000
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

# Stops the process a pid file names (started by `up` from this checkout) and waits until it is gone.
stop_pidfile() { # what pidfile seconds
  local what="$1" pidfile="$2" seconds="$3" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $what"
    kill "$pid"
    wait_for "$what to stop" "$seconds" bash -c "! kill -0 $pid"
  fi
  rm -f "$pidfile"
}

# ---- PostgreSQL ----

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

# As the postgres user, from / (it cannot enter a checkout under a private temp directory).
as_postgres() { (cd / && su postgres -c "$1"); }

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
  as_postgres "psql -q -v ON_ERROR_STOP=1 -p $PG_PORT" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stategate') THEN
    CREATE ROLE stategate LOGIN PASSWORD 'stategate';
  END IF;
END $$;
SQL
  if ! as_postgres "psql -tAq -p $PG_PORT -c \"SELECT 1 FROM pg_database WHERE datname = 'stategate'\"" | grep -q 1; then
    as_postgres "createdb -p $PG_PORT -O stategate -E UTF8 -T template0 --locale C.UTF-8 stategate"
  fi
}

pg_down() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && pg_ready; then
    log "stopping PostgreSQL"
    pg_ctlcluster "$PG_VERSION" main stop || true
  fi
}

# ---- MariaDB (the mysql provider) ----

MARIADB_DIR="$ROOT/mariadb"
MARIADB_SOCKET="$MARIADB_DIR/mariadb.sock"

mariadb_ready() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" -u stategate -pstategate ping; }
mariadb_root() { mariadb --protocol=socket -S "$MARIADB_SOCKET" -u root "$@"; }

mariadb_up() {
  ensure_package mariadb-server mariadbd
  mkdir -p "$MARIADB_DIR"
  if ! port_open "$MARIADB_PORT"; then
    if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
      log "initialising MariaDB data directory"
      mariadb-install-db --user=root --datadir="$MARIADB_DIR/data" --auth-root-authentication-method=socket \
        >"$MARIADB_DIR/install.log" 2>&1
    fi
    log "starting MariaDB"
    # Durable commits (flush the redo log and binlog at every commit), code-point string order by default.
    nohup mariadbd --no-defaults --user=root --datadir="$MARIADB_DIR/data" --socket="$MARIADB_SOCKET" \
      --port="$MARIADB_PORT" --bind-address=127.0.0.1 --pid-file="$MARIADB_DIR/mariadb.pid" \
      --innodb-flush-log-at-trx-commit=1 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
      --max-connections=500 --log-error="$MARIADB_DIR/mariadb.log" >/dev/null 2>&1 &
    wait_for "mariadb socket" 60 test -S "$MARIADB_SOCKET"
  fi
  if [ -S "$MARIADB_SOCKET" ]; then
    wait_for mariadb 60 mariadb_root -e 'SELECT 1'
    # The tests may create scratch databases named stategate_*.
    mariadb_root <<'SQL'
CREATE DATABASE IF NOT EXISTS stategate CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'stategate'@'%' IDENTIFIED BY 'stategate';
CREATE USER IF NOT EXISTS 'stategate'@'localhost' IDENTIFIED BY 'stategate';
GRANT ALL PRIVILEGES ON `stategate`.* TO 'stategate'@'%', 'stategate'@'localhost';
GRANT ALL PRIVILEGES ON `stategate\_%`.* TO 'stategate'@'%', 'stategate'@'localhost';
SQL
  fi
  wait_for mariadb 30 mariadb_ready
}

mariadb_down() { stop_pidfile MariaDB "$MARIADB_DIR/mariadb.pid" 60; }

# ---- Redis ----

redis_ready() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_up() {
  ensure_package redis-server redis-server
  mkdir -p "$ROOT/redis"
  if ! redis_ready; then
    log "starting Redis"
    # AOF with fsync on every write: mutex fencing counters must survive a Redis restart (G7).
    redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$ROOT/redis" \
      --pidfile "$ROOT/redis/redis.pid" --logfile "$ROOT/redis/redis.log" --save '' \
      --appendonly yes --appendfsync always
  fi
  wait_for redis 30 redis_ready
}

redis_down() {
  if command -v redis-cli >/dev/null 2>&1 && redis_ready; then
    log "stopping Redis"
    redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    wait_for "redis to stop" 10 bash -c "! redis-cli -p $REDIS_PORT ping"
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

nats_down() { stop_pidfile NATS "$ROOT/nats/nats.pid" 10; }

# ---- FerretDB (MongoDB wire protocol; the mongo provider) ----

FERRETDB_DIR="$ROOT/ferretdb"
FERRETDB_BIN="$ROOT/bin/ferretdb"

ferretdb_ready() { port_open "$FERRETDB_PORT"; }

ferretdb_build() {
  if ! command -v go >/dev/null 2>&1; then
    echo "services: go is required to build FerretDB (tools/ferretdb, github.com/FerretDB/FerretDB v1.24.2)" >&2
    exit 1
  fi
  # The Go build cache makes this a no-op when nothing changed.
  log "building FerretDB (tools/ferretdb)"
  mkdir -p "$ROOT/bin"
  (cd tools/ferretdb && go build -o "$FERRETDB_BIN" .)
}

ferretdb_up() {
  if ferretdb_ready; then return 0; fi
  ferretdb_build
  mkdir -p "$FERRETDB_DIR/data"
  log "starting FerretDB"
  nohup "$FERRETDB_BIN" -listen "127.0.0.1:$FERRETDB_PORT" -sqlite-url "file:$FERRETDB_DIR/data/" \
    >"$FERRETDB_DIR/ferretdb.log" 2>&1 &
  echo $! >"$FERRETDB_DIR/ferretdb.pid"
  wait_for ferretdb 60 ferretdb_ready
}

ferretdb_down() { stop_pidfile FerretDB "$FERRETDB_DIR/ferretdb.pid" 20; }

# ---- Cassandra (the cassandra provider) ----

CASSANDRA_DIR="$ROOT/cassandra"
CASSANDRA_TOOL="tools/cassandra"
CASSANDRA_JAR="$CASSANDRA_TOOL/target/cassandra-launcher-1.jar"

# Answers CQL: the native transport opens its port only once the node has joined and serves queries.
cassandra_ready() { port_open "$CASSANDRA_PORT"; }

cassandra_build() {
  ensure_package openjdk-17-jdk-headless javac
  ensure_package maven mvn
  # Built once; again only when the launcher's sources change (Maven keeps Cassandra's jars in ~/.m2).
  if [ -f "$CASSANDRA_JAR" ] && [ -f "$CASSANDRA_TOOL/target/classpath.txt" ] &&
    [ -z "$(find "$CASSANDRA_TOOL/pom.xml" "$CASSANDRA_TOOL/src" -newer "$CASSANDRA_JAR" -print -quit)" ]; then
    return 0
  fi
  log "building the Cassandra launcher (tools/cassandra, org.apache.cassandra:cassandra-all from Maven Central)"
  (cd "$CASSANDRA_TOOL" && mvn -q -B package)
}

cassandra_up() {
  if cassandra_ready; then return 0; fi
  cassandra_build
  mkdir -p "$CASSANDRA_DIR"
  log "starting Cassandra"
  local flags
  mapfile -t flags < <(grep -v '^#' "$CASSANDRA_TOOL/jvm.options" | grep .)
  nohup java "${flags[@]}" -cp "$CASSANDRA_JAR:$(cat "$CASSANDRA_TOOL/target/classpath.txt")" \
    stategate.tools.cassandra.Launcher "$CASSANDRA_DIR" "$CASSANDRA_PORT" "$CASSANDRA_STORAGE_PORT" \
    >"$CASSANDRA_DIR/cassandra.out" 2>&1 &
  echo $! >"$CASSANDRA_DIR/cassandra.pid"
  wait_for cassandra 180 cassandra_ready
}

# SIGTERM: Cassandra drains and flushes before it exits.
cassandra_down() { stop_pidfile Cassandra "$CASSANDRA_DIR/cassandra.pid" 60; }

print_urls() {
  echo "STATEGATE_TEST_POSTGRES_URL=postgres://stategate:stategate@127.0.0.1:$PG_PORT/stategate"
  echo "STATEGATE_TEST_MYSQL_URL=mysql://stategate:stategate@127.0.0.1:$MARIADB_PORT/stategate"
  echo "STATEGATE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "STATEGATE_TEST_NATS_URL=nats://127.0.0.1:$NATS_PORT"
  echo "STATEGATE_TEST_MONGO_URL=mongodb://127.0.0.1:$FERRETDB_PORT/stategate"
  echo "STATEGATE_TEST_CASSANDRA_ADDR=127.0.0.1:$CASSANDRA_PORT"
}

status() {
  local rc=0
  if command -v pg_isready >/dev/null 2>&1 && pg_ready; then echo "postgresql: up ($PG_PORT)"; else echo "postgresql: down"; rc=1; fi
  if command -v redis-cli >/dev/null 2>&1 && redis_ready; then echo "redis: up ($REDIS_PORT)"; else echo "redis: down"; rc=1; fi
  if nats_ready; then echo "nats: up ($NATS_PORT)"; else echo "nats: down"; rc=1; fi
  if command -v mariadb-admin >/dev/null 2>&1 && mariadb_ready >/dev/null 2>&1; then echo "mariadb: up ($MARIADB_PORT)"; else echo "mariadb: down"; rc=1; fi
  if ferretdb_ready; then echo "ferretdb: up ($FERRETDB_PORT)"; else echo "ferretdb: down"; rc=1; fi
  if cassandra_ready; then echo "cassandra: up ($CASSANDRA_PORT)"; else echo "cassandra: down"; rc=1; fi
  return "$rc"
}

ALL_SERVICES=(postgres mariadb redis nats ferretdb cassandra)

# Runs `<service>_<action>` for each named service (all when none is named); `down` goes in reverse.
each() { # action service...
  local action="$1"
  shift
  local services=("$@")
  [ "${#services[@]}" -gt 0 ] || services=("${ALL_SERVICES[@]}")
  if [ "$action" = down ]; then
    local i
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do run_one down "${services[i]}"; done
  else
    local service
    for service in "${services[@]}"; do run_one "$action" "$service"; done
  fi
}

run_one() { # action service
  case "$2" in
    postgres | postgresql) "pg_$1" ;;
    mariadb | mysql) "mariadb_$1" ;;
    redis) "redis_$1" ;;
    nats) "nats_$1" ;;
    ferretdb | mongo) "ferretdb_$1" ;;
    cassandra) "cassandra_$1" ;;
    *)
      echo "services: unknown service '$2' (one of: ${ALL_SERVICES[*]})" >&2
      exit 2
      ;;
  esac
}

case "${1:-}" in
  up)
    shift
    each up "$@"
    log "ready:"
    print_urls
    ;;
  down)
    shift
    each down "$@"
    ;;
  restart)
    shift
    each down "$@"
    each up "$@"
    ;;
  status)
    status
    ;;
  *)
    echo "usage: $0 up|down|restart [postgres|mariadb|redis|nats|ferretdb|cassandra ...] | status" >&2
    exit 2
    ;;
esac
