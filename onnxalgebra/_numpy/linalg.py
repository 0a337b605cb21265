"""Products and norms: dot, inner, outer, tensordot, einsum, trace, linalg.norm, linalg.det.

Products run through the matmul/multiply ufuncs or ONNX Einsum, with the
operands promoted as numpy promotes them. Norms that need a singular value
decomposition (``ord=2`` or ``'nuc'`` on matrices) have no ONNX translation
and say so.
"""

from __future__ import annotations

import itertools
import string
from typing import Any

import numpy as np

from .._errors import OnnxNumpyError
from .._expr import Constant, Expr
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
    unify,
)
from .promotion import cast, op
from .reductions import max as reduce_max
from .reductions import min as reduce_min
from .reductions import sum as reduce_sum
from .ufuncs import apply_ufunc

__all__ = ["dot", "vdot", "inner", "outer", "tensordot", "einsum", "trace", "norm", "det"]


def _empty_einsum(equation: str, exprs: list[Expr], dtype: np.dtype | None) -> Expr | None:
    """The result when an operand is known now to be empty: zeros (an empty sum) of numpy's shape.

    onnxruntime's Einsum can crash the process on empty operands, so none is built then.
    """
    shapes = [e.shape for e in exprs]
    if dtype is None or any(s is None for s in shapes) or not any(0 in s for s in shapes):
        return None
    if all(None not in s for s in shapes):
        zeros = np.einsum(equation, *(np.zeros(s, np.float64) for s in shapes))
        return Constant(np.zeros(np.shape(zeros), dtype))
    if "." in equation:
        return None
    inputs, _, output = equation.partition("->")
    terms = inputs.split(",")
    if not _:
        letters = "".join(terms)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    dims: list[Expr] = []
    for letter in output:
        found = [(e, term.index(letter)) for e, term in zip(exprs, terms) if letter in term]
        known = [e.shape[axis] for e, axis in found if e.shape[axis] is not None]
        dims.append(Constant(int64([known[0]])) if known else dim_of(*found[0]))
    shape = op("Concat", *dims, axis=0) if dims else Constant(int64([]))
    return op("Expand", Constant(np.zeros((), dtype)), shape)


def _einsum(equation: str, values: list[Any], label: str) -> Expr:
    exprs, dtype = unify(values, label)
    empty = _empty_einsum(equation, exprs, dtype)
    if empty is not None:
        return empty
    if dtype is not None and dtype.kind == "b":
        product = op("Einsum", *(op("Cast", e, to=7) for e in exprs), equation=equation)
        return op("Greater", product, Constant(np.zeros((), np.int64)))
    compute = dtype
    if dtype is not None and ((dtype.itemsize < 4 and dtype.kind in "iu") or dtype == np.float16):
        compute = np.dtype(np.float32 if dtype.kind == "f" else np.int64)
        exprs = [cast(e, compute) for e in exprs]
    result = op("Einsum", *exprs, equation=equation)
    return cast(result, dtype) if dtype is not None else result


@implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Expr:
    """``np.dot``: a product for scalars, matmul up to 2-D, a sum over a's last and b's second-to-last axis beyond."""
    label = "numpy.dot"
    refuse(label, out=(out, None))
    x, y = asexpr(a, label), asexpr(b, label)
    ra, rb = rank_of(x, label), rank_of(y, label)
    if ra == 0 or rb == 0:
        return apply_ufunc(np.multiply, x, y)
    if (rb <= 2 and ra <= 2) or rb == 1:
        return apply_ufunc(np.matmul, x, y)
    letters = iter(string.ascii_letters)
    left = [next(letters) for _ in range(ra)]
    right = [next(letters) for _ in range(rb)]
    right[-2] = left[-1]
    output = left[:-1] + right[:-2] + right[-1:]
    return _einsum(f"{''.join(left)},{''.join(right)}->{''.join(output)}", [x, y], label)


@implements(np.vdot)
def vdot(a: Any, b: Any) -> Expr:
    """``np.vdot``: the dot product of the flattened inputs (real values)."""
    label = "numpy.vdot"
    x, y = (op("Reshape", asexpr(v, label), int64([-1])) for v in (a, b))
    return apply_ufunc(np.matmul, x, y)


@implements(np.inner)
def inner(a: Any, b: Any) -> Expr:
    """``np.inner``: a sum over the last axes."""
    label = "numpy.inner"
    x, y = asexpr(a, label), asexpr(b, label)
    ra, rb = rank_of(x, label), rank_of(y, label)
    if ra == 0 or rb == 0:
        return apply_ufunc(np.multiply, x, y)
    letters = iter(string.ascii_letters)
    left = [next(letters) for _ in range(ra)]
    right = [next(letters) for _ in range(rb - 1)] + left[-1:]
    output = left[:-1] + right[:-1]
    return _einsum(f"{''.join(left)},{''.join(right)}->{''.join(output)}", [x, y], label)


@implements(np.outer, optional("linalg.outer"))
def outer(a: Any, b: Any, out: Any = None) -> Expr:
    """``np.outer`` of the flattened inputs."""
    label = "numpy.outer"
    refuse(label, out=(out, None))
    x = op("Reshape", asexpr(a, label), int64([-1, 1]))
    y = op("Reshape", asexpr(b, label), int64([1, -1]))
    return apply_ufunc(np.multiply, x, y)


@implements(np.tensordot, optional("linalg.tensordot"))
def tensordot(a: Any, b: Any, axes: Any = 2) -> Expr:
    """``np.tensordot``: ``axes`` an int (last of a with first of b) or two axis lists."""
    label = "numpy.tensordot"
    x, y = asexpr(a, label), asexpr(b, label)
    ra, rb = rank_of(x, label), rank_of(y, label)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        axes_a, axes_b = list(range(ra - n, ra)), list(range(n))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"{label}: shape-mismatch for sum")
    axes_a = [normalize_axis(v, ra, label) for v in axes_a]
    axes_b = [normalize_axis(v, rb, label) for v in axes_b]
    letters = iter(string.ascii_letters)
    left = [next(letters) for _ in range(ra)]
    right = [next(letters) for _ in range(rb)]
    for i, j in zip(axes_a, axes_b):
        right[j] = left[i]
    output = [c for i, c in enumerate(left) if i not in axes_a] + [c for j, c in enumerate(right) if j not in axes_b]
    return _einsum(f"{''.join(left)},{''.join(right)}->{''.join(output)}", [x, y], label)


@implements(np.einsum)
def einsum(*operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Expr:
    """``np.einsum`` with a subscripts string (ONNX Einsum; ``optimize`` is onnxruntime's business)."""
    label = "numpy.einsum"
    refuse(label, out=(out, None))
    dtype = kwargs.pop("dtype", None)
    casting = kwargs.pop("casting", "safe")
    kwargs.pop("order", None)  # the memory layout of the result: no meaning for a graph value
    if kwargs:
        raise OnnxNumpyError(f"{label}: unsupported keyword arguments {sorted(kwargs)}.")
    if not operands or not isinstance(operands[0], str):
        raise OnnxNumpyError(f"{label}: give the subscripts as a string first (the interleaved form is not supported).")
    equation = operands[0].replace(" ", "")
    values = list(operands[1:])
    if dtype is not None:
        target = np.dtype(dtype)
        values = [asexpr(v, label) for v in values]
        for v in values:
            if v.dtype is not None and not np.can_cast(v.dtype, target, casting=casting):
                raise TypeError(f"{label}: cannot cast {v.dtype} to {target} with casting rule {casting!r}.")
        values = [cast(v, target) for v in values]
    return _einsum(equation, values, label)


@implements(np.trace)
def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None) -> Expr:
    """``np.trace``: the sums along a diagonal of ``axis1`` and ``axis2`` (the other axes stay)."""
    label = "numpy.trace"
    refuse(label, out=(out, None))
    x = asexpr(a, label)
    rank = rank_of(x, label)
    if rank < 2:
        raise ValueError(f"{label}: diag requires an array of at least two dimensions")
    first, second = normalize_axis(axis1, rank, label), normalize_axis(axis2, rank, label)
    if first == second:
        raise ValueError(f"{label}: axis1 and axis2 cannot be the same")
    others = [i for i in range(rank) if i not in (first, second)]
    moved = op("Transpose", x, perm=[*others, first, second]) if others or first > second else x
    return _diagonal_sum(moved, int(offset), dtype, label)


@implements(optional("linalg.trace"))
def linalg_trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Expr:
    """``np.linalg.trace``: the trace of the last two axes."""
    return trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def _diagonal_sum(x: Expr, offset: int, dtype: Any, label: str) -> Expr:
    """The sum of diagonal ``offset`` of the last two axes of ``x``, in numpy's dtype for a sum."""
    from .reductions import _accumulator

    if x.dtype is None:
        raise OnnxNumpyError(f"{label}: the dtype of {x!r} is unknown; give the input a dtype.")
    target = np.dtype(dtype) if dtype is not None else _accumulator(x.dtype)
    compute = target if target.kind != "b" else np.dtype(np.int64)
    values = cast(x, compute)
    shape = x.shape
    if shape[-1] is not None and shape[-2] is not None:
        mask: Expr = Constant(np.eye(shape[-2], shape[-1], k=offset, dtype=bool))
    else:
        plane = op("ConstantOfShape", op("Slice", op("Shape", x), int64([-2]), int64([np.iinfo(np.int64).max])))
        mask = op("Cast", op("EyeLike", plane, k=offset), to=9)
    masked = select_values(mask, values, Constant(np.zeros((), compute)))
    rank = len(shape)
    return cast(op("ReduceSum", masked, int64([rank - 2, rank - 1]), keepdims=0), target)


def _float(x: Expr) -> Expr:
    dtype = x.dtype
    if dtype is None or dtype.kind == "f":
        return x
    return cast(x, np.dtype(np.float64))


def _vector_norm(x: Expr, ord: Any, axes: list[int] | None, keepdims: bool, label: str = "numpy.linalg.norm") -> Expr:
    if ord is not None and (isinstance(ord, (str, bool)) or not isinstance(ord, (int, float, np.integer, np.floating))):
        raise ValueError(f"{label}: Invalid norm order {ord!r} for vectors")
    magnitude = op("Abs", x)
    if ord is None or ord == 2:
        return op("Sqrt", reduce_sum(op("Mul", x, x), axis=axes, keepdims=keepdims))
    if ord == np.inf:
        return reduce_max(magnitude, axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return reduce_min(magnitude, axis=axes, keepdims=keepdims)
    if ord == 0:
        return cast(reduce_sum(op("Not", op("Equal", x, Constant(np.zeros((), x.dtype)))), axis=axes, keepdims=keepdims), x.dtype)
    if ord == 1:
        return reduce_sum(magnitude, axis=axes, keepdims=keepdims)
    p = Constant(np.asarray(ord, x.dtype))
    total = reduce_sum(op("Pow", magnitude, p), axis=axes, keepdims=keepdims)
    return op("Pow", total, op("Reciprocal", p))


def _matrix_norm(x: Expr, ord: Any, axes: list[int], keepdims: bool, label: str) -> Expr:
    row, col = axes
    magnitude = op("Abs", x)
    if ord in (None, "fro"):
        return op("Sqrt", reduce_sum(op("Mul", x, x), axis=(row, col), keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = reduce_sum(magnitude, axis=summed, keepdims=True)
        pick = reduce_max if ord > 0 else reduce_min
        result = pick(sums, axis=other, keepdims=True)
        return result if keepdims else op("Squeeze", result, int64(sorted((row, col))))
    raise OnnxNumpyError(
        f"{label}: ord={ord!r} needs singular values, which ONNX cannot compute; use ord=None/'fro', 1, -1, inf or -inf."
    )


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Expr:
    """``np.linalg.norm``: vector norms (any ``ord``) and matrix norms (``'fro'``, 1, -1, inf, -inf)."""
    label = "numpy.linalg.norm"
    value = _float(asexpr(x, label))
    rank = rank_of(value, label)
    if axis is None:
        if ord is None:
            return _vector_norm(value, None, None, keepdims)
        if rank == 1:
            return _vector_norm(value, ord, [0], keepdims)
        if rank == 2:
            return _matrix_norm(value, ord, [0, 1], keepdims, label)
        raise ValueError(f"{label}: Improper number of dimensions to norm.")
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    if len(axes) == 1:
        return _vector_norm(value, ord, [normalize_axis(axes[0], rank, label)], keepdims)
    if len(axes) == 2:
        normalized = [normalize_axis(a, rank, label) for a in axes]
        if normalized[0] == normalized[1]:
            raise ValueError(f"{label}: Duplicate axes given.")
        return _matrix_norm(value, ord, normalized, keepdims, label)
    raise ValueError(f"{label}: Improper number of dimensions to norm.")


@implements(optional("linalg.vector_norm"))
def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Expr:
    """``np.linalg.vector_norm``."""
    label = "numpy.linalg.vector_norm"
    value = _float(asexpr(x, label))
    rank = rank_of(value, label)
    if axis is None:
        flat = op("Reshape", value, int64([-1]))
        result = _vector_norm(flat, ord, [0], False, label)
        return op("Reshape", result, int64([1] * rank)) if keepdims else result
    return _vector_norm(value, ord, normalize_axes(axis, rank, label), keepdims, label)


@implements(optional("linalg.matrix_norm"))
def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Expr:
    """``np.linalg.matrix_norm`` over the last two axes."""
    label = "numpy.linalg.matrix_norm"
    value = _float(asexpr(x, label))
    rank = rank_of(value, label)
    return _matrix_norm(value, ord, [rank - 2, rank - 1], keepdims, label)


@implements(np.linalg.det)
def det(a: Any) -> Expr:
    """``np.linalg.det`` of the last two (square) axes; integers are computed in float64, as numpy does.

    float32 uses ONNX Det. onnxruntime has no float64 Det: float64 matrices up
    to 4 x 4 (known now) are computed with the Leibniz formula (a sum of
    signed products), larger ones with ONNX Det (the reference runtime).
    """
    label = "numpy.linalg.det"
    value = _float(asexpr(a, label))
    shape = value.shape
    if shape is not None:
        if len(shape) < 2:
            raise np.linalg.LinAlgError(f"{label}: {len(shape)}-dimensional array given. Array must be at least two-dimensional")
        if None not in shape[-2:] and shape[-1] != shape[-2]:
            raise np.linalg.LinAlgError(f"{label}: Last 2 dimensions of the array must be square")
    n = None if shape is None else shape[-1]
    if value.dtype == np.float64 and n is not None and n <= 4:
        return _leibniz(value, n, len(shape))
    return op("Det", value)


def _leibniz(x: Expr, n: int, rank: int) -> Expr:
    """det = sum over permutations p of sign(p) * prod_i x[i, p(i)], over the last two axes of ``x``."""
    permutations = list(itertools.permutations(range(n)))
    positions = np.array([[i * n + p[i] for i in range(n)] for p in permutations], np.int64).reshape(len(permutations), n)
    signs = np.array([np.linalg.det(np.eye(n)[list(p)]) for p in permutations], x.dtype).round()
    flat = op("Reshape", x, int64([0] * (rank - 2) + [n * n]))
    products = op("ReduceProd", op("Gather", flat, positions, axis=-1), int64([-1]), keepdims=0)
    return op("ReduceSum", op("Mul", products, Constant(signs)), int64([-1]), keepdims=0)


@implements(optional("linalg.vecdot"))
def linalg_vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Expr:
    """``np.linalg.vecdot``: the sum of products along ``axis`` (booleans: any of the ands, as numpy)."""
    product = apply_ufunc(np.multiply, x1, x2)
    if product.dtype == np.bool_:
        from .reductions import any as reduce_any

        return reduce_any(product, axis=axis)
    return reduce_sum(product, axis=axis)


@implements(optional("linalg.matmul"))
def linalg_matmul(x1: Any, x2: Any, /) -> Expr:
    """``np.linalg.matmul``."""
    return apply_ufunc(np.matmul, x1, x2)


__all__ += ["vector_norm", "matrix_norm", "linalg_vecdot", "linalg_matmul", "linalg_trace"]
