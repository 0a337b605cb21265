# make demo: create .venv if missing, install, run the main job.
# make test: create .venv if missing, install with test extras, run every test.
# make test-oldest: the models in the oldest onnxruntime, the converter tests with the oldest scikit-learn/onnx.
# make test-package: the sdist and wheel built, checked, installed and smoke-tested.
# make docs: the documentation site, warnings as errors, and its doctests (CI runs all four).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-oldest test-package docs lint bench clean coverage stubs

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,sklearn,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/onnxalgebra demo

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# make test-slow: the tests marked slow (a 2.18 GB weight, saved, checked, evaluated: ~75 s, ~9 GB of memory; a 2.16 GB
# forest: ~55-85 s, ~12 GB; ~7 GB of temporary disk; 2.5-3 min in all).
test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow tests

# make test-oldest: in its own .venv-oldest, the oldest scikit-learn, onnx, onnxruntime and pandas pyproject.toml allows
# (numpy<2 and the scipy they need): every converter's model and the demo's, exported by the newest stack with
# defaults, run in that onnxruntime; then the converter tests run there (what that scikit-learn lacks is skipped,
# with its reason).
OLDEST_VENV ?= .venv-oldest
OLDEST_PY := $(OLDEST_VENV)/bin/python
OLDEST_STAMP := $(OLDEST_VENV)/.installed
oldest = $(shell sed -n 's/.*"$(1)>=\([0-9.]*\)".*/\1/p' pyproject.toml | head -1)
ORT_OLDEST := $(call oldest,onnxruntime)
ONNX_OLDEST := $(call oldest,onnx)
SKLEARN_OLDEST := $(call oldest,scikit-learn)
PANDAS_OLDEST := $(call oldest,pandas)
# The converter tests in float32 only (-k 'not float64': the dtype where numpy 1's promotion and the old runtimes
# differ; onnxruntime 1.17 cannot load most float64 tree models anyway; make test runs float64 on the newest stack)
# and without tests/test_coverage.py (the newest stack's table of every estimator, which the converter tests cover):
# measured 3.8 to 4.6 minutes of pytest (+ 0.8 for the models) of the CI's 15 on 2 cores.
OLDEST_TESTS := tests/test_converters_*.py tests/test_dataframe.py tests/test_convert.py tests/test_attributes.py \
	tests/test_bad_inputs.py tests/test_versions.py tests/test_shape_rules.py
OLDEST_SELECT := -k "not float64"

$(OLDEST_STAMP): pyproject.toml
	test -x $(OLDEST_PY) || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_PY) -m pip install -q --upgrade pip
	$(OLDEST_PY) -m pip install -q "scikit-learn==$(SKLEARN_OLDEST).*" "onnx==$(ONNX_OLDEST).*" \
		"onnxruntime==$(ORT_OLDEST).*" "pandas==$(PANDAS_OLDEST).*" "numpy<2" "scipy<1.14" \
		networkx graphviz pytest hypothesis
	$(OLDEST_PY) -m pip install -q --no-deps -e .
	touch $(OLDEST_STAMP)

test-oldest: $(STAMP) $(OLDEST_STAMP)
	rm -rf build/oldest-models
	$(PY) tests/oldest_runtime/export_models.py build/oldest-models
	$(OLDEST_PY) tests/oldest_runtime/check_models.py build/oldest-models
	$(OLDEST_PY) -m pytest -q -p no:cacheprovider $(OLDEST_SELECT) $(OLDEST_TESTS)

# make test-package: build the sdist and the wheel, check them, install the wheel in a fresh
# environment (no extras, then the sklearn extra) and run a smoke test outside the repository.
PACKAGE_VENV := build/package-venv

test-package: $(STAMP)
	rm -rf dist $(PACKAGE_VENV) && mkdir -p build
	$(PY) -m build --sdist --wheel --outdir dist . > build/package.log 2>&1 || (cat build/package.log; exit 1)
	$(PY) -m twine check --strict dist/*
	$(PY) tests/package/check_wheel.py dist/*.whl
	$(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/python -m pip install -q dist/*.whl
	cd /tmp && $(CURDIR)/$(PACKAGE_VENV)/bin/python $(CURDIR)/tests/package/smoke.py
	$(PACKAGE_VENV)/bin/python -m pip install -q "$$(ls dist/*.whl)[sklearn]"
	cd /tmp && $(CURDIR)/$(PACKAGE_VENV)/bin/python $(CURDIR)/tests/package/smoke.py --sklearn

# make docs: the documentation site into build/docs/html (warnings are errors), then its doctests.
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs build/docs/html
	$(PY) -m sphinx -W --keep-going -q -b doctest docs build/docs/doctest

# make coverage: every scikit-learn estimator fitted, converted, run and compared: writes docs/coverage.md.
coverage: $(STAMP)
	$(PY) docs/estimator_coverage.py

# make stubs: onnxalgebra/__init__.pyi (typed operator classes) regenerated for the installed onnx.
stubs: $(STAMP)
	$(PY) -m onnxalgebra._typed onnxalgebra/__init__.pyi

bench: $(STAMP)
	$(PY) benchmarks/bench_chain.py
	$(PY) benchmarks/bench_render.py
	$(PY) benchmarks/bench_converters.py
	$(PY) benchmarks/bench_text.py
	$(PY) benchmarks/bench_tree_missing.py --small
	$(PY) benchmarks/bench_numpy.py

clean:
	rm -rf $(VENV) $(OLDEST_VENV) build dist *.egg-info
