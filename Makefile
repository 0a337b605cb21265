# make demo: create .venv if missing, install, run the main job.
# make test: create .venv if missing, install with test extras, run every test.
# make test-oldest: the models in the oldest onnxruntime pyproject.toml allows (CI runs both).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-oldest lint bench clean

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

# make test-oldest: every converter's model and the demo's, built with defaults, run in the oldest
# onnxruntime pyproject.toml allows (in its own .venv-oldest, with the numpy it needs).
OLDEST_VENV ?= .venv-oldest
ORT_OLDEST := $(shell sed -n 's/.*"onnxruntime>=\([0-9.]*\)".*/\1/p' pyproject.toml)

test-oldest: $(STAMP)
	test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q "onnxruntime==$(ORT_OLDEST).*" "numpy<2"
	rm -rf build/oldest-models
	$(PY) tests/oldest_runtime/export_models.py build/oldest-models
	$(OLDEST_VENV)/bin/python tests/oldest_runtime/check_models.py build/oldest-models

bench: $(STAMP)
	$(PY) benchmarks/bench_chain.py
	$(PY) benchmarks/bench_render.py
	$(PY) benchmarks/bench_converters.py
	$(PY) benchmarks/bench_numpy.py

clean:
	rm -rf $(VENV) $(OLDEST_VENV) build *.egg-info
