# Library: the two commands.
#   make run    serve the app (SPA + API) at http://127.0.0.1:$(PORT) on SQLite with demo data
#   make test   install the test dependencies and run the whole suite
#   make bench  the benchmark (bench/README.md; not part of make test), e.g. BENCH_ARGS="--sizes 10000"
# Needs Python 3.11+; nginx, PostgreSQL binaries, Chromium and Node are used when installed
# (tests that need them skip and say why; under CI=true a skip of those is a failure).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: run test test-python test-frontend test-tools bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Library needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when the dependencies change.
$(VENV)/.installed-run: backend/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e backend
	@touch $@

$(VENV)/.installed-test: backend/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e 'backend[test]'
	@touch $@ $(VENV)/.installed-run

# ensure-admin: no default accounts; on the first run it creates the admin (LIBRARY_ADMIN_EMAIL,
# default admin@example.com) and prints a generated password once, unless LIBRARY_ADMIN_PASSWORD is set.
run: $(VENV)/.installed-run
	cd backend && ../$(BIN)/flask --app library db upgrade
	cd backend && ../$(BIN)/flask --app library ensure-admin
	cd backend && ../$(BIN)/flask --app library seed-demo --if-empty --history --history-days 730
	cd backend && exec ../$(BIN)/python -m library.serve

test: test-python test-frontend

test-python: $(VENV)/.installed-test test-tools
	cd backend && ../$(BIN)/python -m pytest

# Lighthouse for tests/test_lighthouse.py: a dev dependency pinned in frontend/package-lock.json, installed with
# `npm ci` (again only when the lock file changes); nothing of it is served (nginx refuses /node_modules/).
LIGHTHOUSE_STAMP := frontend/node_modules/.installed
test-tools:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(LIGHTHOUSE_STAMP); \
	else echo "SKIPPED installing Lighthouse: npm is not installed (its test skips, or fails under CI)"; fi

$(LIGHTHOUSE_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-frontend:
	@if command -v node >/dev/null 2>&1; then node --test frontend/tests/; \
	elif [ "$$CI" = "true" ]; then echo "node is required under CI for the frontend unit tests" >&2; exit 1; \
	else echo "SKIPPED frontend unit tests: node is not installed"; fi

# The benchmark: nginx + gunicorn on SQLite and PostgreSQL at 10 000 and 1 000 000 books, driven by wrk
# (needs nginx, wrk and the PostgreSQL binaries). Results in bench/results/; see bench/README.md.
BENCH_ARGS ?=
bench: $(VENV)/.installed-run
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) backend/data backend/test-output frontend/node_modules
