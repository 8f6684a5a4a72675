# Two commands after cloning: `make run` (the system) and `make test` (the tests).
SHELL := /bin/bash
PY    := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: help venv up down status topics run demo test test-unit test-integration bench bench-hop simulate asyncapi clean \
        secrets rotate-secrets test-ui ui-deps console-assets

help:
	@echo "make run    start Kafka, Postgres and the four services (Ctrl-C stops the services)"
	@echo "make demo   (in a second terminal) enroll a person, submit a claim, print the reply"
	@echo "make test   start what the tests need and run every test"
	@echo "make up / make down / make status   the native Kafka + Postgres stack"
	@echo "make bench  the end-to-end benchmark (make bench-hop: the messaging runtime alone)"
	@echo "make simulate  simulated hospitals sending claims (RATE=20)"
	@echo "make secrets / make rotate-secrets   the generated credentials (.stack/secrets.env, docs/security.md)"
	@echo "make test-ui   the console in a real browser (Debian's Chromium; make ui-deps installs it)"

$(VENV_STAMP): requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(VENV_STAMP)

venv: $(VENV_STAMP)

# The secrets file first (Kafka's and Postgres' passwords come from it), then the stack, then the
# broker's SCRAM users, ACLs and topics as admin (libs/messaging/admin.py).
up: venv secrets
	deploy/stack.sh up
	$(PY) -m libs.messaging.admin

secrets:
	python3 deploy/secrets.py ensure

# New passwords in the running broker and Postgres, then in the file; restart `make run` afterwards.
rotate-secrets: venv
	deploy/stack.sh up
	$(PY) -m deploy.secrets rotate

down:
	deploy/stack.sh down

status:
	deploy/stack.sh status

run: up
	$(PY) -m deploy.run_services

demo: venv
	$(PY) -m libs.hospital.demo

test-unit: venv
	$(PY) -m pytest -m "not integration and not e2e" -p no:cacheprovider

test-integration: venv ui-deps
	deploy/stack.sh up
	$(PY) -m pytest -m "integration or e2e" -p no:cacheprovider

test: venv ui-deps
	deploy/stack.sh up
	$(PY) -m pytest -p no:cacheprovider

# The console's browser tests drive Debian's Chromium with Playwright (never a downloaded browser);
# a CJK font so Chinese pages render in screenshots. Installed as root when missing.
CHROMIUM ?= /usr/bin/chromium
ui-deps:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)); \
	  else echo "ui-deps: as root, run apt-get install chromium fonts-wqy-microhei (the console's browser tests skip without it)"; fi; \
	fi

test-ui: venv ui-deps
	deploy/stack.sh up
	$(PY) -m pytest tests/ui -p no:cacheprovider

# Chart.js for the console, from the npm registry, into the console's static files (committed; see
# services/console/entrypoints/static/vendor/README.md). Nothing is fetched at run time.
CHARTJS_VERSION ?= 4.6.1
CONSOLE_VENDOR := services/console/entrypoints/static/vendor
console-assets:
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null && tar xzf chart.js-$(CHARTJS_VERSION).tgz && \
	  cp package/dist/chart.umd.min.js $(CURDIR)/$(CONSOLE_VENDOR)/ && cp package/LICENSE.md $(CURDIR)/$(CONSOLE_VENDOR)/LICENSE.chart.js.md && \
	  rm -rf $$tmp
	sha256sum $(CONSOLE_VENDOR)/chart.umd.min.js

asyncapi: venv
	$(PY) -m libs.contracts.asyncapi > docs/asyncapi.json

bench: up
	$(PY) -m tests.bench.run

bench-hop: up
	$(PY) -m tests.bench.hop

simulate: up
	$(PY) -m libs.hospital.simulator --rate $(or $(RATE),20)

clean:
	rm -rf .venv .stack .pytest_cache
