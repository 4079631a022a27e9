# Keyledger command menu. Every target sets itself up: a fresh clone needs only Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml client/pyproject.toml verifier/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e "./verifier[replay]" -e ./client -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the server with its dev tools

run: install ## run the server on the embedded default (SQLite in ./.keyledger, no other service)
	$(BIN)/keyledger serve

test: install ## the whole test suite (needs PostgreSQL, Redis and NATS on loopback; .ci/run starts them)
	$(BIN)/pytest

lint: install ## ruff (lint + format check), mypy --strict, import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install ## benchmarks (tests/bench), ratios against baselines measured in the same run; docs/benchmarks.md
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench.doc

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
