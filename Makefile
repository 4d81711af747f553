# Two commands set up a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit install chromium clean bench eval fuzz cluster cluster-test scale-bench

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
	$(BIN)/ruff check src tests benchmarks evals scripts
	$(BIN)/ruff format --check src tests benchmarks evals scripts

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache  # the layer rules: [tool.importlinter] in pyproject.toml

# The browser tests drive Debian's Chromium through Playwright: installed here when it is missing
# and apt is at hand (as .ci/run does), else one line says what to run.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests (apt-get)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "make test needs Chromium for its browser tests: run 'sudo apt-get install chromium' (Debian/Ubuntu), then make test again"; \
	    exit 1; \
	  fi; }

unit: $(STAMP) chromium
	$(BIN)/pytest -q

test: lint typecheck unit

# Schemathesis: >= 1000 generated requests against the OpenAPI schema, no 5xx allowed.
fuzz: $(STAMP)
	$(BIN)/pytest -q -m fuzz tests/fuzz

bench: $(STAMP)
	$(PIP) install -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/rules_bench.py
	$(BIN)/python benchmarks/schedule_bench.py
	$(BIN)/python benchmarks/ingest_bench.py

# Server mode on this machine: PostgreSQL (queue + data), a Chroma server, 2 APIs, 2 workers.
cluster: $(STAMP)
	$(BIN)/python scripts/cluster.py up

cluster-test: $(STAMP)
	$(BIN)/pytest -q -m cluster tests/cluster

scale-bench: $(STAMP)
	$(BIN)/python benchmarks/scale_bench.py

clean:
	rm -rf $(VENV) .pilot .mypy_cache .ruff_cache
