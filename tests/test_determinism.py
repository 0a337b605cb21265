"""Determinism and thread safety: the same work gives the same bytes, whoever does it and whenever.

The oracle is always the bytes of a model built another way: in other
processes with other ``PYTHONHASHSEED`` values (str hashes, hence set and
dict orders of strings, differ), a second time in the same process after the
caches are cleared or filled, and serially against 8 threads doing it at once.
``_SCRIPT`` is the work: run as a script in other processes, executed here
for the in-process and threaded checks.
"""

import concurrent.futures
import hashlib
import json
import os
import random
import subprocess
import sys
import threading

import numpy as np
import pytest

from onnxalgebra import _inference, register_converter, to_onnx
from onnxalgebra.registry import _convert

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from sklearn.base import BaseEstimator, TransformerMixin

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Builds an expression model and converts fitted estimators of several kinds, with
# target_opset= and dtype= options. `python -c _SCRIPT serial` prints the sha256 of
# each model as JSON; `threads` makes 8 threads convert at once, each a different
# estimator, while the converters' entry point is loaded for the first time.
_SCRIPT = r'''
import hashlib
import json
import sys
import threading

import numpy as np


def expression_model():
    """Several operators, equal sub-expressions and constants, an If and a Loop, generated names."""
    from onnxalgebra import Graph, OnnxAdd, OnnxIdentity, OnnxIf, OnnxLoop, OnnxMul, OnnxReduceSum, OnnxTopK, Var, to_onnx

    rng = np.random.default_rng(0)
    x = Var("X", np.float32, [None, 4])
    w = rng.standard_normal((4, 3)).astype(np.float32)
    h = np.maximum(x @ w, 0.0) + np.maximum(x @ w.copy(), 0.0)  # one MatMul, w stored once
    z = np.tanh(h * 1.5 - 0.25) / (1.0 + np.exp(-h))
    values, indices = OnnxTopK(z, np.array([2], np.int64), axis=1)
    total = OnnxReduceSum(values, keepdims=0)
    branch = OnnxIf(total > 0.0, then_branch=values * 2.0 + 1.0, else_branch=values - 1.0)
    i = Var("i", np.int64, [])
    cond = Var("cond", np.bool_, [])
    acc = Var("acc", np.float32, [None, 4])
    body = Graph([i, cond, acc], [OnnxIdentity(cond), OnnxAdd(acc, x), OnnxMul(acc, 2.0)])
    loop = OnnxLoop(np.array(3, np.int64), np.array(True), OnnxIdentity(x), body=body)
    picked = np.where(z[:, 0] > 0.5, z[:, 1], -z[:, 2]) + z.sum(axis=1) * 1.5
    middle = x[:, 1:3]  # a Slice whose output shape comes from its constants' values
    outputs = [branch, indices, loop[0], loop[1], picked, middle]
    return to_onnx(outputs, outputs=["branch", "indices", "final", "scanned", "picked", "middle"])


def another_expression_model():
    """Nodes of the same operators and input types as expression_model's, with other constants."""
    from onnxalgebra import Var, to_onnx

    x = Var("X", np.float32, [None, 4])
    return to_onnx([x[:, :1], x @ np.eye(4, 2, dtype=np.float32)], outputs=["first", "projected"])


def fit():
    """The fitted estimators and their samples (everything seeded: the same in every process)."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_iris
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.impute import KNNImputer, SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    pipe = Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(max_iter=500))]).fit(X, names)
    forest = RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0).fit(X, y)

    rng = np.random.default_rng(1)
    n = 120
    age = rng.uniform(18, 80, n)
    age[rng.random(n) < 0.15] = np.nan
    df = pd.DataFrame(
        {
            "city": rng.choice(["paris", "lyon", "nice", "brest"], n).astype(object),
            "age": age,
            "income": rng.normal(3000, 500, n),
        }
    )
    target = np.where(df["income"].to_numpy() + 20 * np.nan_to_num(age, nan=40) > 4000, "yes", "no")
    columns = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]), ("num", SimpleImputer(), ["age", "income"])]
    )
    hgb = make_pipeline(columns, HistGradientBoostingClassifier(max_iter=5, random_state=0)).fit(df, target)

    docs = np.array(["the cat sat on the mat", "a dog and a cat", "the dog barked at the mat", "cats and dogs"], dtype=object)
    vectorizer = CountVectorizer(ngram_range=(1, 2)).fit(docs)

    holes = X.copy()
    holes[rng.random(holes.shape) < 0.1] = np.nan
    knn = KNNImputer(n_neighbors=3).fit(holes)
    return {"pipe": (pipe, X), "forest": (forest, X), "hgb": (hgb, df), "vectorizer": (vectorizer, docs), "knn": (knn, holes)}


def jobs(fitted):
    """name -> a function building one model; conversions with options and dtypes of all kinds."""
    from onnxalgebra import to_onnx

    pipe, X = fitted["pipe"]
    forest, _ = fitted["forest"]
    hgb, df = fitted["hgb"]
    vectorizer, docs = fitted["vectorizer"]
    knn, holes = fitted["knn"]
    X32, X64, H32 = X[:2].astype(np.float32), X[:2], holes[:2].astype(np.float32)
    return {
        "expression": expression_model,
        "another_expression": another_expression_model,
        "pipe_f32": lambda: to_onnx(pipe, X32),
        "pipe_f64": lambda: to_onnx(pipe, X64),
        "pipe_latest": lambda: to_onnx(pipe, X32, target_opset="latest"),
        "pipe_f32_as_f64": lambda: to_onnx(pipe, X32, dtype=np.float64),
        "pipe_latest_zipmap": lambda: to_onnx(pipe, X64, target_opset="latest", options={"zipmap": True}),
        "forest_f32": lambda: to_onnx(forest, X32),
        "forest_f64": lambda: to_onnx(forest, X64),
        "forest_latest": lambda: to_onnx(forest, X32, target_opset="latest"),
        "hgb": lambda: to_onnx(hgb, df),
        "hgb_f32": lambda: to_onnx(hgb, df, dtype=np.float32),
        "vectorizer": lambda: to_onnx(vectorizer, docs[:1]),
        "vectorizer_f64": lambda: to_onnx(vectorizer, docs[:1], dtype=np.float64),
        "knn_f32": lambda: to_onnx(knn, H32),
        "knn_f32_opset18": lambda: to_onnx(knn, H32, target_opset=18),  # its converter builds ScatterND 18, not 13
        "knn_f64": lambda: to_onnx(knn, holes[:2]),
        "knn_f64_as_f32": lambda: to_onnx(knn, holes[:2], dtype=np.float32, target_opset=15),
    }


def digest(model):
    return hashlib.sha256(model.SerializeToString()).hexdigest()


def serial():
    return {name: digest(job()) for name, job in jobs(fit()).items()}


def first_conversions_in_threads():
    """8 threads build at the same instant, the first models of the process: 6 convert different estimators
    (the converters' entry point is loaded meanwhile), 2 compile expressions (operator classes are made)."""
    import onnxalgebra.registry._convert as convert

    assert not convert._ENTRY_POINTS_LOADED, "the converters were loaded before the race"
    work = jobs(fit())
    todo = [(name, job) for name, job in work.items() if "expression" not in name]
    picked = [todo[k * len(todo) // 6] for k in range(6)] + [(name, job) for name, job in work.items() if "expression" in name]
    barrier = threading.Barrier(len(picked))
    hashes, errors = {}, {}

    def run(name, job):
        barrier.wait()
        try:
            hashes[name] = digest(job())
        except BaseException as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=item) for item in picked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"hashes": hashes, "errors": errors}


if __name__ == "__main__":
    print(json.dumps(first_conversions_in_threads() if sys.argv[1:] == ["threads"] else serial(), sort_keys=True))
'''


@pytest.fixture(scope="module")
def script():
    namespace = {"__name__": "determinism_script"}
    exec(_SCRIPT, namespace)
    return namespace


@pytest.fixture(scope="module")
def work(script):
    """name -> a function building one model, for this process."""
    return script["jobs"](script["fit"]())


@pytest.fixture(scope="module")
def reference(work):
    """name -> the bytes of each model, built serially in this process."""
    return {name: job().SerializeToString() for name, job in work.items()}


def _run_script(*args, seed):
    # the same modules as this process: the repository first, then the path this process was given
    path = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args], capture_output=True, text=True, env=env, cwd=_ROOT, timeout=600, check=False
    )
    assert done.returncode == 0, f"PYTHONHASHSEED={seed}: {done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def test_the_models_are_what_they_claim(reference):
    """The work covers what it says: subgraphs, deduplicated constants, generated names, options."""
    import onnx

    expression = onnx.load_from_string(reference["expression"])
    ops = [node.op_type for node in expression.graph.node]
    assert {"If", "Loop", "TopK", "MatMul"} <= set(ops)
    assert ops.count("MatMul") == 1  # equal sub-expressions computed once
    assert sum(list(t.dims) == [4, 3] for t in expression.graph.initializer) == 1  # w and its copy stored once
    assert any(node.name.startswith("MatMul_") for node in expression.graph.node)  # generated names
    zipmap = onnx.load_from_string(reference["pipe_latest_zipmap"])
    assert "ZipMap" in [node.op_type for node in zipmap.graph.node]
    opsets = {name: {o.domain: o.version for o in onnx.load_from_string(reference[name]).opset_import} for name in reference}
    assert opsets["pipe_latest"]["ai.onnx.ml"] > opsets["pipe_f32"]["ai.onnx.ml"]
    assert opsets["knn_f32_opset18"][""] > opsets["knn_f32"][""] and opsets["knn_f64_as_f32"][""] <= 15
    assert len(set(reference.values())) == len(reference)  # options and dtypes change the models


@pytest.mark.parametrize("seed", ["0", "1", "12345", "random"])
def test_other_processes_build_the_same_bytes(reference, seed):
    got = _run_script("serial", seed=seed)
    expected = {name: _sha(data) for name, data in reference.items()}
    assert got.keys() == expected.keys()
    differ = sorted(name for name in expected if got[name] != expected[name])
    assert not differ, f"PYTHONHASHSEED={seed}: these models differ from this process's: {differ}"


def test_building_again_gives_the_same_bytes(work, reference):
    for name, job in work.items():  # every cache of this process is now filled
        assert job().SerializeToString() == reference[name], name


def test_the_inference_cache_does_not_change_the_bytes(work, reference):
    for name, job in work.items():
        _inference.clear_cache()
        assert job().SerializeToString() == reference[name], f"{name} after clear_cache()"
    _inference.clear_cache()
    for name, job in reversed(list(work.items())):  # a cache filled by the other models first
        assert job().SerializeToString() == reference[name], f"{name} with a filled cache"


def test_eight_threads_give_the_serial_bytes(work, reference):
    names = sorted(work)
    rounds = 6
    order = [name for _ in range(rounds) for name in names]
    random.Random(0).shuffle(order)  # different models in different threads at the same time

    def build(name):
        return name, work[name]().SerializeToString()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(build, order))
    differ = sorted({name for name, data in results if data != reference[name]})
    assert not differ, f"built by 8 threads at once, these models differ from the serial ones: {differ}"
    assert len(results) == rounds * len(names)


def test_threads_clearing_the_inference_cache_give_the_serial_bytes(work, reference):
    names = sorted(work)
    stop = threading.Event()

    def clear_forever():
        while not stop.is_set():
            _inference.clear_cache()
            stop.wait(0.001)

    def build(name):
        return name, work[name]().SerializeToString()

    clearer = threading.Thread(target=clear_forever)
    clearer.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(build, names * 2))
    finally:
        stop.set()
        clearer.join()
    differ = sorted({name for name, data in results if data != reference[name]})
    assert not differ, f"with the inference cache cleared meanwhile, these models differ: {differ}"


def test_the_conversion_context_does_not_leak_between_threads(work, reference):
    """Threads converting for target_opset=18 or with dtype= while others convert with the defaults."""
    from onnxalgebra import computation_dtype, target_opset

    pairs = [("knn_f32", "knn_f32_opset18"), ("pipe_f32", "pipe_f32_as_f64"), ("knn_f64", "knn_f64_as_f32")]
    barrier = threading.Barrier(8)

    def build(k):
        barrier.wait()
        name = pairs[k % len(pairs)][k % 2]
        data = [work[name]().SerializeToString() for _ in range(3)]
        return name, data, target_opset(), computation_dtype()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(build, range(8)))
    for name, data, opset, dtype in results:
        assert all(d == reference[name] for d in data), name
        assert opset is None and dtype == np.float32  # nothing left behind in the thread after converting


@pytest.mark.parametrize("seed", ["0", "12345"])
def test_the_first_conversions_racing_in_a_fresh_process(reference, seed):
    got = _run_script("threads", seed=seed)
    assert not got["errors"], f"the first conversions of a process, in 8 threads at once, failed: {got['errors']}"
    assert len(got["hashes"]) == 8
    differ = sorted(name for name, sha in got["hashes"].items() if sha != _sha(reference[name]))
    assert not differ, f"converted by 8 threads as the converters were first loaded, these differ: {differ}"


class _Base(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.asarray(X)


class _Derived(_Base):
    def transform(self, X):
        return np.asarray(X) * 2


def test_threads_wait_while_another_loads_the_entry_points(monkeypatch):
    """The registry is half filled while a package registers its converters: a base class's converter is there,
    its subclass's not yet. Threads looking a converter up meanwhile must wait for all of them, and the
    package must be loaded once."""
    import importlib.metadata

    monkeypatch.setattr(_convert, "_REGISTRY", {})
    monkeypatch.setattr(_convert, "_ENTRY_POINTS_LOADED", False)
    loads = []
    finished = []
    others_finished = threading.Event()

    def register():
        loads.append(threading.get_ident())
        register_converter(_Base, lambda est, X: X * 1.0)
        others_finished.wait(0.5)  # no assertion on time: the other threads get a chance to look the registry up
        register_converter(_Derived, lambda est, X: X * 2.0)

    class Entry:
        name = "half_filled"
        value = "test_determinism:register"

        @staticmethod
        def load():
            return register

    real_entry_points = importlib.metadata.entry_points
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda **kw: [Entry] if kw.get("group") == _convert.ENTRY_POINT_GROUP else real_entry_points(**kw),
    )
    X = np.arange(8, dtype=np.float32).reshape(4, 2)
    derived = _Derived().fit(X)
    barrier = threading.Barrier(8)

    def build(_):
        barrier.wait()
        try:
            return to_onnx(derived, X[:1]).SerializeToString()
        finally:
            finished.append(1)
            if len(finished) >= 7:
                others_finished.set()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(build, range(8)))
    assert len(loads) == 1, f"the entry point was loaded {len(loads)} times"
    expected = to_onnx(derived, X[:1]).SerializeToString()
    assert _convert.find_converter(derived) is _convert._REGISTRY[_Derived]
    wrong = sum(data != expected for data in results)
    assert not wrong, f"{wrong} of 8 threads converted with the base class's converter of a half-filled registry"
