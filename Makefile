# Weft: `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
K8S    := $(filter-out deploy/k8s/kustomization.yaml,$(wildcard deploy/k8s/*.yaml))

.DEFAULT_GOAL := help
.PHONY: help install lock run test test-fast test-e2e lint types fmt imports k8s bench clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Installs exactly the pinned versions of requirements.lock, then this tree (editable).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install the locked dependencies

lock: $(STAMP) ## re-pin requirements.lock from pyproject.toml (after changing dependencies)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--no-header --quiet -o $(LOCK)

run: $(STAMP) ## start PostgreSQL, every service and the gateway with demo data (Ctrl-C stops)
	$(PY) -m tools.run

test: $(STAMP) ## run every test: in-process and end-to-end (real PostgreSQL, real processes)
	$(PY) -m pytest -q

test-fast: $(STAMP) ## the in-process tests only (no service processes)
	$(PY) -m pytest -q -m "not e2e"

test-e2e: $(STAMP) ## the end-to-end tests only (every process, through the gateway)
	$(PY) -m pytest -q -m e2e

lint: $(STAMP) ## ruff, mypy, the import contracts and the Kubernetes manifests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs gateway services tools tests bench
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory k8s
	$(VENV)/bin/pre-commit validate-config .pre-commit-config.yaml

k8s: $(STAMP) ## deploy/k8s is up to date with tools/services.py and valid (offline schemas)
	$(PY) -m tools.k8s --check
	$(VENV)/bin/kubernetes-validate --strict --quiet $(K8S)

types: $(STAMP) ## mypy only
	$(VENV)/bin/mypy libs gateway services tools tests bench

imports: $(STAMP) ## import-linter contracts only
	$(VENV)/bin/lint-imports

fmt: $(STAMP) ## format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP) ## run the benchmarks and print their figures
	$(PY) -m bench

clean: ## remove the virtualenv and local state (database included)
	rm -rf $(VENV) .weft
