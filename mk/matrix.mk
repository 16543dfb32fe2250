# ansible-core version matrix. Included by the Makefile.
#
# The main .venv (Makefile) carries ansible-core 2.19 on python3.11. This fragment adds one virtual
# environment per other supported core, each on a Python that core supports as a controller:
#   .venv-2.18  python3.11  ansible-core 2.18.x   (oldest: requires_ansible >= 2.18.0)
#   .venv-2.20  python3.12  ansible-core 2.20.x
#   .venv-2.21  python3.13  ansible-core 2.21.x   (newest)
#
#   make test-matrix              - full sanity + unit + integration on 2.18, 2.19, 2.20 and 2.21
#   make test-core-oldest-newest  - part of `make test`: sanity (all, or MATRIX_SANITY_TESTS), unit tests and
#                                   the module/plugin integration tests on the oldest (2.18) and newest (2.21) cores
#   make test-core-2.21           - one core: sanity (MATRIX_SANITY_ARGS) + unit + integration
#   make sanity-core-2.18 / pytest-core-2.18 / venv-core-2.18 - the pieces

MATRIX_CORES := 2.18 2.19 2.20 2.21
MATRIX_OLDEST := 2.18
MATRIX_NEWEST := 2.21

# The first pythonX.Y that runs: on PATH, else a pyenv installation (pyenv's shims refuse to run a
# version that is not selected, hence the check).
matrix_find_python = $(or $(firstword $(shell for p in $$(command -v python$(1) 2>/dev/null) \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(1).*/bin/python$(1) 2>/dev/null | sort -V | tail -1); do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && echo "$$p" && break; done)),$(error python$(1) not found: install it (pyenv install $(1))))
MATRIX_PYTHON_2.18 = $(call matrix_find_python,3.11)
MATRIX_PYTHON_2.19 := $(PYTHON)
MATRIX_PYTHON_2.20 = $(call matrix_find_python,3.12)
MATRIX_PYTHON_2.21 = $(call matrix_find_python,3.13)
MATRIX_SPEC_2.18 := ansible-core>=2.18,<2.19
MATRIX_SPEC_2.19 := $(ANSIBLE_CORE_SPEC)
MATRIX_SPEC_2.20 := ansible-core>=2.20,<2.21
MATRIX_SPEC_2.21 := ansible-core>=2.21,<2.22
# 2.19 is the main .venv, built by the Makefile; the others get their own.
MATRIX_VENV_2.19 := $(VENV)
MATRIX_STAMP_2.19 := $(STAMP)

# The sanity tests `make test` runs on the oldest and newest cores. Empty means all of them, which
# measured 45-60 s per core on 2 cores (pylint included); to save time, list a subset, e.g.
#   make test-core-oldest-newest MATRIX_SANITY_TESTS="validate-modules import compile ansible-doc runtime-metadata"
MATRIX_SANITY_TESTS ?=
# Extra arguments for ansible-test sanity in the matrix; empty means every test.
MATRIX_SANITY_ARGS ?=
# What pytest runs per core: tests/unit, then the integration tests: all of them in test-matrix; in
# test-core-oldest-newest those of the modules and plugins against the emulator
# (tests/integration/test_laaffic_*.py), leaving the slower role and demo end-to-end tests to the main core.
# Unit and integration tests run as two pytest sessions (test files share base names).
MATRIX_PYTEST_INTEGRATION ?= tests/integration
MATRIX_PYTEST_QUICK := $(wildcard tests/integration/test_laaffic_*.py)

TEST_TARGETS += test-core-oldest-newest

.PHONY: test-matrix test-core-oldest-newest $(foreach c,$(MATRIX_CORES),test-core-$(c) sanity-core-$(c) pytest-core-$(c) venv-core-$(c))

# $(1) = core version
define MATRIX_CORE_RULES
MATRIX_VENV_$(1) ?= .venv-$(1)
MATRIX_STAMP_$(1) ?= .venv-$(1)/.installed
MATRIX_BIN_$(1) = $$(CURDIR)/$$(MATRIX_VENV_$(1))/bin
MATRIX_SANITY_ROOT_$(1) := $$(CURDIR)/.build/sanity-$(1)/ansible_collections/laaffic/voice

ifneq ($(1),2.19)
# Everything tests/requirements.txt lists except ansible-lint (only the main venv lints; it would
# drag in its own ansible-core).
.venv-$(1)/.installed: tests/requirements.txt mk/matrix.mk
	@test -x .venv-$(1)/bin/python || $$(MATRIX_PYTHON_$(1)) -m venv .venv-$(1)
	.venv-$(1)/bin/python -m pip install --quiet --upgrade pip
	grep -v '^ansible-lint' tests/requirements.txt > .venv-$(1)/requirements.txt
	.venv-$(1)/bin/python -m pip install --quiet '$$(MATRIX_SPEC_$(1))' -r .venv-$(1)/requirements.txt
	@touch $$@
endif

venv-core-$(1): $$(MATRIX_STAMP_$(1))

# Same as the Makefile's test-sanity, for this core's venv: a copy of the files git knows about
# (tracked or not, minus the ignored ones), and the offline get-pip stand-in for the pip version
# this ansible-test pins.
sanity-core-$(1): collection $$(MATRIX_STAMP_$(1))
	@pipver=$$$$($$(MATRIX_BIN_$(1))/python -c "import re, ansible_test, os; p = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py'); print(re.search(r\"pip='([0-9.]+)'\", open(p).read()).group(1))"); \
	  mkdir -p ~/.ansible/test/cache; cp tests/utils/get_pip_substitute.py ~/.ansible/test/cache/get_pip_$$$${pipver//./_}.py
	@rm -rf $$(MATRIX_SANITY_ROOT_$(1)) && mkdir -p $$(MATRIX_SANITY_ROOT_$(1))
	@git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test ! -e "$$$$1" || cp --parents "$$$$1" $$(MATRIX_SANITY_ROOT_$(1))/' _ {}
	@# A repository of its own: otherwise ansible-test lists files with the checkout's git, which ignores .build/.
	@git -C $$(MATRIX_SANITY_ROOT_$(1)) init -q
	cd $$(MATRIX_SANITY_ROOT_$(1)) && PATH=$$(MATRIX_BIN_$(1)):$$$$PATH $$(MATRIX_BIN_$(1))/ansible-test sanity --venv \
	  --python $$$$($$(MATRIX_BIN_$(1))/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no $$(MATRIX_SANITY_ARGS)

# Unit and integration tests with this core's python, ansible-playbook and module interpreter.
pytest-core-$(1): collection $$(MATRIX_STAMP_$(1))
	PATH=$$(MATRIX_BIN_$(1)):$$$$PATH ANSIBLE_PYTHON_INTERPRETER=$$(MATRIX_BIN_$(1))/python \
	  $$(MATRIX_BIN_$(1))/python -m pytest -q -p no:cacheprovider tests/unit
	PATH=$$(MATRIX_BIN_$(1)):$$$$PATH ANSIBLE_PYTHON_INTERPRETER=$$(MATRIX_BIN_$(1))/python \
	  $$(MATRIX_BIN_$(1))/python -m pytest -q -p no:cacheprovider $$(MATRIX_PYTEST_INTEGRATION)
	@echo "pytest-core-$(1): passed with ansible-core $$$$($$(MATRIX_BIN_$(1))/python -c 'from ansible.release import __version__; print(__version__)') (tests/unit $$(MATRIX_PYTEST_INTEGRATION))"

test-core-$(1): sanity-core-$(1) pytest-core-$(1)
endef

$(foreach c,$(MATRIX_CORES),$(eval $(call MATRIX_CORE_RULES,$(c))))

test-matrix:
	@set -e; for c in $(MATRIX_CORES); do $(MAKE) --no-print-directory test-core-$$c; done
	@echo "test-matrix: sanity, unit and integration passed on ansible-core $(MATRIX_CORES)"

test-core-oldest-newest:
	@set -e; for c in $(MATRIX_OLDEST) $(MATRIX_NEWEST); do \
	  $(MAKE) --no-print-directory test-core-$$c MATRIX_SANITY_ARGS="$(addprefix --test ,$(MATRIX_SANITY_TESTS))" \
	    MATRIX_PYTEST_INTEGRATION="$(MATRIX_PYTEST_QUICK)"; done
	@echo "test-core-oldest-newest: passed on ansible-core $(MATRIX_OLDEST) and $(MATRIX_NEWEST)"

.PHONY: clean-matrix
clean-matrix:
	rm -rf $(foreach c,$(filter-out 2.19,$(MATRIX_CORES)),.venv-$(c) .build/sanity-$(c))
