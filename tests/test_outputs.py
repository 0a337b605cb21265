"""Operators with several outputs: ``expr[i]``, how many outputs a node has, and graphs with several outputs."""

import numpy as np
import onnx
import pytest
from onnx import defs
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import OnnxAbs, OnnxDropout, OnnxNeg, OnnxSplit, OnnxTopK, OperatorError, Output, Var

X = np.array([[3.0, -1.0, 7.0, 2.0], [0.5, 9.0, -4.0, 8.0], [1.0, 1.5, 6.0, -2.0]], dtype=np.float32)
K = np.array([2], dtype=np.int64)


def _topk(x, k):
    idx = np.argsort(-x, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(x, idx, axis=1), idx


def _dims(value_info):
    return [
        d.dim_param if d.HasField("dim_param") else d.dim_value if d.HasField("dim_value") else None
        for d in value_info.type.tensor_type.shape.dim
    ]


def _check(model):
    onnx.checker.check_model(model, full_check=True)
    return model


@pytest.mark.parametrize("runtime", ["onnxruntime", "reference"])
def test_expr_index_is_the_output(runtime):
    top = OnnxTopK("X", K)
    values, indices = _topk(X, 2)
    assert isinstance(top[1], Output) and top[1].index == 1
    np.testing.assert_array_equal(top[0].eval({"X": X}, runtime=runtime), values)
    np.testing.assert_array_equal(top[1].eval({"X": X}, runtime=runtime), indices)
    np.testing.assert_array_equal(top[-1].eval({"X": X}, runtime=runtime), indices)
    # an output feeds another operator
    np.testing.assert_array_equal(onnxalgebra.OnnxAdd(top[1], 10).eval({"X": X}, runtime=runtime), indices + 10)


def test_unpacking_gives_every_output():
    values, indices = OnnxTopK("X", K)
    model = _check(onnxalgebra.to_onnx([indices, values], {"X": X}))
    got_i, got_v = ReferenceEvaluator(model).run(None, {"X": X})
    exp_v, exp_i = _topk(X, 2)
    np.testing.assert_array_equal(got_v, exp_v)
    np.testing.assert_array_equal(got_i, exp_i)


def test_number_of_outputs_from_the_schema():
    schema = defs.get_schema("TopK", defs.onnx_opset_version())
    assert len(OnnxTopK("X", K)) == schema.min_output == schema.max_output == 2
    dropout = defs.get_schema("Dropout", defs.onnx_opset_version())
    assert dropout.min_output == 1 < dropout.max_output
    assert OnnxDropout("X").n_outputs == 1  # optional outputs only when asked (len() of one output is numpy's)
    assert len(OnnxDropout("X", n_outputs=2)) == 2


def test_output_index_out_of_range_and_of_wrong_kind():
    top = OnnxTopK("X", K)
    with pytest.raises(IndexError, match=r"OnnxTopK has 2 output"):
        top[2]
    with pytest.raises(TypeError, match=r"node\[i\] selects output i"):
        top["values"]
    with pytest.raises(OperatorError, match=r"OnnxDropout.*1 to 2 outputs, 3 requested"):
        OnnxDropout("X", n_outputs=3)


def test_optional_output_asked_with_n_outputs():
    dropout = OnnxDropout("X", n_outputs=2)
    out, mask = dropout.eval({"X": X})
    np.testing.assert_array_equal(out, X)  # inference mode: identity
    assert mask.dtype == np.bool_ and mask.shape == X.shape and mask.all()


def test_variadic_outputs_need_a_count():
    with pytest.raises(OperatorError) as info:
        OnnxSplit("X", np.array([1, 3], np.int64), axis=1)
    message = str(info.value)
    assert "OnnxSplit" in message and "output_names" in message and "n_outputs" in message


@pytest.mark.parametrize("runtime", ["onnxruntime", "reference"])
def test_variadic_outputs_from_output_names_or_n_outputs(runtime):
    by_names = OnnxSplit("X", axis=1, num_outputs=2, output_names=["left", "right"])
    by_count = OnnxSplit("X", np.array([1, 3], np.int64), axis=1, n_outputs=2)
    model = _check(by_names.to_onnx({"X": X}))
    assert [o.name for o in model.graph.output] == ["left", "right"]
    for expr, sections in ((by_names, 2), (by_count, [1])):
        got = expr.eval({"X": X}, runtime=runtime)
        expected = np.split(X, sections, axis=1)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


def test_n_outputs_must_agree_with_output_names_and_num_outputs():
    with pytest.raises(OperatorError, match=r"OnnxSplit.*n_outputs=3.*2 output_names"):
        OnnxSplit("X", axis=1, num_outputs=2, output_names=["a", "b"], n_outputs=3)
    with pytest.raises(OperatorError, match=r"OnnxSplit.*num_outputs=2.*3 outputs"):
        OnnxSplit("X", axis=1, num_outputs=2, output_names=["a", "b", "c"])


def test_compiling_a_multi_output_expression_gives_all_outputs():
    top = OnnxTopK(Var("X", np.float32, [None, 4]), K)
    model = _check(top.to_onnx())
    assert len(model.graph.output) == 2
    types = [(o.type.tensor_type.elem_type, _dims(o)) for o in model.graph.output]
    assert types == [(onnx.TensorProto.FLOAT, [None, 2]), (onnx.TensorProto.INT64, [None, 2])]
    got = top.eval({"X": X})
    assert isinstance(got, list) and len(got) == 2
    for g, e in zip(got, _topk(X, 2)):
        np.testing.assert_array_equal(g, e)


def test_to_onnx_with_a_list_gives_several_outputs_in_order():
    exprs = [OnnxAbs("X"), OnnxTopK("X", K), OnnxNeg("X")]
    model = _check(onnxalgebra.to_onnx(exprs, {"X": X}))
    assert len(model.graph.output) == 4  # the TopK gives both its outputs
    got = ReferenceEvaluator(model).run(None, {"X": X})
    expected = [np.abs(X), *_topk(X, 2), -X]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_outputs_named_with_outputs_keyword():
    top = OnnxTopK("X", K)
    model = _check(onnxalgebra.to_onnx([top[1], top[0]], {"X": X}, outputs=["indices", "values"]))
    assert [o.name for o in model.graph.output] == ["indices", "values"]
    indices, values = ReferenceEvaluator(model).run(None, {"X": X})
    np.testing.assert_array_equal(values, _topk(X, 2)[0])
    np.testing.assert_array_equal(indices, _topk(X, 2)[1])


def test_one_value_twice_and_a_graph_input_as_outputs():
    a = OnnxAbs("X")
    model = _check(onnxalgebra.to_onnx([a, a, "X", onnxalgebra.OnnxAdd(a, 1.0)], {"X": X}))
    names = [o.name for o in model.graph.output]
    assert len(set(names)) == 4 and "X" not in names  # a graph output cannot be a graph input
    got = ReferenceEvaluator(model).run(None, {"X": X})
    for g, e in zip(got, [np.abs(X), np.abs(X), X, np.abs(X) + 1]):
        np.testing.assert_array_equal(g, e)


def test_outputs_keyword_count_must_match():
    with pytest.raises(onnxalgebra.CompileError, match=r"1 output.*2"):
        OnnxTopK("X", K).to_onnx({"X": X}, outputs=["only_one"])
