# PeerBridge: two commands on a fresh machine.
#   make run    set up, migrate the SQLite database, load the demo, serve with a worker
#   make test   set up, lint, type-check, run every test on SQLite and on PostgreSQL
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-dev lint typecheck pytest bench clean constraints semantic

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==25.3"

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

semantic: setup
	$(BIN)/pip install -q -c constraints.txt -e ".[semantic]"

run: setup
	@scripts/run.sh

test: setup-dev
	@scripts/test.sh

lint: setup-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup-dev
	$(BIN)/mypy src

pytest: setup-dev
	$(BIN)/pytest

bench: setup-dev
	@for module in bench/*.py; do name=$$(basename $$module .py); \
	  [ "$$name" = "__init__" ] && continue; $(BIN)/python -m bench.$$name --size S; done

# Re-pin every transitive dependency after changing pyproject.toml.
constraints: setup-dev
	$(BIN)/pip freeze --exclude-editable | grep -v '^peerbridge' > constraints.txt

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
