# Local LAAFFIC voice API emulator (servers/laaffic_emulator, docs/emulator.md).
# Included by the Makefile; uses its PY and venv targets (PYTHONPATH contains servers/).
# `make test` runs its tests within test-pytest (mk/tests.mk); its benchmark is in mk/bench.mk.
#
#   make emulator EMULATOR_PORT=8099 EMULATOR_SCENARIO=fleet EMULATOR_PUSH_URL=http://127.0.0.1:8098/push/<secret>

EMULATOR_HOST ?= 127.0.0.1
EMULATOR_PORT ?= 8099
EMULATOR_SCENARIO ?= default
# EMULATOR_PUSH_URL: read by the recipe from its environment only (never expanded into the recipe text)
EMULATOR_FLEET_SIZE ?=
EMULATOR_ARGS ?=
# EMULATOR_SIP_PORT: serve SIP there too (UDP and TCP; docs/emulator.md "SIP side"); EMULATOR_SIP_HOST: its address
EMULATOR_SIP_PORT ?=
EMULATOR_SIP_HOST ?= 127.0.0.1

.PHONY: emulator test-emulator

# No secret reaches the terminal, the recipe text or the emulator's command line: the push URL (its path is the
# receiver's secret) reaches the emulator through the environment (make passes variables given on its command
# line to the recipe's environment, and the emulator reads EMULATOR_PUSH_URL itself), the recipe is not echoed,
# and what is printed is the address, the scenario and a hint; the emulator's own start-up line shows the push
# URL as scheme://host:port/<hidden>.
emulator: venv $(if $(EMULATOR_SIP_PORT),sip-deps) ## run the emulator in the foreground (EMULATOR_PORT, EMULATOR_SCENARIO, EMULATOR_FLEET_SIZE, EMULATOR_PUSH_URL; never printed; Ctrl-C stops it)
	@echo "emulator: http://$(EMULATOR_HOST):$(EMULATOR_PORT)/v3 (port $(EMULATOR_PORT); 0 = ephemeral, see the line below), scenario $(EMULATOR_SCENARIO)$(if $(EMULATOR_FLEET_SIZE), + $(EMULATOR_FLEET_SIZE) fleet phones)"; \
	if [ -n "$${EMULATOR_PUSH_URL:-}" ]; then echo "emulator: push reports go to EMULATOR_PUSH_URL (its path is not printed)"; \
	else echo "emulator: no push URL (set EMULATOR_PUSH_URL=http://127.0.0.1:8098/push/<secret> to send push reports)"; fi; \
	export EMULATOR_PUSH_URL="$${EMULATOR_PUSH_URL:-}"; \
	exec $(PY) -m laaffic_emulator --host '$(EMULATOR_HOST)' --port '$(EMULATOR_PORT)' --scenario '$(EMULATOR_SCENARIO)' \
	  $(if $(EMULATOR_FLEET_SIZE),--fleet-size '$(EMULATOR_FLEET_SIZE)') \
	  $(if $(EMULATOR_SIP_PORT),--sip-port '$(EMULATOR_SIP_PORT)' --sip-host '$(EMULATOR_SIP_HOST)') $(EMULATOR_ARGS)

test-emulator: venv ## the emulator's own tests (tests/emulator)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/emulator
