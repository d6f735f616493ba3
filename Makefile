# The README's commands. Each creates the virtualenv first when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONTRACT_CHECK := ../shared/tools/contract_check.py

.PHONY: demo test lint typecheck venv bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows examples/workflows/*.yml .github/workflows/*.yml
	$(BIN)/python scripts/lint_workflows.py
	$(BIN)/python scripts/lint_iam.py
	$(BIN)/python scripts/check_pins.py
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/hadolint Dockerfile
	@if [ -f $(CONTRACT_CHECK) ]; then $(BIN)/python $(CONTRACT_CHECK); \
	else echo "contract: $(CONTRACT_CHECK) not found, skipped"; fi

typecheck: $(STAMP)
	$(BIN)/mypy

# Every test: the default run with the lifecycle property at its full 200 sequences (or
# LIFECYCLE_EXAMPLES=2000 make test), then the container test, which a plain `pytest` leaves out
# (pyproject.toml says why).
LIFECYCLE_EXAMPLES ?= 200
test: lint typecheck
	LIFECYCLE_EXAMPLES=$(LIFECYCLE_EXAMPLES) $(BIN)/pytest
	$(BIN)/pytest -m container

# Benchmarks (not part of the tests). The aws CLI and psql are the hand-made alternatives they compare with.
bench: $(STAMP)
	$(BIN)/pip install --disable-pip-version-check -q awscli==1.46.3
	$(BIN)/python bench/purge_bench.py
	$(BIN)/python bench/compare.py
	$(BIN)/python bench/mask_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
