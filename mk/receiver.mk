# The LAAFFIC status report receiver (the package roles/report_receiver/files/laaffic_receiver) and its tests.
# Included by the Makefile; uses its PY, venv and collection targets.
# `make test` runs its tests within test-pytest (mk/tests.mk); its benchmark is in mk/bench.mk.
#
# `make receiver` listens on RECEIVER_HOST:RECEIVER_PORT (127.0.0.1:8098) with the database RECEIVER_DB.
# Secrets never reach the terminal, the recipe text or a process's command line: RECEIVER_SECRET / RECEIVER_TOKEN
# reach the receiver through the environment (make passes variables given on its command line to the recipe's
# environment; the recipe reads them as shell variables, so `make -n` and `make --trace` show no secret either).
# When one is not given it is taken from RECEIVER_CREDENTIALS (created mode 0600 with a generated push secret and
# read token on first use, kept for the next runs); only that file's name is printed, with the port and a hint.
# Giving them in the environment (RECEIVER_SECRET=... make receiver) also keeps them out of make's own command line.

RECEIVER_HOST ?= 127.0.0.1
RECEIVER_PORT ?= 8098
RECEIVER_DB ?= .build/receiver/reports.db
RECEIVER_CREDENTIALS ?= $(dir $(RECEIVER_DB))credentials
RECEIVER_SECRET ?=
RECEIVER_TOKEN ?=
RECEIVER_ALLOW ?=
# the directory holding the package; the receiver runs as `python -m laaffic_receiver` with it on PYTHONPATH
RECEIVER_DIR := roles/report_receiver/files

.PHONY: receiver test-receiver

receiver: venv ## run the report receiver in the foreground (RECEIVER_PORT, RECEIVER_DB, RECEIVER_SECRET, RECEIVER_TOKEN; never printed)
	@mkdir -p $(dir $(RECEIVER_DB)) $(dir $(RECEIVER_CREDENTIALS))
	@creds='$(RECEIVER_CREDENTIALS)'; from='as given (RECEIVER_SECRET, RECEIVER_TOKEN)'; \
	if [ -z "$${RECEIVER_SECRET:-}" ] || [ -z "$${RECEIVER_TOKEN:-}" ]; then \
	  if [ ! -s "$$creds" ]; then \
	    (umask 077 && $(PY) -c 'import secrets; print("secret=%s\ntoken=%s" % (secrets.token_urlsafe(24), secrets.token_urlsafe(24)))' >"$$creds") || exit 1; \
	    echo "receiver: generated a push secret and a read token into $$creds (mode 0600)"; fi; \
	  chmod 600 "$$creds" || exit 1; \
	  RECEIVER_SECRET="$${RECEIVER_SECRET:-$$(sed -n 's/^secret=//p' "$$creds")}"; \
	  RECEIVER_TOKEN="$${RECEIVER_TOKEN:-$$(sed -n 's/^token=//p' "$$creds")}"; \
	  from="in $$creds (lines secret= and token=)"; fi; \
	echo "receiver: listening on http://$(RECEIVER_HOST):$(RECEIVER_PORT) (port $(RECEIVER_PORT)), database $(RECEIVER_DB); Ctrl-C stops it"; \
	echo "receiver: push URL http://$(RECEIVER_HOST):$(RECEIVER_PORT)/push/<secret>, read API with Authorization: Bearer <token>; secret and token $$from"; \
	RECEIVER_SECRET="$$RECEIVER_SECRET" RECEIVER_TOKEN="$$RECEIVER_TOKEN" RECEIVER_HOST='$(RECEIVER_HOST)' RECEIVER_PORT='$(RECEIVER_PORT)' \
	  RECEIVER_DB='$(RECEIVER_DB)' RECEIVER_ALLOW='$(RECEIVER_ALLOW)' PYTHONPATH='$(RECEIVER_DIR)' exec $(PY) -m laaffic_receiver

test-receiver: collection ## tests of the receiver and of the report_receiver role (tests/receiver)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/receiver
