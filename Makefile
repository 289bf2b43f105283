# Every target that needs the project depends on .venv/.installed, so `make test` and
# `make demo` each work on a fresh machine with only python3.11 and git.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install test lint demo bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU wheel first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: install
	$(BIN)/ruff check miner trainer rules tests bench examples

test: install lint
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q

demo: install
	OMP_NUM_THREADS=1 $(BIN)/python examples/demo.py

bench: install
	$(BIN)/python bench/mine_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
