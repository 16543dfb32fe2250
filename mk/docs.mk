# Documentation site (antsibull-docs + Sphinx) and documentation/changelog lint.
# Included by the Makefile; uses its VENV, PY, BIN, STAMP and collection targets. The plugin pages of the
# site are generated from the code, the guides come from docs/docsite/rst/.

DOCS_STAMP := $(VENV)/.docs-installed
DOCS_DEST := $(CURDIR)/docs/build
# Tools only the docs, changelog, release and EE targets need; kept out of tests/requirements.txt.
# Sphinx and its theme come with `make docs`, from the requirements.txt that sphinx-init writes.
DOCS_TOOLS := 'antsibull-docs>=2.28,<3' 'antsibull-changelog>=0.36' 'ansible-builder>=3.1'

TEST_TARGETS += test-docs-lint test-changelog

.PHONY: docs docs-tools test-docs-lint test-changelog changelog changelog-release

$(DOCS_STAMP): $(STAMP) mk/docs.mk
	$(PY) -m pip install --quiet $(DOCS_TOOLS)
	@touch $@

docs-tools: $(DOCS_STAMP) ## install antsibull-docs, antsibull-changelog and ansible-builder into .venv

# sphinx-init writes conf.py, build.sh and requirements.txt for the collection as found on
# ANSIBLE_COLLECTIONS_PATH (the link made by `make collection`). Intersphinx is switched off so the
# build reads nothing from the network.
docs: collection $(DOCS_STAMP) ## the HTML documentation site in docs/build/build/html/
	@rm -rf $(DOCS_DEST) && mkdir -p $(DOCS_DEST) && chmod 700 $(DOCS_DEST)
	$(BIN)/antsibull-docs sphinx-init --use-current --dest-dir $(DOCS_DEST) \
	  --project 'laaffic.voice' --copyright 'laaffic.voice contributors' \
	  --title 'laaffic.voice collection' --html-short-title 'laaffic.voice' laaffic.voice
	@printf '%s\n' '' '# Added by mk/docs.mk: build offline. Links to the Ansible documentation (labels outside' \
	  '# this collection) cannot be resolved without its inventory and are left as plain text.' \
	  'intersphinx_mapping = {}' \
	  "nitpick_ignore_regex = [(r'(std:)?ref', r'(?!ansible_collections\.laaffic\.voice\.).*')]" >> $(DOCS_DEST)/conf.py
	$(PY) -m pip install --quiet -r $(DOCS_DEST)/requirements.txt
	cd $(DOCS_DEST) && ./build.sh
	@echo "make docs: open docs/build/build/html/index.html"

test-docs-lint: collection $(DOCS_STAMP) ## antsibull-docs lint of plugin docs, collection references and extra docs
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs \
	  --validate-collection-refs self --check-extra-docs-refs .

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
