# make demo: create .venv if missing, install, run the main job.
# make test: create .venv if missing, install with test extras, run every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,sklearn]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/onnxalgebra demo

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_chain.py
	$(PY) benchmarks/bench_render.py
	$(PY) benchmarks/bench_converters.py
	$(PY) benchmarks/bench_numpy.py

clean:
	rm -rf $(VENV) build *.egg-info
