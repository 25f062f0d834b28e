# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := PORTAL_ENV=development
POSTGRES_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-sqlite test-postgres lint install assets migrate demo bench fuzz fuzz-tests clean

# The install also compiles the word counter's fast path (portal/documents/_fastcount.c, see setup.py): a change
# to its source reinstalls, which rebuilds it.
$(STAMP): pyproject.toml setup.py portal/documents/_fastcount.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -c "import portal.documents._fastcount"
	touch $(STAMP)

install: $(STAMP)

node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch node_modules/.package-lock.json

portal/static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p portal/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js portal/static/vendor/htmx.min.js

assets: portal/static/vendor/htmx.min.js

migrate: install
	$(DEV_ENV) $(BIN)/flask --app wsgi db upgrade

demo: migrate
	$(DEV_ENV) $(BIN)/flask --app wsgi demo

## make run: install, migrate, seed the demo and serve http://127.0.0.1:5000 (SQLite, jobs inline).
run: install assets demo
	$(DEV_ENV) $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

## make test: the whole suite on SQLite (with the browser tests), then again on PostgreSQL.
test: install assets lint test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .

# Two workers: the suite waits on SQLite, PostgreSQL, SMTP and Chromium as much as on the CPU.
PYTEST_WORKERS ?= 2
# The PostgreSQL pass waits on the server more than on the CPU: a third worker keeps both cores busy.
POSTGRES_WORKERS ?= 3

test-sqlite: install assets
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

test-postgres: install
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(POSTGRES_ADMIN_URL)'.replace('+psycopg',''), connect_timeout=3).close()" 2>/dev/null; then \
		TEST_DATABASE=postgres POSTGRES_ADMIN_URL=$(POSTGRES_ADMIN_URL) $(BIN)/pytest -q -n $(POSTGRES_WORKERS) -m "not e2e"; \
	elif [ -n "$$REQUIRE_SERVICES" ]; then \
		echo "PostgreSQL is required (REQUIRE_SERVICES=1) but not reachable at $(POSTGRES_ADMIN_URL)"; exit 1; \
	else echo "PostgreSQL not reachable: skipping the PostgreSQL pass"; fi

## make bench: issue 11's figures side by side in one run (throwaway PostgreSQL databases seeded by
## `flask seed-scale`, pages, gunicorn, invoicing, and scripts/bench.py's word counting), written to
## docs/benchmarks.md; printed, never asserted. BENCH_ARGS scales it down, e.g. BENCH_ARGS="--submissions 20000".
bench: install
	POSTGRES_ADMIN_URL=$(POSTGRES_ADMIN_URL) $(BIN)/python scripts/bench_scale.py $(BENCH_ARGS)

# make fuzz: the word counter's compiled scanner (portal/documents/_fastcount.c) built with AddressSanitizer and
# UndefinedBehaviorSanitizer into a temporary directory (never into the installed package), then fuzzed for
# FUZZ_SECONDS by scripts/fuzz_wordcount.py (FUZZ_ARGS: e.g. --seed 1, --adversarial 50000 100000).
# make fuzz-tests: tests/documents against that sanitized build (a copy of the tree). Neither is part of `make test`.
# See docs/wordcount-fast-path.md, "Fuzzing".
FUZZ_SECONDS ?= 600
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g
SANITIZED_RUN = LD_PRELOAD=$$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	PYTHONMALLOC=malloc
define build_sanitized
	CFLAGS="$(SANITIZE)" LDFLAGS="-fsanitize=address,undefined" $(BIN)/python setup.py -q build_ext \
		--build-lib $$dir --build-temp $$dir/obj 2>&1 | grep -v -i "warn" || true; \
	so=$$(ls $$dir/portal/documents/_fastcount*.so)
endef

fuzz: install
	@dir=$$(mktemp -d /tmp/fuzz-wordcount.XXXXXX); trap 'rm -rf '$$dir EXIT; \
	$(build_sanitized); \
	$(SANITIZED_RUN) $(BIN)/python scripts/fuzz_wordcount.py --module $$so --seconds $(FUZZ_SECONDS) $(FUZZ_ARGS)

fuzz-tests: install
	@dir=$$(mktemp -d /tmp/fuzz-wordcount.XXXXXX); trap 'rm -rf '$$dir EXIT; \
	$(build_sanitized); \
	mkdir $$dir/tree && cp -r portal tests migrations templates tenants pyproject.toml setup.py wsgi.py $$dir/tree/ && \
	rm -f $$dir/tree/portal/documents/_fastcount*.so && cp $$so $$dir/tree/portal/documents/ && \
	export WORDCOUNT_CORPUS=$${WORDCOUNT_CORPUS:-$$($(BIN)/python -c "from tests.documents.corpus import corpus_dir; print(corpus_dir())")}; \
	cd $$dir/tree && $(SANITIZED_RUN) $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider tests/documents

clean:
	rm -rf instance .pytest_cache
