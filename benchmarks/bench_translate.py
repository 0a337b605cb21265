"""Time ``onnxalgebra.translate`` on a model of N nodes (target: 10,000 nodes under 1 s), and the source's ``exec``.

The model is a chain ``x = x + c_i`` / ``x = x * c_i`` of N nodes from a graph
input ``X`` of type ``float[?, 4]``, with N distinct float32 constants of 4
elements (so N literals are written), built with ``onnx.helper``. Before
timing, the source of the ``--check-size`` chain is run (``exec``) and the
rebuilt model's outputs compared with the original's in onnxruntime.

Run it as ``python benchmarks/bench_translate.py [--sizes 1000 10000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from onnxalgebra import translate


def chain_model(n: int):
    """An onnx.helper chain of ``n`` Add/Mul nodes with ``n`` initializers."""
    rng = np.random.default_rng(0)
    nodes, inits, last = [], [], "X"
    for i in range(n):
        inits.append(numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), f"c_{i}"))
        out = "Y" if i == n - 1 else f"t_{i}"
        nodes.append(helper.make_node("Add" if i % 2 == 0 else "Mul", [last, f"c_{i}"], [out], name=f"node_{i}"))
        last = out
    graph = helper.make_graph(
        nodes, "chain", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 4])], inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def check(n: int) -> None:
    import onnxruntime

    model = chain_model(n)
    namespace: dict = {}
    exec(translate(model), namespace)
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    sessions = [onnxruntime.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
                for m in (model, namespace["model"])]  # fmt: skip
    a, b = (s.run(None, {"X": x})[0] for s in sessions)
    np.testing.assert_array_equal(a, b)
    print(f"check: the {n}-node chain's rebuilt model gives the same outputs in onnxruntime")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check-size", type=int, default=1000)
    args = parser.parse_args()
    check(args.check_size)
    print(f"{'nodes':>8} {'translate (s)':>14} {'per node (us)':>14} {'exec (s)':>9} {'source (KB)':>12}")
    for n in args.sizes:
        model = chain_model(n)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            source = translate(model)
            best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        exec(source, {})
        run = time.perf_counter() - start
        print(f"{n:>8} {best:>14.3f} {best / n * 1e6:>14.1f} {run:>9.2f} {len(source) / 1024:>12.0f}")


if __name__ == "__main__":
    main()
