# Weft: `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint types fmt imports bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install what is missing

run: $(STAMP) ## start PostgreSQL, every service and the gateway with demo data (Ctrl-C stops)
	$(PY) -m tools.run

test: $(STAMP) ## run every test against a real PostgreSQL and real processes
	$(PY) -m pytest -q

lint: $(STAMP) ## ruff, mypy and the import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs gateway services tools
	$(VENV)/bin/lint-imports

types: $(STAMP) ## mypy only
	$(VENV)/bin/mypy libs gateway services tools

imports: $(STAMP) ## import-linter contracts only
	$(VENV)/bin/lint-imports

fmt: $(STAMP) ## format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP) ## run the benchmarks and print their figures
	$(PY) -m bench

clean: ## remove the virtualenv and local state (database included)
	rm -rf $(VENV) .weft
