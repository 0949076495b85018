# One entry point for newcomers and CI. Everything installs into .venv and node_modules.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# checkov (tests/infra) in its own venv: its pins clash with the dev tools (infra/checkov-requirements.txt)
CHECKOV_VENV  := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: help install lint typecheck test test-fast infra-check demo bench clean

help:
	@echo "make demo   - run the provisioning cycle against the local sandbox (Azurite + simulators)"
	@echo "make demo KEEP=1 - the same, then leave it running and print the status page's URL"
	@echo "make test   - install what is missing, then ruff, mypy and pytest"
	@echo "make bench  - run the benchmark scripts under bench/"
	@echo "make infra-check - parse, scan (checkov) and test infra/ and the operator guide"

$(PIP_STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_STAMP): infra/checkov-requirements.txt | $(PIP_STAMP)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r infra/checkov-requirements.txt
	touch $@

install: $(PIP_STAMP) $(NODE_STAMP) $(CHECKOV_STAMP)

lint: $(PIP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(PIP_STAMP)
	$(VENV)/bin/mypy

test: install lint typecheck
	$(PY) -m pytest -n 2

infra-check: $(PIP_STAMP) $(CHECKOV_STAMP)
	$(PY) -m pytest -q tests/infra

test-fast: install
	$(PY) -m pytest -x -q -m "not slow"

# make demo KEEP=1: leave the sandbox running behind the status page and print its URL (Ctrl-C stops)
KEEP ?=
demo: install
	$(PY) -m sandbox.demo $(if $(filter 1 yes true,$(KEEP)),--keep)

bench: $(PIP_STAMP) $(NODE_STAMP)  # not checkov: the bench needs the venv and Azurite only
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .sandbox
