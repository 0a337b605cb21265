"""What the tests of numpy's array functions share (tests/test_numpy_{reductions,shapes,selection,linalg}.py).

:func:`check` applies one function to numpy arrays (the oracle) and to typed
``Var`` inputs (declared fully known or with a ``None`` batch dimension): the
static dtype and shape must be numpy's, and the values computed by
onnxruntime and by ``onnx.reference`` must equal numpy's. Where numpy raises
and the shape is known at build time, building the expression must raise.
"""

import os
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from onnxalgebra import Var
from onnxalgebra._errors import OnnxNumpyError

RUNTIMES = ("onnxruntime", "reference")
SETTINGS = settings(max_examples=int(os.environ.get("ONNXALGEBRA_EXAMPLES", "20")), deadline=None)
ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, OnnxNumpyError)

ALL = (np.float32, np.float64, np.int64, np.bool_)
FLOATS = (np.float32, np.float64)
NUMBERS = (np.float32, np.float64, np.int64)
# few distinct values (ties, exact sums), NaN only when asked
FLOAT_VALUES = (-3.0, -1.5, -1.0, 0.0, 0.5, 1.0, 2.0, 2.5)


def elements(dtype, nan=False, positive=False):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "f":
        values = [v for v in FLOAT_VALUES if v > 0] if positive else list(FLOAT_VALUES)
        return st.sampled_from(values + [np.nan] * 2 if nan else values)
    return st.integers(1, 4) if positive else st.integers(-4, 4)


def draw_array(data, dtype, shape, nan=False, positive=False):
    return data.draw(hnp.arrays(dtype, shape, elements=elements(dtype, nan=nan, positive=positive)))


def draw_shape(data, min_dims=0, max_dims=3, min_side=0):
    return data.draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=4))


def numpy_result(fn, arrays):
    """numpy's result, or the exception numpy raises."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*arrays), None
        except Exception as exc:  # the oracle raising is an expected outcome
            return None, exc


def declared(array, batch):
    shape = list(array.shape)
    if batch and shape:
        shape[0] = None
    return shape


def assert_same(expr, expected, feeds, rtol, atol, batch, dynamic):
    expected = np.asarray(expected)
    assert expr.dtype == expected.dtype, (expr.dtype, expected.dtype)
    shape = expr.shape
    assert shape is not None and len(shape) == expected.ndim, (shape, expected.shape)
    if batch or dynamic:
        assert all(s is None or s == e for s, e in zip(shape, expected.shape)), (shape, expected.shape)
    else:
        assert shape == expected.shape, (shape, expected.shape)
    for runtime in RUNTIMES:
        got = np.asarray(expr.eval(feeds, runtime=runtime))
        assert got.dtype == expected.dtype and got.shape == expected.shape, (runtime, got.dtype, got.shape, expected.shape)
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=runtime)
        else:
            np.testing.assert_array_equal(got, expected, err_msg=runtime)


def check(fn, *arrays, batch=False, rtol=None, atol=0.0, dynamic=False):
    """``fn`` on numpy arrays against ``fn`` on Vars holding them; ``fn`` may return a tuple.

    ``batch`` declares the inputs' first dimension None; ``dynamic`` allows None in the static shape
    (sizes known only at run time, after a mask); ``rtol`` defaults to 1e-5 (float32) and 1e-12.
    """
    expected, error = numpy_result(fn, arrays)
    names = "ABCDEFGH"
    variables = [Var(names[i], a.dtype, declared(a, batch)) for i, a in enumerate(arrays)]
    feeds = {names[i]: a for i, a in enumerate(arrays)}
    if error is not None:
        if not batch:
            with pytest.raises(ERRORS):
                fn(*variables)
        return
    got = fn(*variables)
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(expected), (got, expected)
    else:
        got, expected = [got], [expected]
    for g, e in zip(got, expected):
        kind = np.asarray(e).dtype
        tolerance = rtol if rtol is not None else (1e-5 if kind == np.float32 else 1e-12)
        assert_same(g, e, feeds, tolerance, atol, batch, dynamic)
