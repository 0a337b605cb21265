"""A local function called 10,000 times against the same computation written inline.

The function is a small residual block (``x @ W + b``, a layer
normalisation, a swish, a residual sum: 17 nodes); the model chains
``--calls`` calls of it. Printed: the time to
build the expressions and compile them (median of ``--rounds``, a fresh
type-inference cache each time), the serialized size, and the agreement of
the two models in onnxruntime. Targets (issue 15): the model with the
function at most 1/10 the size of the inlined one, built in at most the
inlined build's time.

Run: ``python benchmarks/bench_functions.py [--calls 10000] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort

from onnxalgebra import OnnxSigmoid, Var, function, to_onnx
from onnxalgebra._inference import clear_cache

RNG = np.random.default_rng(0)
W = (RNG.normal(size=(8, 8)) * 0.3).astype(np.float32)
B = (RNG.normal(size=8) * 0.1).astype(np.float32)


GAMMA = (1 + RNG.normal(size=8) * 0.1).astype(np.float32)
BETA = (RNG.normal(size=8) * 0.1).astype(np.float32)


def layer(x):
    h = x @ W + B
    centred = h - h.mean(axis=-1, keepdims=True)
    normed = centred / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + np.float32(1e-5)) * GAMMA + BETA
    return x + normed * OnnxSigmoid(normed) * np.float32(0.5)


layer_function = function(layer, name="layer")


def build(step, calls: int):
    clear_cache()
    start = time.perf_counter()
    y = x = Var("X", np.float32, ["N", 8])
    for _ in range(calls):
        y = step(y)
    model = to_onnx(y, {"X": np.zeros((1, 8), np.float32)})
    del x
    return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for label, step in (("inlined", layer), ("function", layer_function)):
        times, model = [], None
        for _ in range(args.rounds):
            seconds, model = build(step, args.calls)
            times.append(seconds)
        results[label] = (statistics.median(times), model, len(model.SerializeToString()))
    data = RNG.normal(size=(4, 8)).astype(np.float32)
    outputs = {
        label: ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": data})[0]
        for label, (_, model, _) in results.items()
    }
    difference = float(np.abs(outputs["inlined"] - outputs["function"]).max())
    print(f"{args.calls:,} calls of a {len(results['inlined'][1].graph.node) // args.calls}-node block")
    print(f"{'model':<10} {'build+compile s':>16} {'size bytes':>12} {'nodes':>8} {'functions':>10}")
    for label, (seconds, model, size) in results.items():
        print(f"{label:<10} {seconds:16.3f} {size:12,} {len(model.graph.node):8,} {len(model.functions):10}")
    t_in, _, size_in = results["inlined"]
    t_fn, _, size_fn = results["function"]
    print(f"largest difference between the two models' outputs: {difference:.2e}")
    print(f"[{'met' if size_fn * 10 <= size_in else 'NOT met'}] size function/inlined <= 0.1: {size_fn / size_in:.3f}")
    print(f"[{'met' if t_fn <= t_in else 'NOT met'}] build time function/inlined <= 1.0: {t_fn / t_in:.2f}")


if __name__ == "__main__":
    main()
