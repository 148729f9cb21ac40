# Two commands for a new user: `make demo` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint security format lock bench bench-smoke clean

$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## Try the service: a demo institution with users and accounts on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/imprimatur db upgrade
	$(BIN)/imprimatur serve --demo --host 127.0.0.1 --port 8000

## Run the whole suite, on SQLite and (when reachable) on PostgreSQL
test: $(STAMP)
	$(BIN)/pytest

## Benchmarks, on demand (figures go to BENCHMARKS.md by hand). The load benchmark needs
## PostgreSQL, Redis and wrk (`apt-get install wrk`), as the tests do.
bench: $(STAMP)
	$(BIN)/python bench/bench_checks.py
	$(BIN)/python bench/bench_imaging.py
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_lookups.py
	$(BIN)/python bench/bench_load.py --check
	$(BIN)/python bench/bench_worker_memory.py

## Every benchmark, short: each must run and answer without error (CI); no figure is judged
bench-smoke: $(STAMP)
	$(BIN)/python bench/bench_checks.py --runs 1 --roster 100
	$(BIN)/python bench/bench_imaging.py --runs 1
	$(BIN)/python bench/bench_scoring.py --profiles 200 --runs 1
	$(BIN)/python bench/bench_lookups.py
	$(BIN)/python bench/bench_load.py --seconds 2 --rounds 1 --check
	$(BIN)/python bench/bench_worker_memory.py --scans 1

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bandit on the code, pip-audit on both lock files (needs PyPI; fails if it cannot be reached)
security: $(STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r service connectors workflows
	BIN=$(BIN) bash security/audit-dependencies.sh

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-pin every dependency after editing pyproject.toml (needs `uv`: pip install uv)
lock:
	uv pip compile -q pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile -q pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
