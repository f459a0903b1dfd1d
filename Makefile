# Quiet Door: `make run` starts the product, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VAR ?= $(or $(QD_VAR_DIR),var)
APP_VENV := .venv
RASA_VENV := .venv-rasa
PY := $(APP_VENV)/bin/python
RASA_PY := $(RASA_VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
PY311 ?= $(shell ops/find-python 3.11)
PY310 ?= $(shell ops/find-python 3.10)

export PYTHONPATH := $(CURDIR)
export QD_VAR_DIR := $(abspath $(VAR))
export QD_ACTIONS_URL ?= http://127.0.0.1:5055
export RASA_TELEMETRY_ENABLED := false
export RASA_CACHE_DIRECTORY := $(abspath $(VAR))/rasa-cache
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Rasa's dependencies print pages of deprecation notices that hide the results.
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::PendingDeprecationWarning
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# pip warns once per package about local index folders this machine's pip configuration names.
PIP_QUIET := 2>&1 | { grep -v "^WARNING: Location .* is ignored" || true; }

MODEL := $(VAR)/models/quietdoor.tar.gz
RASA_ARGS := --domain bot/domain --data data --config config.yml
MODEL_INPUTS := config.yml $(shell find bot data -type f -name '*.yml' 2>/dev/null)
REPORTS := $(VAR)/reports
CHROMIUM := /usr/bin/chromium
# The gateway's danger classifier, built in its own venv (torch stays out of the gateway's).
BUILD_VENV := .venv-build
DANGER_MODEL := $(VAR)/models/danger/classifier.json
DANGER_INPUTS := requirements/danger-build.txt requirements/danger-build.lock \
	$(wildcard data/nlu/*.yml) channels/danger/training.yml channels/danger/build.py \
	channels/danger/examples.py channels/danger/semantic.py

.PHONY: help install run staff-user rotate-keys backup restore telegram-webhook test lint validate test-stories test-nlu test-actions test-app bench browser clean

help:
	@echo "make run    start the product on embedded defaults (sets itself up on first use)"
	@echo "make model    build both models once, to ship in var/models/ (README, Deploying at scale)"
	@echo "make migrate  bring the database to this version's schema (a deploy step; safe twice at once)"
	@echo "make serve    start on prebuilt models and a migrated database, never training (production)"
	@echo "make prod-up  the production topology on this machine: Caddy (https://localhost:8443), 2 gateways, 2 Rasa workers, PostgreSQL, Redis"
	@echo "make prod-down  stop everything make prod-up started"
	@echo "make test   run every test (lint, Rasa data and stories, NLU cross-validation, pytest)"
	@echo "make bench  measure latency and throughput (see bench/)"
	@echo "make backup   seal the database and its keys to QD_BACKUP_PUBLIC_KEY (BACKUP_DIR=...)"
	@echo "make restore FROM=folder [FORCE=1]  restore one with QD_BACKUP_KEY(_FILE); see README"
	@echo "make telegram-webhook  tell Telegram where to send the bot's messages (see README)"

install: $(APP_VENV)/.installed $(RASA_VENV)/.installed

$(APP_VENV)/.installed: requirements/app.txt requirements/app.lock
	rm -rf $(APP_VENV)
	$(PY311) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install --quiet -r requirements/app.txt -c requirements/app.lock $(PIP_QUIET)
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt requirements/rasa.lock
	rm -rf $(RASA_VENV)
	$(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet -r requirements/rasa.txt -c requirements/rasa.lock $(PIP_QUIET)
	touch $@

# Trained again only when the conversation (config, domain, data) changed.
# The NLU pipeline's sentence encoder is the danger model's (bot/nlu/sentence_encoder.py).
$(MODEL): $(MODEL_INPUTS) $(wildcard bot/nlu/*.py) $(DANGER_MODEL) | $(RASA_VENV)/.installed
	$(RASA) train $(RASA_ARGS) --out $(VAR)/models --fixed-model-name quietdoor --quiet
	touch $@

$(BUILD_VENV)/.installed: requirements/danger-build.txt requirements/danger-build.lock
	rm -rf $(BUILD_VENV)
	$(PY311) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install --quiet -r requirements/danger-build.txt -c requirements/danger-build.lock $(PIP_QUIET)
	touch $@

# Built again only when its data, code or build requirements changed; offline, about a minute.
.PHONY: danger-model
danger-model: $(DANGER_MODEL)
$(DANGER_MODEL): $(DANGER_INPUTS) | $(BUILD_VENV)/.installed
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error \
	  PYTHONWARNINGS=ignore $(BUILD_VENV)/bin/python -m channels.danger.build \
	  --nlu data/nlu --out $(VAR)/models/danger 2>&1 | { grep -v "^WARNING:root:Please consider" || true; }

# Both models, built once (on a build machine) and copied to each server's var/models/.
.PHONY: model migrate serve
model: $(MODEL) $(DANGER_MODEL)

# The schema to head under a lock (api/migrate.py): once per deploy, before the gateways start.
# A production gateway never migrates itself; it refuses a database that is not at head.
migrate: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m api.migrate

# make run trains and migrates on this machine, so production starts with make serve instead.
ifeq ($(QD_ENV),production)
run:
	@echo "QD_ENV=production: make run would train the model on this server. Build it with make model on a build machine, copy var/models/, then make migrate and make serve." >&2; exit 2
else
run: install $(MODEL) $(DANGER_MODEL) migrate
	$(PY) -m ops.run
endif

# Refuses to start (nothing started) without the prebuilt models or, in production, with a
# database not at head or any unsafe setting (ops/preflight.py).
serve: $(APP_VENV)/.installed
	$(PY) -m ops.run

# The production topology on one machine, under var/prod/ (ops/prod.py, deploy/): Caddy with its
# internal CA -> two gateway replicas -> two Rasa workers + actions -> PostgreSQL + Redis, with
# QD_ENV=production and keys in QD_PROD_SECRETS (~/.config/quietdoor-prod/secrets.env). Needs the
# prebuilt models; installs caddy, redis-server and postgresql-15 with apt-get as root.
.PHONY: prod-up prod-down
prod-up: $(APP_VENV)/.installed $(RASA_VENV)/.installed
	$(PY) -m ops.prod up

prod-down: $(APP_VENV)/.installed
	$(PY) -m ops.prod down

# Staff accounts: QD_NEW_PASSWORD='...' make staff-user EMAIL=lead@landlord.example ROLE=manager
staff-user: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m api.staff.cli create-user --email "$(EMAIL)" --role "$(ROLE)" --team "$(or $(TEAM),resolution)"

# Registers PUBLIC_BASE_URL/webhooks/telegram/webhook with Telegram, with TELEGRAM_SECRET_TOKEN.
telegram-webhook: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m channels.telegram.register

# After putting a new key first in QD_MASTER_KEYS (old one still listed): re-wrap every data key.
rotate-keys: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m api.crypto rotate

# Encrypted backups (README "Backups"): two files sealed to QD_BACKUP_PUBLIC_KEY, in a new
# folder under BACKUP_DIR. The default is on this machine: copy each backup off it.
BACKUP_DIR ?= $(VAR)/backups
backup: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m ops.backup create --to "$(BACKUP_DIR)"

# Restore one (the gateway stopped): then migrations run and retention is applied again at once.
# Not under ops.dev_secrets: a fresh install's generated keys are not the backup's.
restore: $(APP_VENV)/.installed
	@test -n "$(FROM)" || { echo "usage: make restore FROM=backup-folder [FORCE=1]" >&2; exit 2; }
	$(PY) -m ops.backup restore "$(FROM)" $(if $(FORCE),--force)

# Check the hash-chained audit log: "audit chain intact: N events", or where it is broken (exit 1).
.PHONY: audit-verify retention
audit-verify: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m api.audit verify

# Delete closed cases past retention and expire old follow-up codes now (the gateway also does
# this every QD_RETENTION_POLL_HOURS). Prints counts only.
retention: $(APP_VENV)/.installed
	$(PY) -m ops.dev_secrets $(PY) -m api.retention

lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .

validate: $(RASA_VENV)/.installed
	$(RASA) data validate $(RASA_ARGS) --fail-on-warnings

test-stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors \
		--out $(REPORTS)/stories

# Held-out phrasings (never in data/) guard emergency recall; the cross-validation report is kept
# under var/reports/nlu-cv as the artifact.
HELDOUT_PREDICTIONS := $(REPORTS)/heldout/predictions.json

# How the real model reads tests/heldout (written apart from data/); gates in the module.
$(HELDOUT_PREDICTIONS): $(MODEL) $(wildcard tests/heldout/*.yml) tests/heldout_intents.py \
		actions/signpost_needs.py actions/housing_options.py
	$(RASA_PY) -m tests.heldout_intents $(MODEL) $(REPORTS)/heldout

test-nlu: $(MODEL) $(HELDOUT_PREDICTIONS)
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu_holdout --domain bot/domain \
		--out $(REPORTS)/nlu-holdout --quiet
	$(RASA_PY) -m tests.nlu_report $(REPORTS)/nlu-holdout --min-emergency-recall 0.9
	$(RASA) test nlu --nlu data/nlu --config config.yml --domain bot/domain --cross-validation \
		--folds 3 --out $(REPORTS)/nlu-cv --quiet
	$(RASA_PY) -m tests.nlu_report $(REPORTS)/nlu-cv --min-weighted-f1 0.80

test-actions: $(RASA_VENV)/.installed $(DANGER_MODEL) redis-server
	$(RASA_PY) -m pytest tests/actions -q

# Debian's Redis for the sealed tracker store's tests (tests/actions, tests/e2e): each starts its
# own throwaway server on a free loopback port with nothing on disk (ops/services/redis.py).
.PHONY: redis-server
redis-server:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else echo "Install Redis: sudo apt-get install redis-server" >&2; exit 1; fi; }

# Debian's Caddy for the production topology's test (tests/ops/test_prod_topology.py).
.PHONY: caddy
caddy:
	@command -v caddy >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >/dev/null; \
	  else echo "Install Caddy: sudo apt-get install caddy" >&2; exit 1; fi; }

# Debian's PostgreSQL 15 for the database tests (tests/api run them on SQLite and PostgreSQL): one
# throwaway cluster per run under var/test-services/ (ops/services/postgres.py), unless
# QD_TEST_POSTGRES_URL names a server or QD_TEST_POSTGRES=off turns PostgreSQL off.
.PHONY: postgresql
postgresql:
	@test -n "$$QD_TEST_POSTGRES_URL" || [ "$$QD_TEST_POSTGRES" = off ] || test -x /usr/lib/postgresql/15/bin/pg_ctl || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null; \
	  else echo "Install PostgreSQL 15: sudo apt-get install postgresql-15" >&2; exit 1; fi; }

test-app: $(APP_VENV)/.installed $(MODEL) $(DANGER_MODEL) browser redis-server postgresql caddy
	$(PY) -m pytest tests --ignore=tests/actions -q

# Held-out danger sentences (tests/heldout): recall of the gateway's danger check must stay 1.0.
.PHONY: test-danger
test-danger: $(APP_VENV)/.installed $(DANGER_MODEL) $(HELDOUT_PREDICTIONS)
	$(PY) -m tests.danger_report --rasa $(HELDOUT_PREDICTIONS)

test: lint validate test-stories test-actions test-app test-nlu test-danger

# Debian's Chromium for the browser tests; Playwright never downloads a browser of its own.
# axe-core (package-lock.json) for the accessibility tests, into the git-ignored node_modules.
browser: node_modules/.package-lock.json
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "Install Chromium: sudo apt-get install chromium chromium-driver" >&2; exit 1; fi; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

bench: install $(MODEL) $(DANGER_MODEL)
	$(PY) -m bench.chat_latency
	$(PY) -m bench.danger_latency

clean:
	rm -rf $(APP_VENV) $(RASA_VENV) $(BUILD_VENV) $(VAR)/models $(VAR)/rasa-cache $(REPORTS)
