# Local LAAFFIC voice API emulator (servers/laaffic_emulator, docs/emulator.md).
# Included by the Makefile; uses its PY and venv targets (PYTHONPATH contains servers/).
# `make test` runs its tests within test-pytest (mk/tests.mk); its benchmark is in mk/bench.mk.
#
#   make emulator EMULATOR_PORT=8099 EMULATOR_SCENARIO=fleet EMULATOR_PUSH_URL=http://127.0.0.1:8098/push

EMULATOR_HOST ?= 127.0.0.1
EMULATOR_PORT ?= 8099
EMULATOR_SCENARIO ?= default
EMULATOR_PUSH_URL ?=
EMULATOR_FLEET_SIZE ?=
EMULATOR_ARGS ?=

.PHONY: emulator test-emulator

emulator: venv ## run the emulator in the foreground (EMULATOR_PORT, EMULATOR_SCENARIO, EMULATOR_PUSH_URL; Ctrl-C stops it)
	$(PY) -m laaffic_emulator --host '$(EMULATOR_HOST)' --port '$(EMULATOR_PORT)' --scenario '$(EMULATOR_SCENARIO)' \
	  $(if $(EMULATOR_PUSH_URL),--push-url '$(EMULATOR_PUSH_URL)') $(if $(EMULATOR_FLEET_SIZE),--fleet-size '$(EMULATOR_FLEET_SIZE)') $(EMULATOR_ARGS)

test-emulator: venv ## the emulator's own tests (tests/emulator)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/emulator
