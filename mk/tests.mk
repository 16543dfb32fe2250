# The checks on the main core. Included by the Makefile; uses its PY, BIN, PYTEST_WORKERS and collection targets.
#
# test-pytest runs every pytest test (tests/: unit, emulator, receiver, integration, role and demo end to end) in
# one session on PYTEST_WORKERS pytest-xdist workers; most of these tests wait for phones to ring or servers to
# answer, so they overlap well. The subsets below run one folder each, for working on it.

TEST_TARGETS += test-pytest test-docs test-lint test-sanity test-help
TEST_TARGETS += test-mypy

.PHONY: test-pytest test-unit test-integration test-docs test-lint test-sanity sanity test-help browser
.PHONY: test-mypy

# Headless Chromium for the HTML report's filter and search tests: Debian's chromium, installed when it is missing and
# this runs as root (as CI does); elsewhere the script says what to install and those tests skip. Under CI=true a
# missing Chromium fails the run instead, so that CI never skips them.
browser: ## headless Chromium for the report tests (devtools/ensure_chromium.sh: installs Debian's chromium as root)
	@sh devtools/ensure_chromium.sh $(if $(filter true,$(CI)),--strict)

test-pytest: collection browser ## every pytest test on the main core, on PYTEST_WORKERS workers (pytest-xdist)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal

test-unit: collection ## unit tests (tests/unit, mirroring plugins/)
	$(PY) -m pytest -q tests/unit

test-integration: collection ## ansible-playbook runs of the modules and lookups against the emulator
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal tests/integration/test_laaffic_*.py

# ansible-doc exits 0 even for a plugin it cannot load: the output must name the plugin and no error.
test-docs: collection ## every module's, plugin's and filter's documentation renders with ansible-doc
	@set -e; for f in plugins/modules/*.py plugins/lookup/*.py plugins/inventory/*.py plugins/filter/*.yml; do n=$$(basename $${f%.*}); \
	  t=$$(basename $$(dirname $$f)); [ $$t = modules ] && t=module; echo "ansible-doc -t $$t laaffic.voice.$$n"; \
	  out=$$($(BIN)/ansible-doc -t $$t laaffic.voice.$$n 2>&1); \
	  if echo "$$out" | grep -qE '\[(WARNING|ERROR)\]|ERROR!|Error loading|was not found'; then echo "$$out"; exit 1; fi; \
	  echo "$$out" | grep -q "laaffic.voice.$$n"; done

test-lint: collection ## ansible-lint, production profile
	$(BIN)/ansible-lint --profile production --offline

# What mypy checks, and how strictly, is in mypy.ini; the plugins' imports resolve through the collection link.
test-mypy: collection ## mypy on the typed core: plugins/module_utils, plugins/plugin_utils, devtools (mypy.ini)
	$(PY) -m mypy

# The recipe (a copy of the tree, the offline get-pip stand-in) is shared with the other cores in mk/matrix.mk.
test-sanity sanity: collection ## ansible-test sanity on the main core (SANITY_ARGS, e.g. --test pylint)
	$(MAKE) --no-print-directory sanity-core-$(MAIN_CORE) MATRIX_SANITY_ARGS="$(SANITY_ARGS)"

# Every .PHONY target (as make expands them) must have a `## ` line, so that `make help` names it.
test-help: ## every public target has a `make help` line
	@phony=$$($(MAKE) --no-print-directory -pRrq : 2>/dev/null | sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | sort -u); \
	  listed=$$(awk -F':[^#]*## ' '/^[a-zA-Z0-9$$(). _-]+:[^=]*## / {print $$1}' $(MAKEFILE_LIST) | tr ' ' '\n' | while read -r t; do \
	    case $$t in *'$$(1)'*) for c in $(CORES); do echo "$${t//\$$(1)/$$c}"; done;; ?*) echo "$$t";; esac; done | sort -u); \
	  missing=$$(comm -23 <(echo "$$phony") <(echo "$$listed")); \
	  if [ -n "$$missing" ]; then echo "test-help: no '## ' line for:" $$missing; exit 1; fi; \
	  echo "test-help: all $$(echo "$$phony" | wc -l) public targets are in make help"
