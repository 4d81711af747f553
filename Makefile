# Two commands set up a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit install clean bench eval fuzz

$(STAMP): pyproject.toml requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -U pip
	$(PIP) install -c constraints.txt torch==2.13.0
	$(PIP) install -c constraints.txt -r requirements.txt
	$(PIP) install -c constraints.txt --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pilot demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks evals
	$(BIN)/ruff format --check src tests benchmarks evals

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# Schemathesis: >= 1000 generated requests against the OpenAPI schema, no 5xx allowed.
fuzz: $(STAMP)
	$(BIN)/pytest -q -m fuzz tests/fuzz

bench: $(STAMP)
	$(PIP) install -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/rules_bench.py
	$(BIN)/python benchmarks/ingest_bench.py

clean:
	rm -rf $(VENV) .pilot .mypy_cache .ruff_cache
