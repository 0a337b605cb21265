"""Operator versions equivalent for a node (onnxalgebra/_versions.py) and the smallest opsets they allow.

The oracle for what a version does is the ONNX specification itself (the
schemas' signatures and the documented changes of meaning) and the two
runtimes: a model compiled at the smallest opset must compute what the same
expression compiled at the newest one computes.
"""

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import defs
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import CompileError, Var
from onnxalgebra._versions import equivalent_versions

F, D, I64, B = "tensor(float)", "tensor(double)", "tensor(int64)", "tensor(bool)"
BF16 = "tensor(bfloat16)"


def _newest(op):
    return max(s.since_version for s in defs.get_all_schemas_with_history() if s.name == op and s.domain == "")


@pytest.mark.parametrize(
    ("op", "inputs", "outputs", "attributes", "oldest"),
    [
        ("Add", [F, F], [F], {}, 13),  # 14 only added types (13 is the floor)
        ("Add", [BF16, BF16], [BF16], {}, 13),
        ("Softmax", [F], [F], {"axis": 1}, 13),  # 13 changed its meaning (and its default axis)
        ("ReduceMax", [F, I64], [F], {}, 18),  # axes became an input at 18
        ("Pad", [F, I64, F], [F], {"mode": "constant"}, 13),  # 18 only added an optional input this node lacks
        ("Pad", [F, I64], [F], {"mode": "wrap"}, 19),  # 'wrap' exists from 19 on, with the same schema
        ("Pad", [F, I64, F, I64], [F], {}, 18),  # the axes input itself
        ("Cast", [F], [I64], {"to": 7}, 13),  # saturate (19) and round_mode (24) concern float8 only
        ("Cast", [F], [I64], {"to": 7, "saturate": 1}, 19),
        ("Reshape", [F, I64], [F], {}, 13),
        ("Reshape", [F, I64], [F], {"allowzero": 1}, 14),
        ("Split", [F, I64], [F, F], {}, 13),  # a 'split' input splits as before 18 (num_outputs is new there)
        ("Split", [F], [F, F], {"num_outputs": 2}, 18),
    ],
)
def test_oldest_equivalent_version(op, inputs, outputs, attributes, oldest):
    low, high = equivalent_versions("", op, _newest(op), inputs, outputs, attributes)
    in_force = defs.get_schema(op, 13).since_version if oldest == 13 else oldest
    assert low <= in_force and max(low, 13) == max(oldest, 13)
    assert high == _newest(op)


def test_a_type_an_older_version_lacks_stops_the_walk():
    # IsNaN accepts bfloat16 from 13 on, float8 types from 20: a float8 input keeps 20
    low, _ = equivalent_versions("", "IsNaN", 20, ["tensor(float8e4m3fn)"], [B], {})
    assert low == 20
    low, _ = equivalent_versions("", "IsNaN", 20, [F], [B], {})
    assert low == 13


def test_pinned_and_unknown_types_keep_the_built_version():
    assert equivalent_versions("", "Add", 7, [F, F], [F], {}, pinned=True) == (7, 7)
    assert equivalent_versions("", "Add", 14, [None, F], [F], {}) == (14, 14)


def test_a_lower_target_lowers_the_floor():
    assert equivalent_versions("", "Add", 14, [F, F], [F], {}, floor=7)[0] == 7


def _run(model, feeds):
    from converter_checks import session  # a skip when the installed onnxruntime is too old for the model

    return session(model).run(None, feeds), ReferenceEvaluator(model).run(None, feeds)


def _expressions():
    x = Var("X", np.float32, [None, 4])
    w = np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32)
    z = np.exp(x @ w)
    yield "softmax rule", np.where((z / z.sum(axis=1, keepdims=True))[:, 1] > 0.3, 1, z.argmax(axis=1))
    yield "reductions", np.concatenate([x.max(axis=1, keepdims=True), x.std(axis=1, keepdims=True)], axis=1)
    yield "indexing and padding", np.pad(x[:, ::-1][x[:, 0] > 0], ((0, 0), (1, 2)), mode="edge")
    yield "casts and sorting", np.sort(x.astype(np.int64) % 3, axis=1).astype(np.float64) / 2
    yield "cumulative", np.cumsum(np.clip(x, -0.5, 0.5), axis=1)


@pytest.mark.parametrize("name", [name for name, _ in _expressions()])
def test_the_smallest_opsets_compute_what_the_newest_compute(name):
    expr = dict(_expressions())[name]
    data = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    smallest = expr.to_onnx({"X": data})
    newest = expr.to_onnx({"X": data}, target_opset="latest")
    onnx.checker.check_model(smallest, full_check=True)
    opsets = {o.domain: o.version for o in smallest.opset_import}
    assert opsets[""] <= {o.domain: o.version for o in newest.opset_import}[""]
    assert smallest.ir_version <= newest.ir_version
    for got, expected in zip(_run(smallest, {"X": data}), _run(newest, {"X": data})):
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


def test_latest_takes_the_newest_opset_that_runs():
    x = Var("X", np.float32, [None, 4])
    smallest = (x + 1).to_onnx()
    latest = (x + 1).to_onnx(target_opset="latest")
    assert {o.domain: o.version for o in smallest.opset_import}[""] == 13
    assert {o.domain: o.version for o in latest.opset_import}[""] > 13


def test_a_node_that_cannot_fit_the_target_is_named_with_the_opset_it_needs():
    x = Var("X", np.float32, [None, 4])
    with pytest.raises(CompileError, match=r"OnnxReduceMax was built as ReduceMax version 20.*back to version 18.*opset 18"):
        x.max(axis=1).to_onnx(target_opset=15)
    with pytest.raises(CompileError, match=r"Gelu does not exist at opset 15"):
        onnxalgebra.OnnxGelu(x).to_onnx(target_opset=15)


# make test-oldest runs these with the oldest numpy and onnx pyproject.toml allows (numpy 1, onnx 1.16).


@pytest.mark.parametrize("ufunc", [np.greater_equal, np.less_equal])
def test_comparison_functions_keep_their_shape(ufunc):
    """onnx < 1.17 gives GreaterOrEqual/LessOrEqual no inference function: the output keeps its shape anyway (the
    checker of onnx 1.16 refuses a graph output without one), and onnxruntime computes what numpy does."""
    x = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]])
    model = onnxalgebra.to_onnx(ufunc(Var("X", np.float64), 0.5), {"X": x})
    onnx.checker.check_model(model, full_check=True)
    dims = model.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims][1:] == [3] and len(dims) == 2
    sess = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(sess.run(None, {"X": x})[0], ufunc(x, 0.5))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("scalar", [2, 2.0])
def test_python_scalars_are_weak_with_numpy_1_too(dtype, scalar):
    """A Python number takes the array's dtype unless its kind is higher (NEP 50, numpy's rule for these values
    under numpy 1 and 2): float32 / 2.0 stays float32 (it became float64 under numpy 1)."""
    x = np.array([1, 2, 3], dtype=dtype)
    model = onnxalgebra.to_onnx(np.multiply(Var("X", dtype), scalar) / scalar, {"X": x})
    expected = (x * scalar) / scalar
    got = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": x})[0]
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize(
    ("op", "built", "inputs", "outputs", "attributes", "expected"),
    [
        # 3 only added the tensor (double) forms of the float-list attributes: a node setting none is the same at 1 and 3
        # (5 deprecates the operator with 3's schema: the opset choice skips deprecated versions)
        ("TreeEnsembleClassifier", 1, [F], [I64, F], {"nodes_values": [0.5]}, (1, 5)),
        ("TreeEnsembleClassifier", 3, [F], [I64, F], {"nodes_values_as_tensor": None}, (3, 5)),
        ("TreeEnsembleRegressor", 1, [D], [F], {"target_weights": [1.0]}, (1, 5)),
        ("TreeEnsembleRegressor", 3, [F], [F], {"target_weights_as_tensor": None}, (3, 5)),
        # LabelEncoder 4 added the tensor attributes too, and types (onnxruntime's kernels of 2 take fewer pairs)
        ("LabelEncoder", 4, [I64], ["tensor(string)"], {"keys_int64s": [1]}, (4, 4)),
    ],
)
def test_ai_onnx_ml_equivalent_versions(op, built, inputs, outputs, attributes, expected):
    assert equivalent_versions("ai.onnx.ml", op, built, inputs, outputs, attributes) == expected
