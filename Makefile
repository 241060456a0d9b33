# portalkit developer commands.
#
#   make demo     run the example portal on http://127.0.0.1:5000 with the demo data
#                 (kept in portalkit-demo.db between runs; ARGS="--fresh" starts anew,
#                 ARGS="--guest" lets visitors in without signing in)
#   make test     run the whole test suite; pass pytest options with ARGS="-k policy -x"
#                 (make demo ARGS="--port 8000" passes options to the demo)
#   make lint     ruff, mypy --strict on src/, and the typing tests
#   make docs     build the documentation with warnings as errors (docs/_build/html)
#   make dist     build sdist + wheel, twine check, and smoke-test the wheel in a fresh venv
#   make mutation mutation testing of src/portalkit/domain/ (mutmut), the score per module;
#                 MODULES="policy resolver" limits it to those modules
#   make mutation-check  the CI gate: the policy modules and resolver at 95 % or more
#   make clean    remove build artefacts, caches and the demo database
#                 (make distclean also removes .venv)
#
# Every target does its own set-up from a fresh clone: it creates the virtualenv
# with `$(PYTHON) -m venv` when it is missing and installs the project editable.
# A stamp file per install set makes re-runs instant until pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
ARGS ?=

BIN := $(VENV)/bin
PY := $(BIN)/python
DEV_EXTRAS := test,lint,docs,postgres,flask,django,phone,email,i18n,release,mutation
#: Every demo page: Flask, and phonenumbers for sign-in and registration by phone.
DEMO_EXTRAS := flask,phone
DEMO_DB := portalkit-demo.db
DIST_DIR := dist
DOCS_OUT := docs/_build/html
MODULES ?=
#: The modules CI gates on, and their minimum score (issue #28): the policy is
#: policy.py and the _policy_* modules split out of it (issue 19 item 6).
GATED_MODULES := policy _policy_accounts _policy_compile _policy_decisions _policy_pages resolver
GATE_SCORE := 95

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help demo test lint lint-ruff lint-mypy lint-typing docs dist mutation mutation-check \
	clean distclean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

$(PY):
	$(PYTHON) -m venv $(VENV)

# Everything a contributor needs: tests, linters, docs, packaging tools.
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --editable '.[$(DEV_EXTRAS)]'
	@touch $@

# What the demo needs; reuses the development install when that is current.
# The Makefile is a prerequisite too: a change of DEMO_EXTRAS installs again.
$(VENV)/.installed-demo: pyproject.toml Makefile | $(PY)
	@if [ -f $(VENV)/.installed-dev ] && [ $(VENV)/.installed-dev -nt pyproject.toml ]; then \
		echo "using the development install in $(VENV)"; \
	else \
		echo "$(PY) -m pip install --quiet --editable '.[$(DEMO_EXTRAS)]'"; \
		$(PY) -m pip install --quiet --editable '.[$(DEMO_EXTRAS)]'; \
	fi
	@touch $@

demo: $(VENV)/.installed-demo
	$(PY) -m examples.flask_app --database sqlite:///$(DEMO_DB) $(ARGS)

test: $(VENV)/.installed-dev
	$(PY) -m pytest $(ARGS)

# Three independent checks; `make -k lint` runs all of them even when one fails.
lint: lint-ruff lint-mypy lint-typing

lint-ruff: $(VENV)/.installed-dev
	$(PY) -m ruff check .

lint-mypy: $(VENV)/.installed-dev
	$(PY) -m mypy --strict src/portalkit

lint-typing: $(VENV)/.installed-dev
	$(PY) -m mypy --strict typing_tests

docs: $(VENV)/.installed-dev
	$(PY) -m sphinx -E -W --keep-going -q -b html docs $(DOCS_OUT)
	@echo "docs built in $(DOCS_OUT)/index.html"

dist: $(VENV)/.installed-dev
	rm -rf $(DIST_DIR) build/dist-smoke
	$(PY) -m build --outdir $(DIST_DIR) .
	$(PY) -m twine check --strict $(DIST_DIR)/*
	$(PY) .ci/check_dist.py $(DIST_DIR)
	$(PYTHON) -m venv build/dist-smoke
	build/dist-smoke/bin/python -m pip install --quiet $(DIST_DIR)/*.whl
	cd build && dist-smoke/bin/python -c 'import importlib.resources as r, portalkit; \
		assert r.files("portalkit").joinpath("py.typed").is_file(), "py.typed missing"; \
		print("wheel OK: portalkit", portalkit.__version__, "from", portalkit.__file__)'
	@if [ -f src/portalkit/__main__.py ]; then \
		echo "cd build && dist-smoke/bin/python -m portalkit demo"; \
		cd build && dist-smoke/bin/python -m portalkit demo; \
	fi

# mutmut keeps results in mutants/ and reruns only what changed in src/, not what
# changed in tests/: start from nothing so that the figures are those of the tree.
# One worker, because the machine is shared; the memory cap is in tests/conftest.py.
mutation: $(VENV)/.installed-dev
	rm -rf mutants
	mkdir -p build
	$(BIN)/mutmut run --max-children 1 $(foreach m,$(MODULES),"portalkit.domain.$(m).*") \
		> build/mutmut.log 2>&1 || { tail -n 30 build/mutmut.log; exit 1; }
	$(PY) .ci/mutation_score.py $(if $(MODULES),--modules $(MODULES))

mutation-check: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory mutation MODULES="$(GATED_MODULES)"
	$(PY) .ci/mutation_score.py --modules $(GATED_MODULES) --fail-under $(GATE_SCORE) --survivors

clean:
	rm -rf build $(DIST_DIR) mutants docs/_build .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov
	rm -f $(DEMO_DB) $(DEMO_DB)-journal $(DEMO_DB)-wal $(DEMO_DB)-shm
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
