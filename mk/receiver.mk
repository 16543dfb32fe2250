# The LAAFFIC status report receiver (roles/report_receiver/files/laaffic_receiver.py) and its tests.
# Included by the Makefile; uses its PY, venv and collection targets.
# `make test` runs its tests within test-pytest (mk/tests.mk); its benchmark is in mk/bench.mk.
#
# `make receiver` listens on RECEIVER_HOST:RECEIVER_PORT (127.0.0.1:8098) with the database RECEIVER_DB;
# RECEIVER_SECRET / RECEIVER_TOKEN are generated and printed once when not given (request logs never show them).

RECEIVER_HOST ?= 127.0.0.1
RECEIVER_PORT ?= 8098
RECEIVER_DB ?= .build/receiver/reports.db
RECEIVER_SECRET ?=
RECEIVER_TOKEN ?=
RECEIVER_ALLOW ?=
RECEIVER_FILE := roles/report_receiver/files/laaffic_receiver.py

.PHONY: receiver test-receiver

receiver: venv ## run the report receiver in the foreground (RECEIVER_PORT, RECEIVER_DB, RECEIVER_SECRET, RECEIVER_TOKEN)
	@mkdir -p $(dir $(RECEIVER_DB))
	@secret='$(RECEIVER_SECRET)'; token='$(RECEIVER_TOKEN)'; \
	if [ -z "$$secret" ]; then secret=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	  echo "receiver: generated push secret; push URL: http://$(RECEIVER_HOST):$(RECEIVER_PORT)/push/$$secret"; fi; \
	if [ -z "$$token" ]; then token=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	  echo "receiver: generated read token: $$token  (Authorization: Bearer <token>)"; fi; \
	echo "receiver: listening on http://$(RECEIVER_HOST):$(RECEIVER_PORT), database $(RECEIVER_DB); Ctrl-C stops it"; \
	RECEIVER_SECRET="$$secret" RECEIVER_TOKEN="$$token" RECEIVER_HOST='$(RECEIVER_HOST)' RECEIVER_PORT='$(RECEIVER_PORT)' \
	  RECEIVER_DB='$(RECEIVER_DB)' RECEIVER_ALLOW='$(RECEIVER_ALLOW)' exec $(PY) $(RECEIVER_FILE)

test-receiver: collection ## tests of the receiver and of the report_receiver role (tests/receiver)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/receiver
