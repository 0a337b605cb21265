"""Issue 15, part 1: local functions, against numpy (onnxruntime and onnx's reference evaluator)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator

from onnxalgebra import (
    CompileError,
    Graph,
    OnnxCast,
    OnnxConstant,
    OnnxIf,
    OnnxLeakyRelu,
    OnnxReduceMax,
    OnnxReduceSum,
    OnnxRelu,
    OnnxSigmoid,
    OperatorError,
    Var,
    function,
    show,
    to_dot,
    to_onnx,
)

F32 = np.float32
RNG = np.random.default_rng(0)
W = RNG.normal(size=(4, 4)).astype(F32)
DATA = RNG.normal(size=(5, 4)).astype(F32)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


@function
def swish(x):
    """x * sigmoid(x)."""
    return x * OnnxSigmoid(x)


@function(domain="my.layers", name="Dense")
def dense(x, w):
    hidden = swish(x @ w)  # a nested function
    return OnnxRelu(hidden) + 1.5, hidden


def _run(model, feeds):
    got = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    reference = ReferenceEvaluator(model).run(None, feeds)
    for g, r in zip(got, reference, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)
    return got


def _expected():
    h1 = swish_np(DATA @ W)
    a1 = np.maximum(h1, 0) + 1.5
    h2 = swish_np(a1 @ W)
    return np.maximum(h2, 0) + 1.5, swish_np(h1)


def swish_np(v):
    return v * _sigmoid(v)


def _model(**kwargs):
    X = Var("X", F32, ["N", 4])
    a, h = dense(X, W)
    b, _ = dense(a, W)
    return to_onnx([b, swish(h)], {"X": DATA[:1]}, outputs=["b", "s"], **kwargs)


def test_one_function_proto_per_function_however_many_calls():
    model = _model()
    onnx.checker.check_model(model, full_check=True)
    calls = [("my.layers", "Dense"), ("my.layers", "Dense"), ("local", "swish")]
    assert [(n.domain, n.op_type) for n in model.graph.node] == calls
    assert sorted((f.domain, f.name) for f in model.functions) == [("local", "swish"), ("my.layers", "Dense")]
    dense_proto = next(f for f in model.functions if f.name == "Dense")
    assert [n.op_type for n in dense_proto.node].count("swish") == 1  # the nested call stays a call
    b, s = _run(model, {"X": DATA})
    expected_b, expected_s = _expected()
    np.testing.assert_allclose(b, expected_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s, expected_s, rtol=1e-5, atol=1e-6)
    assert model.SerializeToString() == _model().SerializeToString()  # deterministic


def test_inline_functions_flattens_every_call():
    flat = _model(inline_functions=True)
    assert not flat.functions
    assert {n.domain for n in flat.graph.node} == {""}
    assert {o.domain for o in flat.opset_import} == {""}
    b, s = _run(flat, {"X": DATA})
    np.testing.assert_allclose(b, _expected()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s, _expected()[1], rtol=1e-5, atol=1e-6)


def test_types_are_inferred_through_calls():
    X = Var("X", np.float64, ["batch", 4])
    out = swish(X)
    assert str(out.type) == "tensor(double)[batch, 4]"
    a, h = dense(Var("X", F32, ["batch", 4]), W)
    assert str(a.type) == "tensor(float)[batch, 4]" and str(h.type) == "tensor(float)[batch, 4]"


def test_a_call_inside_a_subgraph():
    X = Var("X", F32, ["N", 4])
    flag = Var("flag", np.bool_, [])
    branch = OnnxIf(flag, then_branch=Graph.from_outputs(swish(X)), else_branch=Graph.from_outputs(X * 2.0))
    model = to_onnx(branch, {"X": DATA[:1], "flag": np.array(True)})
    assert [f.name for f in model.functions] == ["swish"]
    (yes,) = _run(model, {"X": DATA, "flag": np.array(True)})
    (no,) = _run(model, {"X": DATA, "flag": np.array(False)})
    np.testing.assert_allclose(yes, swish_np(DATA), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(no, DATA * 2)


def test_diagrams_draw_a_call_as_one_box_or_expand_it():
    model = _model()
    boxes = to_dot(model)
    assert "Dense" in boxes and "Sigmoid" not in boxes
    expanded = to_dot(model, expand_functions=True)
    assert "Sigmoid" in expanded and "Dense" not in expanded
    assert "Sigmoid" in show(swish(Var("X", F32, ["N", 4])), expand_functions=True).source


@function
def scaled_leaky(x, *, alpha=0.1, scale=2.0):
    """LeakyRelu(x, alpha) * scale: alpha is the node's attribute, scale a tensor (a Constant of the attribute)."""
    return OnnxLeakyRelu(x, alpha=alpha) * scale


@function
def powered(x, *, power: int, axes=(1,)):
    return OnnxReduceSum(x ** OnnxCast(power, to=1), np.array([1], np.int64), keepdims=1) + OnnxCast(
        OnnxReduceMax(OnnxCast(OnnxConstant(value_ints=axes), to=1), keepdims=0), to=1
    )


def test_attributes_are_function_attributes():
    X = Var("X", F32, ["N", 3])
    y = scaled_leaky(X) + scaled_leaky(X, alpha=0.5, scale=-1.0) + powered(X, power=2)
    model = to_onnx(y, {"X": np.zeros((1, 3), F32)})
    onnx.checker.check_model(model, full_check=True)
    protos = {f.name: f for f in model.functions}
    assert sorted(protos) == ["powered", "scaled_leaky"]
    leaky = protos["scaled_leaky"]
    assert {a.name: a.f for a in leaky.attribute_proto} == pytest.approx({"alpha": 0.1, "scale": 2.0})
    refs = {a.name: a.ref_attr_name for n in leaky.node for a in n.attribute}
    assert refs == {"alpha": "alpha", "value_float": "scale"}  # the body reads the call's values
    assert list(protos["powered"].attribute) == ["power"]  # required: no default
    calls = [n for n in model.graph.node if n.op_type == "scaled_leaky"]
    assert [{a.name: a.f for a in n.attribute} for n in calls] == [pytest.approx({"alpha": 0.1, "scale": 2.0}),
                                                                   pytest.approx({"alpha": 0.5, "scale": -1.0})]  # fmt: skip
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -1.0, 0.0]], F32)
    expected = (np.where(x > 0, x, 0.1 * x) * 2 + np.where(x > 0, x, 0.5 * x) * -1
                + (x**2).sum(axis=1, keepdims=True) + 1)  # fmt: skip
    for compiled in (model, to_onnx(y, {"X": np.zeros((1, 3), F32)}, inline_functions=True)):
        (got,) = ort.InferenceSession(compiled.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": x})
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_errors():
    with pytest.raises(OperatorError, match=r"takes 1 inputs \['x'\], 2 given"):
        swish(Var("X", F32, [2]), Var("Y", F32, [2]))
    with pytest.raises(OperatorError, match=r"types of inputs \['x'\] are unknown"):
        swish(Var("untyped"))
    with pytest.raises(OperatorError, match=r"attributes keyword-only.*\['options'\] are neither"):

        @function
        def loose(x, **options):
            return x

    with pytest.raises(OperatorError, match="needs a default or an annotation"):

        @function
        def unknown_kind(x, *, alpha):
            return x

    with pytest.raises(OperatorError, match=r"no attribute\(s\) \['alfa'\]"):
        scaled_leaky(Var("X", F32, [2]), alfa=0.3)
    with pytest.raises(OperatorError, match=r"the attribute\(s\) \['power'\] have no default"):
        powered(Var("X", F32, [2]))
    with pytest.raises(OperatorError, match=r"attribute 'alpha' of LeakyRelu.*is FLOAT; the function attribute 'n' is INT"):

        @function
        def wrong_kind(x, *, n=2):
            return OnnxLeakyRelu(x, alpha=n)

        wrong_kind(Var("X", F32, [2]))

    @function
    def typed_body(x):
        return x.astype(np.float32) if x.dtype == np.float64 else x + 1

    both = [typed_body(Var("A", np.float64, [2])), typed_body(Var("B", F32, [2]))]
    with pytest.raises(CompileError, match="typed_body: its calls trace to different bodies"):
        to_onnx(both)
