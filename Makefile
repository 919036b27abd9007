# 随州水务 供水信用管理系统 — set-up, run, test.
#
#   make run    install everything; Redis, a Celery worker and beat; migrate, seed the demo data,
#               serve on 127.0.0.1:8000 (scripts/run-dev.sh; Ctrl-C stops them all)
#   make test   install everything, check, makemigrations --check, then the whole pytest suite
#
# Both work on a fresh Debian 12 machine with Python 3.11: the first run installs the
# Debian packages (as root), creates .venv and installs requirements.txt; later runs only
# check (dpkg -s, a stamp file) and are fast and offline.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Debian packages the stack needs: a CJK font and HarfBuzz's subsetter + Pango for
# WeasyPrint (without libharfbuzz-subset0 a PDF page takes seconds), poppler-utils
# (pdftotext in the PDF tests), Chromium for the browser tests, Redis for `make run`'s Celery broker.
APT_PACKAGES := fonts-wqy-microhei libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
                poppler-utils chromium redis-server
# The services the tests use for real (their clients come with them); the machine normally has
# them, CI installs them if absent.
CI_APT_PACKAGES := postgresql redis-server

# `make run` always uses SQLite and DEBUG, and its own Redis, whatever the shell has exported.
RUN_ENV := env -u DATABASE_URL -u DATABASE_URL_FILE -u REDIS_URL -u REDIS_URL_FILE DEBUG=true

.PHONY: help run test install system-deps venv static lint format bench clean

# Redis on a free port, a Celery worker and beat (logs in .run/), migrate, seed_demo, runserver; Ctrl-C
# stops all of them (scripts/run-dev.sh).
run: install
	$(RUN_ENV) HOST=$(HOST) PORT=$(PORT) PYTHON=$(PY) scripts/run-dev.sh

test: install lint
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	@# pytest's own exit code is make's: 1 for failures, 5 when no test ran (both fail).
	@status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests - failing" >&2; fi; \
	exit $$status

install: system-deps venv static

help:
	@echo "make run     set up, start Redis + Celery worker + beat, migrate, seed demo data, runserver on $(HOST):$(PORT) (SQLite, DEBUG)"
	@echo "make test    set up, manage.py check, makemigrations --check, pytest (honours DATABASE_URL/REDIS_URL)"
	@echo "make install Debian packages (as root), .venv, requirements, collectstatic"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make bench   the benchmarks in bench/ on PostgreSQL (BENCH_ARGS=\"--customers 100000\")"

# Debian packages: checked with dpkg -s (fast, offline); apt-get runs only when one is missing.
system-deps:
	@missing=""; \
	pkgs="$(APT_PACKAGES)"; \
	if [ "$${CI:-}" = "true" ]; then pkgs="$$pkgs $(CI_APT_PACKAGES)"; fi; \
	for p in $$pkgs; do \
		dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != "0" ]; then \
		echo "Missing Debian packages:$$missing" >&2; \
		echo "Install them as root:  sudo apt-get update && sudo apt-get install -y$$missing" >&2; \
		exit 1; \
	fi; \
	echo "Installing Debian packages:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq; \
	apt-get install -y -qq --no-install-recommends $$missing

venv: $(VENV)/.installed

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt is newer than the last successful install.
$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Collected with DEBUG off, so the manifest that production and the tests read exists.
# whitenoise compresses every file (~15 s), so only when a static file or the stack changed.
STATIC_SOURCES := $(shell find static */static -type f 2>/dev/null)

static: staticfiles/staticfiles.json

staticfiles/staticfiles.json: $(VENV)/.installed $(STATIC_SOURCES)
	env -u DEBUG $(MANAGE) collectstatic --noinput --verbosity 0
	touch $@

# ruff's defaults change between releases: the rules are named here.
RUFF_CONFIG := --config 'line-length = 120' --extend-exclude '*/migrations/*'
RUFF_RULES  := --select E,F,W,I,UP,B,SIM --ignore E501,SIM108,SIM905

lint: venv
	$(PY) -m ruff check $(RUFF_CONFIG) $(RUFF_RULES) .
	$(PY) -m ruff format --check $(RUFF_CONFIG) .

format: venv
	$(PY) -m ruff check --fix --select I $(RUFF_CONFIG) .
	$(PY) -m ruff format $(RUFF_CONFIG) .

# Benchmarks at a large utility's size (bench/*_bench.py, each documents its figures). They
# need PostgreSQL and create their own databases next to DATABASE_URL's.
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/postgres)

# Each benchmark adds its rows (job, floor, value, goal, peak memory; bench.common.report) to
# .run/bench-results.jsonl; bench/table.py prints them as one table at the end.
bench: install
	@set -e; mkdir -p .run; : > .run/bench-results.jsonl; \
	for script in bench/*_bench.py; do \
		echo "== $$script $(BENCH_ARGS)"; \
		BENCH_RESULTS=$(CURDIR)/.run/bench-results.jsonl DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) $$script $(BENCH_ARGS); \
	done; \
	$(PY) bench/table.py .run/bench-results.jsonl

clean:
	rm -rf staticfiles .pytest_cache .ruff_cache .run
