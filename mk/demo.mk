# The main job: the desk-phone smoke test end to end on the bundled emulator and report receiver
# (demo/README.md), and its tests. Included by the Makefile; uses its PY and collection targets.
#
#   make demo-smoke   - start the receiver and the emulator on loopback, run demo/smoke_test.yml
#                       against demo/inventory.yml, print the summary and the report paths, stop both
#   make test-smoke   - end-to-end pytest of the demo and of the desk_phone_smoke_test role

TEST_TARGETS += test-smoke

.PHONY: demo-smoke test-smoke

demo-smoke: collection
	$(PY) demo/run_demo.py

test-smoke: collection
	$(PY) -m pytest -q tests/integration/test_demo.py tests/integration/test_role_smoke_test.py

# From zero to a tested fleet on the emulator (demo/run_provision.py, demo/provision.yml): create a phone
# group, list it through the laaffic_phones inventory plugin, write the phones' provisioning files,
# smoke-test every new phone. Tested by test-provision; bench-phones times listing 1,000 phones.
#
#   make demo-provision   - the whole loop on loopback; exits 0 when every new phone answered
#   make test-provision   - integration tests of the phone modules, the inventory plugin, the
#                           desk_phone_config role and the provisioning demo on the emulator
#   make bench-phones     - listing 1,000 phones (fleet scenario) through the inventory plugin and
#                           laaffic_phone_info, with the time per page (prints measured numbers)

TEST_TARGETS += test-provision
BENCH_TARGETS += bench-phones
BENCH_PHONES_ARGS ?=

.PHONY: demo-provision test-provision bench-phones

demo-provision: collection
	$(PY) demo/run_provision.py

test-provision: collection
	$(PY) -m pytest -q tests/integration/test_role_desk_phone_config.py tests/integration/test_demo_provision.py

bench-phones: collection
	$(PY) bench/bench_phones.py $(BENCH_PHONES_ARGS)
