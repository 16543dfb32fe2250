# Local LAAFFIC voice API emulator (servers/laaffic_emulator, docs/emulator.md).
# Included by the Makefile; uses its PY and venv targets (PYTHONPATH already contains servers/ and tests/).
#
#   make emulator         - run the emulator in the foreground (Ctrl-C stops it), e.g.
#                           make emulator EMULATOR_PORT=8099 EMULATOR_SCENARIO=fleet EMULATOR_PUSH_URL=http://127.0.0.1:8098/push
#   make test-emulator    - the emulator's own pytest suite (tests/emulator)
#   make bench-emulator   - sendSip throughput/latency on the fleet scenario with 2 and 8 keep-alive clients
#                           (prints measured numbers and the machine, writes bench/results/emulator.json)

EMULATOR_HOST ?= 127.0.0.1
EMULATOR_PORT ?= 8099
EMULATOR_SCENARIO ?= default
EMULATOR_PUSH_URL ?=
EMULATOR_ARGS ?=
BENCH_EMULATOR_ARGS ?=

TEST_TARGETS += test-emulator
BENCH_TARGETS += bench-emulator

.PHONY: emulator test-emulator bench-emulator

emulator: venv
	$(PY) -m laaffic_emulator --host '$(EMULATOR_HOST)' --port '$(EMULATOR_PORT)' --scenario '$(EMULATOR_SCENARIO)' \
	  $(if $(EMULATOR_PUSH_URL),--push-url '$(EMULATOR_PUSH_URL)') $(EMULATOR_ARGS)

test-emulator: venv
	$(PY) -m pytest -q tests/emulator

bench-emulator: venv
	$(PY) bench/bench_emulator.py $(BENCH_EMULATOR_ARGS)
