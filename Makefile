# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# requirements.txt / requirements-dev.txt name what we use; the .lock files pin every package
# installed (dependencies included) with its hashes, and are what gets installed. See README.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links --no-emit-index-url

.PHONY: run test lint setup migrate demo messages lock browser

$(STAMP): requirements.lock requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(STAMP)

setup: $(STAMP)

# Recompile both locks from the requirements files, keeping every pin that still fits. The dev
# lock first; the runtime lock (Dockerfile) is held to its versions, so production runs what CI
# tested. Upgrade a dependency's dependency: make lock LOCK_ARGS="--upgrade-package requests".
lock: export CUSTOM_COMPILE_COMMAND = make lock
lock: $(STAMP)
	$(BIN)/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) --output-file requirements-dev.lock requirements-dev.txt
	$(BIN)/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) --constraint requirements-dev.lock \
		--output-file requirements.lock requirements.txt

migrate: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py sync_beat_schedule
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	PATH="$(CURDIR)/$(BIN):$$PATH" bin/run-all

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Chromium for the browser tests: installed when possible, else they skip with the reason printed.
browser:
	@bin/install-browser || echo "browser tests will be skipped: installing chromium failed"

test: $(STAMP) lint browser
	$(BIN)/pytest $(PYTEST_ARGS)

messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l pt_BR --ignore=.venv --ignore=staticfiles --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv
