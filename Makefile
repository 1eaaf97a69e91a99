# One entry point for the chores; humans and .ci/run both call these.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= ./syncbeat-data
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run demo test test-fast lint typecheck bench browser clean

$(BIN)/syncbeat: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/syncbeat

# Sets everything up and runs syncbeat on the embedded default (SQLite in ./syncbeat-data):
# creates the database, loads the demo once, then serves the admin with the worker inside.
run: install
	$(BIN)/syncbeat --data-dir $(DATA_DIR) init --no-admin
	@if [ ! -f $(DATA_DIR)/.demo-loaded ]; then \
		$(BIN)/syncbeat --data-dir $(DATA_DIR) demo && touch $(DATA_DIR)/.demo-loaded; fi
	$(BIN)/syncbeat --data-dir $(DATA_DIR) serve --host $(HOST) --port $(PORT)

# Runs the whole suite; SYNCBEAT_TEST_DATABASE_URL picks PostgreSQL for the store tests.
test: install browser
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not slow"

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "install Debian's chromium (apt-get install chromium) for the browser tests"; fi; fi

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/syncbeat

bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache
