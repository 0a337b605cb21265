"""Deep expressions: a 100,000-node chain compiles and runs, and compiling is deterministic,
within a process and across processes."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
from onnxruntime import GraphOptimizationLevel, InferenceSession, SessionOptions

from onnxalgebra import OnnxAdd, OnnxMul, Var

X = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)


def _constants(count):
    """Distinct float32 vectors: small offsets (even positions, for Add) and factors near 1 (odd, for Mul)."""
    rng = np.random.default_rng(0)
    return [
        rng.uniform(-0.01, 0.01, 4).astype(np.float32) if i % 2 == 0 else rng.uniform(0.99, 1.01, 4).astype(np.float32)
        for i in range(count)
    ]


def _chain(n, x, pool=16):
    """``x + c0``, ``* c1``, ``+ c2``... n nodes, the constants taken in turn from a pool of distinct ones."""
    constants = _constants(pool)
    for i in range(n):
        c = constants[i % pool]
        x = OnnxAdd(x, c) if i % 2 == 0 else OnnxMul(x, c)
    return x, [constants[i % pool] for i in range(n)]


def _numpy_chain(x, constants):
    for i, c in enumerate(constants):
        x = x + c if i % 2 == 0 else x * c
    return x


def test_100000_node_chain_compiles_and_runs():
    n = 100_000
    expr, constants = _chain(n, Var("X", np.float32, [None, 4]))
    model = expr.to_onnx()  # iterative everywhere: no RecursionError at any depth
    assert len(model.graph.node) == n
    assert len(model.graph.initializer) == 16  # equal constants stored once
    assert model.graph.output[0].type.tensor_type.elem_type == 1  # float, inferred through the whole chain
    # onnxruntime's session creation grows faster than linearly with a chain's depth; its graph
    # optimisations (nothing to do on this graph) would add seconds more.
    options = SessionOptions()
    options.graph_optimization_level = GraphOptimizationLevel.ORT_DISABLE_ALL
    session = InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"X": X})
    np.testing.assert_allclose(got, _numpy_chain(X, constants), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("runtime", ["onnxruntime", "reference"])
def test_deep_chain_eval(runtime):
    # An untyped input: every node's type is only known when compiling, from the feeds.
    expr, constants = _chain(5_000, "X")
    assert expr.type is None
    np.testing.assert_allclose(expr.eval({"X": X}, runtime=runtime), _numpy_chain(X, constants), rtol=1e-5, atol=1e-6)


def test_deep_chain_repr_is_one_level():
    expr, _ = _chain(20_000, Var("X", np.float32, [None, 4]))
    assert repr(expr).startswith("OnnxMul(Add(...), Constant(")


# Builds one expression using most of what the compiler names and orders: a deep chain,
# equal sub-expressions and constants, deferred scalars, a multi-output operator, a
# subgraph, user output names. Run in this process and, as a script, in others.
_SCRIPT = '''
import hashlib

import numpy as np

from onnxalgebra import OnnxAdd, OnnxIf, OnnxMatMul, OnnxMul, OnnxReduceSum, OnnxTopK, Var, to_onnx


def build():
    rng = np.random.default_rng(0)
    x = Var("X", np.float32, [None, 4])
    y = x
    for i in range(3_000):
        c = rng.uniform(0.99, 1.01, 4).astype(np.float32)
        y = OnnxAdd(y, c - 1) if i % 2 == 0 else OnnxMul(y, c)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    z = OnnxMatMul(y, w) + OnnxMatMul(y, w.copy())  # computed once, w stored once
    values, indices = OnnxTopK(z * 2.0, np.array([2], np.int64), axis=1)
    total = OnnxReduceSum(values, keepdims=0)
    branch = OnnxIf(total > 0.0, then_branch=values + 1.0, else_branch=values - 1.0)
    return to_onnx([branch, indices, y], outputs=["branch", "indices", "chain"])


if __name__ == "__main__":
    print(hashlib.sha256(build().SerializeToString()).hexdigest())
'''


def _build_in_process():
    namespace = {"__name__": "deep_graphs_script"}
    exec(_SCRIPT, namespace)
    return namespace["build"]()


def test_compiling_twice_gives_the_same_bytes():
    expr, _ = _chain(20_000, Var("X", np.float32, [None, 4]))
    assert expr.to_onnx().SerializeToString() == expr.to_onnx().SerializeToString()
    assert _build_in_process().SerializeToString() == _build_in_process().SerializeToString()


def test_another_process_compiles_the_same_bytes():
    model = _build_in_process()
    assert [o.name for o in model.graph.output] == ["branch", "indices", "chain"]
    expected = hashlib.sha256(model.SerializeToString()).hexdigest()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for seed in ("0", "4242"):  # str hashes, hence set orders, differ from this process's
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root}
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, cwd=root, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected, f"PYTHONHASHSEED={seed}"
