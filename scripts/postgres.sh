#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL 15 cluster for the test suite.
#   eval "$(scripts/postgres.sh start)"   prints DATABASE_URL and PEERBRIDGE_PG_DIR exports
#   scripts/postgres.sh stop DIR          stops the cluster and removes DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 not found in $PGBIN" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/peerbridge-pg.XXXXXX")
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    port=$(free_port)
    as_owner "$PGBIN/initdb" -D "$dir/data" -U peerbridge -A trust -E UTF8 --locale=C \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U peerbridge peerbridge
    echo "export DATABASE_URL=postgres://peerbridge@127.0.0.1:$port/peerbridge"
    echo "export PEERBRIDGE_PG_DIR=$dir"
    ;;
  stop)
    dir="${2:?directory}"
    if [ -d "$dir/data" ]; then
      as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
