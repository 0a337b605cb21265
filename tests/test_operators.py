"""Operator classes generated from onnx.defs, and what their constructor accepts and rejects.

The oracle is ``onnx.defs`` itself (which operators and versions exist, what
each schema documents) and the runtimes/numpy for what a built node computes.
"""

import difflib
import pydoc
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, defs, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import OnnxTypeError, OperatorError, operator_class

ALL_SCHEMAS = list(defs.get_all_schemas_with_history())


def _newest(domain, name):
    return defs.get_schema(name, defs.onnx_opset_version() if domain == "" else 1000, domain)


def _run(model, feeds):
    return ReferenceEvaluator(model).run(None, feeds)


# -- 2. one class per operator and per version -----------------------------------------


def test_every_operator_of_every_domain_has_a_class_and_pinned_classes():
    domains = set()
    for schema in ALL_SCHEMAS:
        domains.add(schema.domain)
        cls = operator_class(f"Onnx{schema.name}")
        assert cls.__name__ == f"Onnx{schema.name}"
        assert (cls.op_type, cls.domain, cls.pinned_version) == (schema.name, schema.domain, None)
        pinned = operator_class(f"Onnx{schema.name}_{schema.since_version}")
        assert pinned.__name__ == f"Onnx{schema.name}_{schema.since_version}"
        assert (pinned.op_type, pinned.domain, pinned.pinned_version) == (schema.name, schema.domain, schema.since_version)
        assert getattr(onnxalgebra, pinned.__name__) is pinned
    assert {"", "ai.onnx.ml", "ai.onnx.preview"} <= domains


def test_class_names_listed_match_onnx_defs():
    expected = set()
    for schema in ALL_SCHEMAS:
        expected.add(f"Onnx{schema.name}")
        expected.add(f"Onnx{schema.name}_{schema.since_version}")
    assert expected <= set(dir(onnxalgebra))


def test_import_does_not_create_every_class():
    code = (
        "import sys\n"
        "from onnxalgebra import OnnxAdd\n"
        "from onnxalgebra import _operators\n"
        "import onnxalgebra\n"
        "assert OnnxAdd.op_type == 'Add'\n"
        "assert 'OnnxSub' not in vars(onnxalgebra)\n"
        "print(len(_operators._CLASSES))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) <= 2, out.stdout  # OnnxAdd (and perhaps its alias 'Add'), not ~650


def test_from_import_and_attribute_give_the_same_class():
    from onnxalgebra import OnnxAdd, OnnxAdd_7, OnnxLinearRegressor

    assert onnxalgebra.OnnxAdd is OnnxAdd is operator_class("Add") is operator_class("OnnxAdd")
    assert OnnxAdd_7 is operator_class("OnnxAdd_7") and OnnxAdd_7 is not OnnxAdd
    assert OnnxLinearRegressor.domain == "ai.onnx.ml"


def test_unknown_operator_suggests_the_closest_name():
    with pytest.raises(ImportError):
        from onnxalgebra import OnnxAddd  # noqa: F401
    with pytest.raises(AttributeError, match="Did you mean OnnxMatMul"):
        onnxalgebra.OnnxMatMull  # noqa: B018
    with pytest.raises(OperatorError) as info:
        operator_class("Reluu")
    assert "OnnxRelu" in str(info.value)


def test_unknown_version_lists_the_versions_onnx_has():
    versions = sorted({s.since_version for s in ALL_SCHEMAS if s.name == "Add"})
    assert 8 not in versions
    with pytest.raises(AttributeError) as info:
        onnxalgebra.OnnxAdd_8  # noqa: B018
    assert str(versions) in str(info.value)


DOC_OPS = [("", "Add"), ("", "Conv"), ("", "TopK"), ("ai.onnx.ml", "LinearRegressor"), ("ai.onnx.preview", "FlexAttention")]


@pytest.mark.parametrize(("domain", "name"), DOC_OPS)
def test_doc_shows_schema_doc_inputs_outputs_attributes_constraints(domain, name):
    schema = _newest(domain, name)
    cls = operator_class(name)
    doc = cls.__doc__
    rendered = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    first_line = next(line.strip() for line in (schema.doc or "").splitlines() if line.strip())
    for text in (doc, rendered):
        assert name in text
        assert first_line in text
        for param in (*schema.inputs, *schema.outputs):
            assert param.name in text
        for attr in schema.attributes:
            assert attr in text
        for tc in schema.type_constraints:
            assert tc.type_param_str in text
            for allowed in tc.allowed_type_strs:
                assert allowed in text
    if domain:
        assert domain in doc


def test_pinned_class_doc_is_its_version():
    # Add version 6 had the 'broadcast' attribute; version 14 has none.
    old, new = defs.get_schema("Add", 6), _newest("", "Add")
    assert "broadcast" in old.attributes and "broadcast" not in new.attributes
    attribute_line = re.compile(r"^\s+broadcast \(", re.MULTILINE)
    assert attribute_line.search(onnxalgebra.OnnxAdd_6.__doc__)
    assert not attribute_line.search(onnxalgebra.OnnxAdd.__doc__)
    assert "version 6" in onnxalgebra.OnnxAdd_6.__doc__


# -- 3. constructor: inputs --------------------------------------------------------------


def test_inputs_str_array_scalar_expression_output_and_none():
    from onnxalgebra import OnnxAdd, OnnxClip, OnnxMul, OnnxTopK

    x = np.array([[3.0, -1.0, 7.0], [0.5, 9.0, -4.0]], dtype=np.float32)
    w = np.array([2.0, 0.5, -1.0], dtype=np.float32)
    top = OnnxTopK("X", np.array([2], dtype=np.int64), axis=1)
    idx = top[1]  # expr[1]: the indices, int64
    clipped = OnnxClip("X", None, 2.0)  # None: the omitted optional 'min'
    expr = OnnxAdd(OnnxMul(clipped, w), 1)  # an array constant, an expression, a Python scalar
    model = onnxalgebra.to_onnx([expr, idx], {"X": x})
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.input[0].name == "X"
    clip = next(n for n in model.graph.node if n.op_type == "Clip")
    assert clip.input[1] == ""  # omitted optional input
    got, got_idx = _run(model, {"X": x})
    np.testing.assert_allclose(got, np.minimum(x, 2.0) * w + 1, rtol=1e-6)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got_idx, np.argsort(-x, axis=1)[:, :2])
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    assert any(a.dtype == np.float32 and np.array_equal(a, w) for a in inits.values())


def test_input_of_an_unsupported_kind_is_rejected():
    with pytest.raises(OperatorError) as info:
        onnxalgebra.OnnxAdd("X", object())
    message = str(info.value)
    assert "OnnxAdd" in message and "input 1" in message and "numpy array" in message


def test_op_version_selects_the_schema_in_force():
    expr = onnxalgebra.OnnxAdd("X", "Y", op_version=10)
    assert expr.signature.schema.since_version == defs.get_schema("Add", 10).since_version == 7
    model = expr.to_onnx({"X": np.zeros((2,), np.float32), "Y": np.zeros((2,), np.float32)})
    (opset,) = [o.version for o in model.opset_import if o.domain == ""]
    assert defs.get_schema("Add", opset).since_version == 7
    onnx.checker.check_model(model, full_check=True)


def test_op_version_errors_name_the_operator():
    with pytest.raises(OperatorError, match=r"OnnxGelu.*Gelu.*opset 13"):
        onnxalgebra.OnnxGelu("X", op_version=13)
    with pytest.raises(OperatorError, match=r"OnnxAdd_7.*version 14.*pinned to version 7"):
        onnxalgebra.OnnxAdd_7("X", "Y", op_version=14)


def test_output_names_keyword():
    expr = onnxalgebra.OnnxAbs("X", output_names=["absolute"])
    model = expr.to_onnx({"X": np.zeros((2,), np.float32)})
    assert [o.name for o in model.graph.output] == ["absolute"]
    assert list(model.graph.node[0].output) == ["absolute"]


# -- 3. constructor: attributes of every kind --------------------------------------------


def _attribute(model, op_type, name):
    node = next(n for n in model.graph.node if n.op_type == op_type)
    attr = next(a for a in node.attribute if a.name == name)
    return attr, helper.get_attribute_value(attr)


def test_attribute_ints_and_floats():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 10
    expr = onnxalgebra.OnnxLeakyRelu(onnxalgebra.OnnxTranspose("X", perm=np.array([2, 0, 1])), alpha=0.25)
    model = expr.to_onnx({"X": x})
    attr, perm = _attribute(model, "Transpose", "perm")
    assert attr.type == onnx.AttributeProto.INTS and perm == [2, 0, 1]
    attr, alpha = _attribute(model, "LeakyRelu", "alpha")
    assert attr.type == onnx.AttributeProto.FLOAT and alpha == 0.25
    t = x.transpose(2, 0, 1)
    np.testing.assert_allclose(_run(model, {"X": x})[0], np.where(t > 0, t, 0.25 * t))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"value": np.array([[1, 2]], dtype=np.int64)}, np.array([[1, 2]], dtype=np.int64)),
        ({"value": numpy_helper.from_array(np.array([1.5], np.float32))}, np.array([1.5], np.float32)),
        ({"value_floats": [1.0, 2.5]}, np.array([1.0, 2.5], np.float32)),
        ({"value_ints": (3, 4)}, np.array([3, 4], np.int64)),
        ({"value_float": 0.5}, np.array(0.5, np.float32)),
        ({"value_int": 7}, np.array(7, np.int64)),
        ({"value_string": "abc"}, np.array("abc", dtype=object)),
        ({"value_strings": ["a", "bc"]}, np.array(["a", "bc"], dtype=object)),
    ],
)
def test_attribute_kinds_of_constant(kwargs, expected):
    expr = onnxalgebra.OnnxConstant(**kwargs)
    model = expr.to_onnx()
    onnx.checker.check_model(model, full_check=True)
    (got,) = _run(model, {})
    if expected.dtype == object:  # the reference evaluator gives str arrays
        got = got.astype(object)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert expr.dtype == expected.dtype  # typed at construction: no input


def test_attribute_strings():
    x = np.array(["a", "b", "zz"], dtype=object)
    expr = onnxalgebra.OnnxLabelEncoder("X", keys_strings=["a", "b"], values_int64s=[10, 20], default_int64=-1)
    model = expr.to_onnx({"X": x})
    onnx.checker.check_model(model, full_check=True)
    _, keys = _attribute(model, "LabelEncoder", "keys_strings")
    assert keys == [b"a", b"b"]
    np.testing.assert_array_equal(expr.eval({"X": x}), [10, 20, -1])
    np.testing.assert_array_equal(expr.eval({"X": x}, runtime="reference"), [10, 20, -1])


def _branch(name, value):
    node = helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array([value], np.float32)))
    return helper.make_graph([node], name, [], [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1])])


def test_attribute_graph_proto_and_expression():
    x = np.array([1.0, -2.0], np.float32)
    from_protos = onnxalgebra.OnnxIf("C", then_branch=_branch("t", 1.0), else_branch=_branch("e", 2.0))
    from_exprs = onnxalgebra.OnnxIf("C", then_branch=onnxalgebra.OnnxAbs("X"), else_branch=onnxalgebra.OnnxNeg("X"))
    for expr in (from_protos, from_exprs):
        model = expr.to_onnx({"C": np.array(True), "X": x}) if expr is from_exprs else expr.to_onnx({"C": np.array(True)})
        onnx.checker.check_model(model, full_check=True)
        attr, _ = _attribute(model, "If", "then_branch")
        assert attr.type == onnx.AttributeProto.GRAPH
    for cond in (True, False):
        c = np.array(cond)
        np.testing.assert_array_equal(from_protos.eval({"C": c}), [1.0 if cond else 2.0])
        np.testing.assert_array_equal(from_exprs.eval({"C": c, "X": x}, runtime="reference"), np.abs(x) if cond else -x)


# -- 3. constructor: errors ----------------------------------------------------------------


def test_wrong_number_of_inputs():
    schema = _newest("", "Add")
    for inputs in (("X",), ("X", "Y", "Z")):
        with pytest.raises(OperatorError) as info:
            onnxalgebra.OnnxAdd(*inputs)
        message = str(info.value)
        assert "OnnxAdd" in message and f"takes {schema.min_input} inputs" in message
        assert all(p.name in message for p in schema.inputs)
        assert f"{len(inputs)} given" in message


def test_wrong_number_of_variadic_inputs():
    schema = _newest("", "Sum")
    with pytest.raises(OperatorError, match=rf"OnnxSum.*{schema.min_input} to any number inputs.*0 given"):
        onnxalgebra.OnnxSum()
    onnxalgebra.OnnxSum("A", "B", "C", "D")  # variadic: any number accepted


def test_unknown_attribute_suggests_closest_name():
    schema = _newest("", "Transpose")
    (closest,) = difflib.get_close_matches("perms", list(schema.attributes), n=1)
    with pytest.raises(OperatorError) as info:
        onnxalgebra.OnnxTranspose("X", perms=[1, 0])
    message = str(info.value)
    assert "OnnxTranspose" in message and "'perms'" in message and f"Did you mean {closest!r}" in message


def test_unknown_attribute_without_close_name_lists_attributes():
    schema = _newest("", "Gemm")
    with pytest.raises(OperatorError) as info:
        onnxalgebra.OnnxGemm("A", "B", zzz=1)
    message = str(info.value)
    assert "OnnxGemm" in message and all(a in message for a in schema.attributes)


def test_attribute_removed_in_newer_version_points_to_the_old_one():
    with pytest.raises(OperatorError) as info:
        onnxalgebra.OnnxAdd("X", "Y", broadcast=1)
    assert "OnnxAdd" in str(info.value) and "OnnxAdd_6" in str(info.value)
    onnxalgebra.OnnxAdd_6("X", "Y", broadcast=1)  # fine there


def test_missing_required_attribute():
    required = [n for n, a in _newest("", "Cast").attributes.items() if a.required]
    assert required == ["to"]
    with pytest.raises(OperatorError) as info:
        onnxalgebra.OnnxCast("X")
    assert "OnnxCast" in str(info.value) and "requires" in str(info.value) and "'to'" in str(info.value)


@pytest.mark.parametrize(
    ("op", "attr", "value"),
    [
        ("Cast", "to", "float"),
        ("Concat", "axis", 1.5),
        ("LeakyRelu", "alpha", "big"),
        ("Transpose", "perm", [0.5, 1]),
        ("Constant", "value_strings", [1, 2]),
        ("Constant", "value", [1, 2]),
        ("If", "then_branch", 3),
    ],
)
def test_attribute_of_wrong_kind(op, attr, value):
    kind = _newest("", op).attributes[attr].type.name
    inputs = {"Cast": ("X",), "Concat": ("X",), "LeakyRelu": ("X",), "Transpose": ("X",), "Constant": (), "If": ("C",)}[op]
    with pytest.raises(OperatorError) as info:
        operator_class(op)(*inputs, **{attr: value})
    message = str(info.value)
    assert f"Onnx{op}" in message and repr(attr) in message and kind in message


def test_errors_are_onnxalgebra_errors():
    assert issubclass(OperatorError, onnxalgebra.OnnxAlgebraError)
    assert issubclass(OnnxTypeError, onnxalgebra.OnnxAlgebraError)
    assert issubclass(onnxalgebra.CompileError, onnxalgebra.OnnxAlgebraError)
