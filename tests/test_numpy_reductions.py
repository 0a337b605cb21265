"""numpy's reductions on expressions (onnxalgebra/_numpy/reductions.py), property-tested against numpy.

Each property applies one function to numpy arrays (the oracle) and to typed
``Var`` inputs (declared fully known or with a ``None`` batch dimension):
the static dtype and shape must be numpy's, and the values computed by
onnxruntime and by ``onnx.reference`` must equal numpy's. Where numpy raises
and the shape is known at build time, building the expression must raise.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy_checks import (
    ALL,
    NUMBERS,
    SETTINGS,
    check,
    draw_array,
    draw_shape,
)

from onnxalgebra import Var
from onnxalgebra._errors import OnnxNumpyError


def _axis(data, ndim, allow_tuple=True):
    """None, an int (negative too) or a tuple of distinct axes (negative ones and () included)."""
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    if allow_tuple:
        choices.append(
            st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim).map(
                lambda axes: tuple(a - ndim if i % 2 else a for i, a in enumerate(axes))
            )
        )
    return data.draw(st.one_of(*choices))


# -- table: function, dtypes numpy takes, extra keyword strategies, NaN in the data? -------------------------


def _kw(**strategies):
    return st.fixed_dictionaries({k: v for k, v in strategies.items()})


KEEP = st.booleans()
REDUCTIONS = {
    "sum": (np.sum, ALL, _kw(keepdims=KEEP, initial=st.sampled_from([np._NoValue, 0, 2])), True),
    "sum_dtype": (np.sum, ALL, _kw(dtype=st.sampled_from([np.float32, np.float64, np.int64]), keepdims=KEEP), False),
    "prod": (np.prod, ALL, _kw(keepdims=KEEP, initial=st.sampled_from([np._NoValue, 1, 3])), True),
    "prod_dtype": (np.prod, ALL, _kw(dtype=st.sampled_from([np.float64, np.int64]), keepdims=KEEP), False),
    "mean": (np.mean, ALL, _kw(keepdims=KEEP), True),
    "mean_dtype": (np.mean, ALL, _kw(dtype=st.sampled_from([np.float32, np.float64]), keepdims=KEEP), False),
    "var": (np.var, ALL, _kw(keepdims=KEEP, ddof=st.sampled_from([0, 1, 2])), True),
    "var_correction": (np.var, NUMBERS, _kw(correction=st.sampled_from([0, 1]), keepdims=KEEP), False),
    "std": (np.std, ALL, _kw(keepdims=KEEP, ddof=st.sampled_from([0, 1])), True),
    "std_dtype": (np.std, NUMBERS, _kw(dtype=st.sampled_from([np.float32, np.float64]), keepdims=KEEP), False),
    "max": (np.max, ALL, _kw(keepdims=KEEP), True),
    "max_initial": (np.max, NUMBERS, _kw(keepdims=KEEP, initial=st.sampled_from([-1, 0, 3])), True),
    "amax": (np.amax, ALL, _kw(keepdims=KEEP), True),
    "min": (np.min, ALL, _kw(keepdims=KEEP), True),
    "min_initial": (np.min, NUMBERS, _kw(keepdims=KEEP, initial=st.sampled_from([-1, 0, 3])), True),
    "amin": (np.amin, ALL, _kw(keepdims=KEEP), True),
    "nanmax": (np.nanmax, ALL, _kw(keepdims=KEEP), True),
    "nanmin": (np.nanmin, ALL, _kw(keepdims=KEEP), True),
    "nansum": (np.nansum, ALL, _kw(keepdims=KEEP), True),
    "nanmean": (np.nanmean, ALL, _kw(keepdims=KEEP), True),
    "any": (np.any, ALL, _kw(keepdims=KEEP), True),
    "all": (np.all, ALL, _kw(keepdims=KEEP), True),
    "ptp": (np.ptp, NUMBERS, _kw(keepdims=KEEP), True),
    "count_nonzero": (np.count_nonzero, ALL, _kw(keepdims=KEEP), True),
    "average": (np.average, ALL, _kw(keepdims=KEEP), True),
}
ARG_REDUCTIONS = {"argmax": np.argmax, "argmin": np.argmin}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=st.data())
def test_reduction_like_numpy(name, data):
    function, dtypes, keywords, nan = REDUCTIONS[name]
    dtype = data.draw(st.sampled_from(dtypes))
    array = draw_array(data, dtype, draw_shape(data), nan=nan and data.draw(st.booleans()))
    kwargs = dict(data.draw(keywords), axis=_axis(data, array.ndim))
    kwargs = {k: v for k, v in kwargs.items() if v is not np._NoValue}
    batch = data.draw(st.booleans())
    check(lambda a: function(a, **kwargs), array, batch=batch, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ARG_REDUCTIONS))
@SETTINGS
@given(data=st.data())
def test_argmax_argmin_first_occurrence_and_first_nan(name, data):
    function = ARG_REDUCTIONS[name]
    dtype = data.draw(st.sampled_from(ALL))
    array = draw_array(data, dtype, draw_shape(data), nan=data.draw(st.booleans()))
    axis = _axis(data, array.ndim, allow_tuple=False)
    keepdims = data.draw(st.booleans())
    check(lambda a: function(a, axis=axis, keepdims=keepdims), array, batch=data.draw(st.booleans()))


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "max", "min", "argmax", "argmin", "any", "all", "std", "var"])
@SETTINGS
@given(data=st.data())
def test_ndarray_methods_call_the_same_reductions(name, data):
    dtype = data.draw(st.sampled_from(NUMBERS))
    array = draw_array(data, dtype, draw_shape(data, min_dims=1, min_side=1))
    axis = _axis(data, array.ndim, allow_tuple=name not in ("argmax", "argmin"))
    check(lambda a: getattr(a, name)(axis=axis), array, batch=data.draw(st.booleans()), atol=1e-6)


CUMULATIVE = {"cumsum": np.cumsum, "cumprod": np.cumprod}


@pytest.mark.parametrize("name", sorted(CUMULATIVE))
@SETTINGS
@given(data=st.data())
def test_cumsum_cumprod_like_numpy(name, data):
    function = CUMULATIVE[name]
    dtype = data.draw(st.sampled_from(ALL))
    array = draw_array(data, dtype, draw_shape(data), nan=data.draw(st.booleans()))
    axis = _axis(data, array.ndim, allow_tuple=False)
    out_dtype = data.draw(st.sampled_from([None, np.float64, np.int64]))
    check(lambda a: function(a, axis=axis, dtype=out_dtype), array, batch=data.draw(st.booleans()))
    if array.ndim and name == "cumsum":  # expressions have no cumprod method
        check(lambda a: a.cumsum(axis=axis), array)


CUMULATIVE_2 = {"cumulative_sum": getattr(np, "cumulative_sum", None), "cumulative_prod": getattr(np, "cumulative_prod", None)}


@pytest.mark.parametrize("name", sorted(CUMULATIVE_2))
@SETTINGS
@given(data=st.data())
def test_cumulative_sum_prod_include_initial(name, data):
    function = CUMULATIVE_2[name]
    if function is None:
        pytest.skip(f"numpy {np.__version__} has no {name}")
    dtype = data.draw(st.sampled_from(ALL))
    array = draw_array(data, dtype, draw_shape(data, min_dims=0, max_dims=3))
    axis = data.draw(st.one_of(st.none(), st.integers(-array.ndim, array.ndim - 1))) if array.ndim else None
    include_initial = data.draw(st.booleans())
    check(lambda a: function(a, axis=axis, include_initial=include_initial), array, batch=data.draw(st.booleans()))


@SETTINGS
@given(data=st.data())
def test_average_with_weights_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    array = draw_array(data, dtype, draw_shape(data, min_dims=1, min_side=1))
    ndim = array.ndim
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
    same_shape = axis is None or data.draw(st.booleans())
    weight_shape = array.shape if same_shape else (array.shape[axis],)
    weight_dtype = data.draw(st.sampled_from(NUMBERS))
    weights = draw_array(data, weight_dtype, weight_shape, positive=True)
    keepdims = data.draw(st.booleans())
    returned = data.draw(st.booleans())
    check(
        lambda a, w: np.average(a, axis=axis, weights=w, keepdims=keepdims, returned=returned),
        array,
        weights,
        batch=data.draw(st.booleans()) and same_shape,
    )
    # the weights as a constant array
    check(lambda a: np.average(a, axis=axis, weights=weights, returned=returned), array)


def test_average_returned_counts_have_the_shape_of_the_average():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(lambda a: np.average(a, axis=1, returned=True), array)
    check(lambda a: np.average(a, returned=True), array, batch=True)


# -- numpy's errors and NaN rules --------------------------------------------------------------------------


@pytest.mark.parametrize("function", [np.max, np.min, np.argmax, np.argmin, np.ptp, np.nanmax, np.nanmin])
def test_reductions_without_identity_raise_on_empty_axes_at_build_time(function):
    x = Var("X", np.float32, [3, 0])
    with pytest.raises(ValueError, match=function.__name__):
        function(x, axis=1)
    with pytest.raises(ValueError, match=function.__name__):
        function(x)
    assert function(x, axis=0).shape == (0,)


def test_all_nan_slices():
    array = np.array([[np.nan, np.nan], [1.0, np.nan]], np.float32)
    for function in (np.nanmax, np.nanmin, np.nanmean, np.nansum, np.max, np.argmax, np.argmin):
        check(lambda a, f=function: f(a, axis=1), array)
        check(lambda a, f=function: f(a, axis=0), array)


def test_max_min_propagate_nan_and_argmax_returns_the_first_nan():
    array = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, 5.0, 0.0]], np.float64)
    for function in (np.max, np.min, np.argmax, np.argmin, np.ptp):
        check(lambda a, f=function: f(a, axis=1), array)
        check(lambda a, f=function: f(a, axis=1), array.astype(np.float32), batch=True)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: np.sum(x, out=np.zeros(3)), "numpy.sum: out="),
        (lambda x: np.sum(x, where=np.ones((3, 4), bool)), "numpy.sum: where="),
        (lambda x: np.mean(x, where=np.ones((3, 4), bool)), "numpy.mean: where="),
        (lambda x: np.max(x, where=np.ones((3, 4), bool), initial=0), "numpy.max: where="),
        (lambda x: np.var(x, mean=np.zeros((3, 1))), "numpy.var: mean="),
        (lambda x: np.cumsum(x, axis=0, out=np.zeros((3, 4))), "numpy.cumsum: out="),
        (lambda x: np.argmax(x, out=np.zeros(4, np.int64), axis=0), "numpy.argmax: out="),
    ],
)
def test_unsupported_arguments_raise_naming_the_function(call, match):
    with pytest.raises(OnnxNumpyError, match=match):
        call(Var("X", np.float32, [3, 4]))


def test_bad_axes_raise_like_numpy():
    x = Var("X", np.float32, [None, 4])
    with pytest.raises(np.exceptions.AxisError):
        np.sum(x, axis=2)
    with pytest.raises(ValueError, match=r"repeated\ axis"):
        np.sum(x, axis=(1, -1))
    with pytest.raises(TypeError):
        np.sum(x, axis=1.0)


def test_ddof_and_correction_together_raise():
    with pytest.raises(ValueError, match="correction"):
        np.var(Var("X", np.float32, [3]), ddof=1, correction=1)


def test_unsupported_reductions_raise_naming_the_function():
    x = Var("X", np.float32, [None, 4])
    for function, name in ((np.nanstd, "numpy.nanstd"), (np.histogram, "numpy.histogram"), (np.nancumsum, "numpy.nancumsum")):
        with pytest.raises(OnnxNumpyError, match=name):
            function(x)


def test_integer_product_wraps_around_like_numpy():
    # 4**32 is 2**64: numpy wraps to 0 (onnxruntime's ReduceProd would saturate)
    array = np.full((2, 4, 4), 4, np.int64)
    for kwargs in ({}, {"axis": (1, 2)}, {"axis": (0, 2), "keepdims": True}):
        check(lambda a, k=kwargs: np.prod(a, **k), array)
        check(lambda a, k=kwargs: np.prod(a, **k), array, batch=True)
    check(lambda a: np.prod(a, axis=1), np.zeros((3, 0), np.int64), batch=True)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16])
def test_sums_in_a_narrow_integer_dtype_wrap_like_numpy(dtype):
    values = np.full((2, 3), 100, dtype)
    x = Var("X", dtype, [2, 3])
    cases = [
        (np.sum(x, dtype=dtype), np.sum(values, dtype=dtype)),
        (np.add.reduce(x, dtype=dtype), np.add.reduce(values, dtype=dtype)),
        (np.cumsum(x, axis=1, dtype=dtype), np.cumsum(values, axis=1, dtype=dtype)),
    ]
    for expr, expected in cases:
        assert expr.dtype == expected.dtype
        for runtime in ("onnxruntime", "reference"):
            np.testing.assert_array_equal(expr.eval({"X": values}, runtime=runtime), expected)
