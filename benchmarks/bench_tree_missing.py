"""How a tree model sends NaN where scikit-learn does: four encodings of the same forest, next to skl2onnx.

onnxruntime compares NaN as false. The encodings of one fitted forest (same
thresholds, same leaves) differ only in how a node whose NaN goes left is written:

* ``flags``: every node ``x <= s`` (true: left) and, per node, the attribute
  ``nodes_missing_value_tracks_true`` set where NaN goes left;
* ``modes``: such a node is ``x > s`` (``BRANCH_GT``, true: right), so NaN takes
  its false branch (left); the other nodes stay ``BRANCH_LEQ``;
* ``negated``: such a node reads a negated copy of its column (``-x <= s'``,
  true: right), one ``Neg`` and one ``Concat`` before the ensemble, every node
  ``BRANCH_LEQ`` (``converters/scikit_learn/trees.py``'s default when the sum over the
  trees of log2(leaves) is at least ``NEGATED_COLUMNS_FROM_LEVELS``; below,
  ``flags``: column ``default``);
* ``no-nan``: ``options={'missing_values': False}``: every node ``x <= s``, no
  NaN handling (NaN always right, as skl2onnx does);
* ``skl2onnx``: skl2onnx's model (``zipmap`` off for classifiers).

``flags`` and ``modes`` are made from the ``no-nan`` model by editing its tree
node's attributes (the trees, thresholds and leaves are the converter's).
A float64 classifier is also timed with its forest repeated once per class
(``per-class``, negated columns; the default, from ``LEAF_TABLE_FROM_NODES``
nodes on, is one pass giving each tree's leaf and a table of leaf values).
Each model is first run on held-out rows with 10% NaN and compared with
scikit-learn (column ``wrong``: rows whose label, or value beyond 1e-5
relative, differ): the first three must be exact. Latency is then measured on
held-out rows without NaN (the common case; ``--nan-rows`` times rows with NaN
instead), one row and a batch of 1,000, with the interleaved rounds of
``bench_converters.measure``, and printed as ratios to ``negated`` and to
skl2onnx.

Forests: RandomForest and ExtraTrees, classifier (3 classes) and regressor,
100 trees grown to full depth on 2,000 rows x 10 features (make_classification),
in float32 and in float64; ``--small`` adds a depth-5 decision tree (a
typical member of a stacking or voting ensemble) and single ExtraTree models
grown to full depth, where the extra ``Neg`` and ``Concat`` weigh more.

Run it as ``python benchmarks/bench_tree_missing.py [--rounds 7] [--only RandomForestClassifier]``.
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from bench_converters import measure
from onnxalgebra_converters.scikit_learn import trees as trees_module

import onnxalgebra

BATCH = 1_000
N_TRAIN = 2_000
N_FEATURES = 10
ENCODINGS = ("flags", "modes", "negated", "no-nan")
_GT = 3  # TreeEnsemble's nodes_modes: BRANCH_GT


def data(regression: bool) -> dict[str, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=N_TRAIN + BATCH, n_features=N_FEATURES, n_informative=6, n_classes=3, random_state=0)
    rng = np.random.default_rng(0)
    if regression:
        y = X @ rng.standard_normal(N_FEATURES) + 0.1 * rng.standard_normal(len(X))
    X = X.astype(np.float32)
    X_nan = X[N_TRAIN:].copy()
    X_nan[rng.random(X_nan.shape) < 0.1] = np.nan
    return {"X": X[:N_TRAIN], "y": y[:N_TRAIN], "X_test": X[N_TRAIN:], "X_nan": X_nan}


def _tree_node(model: onnx.ModelProto) -> onnx.NodeProto:
    (node,) = [n for n in model.graph.node if n.op_type in ("TreeEnsembleRegressor", "TreeEnsemble")]
    return node


def _replace(node: onnx.NodeProto, name: str, value: Any) -> None:
    kept = [a for a in node.attribute if a.name != name]
    del node.attribute[:]
    node.attribute.extend([*kept, onnx.helper.make_attribute(name, value)])


def _get(node: onnx.NodeProto, name: str) -> Any:
    (attr,) = [a for a in node.attribute if a.name == name]
    return onnx.helper.get_attribute_value(attr)


def missing_left_per_node(est: Any, node: onnx.NodeProto) -> np.ndarray:
    """For each node of the tree operator, in its attribute order: a split whose NaN goes left in scikit-learn."""
    from onnxalgebra_converters.scikit_learn.trees import tree_nodes, trees_of

    nodes = tree_nodes(trees_of(est))
    left = nodes["missing_left"] & ~nodes["is_leaf"]
    if node.op_type == "TreeEnsembleRegressor":  # ai.onnx.ml 3: every node, leaves included, in node order
        assert len(_get(node, "nodes_modes")) == len(left)
        return left
    entry = ~nodes["is_leaf"]  # TreeEnsemble: the splits (and one-leaf trees' roots), repeated once per target
    entry[nodes["starts"]] = True
    left = left[entry]
    copies, rest = divmod(len(_get(node, "nodes_featureids")), len(left))
    assert rest == 0
    return np.tile(left, copies)


def with_flags(est: Any, base: onnx.ModelProto) -> onnx.ModelProto:
    """``base`` (every node ``x <= s``, true: left) with ``nodes_missing_value_tracks_true`` where NaN goes left."""
    model = onnx.ModelProto()
    model.CopyFrom(base)
    node = _tree_node(model)
    _replace(node, "nodes_missing_value_tracks_true", missing_left_per_node(est, node).astype(np.int64).tolist())
    return model


def with_modes(est: Any, base: onnx.ModelProto) -> onnx.ModelProto:
    """``base`` with ``x > s`` (true: right) where NaN goes left: NaN compares false and goes left."""
    model = onnx.ModelProto()
    model.CopyFrom(base)
    node = _tree_node(model)
    left = missing_left_per_node(est, node)
    true, false = np.array(_get(node, "nodes_truenodeids")), np.array(_get(node, "nodes_falsenodeids"))
    _replace(node, "nodes_truenodeids", np.where(left, false, true).tolist())
    _replace(node, "nodes_falsenodeids", np.where(left, true, false).tolist())
    if node.op_type == "TreeEnsembleRegressor":
        modes = np.array(_get(node, "nodes_modes"), dtype=object)
        _replace(node, "nodes_modes", np.where(left, b"BRANCH_GT", modes).tolist())
    else:
        true, false = np.array(_get(node, "nodes_trueleafs")), np.array(_get(node, "nodes_falseleafs"))
        _replace(node, "nodes_trueleafs", np.where(left, false, true).tolist())
        _replace(node, "nodes_falseleafs", np.where(left, true, false).tolist())
        modes = onnx.numpy_helper.to_array(_get(node, "nodes_modes"))
        modes = np.where(left, np.uint8(_GT), modes).astype(np.uint8)
        _replace(node, "nodes_modes", onnx.numpy_helper.from_array(modes, "nodes_modes"))
    return model


def skl2onnx_model(est: Any, X1: np.ndarray) -> tuple[onnx.ModelProto | None, str]:
    try:
        from skl2onnx import to_onnx
    except ImportError:
        return None, "not installed"
    options = {id(est): {"zipmap": False}} if hasattr(est, "classes_") else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return to_onnx(est, X1, options=options), ""
    except Exception as exc:
        return None, f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"


def wrong_rows(est: Any, sess: ort.InferenceSession, X: np.ndarray) -> int:
    """Rows where the model and scikit-learn disagree (label, or a value beyond 1e-5 relative)."""
    got = sess.run(None, {sess.get_inputs()[0].name: X})
    if hasattr(est, "classes_"):
        label, proba = got[0].reshape(-1), np.asarray(got[1], dtype=np.float64)
        expected = est.predict_proba(X)
        bad = (label != est.predict(X)) | (np.abs(proba - expected).max(axis=1) > 1e-5)
    else:
        value, expected = np.asarray(got[0], dtype=np.float64).reshape(len(X), -1), est.predict(X).reshape(len(X), -1)
        bad = (np.abs(value - expected) > 1e-5 * np.maximum(1.0, np.abs(expected))).any(axis=1)
    return int(bad.sum())


def cases(small: bool) -> list[tuple[str, Callable[[], Any], bool]]:
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor

    out = []
    for cls in (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor):
        out.append((cls.__name__, functools.partial(cls, n_estimators=100, random_state=0), "Regressor" in cls.__name__))
    if small:
        for cls in (ExtraTreeClassifier, ExtraTreeRegressor):
            out.append((cls.__name__, functools.partial(cls, random_state=0), "Regressor" in cls.__name__))
        for cls in (DecisionTreeClassifier, DecisionTreeRegressor):
            out.append(
                (f"{cls.__name__} (depth 5)", functools.partial(cls, max_depth=5, random_state=0), "Regressor" in cls.__name__)
            )
    return out


def bench(label: str, est: Any, d: dict[str, np.ndarray], dtype: Any, args: argparse.Namespace, so: ort.SessionOptions) -> dict:
    X1 = d["X"][:1].astype(dtype)
    base = onnxalgebra.to_onnx(est, X1, options={"missing_values": False})
    default = onnxalgebra.to_onnx(est, X1).SerializeToString()
    models = {
        "flags": with_flags(est, base),
        "modes": with_modes(est, base),
        "negated": _forced(est, X1, NEGATED_COLUMNS_FROM_LEVELS=0),
        "no-nan": base,
    }
    if np.dtype(dtype) == np.float64 and hasattr(est, "classes_"):
        models["per-class"] = _forced(est, X1, NEGATED_COLUMNS_FROM_LEVELS=0, LEAF_TABLE_FROM_NODES=10**12)
    flags = _forced(est, X1, NEGATED_COLUMNS_FROM_LEVELS=10**12).SerializeToString()
    choice = "negated" if default == models["negated"].SerializeToString() else "flags" if default == flags else "?"
    skl, note = skl2onnx_model(est, X1)
    sessions = {
        name: ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"]) for name, m in models.items()
    }
    if skl is not None:
        try:
            sessions["skl2onnx"] = ort.InferenceSession(skl.SerializeToString(), so, providers=["CPUExecutionProvider"])
        except Exception as exc:
            note = f"model fails in onnxruntime: {str(exc).splitlines()[0][-90:]}"
    wrong = {name: wrong_rows(est, sess, d["X_nan"].astype(dtype)) for name, sess in sessions.items()}
    X_time = (d["X_nan"] if args.nan_rows else d["X_test"]).astype(dtype)
    candidates = {}
    for rows in (1, BATCH):
        for name, sess in sessions.items():
            candidates[f"{name} {rows}"] = functools.partial(sess.run, None, {sess.get_inputs()[0].name: X_time[:rows]})
    latency = measure(candidates, args.rounds, args.budget, args.stat)
    nodes = sum(t.tree_.node_count for t in getattr(est, "estimators_", [est]))
    return {
        "label": f"{label} {np.dtype(dtype).name}",
        "nodes": nodes,
        "wrong": wrong,
        "latency": latency,
        "skl": note,
        "default": choice,
    }


def _forced(est: Any, X1: np.ndarray, **settings: int) -> onnx.ModelProto:
    """The converter's model with ``trees_module``'s size thresholds set to ``settings``."""
    saved = {name: getattr(trees_module, name) for name in settings}
    try:
        for name, value in settings.items():
            setattr(trees_module, name, value)
        return onnxalgebra.to_onnx(est, X1)
    finally:
        for name, value in saved.items():
            setattr(trees_module, name, value)


def _default_time(r: dict, rows: int) -> float:
    return r["latency"][f"{r['default']} {rows}"]


def print_results(results: list[dict]) -> None:
    names = [*ENCODINGS, "per-class", "skl2onnx"]
    width = max(len(r["label"]) for r in results)
    for rows in (1, BATCH):
        print(
            f"\nLatency, {rows:,} row(s): us per call of `negated`, each encoding / `negated`, the encoding the converter "
            "picks (default), and each / skl2onnx"
        )
        header = (
            f"{'model':<{width}} | {'nodes':>6} | {'negated':>8} | "
            + " ".join(f"{n + '/neg':>11}" for n in names if n != "negated")
            + f" | {'default':>7} | "
            + " ".join(f"{n + '/skl':>11}" for n in [*ENCODINGS, "default"])
        )
        print(header)
        print("-" * len(header))
        for r in results:
            lat = r["latency"]
            neg = lat[f"negated {rows}"]
            skl = lat.get(f"skl2onnx {rows}")

            def cell(value: float | None) -> str:
                return f"{value:>11.2f}" if value is not None else f"{'-':>11}"

            own = " ".join(cell(lat[f"{n} {rows}"] / neg if f"{n} {rows}" in lat else None) for n in names if n != "negated")
            times = [lat[f"{n} {rows}"] for n in ENCODINGS] + [_default_time(r, rows)]
            vs = " ".join(cell(t / skl if skl else None) for t in times)
            print(f"{r['label']:<{width}} | {r['nodes']:>6} | {1e6 * neg:>8.1f} | {own} | {r['default']:>7} | {vs}")
    print(f"\nRows of {BATCH:,} held-out rows with 10% NaN where the model and scikit-learn differ")
    header = f"{'model':<{width}} | " + " ".join(f"{n:>9}" for n in names)
    print(header)
    print("-" * len(header))
    for r in results:
        cells = " ".join(f"{r['wrong'].get(n, '-'):>9}" for n in names)
        print(f"{r['label']:<{width}} | {cells}{'  skl2onnx ' + r['skl'] if r['skl'] else ''}")


def check_targets(results: list[dict]) -> list[str]:
    lines = []
    exact_names = ("flags", "modes", "negated", "per-class")
    exact = [f"{r['label']} {n}: {r['wrong'][n]}" for r in results for n in exact_names if r["wrong"].get(n)]
    detail = ": " + "; ".join(exact) if exact else ""
    lines.append(f"[{'met' if not exact else 'NOT met'}] flags, modes and negated give scikit-learn's results with NaN{detail}")
    forests = [r for r in results if r["label"].startswith(("RandomForest", "ExtraTrees"))]
    compared = [r for r in forests if f"skl2onnx {BATCH}" in r["latency"]]
    above, noise = [], []
    for r in compared:
        ratio = _default_time(r, BATCH) / r["latency"][f"skl2onnx {BATCH}"]
        if ratio > 1.03:
            above.append(f"{r['label']} {ratio:.2f}")
        elif ratio > 1.0:
            noise.append(f"{r['label']} {ratio:.2f}")
    verdict = "NOT met" if above else "met within noise" if noise else "met" if compared else "n/a"
    no_peer = [r["label"] for r in forests if f"skl2onnx {BATCH}" not in r["latency"]]
    lines.append(
        f"[{verdict}] forests, {BATCH:,} rows: the default (exact) / skl2onnx <= 1.0 ({len(compared)} models"
        f"{'; skl2onnx has no working model for ' + ', '.join(no_peer) if no_peer else ''})"
        f"{': above: ' + ', '.join(above) if above else ''}{'; within noise (<= 1.03): ' + ', '.join(noise) if noise else ''}"
    )
    for rows in (1, BATCH):
        picks = []
        for r in results:
            lat = r["latency"]
            candidates = [n for n in ("flags", "modes", "negated") if not r["wrong"][n]]
            best = min(candidates, key=lambda n: lat[f"{n} {rows}"])
            picks.append(f"{r['label']}: {best} (default {r['default']} {_default_time(r, rows) / lat[f'{best} {rows}']:.2f}x)")
        lines.append(f"[info] fastest exact encoding, {rows:,} row(s): " + "; ".join(picks))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=None, help="these estimators only (class names)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds of latency runs")
    parser.add_argument("--budget", type=float, default=0.02, help="seconds per latency run")
    parser.add_argument("--stat", choices=["min", "median"], default="min", help="statistic over rounds")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--nan-rows", action="store_true", help="time rows with 10%% NaN instead of rows without")
    parser.add_argument("--small", action="store_true", help="also depth-5 decision trees")
    args = parser.parse_args(argv)
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = args.threads, 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    print(
        f"onnxruntime {ort.__version__}, {N_TRAIN:,} training rows x {N_FEATURES} features, {args.threads} thread(s); "
        f"{args.stat} of {args.rounds} interleaved rounds of ~{1e3 * args.budget:.0f} ms; "
        f"timed rows {'with' if args.nan_rows else 'without'} NaN"
    )
    results = []
    for label, make, regression in cases(args.small):
        if args.only and label.split(" ")[0] not in args.only:
            continue
        d = data(regression)
        est = make().fit(d["X"], d["y"])
        for dtype in args.dtypes:
            results.append(bench(label, est, d, np.dtype(dtype), args, so))
            print(f"  {results[-1]['label']}: done", file=sys.stderr)
    print_results(results)
    print("\nTargets:")
    for line in check_targets(results):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
