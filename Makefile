# Creator Academy — every target installs what it needs on a fresh machine.
#   make demo   install, prepare the embedded databases and serve http://127.0.0.1:8000
#   make test   install and run the whole suite (lint, types, unit, SQLite, PostgreSQL, browser)

SHELL := /bin/bash
.DEFAULT_GOAL := help
.SHELLFLAGS := -eu -o pipefail -c

export PATH := $(HOME)/.local/bin:$(PATH)
export UV_LINK_MODE ?= copy
PYTHON ?= python3
UV ?= uv
RUN := $(UV) run --frozen
VENV_STAMP := .venv/.synced
ASSETS_STAMP := src/academy/web/static/vendor/.built
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_BINDIR := $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
ARTIFACTS ?= test-artifacts
PYTEST_WORKERS ?= 2

.PHONY: help uv-bin apt-npm install demo serve test lint fmt typecheck contracts deploy-check openapi \
	test-sqlite test-postgres test-browser fuzz bench system-deps clean messages

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# --- installation -----------------------------------------------------------------------------

uv-bin:
	@command -v $(UV) >/dev/null 2>&1 || { \
		echo "Installing uv into the user's Python"; \
		$(PYTHON) -m pip install --user --quiet uv; }

$(VENV_STAMP): pyproject.toml uv.lock | uv-bin
	$(UV) sync --frozen
	@touch $@

$(ASSETS_STAMP): package.json package-lock.json scripts/build-assets.mjs
	@command -v npm >/dev/null 2>&1 || $(MAKE) --no-print-directory apt-npm
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	@touch $@

install: $(VENV_STAMP) $(ASSETS_STAMP)  ## Python environment from uv.lock and built front-end assets

apt-npm:
	$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm

system-deps:  ## Debian packages the tests need (PostgreSQL, Chromium, gettext, Java), only when missing
	@missing=""; \
	[ -n "$(PG_BINDIR)" ] || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# --- the two commands -------------------------------------------------------------------------

demo: install  ## Prepare the demo platform and serve it on http://127.0.0.1:8000
	$(RUN) academy demo

serve: install  ## Serve without preparing the demo
	$(RUN) academy serve

test: install system-deps  ## The whole suite, as CI runs it
	@mkdir -p $(ARTIFACTS)
	$(MAKE) --no-print-directory lint typecheck contracts deploy-check
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	@echo "All checks passed."

# --- quality gates ----------------------------------------------------------------------------

lint: install  ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

fmt: install  ## Format and auto-fix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: install  ## mypy strict with django-stubs
	$(RUN) mypy src tests bench

contracts: install  ## import-linter: engines import no Django
	$(RUN) lint-imports

deploy-check: install  ## Django's deployment checklist under production settings
	DJANGO_SETTINGS_MODULE=academy.config.settings.production \
	ACADEMY_SECRET_KEY="deploy-check-$$(openssl rand -hex 32 2>/dev/null || date +%s%N)-not-a-real-secret" \
	$(RUN) academy check --deploy --fail-level WARNING

openapi: install  ## Regenerate the committed OpenAPI snapshot
	$(RUN) academy openapi_snapshot --write

# --- test runs --------------------------------------------------------------------------------

test-sqlite: install system-deps  ## pytest on SQLite, browser tests and the API fuzz run included
	$(RUN) pytest -n $(PYTEST_WORKERS) --dist loadgroup \
		--junitxml=$(ARTIFACTS)/junit-sqlite.xml

test-postgres: install system-deps  ## pytest on a throwaway PostgreSQL cluster
	PG_BINDIR="$(PG_BINDIR)" scripts/with-postgres $(RUN) pytest -n $(PYTEST_WORKERS) \
		--dist loadgroup -m "not browser and not fuzz and not spark" \
		--junitxml=$(ARTIFACTS)/junit-postgres.xml

test-browser: install system-deps  ## Only the browser journeys
	$(RUN) pytest -m browser

fuzz: install  ## Only the property-based API fuzz run
	$(RUN) pytest -m fuzz

bench: install  ## Run every benchmark and rewrite docs/BENCHMARKS.md
	$(RUN) python -m bench

clean:  ## Remove the environment, built assets and local data
	rm -rf .venv node_modules src/academy/web/static/vendor var $(ARTIFACTS)

messages: install  ## Refresh the translation catalogs from the code, then compile them
	cd src/academy && DJANGO_SETTINGS_MODULE=academy.config.settings.test \
		$(UV) run --frozen django-admin makemessages -l es -l pt_BR --no-obsolete --no-location \
		--ignore 'tests/*' --ignore '*/tests/*'
	cd src/academy && DJANGO_SETTINGS_MODULE=academy.config.settings.test \
		$(UV) run --frozen django-admin compilemessages
