"""``expr.eval``: both runtimes give numpy's results; sessions are cached per compiled model."""

import numpy as np
import onnx.reference
import onnxruntime
import pytest

import onnxalgebra
from onnxalgebra import CompileError, OnnxAbs, OnnxAdd, OnnxMatMul, OnnxTopK, Var

RUNTIMES = ["onnxruntime", "reference"]
X = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -4.0]], dtype=np.float32)


@pytest.fixture
def sessions(monkeypatch):
    """Count the sessions each runtime creates."""
    created = {"onnxruntime": 0, "reference": 0}
    ort_session = onnxruntime.InferenceSession
    ref_session = onnx.reference.ReferenceEvaluator

    def counting_ort(*args, **kwargs):
        created["onnxruntime"] += 1
        return ort_session(*args, **kwargs)

    def counting_ref(*args, **kwargs):
        created["reference"] += 1
        return ref_session(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting_ort)
    monkeypatch.setattr(onnx.reference, "ReferenceEvaluator", counting_ref)
    return created


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_eval_returns_numpy_arrays(runtime):
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    expr = OnnxAdd(OnnxMatMul(OnnxAbs("X"), w), np.float32(0.5))
    got = expr.eval({"X": X}, runtime=runtime)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    np.testing.assert_allclose(got, np.abs(X) @ w + 0.5, rtol=1e-6)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_eval_of_several_outputs_is_a_list(runtime):
    values, indices = OnnxTopK("X", np.array([1], np.int64)).eval({"X": X}, runtime=runtime)
    np.testing.assert_array_equal(values, X.max(axis=1, keepdims=True))
    np.testing.assert_array_equal(indices, X.argmax(axis=1)[:, None])


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_eval_accepts_python_values_and_scalars(runtime):
    np.testing.assert_array_equal(OnnxAbs("X").eval({"X": np.float32(-2.5)}, runtime=runtime), np.float32(2.5))
    got = OnnxAdd("X", 1).eval({"X": [[1, 2], [3, 4]]}, runtime=runtime)
    np.testing.assert_array_equal(got, np.array([[1, 2], [3, 4]]) + 1)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_sessions_are_cached_per_compiled_model(sessions, runtime):
    expr = OnnxAbs("X")
    for batch in (2, 5, 1):  # the batch dimension is symbolic: one model serves every batch size
        x = np.arange(batch * 3, dtype=np.float32).reshape(batch, 3) - 4
        np.testing.assert_array_equal(expr.eval({"X": x}, runtime=runtime), np.abs(x))
    assert sessions[runtime] == 1
    other = "reference" if runtime == "onnxruntime" else "onnxruntime"
    assert sessions[other] == 0
    expr.eval({"X": X.astype(np.float64)}, runtime=runtime)  # another dtype: another model
    assert sessions[runtime] == 2
    expr.eval({"X": X}, runtime=runtime, target_opset=13)  # another target: another model
    assert sessions[runtime] == 3
    expr.eval({"X": X}, runtime=runtime, target_opset=13)
    assert sessions[runtime] == 3


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_another_non_batch_dimension_gets_its_own_model(sessions, runtime):
    expr = OnnxAbs("X")
    a = -np.ones((2, 3), np.float32)
    b = -np.ones((2, 5), np.float32)
    np.testing.assert_array_equal(expr.eval({"X": a}, runtime=runtime), np.abs(a))
    np.testing.assert_array_equal(expr.eval({"X": b}, runtime=runtime), np.abs(b))
    np.testing.assert_array_equal(expr.eval({"X": a}, runtime=runtime), np.abs(a))
    assert sessions[runtime] == 2


def test_each_output_of_a_node_evaluates_alone(sessions):
    top = OnnxTopK("X", np.array([2], np.int64))
    expected_values = -np.sort(-X, axis=1)[:, :2]
    np.testing.assert_array_equal(top[0].eval({"X": X}), expected_values)
    np.testing.assert_array_equal(top[1].eval({"X": X}), np.argsort(-X, axis=1)[:, :2])
    np.testing.assert_array_equal(top[0].eval({"X": X}), expected_values)
    assert sessions["onnxruntime"] == 2


def test_runtimes_agree_with_each_other_and_numpy():
    x = Var("X", np.float32, [None, 3])
    expr = ((x * 2.0 - 1.0) ** 2).sum(axis=1) / 3.0
    expected = ((X * 2 - 1) ** 2).sum(axis=1) / 3
    for runtime in RUNTIMES:
        np.testing.assert_allclose(expr.eval({"X": X}, runtime=runtime), expected, rtol=1e-6)


def test_eval_errors():
    with pytest.raises(CompileError, match=r"onnxruntime.*reference.*'tvm'"):
        OnnxAbs("X").eval({"X": X}, runtime="tvm")
    with pytest.raises(CompileError, match=r"dict"):
        OnnxAbs("X").eval([X])
    with pytest.raises(CompileError, match=r"'X'"):
        OnnxAbs("X").eval({"Y": X})
    with pytest.raises(CompileError, match=r"'X'.*tensor\(float\).*tensor\(int64\)"):
        OnnxAbs(Var("X", np.float32, [None, 3])).eval({"X": X.astype(np.int64)})


def test_eval_with_target_opset():
    got = onnxalgebra.OnnxReduceSum("X", np.array([1], np.int64), keepdims=0).eval({"X": X}, target_opset=13)
    np.testing.assert_allclose(got, X.sum(axis=1), rtol=1e-6)
    with pytest.raises(CompileError, match=r"Gelu"):
        onnxalgebra.OnnxGelu("X").eval({"X": X}, target_opset=13)


def test_inputs_with_different_first_dimensions():
    # a shared batch symbol would tell onnxruntime the two inputs have the same first dimension
    a, c = Var("A", np.float32, [None, 1]), Var("C", np.float32, [None, 1])
    expr = onnxalgebra.OnnxConcat(a, c, axis=0)
    feeds = {"A": np.ones((1, 1), np.float32), "C": np.zeros((2, 1), np.float32)}
    for runtime in ("onnxruntime", "reference"):
        np.testing.assert_array_equal(expr.eval(feeds, runtime=runtime), np.concatenate([feeds["A"], feeds["C"]]))
