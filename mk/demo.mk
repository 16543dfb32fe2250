# The main job: the desk-phone smoke test end to end on the bundled emulator and report receiver
# (demo/README.md), and its tests. Included by the Makefile; uses its PY, PYTEST_WORKERS and collection targets.
# `make test` runs these tests within test-pytest (mk/tests.mk).

.PHONY: demo-smoke test-smoke

demo-smoke: collection ## start the receiver and the emulator on loopback, run demo/smoke_test.yml, print the report paths, stop both
	$(PY) demo/run_demo.py

test-smoke: collection ## end-to-end tests of the demo and of the desk_phone_smoke_test role
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/integration/test_demo.py tests/integration/test_role_smoke_test.py

# From zero to a tested fleet on the emulator (demo/run_provision.py, demo/provision.yml): create a phone
# group, list it through the laaffic_phones inventory plugin, write the phones' provisioning files,
# smoke-test every new phone. Its tests run within test-pytest; bench-phones (mk/bench.mk) times listing
# 1,000 phones.

.PHONY: demo-provision test-provision

demo-provision: collection ## the whole loop on the emulator: create phones, list them as inventory, write their configuration, smoke-test them
	$(PY) demo/run_provision.py

test-provision: collection ## tests of the desk_phone_config role and of the provisioning demo
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/integration/test_role_desk_phone_config.py tests/integration/test_demo_provision.py
