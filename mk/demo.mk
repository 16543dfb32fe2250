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
