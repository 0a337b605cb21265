"""numpy's selection and ordering functions on expressions (onnxalgebra/_numpy/selection.py), against numpy.

where, clip and select with numpy's dtype rules (weak Python scalars),
take (wrap/clip), take_along_axis, compress, sort and argsort (stable: ties
in index order, NaN last), unique with its optional outputs, isin,
searchsorted, digitize, nan_to_num, round, isclose: static dtype and shape as
numpy's, values from onnxruntime and ``onnx.reference`` as numpy's.
"""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy_checks import (
    ALL,
    NUMBERS,
    RUNTIMES,
    SETTINGS,
    check,
    draw_array,
    draw_shape,
)

from onnxalgebra import Var
from onnxalgebra._errors import OnnxNumpyError


def _array(data, dtypes=ALL, min_dims=0, max_dims=3, min_side=0, nan=False):
    dtype = data.draw(st.sampled_from(dtypes))
    return draw_array(data, dtype, draw_shape(data, min_dims=min_dims, max_dims=max_dims, min_side=min_side), nan=nan)


def _batch(data):
    return data.draw(st.booleans())


SCALARS = st.sampled_from([0, 2, -1, 0.5, 2.5, True, np.float32(1.5), np.int64(3), np.float64(-0.5)])


def _operand(data, shape):
    """An array of a random dtype (broadcastable to ``shape``), or a scalar: Python (weak) or numpy (strong)."""
    if data.draw(st.booleans()):
        return data.draw(SCALARS)
    sub = shape[data.draw(st.integers(0, len(shape))) :]
    return draw_array(data, data.draw(st.sampled_from(ALL)), sub)


def _as_var_or_constant(data, fn, value):
    """``fn`` of numpy arrays where ``value`` is either a Var (when it is an array) or passed as it is."""
    return isinstance(value, np.ndarray) and data.draw(st.booleans())


# -- where, clip, select ------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_where_promotes_like_numpy(data):
    shape = draw_shape(data)
    condition = draw_array(data, data.draw(st.sampled_from(ALL)), shape)
    x, y = _operand(data, shape), _operand(data, shape)
    as_var = [isinstance(v, np.ndarray) and data.draw(st.booleans()) for v in (x, y)]
    arrays = [condition] + [v for v, flag in zip((x, y), as_var) if flag]

    def fn(c, *variables):
        values = iter(variables)
        a = next(values) if as_var[0] else x
        b = next(values) if as_var[1] else y
        return np.where(c, a, b)

    check(fn, *arrays, batch=_batch(data))


def test_where_keeps_python_scalars_weak():
    values = np.array([[1.5, -2.0], [0.0, 3.0]], np.float32)
    check(lambda x: np.where(x > 0, x, 0), values)
    check(lambda x: np.where(x > 0, 1.5, x), values, batch=True)
    check(lambda x: np.where(x > 0, 1, 0), values)
    check(lambda x: np.where(x > 0, x, np.float64(0)), values)
    check(lambda x: np.where(x > 0, x.astype(np.int64), 0.5), values)
    check(lambda x: np.where(x > 0, True, x > 2), values)
    assert np.where(Var("X", np.float32, [None]) > 0, Var("X", np.float32, [None]), 0).dtype == np.float32


@SETTINGS
@given(data=st.data())
def test_where_with_one_argument_and_nonzero_argwhere_flatnonzero(data):
    array = _array(data)
    batch = _batch(data)
    if array.ndim:
        check(lambda a: np.where(a), array, batch=batch, dynamic=True)
        check(lambda a: np.nonzero(a), array, batch=batch, dynamic=True)
        check(lambda a: a.nonzero(), array, batch=batch, dynamic=True)
    else:
        with pytest.raises(ValueError, match=r"numpy\.nonzero"):
            np.nonzero(Var("X", array.dtype, []))
    check(lambda a: np.argwhere(a), array, batch=batch, dynamic=True)
    check(lambda a: np.flatnonzero(a), array, batch=batch, dynamic=True)


@SETTINGS
@given(data=st.data())
def test_clip_like_numpy(data):
    shape = draw_shape(data)
    array = draw_array(data, data.draw(st.sampled_from(ALL)), shape, nan=True)
    low = data.draw(st.one_of(st.none(), SCALARS, st.just("array")))
    high = data.draw(st.one_of(st.none(), SCALARS, st.just("array")))
    if low is None and high is None:
        high = 1
    bounds = [
        draw_array(data, data.draw(st.sampled_from(ALL)), shape[len(shape) // 2 :]) if v == "array" else v for v in (low, high)
    ]
    spelled = data.draw(st.sampled_from(["positional", "keywords", "method"]))

    def fn(a):
        lo, hi = bounds
        if spelled == "positional":
            return np.clip(a, lo, hi)
        if spelled == "keywords":
            return np.clip(a, min=lo, max=hi)
        return a.clip(lo, hi)

    check(fn, array, batch=_batch(data))


def test_clip_errors():
    x = Var("X", np.float32, [3])
    with pytest.raises(ValueError, match=r"numpy\.clip"):
        np.clip(x, None, None)
    with pytest.raises(OnnxNumpyError, match=r"numpy\.clip:\ out="):
        np.clip(x, 0, 1, out=np.zeros(3, np.float32))


@SETTINGS
@given(data=st.data())
def test_select_like_numpy(data):
    shape = draw_shape(data)
    count = data.draw(st.integers(1, 3))
    conditions = [draw_array(data, np.bool_, shape) for _ in range(count)]
    choices = [_operand(data, shape) for _ in range(count)]
    default = data.draw(st.one_of(SCALARS, st.just(None)))
    kwargs = {} if default is None else {"default": default}
    check(lambda *c: np.select(list(c), choices, **kwargs), *conditions, batch=_batch(data))
    arrays = [c for c in choices if isinstance(c, np.ndarray)]
    if arrays and not any(isinstance(c, np.ndarray) and c.shape != shape for c in choices):
        # the choices as Vars, the conditions as constants
        def fn(*variables):
            values = iter(variables)
            picked = [next(values) if isinstance(c, np.ndarray) else c for c in choices]
            return np.select(conditions, picked, **kwargs)

        check(fn, *arrays)


# -- take, take_along_axis, compress, extract --------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_take_with_modes_like_numpy(data):
    array = _array(data, min_dims=1)
    mode = data.draw(st.sampled_from(["raise", "wrap", "clip"]))
    axis = data.draw(st.one_of(st.none(), st.integers(-array.ndim, array.ndim - 1)))
    size = array.size if axis is None else array.shape[axis]
    if size == 0 and mode != "raise":
        # numpy: "cannot do a non-empty take from an empty axes"
        with pytest.raises(IndexError):
            np.take(Var("X", array.dtype, array.shape), [0], axis=axis, mode=mode)
        return
    low, high = (-size, size - 1) if mode == "raise" else (-2 * size - 3, 2 * size + 3)
    if size == 0:
        low, high = 0, -1
    index_shape = draw_shape(data, max_dims=2)
    if high < low:
        index_shape = (0,)
    indices = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(low, max(low, high))))
    check(lambda a: np.take(a, indices, axis=axis, mode=mode), array, batch=_batch(data))
    check(lambda a, i: np.take(a, i, axis=axis, mode=mode), array, indices)
    check(lambda a: a.take(indices.tolist(), axis=axis, mode=mode), array)
    if indices.ndim == 0:
        check(lambda a: np.take(a, int(indices), axis=axis, mode=mode), array)


@SETTINGS
@given(data=st.data())
def test_take_along_axis_like_numpy(data):
    array = _array(data, min_dims=1, min_side=1)
    # onnx's reference GatherElements (np.choose) takes fewer than 64 values along an axis
    assume(array.size < 64)
    axis = data.draw(st.one_of(st.none(), st.integers(-array.ndim, array.ndim - 1)))
    if axis is None:
        indices = data.draw(
            hnp.arrays(np.int64, (data.draw(st.integers(0, 4)),), elements=st.integers(-array.size, array.size - 1))
        )
    else:
        shape = list(array.shape)
        shape[axis] = data.draw(st.integers(0, 4))
        for i in range(len(shape)):  # numpy broadcasts the other axes
            if i != axis % array.ndim and data.draw(st.booleans()):
                shape[i] = 1
        n = array.shape[axis]
        indices = data.draw(hnp.arrays(np.int64, tuple(shape), elements=st.integers(-n, n - 1)))
    check(lambda a: np.take_along_axis(a, indices, axis=axis), array, batch=_batch(data))
    check(lambda a, i: np.take_along_axis(a, i, axis=axis), array, indices)
    if axis is not None:
        check(lambda a: np.take_along_axis(a, np.argsort(a, axis=axis), axis=axis), array, batch=_batch(data))


@SETTINGS
@given(data=st.data())
def test_compress_and_extract_like_numpy(data):
    array = _array(data, min_dims=1)
    axis = data.draw(st.one_of(st.none(), st.integers(-array.ndim, array.ndim - 1)))
    size = array.size if axis is None else array.shape[axis]
    condition = draw_array(data, data.draw(st.sampled_from([np.bool_, np.int64])), (data.draw(st.integers(0, size)),))
    check(lambda a: np.compress(condition, a, axis=axis), array, batch=_batch(data), dynamic=True)
    check(lambda a, c: np.compress(c, a, axis=axis), array, condition, dynamic=True)
    mask = draw_array(data, np.bool_, array.shape)
    check(lambda a: np.extract(mask, a), array, dynamic=True)
    check(lambda a, m: np.extract(m, a), array, mask, batch=_batch(data), dynamic=True)


# -- sort, argsort, unique --------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_sort_and_argsort_are_stable_with_nan_last(data):
    array = _array(data, nan=True)
    ndim = array.ndim
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1))) if ndim else None
    if ndim and data.draw(st.booleans()):
        axis = -1
    kind = data.draw(st.sampled_from([None, "stable", "quicksort", "mergesort", "heapsort"]))
    batch = _batch(data)
    check(lambda a: np.sort(a, axis=axis, kind=kind), array, batch=batch)
    # argsort: numpy's stable order, whatever kind is asked (ours is always stable)
    expected = np.argsort(array, axis=axis, kind="stable")
    x = Var("X", array.dtype, [None, *array.shape[1:]] if batch and ndim else array.shape)
    expr = np.argsort(x, axis=axis, kind=kind)
    assert expr.dtype == np.int64 and len(expr.shape) == expected.ndim
    for runtime in RUNTIMES:
        np.testing.assert_array_equal(expr.eval({"X": array}, runtime=runtime), expected, err_msg=runtime)
    check(lambda a: np.argsort(a, axis=axis, stable=True), array)
    if ndim:
        check(lambda a: a.argsort(axis=axis if axis is not None else -1, kind="stable"), array)


def test_sort_argsort_errors():
    x = Var("X", np.float32, [None, 3])
    with pytest.raises(ValueError, match=r"numpy\.sort"):
        np.sort(x, kind="bogus")
    with pytest.raises(OnnxNumpyError, match=r"numpy\.argsort:\ order="):
        np.argsort(x, order="a")
    with pytest.raises(np.exceptions.AxisError):
        np.sort(x, axis=2)
    with pytest.raises(TypeError, match="sort"):
        x.sort()


@SETTINGS
@given(data=st.data())
def test_unique_with_its_outputs_like_numpy(data):
    array = _array(data, nan=True)
    flags = {name: data.draw(st.booleans()) for name in ("return_index", "return_inverse", "return_counts")}
    batch = _batch(data)
    check(lambda a: np.unique(a, **flags), array, batch=batch, dynamic=True)

    # the array API's unique_*: each NaN its own value, in an order numpy leaves open (a hash table from
    # numpy 2.3, an unstable sort before): compare the values, counts, values[inverse] and a[indices]
    def canonical(values, indices, inverse, counts, a):
        return values, counts, np.take(values, inverse), np.take(np.ravel(a), indices)

    def all_of(a):
        if isinstance(a, np.ndarray):
            values, indices, inverse, counts = np.unique(a, True, True, True, equal_nan=False)
            values = np.sort(np.unique_values(a))  # numpy's own function, sorted
        else:
            values, indices, inverse, counts = np.unique_all(a)
        return canonical(values, indices, inverse, counts, a)

    check(all_of, array, batch=batch, dynamic=True)
    check(lambda a: np.sort(np.unique_values(a)) if isinstance(a, np.ndarray) else np.unique_values(a), array, dynamic=True)
    check(lambda a: np.take(*np.unique_inverse(a)), array, batch=batch, dynamic=True)
    counted = np.unique(array, return_counts=True, equal_nan=False)  # numpy's unique_counts, sorted
    check(lambda a: counted if isinstance(a, np.ndarray) else tuple(np.unique_counts(a)), array, dynamic=True)
    for ours, theirs in zip(np.unique_all(Var("X", array.dtype, array.shape)), np.unique_all(array)):
        assert ours.dtype == theirs.dtype and len(ours.shape) == theirs.ndim


def test_unique_refuses_an_axis():
    with pytest.raises(OnnxNumpyError, match=r"numpy\.unique:\ axis"):
        np.unique(Var("X", np.float32, [None, 3]), axis=0)


# -- isin, searchsorted, digitize --------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_isin_like_numpy(data):
    element = _array(data, nan=True)
    tests = _array(data, max_dims=2, nan=True)
    invert = data.draw(st.booleans())
    batch = _batch(data)
    check(lambda e: np.isin(e, tests, invert=invert), element, batch=batch)
    check(lambda e, t: np.isin(e, t, invert=invert), element, tests, batch=batch)
    check(lambda e: np.isin(e, tests.tolist() if tests.ndim else tests.item(), invert=invert), element)


@SETTINGS
@given(data=st.data())
def test_searchsorted_and_digitize_like_numpy(data):
    dtype = data.draw(st.sampled_from(NUMBERS))
    a = np.sort(draw_array(data, dtype, (data.draw(st.integers(0, 6)),)))
    v = _array(data, dtypes=NUMBERS)
    side = data.draw(st.sampled_from(["left", "right"]))
    batch = _batch(data)
    check(lambda x: np.searchsorted(a, x, side=side), v, batch=batch)
    check(lambda s, x: np.searchsorted(s, x, side=side), a, v)
    if a.ndim and v.ndim:
        check(lambda s: np.searchsorted(s, v, side=side), a, batch=batch)
    right = data.draw(st.booleans())
    bins = np.unique(a)
    if data.draw(st.booleans()):
        bins = bins[::-1].copy()
    check(lambda x: np.digitize(x, bins, right=right), v, batch=batch)


# -- nan_to_num, round, isclose ---------------------------------------------------------------------------------

SPECIALS = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.5, 2.0, 1e30])


@SETTINGS
@given(data=st.data())
def test_nan_to_num_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    shape = draw_shape(data)
    if np.dtype(dtype).kind == "f":
        array = data.draw(hnp.arrays(dtype, shape, elements=SPECIALS.map(lambda v: np.asarray(v).astype(dtype).item())))
    else:
        array = draw_array(data, dtype, shape)
    kwargs = {k: data.draw(st.sampled_from([v, None])) for k, v in (("nan", -7.0), ("posinf", 100.0), ("neginf", -100.0))}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    check(lambda a: np.nan_to_num(a, **kwargs), array, batch=_batch(data))


@SETTINGS
@given(data=st.data())
def test_round_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    shape = draw_shape(data)
    if np.dtype(dtype).kind == "f":
        # halves and quarters: round half to even
        elements = st.sampled_from([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.25, 1.25, 12.5, 15.0, 25.0, -35.0, 0.125, 3.75])
        array = data.draw(hnp.arrays(dtype, shape, elements=elements))
    else:
        array = data.draw(hnp.arrays(dtype, shape, elements=st.integers(-60, 60) if dtype != np.bool_ else st.booleans()))
    decimals = data.draw(st.integers(-2, 3))
    batch = _batch(data)
    if dtype == np.bool_ and decimals < 0:
        decimals = 0
    check(lambda a: np.round(a, decimals), array, batch=batch)
    check(lambda a: np.around(a, decimals=decimals), array, batch=batch)
    if array.ndim:
        check(lambda a: a.round(decimals), array, batch=batch)


def test_python_round_is_np_round():
    # numpy arrays have no __round__; expressions give round(x, n) numpy's meaning
    values = np.array([0.5, 1.5, 2.5, -0.5, 1.25], np.float64)
    check(lambda a: round(a) if isinstance(a, Var) else np.round(a), values)
    check(lambda a: round(a, 1) if isinstance(a, Var) else np.round(a, 1), values)


@SETTINGS
@given(data=st.data())
def test_isclose_and_allclose_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3))
    specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, 1.0 + 1e-6, 1.0001, -1.0, 1e-9])

    def draw(shape):
        if np.dtype(dtype).kind == "f":
            return data.draw(hnp.arrays(dtype, shape, elements=specials.map(lambda v: np.asarray(v).astype(dtype).item())))
        return draw_array(data, dtype, shape)

    a, b = draw(shapes.input_shapes[0]), draw(shapes.input_shapes[1])
    kwargs = {
        "rtol": data.draw(st.sampled_from([1e-5, 1e-3, 0.0])),
        "atol": data.draw(st.sampled_from([1e-8, 1e-3, 0.0])),
        "equal_nan": data.draw(st.booleans()),
    }
    check(lambda x, y: np.isclose(x, y, **kwargs), a, b)
    check(lambda x: np.isclose(x, b, **kwargs), a, batch=_batch(data))
    check(lambda x, y: np.allclose(x, y, **kwargs), a, b)
    check(lambda x: np.isclose(x, 1.0, **kwargs), a)


def test_take_along_axis_of_one_batch_adds_no_broadcast_nodes():
    # a batch dimension known only at run time on both sides is taken as equal: one GatherElements
    x = Var("X", np.float32, [None, 5])
    order = np.argsort(x, axis=1)
    picked = np.take_along_axis(x, order[:, :1], axis=1)
    model = picked.to_onnx()
    assert [n.op_type for n in model.graph.node].count("GatherElements") <= 2  # argsort's NaN ordering uses one
    assert "Expand" not in [n.op_type for n in model.graph.node] and picked.shape == (None, 1)
    data = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    for runtime in ("onnxruntime", "reference"):
        np.testing.assert_array_equal(picked.eval({"X": data}, runtime=runtime), np.sort(data, axis=1)[:, :1])
    # a dimension of 1 against the batch still broadcasts as numpy does
    row = Var("R", np.int64, [1, 2])
    both = np.take_along_axis(x, row, axis=1)
    feeds = {"X": data, "R": np.array([[4, 0]], np.int64)}
    np.testing.assert_array_equal(both.eval(feeds), np.take_along_axis(data, feeds["R"], axis=1))
