"""Build and compile an N-node chain with onnxalgebra, next to writing it with ``onnx.helper``.

The graph is a chain of N nodes starting from a graph input ``X`` of type
``float[?, 4]``: ``x = x + c_0``, ``x = x * c_1``, ``x = x + c_2``, ... with
N distinct float32 constants ``c_i`` of shape (4,) (so N initializers: none
is deduplicated away).

For each N the script measures, in the same process:

* ours, build: constructing the expression (``OnnxAdd(x, c)`` / ``OnnxMul(x, c)``
  from ``Var('X', np.float32, [None, 4])``), which checks every node against its
  schema and infers its output type;
* ours, compile: ``expr.to_onnx()``, which gives a typed ``ModelProto``;
* onnx.helper: the same graph written by hand (``make_node``,
  ``numpy_helper.from_array`` initializers, ``make_graph``, ``make_model``)
  followed by ``onnx.checker.check_model`` and ``onnx.shape_inference.infer_shapes``,
  the usual way to get a checked, typed model with onnx alone.

It prints, per N: the three times for onnxalgebra, the onnx.helper time, the
ratio ours/helper, and the time per node of each (flat per-node times show
linear growth). Each timing is the best of ``--repeat`` runs (one run for
N >= 100,000 unless ``--repeat`` says otherwise). The targets are a ratio of at
most 3 at 10,000 nodes and more, and per-node times that do not grow with N.

Before timing, both models of the chain of ``--check-size`` nodes (1,000 by
default) are run with onnxruntime on the same input: their outputs must agree
with each other and with numpy.

Run it as ``python benchmarks/bench_chain.py [--sizes 1000 10000 100000] [--repeat 3]``
(``make bench`` does).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from onnxalgebra import OnnxAdd, OnnxMul, Var

DEFAULT_SIZES = (1_000, 10_000, 100_000)
TARGET_RATIO = 3.0


def make_constants(n: int, seed: int = 0) -> list[np.ndarray]:
    """N distinct float32 vectors of shape (4,): small offsets for Add, factors near 1 for Mul.

    The values keep the chain's output finite and of order 1 for any N, so
    that the results can be compared.
    """
    rng = np.random.default_rng(seed)
    constants = []
    for i in range(n):
        if i % 2 == 0:
            constants.append(rng.uniform(-0.01, 0.01, size=4).astype(np.float32))
        else:
            constants.append(rng.uniform(0.99, 1.01, size=4).astype(np.float32))
    return constants


def build_ours(constants: list[np.ndarray]) -> Any:
    """The chain as an onnxalgebra expression."""
    x: Any = Var("X", np.float32, [None, 4])
    for i, c in enumerate(constants):
        x = OnnxAdd(x, c) if i % 2 == 0 else OnnxMul(x, c)
    return x


def compile_ours(expr: Any) -> onnx.ModelProto:
    return expr.to_onnx()


def build_helper(constants: list[np.ndarray], opset: int) -> onnx.ModelProto:
    """The same chain written with ``onnx.helper``, checked and shape-inferred."""
    nodes = []
    initializers = []
    previous = "X"
    for i, c in enumerate(constants):
        op = "Add" if i % 2 == 0 else "Mul"
        cname = f"c_{i}"
        out = f"{op}_{i}" if i < len(constants) - 1 else "Y"
        initializers.append(numpy_helper.from_array(c, cname))
        nodes.append(helper.make_node(op, [previous, cname], [out], name=f"n_{i}"))
        previous = out
    graph = helper.make_graph(
        nodes,
        "chain",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 4])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return onnx.shape_inference.infer_shapes(model)


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    from onnxruntime import InferenceSession

    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": x})[0]


def sanity_check(n: int) -> None:
    """Both models of the n-node chain give the same result as numpy in onnxruntime."""
    constants = make_constants(n)
    ours = compile_ours(build_ours(constants))
    opset = _default_opset(ours)
    theirs = build_helper(constants, opset)
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    expected = x.copy()
    for i, c in enumerate(constants):
        expected = expected + c if i % 2 == 0 else expected * c
    got_ours, got_theirs = _run(ours, x), _run(theirs, x)
    np.testing.assert_allclose(got_ours, got_theirs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_ours, expected, rtol=1e-4, atol=1e-5)
    print(f"sanity check: the {n:,}-node chains agree in onnxruntime (and with numpy), max |y| = {np.abs(got_ours).max():.3g}")


def _default_opset(model: onnx.ModelProto) -> int:
    return next(o.version for o in model.opset_import if o.domain == "")


def _best(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        result = None  # let the previous result go before timing the next call
        gc.collect()
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(n: int, repeat: int, opset: int) -> dict[str, float]:
    constants = make_constants(n)
    best_build = best_compile = best_ours = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        expr = build_ours(constants)
        t1 = time.perf_counter()
        model = compile_ours(expr)
        t2 = time.perf_counter()
        assert len(model.graph.node) == n, len(model.graph.node)
        best_build = min(best_build, t1 - t0)
        best_compile = min(best_compile, t2 - t1)
        best_ours = min(best_ours, t2 - t0)
        del expr, model
    helper_time, theirs = _best(repeat, lambda: build_helper(constants, opset))
    assert len(theirs.graph.node) == n
    return {
        "n": n,
        "build": best_build,
        "compile": best_compile,
        "ours": best_ours,
        "helper": helper_time,
        "ratio": best_ours / helper_time,
    }


def print_table(rows: list[dict[str, float]]) -> None:
    header = (
        f"{'N':>9} | {'build s':>8} {'compile s':>9} {'ours s':>8} | {'helper s':>8} | {'ours/helper':>11} | "
        f"{'ours us/node':>12} {'helper us/node':>14}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        n = int(row["n"])
        print(
            f"{n:>9,} | {row['build']:>8.3f} {row['compile']:>9.3f} {row['ours']:>8.3f} | {row['helper']:>8.3f} | "
            f"{row['ratio']:>10.2f}x | {1e6 * row['ours'] / n:>12.2f} {1e6 * row['helper'] / n:>14.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="chain lengths N")
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per measurement, best kept (default 3, 1 for N >= 100,000)"
    )
    parser.add_argument("--check-size", type=int, default=1_000, help="chain length of the onnxruntime sanity check (0: skip)")
    args = parser.parse_args(argv)

    # Warm up: operator classes, schemas, the inference cache, onnxruntime's kernel table.
    warm = compile_ours(build_ours(make_constants(10)))
    opset = _default_opset(warm)
    build_helper(make_constants(10), opset)
    if args.check_size:
        sanity_check(args.check_size)

    print(f"python {sys.version.split()[0]}, onnx {onnx.__version__}, numpy {np.__version__}, opset {opset}")
    rows = []
    for n in args.sizes:
        repeat = args.repeat if args.repeat is not None else (1 if n >= 100_000 else 3)
        rows.append(measure(n, repeat, opset))
    print_table(rows)

    failed = [r for r in rows if r["n"] >= 10_000 and r["ratio"] > TARGET_RATIO]
    per_node = [r["ours"] / r["n"] for r in rows if r["n"] >= 10_000]
    if failed:
        sizes = ", ".join(f"{int(r['n']):,}" for r in failed)
        print(f"above target: ratio > {TARGET_RATIO}x at N = {sizes}")
    if len(per_node) >= 2 and max(per_node) > 1.5 * min(per_node):
        print("growth: our time per node varies by more than 1.5x between sizes >= 10,000 (not linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
