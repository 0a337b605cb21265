"""The talk's code cell, exactly as written, against numpy."""

import numpy as np
import onnx
from onnxruntime import InferenceSession

from onnxalgebra import OnnxAdd, OnnxDiv, OnnxExp, OnnxMatMul


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((20, 4)), rng.standard_normal((4, 3))


def test_seed_cell_runs_as_written():
    X, beta = _data()
    X32 = X.astype(np.float32)
    beta32 = beta.astype(np.float32)

    onnxExpM = OnnxExp(OnnxMatMul("X", beta32))

    cst = np.ones((1, 3), dtype=np.float32)
    onnxExpM1 = OnnxAdd(onnxExpM, cst)  # use of broadcasting
    onnxPred = OnnxDiv(onnxExpM, onnxExpM1)

    model_onnx = onnxPred.to_onnx({"X": X32})
    onnx.checker.check_model(model_onnx, full_check=True)
    e = np.exp(X32 @ beta32)
    expected = e / (e + 1)

    sess = InferenceSession(model_onnx.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"X": X32})
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(onnxPred.eval({"X": X32}), expected, rtol=1e-5)
    np.testing.assert_allclose(onnxPred.eval({"X": X32}, runtime="reference"), expected, rtol=1e-5)


def test_seed_output_is_fully_typed():
    X, beta = _data()
    pred = OnnxExp(OnnxMatMul("X", beta.astype(np.float32)))
    model = pred.to_onnx({"X": X.astype(np.float32)})
    (out,) = model.graph.output
    tensor = out.type.tensor_type
    assert tensor.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in tensor.shape.dim] == ["N", 3]


def test_logistic_written_twice_compiles_to_four_nodes():
    X, beta = _data()
    beta32 = beta.astype(np.float32)
    cst = np.ones((1, 3), dtype=np.float32)
    pred = OnnxDiv(OnnxExp(OnnxMatMul("X", beta32)), OnnxAdd(OnnxExp(OnnxMatMul("X", beta32.copy())), cst))
    model = pred.to_onnx({"X": X.astype(np.float32)})
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Exp", "Add", "Div"]
    assert len(model.graph.initializer) == 2
