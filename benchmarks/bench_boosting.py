"""LightGBM and XGBoost models of 5,000 trees x 63 leaves: onnxalgebra next to onnxmltools, and the libraries' own predict.

For each library, one binary classifier (``--trees`` trees of at most 63
leaves, fitted on ``--rows`` rows of ``--features`` features with 10% NaN),
in the same process and on the same fitted model:

* conversion: ``onnxalgebra.to_onnx(est, X[:1])`` (float32; the best of
  ``--conversions`` runs) and onnxmltools' ``convert_lightgbm`` /
  ``convert_xgboost`` (``zipmap=False`` where it takes it; once: it is slow),
  and the ratio ours / onnxmltools' (the issue's target: under 1 s and at
  most 0.1x);
* load: the time to create an onnxruntime ``InferenceSession`` from each
  serialized model (the best of 3; target: at most 1.0x);
* latency of one row and of 1,000 rows: each model in onnxruntime and the
  library's own ``predict_proba``, interleaved (``bench_converters.measure``),
  and the ratio ours / onnxmltools' (target: at most 1.0x).

The script also checks that both converted models agree with the library on
the 1,000 rows (maximum absolute difference of the probabilities) before
timing them. Run: ``python benchmarks/bench_boosting.py`` (``--trees 500``
for a quick run; ``--skip-onnxmltools`` without it).

CatBoost (``--catboost also``, the default, ``only`` or ``no``): a classifier
of ``--trees`` symmetric trees of depth 6; our conversion (CatBoost's own ONNX
export, inlined) next to the export alone run in onnxruntime as CatBoost writes
it (label and ZipMap maps), and CatBoost's ``predict_proba``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any

import numpy as np
import onnxruntime as ort

from onnxalgebra import to_onnx

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_converters import measure

ort.set_default_logger_severity(3)  # onnxmltools' models declare a label of shape [1]: a warning per run otherwise


def _session(data: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def _data(rows: int, features: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows + 1000, features)).astype(np.float32)
    y = (X[:, 0] + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 3] + 0.5 * rng.normal(size=len(X)) > 0).astype(np.int64)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X[:rows], y[:rows], X[rows:]


def _ensure_registered() -> None:
    """Register the converters by hand only when the installed metadata predates their entry points (an editable
    install made before pyproject.toml declared them: ``pip install -e .`` refreshes it)."""
    from importlib.metadata import entry_points

    installed = {e.name for e in entry_points(group="onnxalgebra.converters")}
    for library in ("lightgbm", "xgboost"):
        if library not in installed:
            __import__(f"onnxalgebra_converters.{library}", fromlist=["register"]).register()
    if "catboost" not in installed:
        __import__("onnxalgebra_converters.catboost", fromlist=["register"]).register()


def _fit(library: str, trees: int, X: np.ndarray, y: np.ndarray) -> Any:
    if library == "lightgbm":
        import lightgbm

        est = lightgbm.LGBMClassifier(
            n_estimators=trees,
            num_leaves=63,
            learning_rate=0.05,
            min_child_samples=5,
            subsample=0.8,
            subsample_freq=1,
            verbose=-1,
        )
    else:
        import xgboost

        est = xgboost.XGBClassifier(
            n_estimators=trees,
            max_leaves=63,
            grow_policy="lossguide",
            max_depth=0,
            learning_rate=0.05,
            subsample=0.8,
            tree_method="hist",
        )
    return est.fit(X, y)


def _onnxmltools(library: str, est: Any, n_features: int) -> Any:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    types = [("X", FloatTensorType([None, n_features]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if library == "lightgbm":
            return onnxmltools.convert_lightgbm(est, initial_types=types, zipmap=False, target_opset=15)
        return onnxmltools.convert_xgboost(est, initial_types=types, target_opset=15)


def _best(fn: Any, times: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(times):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _leaves(est: Any, library: str) -> int:
    if library == "lightgbm":
        return sum(t["num_leaves"] for t in est.booster_.dump_model()["tree_info"])
    return sum(1 for line in est.get_booster().get_dump() for part in line.split("\n") if "leaf=" in part)


def bench(library: str, args: argparse.Namespace) -> dict[str, Any]:
    X_train, y_train, X_test = _data(args.rows, args.features)
    start = time.perf_counter()
    est = _fit(library, args.trees, X_train, y_train)
    fit_time = time.perf_counter() - start
    n_leaves = _leaves(est, library)
    ours_s, ours = _best(lambda: to_onnx(est, X_test[:1]), args.conversions)
    ours_bytes = ours.SerializeToString()
    result: dict[str, Any] = {
        "library": library,
        "trees": args.trees,
        "leaves": n_leaves,
        "fit_s": fit_time,
        "ours_convert_s": ours_s,
        "ours_mb": len(ours_bytes) / 1e6,
    }
    sessions = {"ours": _session(ours_bytes)}
    result["ours_load_s"], _ = _best(lambda: _session(ours_bytes), 3)
    if not args.skip_onnxmltools:
        theirs_s, theirs = _best(lambda: _onnxmltools(library, est, X_test.shape[1]), 1)
        theirs_bytes = theirs.SerializeToString()
        result.update(theirs_convert_s=theirs_s, theirs_mb=len(theirs_bytes) / 1e6)
        result["theirs_load_s"], _ = _best(lambda: _session(theirs_bytes), 3)
        sessions["onnxmltools"] = _session(theirs_bytes)
    expected = est.predict_proba(X_test)
    for name, session in sessions.items():
        outputs = session.run(None, {"X": X_test})
        proba = next(o for o in outputs if isinstance(o, np.ndarray) and o.ndim == 2 and o.shape[1] == 2)
        result[f"{name}_max_diff"] = float(np.abs(proba - expected).max())
    for rows in (1, 1000):
        batch = X_test[:rows]
        candidates = {name: (lambda s=session, b=batch: s.run(None, {"X": b})) for name, session in sessions.items()}
        candidates[library] = lambda b=batch: est.predict_proba(b)
        latency = measure(candidates, args.rounds, args.budget, "min")
        for name, seconds in latency.items():
            result[f"{name}_{rows}_us"] = seconds * 1e6
    return result


def report(r: dict[str, Any]) -> None:
    lib = r["library"]
    print(f"\n{lib}: {r['trees']} trees, {r['leaves']} leaves (fit {r['fit_s']:.1f} s)")
    line = f"  conversion: ours {r['ours_convert_s']:.3f} s ({r['ours_mb']:.1f} MB)"
    if "theirs_convert_s" in r:
        line += (
            f", onnxmltools {r['theirs_convert_s']:.3f} s ({r['theirs_mb']:.1f} MB): "
            f"ratio {r['ours_convert_s'] / r['theirs_convert_s']:.3f}x (target <= 0.1x, < 1 s)"
        )
    print(line)
    line = f"  load in onnxruntime: ours {r['ours_load_s']:.3f} s"
    if "theirs_load_s" in r:
        line += f", onnxmltools {r['theirs_load_s']:.3f} s: ratio {r['ours_load_s'] / r['theirs_load_s']:.2f}x (target <= 1.0x)"
    print(line)
    diffs = ", ".join(f"{k[:-9]} {v:.2e}" for k, v in r.items() if k.endswith("_max_diff"))
    print(f"  max |proba - {lib}.predict_proba| on 1,000 held-out rows: {diffs}")
    for rows in (1, 1000):
        line = f"  latency {rows:>4} row(s): ours {r[f'ours_{rows}_us']:.1f} us, {lib} {r[f'{lib}_{rows}_us']:.1f} us"
        if f"onnxmltools_{rows}_us" in r:
            ratio = r[f"ours_{rows}_us"] / r[f"onnxmltools_{rows}_us"]
            line += f", onnxmltools {r[f'onnxmltools_{rows}_us']:.1f} us: ratio {ratio:.2f}x (target <= 1.0x)"
        print(line)


def bench_catboost(args: argparse.Namespace) -> dict[str, Any]:
    """CatBoost (``--trees`` symmetric trees of depth 6: 64 leaves each): our conversion (CatBoost's own ONNX export,
    inlined) next to the export alone (``save_model(format='onnx')``, run as it is in onnxruntime: label and
    ZipMap maps) and CatBoost's ``predict_proba``."""
    import os
    import tempfile

    import catboost

    X_train, y_train, X_test = _data(args.rows, args.features)
    est = catboost.CatBoostClassifier(iterations=args.trees, depth=6, learning_rate=0.05, verbose=0,
                                      allow_writing_files=False, thread_count=2)  # fmt: skip
    start = time.perf_counter()
    est.fit(X_train, y_train)
    result: dict[str, Any] = {"library": "catboost", "trees": args.trees, "leaves": args.trees * 64}
    result["fit_s"] = time.perf_counter() - start
    result["ours_convert_s"], ours = _best(lambda: to_onnx(est, X_test[:1]), args.conversions)
    ours_bytes = ours.SerializeToString()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        result["export_s"], _ = _best(lambda: est.save_model(path, format="onnx"), args.conversions)
        with open(path, "rb") as f:
            theirs_bytes = f.read()
    result.update(ours_mb=len(ours_bytes) / 1e6, export_mb=len(theirs_bytes) / 1e6)
    result["ours_load_s"], ours_session = _best(lambda: _session(ours_bytes), 3)
    result["export_load_s"], export_session = _best(lambda: _session(theirs_bytes), 3)
    expected = est.predict_proba(X_test)
    result["ours_max_diff"] = float(np.abs(ours_session.run(None, {"X": X_test})[1] - expected).max())
    maps = export_session.run(None, {"features": X_test})[1]
    result["export_max_diff"] = float(np.abs(np.array([[m[0], m[1]] for m in maps]) - expected).max())
    for rows in (1, 1000):
        batch = X_test[:rows]
        candidates = {
            "ours": lambda b=batch: ours_session.run(None, {"X": b}),
            "export": lambda b=batch: export_session.run(None, {"features": b}),
            "catboost": lambda b=batch: est.predict_proba(b),
        }
        for name, seconds in measure(candidates, args.rounds, args.budget, "min").items():
            result[f"{name}_{rows}_us"] = seconds * 1e6
    return result


def report_catboost(r: dict[str, Any]) -> None:
    print(f"\ncatboost: {r['trees']} trees, {r['leaves']} leaves (fit {r['fit_s']:.1f} s)")
    print(f"  conversion: ours {r['ours_convert_s']:.3f} s ({r['ours_mb']:.1f} MB), CatBoost's export alone "
          f"{r['export_s']:.3f} s ({r['export_mb']:.1f} MB)")  # fmt: skip
    ratio = r["ours_load_s"] / r["export_load_s"]
    print(f"  load in onnxruntime: ours {r['ours_load_s']:.3f} s, export {r['export_load_s']:.3f} s: ratio {ratio:.2f}x")
    print(f"  max |proba - catboost.predict_proba| on 1,000 held-out rows: ours {r['ours_max_diff']:.2e}, "
          f"export {r['export_max_diff']:.2e}")  # fmt: skip
    for rows in (1, 1000):
        ratio = r[f"ours_{rows}_us"] / r[f"export_{rows}_us"]
        print(f"  latency {rows:>4} row(s): ours {r[f'ours_{rows}_us']:.1f} us, export (with its ZipMap) "
              f"{r[f'export_{rows}_us']:.1f} us: ratio {ratio:.2f}x, catboost {r[f'catboost_{rows}_us']:.1f} us")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--conversions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timed run")
    parser.add_argument("--library", choices=["lightgbm", "xgboost", "both"], default="both")
    parser.add_argument("--skip-onnxmltools", action="store_true")
    parser.add_argument("--catboost", choices=["also", "only", "no"], default="also", help="CatBoost after the others")
    args = parser.parse_args(argv)
    _ensure_registered()
    if args.catboost == "only":
        return report_catboost(bench_catboost(args))
    for library in ("lightgbm", "xgboost") if args.library == "both" else (args.library,):
        report(bench(library, args))
    if args.catboost == "also":
        report_catboost(bench_catboost(args))


if __name__ == "__main__":
    main()
