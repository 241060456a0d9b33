# shellcheck shell=bash
# .ci/postgres.sh -- a throwaway PostgreSQL server on loopback, for tests and CI.
#
# Usage (bash):
#     source .ci/postgres.sh
#     pg_start                # sets and exports PORTALKIT_TEST_DATABASE_URL
#     trap pg_stop EXIT
#     ...run the tests...
#
# pg_start installs Debian's `postgresql` package when no server is installed,
# runs initdb in a fresh temporary directory (as the `postgres` user when run as
# root, since PostgreSQL refuses to run as root; as the calling user otherwise),
# and starts the server on 127.0.0.1 with its socket inside that directory, so
# nothing outside the directory is touched. pg_stop stops it and deletes the
# directory; it is safe to call more than once and when pg_start failed half-way.
#
# Settings (environment): PG_PORT (default: the first free port from 55432 up),
# PG_DB (default portalkit_test). Durability is switched off: the data is thrown away.

pg__as_owner() {
  # Run a PostgreSQL binary as the user that owns the cluster.
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg__port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg__free_port() {
  local port
  for port in $(seq 55432 55632); do
    if ! pg__port_in_use "$port"; then
      echo "$port"
      return 0
    fi
  done
  echo "pg_start: no free port in 55432-55632" >&2
  return 1
}

pg_install() {
  # Idempotent: apt only runs when no PostgreSQL server binaries are installed.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "pg_install: installing Debian's postgresql package" >&2
    $sudo apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null || return 1
  fi
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
}

pg_start() {
  # Each step checks its own result: callers may run this where `set -e` is off.
  pg_install || return 1
  PG_PORT="${PG_PORT:-$(pg__free_port)}" || return 1
  PG_DB="${PG_DB:-portalkit_test}"
  PG_DIR="$(mktemp -d -t portalkit-pg.XXXXXX)" || return 1
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR" || return 1
  fi
  pg__as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust \
    -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || {
    cat "$PG_DIR/initdb.log" >&2
    return 1
  }
  pg__as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || {
    cat "$PG_DIR/log" >&2
    return 1
  }
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB" || return 1
  export PG_PORT PG_DB PG_DIR PG_BIN
  export PORTALKIT_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/$PG_DB"
  echo "pg_start: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)" >&2
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    pg__as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  unset PG_DIR
  echo "pg_stop: stopped and removed" >&2
}
