"""Plans (onnxalgebra/_numpy/plans.py): a replayed call must give what the general path gives.

Each test makes a plan with a first call, then checks a second call of the
same signature against numpy (values, dtype) and against what the general
path does for it (errors, guards, constants).
"""

import numpy as np
import pytest
from onnx import numpy_helper

from onnxalgebra import Constant, OnnxNumpyError, Var, to_onnx
from onnxalgebra._context import FLOAT_DTYPE
from onnxalgebra._numpy import plans

RUNTIMES = ["onnxruntime", "reference"]


def _values(expr, feeds, runtime):
    return expr.eval(feeds, runtime=runtime)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_replayed_call_uses_its_own_constants(runtime):
    data = np.array([1.5, -2.0, 0.25], np.float32)
    x = Var("X", np.float32, [None])
    first, second = x * 2.0, x * 3.0  # the second replays the plan the first made
    assert second.dtype == np.float32
    np.testing.assert_array_equal(_values(first, {"X": data}, runtime), data * 2.0)
    np.testing.assert_array_equal(_values(second, {"X": data}, runtime), data * 3.0)


def test_replayed_and_general_calls_give_byte_identical_models():
    def build():
        x = Var("X", np.float32, [None, 2])
        return np.tanh(x * 1.5 + 0.5) - x / 3.0

    plans._SCALARS.clear()
    first = to_onnx(build(), {"X": np.zeros((1, 2), np.float32)})
    second = to_onnx(build(), {"X": np.zeros((1, 2), np.float32)})
    assert first.SerializeToString() == second.SerializeToString()


def test_a_python_int_out_of_range_after_a_plan_still_raises_like_numpy():
    x = Var("X", np.uint8, [None])
    assert (x + 1).dtype == np.uint8  # the plan
    with pytest.raises(OverflowError):
        np.array([1], np.uint8) + 300
    with pytest.raises(OverflowError):
        x + 300


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_comparisons_beyond_an_integer_range_after_a_plan(runtime):
    data = np.array([-5, 0, 7], np.int64)
    x = Var("X", np.int64, [None])
    assert (x < 5).dtype == np.bool_  # the plan
    for scalar in (2**70, -(2**70)):
        expected = data < scalar
        np.testing.assert_array_equal(_values(x < scalar, {"X": data}, runtime), expected)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_value_dependent_ufuncs_look_at_each_call_constants(runtime):
    data = np.array([-7, 0, 9], np.int64)
    x = Var("X", np.int64, [None])
    np.testing.assert_array_equal(_values(x**2, {"X": data}, runtime), data**2)
    with pytest.raises(OnnxNumpyError, match=r"numpy\.power"):
        x**-1
    assert (x // 3).dtype == np.int64  # a plan for a divisor without zeros
    divisor = np.array([2, 0, -1], np.int64)
    with np.errstate(divide="ignore"):
        expected = data // divisor  # numpy: 0 where the divisor is 0
    np.testing.assert_array_equal(_values(x // divisor, {"X": data}, runtime), expected)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_arrays_follow_numpy_promotion_and_the_converter_float_dtype(runtime):
    data = np.array([[1.0, 2.0]], np.float32)
    x = Var("X", np.float32, [None, 2])
    weights = np.array([0.5, 0.25])  # float64
    for _ in range(2):  # general path, then the plan
        expr = x * weights
        assert expr.dtype == np.float64  # numpy 2: a float64 array promotes
        np.testing.assert_allclose(_values(expr, {"X": data}, runtime), data * weights)
    token = FLOAT_DTYPE.set(np.dtype(np.float32))  # inside a converter, float arrays take X's dtype
    try:
        for _ in range(2):
            assert (x * weights).dtype == np.float32
    finally:
        FLOAT_DTYPE.reset(token)
    assert (x * weights).dtype == np.float64


def test_signed_zero_constants_are_not_merged():
    x = Var("X", np.float32, [None])
    positive, negative = x + 0.0, x + (-0.0)
    values = []
    for expr in (positive, negative):
        (init,) = expr.to_onnx().graph.initializer
        values.append(numpy_helper.to_array(init))
    assert not np.signbit(values[0]) and np.signbit(values[1])


def test_cached_constants_are_read_only_and_shared():
    a = plans.cached_constant(1.5, np.dtype(np.float32))
    b = plans.cached_constant(1.5, np.dtype(np.float32))
    assert a is b and isinstance(a, Constant)
    with pytest.raises(ValueError):
        a.value[...] = 2
    axes = plans.int64_constant((1, 2))
    assert axes is plans.int64_constant((1, 2)) and axes.value.dtype == np.int64
    with pytest.raises(ValueError):
        axes.value[0] = 0
