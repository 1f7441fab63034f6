# Two commands for a fresh machine with Python 3.11+, make and git:
#   make run    set up, migrate, load the Ulm catalogue and demo data, serve on http://127.0.0.1:8000
#   make test   set up and run every check and test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup lint typecheck clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/library db upgrade
	$(BIN)/library seed --demo
	@echo ""
	@echo "  Stadtbibliothek Ulm is starting on http://$(HOST):$(PORT)"
	@echo "  Sign in as demo staff at http://$(HOST):$(PORT)/login"
	@echo "    e-mail:   staff@demo.ulm.example"
	@echo "    password: demo-staff-2026"
	@echo "  API documentation: http://$(HOST):$(PORT)/schema"
	@echo ""
	$(BIN)/library serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
