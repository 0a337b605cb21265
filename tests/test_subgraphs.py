"""If / Loop / Scan bodies written as expressions, checked against numpy."""

import numpy as np
import onnx
import pytest

from onnxalgebra import (
    CompileError,
    Graph,
    OnnxAdd,
    OnnxGreater,
    OnnxIdentity,
    OnnxIf,
    OnnxLoop,
    OnnxMul,
    OnnxReduceSum,
    OnnxScan,
    OperatorError,
    Var,
)

X = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32)
RUNTIMES = ["onnxruntime", "reference"]


def _positive_sum(x):
    return OnnxGreater(OnnxReduceSum(x, keepdims=0), np.float32(0))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_if_branches_are_expressions(runtime):
    x = Var("X", np.float32, [None, 2])
    expr = OnnxIf(_positive_sum(x), then_branch=OnnxMul(x, 2.0), else_branch=OnnxAdd(x, 1.0))
    model = expr.to_onnx()
    onnx.checker.check_model(model, full_check=True)
    np.testing.assert_array_equal(expr.eval({"X": X}, runtime=runtime), X * 2)
    np.testing.assert_array_equal(expr.eval({"X": -X}, runtime=runtime), -X + 1)
    out = model.graph.output[0].type.tensor_type
    assert out.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_value for d in out.shape.dim] == [0, 2]  # first dim unknown, second 2


def test_outer_expression_is_captured_not_recomputed():
    x = Var("X", np.float32, [None, 2])
    shared = OnnxMul(x, 3.0)
    expr = OnnxAdd(shared, OnnxIf(_positive_sum(x), then_branch=OnnxAdd(shared, 1.0), else_branch=shared))
    model = expr.to_onnx()
    onnx.checker.check_model(model, full_check=True)
    outer = [n.op_type for n in model.graph.node]
    assert outer.count("Mul") == 1
    if_node = next(n for n in model.graph.node if n.op_type == "If")
    then = next(a.g for a in if_node.attribute if a.name == "then_branch")
    assert [n.op_type for n in then.node] == ["Add"]
    mul_name = next(n.output[0] for n in model.graph.node if n.op_type == "Mul")
    assert mul_name in then.node[0].input  # an outer-scope reference by name
    np.testing.assert_allclose(expr.eval({"X": X}), 3 * X + 3 * X + 1)
    np.testing.assert_allclose(expr.eval({"X": -X}, runtime="reference"), -6 * X)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_loop_body_with_outer_reference(runtime):
    x = Var("X", np.float32, [None, 2])
    i = Var("i", np.int64, [])
    cond = Var("cond", np.bool_, [])
    acc = Var("acc", np.float32, [None, 2])
    body = Graph([i, cond, acc], [OnnxIdentity(cond), OnnxAdd(acc, x), OnnxMul(acc, 2.0)])
    loop = OnnxLoop(np.array(3, np.int64), np.array(True), OnnxIdentity(x), body=body)
    assert loop.n_outputs == 2
    model = loop.to_onnx()
    onnx.checker.check_model(model, full_check=True)
    final, scanned = loop.eval({"X": X}, runtime=runtime)
    np.testing.assert_allclose(final, 4 * X)
    if runtime == "onnxruntime":  # onnx's reference Loop concatenates scan outputs instead of stacking them
        np.testing.assert_allclose(scanned, np.stack([2 * X, 4 * X, 6 * X]))
    stacked = model.graph.output[1].type.tensor_type
    assert len(stacked.shape.dim) == 3


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_scan_cumulative_sum(runtime):
    state = Var("s", np.float32, [2])
    row = Var("row", np.float32, [2])
    total = OnnxAdd(state, row)
    scan = OnnxScan(np.zeros(2, np.float32), "X", body=Graph([state, row], [total, OnnxIdentity(total)]), num_scan_inputs=1)
    model = scan.to_onnx({"X": X})
    onnx.checker.check_model(model, full_check=True)
    last, steps = scan.eval({"X": X}, runtime=runtime)
    np.testing.assert_allclose(last, X.sum(axis=0))
    np.testing.assert_allclose(steps, np.cumsum(X, axis=0))


def test_body_inputs_must_be_typed():
    with pytest.raises(OperatorError, match="typed Var"):
        Graph([Var("i")], [OnnxIdentity("i")])


def test_body_input_shadowing_an_outer_name_is_an_error():
    x = Var("X", np.float32, [None, 2])
    inner = Var("X", np.float32, [2])
    scan = OnnxScan(np.zeros(2, np.float32), x, body=Graph([Var("s", np.float32, [2]), inner], [OnnxIdentity(inner)]),
                    num_scan_inputs=1)
    with pytest.raises(CompileError, match="'X' is asked for twice"):
        scan.to_onnx()


def test_nested_bodies_get_unique_names():
    x = Var("X", np.float32, [None, 2])
    inner = OnnxIf(_positive_sum(x), then_branch=OnnxAdd(x, 1.0), else_branch=OnnxAdd(x, 2.0))
    outer = OnnxIf(_positive_sum(x), then_branch=inner, else_branch=OnnxAdd(x, 3.0))
    model = outer.to_onnx()
    onnx.checker.check_model(model, full_check=True)
    names = []

    def collect(graph):
        for node in graph.node:
            names.extend(node.output)
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    collect(attr.g)

    collect(model.graph)
    assert len(names) == len(set(names))
    np.testing.assert_allclose(outer.eval({"X": X}), X + 1)
    np.testing.assert_allclose(outer.eval({"X": -X}), -X + 3)
