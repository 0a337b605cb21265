"""Selecting and ordering values: where, clip, take, sort, unique, isin, searchsorted, nan_to_num, round...

Sorting is stable (ties keep their order, like ``kind='stable'``): ONNX's
TopK returns equal values in index order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import OnnxNumpyError
from .._expr import Constant, Expr
from .._types import elem_type_of
from .common import (
    asexpr,
    dim_of,
    holds_expr,
    implements,
    int64,
    normalize_axis,
    optional,
    rank_of,
    refuse,
    select_values,
    shape_of,
    true_like,
    unify,
)
from .promotion import cast, op, operand, result_dtype, to_dtype

__all__ = [
    "where",
    "nonzero",
    "argwhere",
    "flatnonzero",
    "clip",
    "take",
    "take_along_axis",
    "compress",
    "select",
    "sort",
    "argsort",
    "unique",
    "isin",
    "searchsorted",
    "digitize",
    "nan_to_num",
    "round",
    "isclose",
    "allclose",
]


def _as_condition(value: Any, label: str) -> Expr:
    condition = asexpr(value, label)
    if condition.dtype is not None and condition.dtype != np.bool_:
        condition = op("Cast", condition, to=9)
    return condition


@implements(np.where)
def where(condition: Any, x: Any = np._NoValue, y: Any = np._NoValue) -> Any:
    """``np.where(c, x, y)`` (x and y promoted as numpy does), or ``np.where(c)``: the indices of True."""
    label = "numpy.where"
    if x is np._NoValue and y is np._NoValue:
        return nonzero(condition)
    if x is np._NoValue or y is np._NoValue:
        raise ValueError(f"{label}: either both or neither of x and y should be given")
    (xv, yv), _ = unify([x, y], label)
    return select_values(_as_condition(condition, label), xv, yv)


@implements(np.nonzero)
def nonzero(a: Any) -> tuple[Expr, ...]:
    """``np.nonzero``: one int64 index vector per axis."""
    label = "numpy.nonzero"
    x = asexpr(a, label)
    rank = rank_of(x, label)
    if rank == 0:
        raise ValueError(f"{label}: calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar).nonzero() instead.")
    found = _nonzero(x)
    return tuple(op("Gather", found, int64(i), axis=0) for i in range(rank))


def _nonzero(x: Expr) -> Expr:
    """ONNX NonZero of the truth values (onnxruntime has no float64 kernel; NaN is true, as in numpy)."""
    return op("NonZero", x if x.dtype == np.bool_ else op("Cast", x, to=9))


@implements(np.argwhere)
def argwhere(a: Any) -> Expr:
    """``np.argwhere``: [n_found, ndim] int64 (a 0-d input gives [n_found, 0], as numpy)."""
    label = "numpy.argwhere"
    x = asexpr(a, label)
    if rank_of(x, label) == 0:
        found = op("Transpose", _nonzero(op("Reshape", x, int64([1]))), perm=[1, 0])
        return op("Slice", found, int64([0]), int64([0]), int64([1]))
    return op("Transpose", _nonzero(x), perm=[1, 0])


@implements(np.flatnonzero)
def flatnonzero(a: Any) -> Expr:
    """``np.flatnonzero``."""
    x = asexpr(a, "numpy.flatnonzero")
    return op("Reshape", _nonzero(op("Reshape", x, int64([-1]))), int64([-1]))


def _is_scalar(value: Any) -> bool:
    if isinstance(value, Expr):
        return value.shape == ()
    return np.ndim(value) == 0


@implements(np.clip)
def clip(
    a: Any,
    a_min: Any = np._NoValue,
    a_max: Any = np._NoValue,
    out: Any = None,
    *,
    min: Any = np._NoValue,
    max: Any = np._NoValue,
    **kwargs: Any,
) -> Expr:
    """``np.clip``: ``minimum(maximum(a, a_min), a_max)``, with numpy's dtype promotion."""
    label = "numpy.clip"
    refuse(label, out=(out, None))
    if kwargs:
        raise OnnxNumpyError(f"{label}: unsupported keyword arguments {sorted(kwargs)}.")
    low = min if a_min is np._NoValue else a_min
    high = max if a_max is np._NoValue else a_max
    low = None if low is np._NoValue else low
    high = None if high is np._NoValue else high
    if low is None and high is None:
        raise ValueError(f"{label}: One of max or min must be given")
    values = [a] + [v for v in (low, high) if v is not None]
    unified, dtype = unify(values, label)
    x = unified[0]
    bounds = iter(unified[1:])
    lo = next(bounds) if low is not None else None
    hi = next(bounds) if high is not None else None
    if dtype is not None and dtype.kind == "b":  # max and min of booleans: or, and
        result = x if lo is None else op("Or", x, lo)
        return result if hi is None else op("And", result, hi)
    if all(v is None or _is_scalar(v) for v in (lo, hi)) and dtype is not None and dtype.kind in "iuf" and dtype.itemsize >= 4:
        return op("Clip", x, lo, hi)
    result = x if lo is None else op("Max", x, lo)
    return result if hi is None else op("Min", result, hi)


def _indices(indices: Any, label: str) -> Expr:
    if not isinstance(indices, Expr) and np.size(indices) == 0 and not holds_expr(indices):
        indices = np.asarray(indices).astype(np.int64)  # numpy takes an empty list (float64) as indices
    index = asexpr(indices, label)
    if index.dtype is not None and index.dtype.kind not in "iu":
        raise IndexError(f"{label}: indices must be integers, got {index.dtype}.")
    return cast(index, np.dtype(np.int64))


@implements(np.take)
def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Expr:
    """``np.take`` (``mode='wrap'`` and ``'clip'`` too; out-of-range indices with 'raise' fail when the model runs)."""
    label = "numpy.take"
    refuse(label, out=(out, None))
    x = asexpr(a, label)
    index = _indices(indices, label)
    if axis is None:
        x = op("Reshape", x, int64([-1]))
        axis = 0
    else:
        axis = normalize_axis(axis, rank_of(x, label), label)
    known = x.shape[axis] if x.shape is not None else None
    if known == 0 and mode in ("wrap", "clip") and (index.shape is None or None in index.shape or 0 not in index.shape):
        raise IndexError(f"{label}: cannot do a non-empty take from an empty axes.")
    if mode in ("wrap", "clip"):
        size = op("Squeeze", dim_of(x, axis), int64([0]))
        if mode == "wrap":
            index = op("Mod", index, size, fmod=0)
        else:
            index = op("Min", op("Max", index, Constant(int64(0))), op("Sub", size, Constant(int64(1))))
    elif mode != "raise":
        raise ValueError(f"{label}: clipmode must be one of 'clip', 'raise', or 'wrap', got {mode!r}")
    return op("Gather", x, index, axis=axis)


@implements(np.take_along_axis)
def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Expr:
    """``np.take_along_axis`` (``axis=None`` flattens first)."""
    label = "numpy.take_along_axis"
    x = asexpr(arr, label)
    index = _indices(indices, label)
    if axis is None:
        x = op("Reshape", x, int64([-1]))
        axis = 0
    rank = rank_of(x, label)
    axis = normalize_axis(axis, rank, label)
    if index.shape is not None and len(index.shape) != rank:
        raise ValueError(f"{label}: `indices` and `arr` must have the same number of dimensions")
    if x.shape is not None and index.shape is not None and None not in x.shape and None not in index.shape:
        common = list(np.broadcast_shapes(*(tuple(1 if i == axis else d for i, d in enumerate(v.shape)) for v in (x, index))))
        if list(index.shape) != [index.shape[axis] if i == axis else d for i, d in enumerate(common)]:
            index = op("Expand", index, int64([index.shape[axis] if i == axis else d for i, d in enumerate(common)]))
        if list(x.shape) != [x.shape[axis] if i == axis else d for i, d in enumerate(common)]:
            x = op("Expand", x, int64([x.shape[axis] if i == axis else d for i, d in enumerate(common)]))
    elif _needs_broadcast(x, index, axis):
        # numpy broadcasts the other axes against each other; GatherElements wants them equal. Where(all True
        # of the other's shape with one element along axis, v, v) broadcasts v and keeps the dimensions known now.
        def spread(value: Expr, other: Expr) -> Expr:
            flags = op("Cast", other if other.dtype == np.bool_ else op("Cast", other, to=9), to=6)
            along = op("ReduceSum", flags, int64([axis]), keepdims=1)  # one element along axis, even from none
            return select_values(true_like(along), value, value)

        x, index = spread(x, index), spread(index, x)
    return op("GatherElements", x, index, axis=axis)


def _needs_broadcast(x: Expr, index: Expr, axis: int) -> bool:
    """True when an axis but ``axis`` has size 1 on one side only (numpy broadcasts it), or a rank is unknown.

    Two dimensions known only when the model runs (a batch) are taken as
    equal: if they differ then, GatherElements fails there (numpy would fail
    too, unless one of them is 1), where broadcasting them would cost six
    nodes on every call.
    """
    if x.shape is None or index.shape is None:
        return True
    for i, (a, b) in enumerate(zip(x.shape, index.shape)):
        if i != axis and a != b and (a == 1 or b == 1 or (a is not None and b is not None)):
            return True
    return False


@implements(np.compress)
def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Expr:
    """``np.compress``."""
    label = "numpy.compress"
    refuse(label, out=(out, None))
    x = asexpr(a, label)
    mask = _as_condition(condition, label)
    if axis is None:
        return op("Compress", op("Reshape", x, int64([-1])), mask, axis=0)
    return op("Compress", x, mask, axis=normalize_axis(axis, rank_of(x, label), label))


@implements(np.extract)
def extract(condition: Any, arr: Any) -> Expr:
    """``np.extract``: the flattened values where the condition holds."""
    label = "numpy.extract"
    x = asexpr(arr, label)
    mask = _as_condition(condition, label)
    return op("Compress", op("Reshape", x, int64([-1])), op("Reshape", mask, int64([-1])), axis=0)


@implements(np.select)
def select(condlist: Any, choicelist: Any, default: Any = 0) -> Expr:
    """``np.select``: the first condition that holds picks its choice."""
    label = "numpy.select"
    if len(condlist) != len(choicelist):
        raise ValueError(f"{label}: list of cases must be same length as list of conditions")
    values, _ = unify([*choicelist, default], label)
    result = values[-1]
    for condition, choice in reversed(list(zip(condlist, values[:-1]))):
        result = select_values(_as_condition(condition, label), choice, result)
    return result


def _sorted_pair(a: Any, axis: Any, label: str, descending: bool = False) -> tuple[Expr, Expr]:
    x = asexpr(a, label)
    if axis is None:
        x = op("Reshape", x, int64([-1]))
        axis = 0
    axis = normalize_axis(axis, rank_of(x, label), label)
    dtype = x.dtype
    source = x
    if dtype is not None and (dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize < 4) or dtype == np.float16):
        source = op("Cast", x, to=elem_type_of(np.float32 if dtype == np.float16 else np.int32))
    values, indices = op("TopK", source, dim_of(x, axis), axis=axis, largest=int(descending), sorted=1)
    if dtype is not None and dtype.kind == "f":
        # numpy puts NaN last; TopK's order for NaN is not defined: sort NaN flags first, stably.
        nan = op("Cast", op("IsNaN", values), to=elem_type_of(np.int32))
        _, order = op("TopK", nan, dim_of(x, axis), axis=axis, largest=0, sorted=1)
        # 1-D: Gather (onnx.reference's GatherElements takes at most 64 values along the axis)
        gather = "Gather" if rank_of(x, label) == 1 else "GatherElements"
        indices = op(gather, indices, order, axis=axis)
        values = op(gather, values, order, axis=axis)
    return cast(values, dtype) if dtype is not None else values, indices


def _check_sort_kind(label: str, kind: Any, order: Any) -> None:
    if order is not None:
        raise OnnxNumpyError(f"{label}: order= applies to structured arrays, which ONNX tensors are not.")
    if kind not in (None, "quicksort", "mergesort", "heapsort", "stable"):
        raise ValueError(f"{label}: sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})")


@implements(np.sort)
def sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Expr:
    """``np.sort`` (NaN last, as numpy)."""
    _check_sort_kind("numpy.sort", kind, order)
    return _sorted_pair(a, axis, "numpy.sort")[0]


@implements(np.argsort)
def argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Expr:
    """``np.argsort``: int64 indices of a stable sort (ties in index order, NaN last)."""
    _check_sort_kind("numpy.argsort", kind, order)
    return _sorted_pair(a, axis, "numpy.argsort")[1]


# numpy >= 2.0 returns the inverse in the input's shape (axis=None); older numpy flattened it.
_INVERSE_KEEPS_SHAPE = np.unique(np.zeros((1, 1)), return_inverse=True)[1].ndim == 2


def _unique_parts(x: Expr, label: str, equal_nan: bool = True) -> tuple[Expr, Expr, Expr, Expr]:
    """Sorted unique values of the flattened ``x``, first indices, inverse (flat), counts.

    From a stable sort rather than ONNX Unique, whose onnxruntime kernel
    mishandles NaN: a value starts a group when it differs from the one
    before it (NaN differ from each other unless ``equal_nan``).
    """
    flat = op("Reshape", x, int64([-1]))
    ordered, order = _sorted_pair(flat, 0, label)
    n = dim_of(flat, 0)
    big = np.iinfo(np.int64).max
    later = op("Slice", ordered, int64([1]), int64([big]), int64([0]))
    earlier = op("Slice", ordered, int64([0]), int64([-1]), int64([0]))
    differ = op("Not", op("Equal", later, earlier))
    if equal_nan and x.dtype is not None and x.dtype.kind == "f":
        differ = op("And", differ, op("Not", op("And", op("IsNaN", later), op("IsNaN", earlier))))
    first_flag = op("Slice", Constant(np.array([True])), int64([0]), n, int64([0]))  # [True], or [] when empty
    starts_group = op("Concat", first_flag, differ, axis=0)
    values = op("Compress", ordered, starts_group, axis=0)
    first = op("Compress", order, starts_group, axis=0)
    group = op("Sub", op("CumSum", op("Cast", starts_group, to=7), int64(0)), Constant(int64(1)))
    inverse = op("ScatterElements", op("Expand", Constant(int64(0)), n), order, group, axis=0)
    positions = op("Range", Constant(int64(0)), op("Squeeze", n, int64([0])), Constant(int64(1)))
    starts = op("Compress", positions, starts_group, axis=0)
    counts = op("Sub", op("Concat", op("Slice", starts, int64([1]), int64([big]), int64([0])), n, axis=0), starts)
    return values, first, inverse, counts


@implements(np.unique)
def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Any = None,
    *,
    equal_nan: bool = True,
    sorted: bool = True,
) -> Any:
    """``np.unique`` of the flattened values (sorted), with the index, inverse and counts as asked."""
    label = "numpy.unique"
    if axis is not None:
        raise OnnxNumpyError(f"{label}: axis={axis!r} is not supported; only the flattened values (axis=None).")
    x = asexpr(ar, label)
    values, first, inverse, counts = _unique_parts(x, label, bool(equal_nan))
    result: list[Expr] = [values]
    if return_index:
        result.append(first)
    if return_inverse:
        result.append(_inverse_shaped(inverse, x) if _INVERSE_KEEPS_SHAPE else inverse)
    if return_counts:
        result.append(counts)
    return result[0] if len(result) == 1 else tuple(result)


def _inverse_shaped(inverse: Expr, x: Expr) -> Expr:
    """The inverse indices in the shape of ``x`` (numpy >= 2)."""
    return op("Reshape", inverse, shape_of(x), allowzero=1)


@implements(optional("unique_values"))
def unique_values(x: Any) -> Expr:
    """``np.unique_values`` (each NaN its own value, as the array API asks)."""
    return unique(x, equal_nan=False)


@implements(optional("unique_counts"))
def unique_counts(x: Any) -> tuple[Expr, Expr]:
    """``np.unique_counts``: (values, counts), each NaN its own value."""
    return unique(x, return_counts=True, equal_nan=False)


@implements(optional("unique_inverse"))
def unique_inverse(x: Any) -> tuple[Expr, Expr]:
    """``np.unique_inverse``: (values, inverse in the input's shape)."""
    value = asexpr(x, "numpy.unique_inverse")
    values, _, inverse, _ = _unique_parts(value, "numpy.unique_inverse", equal_nan=False)
    return values, _inverse_shaped(inverse, value)


@implements(optional("unique_all"))
def unique_all(x: Any) -> tuple[Expr, Expr, Expr, Expr]:
    """``np.unique_all``: (values, first indices, inverse in the input's shape, counts)."""
    value = asexpr(x, "numpy.unique_all")
    values, first, inverse, counts = _unique_parts(value, "numpy.unique_all", equal_nan=False)
    return values, first, _inverse_shaped(inverse, value), counts


@implements(np.isin)
def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False, *, kind: Any = None) -> Expr:
    """``np.isin``: ``element``'s shape, True where the value is among ``test_elements``."""
    label = "numpy.isin"
    (values, tests), _ = unify([element, test_elements], label)
    flat_tests = op("Reshape", tests, int64([-1]))
    rank = rank_of(values, label)
    matches = op("Equal", op("Unsqueeze", values, int64([rank])), flat_tests)
    found = op("Cast", op("ReduceMax", op("Cast", matches, to=2), int64([-1]), keepdims=0), to=9)
    return op("Not", found) if invert else found


@implements(np.searchsorted)
def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Expr:
    """``np.searchsorted`` into a sorted 1-D ``a``: int64 insertion points."""
    label = "numpy.searchsorted"
    if sorter is not None:
        raise OnnxNumpyError(f"{label}: sorter= is not supported; sort `a` first.")
    if side not in ("left", "right"):
        raise ValueError(f"{label}: side must be 'left' or 'right' (got {side!r})")
    (sorted_values, values), _ = unify([a, v], label)
    rank = rank_of(values, label)
    compare = "Less" if side == "left" else "LessOrEqual"
    below = op(compare, sorted_values, op("Unsqueeze", values, int64([rank])))
    return op("ReduceSum", op("Cast", below, to=7), int64([-1]), keepdims=0)


@implements(np.digitize)
def digitize(x: Any, bins: Any, right: bool = False) -> Expr:
    """``np.digitize`` for increasing ``bins``."""
    edges = np.asarray(bins) if not isinstance(bins, Expr) else bins
    if isinstance(edges, np.ndarray) and edges.size > 1 and not (np.diff(edges) >= 0).all():
        if (np.diff(edges) <= 0).all():
            count = edges.size
            ahead = searchsorted(edges[::-1], x, side="left" if right else "right")
            return op("Sub", Constant(int64(count)), ahead)
        raise ValueError("numpy.digitize: bins must be monotonically increasing or decreasing")
    return searchsorted(edges, x, side="left" if right else "right")


@implements(np.nan_to_num)
def nan_to_num(x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None, neginf: Any = None) -> Expr:
    """``np.nan_to_num``: NaN and infinities replaced (by the dtype's extremes by default)."""
    label = "numpy.nan_to_num"
    value = asexpr(x, label)
    dtype = value.dtype
    if dtype is None:
        raise OnnxNumpyError(f"{label}: the dtype of {value!r} is unknown; give the input a dtype.")
    if dtype.kind != "f":
        return value
    info = np.finfo(dtype)
    big = Constant(np.asarray(info.max if posinf is None else posinf, dtype))
    small = Constant(np.asarray(info.min if neginf is None else neginf, dtype))
    zero = Constant(np.zeros((), dtype))
    result = op("Where", op("IsNaN", value), Constant(np.asarray(nan, dtype)), value)
    infinite = op("IsInf", value)
    return op("Where", infinite, op("Where", op("Greater", value, zero), big, small), result)


@implements(np.round, optional("around"), optional("round_"))
def round(a: Any, decimals: int = 0, out: Any = None) -> Expr:
    """``np.round``: half to even, with ``decimals`` as numpy computes it (scale, round, unscale)."""
    label = "numpy.round"
    refuse(label, out=(out, None))
    x = asexpr(a, label)
    dtype = x.dtype
    if dtype is None:
        raise OnnxNumpyError(f"{label}: the dtype of {x!r} is unknown; give the input a dtype.")
    decimals = int(decimals)
    if dtype.kind == "b":  # numpy rounds booleans in float16, and cannot scale them
        if decimals:
            raise TypeError(f"{label}: cannot round booleans to {decimals} decimals (numpy's same_kind casting rule).")
        return cast(x, np.dtype(np.float16))
    if dtype.kind in "iu":
        if decimals >= 0:
            return x
        scale = Constant(np.asarray(10 ** (-decimals), np.float64))
        rounded = op("Mul", op("Round", op("Div", cast(x, np.dtype(np.float64)), scale)), scale)
        return cast(rounded, dtype)
    compute = np.dtype(np.float32) if dtype == np.float16 else dtype
    xf = cast(x, compute)
    if decimals == 0:
        return cast(op("Round", xf), dtype)
    if decimals > 0:
        scale = Constant(np.asarray(10.0**decimals, compute))
        return cast(op("Div", op("Round", op("Mul", xf, scale)), scale), dtype)
    scale = Constant(np.asarray(10.0 ** (-decimals), compute))
    return cast(op("Mul", op("Round", op("Div", xf, scale)), scale), dtype)


@implements(np.isclose)
def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Expr:
    """``np.isclose``: ``|a - b| <= atol + rtol * |b|`` (infinities equal when equal)."""
    label = "numpy.isclose"
    items = [operand(a, label), operand(b, label)]
    dtype = result_dtype(items)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    x, y = (to_dtype(i, dtype, label) for i in items)
    tolerance = op("Add", Constant(np.asarray(atol, dtype)), op("Mul", Constant(np.asarray(rtol, dtype)), op("Abs", y)))
    close = op("LessOrEqual", op("Abs", op("Sub", x, y)), tolerance)
    close = op("And", close, op("Not", op("IsInf", y)))  # an infinity is close only to itself
    close = op("Or", close, op("Equal", x, y))
    if equal_nan:
        close = op("Or", close, op("And", op("IsNaN", x), op("IsNaN", y)))
    return close


@implements(np.allclose)
def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Expr:
    """``np.allclose``: a 0-d bool expression."""
    close = isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return op("Cast", op("ReduceMin", op("Cast", close, to=2), keepdims=0), to=9)


__all__ += ["unique_values", "unique_counts", "unique_inverse", "unique_all", "extract"]
