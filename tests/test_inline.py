"""Issue 15, part 3: inlining existing models, against onnxruntime running the original and against numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import AttributeProto, TensorProto, helper, numpy_helper
from sklearn.preprocessing import StandardScaler

from onnxalgebra import CompileError, OnnxLabelEncoder, OnnxSubEstimator, OnnxTypeError, Var, inline, to_onnx
from onnxalgebra._types import type_from_proto

DATA = Path(onnx.__file__).parent / "backend" / "test" / "data"
FOLDERS = ("pytorch-converted", "pytorch-operator", "simple", "light")
CASES = sorted(p.parent for folder in FOLDERS for p in (DATA / folder).glob("*/model.onnx"))
OLDEST_RUNNABLE = 7  # onnxruntime has no kernels for ai.onnx opsets below 7: such models are converted first
NOT_EXPRESSIBLE = {
    "test_gradient_of_add": "ai.onnx.preview.training's Gradient: no onnxruntime kernel, no Onnx* class",
    "test_gradient_of_add_and_mul": "ai.onnx.preview.training's Gradient: no onnxruntime kernel, no Onnx* class",
}


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _opset(model):
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def _inputs(model):
    initialized = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in initialized]


def _same(got, expected):
    for g, e in zip(got, expected, strict=True):
        if e.dtype.kind in "OUS":
            np.testing.assert_array_equal(g.astype(str), e.astype(str))
        else:
            np.testing.assert_allclose(g, e, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_inline_onnx_test_models(case):
    if case.name in NOT_EXPRESSIBLE:
        pytest.skip(NOT_EXPRESSIBLE[case.name])
    model = onnx.load(str(case / "model.onnx"))
    data = case / "test_data_set_0"
    formal = _inputs(model)
    feeds = {i.name: numpy_helper.to_array(onnx.load_tensor(str(data / f"input_{k}.pb"))) for k, i in enumerate(formal)}
    expected = [numpy_helper.to_array(onnx.load_tensor(str(data / f"output_{k}.pb"))) for k in range(len(model.graph.output))]
    target = 13 if _opset(model) < OLDEST_RUNNABLE else None
    try:
        original = _session(model if target is None else onnx.version_converter.convert_version(model, target))
        _same(original.run(None, feeds), expected)
    except Exception as exc:  # the original does not run here either (a missing locale for StringNormalizer...)
        reason = " ".join(str(exc).split())[:120]
        if target is not None:
            pytest.skip(f"onnx's version converter changes this opset-{_opset(model)} model (it fails or differs): {reason}")
        pytest.skip(f"onnxruntime does not run the original model here: {reason}")
    variables = [Var(i.name, type_from_proto(i.type)) for i in formal]
    outputs = inline(model, *variables, target_opset=target)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    ours = to_onnx(list(outputs), variables, outputs=[f"out{k}" for k in range(len(outputs))])
    _same(_session(ours).run(None, feeds), expected)


def test_pytorch_model_between_a_scaler_and_a_cost_matrix():
    # the test: a model exported from PyTorch (opset 6, converted to 13) composed with a fitted scaler before
    # it and a cost matrix after it, against scikit-learn, onnxruntime running the original, and numpy
    linear = onnx.load(str(DATA / "pytorch-converted" / "test_Linear" / "model.onnx"))
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(4, 10)).astype(np.float32)
    scaler = StandardScaler().fit(rng.normal(3.0, 2.0, size=(200, 10)).astype(np.float32))
    cost = rng.normal(size=(8, 3)).astype(np.float32)
    x = Var("X", np.float32, [4, 10])
    scaled = OnnxSubEstimator(scaler, x).as_expression()
    model = to_onnx(inline(linear, scaled, target_opset=13) @ cost, {"X": X})
    (got,) = _session(model).run(None, {"X": X})
    original = _session(onnx.version_converter.convert_version(linear, 13))
    (middle,) = original.run(None, {original.get_inputs()[0].name: scaler.transform(X).astype(np.float32)})
    np.testing.assert_allclose(got, middle @ cost, rtol=1e-4, atol=1e-5)


def _model(nodes, inputs, outputs, initializers=(), opset=18, functions=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], functions=list(functions))


def _tensor(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def test_symbolic_dims_names_and_initializers():
    bias = numpy_helper.from_array(np.array([1.0, 2.0, 3.0], np.float32), "bias")
    model = _model(
        [helper.make_node("Add", ["x", "bias"], ["y"]), helper.make_node("Relu", ["y"], ["z"])],
        [_tensor("x", ["N", 3]), _tensor("bias", [3])],  # bias: an input with an initializer
        [_tensor("z", ["N", 3])],
        [bias],
    )
    X = Var("rows", np.float32, ["batch", 3])
    out = inline(model, X)
    assert str(out.type) == "tensor(float)[batch, 3]"  # the caller's symbolic dimension, not the model's
    twice = inline(model, X) + inline(model, X, bias=np.array([0.0, 0.0, -10.0], np.float32))  # the bias given
    compiled = to_onnx(twice, {"rows": np.zeros((1, 3), np.float32)})
    assert compiled.SerializeToString() == to_onnx(twice, {"rows": np.zeros((1, 3), np.float32)}).SerializeToString()
    onnx.checker.check_model(compiled, full_check=True)
    data = np.array([[-5.0, 0.0, 5.0], [1.0, -1.0, 20.0]], np.float32)
    (got,) = _session(compiled).run(None, {"rows": data})
    expected = np.maximum(data + np.array([1, 2, 3]), 0) + np.maximum(data + np.array([0, 0, -10]), 0)
    np.testing.assert_allclose(got, expected)


def test_subgraphs_and_local_functions():
    then_branch = helper.make_graph([helper.make_node("Mul", ["x", "x"], ["t"])], "then", [], [_tensor("t", ["N"])])
    else_branch = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [_tensor("e", ["N"])])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Add", ["acc", "x"], ["acc_out"])],
        "body",
        [_tensor("i", [], TensorProto.INT64), _tensor("cond_in", [], TensorProto.BOOL), _tensor("acc", ["N"])],
        [_tensor("cond_out", [], TensorProto.BOOL), _tensor("acc_out", ["N"])],
    )
    square_plus = helper.make_function(
        "local", "SquarePlus", ["a"], ["b"],
        [helper.make_node("Mul", ["a", "a"], ["sq"]), helper.make_node("Add", ["sq", "a"], ["b"])],
        [helper.make_opsetid("", 18)],
    )  # fmt: skip
    model = _model(
        [
            helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
            helper.make_node("Greater", ["s", "zero"], ["positive"]),
            helper.make_node("If", ["positive"], ["branch"], then_branch=then_branch, else_branch=else_branch),
            helper.make_node("Loop", ["three", "true", "x"], ["looped"], body=body),
            helper.make_node("SquarePlus", ["branch"], ["f"], domain="local"),
            helper.make_node("Add", ["f", "looped"], ["y"]),
        ],
        [_tensor("x", ["N"])],
        [_tensor("y", ["N"])],
        [numpy_helper.from_array(np.array(0.0, np.float32), "zero"), numpy_helper.from_array(np.array(3, np.int64), "three"),
         numpy_helper.from_array(np.array(True), "true")],
        functions=[square_plus],
    )  # fmt: skip
    model.opset_import.append(helper.make_opsetid("local", 1))
    onnx.checker.check_model(model)
    x = Var("x", np.float32, ["n"])
    ours = to_onnx(inline(model, x) * 1.0, {"x": np.zeros(2, np.float32)})
    for data in (np.array([1.0, 2.0], np.float32), np.array([-1.0, 0.5], np.float32)):
        (expected,) = _session(model).run(None, {"x": data})
        (got,) = _session(ours).run(None, {"x": data})
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_errors_name_what_is_wrong(tmp_path):
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [_tensor("x", ["N"])], [_tensor("y", ["N"])])
    with pytest.raises(OnnxTypeError, match=r"graph inputs \['x'\] need a value"):
        inline(model)
    with pytest.raises(OnnxTypeError, match=r"no graph input 'w'; its inputs are \['x'\]"):
        inline(model, w=Var("w", np.float32, ["N"]))
    with pytest.raises(OnnxTypeError, match=r"1 graph inputs \['x'\]; 2 inputs given"):
        inline(model, "a", "b")
    with pytest.raises(OnnxTypeError, match=r"onnx\.ModelProto, its bytes or a path"):
        inline(3, "a")
    custom = _model([helper.make_node("Fancy", ["x"], ["y"], domain="com.example")], [_tensor("x", ["N"])], [_tensor("y", ["N"])])
    custom.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(CompileError, match=r"node 0 \(Fancy\) is of domain 'com.example'.*custom_operator"):
        inline(custom, Var("x", np.float32, ["N"]))
    path = tmp_path / "relu.onnx"
    onnx.save(model, str(path))
    assert inline(str(path), Var("x", np.float32, ["N"])).op_type == "Relu"  # a path, loaded
    with pytest.raises(CompileError, match="version converter cannot take this model from opset 18 to 1"):
        inline(model, Var("x", np.float32, ["N"]), target_opset=1)


def test_local_functions_of_the_model_stay_functions():
    # a FunctionProto with an attribute (a reference in its body, a default in attribute_proto), called twice
    scale_add = helper.make_function(
        "lib", "ScaleAdd", ["a"], ["b"],
        [
            _ref_node("Constant", [], ["s"], "value_float", "scale", AttributeProto.FLOAT),
            helper.make_node("Mul", ["a", "s"], ["m"]),
            _ref_node("LeakyRelu", ["m"], ["b"], "alpha", "slope", AttributeProto.FLOAT),
        ],
        [helper.make_opsetid("", 18)],
        attribute_protos=[helper.make_attribute("scale", 2.0), helper.make_attribute("slope", 0.1)],
    )  # fmt: skip
    model = _model(
        [helper.make_node("ScaleAdd", ["x"], ["y1"], domain="lib"),
         helper.make_node("ScaleAdd", ["y1"], ["y"], domain="lib", scale=-3.0, slope=0.5)],
        [_tensor("x", ["N"])], [_tensor("y", ["N"])], functions=[scale_add],
    )  # fmt: skip
    model.opset_import.append(helper.make_opsetid("lib", 1))
    onnx.checker.check_model(model)
    x = Var("x", np.float32, ["n"])
    ours = to_onnx(inline(model, x), {"x": np.zeros(2, np.float32)})
    assert [f.name for f in ours.functions] == ["ScaleAdd"]
    assert [n.op_type for n in ours.graph.node] == ["ScaleAdd", "ScaleAdd"]
    data = np.array([-2.0, -0.5, 0.0, 1.5], np.float32)
    (expected,) = _session(model).run(None, {"x": data})
    (got,) = _session(ours).run(None, {"x": data})
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def _ref_node(op, inputs, outputs, attribute, reference, kind):
    node = helper.make_node(op, inputs, outputs)
    attr = node.attribute.add()
    attr.name, attr.ref_attr_name, attr.type = attribute, reference, kind
    return node


def _stump_classifier():
    """An ai.onnx.ml-only classifier as boosting libraries export it (CatBoost: opset_import holds ai.onnx.ml alone):
    one stump per class on x[:, 0] < 0.5, softmax, the probabilities turned into a sequence of maps by a ZipMap."""
    tree = helper.make_node(
        "TreeEnsembleClassifier", ["x"], ["label", "probability_tensor"], domain="ai.onnx.ml",
        nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0], nodes_values=[0.5, 0.0, 0.0],
        nodes_modes=["BRANCH_LT", "LEAF", "LEAF"], nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0],
        class_treeids=[0, 0, 0, 0], class_nodeids=[1, 1, 2, 2], class_ids=[0, 1, 0, 1], class_weights=[2.0, -1.0, -0.5, 1.5],
        classlabels_int64s=[10, 20], post_transform="SOFTMAX",
    )  # fmt: skip
    zipmap = helper.make_node("ZipMap", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml",
                              classlabels_int64s=[10, 20])  # fmt: skip
    a_map = helper.make_map_type_proto(TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    maps = helper.make_value_info("probabilities", helper.make_sequence_type_proto(a_map))
    graph = helper.make_graph([tree, zipmap], "g", [_tensor("x", ["N", 2])], [_tensor("label", ["N"], TensorProto.INT64), maps])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("ai.onnx.ml", 2)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def test_outputs_picks_a_value_before_the_zipmap():
    # the tensor a ZipMap turns into maps, taken by name and composed with ai.onnx operators (the model imports
    # ai.onnx.ml only); against onnxruntime running the original model (its maps read back as a matrix) and numpy
    model = _stump_classifier()
    data = np.array([[0.0, 1.0], [1.0, 0.0], [0.49, 3.0], [np.nan, 0.0]], np.float32)
    label, maps = _session(model).run(None, {"x": data})
    expected = np.array([[m[10], m[20]] for m in maps], np.float32)
    x = Var("x", np.float32, ["batch", 2])
    proba = inline(model, x, outputs="probability_tensor")
    assert str(proba.type) == "tensor(float)[batch, 2]"
    both = inline(model, x, outputs=["label", "probability_tensor"])
    assert isinstance(both, tuple) and len(both) == 2
    ours = to_onnx([both[0], both[1] * 2.0], [x], outputs=["label", "twice"])
    assert [n.op_type for n in ours.graph.node if n.domain == "ai.onnx.ml"] == ["TreeEnsembleClassifier"]  # no ZipMap
    got_label, twice = _session(ours).run(None, {"x": data})
    np.testing.assert_array_equal(got_label, label)
    np.testing.assert_allclose(twice, 2 * expected, rtol=1e-6)
    scores = np.where(data[:, :1] < 0.5, [[2.0, -1.0]], [[-0.5, 1.5]])  # NaN is not < 0.5: the false branch
    np.testing.assert_allclose(twice / 2, np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True), rtol=1e-6)
    with pytest.raises(OnnxTypeError, match=r"outputs='proba': \['proba'\] is no value of the model's graph.*'probability_t"):
        inline(model, x, outputs="proba")


def test_ai_onnx_ml_nodes_fit_a_newer_ml_opset():
    # the model imports ai.onnx.ml 2 (TreeEnsembleClassifier 1, in force at ml opsets 1-2); a LabelEncoder with a
    # tensor attribute needs ml opset 4: the inlined node is not pinned, the compiler writes TreeEnsembleClassifier 3
    # (the same for a node without the *_as_tensor attributes) and imports ml opset 4; against onnxruntime running
    # the original model, its labels mapped with Python (onnxruntime's label here is the class index, 0 or 1)
    model = _stump_classifier()
    x = Var("x", np.float32, ["batch", 2])
    label, _ = inline(model, x, outputs=["label", "probability_tensor"])
    names = OnnxLabelEncoder(
        label, keys_tensor=numpy_helper.from_array(np.array([0, 1], np.int64)),
        values_tensor=numpy_helper.from_array(np.array(["first", "second"], dtype=object)),
        default_tensor=numpy_helper.from_array(np.array(["?"], dtype=object)), op_version=4,
    )  # fmt: skip
    ours = to_onnx(names, [x], outputs=["name"])
    assert {o.domain: o.version for o in ours.opset_import}["ai.onnx.ml"] == 4
    data = np.array([[0.0, 1.0], [1.0, 0.0], [np.nan, 0.0]], np.float32)
    (expected,) = _session(model).run(["label"], {"x": data})
    (got,) = _session(ours).run(None, {"x": data})
    np.testing.assert_array_equal(got, [{0: "first", 1: "second"}.get(int(v), "?") for v in expected])
    assert set(got) == {"first", "second"}
    alone = to_onnx(label, [x], outputs=["label"])  # without the encoder: the oldest ml opset that runs it
    assert {o.domain: o.version for o in alone.opset_import}["ai.onnx.ml"] <= 2


def test_local_function_with_a_list_of_strings_attribute():
    # a STRINGS default (onnx gives it as bytes) is the function's keyword default, as str
    lookup = helper.make_function(
        "lib", "Lookup", ["a"], ["b"],
        [_ref_node("LabelEncoder", ["a"], ["b"], "keys_strings", "keys", AttributeProto.STRINGS)],
        [helper.make_opsetid("ai.onnx.ml", 2)],
        attribute_protos=[helper.make_attribute("keys", ["paris", "lyon"])],
    )  # fmt: skip
    lookup.node[0].domain = "ai.onnx.ml"
    lookup.node[0].attribute.append(helper.make_attribute("values_int64s", [1, 2]))
    lookup.node[0].attribute.append(helper.make_attribute("default_int64", 0))
    model = _model(
        [helper.make_node("Lookup", ["x"], ["y"], domain="lib")],
        [_tensor("x", ["N"], TensorProto.STRING)], [_tensor("y", ["N"], TensorProto.INT64)], functions=[lookup],
    )  # fmt: skip
    model.opset_import.extend([helper.make_opsetid("lib", 1), helper.make_opsetid("ai.onnx.ml", 2)])
    x = Var("x", np.str_, ["n"])
    ours = to_onnx(inline(model, x), {"x": np.array(["a"], dtype=object)})
    data = np.array(["lyon", "nice", "paris"], dtype=object)
    (expected,) = _session(model).run(None, {"x": data})
    (got,) = _session(ours).run(None, {"x": data})
    np.testing.assert_array_equal(got, expected)
    assert got.tolist() == [2, 0, 1]
