"""LightGBM and XGBoost models of 5,000 trees x 63 leaves: onnxalgebra next to onnxmltools, and the libraries' own predict.

For each library and task (``binary``: a classifier, ``regression``: a
regressor; ``--trees`` trees of at most 63 leaves, fitted on ``--rows`` rows of
``--features`` features with 10% NaN; fitted once and cached under
``--cache``, so that reruns start at once), in the same process and on the
same fitted model:

* conversion: ``onnxalgebra.to_onnx(est, X[:1])`` (float32; ``--conversions``
  runs) and onnxmltools' ``convert_lightgbm`` / ``convert_xgboost``
  (``zipmap=False`` where it takes it; ``--their-conversions`` runs: it is
  slow), interleaved, and the ratio ours / onnxmltools' (the issue's target:
  under 1 s and at most 0.1x);
* load: the time to create an onnxruntime ``InferenceSession`` from each
  serialized model (``--loads`` interleaved runs; target: at most 1.0x);
* latency of one row and of 1,000 rows: each model in onnxruntime (one
  thread) and the library's own ``predict_proba`` / ``predict``, interleaved
  as ``bench_converters.measure`` does, and the ratio ours / onnxmltools'
  (target: at most 1.0x).

Each time is the best of its runs, with the noise band ``[min - max]`` of the
runs beside it; each ratio is that of the best runs, then that of the medians
and the band ``[best / worst, worst / best]``. The script also checks that both converted models agree with
the library on the 1,000 rows (maximum absolute difference) before timing
them. Run: ``python benchmarks/bench_boosting.py`` (``--trees 500`` for a
quick run; ``--skip-onnxmltools`` without it).

CatBoost (``--catboost also``, the default, ``only`` or ``no``): a classifier
of ``--trees`` symmetric trees of depth 6; our conversion (CatBoost's own ONNX
export, inlined) next to the export alone run in onnxruntime as CatBoost writes
it (label and ZipMap maps), and CatBoost's ``predict_proba``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime as ort

from onnxalgebra import to_onnx

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_converters import interleaved_rounds as _latencies

ort.set_default_logger_severity(3)  # onnxmltools' models declare a label of shape [1]: a warning per run otherwise


def _session(data: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def _data(rows: int, features: int, task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows + 1000, features)).astype(np.float32)
    y = X[:, 0] + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 3] + 0.5 * rng.normal(size=len(X))
    if task == "binary":
        y = (y > 0).astype(np.int64)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X[:rows], y[:rows], X[rows:]


def _ensure_registered() -> None:
    """Register the converters by hand only when the installed metadata predates their entry points (an editable
    install made before pyproject.toml declared them: ``pip install -e .`` refreshes it)."""
    from importlib.metadata import entry_points

    installed = {e.name for e in entry_points(group="onnxalgebra.converters")}
    for library in ("lightgbm", "xgboost", "catboost"):
        if library not in installed:
            __import__(f"onnxalgebra_converters.{library}", fromlist=["register"]).register()


def _estimator(library: str, task: str, trees: int) -> Any:
    """An unfitted model of ``trees`` trees of at most 63 leaves."""
    if library == "lightgbm":
        import lightgbm

        kind = lightgbm.LGBMClassifier if task == "binary" else lightgbm.LGBMRegressor
        return kind(
            n_estimators=trees,
            num_leaves=63,
            learning_rate=0.05,
            min_child_samples=5,
            subsample=0.8,
            subsample_freq=1,
            verbose=-1,
        )
    import xgboost

    kind = xgboost.XGBClassifier if task == "binary" else xgboost.XGBRegressor
    return kind(
        n_estimators=trees,
        max_leaves=63,
        grow_policy="lossguide",
        max_depth=0,
        min_child_weight=1e-3,  # a binary leaf's hessian p (1 - p) is small: the trees reach 63 leaves all the same
        learning_rate=0.05,
        subsample=0.8,
        tree_method="hist",
    )


def _fitted(library: str, task: str, args: argparse.Namespace, X: np.ndarray, y: np.ndarray) -> tuple[Any, float | None]:
    """The fitted estimator and its fit time, from the cache (pickled, keyed by library version, parameters and
    sizes) when it has it (fit time None)."""
    est = _estimator(library, task, args.trees)
    version = __import__(library).__version__
    key = hashlib.sha256(repr(sorted(est.get_params().items())).encode()).hexdigest()[:8]
    path = os.path.join(args.cache, f"{library}-{version}-{task}-{args.trees}x{args.rows}x{args.features}-{key}.pkl")
    if os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f), None
    start = time.perf_counter()
    est.fit(X, y)
    seconds = time.perf_counter() - start
    os.makedirs(args.cache, exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        pickle.dump(est, f)
    os.replace(path + ".tmp", path)
    return est, seconds


def _onnxmltools(library: str, est: Any, n_features: int) -> Any:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    types = [("X", FloatTensorType([None, n_features]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if library == "lightgbm":
            kwargs = {"zipmap": False} if hasattr(est, "classes_") else {}
            return onnxmltools.convert_lightgbm(est, initial_types=types, target_opset=15, **kwargs)
        return onnxmltools.convert_xgboost(est, initial_types=types, target_opset=15)


def _interleaved(candidates: dict[str, tuple[Callable[[], Any], int]]) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Seconds of each run of each candidate ``name: (fn, runs)``, the candidates taking turns (the first run of
    each, then the second...), and each one's last result."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    results: dict[str, Any] = {}
    for r in range(max(runs for _, runs in candidates.values())):
        for name, (fn, runs) in candidates.items():
            if r < runs:
                start = time.perf_counter()
                results[name] = fn()
                times[name].append(time.perf_counter() - start)
    return times, results


def _leaves(est: Any, library: str) -> int:
    if library == "lightgbm":
        return sum(t["num_leaves"] for t in est.booster_.dump_model()["tree_info"])
    return sum(1 for line in est.get_booster().get_dump() for part in line.split("\n") if "leaf=" in part)


def _prediction(est: Any, task: str) -> Callable[[np.ndarray], np.ndarray]:
    return est.predict_proba if task == "binary" else est.predict


def _output(outputs: list[Any], task: str) -> np.ndarray:
    """The probabilities [N, 2] (binary) or the predictions [N] (regression) among a model's outputs."""
    if task == "binary":
        return next(o for o in outputs if isinstance(o, np.ndarray) and o.ndim == 2 and o.shape[1] == 2)
    return np.asarray(outputs[0]).reshape(-1)


def bench(library: str, task: str, args: argparse.Namespace) -> dict[str, Any]:
    X_train, y_train, X_test = _data(args.rows, args.features, task)
    est, fit_time = _fitted(library, task, args, X_train, y_train)
    result: dict[str, Any] = {"library": library, "task": task, "trees": args.trees, "fit_s": fit_time}
    result["leaves"] = _leaves(est, library)
    small = _estimator(library, task, 2).fit(X_train[:200], y_train[:200])  # warm-up: imports, first-call caches
    to_onnx(small, X_test[:1])
    if not args.skip_onnxmltools:
        _onnxmltools(library, small, X_test.shape[1])
    conversions = {"ours": (lambda: to_onnx(est, X_test[:1]), args.conversions)}
    if not args.skip_onnxmltools:
        conversions["onnxmltools"] = (lambda: _onnxmltools(library, est, X_test.shape[1]), args.their_conversions)
    times, models = _interleaved(conversions)
    data = {name: model.SerializeToString() for name, model in models.items()}
    del models
    for name, seconds in times.items():
        result[f"{name}_convert_s"] = seconds
        result[f"{name}_mb"] = len(data[name]) / 1e6
    loads, sessions = _interleaved({name: (lambda b=b: _session(b), args.loads) for name, b in data.items()})
    for name, seconds in loads.items():
        result[f"{name}_load_s"] = seconds
    expected = _prediction(est, task)(X_test)
    for name, session in sessions.items():
        result[f"{name}_max_diff"] = float(np.abs(_output(session.run(None, {"X": X_test}), task) - expected).max())
    for rows in (1, 1000):
        batch = X_test[:rows]
        candidates = {name: (lambda s=session, b=batch: s.run(None, {"X": b})) for name, session in sessions.items()}
        candidates[library] = lambda b=batch: _prediction(est, task)(b)
        for name, seconds in _latencies(candidates, args.rounds, args.budget).items():
            result[f"{name}_{rows}_s"] = seconds
    return result


def _band(values: list[float], scale: float, unit: str, digits: int) -> str:
    """``best unit [min - max]``: the best run and the noise band of the runs."""
    best, worst = min(values) * scale, max(values) * scale
    return (
        f"{best:.{digits}f} {unit} [{best:.{digits}f} - {worst:.{digits}f}]" if len(values) > 1 else f"{best:.{digits}f} {unit}"
    )


def _ratio(r: dict[str, Any], key: str, target: str) -> str:
    """Ours / onnxmltools': of the best runs, of the medians, and the band [best / worst, worst / best]."""
    ours, theirs = r.get(f"ours_{key}"), r.get(f"onnxmltools_{key}")
    if ours is None or theirs is None:
        return ""
    median = float(np.median(ours) / np.median(theirs))
    band = f"[{min(ours) / max(theirs):.3f} - {max(ours) / min(theirs):.3f}]"
    return f": ratio {min(ours) / min(theirs):.3f}x, medians {median:.3f}x {band} ({target})"


def report(r: dict[str, Any]) -> None:
    lib = r["library"]
    fit = "cached" if r["fit_s"] is None else f"fit {r['fit_s']:.1f} s"
    print(f"\n{lib} {r['task']}: {r['trees']} trees, {r['leaves']} leaves ({fit})")
    names = [n for n in ("ours", "onnxmltools") if f"{n}_convert_s" in r]
    parts = [f"{n} {_band(r[f'{n}_convert_s'], 1, 's', 3)} ({r[f'{n}_mb']:.1f} MB)" for n in names]
    print("  conversion: " + ", ".join(parts) + _ratio(r, "convert_s", "target <= 0.1x, < 1 s"))
    parts = [f"{n} {_band(r[f'{n}_load_s'], 1, 's', 3)}" for n in names]
    print("  load in onnxruntime: " + ", ".join(parts) + _ratio(r, "load_s", "target <= 1.0x"))
    what = "predict_proba" if r["task"] == "binary" else "predict"
    diffs = ", ".join(f"{n} {r[f'{n}_max_diff']:.2e}" for n in names)
    print(f"  max |ours - {lib}.{what}| on 1,000 held-out rows: {diffs}")
    for rows in (1, 1000):
        parts = [f"{n} {_band(r[f'{n}_{rows}_s'], 1e6, 'us', 1)}" for n in [*names, lib]]
        print(f"  latency {rows:>4} row(s): " + ", ".join(parts) + _ratio(r, f"{rows}_s", "target <= 1.0x"))


def bench_catboost(args: argparse.Namespace) -> dict[str, Any]:
    """CatBoost (``--trees`` symmetric trees of depth 6: 64 leaves each): our conversion (CatBoost's own ONNX export,
    inlined) next to the export alone (``save_model(format='onnx')``, run as it is in onnxruntime: label and
    ZipMap maps) and CatBoost's ``predict_proba``."""
    import tempfile

    import catboost

    X_train, y_train, X_test = _data(args.rows, args.features, "binary")
    est = catboost.CatBoostClassifier(iterations=args.trees, depth=6, learning_rate=0.05, verbose=0,
                                      allow_writing_files=False, thread_count=2)  # fmt: skip
    start = time.perf_counter()
    est.fit(X_train, y_train)
    result: dict[str, Any] = {"library": "catboost", "trees": args.trees, "leaves": args.trees * 64}
    result["fit_s"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        times, results = _interleaved({
            "ours": (lambda: to_onnx(est, X_test[:1]), args.conversions),
            "export": (lambda: est.save_model(path, format="onnx"), args.conversions),
        })  # fmt: skip
        with open(path, "rb") as f:
            theirs_bytes = f.read()
    ours_bytes = results["ours"].SerializeToString()
    result.update(ours_convert_s=min(times["ours"]), export_s=min(times["export"]))
    result.update(ours_mb=len(ours_bytes) / 1e6, export_mb=len(theirs_bytes) / 1e6)
    times, sessions = _interleaved({"ours": (lambda: _session(ours_bytes), 3), "export": (lambda: _session(theirs_bytes), 3)})
    result.update(ours_load_s=min(times["ours"]), export_load_s=min(times["export"]))
    ours_session, export_session = sessions["ours"], sessions["export"]
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
        for name, seconds in _latencies(candidates, args.rounds, args.budget).items():
            result[f"{name}_{rows}_us"] = min(seconds) * 1e6
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
    parser.add_argument("--conversions", type=int, default=5, help="conversions of ours")
    parser.add_argument("--their-conversions", type=int, default=2, help="conversions of onnxmltools'")
    parser.add_argument("--loads", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timed run")
    parser.add_argument("--library", choices=["lightgbm", "xgboost", "both"], default="both")
    parser.add_argument("--task", choices=["binary", "regression", "both"], default="both")
    parser.add_argument("--cache", default="/tmp/onnxalgebra-bench-boosting", help="folder of the fitted models")
    parser.add_argument("--skip-onnxmltools", action="store_true")
    parser.add_argument("--catboost", choices=["also", "only", "no"], default="also", help="CatBoost after the others")
    args = parser.parse_args(argv)
    _ensure_registered()
    if args.catboost == "only":
        return report_catboost(bench_catboost(args))
    for library in ("lightgbm", "xgboost") if args.library == "both" else (args.library,):
        for task in ("binary", "regression") if args.task == "both" else (args.task,):
            report(bench(library, task, args))
            sys.stdout.flush()
    if args.catboost == "also":
        report_catboost(bench_catboost(args))


if __name__ == "__main__":
    main()
