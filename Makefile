# Marlin: `make run` serves the API with demo data (SQLite, reactions in-process);
# `make test` runs the whole suite against PostgreSQL, Redis and a real Celery worker.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/marlin
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run reset-demo migrate test test-postgres test-sqlite lint format bench faults clean

# The client (client/) is installed, not linked: a change to it installs it again.
CLIENT_SOURCES := client/pyproject.toml $(wildcard client/src/marlin_client/*.py client/src/marlin_client/*/*.py)

$(STAMP): requirements.txt requirements-dev.txt $(CLIENT_SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Not in debug mode, so every error is the API's JSON shape. The secret key is made once and kept
# in the file settings read when SECRET_KEY is unset, so plain `manage.py` works afterwards too.
SECRET_FILE := $(or $(MARLIN_SECRET_KEY_FILE),$(or $(MARLIN_DATA_DIR),data)/secret_key)
RUN_ENV = DEBUG=$${DEBUG:-0}

$(SECRET_FILE):
	mkdir -p $(dir $(SECRET_FILE))
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $(SECRET_FILE)

run: install $(SECRET_FILE)
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py serve $(ADDR)

# The embedded demo database `make run` serves, and the files SQLite keeps beside it in WAL mode.
DEMO_DB := $(or $(MARLIN_DATA_DIR),data)/marlin.sqlite3

# Back to a freshly seeded demo: only the demo database goes, never the secret key, the
# virtualenv or the simulation's own database (`manage.py simulate` recreates that itself).
# Refused when DATABASE_URL names another database, which this must never empty or seed.
reset-demo: install $(SECRET_FILE)
	@test -z "$$DATABASE_URL" || { echo "reset-demo resets the embedded SQLite demo only: unset DATABASE_URL" >&2; exit 1; }
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite on PostgreSQL (with Redis and real Celery workers) and, beside it, again on
# SQLite for everything that does not need PostgreSQL's row locks. The PostgreSQL pass waits on
# its database and workers for much of its time and keeps about one core busy, so the two passes
# run at once (the SQLite pass touches neither PostgreSQL nor Redis): the SQLite pass writes to
# SQLITE_LOG, shown when both are done; either failing fails the run.
SQLITE_LOG := data/test-sqlite.log

test: install
	$(BIN)/ruff check .
	@mkdir -p data
	@echo "SQLite pass running beside the PostgreSQL pass; its output goes to $(SQLITE_LOG)"
	@$(MAKE) --no-print-directory test-sqlite > $(SQLITE_LOG) 2>&1 & sqlite=$$!; \
	$(MAKE) --no-print-directory test-postgres; postgres=$$?; \
	wait $$sqlite; lite=$$?; \
	echo "---- SQLite pass ($(SQLITE_LOG)) ----"; cat $(SQLITE_LOG); \
	echo "PostgreSQL pass exit $$postgres, SQLite pass exit $$lite"; \
	test $$postgres -eq 0 && test $$lite -eq 0

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_BROKER_URL=$${TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

# A file, not :memory:, so threads see the same locking (WAL, busy timeout) as the embedded mode.
test-sqlite: install
	mkdir -p data
	DATABASE_URL=sqlite:///$(CURDIR)/data/test-main.sqlite3 SQLITE_TEST_NAME=$(CURDIR)/data/test.sqlite3 \
		$(BIN)/pytest -m "not postgres_only and not worker" -q $(PYTEST_ARGS)

# Issue 12's table in one run (under 10 minutes): a fresh database named BENCH_DB (marlin_bench) on
# the server DATABASE_URL names, the Redis broker TEST_BROKER_URL names, and for the workday gunicorn
# on BENCH_PORT (8741). BENCH_ARGS="--quick" is a smaller smoke run; "--only workday" runs one step.
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_BROKER_URL=$${TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(BIN)/python -m bench $(BENCH_ARGS)

# Issue 15's fault run: a workday over HTTP while the Celery worker is SIGKILLed (twice), PostgreSQL
# restarted, Redis stopped and a gunicorn worker killed mid-request; then every check of README
# "Outages and the fault run". It restarts the local PostgreSQL cluster and Redis: not on a shared
# server. FAULTS_ARGS="--quick" is the suite's reduced run.
faults: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_BROKER_URL=$${TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(BIN)/python -m bench.faults $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) data staticfiles
