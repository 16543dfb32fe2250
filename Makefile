# laaffic.voice developer entry points. `make demo` and `make test` are all a new user needs: each creates
# the virtual environments it uses and installs what they need. `make help` lists every public target.
#
# Read top to bottom:
#   1. settings: the supported ansible-core versions and the main one
#   2. one virtual environment per core, created once and reused; the collection link ansible loads the checkout through
#   3. the fragments in mk/, one per area; each adds its targets and appends to TEST_TARGETS or BENCH_TARGETS
#   4. demo, test, bench, help, clean
#
# Every public target has a one-line `## ` comment after its prerequisites; `make help` prints them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# 1. Settings ---------------------------------------------------------------------------------------------------

# The supported ansible-core versions (galaxy.yml's requires_ansible is >= the first), each with the Python it
# runs on as a controller here.
CORES := 2.18 2.19 2.20 2.21
CORE_PYTHON_2.18 := 3.11
CORE_PYTHON_2.19 := 3.11
CORE_PYTHON_2.20 := 3.12
CORE_PYTHON_2.21 := 3.13
# The main core: its virtual environment is .venv, and every check of `make test` runs on it.
MAIN_CORE := 2.19
OLDEST_CORE := $(firstword $(CORES))
NEWEST_CORE := $(lastword $(CORES))

# pytest-xdist workers for the test suites that mostly wait (rings, timeouts, servers starting); measured on
# 2 cores, see docs/releasing.md.
PYTEST_WORKERS ?= 4

# 2. Virtual environments and the collection link ---------------------------------------------------------------

VENV := .venv
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
# For `make emulator` (python -m laaffic_emulator). devtools is found through the .pth file below.
export PYTHONPATH := $(CURDIR)/servers

# The first pythonX.Y that runs: on PATH, else a pyenv installation (pyenv's shims refuse to run a version that
# is not selected, hence the check).
find_python = $(or $(firstword $(shell for p in $$(command -v python$(1) 2>/dev/null) \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(1).*/bin/python$(1) 2>/dev/null | sort -V | tail -1); do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && echo "$$p" && break; done)),$(error python$(1) not found: install it (pyenv install $(1))))

# One virtual environment per core: .venv for the main core, .venv-<core> for the others. The stamp file
# .installed marks it complete; it is made again only when tests/requirements.txt changes. Each gets a .pth file
# naming this checkout (as `pip install -e` would), so its Python imports devtools/ from any directory.
# Only the main core's gets ansible-lint (it would bring its own ansible-core). $(1) = core.
define CORE_VENV
VENV_$(1) := $(if $(filter $(1),$(MAIN_CORE)),$(VENV),.venv-$(1))
BIN_$(1) = $$(CURDIR)/$$(VENV_$(1))/bin
STAMP_$(1) = $$(VENV_$(1))/.installed

$$(VENV_$(1))/.installed: tests/requirements.txt
	@test -x $$(VENV_$(1))/bin/python || $$(call find_python,$$(CORE_PYTHON_$(1))) -m venv $$(VENV_$(1))
	$$(VENV_$(1))/bin/python -m pip install --quiet --upgrade pip
	$$(VENV_$(1))/bin/python -m pip install --quiet 'ansible-core==$(1).*' \
	  -r $(if $(filter $(1),$(MAIN_CORE)),tests/requirements.txt,<(grep -v '^ansible-lint' tests/requirements.txt))
	@echo '$$(CURDIR)' > "$$$$($$(VENV_$(1))/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/laaffic-voice-checkout.pth"
	@touch $$@
endef
$(foreach c,$(CORES),$(eval $(call CORE_VENV,$(c))))

.PHONY: venv collection
venv: $(STAMP) ## create .venv (the main ansible-core) with everything `make test` and `make demo` need

# The repository root is the collection root; ansible finds it through this link.
collection: $(STAMP) ## link the checkout as ansible_collections/laaffic/voice under .build/collections
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)

# 3. The fragments ----------------------------------------------------------------------------------------------

TEST_TARGETS :=
BENCH_TARGETS :=

include mk/tests.mk     # pytest suites, docs render, lint, sanity on the main core
include mk/demo.mk      # the main job: the smoke test on the bundled emulator and receiver
include mk/emulator.mk  # the LAAFFIC emulator in the foreground
include mk/sip.mk       # the emulator's SIP side: sip-deps (Kamailio, SIPp, baresip), test-sip
include mk/receiver.mk  # the report receiver in the foreground
include mk/docs.mk      # documentation site, docs lint, changelog
include mk/matrix.mk    # the other ansible-core versions
include mk/release.mk   # release tarball, installed-copy check, execution environment
include mk/bench.mk     # benchmarks (measured numbers, not pass/fail)
include mk/stress.mk    # the timing-dependent tests and the demo, repeated under CPU load

# 4. The aggregate targets --------------------------------------------------------------------------------------

.PHONY: demo test bench help clean

demo: demo-smoke ## the main job: smoke-test the demo desk phones on the bundled emulator and receiver (no account, no network)

# The checks run TEST_JOBS at a time: the pytest session (first in TEST_TARGETS, on PYTEST_WORKERS workers, mostly
# waiting for phones and servers) beside the other checks, one after the other. Each check's output is printed
# whole when it ends. TEST_JOBS=1 runs them one by one.
TEST_JOBS ?= 2

test: collection ## every check: pytest, docs, lint, sanity, oldest/newest cores, release (about 7 minutes on a fresh clone, 2 cores)
	@run=$$(date +%s)-$$$$; LAAFFIC_TEST_RUN=$$run $(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target $(TEST_TARGETS); rc=$$?; \
	  $(PY) devtools/leftovers.py --run $$run || rc=1; exit $$rc
	@echo "make test: all of [$(TEST_TARGETS)] passed"

bench: ## run every benchmark (BENCH_TARGETS, one after the other), then bench-plot
	@set -e; for t in $(BENCH_TARGETS) bench-plot; do $(MAKE) --no-print-directory $$t; done

# `target: prerequisites ## text` lines, in the order the files are read; $(1) in a template reads as <core>.
help: ## this list
	@awk -F':[^#]*## ' '/^[a-zA-Z0-9$$(). _-]+:[^=]*## / { gsub(/\$$\(1\)/, "<core>"); printf "  make %-26s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

clean: clean-docs clean-matrix ## remove the virtual environments, build trees, test output, demo reports and built docs
	rm -rf .build $(VENV) tests/output demo/smoke-test-reports
