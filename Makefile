# OpenMASH: `make run` for the demo, `make test` for the whole test suite.
# While working: `make check` (lint, types and every test but the browser journeys, no
# Chromium needed) and `make browser` (the Playwright journeys).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS := frontend/dist/.built
DEMO_PORT ?= 8000
# pytest-xdist workers: one per core ("auto"); each worker has its own test database.
# TEST_WORKERS=0 runs the tests in one process, in file order.
TEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup
# The browser journeys drive Debian's Chromium; point elsewhere to use another build.
OPENMASH_CHROMIUM ?= /usr/bin/chromium
export OPENMASH_CHROMIUM

.PHONY: run serve test check browser chromium lint typecheck assets install migrate demo-data clean bench

run: install assets migrate demo-data
	@echo ""
	@echo "OpenMASH is starting on http://127.0.0.1:$(DEMO_PORT) (Ctrl+C to stop)."
	@echo "Background tasks (deadline reminders, email retries, audit log seals, dormant accounts) run beside it; emails go to var/sent-emails/."
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --no-reload -v0 & \
	$(PY) manage.py deadline_alerts --every 300 >/dev/null & \
	$(PY) manage.py deliver_events --every 60 >/dev/null & \
	$(PY) manage.py seal_audit --every 300 >/dev/null & \
	$(PY) manage.py account_lifecycle --every 3600 >/dev/null & \
	$(PY) manage.py runserver 127.0.0.1:$(DEMO_PORT)

# The production server (gunicorn, gunicorn.conf.py) with the production settings, in the
# foreground. Needs SECRET_KEY, DATABASE_URL (PostgreSQL) and ALLOWED_HOSTS in the
# environment; the background loops run beside it (deploy/*.service, README).
serve: install assets
	@for name in SECRET_KEY DATABASE_URL ALLOWED_HOSTS; do \
	  if [ -z "$$(printenv $$name)" ]; then \
	    echo "make serve needs $$name in the environment (README: Deploying on a Debian server)."; \
	    exit 1; fi; done
	DJANGO_SETTINGS_MODULE=openmash.settings.production $(PY) manage.py migrate --no-input -v0
	DJANGO_SETTINGS_MODULE=openmash.settings.production $(PY) manage.py createcachetable
	DJANGO_SETTINGS_MODULE=openmash.settings.production $(PY) manage.py collectstatic --no-input -v0
	DJANGO_SETTINGS_MODULE=openmash.settings.production exec $(VENV)/bin/gunicorn -c gunicorn.conf.py

test: install chromium assets lint typecheck
	$(PYTEST)

check: install lint typecheck
	$(PYTEST) -m "not browser"

browser: install chromium assets
	$(PYTEST) -m browser

chromium:
	@test -x "$(OPENMASH_CHROMIUM)" || { \
	  echo "The browser journeys need Chromium, and there is none at $(OPENMASH_CHROMIUM)."; \
	  echo "Install Debian's package: sudo apt-get install chromium"; \
	  echo "(or set OPENMASH_CHROMIUM to another Chromium's path). make check runs everything else."; \
	  exit 1; }

lint: install
	$(VENV)/bin/ruff check openmash tests bench
	$(VENV)/bin/ruff format --check openmash tests bench
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy openmash

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

$(ASSETS): frontend/package.json frontend/package-lock.json frontend/build.mjs
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $(ASSETS)

assets: $(ASSETS)

migrate: install
	$(PY) manage.py migrate --no-input -v0

demo-data: migrate
	$(PY) manage.py seed_demo --if-empty

bench: install assets
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var staticfiles
