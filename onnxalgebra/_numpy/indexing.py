"""numpy indexing of expression values: ``x[1:3, 0]``, ``x[..., -1]``, ``x[:, idx]``, ``x[x > 0]``.

Basic indexing (ints, slices with steps, ``None``, ``...``) becomes Slice,
Squeeze and Unsqueeze. Advanced indexing follows numpy's rules: integer
arrays broadcast together, a boolean mask stands for the integer arrays of
its True positions, and the indexed dimensions go where the first array
index was when the array indices are next to each other, first otherwise.
One integer array is a Gather, one boolean mask a Compress, several a
GatherND.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import OnnxNumpyError
from .._expr import Constant, Expr
from .common import int64
from .promotion import op

__all__ = ["index"]

_MAX = np.iinfo(np.int64).max
_MIN = np.iinfo(np.int64).min
_INVALID = "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean arrays are valid indices"


class _Array:
    """An array index: ``value`` (an expression or a numpy array), boolean or not, and its rank."""

    __slots__ = ("is_mask", "ndim", "value")

    def __init__(self, value: Any, is_mask: bool, ndim: int | None):
        self.value = value
        self.is_mask = is_mask
        self.ndim = ndim

    @property
    def consumed(self) -> int:
        """How many dimensions of the indexed expression this index uses."""
        if not self.is_mask:
            return 1
        if self.ndim is None:
            raise OnnxNumpyError("indexing with a boolean expression needs its rank: give its inputs shapes.")
        return self.ndim


def _item(item: Any) -> Any:
    """One index item, normalised: int, slice, None, Ellipsis or _Array."""
    if item is None or item is Ellipsis or isinstance(item, slice):
        return item
    if isinstance(item, (bool, np.bool_)):
        raise IndexError("boolean scalar indices are not supported on expressions; use np.where or a boolean array")
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, Expr):
        dtype = item.dtype
        if dtype is None:
            raise OnnxNumpyError(f"indexing with {item!r}, whose dtype is unknown: give its inputs a dtype.")
        if dtype.kind not in "biu":
            raise IndexError(f"arrays used as indices must be of integer (or boolean) type, got {dtype}")
        shape = item.shape
        return _Array(item, dtype.kind == "b", None if shape is None else len(shape))
    if isinstance(item, (list, np.ndarray)) or hasattr(item, "__array__"):
        array = np.asarray(item)
        if array.dtype.kind == "O":
            raise IndexError(_INVALID)
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype(np.int64)  # x[[]] is an empty integer index in numpy
        if array.dtype.kind not in "biu":
            raise IndexError(f"arrays used as indices must be of integer (or boolean) type, got {array.dtype}")
        return _Array(array, array.dtype.kind == "b", array.ndim)
    raise IndexError(f"{_INVALID}; got {type(item).__name__} {item!r}")


def _expand_ellipsis(items: list[Any], rank: int | None) -> tuple[list[Any], int]:
    """Items with '...' replaced by full slices, and how many new axes to append at the end.

    ``x[..., None]`` of an expression of unknown rank appends its new axes with
    negative Unsqueeze axes; any other '...' before an index needs the rank.
    """
    count = sum(item is Ellipsis for item in items)
    if count > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 if isinstance(i, (int, slice)) else i.consumed if isinstance(i, _Array) else 0 for i in items)
    if rank is not None and consumed > rank:
        raise IndexError(f"too many indices for array: array is {rank}-dimensional, but {consumed} were indexed")
    if count == 0:
        return items, 0
    position = items.index(Ellipsis)
    after = items[position + 1 :]
    if rank is None:
        if all(i is None for i in after):
            return items[:position], len(after)
        raise IndexError("'...' before other indices needs the expression's rank: give its inputs a shape.")
    return items[:position] + [slice(None)] * (rank - consumed) + after, 0


def _check_int(i: int, size: Any, axis: int) -> None:
    if isinstance(size, int) and not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {size}")


def _slice_args(item: slice) -> tuple[int, int, int] | None:
    step = 1 if item.step is None else int(item.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    default_start, default_end = (0, _MAX) if step > 0 else (_MAX, _MIN)
    start = default_start if item.start is None else int(item.start)
    end = default_end if item.stop is None else int(item.stop)
    if (start, end, step) == (0, _MAX, 1):
        return None
    return start, end, step


def _apply_slices(x: Expr, items: list[Any]) -> Expr:
    """Slice every axis whose item is a slice (items: one per axis, no None)."""
    starts, ends, axes, steps = [], [], [], []
    for axis, item in enumerate(items):
        if isinstance(item, slice):
            args = _slice_args(item)
            if args is not None:
                starts.append(args[0])
                ends.append(args[1])
                axes.append(axis)
                steps.append(args[2])
    if not axes:
        return x
    return op("Slice", x, int64(starts), int64(ends), int64(axes), int64(steps))


def index(expr: Expr, key: Any) -> Expr:
    """``expr[key]`` with numpy's semantics.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> x = Var("X", np.float32, [None, 4])
    >>> index(x, (slice(None), 1)).shape, index(x, x > 0).shape
    ((None,), (None,))
    """
    raw = list(key) if isinstance(key, tuple) else [key]
    items = [_item(i) for i in raw]
    shape = expr.shape
    rank = None if shape is None else len(shape)
    items, trailing = _expand_ellipsis(items, rank)
    result = _index(expr, items)
    if trailing:
        result = op("Unsqueeze", result, int64(list(range(-trailing, 0))))
    return result


def _index(expr: Expr, items: list[Any]) -> Expr:
    # None: a new axis of size 1, then indexed with ':' like the others.
    new_axes, position = [], 0
    for item in items:
        if item is None:
            new_axes.append(position)
        position += item.consumed if isinstance(item, _Array) else 1
    x = expr
    if new_axes:
        x = op("Unsqueeze", x, int64(new_axes))
        items = [slice(None) if item is None else item for item in items]
    shape = x.shape
    if shape is not None:
        axis = 0
        for item in items:
            if isinstance(item, int):
                _check_int(item, shape[axis], axis)
            elif isinstance(item, _Array) and isinstance(item.value, np.ndarray):
                _check_array(item, shape, axis)
            axis += item.consumed if isinstance(item, _Array) else 1
    arrays = [item for item in items if isinstance(item, _Array)]
    if not arrays:
        return _basic(x, items, expr)
    return _advanced(x, items)


def _check_array(item: _Array, shape: tuple[Any, ...], axis: int) -> None:
    array = item.value
    if item.is_mask:
        for k, size in enumerate(array.shape):
            dim = shape[axis + k] if axis + k < len(shape) else None
            if isinstance(dim, int) and dim != size:
                raise IndexError(
                    f"boolean index did not match indexed array along axis {axis + k}; size of axis is {dim} "
                    f"but size of corresponding boolean axis is {size}"
                )
    elif array.size:
        size = shape[axis]
        if isinstance(size, int) and (array.max() >= size or array.min() < -size):
            bad = array.max() if array.max() >= size else array.min()
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {size}")


def _basic(x: Expr, items: list[Any], original: Expr) -> Expr:
    ints = [axis for axis, item in enumerate(items) if isinstance(item, int)]
    as_slices = [slice(i, i + 1 if i != -1 else None) if isinstance(i, int) else i for i in items]
    result = _apply_slices(x, as_slices)
    if ints:
        result = op("Squeeze", result, int64(ints))
    if result is original:
        result = op("Identity", original)
    return result


def _index_expr(item: Any) -> Expr:
    if isinstance(item, int):
        return Constant(np.asarray(item, np.int64))
    value = item.value
    if isinstance(value, np.ndarray):
        return Constant(value.astype(np.int64))
    return value if value.dtype == np.int64 else op("Cast", value, to=7)


def _advanced(x: Expr, items: list[Any]) -> Expr:
    # slices first (they keep their axes), then the array indices
    per_axis: list[Any] = []
    for item in items:
        if isinstance(item, _Array) and item.is_mask:
            per_axis.extend([item] + [None] * (item.consumed - 1))
        else:
            per_axis.append(item)
    x = _apply_slices(x, per_axis)
    advanced = [(axis, item) for axis, item in enumerate(per_axis) if isinstance(item, (int, _Array))]
    if len(advanced) == 1:
        axis, item = advanced[0]
        if isinstance(item, _Array) and item.is_mask:
            return _mask(x, item, axis)
        return op("Gather", x, _index_expr(item), axis=axis)
    # several: every mask becomes the integer arrays of its True positions
    axes: list[int] = []
    indices: list[Expr] = []
    for axis, item in advanced:
        if isinstance(item, _Array) and item.is_mask:
            found = _mask_positions(item)
            for k in range(item.consumed):
                axes.append(axis + k)
                indices.append(op("Gather", found, int64(k), axis=0))
        else:
            axes.append(axis)
            indices.append(_index_expr(item))
    return _gather_nd(x, axes, indices)


def _mask_positions(item: _Array) -> Expr:
    value = item.value
    if isinstance(value, np.ndarray):
        return Constant(np.asarray(np.nonzero(value), dtype=np.int64).reshape(item.ndim, -1))
    return op("NonZero", value)


def _mask(x: Expr, item: _Array, axis: int) -> Expr:
    k = item.consumed
    mask = item.value if isinstance(item.value, Expr) else Constant(item.value)
    if k == 0:  # a 0-d mask: a new axis of size 1 (True) or 0 (False)
        x = op("Unsqueeze", x, int64([axis]))
        return op("Compress", x, op("Reshape", mask, int64([1])), axis=axis)
    if k > 1:
        dims = op("Shape", x)
        merged = op(
            "Concat",
            op("Slice", dims, int64([0]), int64([axis]), int64([0])),
            Constant(int64([-1])),
            op("Slice", dims, int64([axis + k]), int64([_MAX]), int64([0])),
            axis=0,
        )
        x = op("Reshape", x, merged)
        mask = op("Reshape", mask, int64([-1]))
    return op("Compress", x, mask, axis=axis)


def _gather_nd(x: Expr, axes: list[int], indices: list[Expr]) -> Expr:
    rank = x.shape
    if rank is None:
        raise OnnxNumpyError("indexing with several arrays needs the expression's rank: give its inputs a shape.")
    n = len(rank)
    ranks = [None if i.shape is None else len(i.shape) for i in indices]
    if any(r is None for r in ranks):
        raise OnnxNumpyError("indexing with several arrays needs the rank of each index: give its inputs shapes.")
    broadcast_rank = max(ranks)  # type: ignore[type-var]
    # broadcast the indices together, then stack them on a last axis
    zero = Constant(np.zeros((), np.int64))
    common = op("Mul", indices[0], zero)
    for i in indices[1:]:
        common = op("Add", common, op("Mul", i, zero))
    shape = op("Shape", common)
    stacked = op("Concat", *(op("Unsqueeze", op("Expand", i, shape), int64([-1])) for i in indices), axis=-1)
    rest = [a for a in range(n) if a not in axes]
    moved = x if axes == list(range(len(axes))) else op("Transpose", x, perm=axes + rest)
    result = op("GatherND", moved, stacked)
    first = axes[0]
    adjacent = axes == list(range(first, first + len(axes)))
    if adjacent and first > 0:
        # numpy keeps the indexed dimensions where the (adjacent) array indices were
        before = list(range(broadcast_rank, broadcast_rank + first))
        after = list(range(broadcast_rank + first, broadcast_rank + len(rest)))
        result = op("Transpose", result, perm=before + list(range(broadcast_rank)) + after)
    return result
