# Testament — one command to run, one to test. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-unit test-integration test-e2e fuzz check lint typecheck format bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# The clone's .testament is the data directory: commands run anywhere inside the clone find it.
run: install  ## start the server on the embedded default, with a demo workspace
	@mkdir -p .testament
	$(BIN)/testament serve --demo --host $(HOST) --port $(PORT)

test: install  ## the whole test suite
	$(BIN)/pytest

# One tier each, chosen by the marker tests/conftest.py gives every test from its folder.
test-unit: install  ## tests/unit: plain code in process, no server
	$(BIN)/pytest -m unit

test-integration: install  ## tests/integration: the store, migrations and the engine in process
	$(BIN)/pytest -m integration

test-e2e: install  ## tests/e2e: HTTP to a live server, the CLI, the vendor surfaces
	$(BIN)/pytest -m e2e

FUZZ_EXAMPLES ?= 300
fuzz: install  ## the native API's fuzz tier, long: FUZZ_EXAMPLES calls per operation and mode
	TESTAMENT_TEST_FUZZ=1 TESTAMENT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/e2e/test_api_fuzz.py --timeout=0

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install  ## benchmarks (not tests); results go to bench/results/
	$(BIN)/python -m bench.run

lock:  ## re-pin requirements.lock from pyproject.toml
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .testament .pytest_cache .mypy_cache .ruff_cache
