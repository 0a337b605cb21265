"""Shapes and joins: reshape, transpose, squeeze, concatenate, stack, split, pad, tile, flip...

Each follows numpy's signature and semantics (``reshape`` with a 0 makes an
empty dimension, ``concatenate`` promotes dtypes as numpy does, ``pad``
normalises ``pad_width`` the numpy way).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import OnnxNumpyError, OnnxShapeError
from .._expr import Constant, Expr
from .._types import elem_type_of
from .common import (
    asexpr,
    dim_of,
    implements,
    int64,
    normalize_axes,
    normalize_axis,
    optional,
    rank_of,
    refuse,
    select_values,
    shape_of,
    true_like,
    unify,
)
from .promotion import op

__all__ = [
    "reshape",
    "ravel",
    "transpose",
    "swapaxes",
    "moveaxis",
    "expand_dims",
    "squeeze",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "split",
    "array_split",
    "tile",
    "repeat",
    "flip",
    "roll",
    "pad",
    "broadcast_to",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "diff",
    "zeros_like",
    "ones_like",
    "full_like",
    "stack_nested",
]


def _shape_arg(shape: Any) -> list[int]:
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    values = list(shape)
    for v in values:
        if v is None:
            raise OnnxNumpyError(
                "numpy.reshape: a dimension is None (unknown until the model runs); use -1 for the one "
                "dimension numpy infers, e.g. x.reshape(-1, 4)."
            )
        if not isinstance(v, (int, np.integer)):
            raise OnnxNumpyError(f"numpy.reshape: dimensions must be ints, got {type(v).__name__} {v!r}.")
    return [int(v) for v in values]


@implements(np.reshape)
def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None) -> Expr:
    """``np.reshape`` with numpy's meaning of 0 (an empty dimension) and -1 (inferred)."""
    label = "numpy.reshape"
    refuse(label, order=(order, "C"))
    if shape is None:
        shape = newshape
    if shape is None:
        raise OnnxNumpyError(f"{label}: missing the new shape.")
    dims = _shape_arg(shape)
    x = asexpr(a, label)
    if dims.count(-1) > 1:
        raise OnnxShapeError(f"{label}: can only specify one unknown dimension, got {tuple(dims)}.")
    known = x.shape
    if known is not None and all(isinstance(d, int) for d in known):
        size = math.prod(known)
        wanted = math.prod([d for d in dims if d != -1])
        if (-1 not in dims and wanted != size) or (-1 in dims and (wanted == 0 or size % wanted)):
            raise OnnxShapeError(f"{label}: cannot reshape an expression of shape {tuple(known)} into shape {tuple(dims)}.")
    if 0 in dims:
        return op("Reshape", x, int64(dims), allowzero=1)
    return op("Reshape", x, int64(dims))


@implements(np.ravel)
def ravel(a: Any, order: str = "C") -> Expr:
    """``np.ravel``: a 1-D view, in C order."""
    refuse("numpy.ravel", order=(order, "C"))
    return op("Reshape", asexpr(a, "numpy.ravel"), int64([-1]))


@implements(np.transpose, optional("permute_dims"))
def transpose(a: Any, axes: Any = None) -> Expr:
    """``np.transpose``: reversed axes, or the permutation ``axes``."""
    label = "numpy.transpose"
    x = asexpr(a, label)
    if axes is None:
        return op("Transpose", x)
    rank = rank_of(x, label)
    perm = [normalize_axis(v, rank, label) for v in axes]
    if sorted(perm) != list(range(rank)):
        raise OnnxShapeError(f"{label}: axes {tuple(axes)} don't match an expression of dimension {rank}.")
    return op("Transpose", x, perm=perm)


@implements(optional("matrix_transpose"), optional("linalg.matrix_transpose"))
def matrix_transpose(x: Any) -> Expr:
    """``np.matrix_transpose``: the last two axes swapped."""
    return swapaxes(x, -1, -2)


@implements(np.swapaxes)
def swapaxes(a: Any, axis1: int, axis2: int) -> Expr:
    """``np.swapaxes``."""
    label = "numpy.swapaxes"
    x = asexpr(a, label)
    rank = rank_of(x, label)
    perm = list(range(rank))
    i, j = normalize_axis(axis1, rank, label), normalize_axis(axis2, rank, label)
    perm[i], perm[j] = perm[j], perm[i]
    return op("Transpose", x, perm=perm)


@implements(np.moveaxis)
def moveaxis(a: Any, source: Any, destination: Any) -> Expr:
    """``np.moveaxis``."""
    label = "numpy.moveaxis"
    x = asexpr(a, label)
    rank = rank_of(x, label)
    src = [normalize_axis(s, rank, label) for s in ([source] if isinstance(source, (int, np.integer)) else source)]
    dst = [normalize_axis(d, rank, label) for d in ([destination] if isinstance(destination, (int, np.integer)) else destination)]
    if len(src) != len(dst):
        raise OnnxShapeError(f"{label}: `source` and `destination` arguments must have the same number of elements")
    order = [n for n in range(rank) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return op("Transpose", x, perm=order)


@implements(np.expand_dims)
def expand_dims(a: Any, axis: Any) -> Expr:
    """``np.expand_dims``: axes counted in the result, as numpy does."""
    label = "numpy.expand_dims"
    x = asexpr(a, label)
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out_rank = rank_of(x, label) + len(axes) if x.shape is not None or any(int(v) < 0 for v in axes) else None
    if out_rank is not None:
        axes = normalize_axes(axes, out_rank, label)
    return op("Unsqueeze", x, int64(axes))


@implements(np.squeeze)
def squeeze(a: Any, axis: Any = None) -> Expr:
    """``np.squeeze``: every axis of size 1, or ``axis`` (which must have size 1)."""
    label = "numpy.squeeze"
    x = asexpr(a, label)
    if axis is None:
        shape = x.shape
        if shape is not None and all(d is not None for d in shape):
            ones = [i for i, d in enumerate(shape) if d == 1]
            return op("Squeeze", x, int64(ones)) if ones else op("Identity", x)
        return op("Squeeze", x)
    rank = rank_of(x, label)
    axes = normalize_axes(axis, rank, label)
    shape = x.shape
    for i in axes:
        if shape[i] is not None and shape[i] != 1:
            raise OnnxShapeError(f"{label}: cannot select an axis to squeeze out which has size not equal to one (axis {i}).")
    return op("Squeeze", x, int64(axes)) if axes else op("Identity", x)


def _sequence(arrays: Any, label: str) -> list[Any]:
    if isinstance(arrays, Expr) or not isinstance(arrays, (list, tuple)):
        raise OnnxNumpyError(f"{label}: give a list or tuple of arrays, got {type(arrays).__name__}.")
    if not arrays:
        raise OnnxShapeError(f"{label}: need at least one array to concatenate")
    # numpy makes arrays of the items: a Python number is one of numpy's default dtypes, not a weak scalar
    return [np.asarray(a) if type(a) in (int, float, bool) else a for a in arrays]


@implements(np.concatenate, optional("concat"))
def concatenate(arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind") -> Expr:
    """``np.concatenate`` (dtypes promoted as numpy does; ``axis=None`` flattens first)."""
    label = "numpy.concatenate"
    refuse(label, out=(out, None), casting=(casting, "same_kind"))
    values, _ = unify(_sequence(arrays, label), label, dtype)
    if axis is None:
        values = [op("Reshape", v, int64([-1])) for v in values]
        axis = 0
    ranks = {len(v.shape) for v in values if v.shape is not None}
    if len(ranks) > 1:
        raise OnnxShapeError(f"{label}: all the input arrays must have the same number of dimensions, got {sorted(ranks)}.")
    if ranks:
        (rank,) = ranks
        if rank == 0:
            raise OnnxShapeError(f"{label}: zero-dimensional arrays cannot be concatenated")
        axis = normalize_axis(axis, rank, label)
        _same_dims([v.shape for v in values if v.shape is not None], axis, label)
    return op("Concat", *values, axis=int(axis))


def _same_dims(shapes: list[tuple[int | None, ...]], axis: int, label: str) -> None:
    """numpy's ValueError when the inputs differ, now, in a dimension other than ``axis``."""
    for i in range(len(shapes[0]) if shapes else 0):
        known = {shape[i] for shape in shapes if shape[i] is not None}
        if i != axis and len(known) > 1:
            raise OnnxShapeError(
                f"{label}: all the input array dimensions except for the concatenation axis must match exactly, "
                f"but along dimension {i} the sizes are {sorted(known)}."
            )


@implements(np.stack)
def stack(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind") -> Expr:
    """``np.stack``: a new axis, then concatenate."""
    label = "numpy.stack"
    refuse(label, out=(out, None), casting=(casting, "same_kind"))
    values, _ = unify(_sequence(arrays, label), label, dtype)
    ranks = {len(v.shape) for v in values if v.shape is not None}
    if len(ranks) > 1:
        raise OnnxShapeError(f"{label}: all input arrays must have the same shape")
    if ranks:
        axis = normalize_axis(axis, ranks.pop() + 1, label)
        _same_dims([v.shape for v in values if v.shape is not None], -1, label)
    expanded = [op("Unsqueeze", v, int64([axis])) for v in values]
    return op("Concat", *expanded, axis=int(axis))


def _atleast(x: Expr, n: int, label: str) -> Expr:
    rank = rank_of(x, label)
    if rank >= n:
        return x
    if n == 1:
        return op("Reshape", x, int64([1]))
    if n == 2:
        return op("Unsqueeze", x, int64([0] if rank == 1 else [0, 1]))
    # atleast_3d: (N,) -> (1, N, 1); (M, N) -> (M, N, 1); () -> (1, 1, 1)
    axes = {0: [0, 1, 2], 1: [0, 2], 2: [2]}[rank]
    return op("Unsqueeze", x, int64(axes))


def _atleast_all(n: int, arys: tuple[Any, ...]) -> Any:
    label = f"numpy.atleast_{n}d"
    results = [_atleast(asexpr(a, label), n, label) for a in arys]
    return results[0] if len(results) == 1 else tuple(results)


@implements(np.atleast_1d)
def atleast_1d(*arys: Any) -> Any:
    """``np.atleast_1d``."""
    return _atleast_all(1, arys)


@implements(np.atleast_2d)
def atleast_2d(*arys: Any) -> Any:
    """``np.atleast_2d``."""
    return _atleast_all(2, arys)


@implements(np.atleast_3d)
def atleast_3d(*arys: Any) -> Any:
    """``np.atleast_3d``."""
    return _atleast_all(3, arys)


@implements(np.hstack)
def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Expr:
    """``np.hstack``: along axis 1, or 0 for 1-D inputs."""
    label = "numpy.hstack"
    values, _ = unify(_sequence(tup, label), label, dtype)
    values = [_atleast(v, 1, label) for v in values]
    axis = 0 if len(values[0].shape) == 1 else 1
    return concatenate(values, axis=axis, casting=casting)


@implements(np.vstack, optional("row_stack"))
def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Expr:
    """``np.vstack``: along axis 0 of the inputs made at least 2-D."""
    label = "numpy.vstack"
    values, _ = unify(_sequence(tup, label), label, dtype)
    return concatenate([_atleast(v, 2, label) for v in values], axis=0, casting=casting)


@implements(np.dstack)
def dstack(tup: Any) -> Expr:
    """``np.dstack``: along axis 2 of the inputs made at least 3-D."""
    label = "numpy.dstack"
    values, _ = unify(_sequence(tup, label), label)
    return concatenate([_atleast(v, 3, label) for v in values], axis=2)


@implements(np.column_stack)
def column_stack(tup: Any) -> Expr:
    """``np.column_stack``: 1-D inputs become columns."""
    label = "numpy.column_stack"
    values, _ = unify(_sequence(tup, label), label)
    columns = [_column(v, label) for v in values]
    return concatenate(columns, axis=1)


def _column(x: Expr, label: str) -> Expr:
    rank = rank_of(x, label)
    if rank == 0:
        return op("Reshape", x, int64([1, 1]))
    return op("Unsqueeze", x, int64([1])) if rank == 1 else x


def _split_points(x: Expr, sections: Any, axis: int, label: str, even: bool) -> list[Expr]:
    if isinstance(sections, (int, np.integer)):
        n = int(sections)
        if n <= 0:
            raise OnnxShapeError(f"{label}: number sections must be larger than 0.")
        size = x.shape[axis] if x.shape is not None else None
        if size is None:
            return _split_dynamic(x, n, axis, even)
        if even and size % n:
            raise OnnxShapeError(f"{label}: array split does not result in an equal division")
        base, extra = divmod(size, n)
        sizes = [base + 1] * extra + [base] * (n - extra)
        if n > 1:  # one Split node, its sizes an input: the same at every opset from 13 on
            return list(op("Split", x, int64(sizes), axis=axis, n_outputs=n))
        bounds = np.cumsum([0, *sizes]).tolist()
    else:
        points = [int(p) for p in sections]
        bounds = [0, *points, np.iinfo(np.int64).max]
    parts = []
    for start, end in itertools.pairwise(bounds):
        parts.append(op("Slice", x, int64([start]), int64([end]), int64([axis])))
    return parts


def _split_dynamic(x: Expr, n: int, axis: int, even: bool) -> list[Expr]:
    """Sections of an axis whose size is known only at run time (numpy's sizes; uneven equal splits fail then)."""
    if n == 1:
        return [op("Identity", x)]
    size = dim_of(x, axis)
    count = Constant(int64([n]))
    base = op("Expand", op("Div", size, count), count)
    if even:
        sizes = base
    else:
        extra = op("Less", Constant(np.arange(n, dtype=np.int64)), op("Mod", size, count, fmod=0))
        sizes = op("Add", base, op("Cast", extra, to=7))
    return list(op("Split", x, sizes, axis=axis, n_outputs=n))


@implements(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Expr]:
    """``np.split``: equal sections or split points; a list of expressions."""
    label = "numpy.split"
    x = asexpr(ary, label)
    axis = normalize_axis(axis, rank_of(x, label), label)
    return _split_points(x, indices_or_sections, axis, label, even=True)


@implements(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Expr]:
    """``np.array_split``: sections that may differ by one."""
    label = "numpy.array_split"
    x = asexpr(ary, label)
    axis = normalize_axis(axis, rank_of(x, label), label)
    return _split_points(x, indices_or_sections, axis, label, even=False)


@implements(np.tile)
def tile(A: Any, reps: Any) -> Expr:
    """``np.tile`` (more repetitions than axes add leading axes, as numpy does)."""
    label = "numpy.tile"
    x = asexpr(A, label)
    reps = [int(reps)] if isinstance(reps, (int, np.integer)) else [int(r) for r in reps]
    if any(r < 0 for r in reps):
        raise OnnxShapeError(f"{label}: negative dimensions are not allowed, got reps {tuple(reps)}.")
    rank = rank_of(x, label)
    if len(reps) > rank:
        x = op("Unsqueeze", x, int64(list(range(len(reps) - rank))))
    reps = [1] * (max(rank, len(reps)) - len(reps)) + reps
    if not reps:
        return op("Identity", x)
    return op("Tile", x, int64(reps))


@implements(np.repeat)
def repeat(a: Any, repeats: Any, axis: Any = None) -> Expr:
    """``np.repeat``: one count for every element, or one count per element along ``axis`` (known now)."""
    label = "numpy.repeat"
    x = asexpr(a, label)
    if isinstance(repeats, Expr):
        raise OnnxNumpyError(f"{label}: repeats must be known now (ints), not an expression.")
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iub" or counts.ndim > 1:
        raise OnnxNumpyError(f"{label}: repeats must be an int or a 1-D sequence of ints, got {repeats!r}.")
    if (counts < 0).any():
        raise OnnxShapeError(f"{label}: negative dimensions are not allowed")
    if axis is None:
        x = op("Reshape", x, int64([-1]))
        axis = 0
    rank = rank_of(x, label)
    axis = normalize_axis(axis, rank, label)
    size = x.shape[axis] if x.shape is not None else None
    if counts.size == 1 and size is None:
        # one count, an axis known only at run time: output position i takes element i // count
        count = int(counts.reshape(-1)[0])
        n = op("Squeeze", dim_of(x, axis), int64([0]))
        total = op("Mul", n, Constant(int64(count)))
        positions = op("Range", Constant(int64(0)), total, Constant(int64(1)))
        return op("Gather", x, op("Div", positions, Constant(int64(max(count, 1)))), axis=axis)
    if counts.size != 1 and size is not None and counts.size != size:
        raise OnnxShapeError(f"{label}: operands could not be broadcast together with shape ({size},) and ({counts.size},)")
    if counts.size == 1:
        counts = np.full(size, int(counts.reshape(-1)[0]))
    return op("Gather", x, int64(np.repeat(np.arange(counts.size), counts.reshape(-1))), axis=axis)


@implements(np.flip)
def flip(m: Any, axis: Any = None) -> Expr:
    """``np.flip``: reversed along ``axis`` (every axis when None)."""
    label = "numpy.flip"
    x = asexpr(m, label)
    rank = rank_of(x, label)
    axes = list(range(rank)) if axis is None else normalize_axes(axis, rank, label)
    if not axes:
        return op("Identity", x)
    n = len(axes)
    big = np.iinfo(np.int64)
    return op("Slice", x, int64([-1] * n), int64([big.min] * n), int64(axes), int64([-1] * n))


@implements(np.fliplr)
def fliplr(m: Any) -> Expr:
    """``np.fliplr``."""
    return flip(m, 1)


@implements(np.flipud)
def flipud(m: Any) -> Expr:
    """``np.flipud``."""
    return flip(m, 0)


@implements(np.roll)
def roll(a: Any, shift: Any, axis: Any = None) -> Expr:
    """``np.roll`` by constant shifts (several shifts of one axis add up, as in numpy)."""
    label = "numpy.roll"
    x = asexpr(a, label)
    if axis is None:
        shape = x.shape
        flat = roll(op("Reshape", x, int64([-1])), shift, 0)
        if shape is not None and len(shape) == 1:
            return flat
        return op("Reshape", flat, shape_of(x), allowzero=1)
    rank = rank_of(x, label)
    shifts = np.atleast_1d(np.asarray(shift)).tolist()
    axes = np.atleast_1d(np.asarray(axis)).tolist()
    try:
        pairs = np.broadcast(np.asarray(shifts), np.asarray(axes))
    except ValueError:
        raise OnnxShapeError(f"{label}: 'shift' and 'axis' should be scalars or 1D sequences of the same length") from None
    total: dict[int, int] = {}
    for s, ax in pairs:
        ax = normalize_axis(int(ax), rank, label)
        total[ax] = total.get(ax, 0) + int(s)
    for ax, s in total.items():
        size = x.shape[ax] if x.shape is not None else None
        if size is not None:
            k = (-s) % size if size else 0
            if k == 0:
                continue
            start: Expr = Constant(int64([k]))
        else:  # the start of the rolled sequence, when the size is known at run time (0 included)
            start = op("Mod", Constant(int64([-s])), op("Max", dim_of(x, ax), Constant(int64([1]))), fmod=0)
        head = op("Slice", x, start, int64([np.iinfo(np.int64).max]), int64([ax]))
        tail = op("Slice", x, int64([0]), start, int64([ax]))
        x = op("Concat", head, tail, axis=ax)
    return x


def _pad_pairs(pad_width: Any, rank: int, label: str) -> np.ndarray:
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise OnnxNumpyError(f"{label}: `pad_width` must be of integral type.")
    try:
        pairs = np.broadcast_to(widths, (rank, 2))
    except ValueError:
        raise OnnxShapeError(f"{label}: pad_width {pad_width!r} does not fit an expression of dimension {rank}.") from None
    if (pairs < 0).any():
        raise OnnxShapeError(f"{label}: index can't contain negative values")
    return pairs.astype(np.int64)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Expr:
    """``np.pad`` in modes ``constant`` (``constant_values``), ``edge``, ``reflect``, ``symmetric`` and ``wrap``.

    Along an axis whose length is known now, the padded values are gathered
    from the positions numpy's own ``np.pad`` of ``arange(n)`` gives (any
    width, repeated reflections included); along an axis known only at run
    time, ONNX Pad computes them (``symmetric`` needs the length now).
    """
    label = "numpy.pad"
    x = asexpr(array, label)
    rank = rank_of(x, label)
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise OnnxNumpyError(f"{label}: mode={mode!r} has no ONNX translation; use one of {list(_PAD_MODES)}.")
    value = kwargs.pop("constant_values", 0) if mode == "constant" else 0
    reflect_type = kwargs.pop("reflect_type", "even") if mode in ("reflect", "symmetric") else "even"
    if reflect_type != "even":
        raise OnnxNumpyError(f"{label}: only reflect_type='even' is supported.")
    if kwargs:
        raise OnnxShapeError(f"{label}: unsupported keyword arguments for mode {mode!r}: {sorted(kwargs)}")
    pairs = _pad_pairs(pad_width, rank, label)
    if mode == "constant":
        return _pad_constant(x, pairs, value, label)
    for axis, (before, after) in enumerate(pairs.tolist()):
        if before == 0 and after == 0:
            continue
        size = x.shape[axis] if x.shape is not None else None
        if size == 0:
            raise OnnxShapeError(f"{label}: can't extend empty axis {axis} using modes other than 'constant' or 'empty'")
        if size is not None:
            positions = np.pad(np.arange(size), (before, after), mode=mode)
            x = op("Gather", x, int64(positions), axis=axis)
            continue
        if mode == "symmetric":
            raise OnnxNumpyError(f"{label}: mode='symmetric' needs the length of axis {axis} now; it is known only at run time.")
        pads = np.zeros(2 * rank, np.int64)
        pads[axis], pads[rank + axis] = before, after
        x = op("Pad", x, int64(pads), mode=mode)
    return x


def _pad_constant(x: Expr, pairs: np.ndarray, value: Any, label: str) -> Expr:
    rank = len(pairs)
    values = np.asarray(value)
    if values.dtype.kind not in "biuf":
        raise OnnxNumpyError(f"{label}: constant_values must be numbers, got {value!r}.")
    if not pairs.any():
        return x
    if values.size == 1:
        fill = _fill_value(values.reshape(()), x, label)
        return op("Pad", x, int64(np.concatenate([pairs[:, 0], pairs[:, 1]])), fill)
    try:
        sides = np.broadcast_to(values, (rank, 2))
    except ValueError:
        raise OnnxShapeError(f"{label}: constant_values {value!r} does not fit an expression of dimension {rank}.") from None
    for axis in range(rank):  # axis by axis, as numpy: later axes fill the corners
        for side in (0, 1):
            if pairs[axis, side]:
                pads = np.zeros(2 * rank, np.int64)
                pads[side * rank + axis] = pairs[axis, side]
                x = op("Pad", x, int64(pads), _fill_value(sides[axis, side], x, label))
    return x


def _fill_value(value: np.ndarray, x: Expr, label: str) -> Expr:
    """A constant of ``x``'s dtype, cast from ``value`` as numpy casts constant_values (unsafe)."""
    if x.dtype is None:
        return Constant(np.asarray(value))
    return Constant(np.asarray(value).astype(x.dtype))


@implements(np.broadcast_to)
def broadcast_to(array: Any, shape: Any, subok: bool = False) -> Expr:
    """``np.broadcast_to`` (numpy's ValueError when the known dimensions do not broadcast)."""
    label = "numpy.broadcast_to"
    x = asexpr(array, label)
    dims = [int(shape)] if isinstance(shape, (int, np.integer)) else [int(d) for d in shape]
    if any(d < 0 for d in dims):
        raise OnnxShapeError(f"{label}: all elements of broadcast shape must be non-negative")
    known = x.shape
    if known is not None:
        if len(known) > len(dims) or any(k is not None and k != 1 and k != d for k, d in zip(reversed(known), reversed(dims))):
            raise OnnxShapeError(
                f"{label}: operands could not be broadcast together with remapped shapes {tuple(known)} -> {tuple(dims)}"
            )
    return op("Expand", x, int64(dims))


@implements(np.broadcast_arrays)
def broadcast_arrays(*args: Any, subok: bool = False) -> tuple[Expr, ...]:
    """``np.broadcast_arrays``: each input expanded to the common shape (numpy's ValueError when they don't fit)."""
    label = "numpy.broadcast_arrays"
    values = [asexpr(a, label) for a in args]
    shapes = [v.shape for v in values]
    if all(s is not None and None not in s for s in shapes):
        try:
            common = np.broadcast_shapes(*shapes)
        except ValueError as exc:
            raise OnnxShapeError(f"{label}: {exc}") from None
        return tuple(v if v.shape == common else op("Expand", v, int64(list(common))) for v in values)
    everywhere = true_like(values[0])
    for v in values[1:]:
        everywhere = op("And", everywhere, true_like(v))
    return tuple(select_values(everywhere, v, v) for v in values)


@implements(np.diff)
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue) -> Expr:
    """``np.diff``: differences of consecutive elements, ``n`` times (booleans: not equal)."""
    label = "numpy.diff"
    x = asexpr(a, label)
    rank = rank_of(x, label)
    ax = normalize_axis(axis, rank, label)
    if prepend is not np._NoValue or append is not np._NoValue:
        raise OnnxNumpyError(f"{label}: prepend/append are not supported; concatenate them first.")
    big = np.iinfo(np.int64).max
    for _ in range(int(n)):
        head = op("Slice", x, int64([1]), int64([big]), int64([ax]))
        tail = op("Slice", x, int64([0]), int64([-1]), int64([ax]))
        x = op("Not", op("Equal", head, tail)) if x.dtype == np.bool_ else op("Sub", head, tail)
    return x


def _filled(a: Any, fill: Any, dtype: Any, shape: Any, label: str) -> Expr:
    x = asexpr(a, label)
    target = np.dtype(dtype) if dtype is not None else x.dtype
    if target is None:
        raise OnnxNumpyError(f"{label}: the dtype of {x!r} is unknown; pass dtype=.")
    value = np.asarray(fill).astype(target)
    if shape is not None:
        dims = [int(shape)] if isinstance(shape, (int, np.integer)) else [int(d) for d in shape]
        return Constant(np.full(dims, value, dtype=target))
    known = x.shape
    if known is not None and None not in known:
        return Constant(np.full(known, value, dtype=target))
    # the value broadcast to x's shape: Where keeps the dimensions known now
    return select_values(true_like(x), Constant(value.reshape(())), Constant(value.reshape(())))


@implements(np.zeros_like)
def zeros_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None, *, device: Any = None) -> Expr:
    """``np.zeros_like``."""
    return _filled(a, 0, dtype, shape, "numpy.zeros_like")


@implements(np.ones_like)
def ones_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None, *, device: Any = None) -> Expr:
    """``np.ones_like``."""
    return _filled(a, 1, dtype, shape, "numpy.ones_like")


@implements(np.empty_like)
def empty_like(
    prototype: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None, *, device: Any = None
) -> Expr:
    """``np.empty_like``: zeros (a model has no uninitialised memory)."""
    return _filled(prototype, 0, dtype, shape, "numpy.empty_like")


@implements(np.full_like)
def full_like(
    a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None, *, device: Any = None
) -> Expr:
    """``np.full_like``."""
    return _filled(a, fill_value, dtype, shape, "numpy.full_like")


@implements(np.copy)
def copy(a: Any, order: str = "K", subok: bool = False) -> Expr:
    """``np.copy``: expressions are values, so the same expression."""
    return asexpr(a, "numpy.copy")


@implements(optional("astype"))
def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Expr:
    """``np.astype`` (numpy 2): a Cast."""
    value = asexpr(x, "numpy.astype")
    target = np.dtype(dtype)
    if value.dtype == target:
        return value
    return op("Cast", value, to=elem_type_of(target))


@implements(np.shape)
def shape(a: Any) -> tuple[int | None, ...]:
    """``np.shape``: the shape known now (None for dimensions known only when the model runs)."""
    x = asexpr(a, "numpy.shape")
    rank_of(x, "numpy.shape")
    return x.shape


@implements(np.ndim)
def ndim(a: Any) -> int:
    """``np.ndim``."""
    x = asexpr(a, "numpy.ndim")
    return rank_of(x, "numpy.ndim")


@implements(np.size)
def size(a: Any, axis: Any = None) -> int | None:
    """``np.size``: None when a dimension is known only when the model runs."""
    x = asexpr(a, "numpy.size")
    dims = x.shape
    rank_of(x, "numpy.size")
    if axis is not None:
        return dims[normalize_axis(axis, len(dims), "numpy.size")]
    if any(d is None for d in dims):
        return None
    return int(np.prod(dims, dtype=np.int64))


@implements(np.result_type)
def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """``np.result_type`` with expressions among the arguments."""
    keys = []
    for value in arrays_and_dtypes:
        if isinstance(value, Expr):
            if value.dtype is None:
                raise OnnxNumpyError(f"numpy.result_type: the dtype of {value!r} is unknown.")
            keys.append(value.dtype)
        else:
            keys.append(value)
    return np.result_type(*keys)


def stack_nested(values: Sequence[Any], where: str) -> Expr:
    """A (nested) list holding expressions as one expression, as ``np.array`` would stack arrays.

    Python numbers in the list are numpy's default dtypes there (``np.array([x32, 1.0])`` is float64).
    """
    items = [
        stack_nested(v, where) if isinstance(v, (list, tuple)) else (np.asarray(v) if type(v) in (int, float, bool) else v)
        for v in values
    ]
    if not items:
        raise OnnxNumpyError(f"{where}: an empty list among expressions has no shape to stack.")
    exprs, _ = unify(items, where)
    shapes = {e.shape for e in exprs if e.shape is not None and None not in e.shape}
    if len(shapes) > 1:
        raise OnnxShapeError(f"{where}: setting an array element with a sequence: inhomogeneous shapes {sorted(shapes)}.")
    return op("Concat", *(op("Unsqueeze", e, int64([0])) for e in exprs), axis=0)


__all__ += [
    "matrix_transpose",
    "fliplr",
    "flipud",
    "broadcast_arrays",
    "empty_like",
    "copy",
    "astype",
    "shape",
    "ndim",
    "size",
    "result_type",
]
