"""custom_operator: nodes of domains onnx does not define, compiled and run by onnxruntime.

The oracles are numpy (``np.linalg.inv`` for onnxruntime's ``com.microsoft.Inverse``)
and Python's ``re.findall`` (for ``com.microsoft.Tokenizer``).
"""

import re

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from onnxalgebra import OnnxAdd, OnnxStringNormalizer, OperatorError, TensorType, custom_operator, to_onnx


def _inverse():
    return custom_operator("Inverse", "com.microsoft", inputs=["X"], outputs=["Y"])


def _run(model, feeds):
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_contrib_operator_in_a_graph(dtype):
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((5, 3, 3)) + 3 * np.eye(3)).astype(dtype)
    inverse = _inverse()("X", output_types=[(dtype, (None, 3, 3))])
    expr = OnnxAdd(inverse, np.array(1, dtype=dtype))  # standard operators around it
    model = to_onnx(expr, {"X": X})
    assert {(o.domain, o.version) for o in model.opset_import} >= {("com.microsoft", 1)}
    assert [n.domain for n in model.graph.node] == ["com.microsoft", ""]
    (got,) = _run(model, {"X": X})
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, np.linalg.inv(X.astype(np.float64)) + 1, rtol=rtol, atol=rtol)


def test_declared_types_reach_the_graph_and_onnx_inference():
    inverse = _inverse()("X", output_types=[TensorType(onnx.TensorProto.DOUBLE, ("N", 2, 2))])
    assert str(inverse.type) == "tensor(double)[N, 2, 2]"
    model = to_onnx(inverse, {"X": np.zeros((1, 2, 2))})
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    inferred = onnx.shape_inference.infer_shapes(to_onnx(OnnxAdd(inverse, 1.0), {"X": np.zeros((1, 2, 2))}))
    assert inferred.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE


def test_tokenizer_with_attributes_matches_python_findall():
    tokenizer = custom_operator(
        "Tokenizer",
        "com.microsoft",
        inputs=["X"],
        outputs=["Y"],
        attributes={"mark": "int", "pad_value": "string", "separators": "strings", "tokenexp": "string", "mincharnum": "int"},
    )
    docs = np.array(["Hello, World! été_2 x", "", "fox\u2600dog «brown» “lazy”"], dtype=object)
    lower = OnnxStringNormalizer("X", case_change_action="LOWER", locale="C.UTF-8")
    words = tokenizer(
        lower, mark=0, pad_value="#", tokenexp=r"[\p{L}\p{N}_]{2,}", mincharnum=1, output_types=[(str, (None, None))]
    )
    (got,) = _run(to_onnx(words, {"X": docs}), {"X": docs})
    for row, doc in zip(got, docs):
        assert [t for t in row if t != "#"] == re.findall(r"\w\w+", doc.lower())


def test_same_declaration_gives_the_same_class():
    assert _inverse() is _inverse()


def test_missing_output_types():
    with pytest.raises(OperatorError, match="output_types"):
        _inverse()("X")
    with pytest.raises(OperatorError, match="TensorType or a"):
        _inverse()("X", output_types=["float"])


def test_unknown_attribute_is_refused():
    with pytest.raises(OperatorError, match="no attribute"):
        _inverse()("X", axis=1, output_types=[(np.float32, None)])


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("Inverse", "com.microsoft"), {"inputs": ["A"], "outputs": ["Y"]}, "another schema"),
        (("Foo", ""), {"inputs": ["X"], "outputs": ["Y"]}, "domain onnx defines"),
        (("Foo", "ai.onnx.ml"), {"inputs": ["X"], "outputs": ["Y"]}, "domain onnx defines"),
        (("Gelu", "com.microsoft"), {"inputs": ["X"], "outputs": ["Y"]}, "onnx defines Gelu"),
        (("Foo", "org.example"), {"inputs": ["X"], "outputs": ["Y"], "attributes": {"a": "list"}}, "has kind 'list'"),
        (("Foo", "org.example"), {"inputs": [], "outputs": ["Y"]}, "at least one input"),
        (("Foo", "org.example"), {"inputs": ["X"], "outputs": ["Y"], "version": 0}, "version >= 1"),
    ],
)
def test_bad_declarations(args, kwargs, message):
    _inverse()
    with pytest.raises(OperatorError, match=message):
        custom_operator(*args, **kwargs)
