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
CHROMIUM := /usr/bin/chromium
AXE := node_modules/.installed

.PHONY: run test setup lint typecheck messages clean

# Texts of pages, mails and problem details: English in the code, translated by Babel catalogues
# (German is the default language).
LOCALE := library/locale
CATALOGUES := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

$(CATALOGUES:.po=.mo): %.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

setup: $(STAMP) $(CATALOGUES:.po=.mo)

# After changing texts in code or templates: update the catalogues, then translate the new entries.
messages: $(STAMP)
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k translate:2 --no-location --sort-output -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d $(LOCALE) --width 100 --no-fuzzy-matching --ignore-obsolete

# The browser tests drive Debian's Chromium (never a downloaded browser). Installing it needs
# root; without it the browser tests skip, which CI (.ci/run, as root) does not allow.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	else echo "$(CHROMIUM) is missing and installing it needs root: the browser tests will skip"; fi

# axe-core, which checks pages for accessibility in the browser tests, from package-lock.json.
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(AXE)

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
	$(BIN)/lint-imports --no-logo

typecheck: setup
	$(BIN)/mypy

test: lint typecheck $(CHROMIUM) $(AXE)
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules test-artifacts
