# The emulator's SIP side (docs/emulator.md "SIP side"): Kamailio, SIPp and baresip from Debian packages.
# Included by the Makefile. sip-deps installs them when missing and running as root (devtools/ensure_sip.sh);
# test-pytest (mk/tests.mk) runs tests/sip with everything else and gets sip-deps as a prerequisite here, and so
# does `make emulator` when EMULATOR_SIP_PORT is set (mk/emulator.mk).

.PHONY: sip-deps test-sip bench-sip

BENCH_SIP_ARGS ?=
BENCH_TARGETS += bench-sip

sip-deps: ## install Kamailio, SIPp and baresip when missing (root: apt-get; otherwise says what to install)
	@bash devtools/ensure_sip.sh

test-pytest: sip-deps

# make demo-provision works at the SIP level (demo/run_provision.py) when the packages are there
demo-provision: sip-deps
test-provision: sip-deps

test-sip: venv sip-deps ## the SIP-level tests (tests/sip: real registrations and calls through the emulator's SIP side)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/sip

bench-sip: collection sip-deps ## 1,000 SIP-registered phones: registration, the calls to ringing against simulated phones, Kamailio and SIPp memory and CPU (bench/results/sip.json)
	PYTHONPATH=$(COLLECTIONS):$$PYTHONPATH $(PY) bench/bench_sip.py $(BENCH_SIP_ARGS)
