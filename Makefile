# LeadPool: `make run` to try it, `make test` to test it. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

.DEFAULT_GOAL := help
.PHONY: help run test lint format messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("LeadPool needs Python 3.11 or newer; set PYTHON=...") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(VENV)/.installed ## Set up, load the demo organisation and serve on http://127.0.0.1:8000
	$(BIN)/leadpool migrate --noinput
	$(BIN)/leadpool demo
	$(BIN)/leadpool runserver --insecure $(ADDR)

test: $(VENV)/.installed ## Run the whole test suite (DATABASE_URL=postgres://... for PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff, formatting and missing migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/leadpool makemigrations --check --dry-run

format: $(VENV)/.installed ## Format the code and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(VENV)/.installed ## Update and compile the translations
	$(BIN)/leadpool makemessages -l zh_Hans --ignore=.venv --ignore=var --no-location --no-obsolete
	$(BIN)/leadpool compilemessages --ignore=.venv

clean: ## Remove the virtual environment and local state (var/)
	rm -rf $(VENV) var
