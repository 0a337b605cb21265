"""The Python rules of _shape_rules against ONNX's own inference (``onnx.shape_inference.infer_node_outputs``).

For every operator and schema version of the table, hypothesis draws input types (ranks 0 to 4, dimensions from
0, 1, 2, 3, 'N', 'M' and unknown, element types the schema allows and some it refuses), attributes and constant
axes; the rule must give exactly ONNX's output types, and give way (None) whenever ONNX raises. Converted models
must not change at all when the rules are switched off, and a bad broadcast still raises ONNX's message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from onnx import AttributeProto, TensorProto, helper, numpy_helper, shape_inference

from onnxalgebra import AttributeList, OnnxAdd, OnnxTypeError, Var, _inference, _shape_rules, to_onnx
from onnxalgebra._attributes import AttributeRef
from onnxalgebra._inference import _STAND_INS
from onnxalgebra._shape_rules import broadcast, python_rule
from onnxalgebra._signature import signature_of
from onnxalgebra._types import TensorType, type_from_proto, type_to_proto

F, D, I64, B = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64, TensorProto.BOOL
DIMS = st.sampled_from([0, 1, 1, 2, 3, 3, "N", "M", None])
EXAMPLES = int(os.environ.get("ONNXALGEBRA_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cases() -> list[tuple[str, int]]:
    """Every (operator, version) of the table that the installed onnx defines."""
    cases = []
    for op_type, (_, versions, _) in sorted(_shape_rules.RULES.items()):
        for version in sorted(versions):
            try:
                schema = onnx.defs.get_schema(op_type, version, "")
            except onnx.defs.SchemaError:
                continue
            if schema.since_version == version:
                cases.append((op_type, version))
    return cases


CASES = _cases()


def onnx_answer(op_type, version, types, present, attributes, data):
    """ONNX's output types for the node, or the exception it raises (onnx < 1.17 gives GreaterOrEqual and
    LessOrEqual no inference function: Greater's and Less's, which onnxalgebra uses there, answer)."""
    schema = onnx.defs.get_schema(op_type, version, "")
    if not schema.has_type_and_shape_inference_function and op_type in _STAND_INS:
        schema = onnx.defs.get_schema(_STAND_INS[op_type], version, "")
    names = [f"i{i}" if p else "" for i, p in enumerate(present)]
    while names and names[-1] == "":
        names.pop()
    node = helper.make_node(op_type, names, ["o0"], **{k: v for k, v in attributes.items() if not isinstance(v, list)})
    lists = [helper.make_attribute(k, v, attr_type=AttributeProto.INTS) for k, v in attributes.items() if isinstance(v, list)]
    node.attribute.extend(lists)  # make_node cannot tell the type of an empty list
    given_types = {f"i{i}": type_to_proto(t) for i, (t, p) in enumerate(zip(types, present)) if p}
    input_data = {f"i{i}": numpy_helper.from_array(a) for i, a in data.items()}
    try:
        out = shape_inference.infer_node_outputs(
            schema, node, given_types, input_data=input_data or None, opset_imports=[helper.make_opsetid("", version)]
        )
    except Exception as exc:  # InferenceError, ValidationError; ValueError for Cast(to=0)
        return exc
    return (type_from_proto(out["o0"]),)


def rule_answer(op_type, version, types, present, attributes, data):
    """The rule's answer, given the attributes as onnxalgebra normalises them and the constants as a data key."""
    attrs = {k: (AttributeList(v, "ints") if isinstance(v, list) else v) for k, v in attributes.items()}
    data_key = tuple((i, a.dtype.str, a.shape, a.tobytes()) for i, a in sorted(data.items()))
    return python_rule(op_type, version, attrs, tuple(t if p else None for t, p in zip(types, present)), present, data_key)


def shapes_like(draw, count, rank_max=4):
    """``count`` shapes that often broadcast: suffixes of one base shape, some dimensions replaced; sometimes
    unrelated shapes or an unknown rank."""
    base = draw(st.lists(DIMS, min_size=0, max_size=rank_max))
    shapes = []
    for _ in range(count):
        kind = draw(st.sampled_from(["suffix", "suffix", "suffix", "free", "unknown"]))
        if kind == "unknown":
            shapes.append(None)
        elif kind == "free":
            shapes.append(tuple(draw(st.lists(DIMS, min_size=0, max_size=rank_max))))
        else:
            start = draw(st.integers(0, len(base)))
            dims = [draw(st.sampled_from([d, d, d, 1, None, "N"])) for d in base[start:]]
            shapes.append(tuple(dims))
    return shapes


def elem_types(draw, count, choices):
    """Usually one element type for all inputs, sometimes each its own."""
    if draw(st.integers(0, 9)) == 0:
        return [draw(st.sampled_from([*choices, D, TensorProto.STRING])) for _ in range(count)]
    elem = draw(st.sampled_from(choices))
    return [elem] * count


BOOL_OPS = {"And", "Or", "Xor", "Not"}
INT_OK = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Equal", "Less", "Greater", "LessOrEqual",
          "GreaterOrEqual", "Abs", "Neg", "Relu", "Sign", "Identity", "MatMul", "Gemm", "ArgMax", "ArgMin",
          "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1",
          "ReduceL2", "Cast", "Where", "Reshape"}  # fmt: skip


def draw_case(draw, op_type, version):
    """(input types, present, attributes, constant data) for one node of ``op_type``."""
    schema = onnx.defs.get_schema(op_type, version, "")
    choices = [B] if op_type in BOOL_OPS else [F, D, I64, B] if op_type in {"Cast", "Identity", "Equal", "Max"} else (
        [F, D, I64] if op_type in INT_OK else [F, D]
    )
    attributes, data = {}, {}
    if op_type in {"Max", "Min", "Sum", "Mean"}:
        count = draw(st.integers(1, 4))
    elif op_type == "Where":
        count = 3
    elif schema.max_input == 1 or op_type.startswith(("Arg", "Softmax", "LogSoftmax")):
        count = 1
    elif op_type.startswith("Reduce") or op_type == "Gemm":
        count = len(schema.inputs)
    else:
        count = 2
    shapes = shapes_like(draw, count)
    elems = elem_types(draw, count, choices)
    present = [True] * count
    if op_type == "Where":
        elems[0] = draw(st.sampled_from([B, B, B, F]))
    if op_type == "Pow":
        elems[1] = draw(st.sampled_from([elems[1], F, I64]))
    if op_type == "MatMul" or op_type == "Gemm":
        m, k, n = (draw(DIMS) for _ in range(3))
        a = [m, k] if draw(st.booleans()) else [k, m]
        b = [k, n] if draw(st.booleans()) else [n, k]
        if op_type == "MatMul":
            batch = draw(st.lists(DIMS, max_size=2))
            a = draw(st.sampled_from([[*batch, m, k], [k], [m, k], a]))
            b = draw(st.sampled_from([[*batch, k, n], [k], [k, n], [*batch[1:], k, n], b]))
        shapes[0] = draw(st.sampled_from([tuple(a), tuple(a), shapes[0]]))
        shapes[1] = draw(st.sampled_from([tuple(b), tuple(b), shapes[1]]))
    if op_type == "Gemm":
        for name in ("transA", "transB"):
            if draw(st.booleans()):
                attributes[name] = draw(st.sampled_from([0, 1, 1, 2]))
        if draw(st.booleans()):
            attributes["alpha"] = 0.5
        present[2] = draw(st.booleans())
    if op_type == "Cast":
        attributes["to"] = draw(st.sampled_from([F, D, I64, B, TensorProto.STRING, TensorProto.FLOAT16, TensorProto.UINT8, 0]))
        if "saturate" in schema.attributes and draw(st.booleans()):
            attributes["saturate"] = 0
    if op_type == "IsInf" and draw(st.booleans()):
        attributes["detect_negative"] = draw(st.sampled_from([0, 1]))
    if op_type.startswith(("Arg", "Softmax", "LogSoftmax")) and draw(st.booleans()):
        attributes["axis"] = draw(st.integers(-5, 4))
    if op_type.startswith("Arg"):
        if draw(st.booleans()):
            attributes["keepdims"] = draw(st.sampled_from([0, 1, 2]))
        if "select_last_index" in schema.attributes and draw(st.booleans()):
            attributes["select_last_index"] = 1
    if op_type == "Reshape":
        elems[1] = I64
        target = draw(st.lists(st.sampled_from([-2, -1, -1, 0, 0, 1, 2, 3, 6]), max_size=4))
        shapes[1] = (len(target),)
        if draw(st.integers(0, 5)):
            data[1] = np.array(target, dtype=np.int64)
        if "allowzero" in schema.attributes and draw(st.booleans()):
            attributes["allowzero"] = draw(st.sampled_from([0, 1]))
    if op_type.startswith("Reduce"):
        if draw(st.booleans()):
            attributes["keepdims"] = draw(st.sampled_from([0, 1, 2]))
        if "noop_with_empty_axes" in schema.attributes and draw(st.booleans()):
            attributes["noop_with_empty_axes"] = draw(st.sampled_from([0, 1]))
        axes = draw(st.lists(st.integers(-5, 4), max_size=3))
        if "axes" in schema.attributes:
            if draw(st.integers(0, 3)):
                attributes["axes"] = axes
        else:
            how = draw(st.sampled_from(["data", "data", "data", "typed", "absent"]))
            present[1] = how != "absent"
            shapes[1], elems[1] = (len(axes),), I64
            if how == "data":
                data[1] = np.array(axes, dtype=np.int64)
    return [TensorType(e, s) for e, s in zip(elems, shapes)], tuple(present), attributes, data


@pytest.mark.parametrize(("op_type", "version"), CASES, ids=[f"{op}-{v}" for op, v in CASES])
@SETTINGS
@given(data=st.data())
def test_rule_gives_onnx_types(op_type, version, data):
    """Where ONNX infers, the rule answers the same (it declines only the cases the module names); where ONNX
    raises, the rule gives way so that ONNX's message is raised."""
    types, present, attributes, constants = draw_case(data.draw, op_type, version)
    expected = onnx_answer(op_type, version, types, present, attributes, constants)
    got = rule_answer(op_type, version, types, present, attributes, constants)
    event("ONNX raises" if isinstance(expected, Exception) else "declined" if got is None else "answered")
    if isinstance(expected, Exception):
        assert got is None, f"ONNX raises {expected} but the rule answers {got}"
        return
    if got is None:
        assert declined_on_purpose(op_type, types, present, attributes, constants), (
            f"the rule declines {op_type}-{version} {types} {attributes}, ONNX gives {expected}"
        )
        return
    assert got == expected


def declined_on_purpose(op_type, types, present, attributes, constants):
    """The cases the rules leave to ONNX although it answers."""
    if op_type == "Gemm":  # onnx releases differ when a shape is unknown or the inner dimensions differ
        a, b = types[0].shape, types[1].shape
        if a is None or b is None:
            return True
        k_a, k_b = a[0 if attributes.get("transA") else 1], b[1 if attributes.get("transB") else 0]
        return type(k_a) is int and type(k_b) is int and k_a != k_b
    if op_type.startswith("Reduce"):
        rank = len(types[0].shape)  # older versions let an axis out of range pass
        return any(not -rank <= a < rank for a in attributes.get("axes", ()))
    return False


def test_broadcast_of_symbolic_and_unknown_dims():
    """ONNX's choices, dimension by dimension (the oracle is infer_node_outputs of Add)."""
    pairs = [(1, "N"), ("N", "M"), (None, 3), ("N", 3), (None, None), ("N", None), (None, 1), (0, 1), ("N", "N"), (1, 1)]
    for a, b in pairs:
        expected = onnx_answer("Add", 14, [TensorType(F, (a,)), TensorType(F, (b,))], (True, True), {}, {})
        assert (TensorType(F, broadcast([(a,), (b,)])),) == expected, (a, b)


def test_attribute_references_are_left_to_onnx():
    """Inside a local function an attribute may be a reference to the function's own: no rule reads it."""
    x = (TensorType(F, ("N", 3)),)
    for op_type, version, name in [("ReduceMean", 13, "axes"), ("ArgMax", 13, "axis"), ("Softmax", 13, "axis"),
                                   ("ReduceMean", 13, "keepdims"), ("Cast", 21, "to")]:  # fmt: skip
        ref = AttributeRef("a", AttributeProto.INTS if name == "axes" else AttributeProto.INT)
        assert python_rule(op_type, version, {name: ref}, x, (True,), ()) is None, (op_type, name)
    gemm = (TensorType(F, ("N", 3)), TensorType(F, (3, 2)))
    assert python_rule("Gemm", 13, {"transA": AttributeRef("a", AttributeProto.INT)}, gemm, (True, True), ()) is None
    assert python_rule("Gemm", 13, {"transA": 0}, gemm, (True, True), ()) == (TensorType(F, ("N", 2)),)


def test_incompatible_broadcast_is_left_to_onnx():
    """A wrong broadcast: the rule declines, and building the node raises ONNX's message as OnnxTypeError."""
    types = (TensorType(F, (None, 3)), TensorType(F, (4,)))
    assert python_rule("Add", 14, {}, types, (True, True), ()) is None
    _inference.clear_cache()
    with pytest.raises(OnnxTypeError, match="Incompatible dimensions"):
        OnnxAdd(Var("X", np.float32, [None, 3]), np.zeros(4, dtype=np.float32))


def test_rules_skip_serialisation(monkeypatch):
    """A node the rules type never serialises its attributes (the cost the rules remove)."""
    sig = signature_of("", "Gemm", 13)

    def forbidden():
        raise AssertionError("attribute_bytes called")

    types = (TensorType(F, ("N", 4)), TensorType(F, (3, 4)), TensorType(F, (3,)))
    _inference.clear_cache()
    out = _inference.infer_outputs(
        sig, 1, (("transB", 1),), {"transB": 1}, forbidden, types, (True, True, True), (), (("", 13),), lambda: ""
    )
    assert out == (TensorType(F, ("N", 3)),)


# End to end: models are byte-identical with the rules on and off.

sys.path.insert(0, str(Path(__file__).parent))


def _models():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PowerTransformer, StandardScaler
    from sklearn.svm import OneClassSVM

    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    return {
        "KMeans": (KMeans(3, n_init=2, random_state=0).fit(X), X),
        "PowerTransformer": (PowerTransformer().fit(X), X),
        "OneClassSVM": (OneClassSVM().fit(X), X),
        "GaussianMixture": (GaussianMixture(3, random_state=0).fit(X), X),
        "Pipeline": (make_pipeline(StandardScaler(), PCA(4), LogisticRegression()).fit(X, y), X),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_models_identical_with_and_without_rules(monkeypatch, dtype):
    models = _models()
    with_rules, answered = {}, []
    rule = _inference.python_rule
    monkeypatch.setattr(_inference, "python_rule", lambda *args: answered.append(rule(*args)) or answered[-1])
    for name, (est, X) in models.items():
        _inference.clear_cache()
        before = len([a for a in answered if a is not None])
        with_rules[name] = to_onnx(est, X[:1].astype(dtype)).SerializeToString()
        assert len([a for a in answered if a is not None]) > before, f"the rules typed no node of {name}"
    monkeypatch.setattr(_shape_rules, "RULES", {})
    for name, (est, X) in models.items():
        _inference.clear_cache()
        assert to_onnx(est, X[:1].astype(dtype)).SerializeToString() == with_rules[name], name
