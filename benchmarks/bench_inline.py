"""Inlining a 10,000-node model: ``onnxalgebra.inline`` (target: under 0.5 s), then compiling the result.

The model is a chain of 10,000 nodes (Add, Mul, Relu, Transpose... each with a
small constant) built with ``onnx.helper``, as an exporter writes them. The
script prints the median of ``--rounds`` runs of each step in a fresh
type-inference cache (the first inline of a model never seen) and checks the
compiled model against onnxruntime running the original.

Run: ``python benchmarks/bench_inline.py [--nodes 10000] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from onnxalgebra import Var, inline, to_onnx
from onnxalgebra._inference import clear_cache

TARGET_SECONDS = 0.5


def chain_model(n_nodes: int) -> onnx.ModelProto:
    """``n_nodes`` nodes in a chain on a [N, 8] float tensor, each with its own small initializer."""
    ops = ["Add", "Mul", "Relu", "Sub"]
    nodes, initializers = [], []
    previous = "x"
    rng = np.random.default_rng(0)
    for i in range(n_nodes):
        op = ops[i % len(ops)]
        out = f"v{i}"
        if op == "Relu":
            nodes.append(helper.make_node(op, [previous], [out]))
        else:
            value = (rng.random(8) * 0.01 + (1.0 if op == "Mul" else 0.0)).astype(np.float32)
            initializers.append(numpy_helper.from_array(value, f"c{i}"))
            nodes.append(helper.make_node(op, [previous, f"c{i}"], [out]))
        previous = out
    graph = helper.make_graph(
        nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, ["N", 8])], initializers,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    model = chain_model(args.nodes)
    x = Var("X", np.float32, ["N", 8])
    inline_times, compile_times = [], []
    for _ in range(args.rounds):
        clear_cache()
        start = time.perf_counter()
        out = inline(model, x)
        inline_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ours = to_onnx(out, {"X": np.zeros((1, 8), np.float32)})
        compile_times.append(time.perf_counter() - start)
    data = np.random.default_rng(1).normal(size=(16, 8)).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": data})[0]
    got = ort.InferenceSession(ours.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": data})[0]
    error = float(np.abs(got - expected).max())
    t_inline, t_compile = statistics.median(inline_times), statistics.median(compile_times)
    print(f"model: {args.nodes:,} nodes, {len(model.graph.initializer):,} initializers")
    print(f"{'step':<28} {'median s':>9} {'min s':>8}")
    print(f"{'inline(model, X)':<28} {t_inline:9.3f} {min(inline_times):8.3f}")
    print(f"{'to_onnx(result)':<28} {t_compile:9.3f} {min(compile_times):8.3f}")
    print(f"largest difference from onnxruntime running the original: {error:.2e}")
    verdict = "met" if t_inline <= TARGET_SECONDS else "NOT met"
    print(f"[{verdict}] inline of a {args.nodes:,}-node model <= {TARGET_SECONDS} s (median {t_inline:.3f} s)")


if __name__ == "__main__":
    main()
