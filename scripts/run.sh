#!/usr/bin/env bash
# make run: migrate the embedded SQLite database, load the demo, serve with a worker.
# Ctrl-C stops the server and the worker together.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-true}"
BIN=.venv/bin
mkdir -p var
"$BIN/peerbridge" migrate --noinput
"$BIN/peerbridge" demo
"$BIN/peerbridge" worker &
worker=$!
cleanup() { kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
echo "Serving on http://127.0.0.1:8000/ with a worker (pid $worker). Ctrl-C stops both."
"$BIN/peerbridge" runserver 127.0.0.1:8000 --noreload
