"""numpy's shape functions on expressions (onnxalgebra/_numpy/shapes.py), property-tested against numpy.

reshape, transpose, squeeze, concatenate and the stacks (with numpy's dtype
promotion across inputs), split, tile, repeat, flip, roll, pad, broadcasting,
diff, the ``*_like`` constructors and the shape queries: static dtype and
shape as numpy's, values from onnxruntime and ``onnx.reference`` as numpy's,
on fully known shapes and on a ``None`` batch dimension, empty ones included.
"""

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy_checks import (
    ALL,
    SETTINGS,
    check,
    draw_array,
    draw_shape,
)

from onnxalgebra import Var
from onnxalgebra._errors import OnnxNumpyError


def _array(data, min_dims=0, max_dims=3, min_side=0, dtypes=ALL):
    dtype = data.draw(st.sampled_from(dtypes))
    return draw_array(data, dtype, draw_shape(data, min_dims=min_dims, max_dims=max_dims, min_side=min_side))


def _batch(data):
    return data.draw(st.booleans())


def _one_axis(data, ndim):
    return data.draw(st.integers(-ndim, ndim - 1))


# -- reshape, ravel, transpose, axes ------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_reshape_ravel_flatten_like_numpy(data):
    array = _array(data)
    size = array.size
    divisors = [d for d in range(1, size + 1) if size % d == 0] or [1]
    first = data.draw(st.sampled_from(divisors))
    candidates = [(size,), (-1,), (first, -1), (-1, first), (1, first, -1), (first, size // first, 1)]
    if size == 0:
        candidates += [(0, 3), (2, 0, -1), (0,)]
    new_shape = data.draw(st.sampled_from(candidates))
    batch = _batch(data)
    check(lambda a: np.reshape(a, new_shape), array, batch=batch)
    check(lambda a: a.reshape(new_shape), array, batch=batch)
    check(lambda a: np.ravel(a), array, batch=batch)
    check(lambda a: a.flatten(), array, batch=batch)


def test_reshape_errors_like_numpy():
    x = Var("X", np.float32, [2, 3])
    for shape in ((4, 2), (-1, 4), (-1, -1), (0, -1)):
        with pytest.raises(ValueError, match=r"numpy\.reshape"):
            np.reshape(x, shape)
    with pytest.raises(OnnxNumpyError, match=r"numpy\.reshape:\ order='F'"):
        np.reshape(x, (3, 2), order="F")
    with pytest.raises(OnnxNumpyError, match=r"numpy\.ravel:\ order='F'"):
        np.ravel(x, order="F")
    with pytest.raises(OnnxNumpyError, match="None"):
        np.reshape(x, (None, 3))


@SETTINGS
@given(data=st.data())
def test_transpose_swapaxes_moveaxis_like_numpy(data):
    array = _array(data)
    ndim = array.ndim
    batch = _batch(data)
    perm = data.draw(st.permutations(range(ndim)))
    perm = [p - ndim if data.draw(st.booleans()) else p for p in perm]
    check(lambda a: np.transpose(a), array, batch=batch)
    check(lambda a: np.transpose(a, perm), array, batch=batch)
    check(lambda a: np.permute_dims(a, perm), array, batch=batch)
    check(lambda a: a.transpose(*perm) if perm else a.transpose(), array, batch=batch)
    check(lambda a: a.T, array, batch=batch)
    if ndim >= 2:
        check(lambda a: np.matrix_transpose(a), array, batch=batch)
        check(lambda a: np.linalg.matrix_transpose(a), array, batch=batch)
        check(lambda a: a.mT, array, batch=batch)
    if ndim:
        i, j = _one_axis(data, ndim), _one_axis(data, ndim)
        check(lambda a: np.swapaxes(a, i, j), array, batch=batch)
        check(lambda a: a.swapaxes(i, j), array, batch=batch)
        count = data.draw(st.integers(1, ndim))
        source = data.draw(st.lists(st.integers(0, ndim - 1), min_size=count, max_size=count, unique=True))
        destination = data.draw(
            st.lists(st.integers(-ndim, ndim - 1), min_size=count, max_size=count, unique_by=lambda v: v % ndim)
        )
        check(lambda a: np.moveaxis(a, source, destination), array, batch=batch)
        check(lambda a: np.moveaxis(a, source[0], destination[0]), array, batch=batch)


def test_transpose_errors_like_numpy():
    x = Var("X", np.float32, [2, 3, 4])
    with pytest.raises(ValueError, match=r"numpy\.transpose"):
        np.transpose(x, (0, 1, 1))
    with pytest.raises(np.exceptions.AxisError):
        np.transpose(x, (0, 1, 3))
    with pytest.raises(np.exceptions.AxisError):
        np.swapaxes(x, 0, 3)
    with pytest.raises(ValueError, match=r"numpy\.moveaxis"):
        np.moveaxis(x, [0, 1], [2])


@SETTINGS
@given(data=st.data())
def test_expand_dims_and_squeeze_like_numpy(data):
    array = _array(data)
    batch = _batch(data)
    ndim = array.ndim
    count = data.draw(st.integers(1, 3))
    axes = data.draw(st.lists(st.integers(-(ndim + count), ndim + count - 1), min_size=count, max_size=count))
    check(lambda a: np.expand_dims(a, tuple(axes)), array, batch=batch)
    check(lambda a: np.expand_dims(a, axes[0]), array, batch=batch)
    check(lambda a: np.squeeze(a), array, batch=False)
    check(lambda a: a.squeeze(), array, batch=False)
    if ndim:
        axis = data.draw(st.one_of(st.integers(-ndim, ndim - 1), st.lists(st.integers(0, ndim - 1), unique=True).map(tuple)))
        check(lambda a: np.squeeze(a, axis=axis), array, batch=batch)


def test_squeeze_of_a_batch_dimension_is_known_only_when_the_model_runs():
    x = Var("X", np.float32, [None, 1, 3])
    assert np.squeeze(x, axis=1).shape == (None, 3)
    assert np.squeeze(x, axis=0).shape == (1, 3)
    with pytest.raises(ValueError, match=r"numpy\.squeeze"):
        np.squeeze(x, axis=2)
    np.testing.assert_array_equal(np.squeeze(x).eval({"X": np.ones((1, 1, 3), np.float32)}), np.ones(3, np.float32))


# -- joins ----------------------------------------------------------------------------------------------------


def _pieces(data, count, shape, axis, dtypes=ALL, vary=True):
    """``count`` arrays of ``shape`` but a random length on ``axis``, each of a random dtype."""
    arrays = []
    for _ in range(count):
        piece = list(shape)
        if vary and axis is not None and piece:
            piece[axis] = data.draw(st.integers(0, 3))
        arrays.append(draw_array(data, data.draw(st.sampled_from(dtypes)), tuple(piece)))
    return arrays


def _mixed(data, arrays, fn, batch):
    """``fn(list)`` with each array a Var, a numpy constant or (small ones) a Python list."""
    kinds = [data.draw(st.sampled_from(["var", "var", "array", "list"])) for _ in arrays]
    kinds[0] = "var"

    def build(*variables):
        values = iter(variables)
        items = []
        for array, kind in zip(arrays, kinds):
            value = next(values)
            if kind == "array":
                items.append(array if isinstance(value, Var) else value)
            elif kind == "list":
                items.append(array.tolist() if isinstance(value, Var) else value.tolist())
            else:
                items.append(value)
        return fn(items)

    check(build, *arrays, batch=batch)


@SETTINGS
@given(data=st.data())
def test_concatenate_promotes_mixed_dtypes_like_numpy(data):
    shape = draw_shape(data, min_dims=1)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    arrays = _pieces(data, data.draw(st.integers(1, 3)), shape, axis)
    batch = _batch(data) and axis % len(shape) != 0
    _mixed(data, arrays, lambda items: np.concatenate(items, axis=axis), batch)
    _mixed(data, arrays, lambda items: np.concat(items, axis=axis), batch)
    check(lambda *a: np.concatenate(a, axis=axis, dtype=np.float64), *arrays)
    check(lambda *a: np.concatenate(a, axis=None), *arrays, batch=_batch(data))


@SETTINGS
@given(data=st.data())
def test_stack_promotes_mixed_dtypes_like_numpy(data):
    shape = draw_shape(data)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = _pieces(data, data.draw(st.integers(1, 3)), shape, None, vary=False)
    _mixed(data, arrays, lambda items: np.stack(items, axis=axis), _batch(data))


def _row_stack(tup):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy 2 deprecates row_stack for vstack
        return np.row_stack(tup) if hasattr(np, "row_stack") else np.vstack(tup)


STACKS = {"hstack": np.hstack, "vstack": np.vstack, "dstack": np.dstack, "column_stack": np.column_stack, "row_stack": _row_stack}


@pytest.mark.parametrize("name", sorted(STACKS))
@SETTINGS
@given(data=st.data())
def test_hstack_vstack_dstack_column_stack_like_numpy(name, data):
    function = STACKS[name]
    ndim = data.draw(st.integers(0, 3))
    shape = draw_shape(data, min_dims=ndim, max_dims=ndim)
    # the axis each stack joins along, once the inputs have its minimum rank
    joined = {"hstack": 0 if ndim <= 1 else 1, "vstack": 0, "dstack": 2, "column_stack": 1, "row_stack": 0}[name]
    vary = ndim > joined and (name != "column_stack" or ndim >= 2) and (name != "vstack" or ndim >= 2)
    arrays = _pieces(data, data.draw(st.integers(1, 3)), shape, joined if vary else None, vary=vary)
    _mixed(data, arrays, function, _batch(data) and not vary)


def test_joins_with_a_list_of_expressions_and_numbers():
    x = Var("X", np.float32, [None, 3])
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    check(lambda a: np.concatenate([a, [[1.5, 2, 3]]]), values)
    check(lambda a: np.stack([a[0], [1, 2, 3]]), values)
    check(lambda a: np.vstack([a, np.arange(3)]), values)
    check(lambda a: np.concatenate([a, np.ones((1, 3), np.int32)]), values, batch=True)
    assert np.concatenate([x, np.ones((1, 3), np.int64)]).dtype == np.float64
    assert np.stack([x, x.astype(np.int64)]).dtype == np.float64
    assert np.hstack([x, np.ones((2, 1), np.bool_)]).dtype == np.float32


def test_lists_nesting_expressions_stack_like_np_array():
    values = np.array([1.5, -2.0, 3.0], np.float32)
    check(lambda a: np.concatenate([a, [a[0], a[1]]]), values)
    check(lambda a: np.stack([a, [a[2], a[1], 1]]), values)
    check(lambda a: np.concatenate([a[None], [[a[0], 1.0, 2.0]]]), values)
    check(lambda a: np.where(a > 0, [a, [1, 2, 3]], 0.5), values)


def test_join_errors_like_numpy():
    x = Var("X", np.float32, [2, 3])
    with pytest.raises(ValueError, match=r"numpy\.concatenate"):
        np.concatenate([x, np.ones(3)])
    with pytest.raises(ValueError, match=r"numpy\.concatenate"):
        np.concatenate([Var("S", np.float32, [])])
    with pytest.raises(ValueError, match=r"numpy\.concatenate"):
        np.concatenate([x, np.ones((2, 2))], axis=0)
    with pytest.raises(ValueError, match=r"numpy\.stack"):
        np.stack([x, np.ones((3, 2))])
    with pytest.raises(OnnxNumpyError, match=r"numpy\.concatenate:\ out="):
        np.concatenate([x, x], out=np.zeros((4, 3)))
    with pytest.raises(TypeError, match=r"numpy\.concatenate"):
        np.concatenate(x)


# -- split, tile, repeat, flip, roll, pad ----------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_split_and_array_split_like_numpy(data):
    array = _array(data, min_dims=1)
    ndim = array.ndim
    axis = _one_axis(data, ndim)
    size = array.shape[axis]
    sections = data.draw(
        st.one_of(
            st.sampled_from([d for d in range(1, size + 1) if size % d == 0] or [1]),
            st.integers(1, 5),
            st.lists(st.integers(-2, size + 2), max_size=3).map(sorted),
        )
    )
    batch = _batch(data)
    check(lambda a: np.array_split(a, sections, axis=axis), array, batch=batch)
    check(lambda a: np.split(a, sections, axis=axis), array, batch=batch and axis % ndim != 0)


@SETTINGS
@given(data=st.data())
def test_tile_and_repeat_like_numpy(data):
    array = _array(data)
    reps = data.draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), max_size=4).map(tuple)))
    batch = _batch(data)
    check(lambda a: np.tile(a, reps), array, batch=batch)
    repeats = data.draw(st.integers(0, 3))
    axis = data.draw(st.one_of(st.none(), st.integers(-array.ndim, array.ndim - 1))) if array.ndim else None
    check(lambda a: np.repeat(a, repeats, axis=axis), array, batch=batch)
    check(lambda a: a.repeat(repeats, axis=axis), array, batch=batch)
    check(lambda a: np.repeat(a, [repeats], axis=axis), array, batch=batch)


def test_repeat_with_counts_per_element():
    values = np.arange(6, dtype=np.int64).reshape(2, 3)
    check(lambda a: np.repeat(a, [1, 0, 2], axis=1), values)
    check(lambda a: np.repeat(a, np.array([2, 1]), axis=0), values, batch=True)
    check(lambda a: np.repeat(a, [1, 0, 2, 1, 1, 3]), values)
    with pytest.raises(ValueError):
        np.repeat(Var("X", np.int64, [2, 3]), [1, 2], axis=1)


@SETTINGS
@given(data=st.data())
def test_flip_and_roll_like_numpy(data):
    array = _array(data)
    ndim = array.ndim
    batch = _batch(data)
    axes = st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda v: v % ndim).map(tuple) if ndim else st.just(())
    axis = data.draw(st.one_of(st.none(), axes))
    check(lambda a: np.flip(a, axis=axis), array, batch=batch)
    if ndim:
        one = _one_axis(data, ndim)
        check(lambda a: np.flip(a, one), array, batch=batch)
        check(lambda a: np.flipud(a), array, batch=batch)
    if ndim >= 2:
        check(lambda a: np.fliplr(a), array, batch=batch)
    shift = data.draw(st.integers(-6, 6))
    check(lambda a: np.roll(a, shift), array, batch=batch)
    if ndim:
        axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=3))
        shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(axes), max_size=len(axes)))
        check(lambda a: np.roll(a, shifts, axis=axes), array, batch=batch)
        check(lambda a: np.roll(a, shift, axis=axes), array, batch=batch)
        check(lambda a: np.roll(a, shift, axis=axes[0]), array, batch=batch)


@SETTINGS
@given(data=st.data())
def test_pad_like_numpy(data):
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "wrap", "symmetric"]))
    array = _array(data, min_side=1 if mode in ("edge", "reflect", "wrap", "symmetric") else 0)
    ndim = array.ndim
    width = data.draw(
        st.one_of(
            st.integers(0, 3),
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
            st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=ndim, max_size=ndim),
        )
    )
    kwargs = {}
    if mode == "constant" and data.draw(st.booleans()):
        kwargs["constant_values"] = data.draw(st.sampled_from([0, 1, -2, 1.5, True]))
    check(lambda a: np.pad(a, width, mode=mode, **kwargs), array, batch=_batch(data) and mode == "constant")


def test_pad_errors_name_the_function():
    x = Var("X", np.float32, [2, 3])
    with pytest.raises(OnnxNumpyError, match=r"numpy\.pad:\ mode='median'"):
        np.pad(x, 1, mode="median")
    with pytest.raises(ValueError, match=r"numpy\.pad"):
        np.pad(x, -1)
    with pytest.raises(TypeError, match=r"numpy\.pad"):
        np.pad(x, 1.5)


# -- broadcasting, diff, like-constructors, queries ----------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_broadcast_to_and_broadcast_arrays_like_numpy(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0, max_side=3))
    arrays = [draw_array(data, data.draw(st.sampled_from(ALL)), s) for s in shapes.input_shapes]
    check(lambda a: np.broadcast_to(a, shapes.result_shape), arrays[0], batch=_batch(data))
    check(lambda *a: np.broadcast_arrays(*a), *arrays, batch=_batch(data))


@SETTINGS
@given(data=st.data())
def test_diff_like_numpy(data):
    array = _array(data, min_dims=1)
    n = data.draw(st.integers(0, 3))
    axis = _one_axis(data, array.ndim)
    check(lambda a: np.diff(a, n=n, axis=axis), array, batch=_batch(data))


LIKES = {
    "zeros_like": lambda a, **k: np.zeros_like(a, **k),
    "ones_like": lambda a, **k: np.ones_like(a, **k),
    "full_like": lambda a, **k: np.full_like(a, 7, **k),
    "full_like_float": lambda a, **k: np.full_like(a, 2.5, **k),
}


@pytest.mark.parametrize("name", sorted(LIKES))
@SETTINGS
@given(data=st.data())
def test_like_constructors(name, data):
    function = LIKES[name]
    array = _array(data)
    kwargs = {}
    if data.draw(st.booleans()):
        kwargs["dtype"] = data.draw(st.sampled_from(ALL))
    if data.draw(st.booleans()):
        kwargs["shape"] = draw_shape(data)
    check(lambda a: function(a, **kwargs), array, batch=_batch(data))


def test_empty_like_has_numpy_dtype_and_shape():
    x = Var("X", np.float32, [None, 3])
    cases = (({}, np.float32, (None, 3)), ({"dtype": np.int64}, np.int64, (None, 3)), ({"shape": (2,)}, np.float32, (2,)))
    for kwargs, dtype, shape in cases:
        expr = np.empty_like(x, **kwargs)
        assert expr.dtype == dtype and expr.shape == shape
        assert expr.eval({"X": np.ones((4, 3), np.float32)}).shape == ((4, 3) if shape[0] is None else shape)


@SETTINGS
@given(data=st.data())
def test_copy_astype_and_atleast_like_numpy(data):
    array = _array(data)
    batch = _batch(data)
    check(lambda a: np.copy(a), array, batch=batch)
    target = data.draw(st.sampled_from(ALL))
    check(lambda a: np.astype(a, target), array, batch=batch)
    for function in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
        check(lambda a, f=function: f(a), array, batch=batch)
        check(lambda a, b, f=function: f(a, b), array, array[..., :1] if array.ndim else array, batch=batch)


@SETTINGS
@given(data=st.data())
def test_shape_ndim_size_and_result_type_like_numpy(data):
    array = _array(data)
    x = Var("X", array.dtype, array.shape)
    assert np.shape(x) == np.shape(array)
    assert np.ndim(x) == np.ndim(array)
    assert np.size(x) == np.size(array)
    for axis in range(array.ndim):
        assert np.size(x, axis) == np.size(array, axis)
    other = data.draw(st.sampled_from([np.float32, np.int32, np.float64, np.uint8, 1, 1.5, True]))
    assert np.result_type(x, other) == np.result_type(array, other)
    if array.ndim:
        batch = Var("B", array.dtype, [None, *array.shape[1:]])
        assert np.shape(batch) == (None, *array.shape[1:])
        assert np.size(batch) is None
        assert np.ndim(batch) == array.ndim


# -- numpy functions without a translation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda x: np.fft.fft(x), "numpy.fft.fft"),
        (lambda x: np.insert(x, 0, 1.0), "numpy.insert"),
        (lambda x: np.delete(x, 0), "numpy.delete"),
        (lambda x: np.resize(x, (3, 3)), "numpy.resize"),
        (lambda x: np.block([[x, x]]), "numpy.block"),
        (lambda x: np.interp(x, [0.0, 1.0], [1.0, 2.0]), "numpy.interp"),
    ],
)
def test_functions_without_translation_raise_naming_them(call, name):
    with pytest.raises(OnnxNumpyError, match=name.replace(".", r"\.")):
        call(Var("X", np.float32, [None, 4]))
