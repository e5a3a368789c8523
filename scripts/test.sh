#!/usr/bin/env bash
# make test: lint, type-check, then the whole suite on SQLite and on PostgreSQL 15.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  echo "== Installing Debian's chromium for the browser tests =="
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

ensure_chromium

echo "== Lint (ruff) =="
"$BIN/ruff" check src tests bench
"$BIN/ruff" format --check src tests bench

echo "== Type check (mypy --strict) =="
"$BIN/mypy" src

echo "== Test suite on SQLite =="
sqlite_url="sqlite:///$(mktemp -d)/peerbridge-test.sqlite3"
echo "database: ${sqlite_url} (tests run in an in-memory SQLite copy)"
DATABASE_URL="$sqlite_url" "$BIN/pytest" "$@"

echo "== Test suite on PostgreSQL 15 (throwaway cluster) =="
eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop "$PEERBRIDGE_PG_DIR"' EXIT
echo "database: ${DATABASE_URL}"
"$BIN/pytest" "$@"
echo "== Both suite runs passed (SQLite and PostgreSQL) =="
