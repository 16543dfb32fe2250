# The checks on every supported ansible-core (CORES in the Makefile), each in its own virtual environment
# (the Makefile's CORE_VENV: .venv for the main core, .venv-<core> for the others). Included by the Makefile.
#
# `make test` runs test-core-oldest-newest: on the oldest and the newest core, every sanity test, every unit
# test, and the integration tests of the modules and lookups that exercise ansible-core (argument specs, check
# mode, no_log, module_defaults, environment fallbacks, async, lookups); it leaves to the main core those marked
# core_independent (in the test files), which test only the plugins' own HTTP handling. The two cores run
# one after the other; each pytest session uses PYTEST_WORKERS workers.

# Extra arguments for ansible-test sanity; empty means every test.
MATRIX_SANITY_ARGS ?=
# What pytest runs per core; empty means every test under tests/.
MATRIX_PYTEST_ARGS ?=
MATRIX_PYTEST_CORE_PART := tests/unit $(wildcard tests/integration/test_laaffic_*.py) -m 'not core_independent'

TEST_TARGETS += test-core-oldest-newest

.PHONY: test-matrix test-core-oldest-newest clean-matrix $(foreach c,$(CORES),test-core-$(c) sanity-core-$(c) pytest-core-$(c) venv-core-$(c))

# $(1) = core
define MATRIX_CORE_RULES
MATRIX_SANITY_ROOT_$(1) := $$(CURDIR)/.build/sanity-$(1)/ansible_collections/laaffic/voice

venv-core-$(1): $$(STAMP_$(1)) ## create (once) the virtual environment of ansible-core $(1)

# devtools/sanity.py, with this core's python: puts the offline get-pip stand-in in ansible-test's cache when no
# get-pip script for the pip version this ansible-test pins is cached (a cached one is never replaced), copies the
# files git knows about into MATRIX_SANITY_ROOT_<core> (a git repository of its own), and runs ansible-test
# sanity there.
sanity-core-$(1): collection $$(STAMP_$(1)) ## ansible-test sanity on ansible-core $(1) (MATRIX_SANITY_ARGS)
	$$(BIN_$(1))/python devtools/sanity.py --core $(1) --python $(CORE_PYTHON_$(1)) \
	  --root $$(MATRIX_SANITY_ROOT_$(1)) -- $$(MATRIX_SANITY_ARGS)

# With this core's python, ansible-playbook and module interpreter.
pytest-core-$(1): collection $$(STAMP_$(1)) ## pytest on ansible-core $(1) (MATRIX_PYTEST_ARGS; empty = every test)
	PATH=$$(BIN_$(1)):$$$$PATH ANSIBLE_PYTHON_INTERPRETER=$$(BIN_$(1))/python \
	  $$(BIN_$(1))/python -m pytest -q -n $$(PYTEST_WORKERS) --dist worksteal $$(MATRIX_PYTEST_ARGS)
	@echo "pytest-core-$(1): passed with ansible-core $$$$($$(BIN_$(1))/python -c 'from ansible.release import __version__; print(__version__)')"

test-core-$(1): sanity-core-$(1) pytest-core-$(1) ## sanity and pytest on ansible-core $(1)
endef

$(foreach c,$(CORES),$(eval $(call MATRIX_CORE_RULES,$(c))))

test-matrix: ## every sanity test and every pytest test on every core in CORES
	@set -e; for c in $(CORES); do $(MAKE) --no-print-directory test-core-$$c; done
	@echo "test-matrix: sanity and pytest passed on ansible-core $(CORES)"

test-core-oldest-newest: ## part of make test: sanity, unit and the core-dependent integration tests on the oldest and newest cores
	@set -e; for c in $(OLDEST_CORE) $(NEWEST_CORE); do \
	  $(MAKE) --no-print-directory test-core-$$c MATRIX_PYTEST_ARGS="$(MATRIX_PYTEST_CORE_PART)"; done
	@echo "test-core-oldest-newest: passed on ansible-core $(OLDEST_CORE) and $(NEWEST_CORE)"

clean-matrix: ## remove the other cores' virtual environments and the sanity copies
	rm -rf $(foreach c,$(filter-out $(MAIN_CORE),$(CORES)),$(VENV_$(c))) .build/sanity-*
