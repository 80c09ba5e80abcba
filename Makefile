# One entry point for setting up, running and testing corridors.
# `make run`  : fresh virtual environment, install, run the main job on the bundled data -> out/
# `make test` : fresh virtual environment with test extras, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test venv venv-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

venv-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

run: venv
	$(BIN)/corridors programme -o $(OUT)

test: venv-test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
