# One entry point for setting up, running and testing corridors.
# `make run`  : fresh virtual environment, install, run the main job on the bundled data -> out/
# `make test` : fresh virtual environment with test extras, run the whole test suite
# `make test-fast` : the same without the tests marked slow (end-to-end runs, notebooks): under a minute
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test test-fast venv venv-test clean

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

test-fast: venv-test
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
