"""What every numpy function on expressions shares: the registry, operands, ranks, axes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._errors import OnnxAxisError, OnnxNumpyError
from .._expr import Constant, Expr
from .promotion import Operand, as_expr, holds_expr, op, operand, result_dtype, to_dtype

__all__ = [
    "FUNCTIONS",
    "implements",
    "asexpr",
    "rank_of",
    "static_shape",
    "normalize_axis",
    "normalize_axes",
    "int64",
    "refuse",
    "unify",
    "AxisError",
    "shape_of",
    "true_like",
    "select_values",
    "holds_expr",
    "nested",
    "dim_of",
    "count_of",
    "known_dims",
]

AxisError = OnnxAxisError  # numpy's AxisError (a ValueError and an IndexError), and ours

# numpy function -> its implementation on expressions (same signature as numpy's).
FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {}


def implements(*functions: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the expression version of numpy's ``functions``."""

    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        for function in functions:
            if function is not None:
                FUNCTIONS[function] = impl
        return impl

    return register


def optional(path: str) -> Any:
    """``np.<path>`` when this numpy has it (``linalg.vector_norm`` is numpy 2), else None."""
    obj: Any = np
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def nested(value: Any, where: str) -> Any:
    """A (nested) list holding expressions stacked into one expression, as ``np.array`` would; others unchanged."""
    if isinstance(value, (list, tuple)) and holds_expr(value):
        from .shapes import stack_nested

        return stack_nested(value, where)
    return value


def asexpr(value: Any, where: str) -> Expr:
    """An argument as an expression: arrays and numbers become constants (numbers in numpy's default dtype)."""
    return as_expr(nested(value, where), where=where)


def static_shape(x: Expr) -> tuple[int | None, ...] | None:
    """The shape with None for every dimension not known now, or None if the rank is unknown."""
    return x.shape


def rank_of(x: Expr, where: str) -> int:
    """The rank of ``x``, or an error saying that ``where`` needs it."""
    shape = x.shape
    if shape is None:
        raise OnnxNumpyError(
            f"{where}: needs the rank of its input, which is unknown; give the graph input a shape "
            "(Var('X', np.float32, [None, 4]))."
        )
    return len(shape)


def normalize_axis(axis: Any, ndim: int, where: str) -> int:
    """``axis`` in ``[0, ndim)``, or numpy's ``AxisError``."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{where}: axis must be an int, got {type(axis).__name__} {axis!r}.")
    a = int(axis)
    if not -ndim <= a < ndim:
        raise AxisError(f"{where}: axis {a} is out of bounds for an expression of dimension {ndim}")
    return a % ndim if ndim else a


def normalize_axes(axis: Any, ndim: int, where: str) -> list[int]:
    """An int or a sequence of ints as sorted distinct axes in ``[0, ndim)``."""
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    normalized = [normalize_axis(a, ndim, where) for a in axes]
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{where}: repeated axis in {axis!r}")
    return sorted(normalized)


def int64(values: Any) -> np.ndarray:
    """An int64 array of ``values`` (shapes, axes, indices given to ONNX operators)."""
    return np.asarray(values, dtype=np.int64)


def refuse(label: str, **given: Any) -> None:
    """Raise for a numpy argument this translation does not support, when it was given a non-default value.

    Each keyword is ``name=(value, default)``.
    """
    for name, (value, default) in given.items():
        if value is np._NoValue:
            continue
        if value is default or (default is not None and not isinstance(value, np.ndarray) and value == default):
            continue
        if name == "out":
            raise OnnxNumpyError(
                f"{label}: out= is not supported: expressions are immutable; use the returned expression "
                "(y = f(x) instead of f(x, out=y))."
            )
        if name == "where":
            raise OnnxNumpyError(f"{label}: where= is not supported; select with np.where(condition, result, fallback) instead.")
        raise OnnxNumpyError(f"{label}: {name}={value!r} is not supported (only {name}={default!r}).")


def unify(values: Sequence[Any], where: str, dtype: Any = None) -> tuple[list[Expr], np.dtype | None]:
    """Operands in their common numpy dtype (``dtype`` if given); the dtype is None when one is unknown."""
    operands: list[Operand] = [operand(nested(v, where), where) for v in values]
    if any(o.key is None for o in operands):
        return [o.value if isinstance(o.value, Expr) else asexpr(o.value, where) for o in operands], None
    common = np.dtype(dtype) if dtype is not None else result_dtype(operands)
    return [to_dtype(o, common, where) for o in operands], common


def known_dims(x: Expr, axes: Sequence[int]) -> int | None:
    """The product of the sizes of ``axes`` of ``x`` when all are known now, else None."""
    shape = x.shape
    if shape is None:
        return None
    total = 1
    for a in axes:
        if shape[a] is None:
            return None
        total *= shape[a]
    return total


def count_of(x: Expr, axes: Sequence[int] | None, dtype: np.dtype) -> Expr:
    """The number of elements reduced over ``axes`` (all when None), as a 0-d constant or a graph value."""
    shape = x.shape
    chosen = list(range(len(shape))) if axes is None and shape is not None else axes
    if chosen is not None:
        known = known_dims(x, chosen)
        if known is not None:
            return Constant(np.asarray(known, dtype))
    dims = op("Shape", x)
    if chosen is not None:
        dims = op("Gather", dims, int64(chosen), axis=0)
    return op("Cast", op("ReduceProd", dims, keepdims=0), to=_elem(dtype))


def _elem(dtype: np.dtype) -> int:
    from .._types import elem_type_of

    return elem_type_of(dtype)


def shape_of(x: Expr) -> Expr:
    """The shape of ``x`` as a 1-D int64 tensor: a constant when every dimension is known now (so shapes stay inferred)."""
    shape = x.shape
    if shape is not None and all(d is not None for d in shape):
        return Constant(int64(list(shape)))
    return op("Shape", x)


def true_like(x: Expr) -> Expr:
    """A boolean tensor of ``x``'s shape, all True (``Where(true_like(x), v, v)`` broadcasts ``v`` to it)."""
    flags = x if x.dtype == np.bool_ else op("Cast", x, to=9)
    return op("Or", flags, Constant(np.asarray(True)))


# dtypes onnxruntime's Where has no kernel for -> the dtype it selects them in (casts there and back are exact)
_WHERE_VIA = {
    np.dtype(np.bool_): np.dtype(np.uint8),
    np.dtype(np.int16): np.dtype(np.int32),
    np.dtype(np.uint16): np.dtype(np.int32),
    np.dtype(np.uint64): np.dtype(np.int64),
}


def select_values(condition: Expr, a: Expr, b: Expr) -> Expr:
    """``Where(condition, a, b)`` for ``a`` and ``b`` of one dtype, any of numpy's (onnxruntime lacks some)."""
    dtype = a.dtype if a.dtype is not None else b.dtype
    via = _WHERE_VIA.get(dtype) if dtype is not None else None
    if via is None:
        return op("Where", condition, a, b)
    selected = op("Where", condition, to_dtype(operand(a), via), to_dtype(operand(b), via))
    return op("Cast", selected, to=_elem(dtype))


def dim_of(x: Expr, axis: int) -> Expr:
    """The size of ``axis`` of ``x`` as a 1-element int64 tensor (a constant when known now)."""
    shape = x.shape
    if shape is not None and shape[axis] is not None:
        return Constant(int64([shape[axis]]))
    return op("Gather", op("Shape", x), int64([axis]), axis=0)
