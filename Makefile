# dlcourse: two commands on a fresh machine (Python 3.11):
#   make demo   install everything into .venv and grade the bundled examples
#   make test   install everything into .venv and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= build/demo

.PHONY: install demo test lint build lab clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[torch,tf,dev,jupyter,browser,cluster]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/dlcourse demo --out $(OUT)

test: install lint
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check autograder course_utils tests benchmarks solutions
	$(BIN)/ruff format --check autograder course_utils tests benchmarks
	$(BIN)/mypy autograder course_utils

build: install
	$(BIN)/dlcourse build

lab: install
	$(BIN)/jupyter lab assignments/

clean:
	rm -rf $(VENV) build .pytest_cache
