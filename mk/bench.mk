# Benchmarks: scripts in bench/ that print measured numbers and the machine (never pass/fail), and the plot
# that turns their bench/results/*.json into docs/benchmarks.md and docs/benchmarks.png. Included by the Makefile.
# `make bench` runs BENCH_TARGETS one after the other (never in parallel: they measure), then bench-plot.

BENCH_EMULATOR_ARGS ?=
BENCH_RECEIVER_ARGS ?=
BENCH_CALL_ARGS ?=
BENCH_PHONES_ARGS ?=
BENCH_PROVISION_ARGS ?=
BENCH_PLOT_STAMP := $(VENV)/.bench-plot-installed

BENCH_TARGETS += bench-emulator bench-receiver bench-call bench-phones
BENCH_TARGETS += bench-provision
BENCH_TARGETS += bench-report
BENCH_TARGETS += bench-fleet
BENCH_REPORT_ARGS ?=

.PHONY: bench-report
bench-report: collection ## smoke test reports of 10,000 phones: cost in a playbook, opening the HTML in headless Chromium (bench/results/report.json)
	-sh devtools/ensure_chromium.sh
	$(PY) bench/bench_report.py $(BENCH_REPORT_ARGS)

.PHONY: bench-emulator bench-receiver bench-call bench-phones bench-plot
.PHONY: bench-provision bench-fleet
BENCH_FLEET_ARGS ?=

bench-fleet: collection ## the fleet path: 1,000 and 10,000 inventory-plugin phones through laaffic.voice.smoke_test against an empty play and the calls alone (bench/results/fleet.json)
	PYTHONPATH=$(COLLECTIONS):$$PYTHONPATH $(PY) bench/bench_fleet.py $(BENCH_FLEET_ARGS)

bench-emulator: venv ## emulator sendSip throughput and latency on the fleet scenario (BENCH_EMULATOR_ARGS)
	$(PY) bench/bench_emulator.py $(BENCH_EMULATOR_ARGS)

bench-receiver: venv ## receiver pushes/s and acknowledgement latency on loopback (BENCH_RECEIVER_ARGS)
	$(PY) bench/bench_receiver.py $(BENCH_RECEIVER_ARGS)

bench-call: collection ## laaffic_call against the ansible.builtin.uri way, 50 to 1,000 phones (writes bench/results/scaling.json)
	$(PY) bench/bench_call.py $(BENCH_CALL_ARGS)

bench-phones: collection ## listing 1,000 phones (fleet scenario) through the inventory plugin and laaffic_phone_info, time per page
	PYTHONPATH=$(COLLECTIONS):$$PYTHONPATH $(PY) bench/bench_phones.py $(BENCH_PHONES_ARGS)

bench-provision: collection ## desk_phone_config over 1,000 inventory-plugin phones: empty play, first render, rerun (writes bench/results/provision.json)
	$(PY) bench/bench_provision.py $(BENCH_PROVISION_ARGS)

# matplotlib is installed for this target only.
$(BENCH_PLOT_STAMP): $(STAMP)
	$(PY) -m pip install --quiet 'matplotlib>=3.7'
	@touch $@

bench-plot: $(BENCH_PLOT_STAMP) ## bench/results/*.json into docs/benchmarks.md and docs/benchmarks.png
	$(PY) bench/plot_results.py
