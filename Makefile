# Two commands after cloning: `make run` (the system) and `make test` (the tests).
SHELL := /bin/bash
PY    := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: help venv up down status topics run demo token test test-unit test-integration bench bench-hop simulate asyncapi clean \
        secrets rotate-secrets

help:
	@echo "make run    start Kafka, Postgres and the four services (Ctrl-C stops the services)"
	@echo "make demo   (in a second terminal) enroll a person, submit a claim, print the reply"
	@echo "make token ROLE=operator [SUB=alice] [REGION=430100] [INSTITUTION=H...] [PSN_NO=...] [TTL=3600]"
	@echo "            a bearer token for the HTTP APIs (docs/security.md)"
	@echo "make test   start what the tests need and run every test"
	@echo "make up / make down / make status   the native Kafka + Postgres stack"
	@echo "make bench  the end-to-end benchmark (make bench-hop: the messaging runtime alone)"
	@echo "make simulate  simulated hospitals sending claims (RATE=20)"
	@echo "make secrets / make rotate-secrets   the generated credentials (.stack/secrets.env, docs/security.md)"

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

# A bearer token for the HTTP APIs, signed with AUTH_SIGNING_KEY from the secrets file (docs/security.md):
#   curl -H "Authorization: Bearer $$(make -s token ROLE=auditor)" http://127.0.0.1:8104/v1/audit
token: venv
	@$(PY) -m libs.auth.token --role $(or $(ROLE),$(error ROLE=office|holder|hospital|clearing_desk|operator|auditor|service)) \
		$(if $(SUB),--sub $(SUB)) $(if $(REGION),--region $(REGION)) $(if $(INSTITUTION),--institution $(INSTITUTION)) \
		$(if $(PSN_NO),--psn-no $(PSN_NO)) $(if $(TTL),--ttl $(TTL))

test-unit: venv
	$(PY) -m pytest -m "not integration and not e2e" -p no:cacheprovider

test-integration: venv
	deploy/stack.sh up
	$(PY) -m pytest -m "integration or e2e" -p no:cacheprovider

test: venv
	deploy/stack.sh up
	$(PY) -m pytest -p no:cacheprovider

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
