# Everyday commands. `make run` for the demo, `make test` for the whole suite
# on a real PostgreSQL and Redis (started and removed by scripts/with_services.py).

VENV := .venv
PYTHON := $(VENV)/bin/python
# Touched after a successful install; pip runs again only when pyproject.toml is newer.
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
ARGS ?=

.PHONY: help install run seed manage test bench

help:
	@echo "make run    start the demo shop on http://127.0.0.1:$${PORT:-8000}/ (SQLite unless DATABASE_URL is set)"
	@echo "make seed   (re)load the demo data (ARGS='--products 1000')"
	@echo "make manage ARGS='createsuperuser'   any manage.py command with the development defaults"
	@echo "make test   run the test suite on a throwaway PostgreSQL and Redis (PYTEST_ARGS='-x tests/catalog')"
	@echo "make bench  run the benchmarks in bench/ on a throwaway PostgreSQL and Redis"

$(PYTHON):
	@if command -v python3.11 >/dev/null 2>&1; then \
		python3.11 -m venv $(VENV); \
	elif command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
		python3 -m venv $(VENV); \
	else \
		echo "The shop needs Python 3.11 (on Debian 12: apt-get install python3 python3-venv)." >&2; \
		exit 1; \
	fi

$(STAMP): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	scripts/run_dev.sh

# manage.py on a development machine: DEBUG=true unless the environment says otherwise,
# so documented commands run without a SECRET_KEY (production sets DEBUG=false and a key).
seed: $(STAMP)
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py seed_demo $(ARGS)

manage: $(STAMP)
	DEBUG=$${DEBUG:-true} $(PYTHON) manage.py $(ARGS)

test: $(STAMP)
	scripts/with_services.py $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	scripts/with_services.py $(VENV)/bin/python bench/run.py
