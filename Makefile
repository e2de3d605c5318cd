# Set-up and everyday tasks. Every target creates .venv and installs skser into it when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.skser-installed
# The CPU build of torch is installed before the package so that pip does not resolve a
# (multi-gigabyte) CUDA build. On a GPU machine: make TORCH_SPEC="torch" test
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test lint docs bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,plot]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/skser demo

lint: $(STAMP)
	$(VENV)/bin/ruff check skser tests examples benchmarks

test: $(STAMP) lint
	$(PY) -m pytest -n 2

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	$(PY) -m sphinx -W -b html docs docs/_build/html

bench: $(STAMP)
	$(PY) benchmarks/bench_mea.py
	$(PY) benchmarks/bench_edrl.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build .pytest_cache .hypothesis
