# dlcourse: two commands on a fresh machine (Python 3.11):
#   make demo   install everything into .venv and grade the bundled examples
#   make test   install everything into .venv and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= build/demo

.PHONY: install demo test lint build lab clean bench bench-anchors

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[torch,tf,dev,jupyter,browser,cluster,integrations]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/dlcourse demo --out $(OUT)

test: install lint
	$(BIN)/python -m pytest -q --durations=30

lint: install
	$(BIN)/ruff check autograder course_utils tests benchmarks solutions
	$(BIN)/ruff format --check autograder course_utils tests benchmarks
	$(BIN)/mypy autograder course_utils

build: install
	$(BIN)/dlcourse build

lab: install
	$(BIN)/jupyter lab assignments/

# Benchmarks (not part of `make test`): our grader against otter-grader, nbgrader and a bare
# framework import, in one run. The anchors get their own environment (.venv-anchors).
bench-anchors:
	$(PYTHON) -m venv .venv-anchors
	.venv-anchors/bin/pip install --quiet otter-grader nbgrader "torch==2.13.0" \
		"tensorflow-cpu==2.21.0" ipykernel matplotlib tensorboard psutil
	.venv-anchors/bin/pip install --quiet --no-deps -e .

bench: install
	$(BIN)/python benchmarks/grading_throughput.py --json benchmarks/results/throughput.json
	$(BIN)/python benchmarks/check_latency.py --json benchmarks/results/check_latency.json

clean:
	rm -rf $(VENV) build .pytest_cache
