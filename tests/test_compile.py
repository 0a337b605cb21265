"""The compiler: names, opset imports and versions, target opsets, IR version, producer, checker."""

import re

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import defs, helper
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import CompileError, OnnxAbs, OnnxAdd, OnnxMatMul, OnnxRelu, OnnxSoftmax, OnnxTranspose, Var

X = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -4.0]], dtype=np.float32)
W = np.arange(9, dtype=np.float32).reshape(3, 3) / 10
MAX_OPSET = defs.onnx_opset_version()


def _opsets(model):
    return {o.domain: o.version for o in model.opset_import}


def _load(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _network():
    hidden = OnnxRelu(OnnxAdd(OnnxMatMul("X", W), np.ones((1, 3), np.float32)))
    return OnnxSoftmax(OnnxTranspose(OnnxMatMul(hidden, W.T.copy())), axis=1)


def _network_numpy(x):
    hidden = np.maximum(x @ W + 1, 0)
    return _softmax((hidden @ W.T).T, axis=1)


# -- names -------------------------------------------------------------------------------------------


def test_names_are_readable_and_unique():
    model = _network().to_onnx({"X": X})
    onnx.checker.check_model(model, full_check=True)
    node_names = [n.name for n in model.graph.node]
    assert len(set(node_names)) == len(node_names)
    for node in model.graph.node:
        assert re.fullmatch(rf"{node.op_type}_\d+", node.name), node.name
    assert sorted(n for n in node_names if n.startswith("MatMul")) == ["MatMul_0", "MatMul_1"]
    values = [i.name for i in model.graph.input] + [i.name for i in model.graph.initializer]
    values += [o for n in model.graph.node for o in n.output]
    assert len(set(values)) == len(values)  # every value is defined once


def test_user_names_are_honoured_and_generated_names_avoid_them():
    hidden = OnnxAbs("X", output_names=["Add_0"])  # a user name that looks generated
    expr = OnnxAdd(hidden, np.float32(1), output_names=["init_0"])
    model = onnxalgebra.to_onnx([expr, OnnxAdd(hidden, np.float32(2))], {"X": X}, outputs=["init_0", "second"])
    onnx.checker.check_model(model, full_check=True)
    assert [o.name for o in model.graph.output] == ["init_0", "second"]
    assert "Add_0" in [o for n in model.graph.node for o in n.output]
    assert all(i.name not in ("Add_0", "init_0") for i in model.graph.initializer)
    assert all(n.name != "Add_0" for n in model.graph.node)
    first, second = ReferenceEvaluator(model).run(None, {"X": X})
    np.testing.assert_array_equal(first, np.abs(X) + 1)
    np.testing.assert_array_equal(second, np.abs(X) + 2)


def test_clash_between_user_names_is_a_compile_error():
    with pytest.raises(CompileError, match=r"'Y'.*OnnxAbs.*OnnxNeg|'Y'.*OnnxNeg.*OnnxAbs"):
        onnxalgebra.to_onnx([OnnxAbs("X", output_names=["Y"]), onnxalgebra.OnnxNeg("X", output_names=["Y"])], {"X": X})
    with pytest.raises(CompileError, match=r"'X'.*graph input"):
        OnnxAbs("X").to_onnx({"X": X}, outputs=["X"])
    with pytest.raises(CompileError, match=r"'Y'"):
        onnxalgebra.to_onnx([OnnxAbs("X"), onnxalgebra.OnnxNeg("X")], {"X": X}, outputs=["Y", "Y"])
    with pytest.raises(CompileError, match=r"'Y'.*outputs=.*OnnxAbs|'Y'.*OnnxAbs.*outputs="):
        OnnxAdd(OnnxAbs("X", output_names=["Y"]), 1.0).to_onnx({"X": X}, outputs=["Y"])


def test_same_user_name_for_the_same_value_is_no_clash():
    model = OnnxAbs("X", output_names=["Y"]).to_onnx({"X": X}, outputs=["Y"])
    onnx.checker.check_model(model, full_check=True)
    assert [o.name for o in model.graph.output] == ["Y"] and len(model.graph.node) == 1


# -- opset imports ------------------------------------------------------------------------------------


def test_only_the_domains_used_are_imported():
    assert set(_opsets(OnnxAbs("X").to_onnx({"X": X}))) == {""}
    ml = onnxalgebra.OnnxBinarizer("X", threshold=0.6)
    model = ml.to_onnx({"X": X})
    onnx.checker.check_model(model, full_check=True)
    assert set(_opsets(model)) == {"ai.onnx.ml"}
    np.testing.assert_array_equal(_load(model).run(None, {"X": X})[0], (X > 0.6).astype(np.float32))
    both = onnxalgebra.to_onnx([ml, OnnxAbs("X")], {"X": X})
    assert set(_opsets(both)) == {"", "ai.onnx.ml"}


def test_an_identity_only_graph_imports_the_default_domain():
    model = onnxalgebra.to_onnx(["X"], {"X": X})
    onnx.checker.check_model(model, full_check=True)
    assert set(_opsets(model)) == {""}
    np.testing.assert_array_equal(_load(model).run(None, {"X": X})[0], X)


def _network_for(opset):
    """The network built with the versions in force at ``opset`` (op_version)."""
    hidden = OnnxRelu(
        OnnxAdd(OnnxMatMul("X", W, op_version=opset), np.ones((1, 3), np.float32), op_version=opset), op_version=opset
    )
    return OnnxSoftmax(
        OnnxTranspose(OnnxMatMul(hidden, W.T.copy(), op_version=opset), op_version=opset), axis=1, op_version=opset
    )


@pytest.mark.parametrize("target", [7, 9, 11, 13, 15, 17, 19, 21, MAX_OPSET])
def test_target_opset_is_an_upper_bound_and_the_smallest_fitting_opset_is_used(target):
    # built with the newest versions: the smallest opset keeping them (Softmax 13), at most the target
    if target >= 13:
        model = _network().to_onnx({"X": X}, target_opset=target)
        assert _opsets(model)[""] == 13
    else:
        with pytest.raises(CompileError, match=rf"OnnxSoftmax is Softmax version 13.*op_version={target}"):
            _network().to_onnx({"X": X}, target_opset=target)
        model = _network_for(target).to_onnx({"X": X}, target_opset=target)  # built for the target: it fits
    onnx.checker.check_model(model, full_check=True)
    opset = _opsets(model)[""]
    assert opset <= target
    np.testing.assert_allclose(ReferenceEvaluator(model).run(None, {"X": X})[0], _network_numpy(X), rtol=1e-5)
    np.testing.assert_allclose(_load(model).run(None, {"X": X})[0], _network_numpy(X), rtol=1e-5)
    assert model.ir_version <= onnx.IR_VERSION


def test_target_opset_per_domain():
    with pytest.raises(CompileError, match=r"OnnxLabelEncoder is LabelEncoder version 4.*op_version=3"):
        newest = onnxalgebra.OnnxLabelEncoder("S", keys_strings=["a"], values_int64s=[1])
        onnxalgebra.to_onnx(newest, {"S": np.array(["a"], dtype=object)}, target_opset={"ai.onnx.ml": 3})
    enc = onnxalgebra.OnnxLabelEncoder("S", keys_strings=["a", "b"], values_int64s=[1, 2], op_version=3)
    model = onnxalgebra.to_onnx(
        [enc, OnnxAbs("X")], {"S": np.array(["a"], dtype=object), "X": X}, target_opset={"": 13, "ai.onnx.ml": 3}
    )
    onnx.checker.check_model(model, full_check=True)
    opsets = _opsets(model)
    assert opsets[""] <= 13 and opsets["ai.onnx.ml"] <= 3
    expected = defs.get_schema("LabelEncoder", 3, "ai.onnx.ml").since_version
    assert defs.get_schema("LabelEncoder", opsets["ai.onnx.ml"], "ai.onnx.ml").since_version == expected == 2
    got, _ = _load(model).run(None, {"S": np.array(["b", "a", "z"], dtype=object), "X": X})
    np.testing.assert_array_equal(got, [2, 1, -1])


def test_target_newer_than_onnx_knows():
    with pytest.raises(CompileError, match=rf"{MAX_OPSET + 1}.*{MAX_OPSET}"):
        OnnxAbs("X").to_onnx({"X": X}, target_opset=MAX_OPSET + 1)


def test_operator_missing_at_target_is_a_clear_error():
    versions = sorted({s.since_version for s in defs.get_all_schemas_with_history() if s.name == "Gelu" and s.domain == ""})
    assert min(versions) > 13
    with pytest.raises(CompileError) as info:
        onnxalgebra.OnnxGelu("X").to_onnx({"X": X}, target_opset=13)
    message = str(info.value)
    assert "Gelu" in message and "13" in message and str(versions) in message


# -- pinned versions ---------------------------------------------------------------------------------------


def test_pinned_class_pins_its_version():
    model = onnxalgebra.OnnxAdd_7("X", np.float32(1)).to_onnx({"X": X})
    onnx.checker.check_model(model, full_check=True)
    assert defs.get_schema("Add", _opsets(model)[""]).since_version == 7
    np.testing.assert_array_equal(_load(model).run(None, {"X": X})[0], X + 1)
    # next to another node: an opset where both are in force (Softmax built for opset 11 fits 11 and 12)
    model = onnxalgebra.to_onnx(
        [onnxalgebra.OnnxAdd_7("X", np.float32(1)), OnnxSoftmax("X", op_version=11)], {"X": X}, target_opset=15
    )
    opset = _opsets(model)[""]
    assert opset <= 15 and defs.get_schema("Add", opset).since_version == 7
    softmax = next(n for n in model.graph.node if n.op_type == "Softmax")
    assert softmax is not None and defs.get_schema("Softmax", opset).since_version == 11


def test_pinned_class_below_target_range_is_an_error():
    with pytest.raises(CompileError) as info:
        onnxalgebra.OnnxAdd_7("X", np.float32(1)).to_onnx({"X": X}, target_opset=6)
    assert "OnnxAdd_7" in str(info.value) and "7 to 12" in str(info.value)


def test_two_pinned_versions_that_cannot_coexist():
    with pytest.raises(CompileError, match=r"OnnxAdd_(7|14)"):
        onnxalgebra.to_onnx([onnxalgebra.OnnxAdd_7("X", np.float32(1)), onnxalgebra.OnnxAdd_14("X", np.float32(2))], {"X": X})


def test_pinned_versions_keep_their_semantics():
    # Softmax 1 flattens the axes from 'axis' on into one; Softmax 13 normalises along 'axis' only.
    # (onnx.reference runs every Softmax with the newest semantics: onnxruntime is the oracle for version 1.)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    old = onnxalgebra.OnnxSoftmax_1("X", axis=1).eval({"X": x})
    np.testing.assert_allclose(old, _softmax(x.reshape(2, 12), axis=1).reshape(2, 3, 4), rtol=1e-5)
    for runtime in ("onnxruntime", "reference"):
        new = onnxalgebra.OnnxSoftmax_13("X", axis=1).eval({"X": x}, runtime=runtime)
        np.testing.assert_allclose(new, _softmax(x, axis=1), rtol=1e-5)


# -- default target: the newest opset the installed onnxruntime runs -------------------------------------------


def _default_cases():
    x = np.ones((1, 2, 3, 3), np.float32)
    optional = helper.make_value_info(
        "O", helper.make_optional_type_proto(helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, [None]))
    )
    return {
        "Add": (lambda: OnnxAdd("X", np.float32(1)), {"X": x}, {"X": x}),
        "GlobalLpPool": (lambda: onnxalgebra.OnnxGlobalLpPool("X"), {"X": x}, {"X": x}),
        "RandomNormalLike": (lambda: onnxalgebra.OnnxRandomNormalLike("X"), {"X": x}, {"X": x}),
        "OptionalHasElement": (lambda: onnxalgebra.OnnxOptionalHasElement("O"), [optional], {"O": np.ones(2, np.float32)}),
        "DequantizeLinear": (
            lambda: onnxalgebra.OnnxDequantizeLinear("Q", np.float32(0.5)),
            {"Q": np.array([1, 2], np.int8)},
            {"Q": np.array([1, 2], np.int8)},
        ),
    }


@pytest.mark.parametrize("name", sorted(_default_cases()))
def test_default_is_the_smallest_opset_keeping_the_built_version_and_it_runs(name):
    build, inputs, feeds = _default_cases()[name]
    expr = build()
    model = expr.to_onnx(inputs)
    onnx.checker.check_model(model, full_check=True)
    _load(model).run(None, feeds)
    opset = _opsets(model)[""]
    op = model.graph.node[0].op_type
    assert defs.get_schema(op, opset).since_version <= expr.signature.schema.since_version
    # one opset lower, the version in force is another (or below the floor of 13)
    assert opset == 13 or defs.get_schema(op, opset - 1).since_version < defs.get_schema(op, opset).since_version


def test_a_pinned_version_and_a_newest_one_that_cannot_meet_are_named():
    with pytest.raises(CompileError, match=r"OnnxAdd_7 is in force at opsets 7 to 12.*OnnxSoftmax is in force at opsets 13"):
        onnxalgebra.to_onnx([onnxalgebra.OnnxAdd_7("X", np.float32(1)), OnnxSoftmax("X")], {"X": X})


# -- model fields ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [*range(7, MAX_OPSET + 1, 3), None])
def test_ir_version_is_loadable_by_onnxruntime(target):
    model = OnnxAbs("X").to_onnx({"X": X}, target_opset=target)
    onnx.checker.check_model(model, full_check=True)
    assert 3 <= model.ir_version <= onnx.IR_VERSION
    np.testing.assert_array_equal(_load(model).run(None, {"X": X})[0], np.abs(X))


def test_producer_name_and_version():
    model = OnnxAbs("X").to_onnx({"X": X})
    assert model.producer_name == "onnxalgebra"
    assert model.producer_version == onnxalgebra.__version__ != ""


CHECKED = {
    "network": lambda: _network(),
    "typed_var": lambda: Var("X", np.float32, [None, 3]) @ W + 1.0,
    "multi_output": lambda: onnxalgebra.OnnxTopK("X", np.array([2], np.int64)),
    "indexing": lambda: Var("X", np.float32, [None, 3]).at[:, ::-1].sum(axis=0),
    "cast_compare": lambda: (Var("X", np.float32, [None, 3]) > 0).astype(np.int64),
    "constant_only": lambda: onnxalgebra.OnnxConstant(value=np.arange(3, dtype=np.int64)),
}


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_checker_full_check_passes(name):
    model = CHECKED[name]().to_onnx({"X": X} if name != "constant_only" else None)
    onnx.checker.check_model(model, full_check=True)
    _load(model)


def test_a_node_typed_when_built_is_typed_again_for_the_declared_input():
    # built for [None, 3] float32, compiled for a sample: the node keeps its constant and takes the declared shape
    x = Var("X", np.float32, [None, 3])
    model = onnxalgebra.to_onnx((x + 1.5) * np.float32(2), {"X": np.zeros((2, 3), np.float32)})
    dims = model.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["N", 3]
    got = ort.InferenceSession(model.SerializeToString()).run(None, {"X": np.ones((2, 3), np.float32)})[0]
    np.testing.assert_array_equal(got, np.full((2, 3), 5.0, np.float32))


def test_constants_of_an_untyped_input_follow_the_declared_dtype():
    model = onnxalgebra.to_onnx((Var("X") + 1.5) * 2, {"X": np.zeros((2, 3), np.float64)})
    assert [t.data_type for t in model.graph.initializer] == [onnx.TensorProto.DOUBLE] * 2
    x = np.arange(6.0).reshape(2, 3)
    got = ReferenceEvaluator(model).run(None, {"X": x})[0]
    np.testing.assert_array_equal(got, (x + 1.5) * 2)
