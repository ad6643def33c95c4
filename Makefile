# egov-events: the two commands of a fresh machine are `make run` and `make test`.
# Each installs what it needs: a pinned uv in .tools/, then the locked workspace in .venv/.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
PYTEST_ARGS ?=
ARGS ?=

.PHONY: install run test test-fast lint format contracts drill bench profile bench-intake bench-console bench-memory clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml */pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --quiet
	@touch $@

contracts/tools/node_modules/.installed: contracts/tools/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  (cd contracts/tools && npm ci --silent --no-audit --no-fund) && touch $@; \
	else echo "npm not found: the AsyncAPI parser check will be skipped"; fi

services/console/tests/browser/node_modules/.installed: services/console/tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  (cd services/console/tests/browser && npm ci --silent --no-audit --no-fund) && touch $@; \
	else echo "npm not found: the console's accessibility check (axe-core) will be skipped"; fi

install: .venv/.synced contracts/tools/node_modules/.installed \
	services/console/tests/browser/node_modules/.installed

run: install ## the whole system locally: broker, PostgreSQL, four services, demo data; ARGS="--keep-data …"
	$(PY) -m egov_devkit.devstack $(ARGS)

test: install ## every package's tests against a real Kafka-protocol broker and PostgreSQL
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install ## pure domain tests only (no broker, no database)
	$(PY) -m pytest -m "not integration and not drill" $(PYTEST_ARGS)

lint: install ## ruff, mypy, the architecture's import contracts and SQL only in adapters
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports
	$(PY) tools/sql_placement.py

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

contracts: install ## regenerate contracts/published (schemas, AsyncAPI); ACCEPT="why" accepts a deliberate incompatible change
	$(PY) -m egov_contracts.publish $(if $(ACCEPT),--accept "$(ACCEPT)")

drill: install ## crash drills: ROUNDS=20 by default
	$(PY) bench/drill.py --rounds $${ROUNDS:-20}

bench: install ## throughput and latency of the runtime kit vs the raw bound and a plain loop; ARGS="--events 5000"
	$(PY) bench/bench.py $(ARGS)

profile: install ## flame graph (py-spy) of the kit's pipeline stage: OUT=.run/profile.svg, ARGS="--events 30000"
	$(PY) bench/bench.py --stages pipeline --profile $(or $(OUT),.run/profile.svg) $(or $(ARGS),--events 30000)

bench-intake: install ## HTTP intake: POST /v1/status-reports vs a raw ASGI insert, latency, memory; ARGS="--requests 1000"
	$(PY) bench/intake_bench.py $(ARGS)

bench-console: install ## the console's server time: Tổng quan and the overdue queue, 3,000 and 1,000,000 dossiers
	$(PY) bench/console_bench.py $(ARGS)

bench-memory: install ## resident memory of each service idle and under load (the dev stack with demo data); ARGS="--requests 1000"
	$(PY) bench/memory_bench.py $(ARGS)

clean:
	rm -rf .venv $(TOOLS) .run .pytest_cache .mypy_cache .ruff_cache
