# Release checks: build the collection tarball, install it into a fresh collections path and use
# that installed copy (and its bundled emulator) from a playbook; create an execution environment
# build context that installs the tarball. Included by the Makefile.

COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
RELEASE_DIR := $(CURDIR)/.build/release
RELEASE_TARBALL := $(RELEASE_DIR)/laaffic-voice-$(COLLECTION_VERSION).tar.gz
RELEASE_COLLECTIONS := $(RELEASE_DIR)/collections
EE_DIR := $(CURDIR)/.build/ee
# Passed to ansible-builder as --build-arg when set; empty keeps ansible-builder's default base image.
EE_BASE_IMAGE ?=

TEST_TARGETS += test-release test-ee

.PHONY: release-build test-release test-ee

# Built from the checkout as a maintainer would, so that galaxy.yml's build_ignore is what keeps
# .venv, .build, test output and tarballs out (test-release checks the result).
release-build: $(STAMP) ## build .build/release/laaffic-voice-<version>.tar.gz from the checkout
	@rm -rf $(RELEASE_DIR) && mkdir -p $(RELEASE_DIR)
	$(BIN)/ansible-galaxy collection build --force --output-path $(RELEASE_DIR) .

test-release: release-build ## the tarball's contents, and the installed collection against its own emulator
	@rm -rf $(RELEASE_COLLECTIONS) && mkdir -p $(RELEASE_COLLECTIONS)
	env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH=$(RELEASE_COLLECTIONS) \
	  $(BIN)/ansible-galaxy collection install --offline --force -p $(RELEASE_COLLECTIONS) $(RELEASE_TARBALL)
	env -u PYTHONPATH $(PY) tests/release/run_release_check.py --tarball $(RELEASE_TARBALL) \
	  --collections $(RELEASE_COLLECTIONS) --bindir $(BIN)

test-ee: release-build $(DOCS_STAMP) ## ansible-builder create and introspect for the tarball
	@rm -rf $(EE_DIR) && mkdir -p $(EE_DIR)/installed
	cp tests/release/ee/execution-environment.yml tests/release/ee/requirements.yml $(EE_DIR)/
	cp $(RELEASE_TARBALL) $(EE_DIR)/laaffic-voice.tar.gz
	cd $(EE_DIR) && $(BIN)/ansible-builder create --file execution-environment.yml --context context \
	  --output-filename Containerfile \
	  $(if $(EE_BASE_IMAGE),--build-arg EE_BASE_IMAGE=$(EE_BASE_IMAGE))
	@set -e; for f in Containerfile _build/requirements.yml _build/collections/laaffic-voice.tar.gz; do \
	  test -s $(EE_DIR)/context/$$f || { echo "test-ee: $$f missing from the build context"; exit 1; }; done
	@grep -q 'ansible-galaxy collection install' $(EE_DIR)/context/Containerfile || \
	  { echo "test-ee: the Containerfile does not install collections"; exit 1; }
# What ansible-builder will pip-install for the collection once it is in the image: read from the
# installed tarball's meta/execution-environment.yml, exactly as inside the build.
	env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH=$(EE_DIR)/installed $(BIN)/ansible-galaxy collection install --offline --force -p $(EE_DIR)/installed $(RELEASE_TARBALL) > /dev/null
	$(BIN)/ansible-builder introspect --write-pip $(EE_DIR)/pip.txt --write-bindep $(EE_DIR)/bindep.txt $(EE_DIR)/installed
	@grep -Eq '^requests>=2\.28( |#|$$)' $(EE_DIR)/pip.txt || \
	  { echo "test-ee: requests>=2.28 is not among the EE's Python requirements:"; cat $(EE_DIR)/pip.txt; exit 1; }
	@echo "test-ee: build context in .build/ee/context; Python requirements: $$(grep -v '^#' $(EE_DIR)/pip.txt | tr '\n' ' ')"
