# The main job: the desk-phone smoke test end to end on the bundled emulator and report receiver
# (demo/README.md), and its tests. Included by the Makefile; uses its PY, PYTEST_WORKERS and collection targets.
# `make test` runs these tests within test-pytest (mk/tests.mk).

.PHONY: demo-smoke test-smoke

demo-smoke: collection ## start the receiver and the emulator on loopback, run demo/smoke_test.yml, print the report paths, stop both
	$(PY) demo/run_demo.py

test-smoke: collection ## end-to-end tests of the demo and of the desk_phone_smoke_test role
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/integration/test_demo.py tests/integration/test_role_smoke_test.py
