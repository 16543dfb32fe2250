# Flaky-proofing: the tests whose outcome depends on the emulator's timings (marker emulator_timing, put on
# the tests themselves) and the demo, many times in a row while other processes keep cores busy (devtools/stress.py).
# Included by the Makefile. Not part of `make test`: 20 runs take about half an hour on 2 cores.

STRESS_RUNS ?= 20
STRESS_BUSY ?= 1

.PHONY: stress

stress: collection ## the emulator_timing tests and the demo STRESS_RUNS (20) times in a row beside STRESS_BUSY (1) busy core
	$(PY) -m devtools.stress --runs $(STRESS_RUNS) --busy $(STRESS_BUSY) --workers $(PYTEST_WORKERS) --log-dir $(CURDIR)/.build/stress
