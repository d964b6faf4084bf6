# Two commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check fmt bench lock system-deps clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m commands.local_api template  # Prefect's migrated empty database, once
	touch $(STAMP)

venv: $(STAMP)

## main job: synthetic study (if data/raw is empty) -> ingest -> metrics -> reports -> exports
demo: $(STAMP)
	$(BIN)/dwt demo

## system packages the tests look through (chromium, pdftoppm, pspp)
system-deps:
	bash scripts/install-system-deps.sh

## lint, format check, type check and the layer contract (pyproject.toml [tool.importlinter])
check: $(STAMP)
	$(BIN)/ruff check dwt flows commands tests bench
	$(BIN)/ruff format --check dwt flows commands tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix dwt flows commands tests bench
	$(BIN)/ruff format dwt flows commands tests bench

## the whole test suite (includes `make check`)
test: $(STAMP) system-deps check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

## re-pin: resolve pyproject's ranges into requirements.lock
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet ".[dev]" setuptools
	( echo "# Exact, tested dependency set (pip freeze). Regenerate with \`make lock\` after changing pyproject.toml."; \
	  .lockvenv/bin/pip freeze --exclude dwt --all | grep -v '^pip==' ) > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) data/curated/* data/restricted reports/*.html reports/*.pdf
