"""numpy-style operators on expressions: ``x + 1``, ``a @ b``, ``x.T``, ``x.sum(axis=1)``...

A Python scalar takes the dtype of the other operand (``x32 + 1.0`` stays
float32); a numpy array is a constant of its own dtype. ``expr[i]`` keeps the
seed API's meaning (output ``i``): array indexing is ``expr.at[...]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._expr import OnnxOperator

__all__ = ["NumpyOperators"]

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


def _op(name: str, *inputs: Any, **attributes: Any) -> OnnxOperator:
    from ._operators import operator_class

    return operator_class(name)(*inputs, **attributes)


def _int64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _dtype_of(*values: Any) -> np.dtype | None:
    from ._expr import Expr

    for value in values:
        if isinstance(value, Expr) and value.dtype is not None:
            return value.dtype
        if isinstance(value, np.ndarray):
            return value.dtype
    return None


def _mod(a: Any, b: Any) -> OnnxOperator:
    dtype = _dtype_of(a, b)
    if dtype is not None and dtype.kind == "f":
        # numpy's % on floats is fmod, plus the divisor when a non-zero remainder has
        # the other sign (exact, unlike a - floor(a / b) * b).
        a, b = (np.asarray(v, dtype) if isinstance(v, (int, float)) and not isinstance(v, np.generic) else v for v in (a, b))
        rem = _op("Mod", a, b, fmod=1)
        other_sign = _op("Xor", _op("Less", rem, dtype.type(0)), _op("Less", b, dtype.type(0)))
        fix = _op("And", _op("Not", _op("Equal", rem, dtype.type(0))), other_sign)
        return _op("Where", fix, _op("Add", rem, b), rem)
    return _op("Mod", a, b, fmod=0)


class NumpyOperators:
    """Mixin giving expressions numpy's operators and a few array methods."""

    __slots__ = ()
    __hash__ = object.__hash__  # __eq__ builds an expression; identity stays the hash

    def __add__(self, other: Any) -> OnnxOperator:
        return _op("Add", self, other)

    def __radd__(self, other: Any) -> OnnxOperator:
        return _op("Add", other, self)

    def __sub__(self, other: Any) -> OnnxOperator:
        return _op("Sub", self, other)

    def __rsub__(self, other: Any) -> OnnxOperator:
        return _op("Sub", other, self)

    def __mul__(self, other: Any) -> OnnxOperator:
        return _op("Mul", self, other)

    def __rmul__(self, other: Any) -> OnnxOperator:
        return _op("Mul", other, self)

    def __truediv__(self, other: Any) -> OnnxOperator:
        return _op("Div", self, other)

    def __rtruediv__(self, other: Any) -> OnnxOperator:
        return _op("Div", other, self)

    def __matmul__(self, other: Any) -> OnnxOperator:
        return _op("MatMul", self, other)

    def __rmatmul__(self, other: Any) -> OnnxOperator:
        return _op("MatMul", other, self)

    def __pow__(self, other: Any) -> OnnxOperator:
        return _op("Pow", self, other)

    def __rpow__(self, other: Any) -> OnnxOperator:
        return _op("Pow", other, self)

    def __mod__(self, other: Any) -> OnnxOperator:
        return _mod(self, other)

    def __rmod__(self, other: Any) -> OnnxOperator:
        return _mod(other, self)

    def __neg__(self) -> OnnxOperator:
        return _op("Neg", self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> OnnxOperator:
        return _op("Abs", self)

    def __lt__(self, other: Any) -> OnnxOperator:
        return _op("Less", self, other)

    def __le__(self, other: Any) -> OnnxOperator:
        return _op("LessOrEqual", self, other)

    def __gt__(self, other: Any) -> OnnxOperator:
        return _op("Greater", self, other)

    def __ge__(self, other: Any) -> OnnxOperator:
        return _op("GreaterOrEqual", self, other)

    def __eq__(self, other: Any) -> OnnxOperator:  # type: ignore[override]
        return _op("Equal", self, other)

    def __ne__(self, other: Any) -> OnnxOperator:  # type: ignore[override]
        return _op("Not", _op("Equal", self, other))

    def __bool__(self) -> bool:
        raise TypeError(
            "an expression has no truth value until it runs; use OnnxIf or OnnxWhere for a condition."
        )

    @property
    def T(self) -> OnnxOperator:
        """Transpose (axes reversed), like ``ndarray.T``."""
        return _op("Transpose", self)

    def astype(self, dtype: Any) -> OnnxOperator:
        """Cast to ``dtype`` (a numpy dtype), like ``ndarray.astype``.

        >>> from onnxalgebra import Var
        >>> Var("X", np.float32, [2]).astype(np.int64).dtype
        dtype('int64')
        """
        from ._types import elem_type_of

        return _op("Cast", self, to=elem_type_of(dtype))

    def reshape(self, *shape: Any) -> OnnxOperator:
        """Reshape (``-1`` infers one dimension, ``0`` copies it), like ``ndarray.reshape``."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple, np.ndarray)):
            shape = tuple(shape[0])
        return _op("Reshape", self, _int64(shape))

    def _reduce(self, name: str, axis: Any, keepdims: bool) -> OnnxOperator:
        if axis is None:
            return _op(name, self, keepdims=int(keepdims))
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        if not axes:
            return _op("Identity", self)  # numpy reduces nothing; ONNX would reduce every axis
        return _op(name, self, _int64(axes), keepdims=int(keepdims))

    def sum(self, axis: Any = None, keepdims: bool = False) -> OnnxOperator:
        """Sum over ``axis`` (an int, a tuple, or None for all axes), like ``ndarray.sum``."""
        return self._reduce("ReduceSum", axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> OnnxOperator:
        """Mean over ``axis``, like ``ndarray.mean``."""
        return self._reduce("ReduceMean", axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> OnnxOperator:
        """Maximum over ``axis``, like ``ndarray.max``."""
        return self._reduce("ReduceMax", axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> OnnxOperator:
        """Minimum over ``axis``, like ``ndarray.min``."""
        return self._reduce("ReduceMin", axis, keepdims)

    def getitem(self, key: Any) -> OnnxOperator:
        """numpy indexing: ints, slices (with steps), ``None``, ``...``, or an integer index array.

        >>> from onnxalgebra import Var
        >>> Var("X", np.float32, [5, 4]).getitem((slice(1, 3), 0)).shape
        (2,)
        """
        return _index(self, key)

    @property
    def at(self) -> _Indexer:
        """numpy indexing with brackets: ``expr.at[1:3, 0]`` (``expr[i]`` selects an output)."""
        return _Indexer(self)


class _Indexer:
    __slots__ = ("_expr",)

    def __init__(self, expr: Any):
        self._expr = expr

    def __getitem__(self, key: Any) -> OnnxOperator:
        return _index(self._expr, key)


def _index(expr: Any, key: Any) -> OnnxOperator:
    from ._expr import Expr

    if isinstance(key, (Expr, np.ndarray, list)):
        return _op("Gather", expr, key if isinstance(key, Expr) else _int64(key), axis=0)
    items = key if isinstance(key, tuple) else (key,)
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in items:
        explicit = sum(item is not None and item is not Ellipsis for item in items)
        position = items.index(Ellipsis)
        if position == len(items) - 1:
            items = items[:-1]
        elif expr.shape is None:
            raise IndexError("'...' before other indices needs the expression's rank: give its input a shape.")
        else:
            fill = (slice(None),) * (len(expr.shape) - explicit)
            items = items[:position] + fill + items[position + 1 :]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = 0  # axis of the input
    out_axis = 0  # axis of the result after squeezing
    for item in items:
        if item is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, (int, np.integer)):
            i = int(item)
            starts.append(i)
            ends.append(i + 1 if i != -1 else _INT64_MAX)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        elif isinstance(item, slice):
            step = 1 if item.step is None else int(item.step)
            if step == 0:
                raise IndexError("slice step cannot be zero")
            default_start, default_end = (0, _INT64_MAX) if step > 0 else (_INT64_MAX, _INT64_MIN)
            start = default_start if item.start is None else int(item.start)
            end = default_end if item.stop is None else int(item.stop)
            if (start, end, step) != (0, _INT64_MAX, 1):
                starts.append(start)
                ends.append(end)
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        else:
            raise IndexError(f"unsupported index {item!r}: use ints, slices, None, ... or an int array")
        axis += 1
    result = expr
    if axes:
        result = _op("Slice", result, _int64(starts), _int64(ends), _int64(axes), _int64(steps))
    if squeeze:
        result = _op("Squeeze", result, _int64(squeeze))
    if unsqueeze:
        result = _op("Unsqueeze", result, _int64(unsqueeze))
    if result is expr:
        result = _op("Identity", expr)
    return result
