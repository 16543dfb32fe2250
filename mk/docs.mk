# Documentation site (antsibull-docs + Sphinx) and documentation/changelog lint.
# Included by the Makefile; uses its VENV, PY, BIN, STAMP and collection targets. The plugin pages of the
# site are generated from the code, the guides come from docs/docsite/rst/, the landing page is
# docs/site/index.rst.

DOCS_STAMP := $(VENV)/.docs-installed
DOCS_DEST := $(CURDIR)/docs/build
# Every tool the docs, changelog, release and EE targets need, at exact versions (docs/requirements.txt);
# kept out of tests/requirements.txt.
DOCS_REQUIREMENTS := docs/requirements.txt

TEST_TARGETS += test-docs-site test-docs-lint test-changelog

.PHONY: docs docs-tools test-docs-site test-docs-lint test-changelog changelog changelog-release

$(DOCS_STAMP): $(STAMP) $(DOCS_REQUIREMENTS)
	$(PY) -m pip install --quiet -r $(DOCS_REQUIREMENTS)
	@touch $@

docs-tools: $(DOCS_STAMP) ## install the pinned docs toolchain (docs/requirements.txt) into .venv

# sphinx-init writes conf.py and antsibull-docs.cfg for the collection as found on ANSIBLE_COLLECTIONS_PATH (the
# link made by `make collection`), with docs/site/index.rst as the landing page; docs/site/conf_offline.py
# switches intersphinx off so the build reads nothing from the network. Then the steps of the build.sh that
# sphinx-init writes (its requirements.txt is not used: docs/requirements.txt pins the toolchain), plus the
# guides' images, which antsibull-docs does not copy. Sphinx runs nitpicky with warnings as errors.
docs: collection $(DOCS_STAMP) ## the HTML documentation site in docs/build/build/html/ (fails on any warning)
	@rm -rf $(DOCS_DEST) && mkdir -p $(DOCS_DEST) && chmod 700 $(DOCS_DEST)
	$(BIN)/antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir $(DOCS_DEST) \
	  --index-rst-source docs/site/index.rst \
	  --project 'laaffic.voice' --copyright 'laaffic.voice contributors' \
	  --title 'laaffic.voice collection' --html-short-title 'laaffic.voice' laaffic.voice >/dev/null
	@cat docs/site/conf_offline.py >> $(DOCS_DEST)/conf.py
	@mkdir -p $(DOCS_DEST)/rst && chmod og-w $(DOCS_DEST)/rst
	cd $(DOCS_DEST) && $(BIN)/antsibull-docs --config-file antsibull-docs.cfg collection --fail-on-error \
	  --cleanup everything --use-current --dest-dir rst laaffic.voice
	cp -r docs/docsite/rst/images $(DOCS_DEST)/rst/collections/laaffic/voice/docsite/
	cd $(DOCS_DEST) && $(BIN)/sphinx-build -M html rst build -c . -W --keep-going -q
	@echo "make docs: open docs/build/build/html/index.html"

# The site build of `make test`: `make docs`, timed.
test-docs-site: ## part of make test: the documentation site builds with no warning (make docs)
	@start=$$(date +%s); $(MAKE) --no-print-directory docs >/dev/null; \
	  echo "test-docs-site: the site built with no warning in $$(( $$(date +%s) - start )) s"

# Also: every release tarball a document names (laaffic-voice-X.Y.Z.tar.gz, outside the changelogs, which name
# past releases) is galaxy.yml's version.
test-docs-lint: collection $(DOCS_STAMP) ## antsibull-docs lint of plugin docs, collection references and extra docs; tarball versions
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs \
	  --validate-collection-refs self --check-extra-docs-refs .
	@v=$$(sed -n 's/^version: *//p' galaxy.yml); \
	  stale=$$(git grep -nIoE 'laaffic-voice-[0-9]+\.[0-9]+\.[0-9]+[^ `/]*\.tar\.gz' -- . ':!changelogs' ':!docs/CHANGELOG.md' \
	    | grep -vF "laaffic-voice-$$v.tar.gz"); \
	  if [ -n "$$stale" ]; then echo "test-docs-lint: tarballs named with another version than galaxy.yml's $$v:"; echo "$$stale"; exit 1; fi; \
	  echo "test-docs-lint: every tarball named in the docs is galaxy.yml's version $$v"

test-changelog: $(DOCS_STAMP) ## antsibull-changelog lint of the fragments and changelog.yaml
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# Render docs/CHANGELOG.md and changelogs/CHANGELOG.rst from changelogs/changelog.yaml.
changelog: collection $(DOCS_STAMP) ## render docs/CHANGELOG.md and changelogs/CHANGELOG.rst
	$(BIN)/antsibull-changelog generate

# Record the release of galaxy.yml's version: moves changelogs/fragments/*.yml into changelog.yaml,
# lists new modules, plugins and roles from their version_added, and renders the changelog files.
changelog-release: collection $(DOCS_STAMP) ## record the release of galaxy.yml's version in the changelog
	$(BIN)/antsibull-changelog release

.PHONY: clean-docs
clean-docs: ## remove the built documentation site
	rm -rf docs/build
