# hygge — one command per habit. Everything installs itself into .venv on first use.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS := dev,postgres,mssql,duckdb,delta,azure,functions
# Reinstalls when pyproject.toml or the extras change.
STAMP := $(VENV)/.installed-$(shell echo '$(EXTRAS)' | cat pyproject.toml - | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help
AZURITE_PORT ?= 10000
.PHONY: help venv demo demo-exactly-once demo-azure demo-functions test azurite azurite-start azurite-stop postgres postgres-install user-install lint format bench requirements clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create .venv and install hygge with its development tools

demo: $(STAMP) ## generate a landing zone, run `hygge go` into a parquet lake, show it worked
	$(PY) demo/run_demo.py

demo-exactly-once: $(STAMP) ## load, add rows, kill -9 a run mid-move, rerun; prove exactly-once
	$(PY) demo/exactly_once.py

demo-azure: $(STAMP) ## publish a workspace to a private Azurite, land blobs, kill -9 a run, resume, two runs at once
	$(PY) demo/azure_demo.py

demo-functions: $(STAMP) ## the Function App without its host: HTTP API, Durable replay engine, a SIGKILLed activity redelivered
	$(PY) demo/functions_demo.py

test: $(STAMP) ## lint, type-check, install as a user would, run the whole test suite
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory user-install
	$(MAKE) --no-print-directory azurite
	$(MAKE) --no-print-directory postgres-install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q

azurite: $(STAMP) ## install Azurite (npm, pinned) into .cache/azurite for the blob tests
	@if [ "$${HYGGE_TEST_NO_AZURITE:-}" = 1 ]; then echo "HYGGE_TEST_NO_AZURITE=1: no Azurite"; \
	else $(PY) -m tests.support.azurite install; fi

azurite-start: $(STAMP) ## start Azurite in the background on 127.0.0.1 (port AZURITE_PORT=10000); azurite-stop ends it
	@$(PY) -m tests.support.azurite install >/dev/null
	@if [ -f .cache/azurite.pid ] && kill -0 "$$(cat .cache/azurite.pid)" 2>/dev/null; then \
		echo "Azurite is already running (pid $$(cat .cache/azurite.pid)); make azurite-stop ends it"; \
	else \
		mkdir -p .cache/azurite-data; \
		.cache/azurite/node_modules/.bin/azurite-blob --silent --skipApiVersionCheck \
			--disableTelemetry --loose --location .cache/azurite-data --blobHost 127.0.0.1 \
			--blobPort $(AZURITE_PORT) >.cache/azurite.log 2>&1 & echo $$! >.cache/azurite.pid; \
		echo "Azurite blob service on http://127.0.0.1:$(AZURITE_PORT)/devstoreaccount1 (pid $$(cat .cache/azurite.pid), log .cache/azurite.log)"; \
		echo "Stop it with: make azurite-stop"; \
	fi

azurite-stop: ## stop the Azurite that `make azurite-start` started (by its pid file)
	@if [ -f .cache/azurite.pid ]; then kill "$$(cat .cache/azurite.pid)" 2>/dev/null || true; \
		rm -f .cache/azurite.pid; echo "Azurite stopped (its data stays in .cache/azurite-data)"; \
	else echo "no Azurite started by make azurite-start (.cache/azurite.pid is missing)"; fi

postgres-install: ## install Debian's postgresql + psqlODBC + unixODBC with apt-get when missing
	@if [ "$${HYGGE_TEST_NO_POSTGRES:-}" = 1 ]; then echo "HYGGE_TEST_NO_POSTGRES=1: no PostgreSQL"; \
	else PYTHONPATH=. $(PY) -m tests.support.postgres install; fi

postgres: $(STAMP) postgres-install ## start a PostgreSQL server for development (.cache/postgres, 127.0.0.1)
	PYTHONPATH=. $(PY) -m tests.support.postgres start

user-install: ## pip install . into a fresh venv (no extras), run help/init/list/go/journal/debug
	bash tests/install/user_install.sh $(PYTHON)

lint: $(STAMP) ## ruff (lint + format check), mypy --strict, import layering
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy hygge
	$(VENV)/bin/lint-imports

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) ## slow scale tests, then hygge against raw baselines at 2M+5M rows (BENCH_QUICK=1: ~2 min)
	$(VENV)/bin/pytest -m bench -q -p no:cacheprovider
	$(PY) bench/run.py

requirements: $(STAMP) ## regenerate requirements.txt (Functions deployment) from pyproject.toml
	$(VENV)/bin/uv pip compile pyproject.toml --extra azure --extra functions --extra postgres --extra delta \
		--python-version 3.11 --quiet --custom-compile-command "make requirements" -o requirements.txt

clean: ## remove the environment, demo output and caches
	rm -rf $(VENV) .cache .demo .demo-exactly-once .demo-azure .pytest_cache .mypy_cache .ruff_cache build *.egg-info
