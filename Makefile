# laaffic.voice developer entry points. `make demo` and `make test` are all a new user needs:
# each creates its own virtual environment (.venv) and installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
ANSIBLE_CORE_SPEC ?= ansible-core>=2.19,<2.20
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
COLLECTIONS := $(CURDIR)/.build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/laaffic/voice

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_PYTHON_INTERPRETER := $(PY)
export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(CURDIR):$(COLLECTIONS):$(CURDIR)/servers:$(CURDIR)/tests

# Each mk/*.mk fragment adds its own targets and appends to these lists.
TEST_TARGETS := test-unit test-integration test-docs test-lint test-sanity
BENCH_TARGETS := bench-call

.PHONY: help venv collection demo test bench bench-call sanity test-unit test-integration test-docs test-lint test-sanity clean
help:
	@echo "make demo    - run the main job (see README)"
	@echo "make test    - run the whole test suite"
	@echo "make bench   - run the benchmarks and print measured numbers"
	@echo "make emulator / make receiver - start the local LAAFFIC emulator / report receiver"

$(STAMP): tests/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '$(ANSIBLE_CORE_SPEC)' -r tests/requirements.txt
	@touch $@

venv: $(STAMP)

# The repository root is the collection root; ansible finds it through this link.
collection: $(STAMP)
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)

-include mk/*.mk

# The main job: the desk-phone smoke test on the bundled emulator and receiver (mk/demo.mk).
demo: demo-smoke

test: $(TEST_TARGETS)
	@echo "make test: all of [$(TEST_TARGETS)] passed"

bench: $(BENCH_TARGETS)

# laaffic_call against the ansible.builtin.uri way on the emulator's fleet (writes bench/results/scaling.json).
bench-call: collection
	$(PY) bench/bench_call.py $(BENCH_CALL_ARGS)

test-unit: collection
	$(PY) -m pytest -q tests/unit

# ansible-playbook runs of the modules and lookups against the emulator (started and stopped by the tests).
test-integration: collection
	$(PY) -m pytest -q tests/integration/test_laaffic_*.py

# Every module and plugin's documentation must render (ansible-doc exits 0 even for a plugin it cannot load).
test-docs: collection
	@set -e; for f in plugins/modules/*.py plugins/lookup/*.py; do n=$$(basename $$f .py); t=$$(basename $$(dirname $$f)); \
	  [ $$t = modules ] && t=module; echo "ansible-doc -t $$t laaffic.voice.$$n"; \
	  out=$$($(BIN)/ansible-doc -t $$t laaffic.voice.$$n 2>&1); \
	  if echo "$$out" | grep -qE 'not found|Error loading|ERROR|WARNING'; then echo "$$out"; exit 1; fi; \
	  echo "$$out" | grep -q "laaffic.voice.$$n"; done

test-lint: collection
	$(BIN)/ansible-lint --profile production --offline

# ansible-test sanity on the main core; the recipe (a copy of the tree under ansible_collections/laaffic/voice,
# the offline get-pip stand-in) is shared with the version matrix in mk/matrix.mk.
test-sanity sanity: collection
	$(MAKE) --no-print-directory sanity-core-2.19 MATRIX_SANITY_ARGS="$(SANITY_ARGS)"

clean: clean-docs clean-matrix
	rm -rf .build $(VENV) tests/output demo/smoke-test-reports
