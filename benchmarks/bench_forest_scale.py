"""Big forests: conversion time and peak memory from 10^5 to 10^7 nodes, next to skl2onnx.

Forests: ``RandomForestRegressor`` grown to full depth on a noisy continuous
target (a fully grown tree has about 1.26 nodes per training row, bootstrap
included), so that the forest has about 10^5, 10^6, 6.3x10^6 (the issue's
forest) and 10^7 nodes, and a ``RandomForestClassifier`` (3 classes, noisy
labels) of about 10^5 and 10^6 nodes. Fitting 10^7 nodes takes a minute or
more: forests are fitted with ``n_jobs=-1`` and cached under ``--cache``
(``/tmp/onnxalgebra_bench_forest``), one file per setting.

Each measurement runs in a fresh process (``--worker``), which loads the
forest, converts a tiny forest of the same kind first (imports, converter
registration: paid once per process, not per model), and then measures one
conversion of the big one:

* ``time``: wall time of ``onnxalgebra.to_onnx(est, X[:1])`` with a float32
  sample (``TreeEnsembleRegressor``, ai.onnx.ml 3) and, for the regressors,
  with a float64 sample (``TreeEnsemble``, ai.onnx.ml 5); skl2onnx's
  ``to_onnx(est, X32[:1])`` (float32) at 10^5 and 10^6 nodes, and at 6.3x10^6
  only with ``--with-skl2onnx-big`` (over a minute);
* ``peak RSS``: the growth of the resident set during the conversion,
  sampled every 2 ms by a thread reading ``/proc/self/statm``, and checked
  against ``resource.getrusage``'s ``ru_maxrss``; it counts everything, the
  protobuf objects included;
* ``tracemalloc``: the peak of Python and numpy allocations during a second
  conversion (protobuf's C arenas are not traced);
* ``model``: the final model's ``ByteSize()``, and ``resident``: what the
  same model occupies once parsed (``ModelProto.FromString`` of its bytes,
  RSS growth): protobuf holds each int64 of a repeated field in 8 bytes and
  each string in a 16-byte view plus its bytes, so a model of tree ensemble
  lists takes 2-4x its serialised size in memory. That is the floor of any
  conversion that returns a ``ModelProto``;
* ``check``: the largest difference between onnxruntime's predictions of our
  model and scikit-learn's, on 2,000 rows (regressor: relative to the range
  of the target; classifier: differing labels).

Growth exponents are fitted between consecutive sizes (``log(t2 / t1) /
log(n2 / n1)``) and over all sizes (least squares on log-log), for time and
peak RSS. Targets: the 6.3x10^6-node regressor converts in at most 3 s
(float32 and float64), peak RSS at most 3x the model's size, time growth
exponent at most 1.1.

Run it as ``python benchmarks/bench_forest_scale.py [--small] [--with-skl2onnx-big]``
(``--small``: 10^5 and 10^6 nodes only). skl2onnx is optional.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

N_FEATURES = 10
CHECK_ROWS = 2_000
SKL2ONNX_TIMEOUT = 900  # seconds; skl2onnx takes about 10 s per million nodes


@dataclass(frozen=True)
class Forest:
    """A forest setting: its kind, number of trees and training rows; ``label`` names its expected size."""

    kind: str  # "regressor" or "classifier"
    n_estimators: int
    n_samples: int
    label: str

    @property
    def name(self) -> str:
        """The file name of the cached fitted forest."""
        return f"{self.kind}_{self.n_estimators}_{self.n_samples}_{N_FEATURES}_seed0.pkl"


FORESTS = [
    Forest("regressor", 10, 8_000, "1e5"),
    Forest("regressor", 20, 40_000, "1e6"),
    Forest("regressor", 100, 50_000, "6.3e6"),
    Forest("regressor", 100, 79_000, "1e7"),
    Forest("classifier", 10, 15_000, "1e5"),
    Forest("classifier", 20, 77_000, "1e6"),
]
SMALL = {"1e5", "1e6"}


def data(n_samples: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generated rows (float32, as scikit-learn's trees read them) and a noisy target: every tree grows deep."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, N_FEATURES)).astype(np.float32)
    signal = X[:, 0] + np.sin(3 * X[:, 1]) + X[:, 2] * X[:, 3]
    noisy = signal + 0.7 * rng.standard_normal(n_samples)
    if kind == "regressor":
        return X, noisy
    return X, np.digitize(noisy, np.linspace(-2, 2, 9))  # 10 classes: deep trees


def fitted(forest: Forest, cache: Path) -> Path:
    """The cached fitted forest's path: fitted (``n_jobs=-1``) and saved on first use."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    path = cache / forest.name
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    X, y = data(forest.n_samples, forest.kind)
    cls = RandomForestRegressor if forest.kind == "regressor" else RandomForestClassifier
    start = time.perf_counter()
    est = cls(n_estimators=forest.n_estimators, n_jobs=-1, random_state=0).fit(X, y)
    print(f"  fitted {forest.kind} {forest.label} in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    est.n_jobs = 1
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as f:
        pickle.dump(est, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return path


# -- the worker: one measurement in a fresh process ---------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """The largest resident set size seen while the block runs (a thread samples it every 2 ms)."""

    def __enter__(self) -> PeakRSS:
        self.before = _rss()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.002)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _release_free_memory() -> None:
    """Collect garbage and hand the allocator's free memory back to the system: RSS growth then counts new pages."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _convert(library: str, est: Any, sample: np.ndarray) -> Any:
    if library == "ours":
        import onnxalgebra

        return onnxalgebra.to_onnx(est, sample)
    from skl2onnx import to_onnx

    options = {id(est): {"zipmap": False}} if hasattr(est, "classes_") else None
    return to_onnx(est, sample, options=options)


def worker(library: str, path: str, dtype: str, kind: str) -> dict[str, Any]:
    """Convert the forest at ``path`` once (after a warm-up on a tiny forest) and measure it."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    with open(path, "rb") as f:
        est = pickle.load(f)
    n_nodes = sum(e.tree_.node_count for e in est.estimators_)
    X, y = data(CHECK_ROWS, kind, seed=1)
    sample = X[:1].astype(dtype)
    tiny = (RandomForestRegressor if kind == "regressor" else RandomForestClassifier)(n_estimators=2, max_depth=3)
    _convert(library, tiny.fit(X[:200], y[:200]), sample)  # imports and registrations: once per process
    _release_free_memory()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with PeakRSS() as rss:
        start = time.perf_counter()
        model = _convert(library, est, sample)
        seconds = time.perf_counter() - start
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    peak = rss.peak - rss.before
    if maxrss_after > maxrss_before:  # a new maximum for the process: the conversion's peak, for sure
        peak = max(peak, maxrss_after - rss.before)
    size = model.ByteSize()
    result = {"nodes": n_nodes, "seconds": seconds, "peak_rss": peak, "model_bytes": size}
    serialized = model.SerializeToString()
    del model
    with tempfile.NamedTemporaryFile(suffix=".onnx", delete=False) as f:
        f.write(serialized)
    try:  # in a fresh process: no freed memory to reuse
        command = [sys.executable, __file__, "--resident", f.name]
        result["resident_model"] = int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    finally:
        os.unlink(f.name)
    if library == "ours":
        _release_free_memory()
        tracemalloc.start()
        _convert(library, est, sample)
        result["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result["check"] = _check(est, serialized, X.astype(dtype), kind)
    return result


def resident(path: str) -> int:
    """What the model at ``path`` occupies once parsed: RSS growth of ``ModelProto.FromString`` of its bytes."""
    import onnx

    serialized = Path(path).read_bytes()
    before = _rss()
    model = onnx.ModelProto.FromString(serialized)
    grown = _rss() - before
    del model
    return grown


def _check(est: Any, serialized: bytes, X: np.ndarray, kind: str) -> float:
    """Regressor: largest |ours - scikit-learn| over the target's range; classifier: labels that differ."""
    import onnxruntime as ort

    session = ort.InferenceSession(serialized, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    if kind == "regressor":
        expected = est.predict(X)
        spread = float(np.ptp(expected)) or 1.0
        return float(np.max(np.abs(outputs[0].ravel() - expected)) / spread)
    return float(np.sum(outputs[0].ravel() != est.predict(X)))


def measure(library: str, path: Path, dtype: str, kind: str, timeout: float | None = None) -> dict[str, Any] | str:
    """Run :func:`worker` in a fresh process; its result, or the reason it gave none."""
    command = [sys.executable, __file__, "--worker", library, str(path), dtype, kind]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"failed: {lines[-1] if lines else done.returncode}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report ---------------------------------------------------------------------------------------------


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f}"


def exponent(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(y) on log(x): y grows as x ** slope (None with fewer than two points).

    >>> round(exponent([(1e5, 0.1), (1e6, 1.0), (1e7, 10.0)]), 6)
    1.0
    """
    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len(points) < 2:
        return None
    lx = np.log([x for x, _ in points])
    ly = np.log([y for _, y in points])
    return float(np.polyfit(lx, ly, 1)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="10^5 and 10^6 nodes only")
    parser.add_argument("--with-skl2onnx-big", action="store_true", help="also time skl2onnx at 6.3x10^6 nodes")
    parser.add_argument("--no-skl2onnx", action="store_true", help="do not run skl2onnx")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/onnxalgebra_bench_forest"), help="fitted forests")
    parser.add_argument("--worker", nargs=4, metavar=("LIBRARY", "PATH", "DTYPE", "KIND"), help=argparse.SUPPRESS)
    parser.add_argument("--resident", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.resident:
        print(resident(args.resident))
        return 0
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    try:
        import skl2onnx  # noqa: F401

        has_skl2onnx = not args.no_skl2onnx
    except ImportError:
        has_skl2onnx = False
    forests = [f for f in FORESTS if not args.small or f.label in SMALL]
    rows = []
    for forest in forests:
        path = fitted(forest, args.cache)
        dtypes = ["float32", "float64"] if forest.kind == "regressor" else ["float32"]
        for dtype in dtypes:
            print(f"  converting {forest.kind} {forest.label} {dtype}", file=sys.stderr, flush=True)
            rows.append((forest, dtype, "ours", measure("ours", path, dtype, forest.kind)))
        big = forest.label not in SMALL
        if has_skl2onnx and (not big or (args.with_skl2onnx_big and forest.label == "6.3e6")):
            print(f"  converting {forest.kind} {forest.label} with skl2onnx", file=sys.stderr, flush=True)
            rows.append((forest, "float32", "skl2onnx", measure("skl2onnx", path, "float32", forest.kind, SKL2ONNX_TIMEOUT)))
    report(rows)
    return 0


def report(rows: list[tuple[Forest, str, str, dict[str, Any] | str]]) -> None:
    """Print the table, the growth exponents and the targets."""
    print(f"\nBig forests: conversion time and memory (Python {sys.version.split()[0]}, {os.cpu_count()} cores)\n")
    header = (
        f"{'forest':<11} {'size':>6} {'nodes':>10} {'dtype':<8} {'library':<9} {'time s':>7} {'vs skl2onnx':>11} "
        f"{'peak RSS MB':>11} {'tracemalloc MB':>14} {'model MB':>8} {'resident MB':>11} {'peak/model':>10} "
        f"{'peak/resident':>13} {'check':>8}"
    )
    print(header)
    print("-" * len(header))
    skl = {f.name: r for f, _, lib, r in rows if lib == "skl2onnx" and isinstance(r, dict)}
    for forest, dtype, library, r in rows:
        head = f"{forest.kind:<11} {forest.label:>6} "
        if not isinstance(r, dict):
            print(f"{head}{'':>10} {dtype:<8} {library:<9} {r}")
            continue
        other = skl.get(forest.name)
        versus = f"{r['seconds'] / other['seconds']:.2f}x" if library == "ours" and other else ""
        trace = _mb(r["tracemalloc_peak"]) if "tracemalloc_peak" in r else ""
        check = f"{r['check']:.1e}" if "check" in r else ""
        print(
            f"{head}{r['nodes']:>10,} {dtype:<8} {library:<9} {r['seconds']:>7.2f} {versus:>11} {_mb(r['peak_rss']):>11} "
            f"{trace:>14} {_mb(r['model_bytes']):>8} {_mb(r['resident_model']):>11} "
            f"{r['peak_rss'] / r['model_bytes']:>9.2f}x {r['peak_rss'] / max(r['resident_model'], 1):>12.2f}x {check:>8}"
        )
    print("\nGrowth exponents (y ~ nodes ** k): between consecutive sizes, and fitted over all sizes")
    exponents: dict[tuple[str, str, str], float | None] = {}
    for key in sorted({(f.kind, d, lib) for f, d, lib, r in rows if isinstance(r, dict)}):
        series = sorted((r["nodes"], r) for f, d, lib, r in rows if (f.kind, d, lib) == key and isinstance(r, dict))
        if len(series) < 2:
            continue
        steps_t = [
            f"{math.log(b['seconds'] / a['seconds']) / math.log(nb / na):.2f}" for (na, a), (nb, b) in itertools.pairwise(series)
        ]
        steps_m = [
            f"{math.log(b['peak_rss'] / a['peak_rss']) / math.log(nb / na):.2f}"
            for (na, a), (nb, b) in itertools.pairwise(series)
            if a["peak_rss"] > 0 and b["peak_rss"] > 0
        ]
        k_time = exponent([(n, r["seconds"]) for n, r in series])
        k_mem = exponent([(n, r["peak_rss"]) for n, r in series])
        exponents[key] = k_time
        name = " ".join(key)
        print(f"  {name:<28} time {', '.join(steps_t)} (fit {k_time:.2f}); peak RSS {', '.join(steps_m)} (fit {k_mem:.2f})")
    targets(rows, exponents)


def targets(rows: list[tuple[Forest, str, str, dict[str, Any] | str]], exponents: dict) -> None:
    """The issue's targets, each [met] or [NOT met]."""
    print("\nTargets")
    ours = [(f, d, r) for f, d, lib, r in rows if lib == "ours" and isinstance(r, dict)]

    def line(ok: bool, text: str) -> None:
        print(f"  [{'met' if ok else 'NOT met'}] {text}")

    for forest, dtype, r in ours:
        if forest.label == "6.3e6":
            line(r["seconds"] <= 3.0, f"{forest.kind} of {r['nodes']:,} nodes, {dtype}: {r['seconds']:.2f} s <= 3 s")
    for forest, dtype, r in ours:
        ratio = r["peak_rss"] / r["model_bytes"]
        floor = r["resident_model"] / r["model_bytes"]
        line(
            ratio <= 3.0,
            f"memory {forest.kind} {forest.label} {dtype}: peak RSS {ratio:.2f}x the model's size <= 3x "
            f"(the parsed model alone: {floor:.2f}x)",
        )
    for (kind, dtype, library), k in exponents.items():
        if library == "ours" and k is not None:
            line(k <= 1.1, f"time growth exponent {kind} {dtype}: {k:.2f} <= 1.1")
    for forest, dtype, r in ours:
        if forest.kind == "regressor":
            line(r["check"] <= 1e-5, f"{forest.kind} {forest.label} {dtype} predicts as scikit-learn: {r['check']:.1e} <= 1e-5")
        else:
            line(r["check"] == 0, f"{forest.kind} {forest.label} {dtype} labels as scikit-learn: {r['check']:.0f} differ")


if __name__ == "__main__":
    sys.exit(main())
