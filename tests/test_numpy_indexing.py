"""numpy indexing of expressions, property-tested against numpy with both runtimes.

Every property draws an array and an index, indexes the array with numpy and
a ``Var`` of its dtype with the same index, then checks the expression's
static dtype and shape (``None`` allowed only where the size is known when
the model runs) and its values computed by onnxruntime and ``onnx.reference``.
The shapes include 0-sized and 1-sized dimensions, and the ``Var`` often
declares some dimensions as unknown (``None``) to exercise the dynamic paths.
"""

import os
import sys

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import onnxalgebra
from onnxalgebra import Expr, OnnxAdd, OnnxTopK, Output, Var

RUNTIMES = ["onnxruntime", "reference"]
SETTINGS = settings(max_examples=int(os.environ.get("ONNXALGEBRA_EXAMPLES", "20")), deadline=None)
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


# -- helpers -------------------------------------------------------------------------------------


def _values(data, dtype, shape):
    """An array of ``dtype``: small numbers (so that masks and comparisons are mixed), any booleans."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        elements = st.booleans()
    elif dtype.kind == "f":
        elements = st.floats(-9, 9, width=dtype.itemsize * 8)
    else:
        elements = st.integers(-9, 9)
    return data.draw(hnp.arrays(dtype, shape, elements=elements))


def _declared(data, shape):
    """The shape a Var declares for an array of ``shape``: each dimension known or None (known at run time)."""
    known = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    return [d if k else None for d, k in zip(shape, known)]


def _check(expr, feeds, expected, runtime, exact=True):
    """Static dtype and shape, then the values computed by ``runtime``, against numpy's ``expected``.

    ``exact``: the static shape must be numpy's; otherwise it may have None
    where numpy's has a size (never another size, never another rank).
    """
    expected = np.asarray(expected)
    assert isinstance(expr, Expr)
    assert expr.dtype == expected.dtype, (expr.dtype, expected.dtype)
    if exact:
        assert expr.shape == expected.shape, (expr.shape, expected.shape)
    else:
        assert expr.shape is not None and len(expr.shape) == expected.ndim, (expr.shape, expected.shape)
        assert all(s is None or s == e for s, e in zip(expr.shape, expected.shape)), (expr.shape, expected.shape)
    got = expr.eval(feeds, runtime=runtime)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.dtype, expected.shape)
    np.testing.assert_array_equal(got, expected)


def _index_array(data, values, name, forms):
    """An integer or boolean index in one of ``forms``: (what indexes the Var, what indexes numpy, feeds)."""
    form = data.draw(st.sampled_from(forms))
    if form == "list" and values.size == 0:
        form = "numpy"  # an empty list is an integer index for numpy, whatever the dtype it came from
    if form == "numpy":
        return values, values, {}
    if form == "list":
        return values.tolist(), values, {}
    dtype = {"int64": np.int64, "int32": np.int32, "bool": np.bool_}[form]
    declared = _declared(data, values.shape)
    return Var(name, dtype, declared), values, {name: values.astype(dtype)}


def _slice_or_int(data, size, allow_int=True):
    """A slice valid for a dimension of ``size`` (steps and negatives included), or an int when there is one."""
    choices = [st.slices(size)]
    if allow_int and size > 0:
        choices.append(st.integers(-size, size - 1))
    return data.draw(st.one_of(*choices))


def _sprinkle(data, ours, theirs):
    """Insert the same ``None`` (new axes) in both keys; maybe replace a trailing run of ':' with '...'."""
    for _ in range(data.draw(st.integers(0, 2))):
        position = data.draw(st.integers(0, len(ours)))
        ours.insert(position, None)
        theirs.insert(position, None)
    if data.draw(st.booleans()):
        end = len(ours)
        start = end
        while start > 0 and isinstance(ours[start - 1], slice) and ours[start - 1] == slice(None):
            start -= 1
        start = data.draw(st.integers(start, end))
        ours[start:end] = [Ellipsis]
        theirs[start:end] = [Ellipsis]
    return tuple(ours), tuple(theirs)


# -- basic indexing: ints, slices, None, '...' -------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_basic_indices_like_numpy(runtime, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    a = _values(data, dtype, shape)
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    declared = _declared(data, shape)
    x = Var("X", dtype, declared)
    _check(x[key], {"X": a}, a[key], runtime, exact=None not in declared)
    # the same key with numpy integers, and through .at and .getitem
    as_numpy = tuple(np.int64(k) if isinstance(k, int) else k for k in key) if isinstance(key, tuple) else key
    _check(x.at[as_numpy], {"X": a}, a[key], runtime, exact=None not in declared)
    _check(x.getitem(key), {"X": a}, a[key], runtime, exact=None not in declared)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_basic_indices_of_an_expression_of_unknown_rank(runtime, data):
    # '...' with an unknown rank: the indices after it count from the end (negative axes)
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    a = _values(data, np.float32, shape)
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    expr = Var("X", np.float32)[key]
    assert expr.dtype == np.float32 and expr.shape is None  # the rank is not known before the run
    got = expr.eval({"X": a}, runtime=runtime)
    assert got.dtype == np.float32 and got.shape == a[key].shape
    np.testing.assert_array_equal(got, a[key])


# -- integer arrays -------------------------------------------------------------------------------

INT_FORMS = ["numpy", "list", "int64", "int32"]


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_integer_array_indices_like_numpy(runtime, data):
    # per axis a slice, an int or an integer array; the arrays broadcast together; adjacent or not
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
    assume(any(shape))
    a = _values(data, dtype, shape)
    kinds = [data.draw(st.sampled_from(["slice", "int", "array"])) if size else "slice" for size in shape]
    if "array" not in kinds:
        kinds[data.draw(st.sampled_from([k for k, size in enumerate(shape) if size]))] = "array"
    count = kinds.count("array")
    index_shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=2, max_side=3)).input_shapes
    ours, theirs, feeds = [], [], {"X": a}
    arrays = iter(index_shapes)
    for axis, (kind, size) in enumerate(zip(kinds, shape)):
        if kind == "array":
            values = data.draw(hnp.arrays(np.int64, next(arrays), elements=st.integers(-size, size - 1)))
            mine, numpys, fed = _index_array(data, values, f"I{axis}", INT_FORMS)
            feeds.update(fed)
            ours.append(mine)
            theirs.append(numpys)
        else:
            item = _slice_or_int(data, size, allow_int=kind == "int")
            ours.append(item)
            theirs.append(item)
    while ours and isinstance(ours[-1], slice) and ours[-1] == slice(None) and data.draw(st.booleans()):
        ours.pop()  # fewer indices than dimensions: the rest are ':'
        theirs.pop()
    ours, theirs = _sprinkle(data, ours, theirs)
    declared = _declared(data, shape)
    expected = a[theirs]
    known = None not in declared and all(None not in v.shape for v in ours if isinstance(v, Var))
    _check(Var("X", dtype, declared)[ours], feeds, expected, runtime, exact=known)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    "case",
    [
        # a broadcast dimension of size 0 against an index of size 1 (onnxruntime's optimizer keeps the 1 for Expand)
        ((1, 1, 1), [1, 1, 1], lambda i: (np.array([False]), 0, i), [1], np.array([0], np.int32)),
        ((1, 1, 1), [1, 1, 1], lambda i: (np.array([False]), 0, i), [None], np.array([0], np.int32)),
        ((2, 2, 2), [None] * 3, lambda i: (np.zeros(0, np.int64), 0, i), [None], np.array([1], np.int32)),
        # indices whose sizes are known when the model runs, of other lengths than X's first dimension
        ((1, 1, 1, 1), [1, 1, 1, 1], lambda i: (np.zeros((1, 1), np.int64), 0, 0, i), [None, None], np.zeros((2, 1), np.int64)),
        ((3, 4, 2), [None, 4, 2], lambda i: (i, [[1], [2], [3]], 0), [None, None], np.array([[0, 2]])),
    ],
    ids=["empty-known", "empty-unknown", "empty-dynamic", "unknown-sizes", "unknown-sizes-2"],
)
def test_index_expressions_broadcast_with_arrays_in_both_runtimes(runtime, case):
    shape, declared, key, index_shape, index = case
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    expr = Var("X", np.float32, declared)[key(Var("I", index.dtype, index_shape))]
    _check(expr, {"X": a, "I": index}, a[key(index)], runtime, exact=False)


def test_integer_array_index_static_shapes():
    x = Var("X", np.float32, [None, 5, 6])
    assert x[:, [0, 2]].shape == (None, 2, 6)
    assert x[:, [[0], [2]], [1, 3, 5]].shape == (None, 2, 3)  # adjacent: where the arrays were
    assert x[[0, 1], :, [1, 3]].shape == (2, 5)  # not adjacent: the broadcast dimensions first
    assert x[0, :, [1, 3]].shape == (2, 5)  # an int counts as an array index when there is one
    assert x[:, Var("I", np.int64, [3])].shape == (None, 3, 6)
    assert x[:, Var("I", np.int64, [None]), [[0], [1]]].shape == (None, 2, None)
    assert x[None, [0, 1], None, 1].shape == (2, 1, 1, 6)
    assert x[:, Var("I", np.int64, [3]), [[0], [1]]].shape == (None, 2, 3)  # index expressions of known sizes
    assert x[Var("I", np.int32, [2, 1]), :, Var("J", np.int64, [4])].shape == (2, 4, 5)


# -- boolean masks ----------------------------------------------------------------------------------

MASK_FORMS = ["numpy", "list", "bool"]


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_boolean_masks_like_numpy(runtime, data):
    # a mask over k consecutive axes from axis p, slices or ints around it, maybe an integer array after it
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
    a = _values(data, dtype, shape)
    ndim = len(shape)
    p = data.draw(st.integers(0, ndim - 1))
    k = data.draw(st.integers(1, ndim - p))
    mask = data.draw(hnp.arrays(np.bool_, shape[p : p + k]))
    ours, theirs, feeds = [], [], {"X": a}
    for size in shape[:p]:
        item = _slice_or_int(data, size)
        ours.append(item)
        theirs.append(item)
    mine, numpys, fed = _index_array(data, mask, "M", MASK_FORMS)
    ours.append(mine)
    theirs.append(numpys)
    feeds.update(fed)
    with_array = False
    for axis in range(p + k, ndim):
        size = shape[axis]
        if not with_array and size and data.draw(st.booleans()):
            # an integer array broadcasting with the mask's True positions: (), (1,) or (count,)
            with_array = True
            index_shape = data.draw(st.sampled_from([(), (1,), (int(mask.sum()),)]))
            values = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-size, size - 1)))
            mine, numpys, fed = _index_array(data, values, "I", INT_FORMS)
            feeds.update(fed)
        else:
            mine = numpys = _slice_or_int(data, size)
        ours.append(mine)
        theirs.append(numpys)
    ours, theirs = _sprinkle(data, ours, theirs)
    declared = _declared(data, shape)
    _check(Var("X", dtype, declared)[ours], feeds, a[theirs], runtime, exact=False)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_mask_made_from_the_expression_itself(runtime, data):
    # x[x > 0] is 1-D; x[x[:, 0] > 0] keeps the rows; x[:, x[0] > 0] the columns
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    a = _values(data, dtype, shape)
    declared = _declared(data, shape)
    x = Var("X", dtype, declared)
    cases = [(lambda v: v[v > 0] if v.dtype != np.bool_ else v[v]), (lambda v: v[~(v > 0)] if v.dtype != np.bool_ else v[~v])]
    if len(shape) == 2 and shape[1]:
        cases.append(lambda v: v[v[:, 0] > 0])
    if len(shape) == 2 and shape[0]:
        cases.append(lambda v: v[:, v[0] > 0])
    if len(shape) >= 1 and shape[-1]:
        cases += [lambda v: v[v[..., 0] > 0], lambda v: v[v[..., -1] > 0, ..., 0]]
    fn = data.draw(st.sampled_from(cases))
    expected = fn(a)
    expr = fn(x)
    _check(expr, {"X": a}, expected, runtime, exact=False)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    "key",
    [
        True,
        False,
        (True, slice(1, None)),
        (0, True),
        (0, False, 1),
        ([0, 1], True),
        (True, [1, 0]),
        (False, Ellipsis, 0),
        (slice(None), True, [0, 2]),
        ([0, 1], slice(None), True),
        (None, True, Ellipsis, None),
    ],
    ids=repr,
)
def test_zero_dim_masks_add_an_axis_like_numpy(runtime, key):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = Var("X", np.float32, [2, 3, 4])
    _check(x[key], {"X": a}, a[key], runtime)
    as_numpy = tuple(np.bool_(k) if isinstance(k, bool) else k for k in key) if isinstance(key, tuple) else np.bool_(key)
    _check(x[as_numpy], {"X": a}, a[key], runtime)
    # a boolean expression of rank 0
    m = Var("M", np.bool_, [])
    with_expr = tuple(m if isinstance(k, bool) else k for k in key) if isinstance(key, tuple) else m
    value = key if isinstance(key, bool) else next(k for k in key if isinstance(k, bool))
    _check(x[with_expr], {"X": a, "M": np.array(value)}, a[key], runtime, exact=False)


def test_mask_static_shapes():
    x = Var("X", np.float32, [None, 4, 5])
    assert x[x > 0].shape == (None,)
    assert x[x[:, 0, 0] > 0].shape == (None, 4, 5)
    assert x[:, x[0, :, 0] > 0].shape == (None, None, 5)
    assert x[x[:, :, 0] > 0].shape == (None, 5)
    m = np.array([True, False, True, True])
    assert x[:, m].shape == (None, 3, 5)  # a numpy mask is known now, and so is the result's size
    assert x[:, m, [0, 4, 1]].shape == (None, 3)
    assert x[np.ones((2, 4), bool)].shape == (8, 5)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("shape", [(2, 3, 0), (0, 3, 4), (2, 0, 3), (2, 3, 4, 0), (3, 2, 0, 2)], ids=str)
def test_masks_over_several_axes_with_zero_sized_dimensions(runtime, shape):
    # a 0 in a computed shape must not change what a mask over several axes selects
    a = np.zeros(shape, np.float32)
    m = np.ones(shape[1:3], bool)
    for declared in ([None] * len(shape), list(shape)):
        x = Var("X", np.float32, declared)
        _check(x[x.sum(axis=-1) == 0], {"X": a}, a[a.sum(axis=-1) == 0], runtime, exact=False)
        _check(x[:, Var("M", np.bool_, list(m.shape))], {"X": a, "M": m}, a[:, m], runtime, exact=False)


# -- the cases of the issue ------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_cases_of_the_issue(runtime):
    a = np.arange(20, dtype=np.float32).reshape(5, 4) - 7
    idx = np.array([3, 0, 3], np.int64)
    x = Var("X", np.float32, [None, 4])
    feeds = {"X": a}
    _check(x[:, 1:3], feeds, a[:, 1:3], runtime, exact=False)
    assert x[:, 1:3].shape == (None, 2)
    _check(x[..., -1], feeds, a[..., -1], runtime, exact=False)
    _check(x[:, idx], feeds, a[:, idx], runtime, exact=False)
    assert x[:, idx].shape == (None, 3)
    _check(x[:, Var("I", np.int64, [None])], {"X": a, "I": idx}, a[:, idx], runtime, exact=False)
    _check(x[:, 1:3][x[:, 0] > 0], feeds, a[:, 1:3][a[:, 0] > 0], runtime, exact=False)
    _check(x[x > 0], feeds, a[a > 0], runtime, exact=False)


# -- errors, as numpy raises them ----------------------------------------------------------------------


def _raises_like_numpy(shape, key, dtype=np.float32, declared=None):
    """The key raises the same exception class on a Var of ``shape`` (at build time) as on an array."""
    with pytest.raises(Exception) as from_numpy:
        np.zeros(shape, dtype)[key]
    with pytest.raises(from_numpy.type):
        Var("X", dtype, list(shape) if declared is None else declared)[key]
    return from_numpy


@pytest.mark.parametrize(
    "key",
    [
        3,
        -4,
        (0, 5),
        (slice(None), -6),
        [0, 3],
        np.array([[-4]]),
        (slice(None), [4, 5]),
        (Ellipsis, 5),
        (None, 3),
        ([0, 1], 5),
    ],
    ids=repr,
)
def test_out_of_bounds_constant_indices_are_index_errors_when_built(key):
    info = _raises_like_numpy((3, 5), key)
    assert info.type is IndexError


@pytest.mark.parametrize(
    "key",
    [
        np.ones(4, bool),
        np.ones((3, 4), bool),
        (slice(None), np.ones(3, bool)),
        [True, False],
        (np.ones(2, bool), [0, 1]),
        np.ones((3, 5, 1), bool),
    ],
    ids=lambda k: repr(np.asarray(k).shape) if not isinstance(k, tuple) else "tuple",
)
def test_wrong_mask_shapes_are_index_errors_when_built(key):
    assert _raises_like_numpy((3, 5), key).type is IndexError


def test_wrong_shapes_of_expressions_as_indices_are_index_errors_when_built():
    x = Var("X", np.float32, [3, 5])
    with pytest.raises(IndexError, match="boolean index did not match"):
        x[Var("M", np.bool_, [4])]
    with pytest.raises(IndexError, match="boolean index did not match"):
        x[:, Var("M", np.bool_, [3])]
    with pytest.raises(IndexError, match="could not be broadcast"):
        x[Var("I", np.int64, [2]), Var("J", np.int64, [3])]
    x[Var("M", np.bool_, [None])]  # unknown length: checked when the model runs


@pytest.mark.parametrize(
    "key",
    [
        ([0, 1], [0, 1, 2]),
        (np.zeros((2, 2), np.int64), np.zeros(3, np.int64)),
        (slice(None), [[0, 1]], [0, 1, 2]),
        ([0, 1, 2], np.ones(5, bool)),
    ],
    ids=repr,
)
def test_index_arrays_that_do_not_broadcast_are_index_errors(key):
    info = _raises_like_numpy((3, 5), key)
    assert info.type is IndexError


@pytest.mark.parametrize(
    "key",
    [1.0, "a", object(), {"a": 1}, [1.5], np.array([0.0, 1.0]), np.float32(1), (0, 2.5), ["a"], np.array(["x"])],
    ids=lambda k: type(k).__name__,
)
def test_invalid_index_types_are_index_errors(key):
    info = _raises_like_numpy((3, 5), key)
    assert info.type is IndexError


def test_float_expression_as_index_is_an_index_error():
    with pytest.raises(IndexError, match="integer"):
        Var("X", np.float32, [3])[Var("F", np.float32, [2])]


@pytest.mark.parametrize("key", [slice(0, 1.5), slice(0.5, None), slice(None, None, 1.0)], ids=repr)
def test_slices_of_non_integers_are_type_errors_like_numpy(key):
    assert _raises_like_numpy((3, 5), key).type is TypeError


def test_other_index_errors_like_numpy():
    assert _raises_like_numpy((3, 5), (0, 0, 0)).type is IndexError  # too many indices
    assert _raises_like_numpy((3, 5), (Ellipsis, 0, Ellipsis)).type is IndexError
    assert _raises_like_numpy((), 0).type is IndexError
    assert _raises_like_numpy((3, 5), slice(None, None, 0)).type is ValueError
    with pytest.raises(TypeError, match="OnnxSlice"):
        Var("X", np.float32, [3])[: Var("N", np.int64, [])]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_out_of_bounds_on_a_dimension_known_only_at_run_time_fails_the_run(runtime):
    a = np.zeros((2, 3), np.float32)
    x = Var("X", np.float32, [None, None])
    with pytest.raises(IndexError):
        a[5]
    with pytest.raises(Exception):  # noqa: B017 - the runtimes raise their own error classes
        x[5].eval({"X": a}, runtime=runtime)
    with pytest.raises(Exception):  # noqa: B017
        x[:, -4].eval({"X": a}, runtime=runtime)


@pytest.mark.parametrize(
    "target",
    [
        lambda: Var("X", np.float32, [3]),
        lambda: Var("X", np.float32, [3]) + 1,
        lambda: OnnxTopK(Var("X", np.float32, [None, 3]), np.array([1], np.int64)),
        lambda: OnnxTopK(Var("X", np.float32, [None, 3]), np.array([1], np.int64))[0],
    ],
    ids=["Var", "one output", "several outputs", "Output"],
)
def test_item_assignment_is_a_type_error_suggesting_where(target):
    expr = target()
    for key in (0, np.array([True, False, True]), Ellipsis, (slice(None), 0)):
        with pytest.raises(TypeError, match=r"np\.where"):
            expr[key] = 1.0


# -- brackets on operators with several outputs ----------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_brackets_select_an_output_only_on_nodes_with_several_outputs(runtime):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 3.0, 4.0]], np.float32)
    x = Var("X", np.float32, [None, 3])
    top = OnnxTopK(x, np.array([2], np.int64))
    values, indices = top  # iteration gives the outputs
    assert len(top) == 2
    assert isinstance(top[1], Output) and top[1].index == 1 and top[1].dtype == np.int64
    assert top[np.int64(1)].index == 1 and top[-1].index == 1 and values.index == 0 and indices.index == 1
    with pytest.raises(IndexError, match="2 output"):
        top[2]
    for key in [(slice(None), 0), slice(None), [0, 1], Ellipsis, True]:
        with pytest.raises(TypeError, match=r"node\[i\] selects output i.*node\[i\]\[\.\.\.\]"):
            top[key]
    expected = -np.sort(-a, axis=1)[:, :2]
    _check(top[0][:, 0], {"X": a}, expected[:, 0], runtime, exact=False)
    _check(top.at[:, 0], {"X": a}, expected[:, 0], runtime, exact=False)  # .at: output 0
    _check(top[1][:, ::-1], {"X": a}, np.argsort(-a, axis=1, kind="stable")[:, :2][:, ::-1], runtime, exact=False)
    # one output, Var and Output: brackets index values
    plus = OnnxAdd(x, x)
    _check(plus[0], {"X": a}, (a + a)[0], runtime, exact=False)
    _check(plus[:, 1:], {"X": a}, (a + a)[:, 1:], runtime, exact=False)
    _check(plus.at[-1], {"X": a}, (a + a)[-1], runtime, exact=False)
    _check(x[1], {"X": a}, a[1], runtime, exact=False)
    _check(values[..., -1], {"X": a}, expected[..., -1], runtime, exact=False)


def test_rows_of_one_output_nodes_and_vars_when_the_first_dimension_is_known():
    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    for expr in (Var("X", np.float32, [3, 2]), OnnxAdd(Var("X", np.float32, [3, 2]), np.float32(0))):
        rows = list(expr)
        assert len(expr) == 3 and len(rows) == 3
        for row, expected in zip(rows, a):
            np.testing.assert_array_equal(row.eval({"X": a}), expected)


# -- deep chains ----------------------------------------------------------------------------------------------


def test_deep_chains_of_indexing_stay_below_the_recursion_limit():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    y, expected = Var("X", np.float32, [None, 4]), a
    limit = sys.getrecursionlimit()
    steps = [
        lambda v: v[::-1],
        lambda v: v[:, [1, 0, 3, 2]],
        lambda v: v[v[:, 0] > -1e9],  # keeps every row
        lambda v: v[None][0],
        lambda v: v.at[..., ::1] if isinstance(v, Expr) else v[..., ::1],
    ]
    for k in range(2 * limit):
        step = steps[k % len(steps)]
        y, expected = step(y), step(expected)
    assert sys.getrecursionlimit() == limit
    assert y.dtype == np.float32 and y.shape == (None, 4)
    onnxalgebra.to_onnx(y, {"X": a})
    for runtime in RUNTIMES:
        np.testing.assert_array_equal(y.eval({"X": a}, runtime=runtime), expected)
