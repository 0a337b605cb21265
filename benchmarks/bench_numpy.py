"""Building through numpy's protocols against building the same graph with ``Onnx*`` classes.

The issue's target: writing a function in numpy style (``np.tanh(x * 1.01 + 0.5)``,
``x @ W``, ``h.sum(axis=1, keepdims=True)``, ``x[:, 1:2]``) costs at most 1.2x
writing the same graph with operator classes (``OnnxTanh(OnnxAdd(OnnxMul(x, k), k2))``):
the dispatch (numpy's ``__array_ufunc__``, dtype resolution, constants) must not
add a second layer of overhead on top of building a node.

Two functions of about ``--ops`` operations each (10,000 by default), built
both ways from ``Var('X', np.float32, [None, 4])`` in the same process:

* ``elementwise``: ``x = np.tanh(x * 1.01 + 0.5) - x / 3.0`` repeated (Python
  scalars, weak as in numpy 2: the graph stays float32);
* ``mixed``: ``h = np.maximum(x @ W, 0.0); x = h / (h.sum(axis=1, keepdims=True) + 1.0) + x[:, 1:2]``
  repeated (matmul with a numpy array, a reduction, slicing).

Before timing, both expressions of each function are compiled and the two
models must be byte-identical (the same graph), and the numpy-style function
run on a numpy array must agree with the compiled model run in onnxruntime.
Each timing is the best of ``--repeat`` builds, the two ways run alternately.

Run it as ``python benchmarks/bench_numpy.py [--ops 10000] [--repeat 5]`` (``make bench`` does).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime

from onnxalgebra import OnnxAdd, OnnxDiv, OnnxMatMul, OnnxMax, OnnxMul, OnnxReduceSum, OnnxSlice, OnnxSub, OnnxTanh, Var

TARGET = 1.2
W = (np.random.default_rng(0).normal(size=(4, 4)) / 4).astype(np.float32)


def elementwise_numpy(x: Any, blocks: int) -> Any:
    """The elementwise function as numpy code (5 operations a block); runs on arrays and on expressions."""
    for _ in range(blocks):
        x = np.tanh(x * 1.01 + 0.5) - x / 3.0
    return x


def elementwise_classes(x: Any, blocks: int) -> Any:
    """The same graph with operator classes."""
    a, b, c = np.float32(1.01), np.float32(0.5), np.float32(3.0)
    for _ in range(blocks):
        x = OnnxSub(OnnxTanh(OnnxAdd(OnnxMul(x, a), b)), OnnxDiv(x, c))
    return x


def mixed_numpy(x: Any, blocks: int) -> Any:
    """Matmul, maximum, a reduction and slicing as numpy code (7 operations a block)."""
    for _ in range(blocks):
        h = np.maximum(x @ W, 0.0)
        x = h / (h.sum(axis=1, keepdims=True) + 1.0) + x[:, 1:2]
    return x


def mixed_classes(x: Any, blocks: int) -> Any:
    """The same graph with operator classes."""
    zero, one = np.float32(0.0), np.float32(1.0)
    axes = np.array([1], np.int64)
    starts, ends, steps = np.array([1], np.int64), np.array([2], np.int64), np.array([1], np.int64)
    for _ in range(blocks):
        h = OnnxMax(OnnxMatMul(x, W), zero)
        total = OnnxAdd(OnnxReduceSum(h, axes, keepdims=1), one)
        x = OnnxAdd(OnnxDiv(h, total), OnnxSlice(x, starts, ends, axes, steps))
    return x


FUNCTIONS: dict[str, tuple[Callable[[Any, int], Any], Callable[[Any, int], Any], int]] = {
    "elementwise": (elementwise_numpy, elementwise_classes, 5),
    "mixed": (mixed_numpy, mixed_classes, 7),
}


def interleaved(repeat: int, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[float, float]:
    """The best time of each function over ``repeat`` rounds, the two run alternately (drift hits both)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((first, second)):
            gc.collect()
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def check(name: str, ops: int) -> None:
    """Both ways give byte-identical models, and the model computes what numpy computes."""
    numpy_fn, classes_fn, per_block = FUNCTIONS[name]
    blocks = max(1, ops // per_block)
    ours = numpy_fn(Var("X", np.float32, [None, 4]), blocks).to_onnx()
    theirs = classes_fn(Var("X", np.float32, [None, 4]), blocks).to_onnx()
    if ours.SerializeToString() != theirs.SerializeToString():
        raise SystemExit(f"{name}: the numpy-style and Onnx*-class models differ; the comparison would be unfair.")
    data = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
    expected = numpy_fn(data, blocks)
    session = onnxruntime.InferenceSession(ours.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"X": data})
    if got.dtype != expected.dtype or got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise SystemExit(f"{name}: the model disagrees with numpy ({got.dtype}{got.shape} vs {expected.dtype}{expected.shape}).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=10_000, help="operations per function (default 10,000)")
    parser.add_argument("--repeat", type=int, default=7, help="builds per timing; the best is kept")
    args = parser.parse_args(argv)
    print(f"numpy-style build vs Onnx* classes, {args.ops:,} operations, best of {args.repeat}; target <= {TARGET}x")
    print(f"{'function':>12} {'nodes':>7} {'numpy ms':>9} {'classes ms':>11} {'ratio':>6} {'us/op numpy':>12} {'target':>7}")
    worst = 0.0
    for name, (numpy_fn, classes_fn, per_block) in FUNCTIONS.items():
        check(name, min(args.ops, 700))
        blocks = max(1, args.ops // per_block)
        nodes = blocks * per_block
        t_numpy, t_classes = interleaved(
            args.repeat,
            lambda f=numpy_fn, b=blocks: f(Var("X", np.float32, [None, 4]), b),
            lambda f=classes_fn, b=blocks: f(Var("X", np.float32, [None, 4]), b),
        )
        ratio = t_numpy / t_classes
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(
            f"{name:>12} {nodes:>7,} {t_numpy * 1e3:>9.1f} {t_classes * 1e3:>11.1f} {ratio:>6.2f} "
            f"{t_numpy / nodes * 1e6:>12.1f} {verdict:>7}"
        )
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
