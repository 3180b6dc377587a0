# The two set-up commands (see README): `make demo` and `make test`.
# Each creates .venv on first use and installs the project with its test tools.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test sim bench lint clean setup-system

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[node,bench,postgres,dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/chainbook demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest

sim: $(BIN)/.installed
	$(BIN)/chainbook simulate --seeds 1000

bench: $(BIN)/.installed
	$(BIN)/chainbook bench

# System packages (the PostgreSQL server the index tests run against): needs root.
setup-system:
	bash ci/system-packages.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
