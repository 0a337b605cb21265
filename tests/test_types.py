"""Types: graph input declarations, typed expressions from ``Var``, type errors at construction,
and the types of compiled graph outputs (checked against ONNX's own shape inference)."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, shape_inference
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import CompileError, OnnxTypeError, SequenceType, TensorType, Var


def _dims(type_proto):
    """Dims of a tensor TypeProto: int, symbolic name, or None (unknown, or a name ONNX invented)."""
    dims = []
    for d in type_proto.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param") and not d.dim_param.startswith("unk__"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return dims


def _signature(value_info):
    tensor = value_info.type.tensor_type
    assert tensor.HasField("shape"), f"{value_info.name} has no shape"
    return tensor.elem_type, _dims(value_info.type)


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


# -- inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "dims"),
    [
        (np.zeros((3, 5, 2), np.float32), ["N", 5, 2]),
        (np.zeros((4,), np.int64), ["N"]),
        (np.array(1.5, np.float64), []),
        (np.zeros((2, 3), np.float16), ["N", 3]),
        (np.zeros((2,), np.bool_), ["N"]),
        (np.array(["a", "b"], dtype=object), ["N"]),
    ],
)
def test_inputs_as_dict_of_samples(sample, dims):
    model = onnxalgebra.OnnxIdentity("X").to_onnx({"X": sample})
    onnx.checker.check_model(model, full_check=True)
    (inp,) = model.graph.input
    elem, got_dims = _signature(inp)
    assert elem == helper.np_dtype_to_tensor_dtype(sample.dtype if sample.dtype != object else np.dtype(str))
    assert got_dims == dims
    # the output keeps the same type, batch dim included
    assert _signature(model.graph.output[0]) == (elem, dims)


def test_inputs_as_list_of_name_dtype_shape():
    expr = onnxalgebra.OnnxAdd("X", "Y")
    model = expr.to_onnx([("X", np.float32, [None, 4]), ("Y", np.float32, ["B", 4])])
    onnx.checker.check_model(model, full_check=True)
    assert [_signature(i) for i in model.graph.input] == [(TensorProto.FLOAT, [None, 4]), (TensorProto.FLOAT, ["B", 4])]
    x, y = np.ones((2, 4), np.float32), np.full((2, 4), 2, np.float32)
    np.testing.assert_array_equal(_session(model).run(None, {"X": x, "Y": y})[0], x + y)


def test_single_sample_for_a_single_input():
    model = onnxalgebra.OnnxAbs("X").to_onnx(np.zeros((2, 3), np.int32))
    assert model.graph.input[0].name == "X"
    assert _signature(model.graph.input[0]) == (TensorProto.INT32, ["N", 3])


def test_inputs_as_value_info_tensor_keeps_symbolic_dims():
    info = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 4])
    w = np.ones((4, 3), np.float32)
    model = onnxalgebra.OnnxMatMul("X", w).to_onnx([info])
    onnx.checker.check_model(model, full_check=True)
    assert _signature(model.graph.output[0]) == (TensorProto.FLOAT, ["batch", 3])


def test_inputs_as_value_info_sequence():
    info = helper.make_tensor_sequence_value_info("S", TensorProto.FLOAT, [None, 4])
    first = onnxalgebra.OnnxSequenceAt("S", np.array(0, np.int64))
    length = onnxalgebra.OnnxSequenceLength("S")
    model = onnxalgebra.to_onnx([first, length], [info])
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.input[0].type.HasField("sequence_type")
    assert _signature(model.graph.output[0]) == (TensorProto.FLOAT, [None, 4])
    assert _signature(model.graph.output[1]) == (TensorProto.INT64, [])
    seq = [np.arange(8, dtype=np.float32).reshape(2, 4), np.ones((1, 4), np.float32)]
    got_first, got_length = _session(model).run(None, {"S": seq})
    np.testing.assert_array_equal(got_first, seq[0])
    assert got_length == 2


def test_inputs_as_value_info_optional():
    elem = helper.make_tensor_type_proto(TensorProto.FLOAT, [None])
    info = helper.make_value_info("O", helper.make_optional_type_proto(elem))
    has = onnxalgebra.OnnxOptionalHasElement("O")
    model = has.to_onnx([info])
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.input[0].type.HasField("optional_type")
    assert _signature(model.graph.output[0]) == (TensorProto.BOOL, [])
    session = _session(model)
    assert session.run(None, {"O": np.array([1.0], np.float32)})[0]
    assert not session.run(None, {"O": None})[0]
    value = onnxalgebra.OnnxOptionalGetElement("O").to_onnx([info])
    got = _session(value).run(None, {"O": np.array([1.0, 2.0], np.float32)})[0]
    np.testing.assert_array_equal(got, [1.0, 2.0])


def test_missing_input_type_is_a_compile_error():
    with pytest.raises(CompileError) as info:
        onnxalgebra.OnnxAdd("X", "Y").to_onnx({"X": np.zeros((2,), np.float32)})
    assert "'Y'" in str(info.value) and "Var(" in str(info.value)


def test_var_type_conflicting_with_inputs_is_a_compile_error():
    expr = onnxalgebra.OnnxAbs(Var("X", np.float32, [None, 2]))
    with pytest.raises(CompileError, match=r"'X'.*tensor\(float\).*tensor\(int64\)"):
        expr.to_onnx({"X": np.zeros((5, 2), np.int64)})


# -- typed expressions --------------------------------------------------------------------


def test_var_gives_dtype_and_shape_right_away():
    x = Var("X", np.float32, [None, 4])
    assert x.dtype == np.float32 and x.shape == (None, 4)
    assert isinstance(x.type, TensorType) and x.type.elem_type == TensorProto.FLOAT
    w = np.ones((4, 3), np.float32)
    y = onnxalgebra.OnnxRelu(onnxalgebra.OnnxAdd(onnxalgebra.OnnxMatMul(x, w), np.ones((1, 3), np.float32)))
    expected = np.maximum(np.zeros((7, 4), np.float32) @ w + np.ones((1, 3), np.float32), 0)
    assert y.dtype == expected.dtype
    assert y.shape == (None, *expected.shape[1:])
    assert onnxalgebra.OnnxCast(x, to=TensorProto.INT64).dtype == np.int64
    assert onnxalgebra.OnnxShape(x).shape == (2,)


def test_untyped_expression_has_no_type_until_compiled():
    expr = onnxalgebra.OnnxAbs("X")
    assert expr.dtype is None and expr.shape is None


def test_var_of_sequence_type():
    s = Var("S", SequenceType(TensorType(TensorProto.FLOAT, (None, 4))))
    assert onnxalgebra.OnnxSequenceAt(s, np.array(0, np.int64)).shape == (None, 4)
    assert onnxalgebra.OnnxSequenceLength(s).dtype == np.int64


def test_add_of_float_and_int64_fails_at_construction():
    x = Var("X", np.float32, [None, 4])
    y = Var("Y", np.int64, [None, 4])
    with pytest.raises(OnnxTypeError) as info:
        onnxalgebra.OnnxAdd(x, y)
    message = str(info.value)
    for part in ("Add", "X", "Y", "tensor(float)", "tensor(int64)"):
        assert part in message


def test_matmul_with_incompatible_inner_dims_fails_at_construction():
    x = Var("X", np.float32, [None, 4])
    w = np.ones((3, 2), np.float32)
    with pytest.raises(ValueError):  # numpy agrees it is an error
        np.zeros((1, 4), np.float32) @ w
    with pytest.raises(OnnxTypeError) as info:
        onnxalgebra.OnnxMatMul(x, w)
    message = str(info.value)
    assert "MatMul" in message and "X: tensor(float)[?, 4]" in message and "tensor(float)[3, 2]" in message


def test_type_error_through_an_intermediate_names_its_producer():
    x = Var("X", np.float32, [None, 4])
    with pytest.raises(OnnxTypeError) as info:
        onnxalgebra.OnnxAdd(onnxalgebra.OnnxAbs(x), np.ones((4,), np.int32))
    assert "Abs" in str(info.value) and "tensor(int32)" in str(info.value)


def test_type_error_of_untyped_inputs_surfaces_when_compiled():
    expr = onnxalgebra.OnnxAdd("X", "Y")
    with pytest.raises(OnnxTypeError, match=r"Add.*tensor\(float\).*tensor\(int64\)"):
        expr.to_onnx({"X": np.zeros((2,), np.float32), "Y": np.zeros((2,), np.int64)})


# -- compiled output types against ONNX's shape inference ----------------------------------------

XV = Var("X", np.float32, ["N", 4])
W = np.arange(12, dtype=np.float32).reshape(4, 3)

TYPED_EXPRESSIONS = {
    "matmul_add": (XV @ W) + np.ones((1, 3), np.float32),
    "reduce_keepdims": (XV @ W).sum(axis=1, keepdims=True),
    "reshape": XV.reshape(-1, 2, 2),
    "transpose": XV.T,
    "concat": onnxalgebra.OnnxConcat(XV, XV, axis=1),
    "gather": XV.at[[0, 2]],
    "slice": XV.at[:, 1:3],
    "unsqueeze": XV.at[:, None],
    "cast": XV.astype(np.int64),
    "shape": onnxalgebra.OnnxShape(XV),
    "compare": XV > 0.5,
    "topk": onnxalgebra.OnnxTopK(XV, np.array([2], np.int64))[1],
    "unknown_dim": Var("Z", np.float32, [None, 4]) @ W,
}


@pytest.mark.parametrize("name", sorted(TYPED_EXPRESSIONS))
def test_output_types_match_onnx_shape_inference(name):
    model = TYPED_EXPRESSIONS[name].to_onnx()
    onnx.checker.check_model(model, full_check=True)
    ours = [_signature(o) for o in model.graph.output]
    stripped = onnx.ModelProto()
    stripped.CopyFrom(model)
    for out in stripped.graph.output:
        out.ClearField("type")
    inferred = shape_inference.infer_shapes(stripped, strict_mode=True, data_prop=True)
    theirs = [_signature(o) for o in inferred.graph.output]
    assert ours == theirs
    # and the model runs: the dims the runtime produces fit the declared ones
    feeds = {i.name: np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4) for i in model.graph.input}
    for (elem, dims), got in zip(ours, ReferenceEvaluator(model).run(None, feeds)):
        assert helper.np_dtype_to_tensor_dtype(got.dtype) == elem
        assert len(got.shape) == len(dims)
        assert all(d == g for d, g in zip(dims, got.shape) if isinstance(d, int))


def test_symbolic_batch_dim_is_kept():
    model = TYPED_EXPRESSIONS["matmul_add"].to_onnx()
    assert _signature(model.graph.output[0]) == (TensorProto.FLOAT, ["N", 3])


def test_declared_output_type_must_agree():
    with pytest.raises(CompileError, match=r"'Y'.*tensor\(int64\).*tensor\(float\)"):
        onnxalgebra.OnnxAbs(XV).to_onnx(outputs=[("Y", np.int64, [None, 4])])


def test_declared_output_type_is_used():
    model = onnxalgebra.OnnxAbs(XV).to_onnx(outputs=[("Y", np.float32, ["N", 4])])
    assert model.graph.output[0].name == "Y"
    assert _signature(model.graph.output[0]) == (TensorProto.FLOAT, ["N", 4])


def test_output_of_an_ml_operator_without_shape_inference_passes_the_checker():
    expr = onnxalgebra.OnnxLinearRegressor("X", coefficients=[1.0, 2.0, 3.0], intercepts=[0.5])
    model = expr.to_onnx({"X": np.zeros((2, 3), np.float32)})
    onnx.checker.check_model(model, full_check=True)
