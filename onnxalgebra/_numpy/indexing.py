"""numpy indexing of expression values: ``x[1:3, 0]``, ``x[..., -1]``, ``x[:, idx]``, ``x[x > 0]``.

Basic indexing (ints, slices with steps, ``None``, ``...``) becomes Unsqueeze,
Slice and Squeeze (one int with every other axis whole, ``x[:, 1]``, is one
Gather). Advanced indexing follows numpy's rules: integer arrays broadcast
together, a boolean mask stands for the integer arrays of its True positions
(a 0-d mask adds an axis of length 1 or 0), and the indexed dimensions go
where the first array index was when the array indices are next to each
other, first otherwise. One integer array is a Gather, one boolean expression
a Compress, several a GatherND. A numpy mask is known now: it becomes its
integer positions, so the result's shape is known too.

Whatever numpy rejects from the shapes alone (an index out of bounds, a mask
of the wrong length, arrays that do not broadcast) raises ``IndexError``
when the expression is built, if the shapes involved are known then.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._errors import OnnxNumpyError
from .._expr import Constant, Expr
from .._types import TensorType
from .common import int64
from .plans import int64_constant
from .promotion import op

__all__ = ["index"]

_MAX = np.iinfo(np.int64).max
_MIN = np.iinfo(np.int64).min
_INVALID = "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean arrays are valid indices"

Shape = tuple[int | None, ...]


class _Array:
    """An array index: an int64 or bool numpy array, or an expression, with its static shape (None: rank unknown).

    ``new_axis`` marks a 0-d mask, which numpy reads as a new axis of length 1
    indexed by the 1-element mask ``value``.
    """

    __slots__ = ("is_mask", "new_axis", "shape", "value")

    def __init__(self, value: Any, is_mask: bool, shape: Shape | None, new_axis: bool = False):
        self.value = value
        self.is_mask = is_mask
        self.shape = shape
        self.new_axis = new_axis

    @property
    def span(self) -> int:
        """How many axes (of the expression with its new axes) this index uses."""
        if not self.is_mask:
            return 1
        if self.shape is None:
            raise OnnxNumpyError("indexing with a boolean expression needs its rank: give its inputs shapes.")
        return len(self.shape)


def _existing(item: Any) -> int:
    """How many axes of the indexed expression an item uses (None and 0-d masks add theirs)."""
    if item is None:
        return 0
    if isinstance(item, _Array):
        return 0 if item.new_axis else item.span
    return 1


def _span(item: Any) -> int:
    """How many axes an item uses once the new axes are in."""
    return item.span if isinstance(item, _Array) else 1


def _bound(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return operator.index(value)
    except TypeError:
        if isinstance(value, Expr):
            raise TypeError(
                "slice bounds must be integers known when the expression is built; for bounds computed by the model, "
                "use onnxalgebra.OnnxSlice(x, starts, ends, axes, steps)."
            ) from None
        raise TypeError("slice indices must be integers or None or have an __index__ method") from None


def _item(item: Any) -> Any:
    """One index item, normalised: int, slice of ints, None, Ellipsis or _Array."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, slice):
        return slice(_bound(item.start), _bound(item.stop), _bound(item.step))
    if isinstance(item, (bool, np.bool_)):
        return _zero_dim_mask(np.asarray(item))
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, Expr):
        dtype = item.dtype
        if dtype is None:
            raise OnnxNumpyError(f"indexing with {item!r}, whose dtype is unknown: give its inputs a dtype.")
        if dtype.kind not in "biu":
            raise IndexError(f"arrays used as indices must be of integer (or boolean) type, got {dtype}")
        if dtype.kind == "b" and item.shape == ():
            return _zero_dim_mask(item)
        return _Array(item, dtype.kind == "b", item.shape)
    if isinstance(item, (list, tuple, np.ndarray)) or (hasattr(item, "__array__") and not isinstance(item, (str, bytes))):
        array = np.asarray(item)
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype(np.int64)  # x[[]] is an empty integer index in numpy
        if array.dtype.kind == "b":
            return _zero_dim_mask(array) if array.ndim == 0 else _Array(array, True, array.shape)
        if array.dtype.kind in "iu":
            return _Array(array.astype(np.int64), False, array.shape)
        if array.dtype.kind in "fc":
            raise IndexError(f"arrays used as indices must be of integer (or boolean) type, got {array.dtype}")
        raise IndexError(_INVALID)
    raise IndexError(f"{_INVALID}; got {type(item).__name__} {item!r}")


def _zero_dim_mask(mask: Any) -> _Array:
    """A 0-d mask (``x[True]``): a new axis of length 1, kept (True) or dropped (False) by a 1-element mask."""
    value = mask.reshape(1) if isinstance(mask, np.ndarray) else op("Reshape", mask, int64([1]))
    return _Array(value, True, (1,), new_axis=True)


def _layout(items: list[Any], rank: int | None) -> list[tuple[int, Any]]:
    """``(axis, item)`` for every item, axes counted in the expression with its new axes.

    ``None`` becomes ``:`` on its new axis. With '...' and an unknown rank, the
    items after '...' get negative axes (counted from the end).
    """
    count = sum(item is Ellipsis for item in items)
    if count > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(_existing(item) for item in items if item is not Ellipsis)
    if rank is not None and consumed > rank:
        raise IndexError(f"too many indices for array: array is {rank}-dimensional, but {consumed} were indexed")
    prefix, suffix = items, []
    if count:
        position = next(k for k, item in enumerate(items) if item is Ellipsis)
        prefix, suffix = items[:position], items[position + 1 :]
        if rank is not None:
            prefix, suffix = prefix + [slice(None)] * (rank - consumed) + suffix, []
        elif any(isinstance(item, _Array) for item in suffix):
            raise OnnxNumpyError("an array index after '...' needs the expression's rank: give its inputs a shape.")
    layout: list[tuple[int, Any]] = []
    axis = 0
    for item in prefix:
        layout.append((axis, item))
        axis += _span(item)
    after: list[tuple[int, Any]] = []
    axis = 0
    for item in reversed(suffix):
        axis -= _span(item)
        after.append((axis, item))
    return layout + after[::-1]


def _check_int(i: int, size: Any, axis: int) -> None:
    if isinstance(size, int) and not -size <= i < size:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {size}")


def _check(layout: list[tuple[int, Any]], shape: Shape) -> None:
    """numpy's IndexErrors that the static shape already shows."""
    for axis, item in layout:
        if isinstance(item, int):
            _check_int(item, shape[axis], axis)
        elif isinstance(item, _Array) and item.is_mask:
            for k, size in enumerate(item.shape or ()):
                dim = shape[axis + k]
                if isinstance(dim, int) and isinstance(size, int) and dim != size:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis + k}; size of axis is {dim} "
                        f"but size of corresponding boolean axis is {size}"
                    )
        elif isinstance(item, _Array) and isinstance(item.value, np.ndarray) and item.value.size:
            size = shape[axis]
            array = item.value
            if isinstance(size, int) and (array.max() >= size or array.min() < -size):
                bad = array.max() if array.max() >= size else array.min()
                raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {size}")


def index(expr: Expr, key: Any) -> Expr:
    """``expr[key]`` with numpy's semantics.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> x = Var("X", np.float32, [None, 4])
    >>> index(x, (slice(None), 1)).shape, index(x, x > 0).shape, index(x, (Ellipsis, [0, 2])).shape
    ((None,), (None,), (None, 2))
    """
    fast = _ints_and_slices(expr, key)
    if fast is not None:
        return fast
    raw = list(key) if isinstance(key, tuple) else [key]
    items = [_item(i) for i in raw]
    shape = expr.shape
    layout = _layout(items, None if shape is None else len(shape))
    x = expr
    new_axes = [axis for axis, item in layout if item is None or (isinstance(item, _Array) and item.new_axis)]
    if new_axes:
        x = op("Unsqueeze", x, int64(new_axes))
        layout = [(axis, slice(None) if item is None else item) for axis, item in layout]
    if x.shape is not None:
        _check(layout, x.shape)
    # a numpy mask is known now: its integer positions, one array per axis it covers
    entries: list[tuple[int, Any]] = []
    for axis, item in layout:
        if isinstance(item, _Array) and item.is_mask and isinstance(item.value, np.ndarray):
            for k, positions in enumerate(np.nonzero(item.value)):
                entries.append((axis + k, _Array(positions.astype(np.int64), False, positions.shape)))
        else:
            entries.append((axis, item))
    if not any(isinstance(item, _Array) for _, item in entries):
        return _basic(x, entries, expr)
    return _advanced(x, entries)


def _ints_and_slices(expr: Expr, key: Any) -> Expr | None:
    """The common case, built directly: a key of ints and slices of ints (``x[:, 1:3]``, ``x[0]``).

    None for anything else (or anything to check or explain), which the general path handles.
    """
    items = key if type(key) is tuple else (key,)
    vtype = expr.type
    shape = vtype.shape if type(vtype) is TensorType else None  # symbolic dims are str: not ints below
    if shape is None or len(items) > len(shape):
        return None
    starts: list[int] = []
    ends: list[int] = []
    axes: list[int] = []
    steps: list[int] = []
    squeeze: list[int] = []
    for axis, item in enumerate(items):
        kind = type(item)
        if kind is slice:
            start, stop, step = item.start, item.stop, item.step
            if start is None and stop is None and step is None:
                continue
            if not all(v is None or type(v) is int for v in (start, stop, step)) or step == 0:
                return None
            size = shape[axis] if axis < len(shape) else None
            args = _known_slice_args(item, size) if type(size) is int else _slice_args(item)
            if args is None:
                continue
            starts.append(args[0])
            ends.append(args[1])
            axes.append(axis)
            steps.append(args[2])
        elif kind is int:
            size = shape[axis]
            if type(size) is int and not -size <= item < size:
                return None  # the general path raises numpy's IndexError
            starts.append(item)
            ends.append(item + 1 if item != -1 else _MAX)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        else:
            return None
    if not axes:
        return op("Identity", expr)
    if len(squeeze) == 1 and len(axes) == 1:  # one int, every other axis whole (x[:, 1]): one Gather of a 0-d index
        return op("Gather", expr, int64_constant(starts[0]), axis=axes[0])
    result = op(
        "Slice", expr, int64_constant(tuple(starts)), int64_constant(tuple(ends)), int64_constant(tuple(axes)),
        int64_constant(tuple(steps)),
    )  # fmt: skip
    if squeeze:
        result = op("Squeeze", result, int64_constant(tuple(squeeze)))
    return result


def _slice_args(item: slice) -> tuple[int, int, int] | None:
    step = 1 if item.step is None else item.step
    if step == 0:
        raise ValueError("slice step cannot be zero")
    step = max(-_MAX, min(step, _MAX))  # bounds beyond int64 are clamped, as Python does for numpy
    default_start, default_end = (0, _MAX) if step > 0 else (_MAX, _MIN)
    start = default_start if item.start is None else max(_MIN, min(item.start, _MAX))
    end = default_end if item.stop is None else max(_MIN, min(item.stop, _MAX))
    if (start, end, step) == (0, _MAX, 1):
        return None
    return start, end, step


def _known_slice_args(item: slice, dim: int) -> tuple[int, int, int] | None:
    """``(start, end, step)`` of ``item`` on an axis of known length ``dim``, as numpy reads it (``slice.indices``):
    a negative step whose start lies before the first element is empty (ONNX's Slice would clamp it to 0)."""
    if item.step == 0:
        raise ValueError("slice step cannot be zero")
    taken = range(*item.indices(dim))
    if len(taken) == 0:
        return 0, 0, 1
    if taken.start == 0 and taken.step == 1 and taken.stop == dim:
        return None
    end = taken.stop if taken.stop >= 0 else _MIN  # a negative step down to the first element
    return taken.start, end, taken.step


def _apply_slices(x: Expr, entries: list[tuple[int, Any]]) -> Expr:
    """One Slice for every entry that is a slice (ints too when ``ints`` are given as ``i:i+1`` slices)."""
    starts, ends, axes, steps = [], [], [], []
    shape = x.shape
    for axis, item in entries:
        if isinstance(item, slice):
            dim = shape[axis] if shape is not None and axis < len(shape) and isinstance(shape[axis], int) else None
            args = _slice_args(item) if dim is None else _known_slice_args(item, dim)
            if args is not None:
                starts.append(args[0])
                ends.append(args[1])
                axes.append(axis)
                steps.append(args[2])
    if not axes:
        return x
    return op("Slice", x, int64(starts), int64(ends), int64(axes), int64(steps))


def _basic(x: Expr, entries: list[tuple[int, Any]], original: Expr) -> Expr:
    ints = [axis for axis, item in entries if isinstance(item, int)]
    as_slices = [(axis, slice(i, i + 1 if i != -1 else None) if isinstance(i, int) else i) for axis, i in entries]
    result = _apply_slices(x, as_slices)
    if ints:
        result = op("Squeeze", result, int64(ints))
    if result is original:
        result = op("Identity", original)
    return result


def _as_int64(value: Any) -> Any:
    """An integer index as a numpy int64 array (kept as such) or an int64 expression."""
    if isinstance(value, (int, np.ndarray)):
        return np.asarray(value, dtype=np.int64)
    return value if value.dtype == np.int64 else op("Cast", value, to=7)


def _advanced(x: Expr, entries: list[tuple[int, Any]]) -> Expr:
    x = _apply_slices(x, entries)  # slices keep their axes; the array indices then pick along the others
    chosen = [(axis, item) for axis, item in entries if isinstance(item, (int, _Array))]
    if len(chosen) == 1:
        axis, item = chosen[0]
        if not item.is_mask:
            value = item.value if isinstance(item.value, Expr) else Constant(item.value)
            return op("Gather", x, _as_int64(value), axis=axis)
        if item.span == 1:
            return op("Compress", x, item.value, axis=axis)
        # one boolean expression over several axes: GatherND at its True positions
        positions = op("Transpose", op("NonZero", item.value), perm=[1, 0])
        return _gather_nd(x, list(range(axis, axis + item.span)), positions, 1)
    axes: list[int] = []
    indices: list[Any] = []  # numpy int64 arrays or int64 expressions
    shapes: list[Shape | None] = []
    for axis, item in chosen:
        if isinstance(item, int):
            axes.append(axis)
            indices.append(_as_int64(item))
            shapes.append(())
        elif item.is_mask:  # a boolean expression: its True positions, one row per axis it covers
            found = op("NonZero", item.value)
            for k in range(item.span):
                axes.append(axis + k)
                indices.append(op("Gather", found, int64(k), axis=0))
                shapes.append((None,))
        else:
            axes.append(axis)
            indices.append(_as_int64(item.value))
            shapes.append(item.shape)
    if any(a < 0 for a in axes) or any(s is None for s in shapes):
        raise OnnxNumpyError(
            "indexing with several arrays needs the rank of the expression and of each index: give their inputs shapes."
        )
    common = _broadcast_shapes(shapes)  # type: ignore[arg-type]
    if not common:
        # every index is 0-d: one Gather per axis, the last axis first (ONNX infers no shape for a 0-d GatherND)
        for axis, value in sorted(zip(axes, indices), key=lambda pair: -pair[0]):
            x = op("Gather", x, value, axis=axis)
        return x
    return _gather_nd(x, axes, _stack(indices, common), len(common))


def _broadcast_shapes(shapes: list[Shape]) -> Shape:
    """numpy's broadcast of the index shapes (None: known when the model runs), or numpy's IndexError."""
    rank = max(len(s) for s in shapes)
    result: list[int | None] = []
    for k in range(rank):
        sizes = [s[len(s) - rank + k] for s in shapes if len(s) - rank + k >= 0]
        known = {d for d in sizes if d is not None and d != 1}
        if len(known) > 1:
            described = " ".join(str(tuple(s)).replace("None", "?") for s in shapes)
            raise IndexError(f"shape mismatch: indexing arrays could not be broadcast together with shapes {described}")
        if known:
            result.append(known.pop())
        elif all(d == 1 for d in sizes):
            result.append(1)
        else:
            result.append(None)
    return tuple(result)


def _stack(indices: list[Any], common: Shape) -> Expr:
    """The indices broadcast together and stacked on a last axis: GatherND's indices."""
    if all(isinstance(i, np.ndarray) for i in indices):
        return Constant(np.stack(np.broadcast_arrays(*indices), axis=-1))
    if 0 in common:  # nothing is selected (and onnxruntime's optimizer mis-infers Expand of a size 1 to a size 0)
        return Constant(np.zeros((*common, len(indices)), np.int64))
    if all(d is not None for d in common):
        target: Any = Constant(int64(common))
    else:
        # the common shape, computed when the model runs; Expand rather than `index + zeros`, whose broadcast
        # onnxruntime sizes from the declared dimensions (wrongly when inputs declare one symbol for other sizes)
        zero = Constant(np.zeros((), np.int64))
        zeros: Any = None
        for i in indices:
            term = op("Mul", i, zero)
            zeros = term if zeros is None else op("Add", zeros, term)
        target = op("Shape", zeros)
    expanded = [op("Unsqueeze", op("Expand", i, target), int64([-1])) for i in indices]
    return expanded[0] if len(expanded) == 1 else op("Concat", *expanded, axis=-1)


def _gather_nd(x: Expr, axes: list[int], stacked: Expr, broadcast_rank: int) -> Expr:
    """GatherND along ``axes`` (stacked indices of rank ``broadcast_rank + 1``), dims placed as numpy does."""
    count = len(axes)
    first = axes[0]
    shape = x.shape
    moved = x
    if axes != list(range(count)):
        if shape is None:
            raise OnnxNumpyError(
                "indexing with arrays after the first axes needs the expression's rank: give its inputs a shape."
            )
        rest = [a for a in range(len(shape)) if a not in axes]
        moved = op("Transpose", x, perm=axes + rest)
    result = op("GatherND", moved, stacked)
    if first > 0 and axes == list(range(first, first + count)):
        # numpy keeps the indexed dimensions where the (adjacent) array indices were
        assert shape is not None
        remaining = len(shape) - count
        perm = list(range(broadcast_rank, broadcast_rank + first))
        perm += list(range(broadcast_rank))
        perm += list(range(broadcast_rank + first, broadcast_rank + remaining))
        result = op("Transpose", result, perm=perm)
    return result
