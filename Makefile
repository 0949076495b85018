# One entry point for newcomers and CI. Everything installs into .venv and node_modules.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help install lint typecheck test test-fast demo bench clean

help:
	@echo "make demo   - run the provisioning cycle against the local sandbox (Azurite + simulators)"
	@echo "make test   - install what is missing, then ruff, mypy and pytest"
	@echo "make bench  - run the benchmark scripts under bench/"

$(PIP_STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(PIP_STAMP) $(NODE_STAMP)

lint: $(PIP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(PIP_STAMP)
	$(VENV)/bin/mypy

test: install lint typecheck
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -x -q -m "not slow"

demo: install
	$(PY) -m sandbox.demo

bench: install
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .sandbox
