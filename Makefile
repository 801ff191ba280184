# Testament — one command to run, one to test. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev run test test-unit test-integration test-e2e test-browser fuzz check lint typecheck format bench screenshots lock vendor clean

# Two locks: requirements.lock is what the server needs (`make run`, the container image);
# requirements-dev.lock adds the tools that test, lint and measure it (pytest, ruff, mypy,
# schemathesis, playwright, ...), pinned to the same versions where the two share a package.
install: $(VENV)/.installed  ## the server and its runtime dependencies only

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install-dev: $(VENV)/.installed-dev  ## install, plus the test, lint and benchmark tools

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

# The clone's .testament is the data directory: commands run anywhere inside the clone find it.
run: install  ## start the server on the embedded default, with a demo workspace
	@mkdir -p .testament
	$(BIN)/testament serve --demo --host $(HOST) --port $(PORT)

test: install-dev  ## the whole test suite
	$(BIN)/pytest

# One tier each, chosen by the marker tests/conftest.py gives every test from its folder.
test-unit: install-dev  ## tests/unit: plain code in process, no server
	$(BIN)/pytest -m unit

test-integration: install-dev  ## tests/integration: the store, migrations and the engine in process
	$(BIN)/pytest -m integration

test-e2e: install-dev  ## tests/e2e: HTTP to a live server, the CLI, the vendor surfaces
	$(BIN)/pytest -m e2e

# Needs Debian's chromium (apt-get install chromium); Playwright's own browser download is not used.
test-browser: install-dev  ## tests/browser: the web UI in headless chromium, with an accessibility check
	TESTAMENT_TEST_BROWSER=1 $(BIN)/pytest -m browser

FUZZ_EXAMPLES ?= 300
fuzz: install-dev  ## the native API's fuzz tier, long: FUZZ_EXAMPLES calls per operation and mode
	TESTAMENT_TEST_FUZZ=1 TESTAMENT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/e2e/test_api_fuzz.py --timeout=0

lint: install-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

check: lint typecheck test

format: install-dev
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

bench: install-dev  ## benchmarks (not tests); results go to bench/results/
	$(BIN)/python -m bench.run

# A server with a fresh data directory and the demo workspace, some real runs, then a PNG of
# each page (desktop and 360 px wide, light and dark) in docs/screenshots/. Needs chromium.
screenshots: install-dev  ## PNGs of every page of the web UI, into docs/screenshots/
	$(BIN)/python scripts/screenshots.py

PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links
lock: install  ## re-pin requirements.lock and requirements-dev.lock from pyproject.toml (the dev lock within the runtime one)
	$(BIN)/pip install --quiet pip-tools
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

vendor:  ## refresh the vendored htmx, its SSE extension and axe-core with npm pack (pinned in scripts/vendor.py)
	$(BIN)/python scripts/vendor.py

clean:
	rm -rf $(VENV) .testament .pytest_cache .mypy_cache .ruff_cache
