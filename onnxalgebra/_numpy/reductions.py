"""Reductions with numpy's dtypes and edge cases: sum, mean, std, max, argmax, any, cumsum...

numpy's rules kept: sums of booleans and small integers are int64, means of
integers float64; ``max`` and ``argmax`` see NaN (onnxruntime's ReduceMax
skips it); a mean over an empty axis is NaN (sum / count, as numpy computes
it); ``axis=()`` reduces nothing.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
from onnx import TensorProto

from .._errors import OnnxNumpyError
from .._expr import Constant, Expr
from .._types import TensorType, elem_type_of
from .common import (
    asexpr,
    count_of,
    implements,
    int64,
    known_dims,
    normalize_axes,
    normalize_axis,
    optional,
    rank_of,
    refuse,
    shape_of,
)
from .plans import int64_constant
from .promotion import cast, op

__all__ = [
    "sum",
    "prod",
    "mean",
    "var",
    "std",
    "max",
    "min",
    "argmax",
    "argmin",
    "any",
    "all",
    "cumsum",
    "cumprod",
    "cumulative_sum",
    "cumulative_prod",
    "ptp",
    "count_nonzero",
    "nansum",
    "nanmax",
    "nanmin",
    "nanmean",
    "average",
]

_NO = np._NoValue


def _axes(x: Expr, axis: Any, where: str) -> list[int] | None:
    """Sorted axes to reduce, None for all of them."""
    if axis is None:
        return None
    shape = x.shape
    if shape is None:
        if isinstance(axis, (int, np.integer)) and int(axis) >= 0:
            return [int(axis)]
        if isinstance(axis, (tuple, list)) and builtins.all(int(a) >= 0 for a in axis):
            return sorted(int(a) for a in axis)
        rank_of(x, where)  # raises: a negative axis needs the rank
    return normalize_axes(axis, len(shape), where)


def _reduce(name: str, x: Expr, axes: list[int] | None, keepdims: bool) -> Expr:
    if axes is None:
        return op(name, x, keepdims=int(keepdims))
    if not axes:
        return op("Identity", x)  # numpy reduces nothing; ONNX would reduce every axis
    return op(name, x, int64_constant(tuple(axes)), keepdims=int(keepdims))


def _keep(value: Any) -> bool:
    return False if value is _NO else bool(value)


def _accumulator(dtype: np.dtype) -> np.dtype:
    """The dtype numpy sums and multiplies ``dtype`` in: int64 for booleans and small ints."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return np.dtype(np.int64)
    if dtype.kind == "u" and dtype.itemsize < 8:
        return np.dtype(np.uint64)
    return dtype


def _float_of(dtype: np.dtype) -> np.dtype:
    """The dtype numpy averages ``dtype`` in (float64 for integers and booleans)."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _computed(dtype: np.dtype) -> np.dtype:
    """The dtype ONNX computes a ``dtype`` result in: float32 for float16 (numpy's own accumulator for it),
    int64/uint64 for narrower integers (ReduceSum has no int8 version; the wrap-around is the same)."""
    if dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind in "iu" and dtype.itemsize < 4:
        return np.dtype(np.int64)
    return dtype


def _prepare(a: Any, where: str) -> Expr:
    x = asexpr(a, where)
    if x.dtype is None:
        raise OnnxNumpyError(f"{where}: the dtype of {x!r} is unknown and numpy's result depends on it; give the input a dtype.")
    if x.dtype.kind not in "biuf":
        raise OnnxNumpyError(f"{where}: reductions of {x.dtype} have no ONNX translation.")
    return x


def _additive(
    name: str, numpy_name: str, a: Any, axis: Any, dtype: Any, out: Any, keepdims: Any, initial: Any, where: Any
) -> Expr:
    label = f"numpy.{numpy_name}"
    refuse(label, out=(out, None), where=(where, True))
    x = _prepare(a, label)
    target = np.dtype(dtype) if dtype is not None else _accumulator(x.dtype)
    compute = _computed(target)
    if compute.kind == "b":
        compute = np.dtype(np.int64)
    axes = _axes(x, axis, label)
    if name == "ReduceProd" and compute.kind in "iu" and axes != []:
        result = _integer_product(cast(x, compute), axes, _keep(keepdims), label)
    else:
        result = _reduce(name, cast(x, compute), axes, _keep(keepdims))
    if initial is not _NO and initial is not None:
        result = op("Add" if name == "ReduceSum" else "Mul", result, Constant(np.asarray(initial, compute)))
    return cast(result, target)


def _integer_product(x: Expr, axes: list[int] | None, keepdims: bool, label: str) -> Expr:
    """The product of integers over ``axes``, wrapping around on overflow as numpy does.

    onnxruntime's ReduceProd saturates int64; CumProd wraps: the reduced axes
    are moved last and flattened, a 1 is put in front (the empty product), and
    the last cumulative product is the result.
    """
    rank = rank_of(x, label)
    reduced = list(range(rank)) if axes is None else list(axes)
    others = [i for i in range(rank) if i not in reduced]
    moved = op("Transpose", x, perm=others + reduced) if others + reduced != list(range(rank)) else x
    shape = x.shape
    if shape is not None and None not in shape:
        target: Expr = Constant(int64([shape[i] for i in others] + [int(np.prod([shape[i] for i in reduced], dtype=np.int64))]))
    else:
        dims = op("Shape", x)
        kept = op("Gather", dims, int64(others), axis=0)
        count = op("ReduceProd", op("Gather", dims, int64(reduced), axis=0), keepdims=1)
        target = op("Concat", kept, count, axis=0)
    flat = op("Reshape", moved, target, allowzero=1)
    last = len(others)
    pads = np.zeros(2 * (last + 1), np.int64)
    pads[last] = 1
    padded = op("Pad", flat, int64(pads), Constant(np.ones((), x.dtype)))
    product = op("Slice", op("CumProd", padded, int64(last)), int64([-1]), int64([np.iinfo(np.int64).max]), int64([last]))
    result = op("Squeeze", product, int64([last]))
    if keepdims:
        result = op("Unsqueeze", result, int64(sorted(reduced)))
    return result


@implements(np.sum)
def sum(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO
) -> Expr:
    """``np.sum`` (bool and small ints sum in int64, as numpy)."""
    if dtype is None and out is None and initial is _NO and where is _NO and isinstance(a, Expr):
        fast = _one_float_reduction("ReduceSum", a, axis, keepdims)
        if fast is not None:
            return fast
    return _additive("ReduceSum", "sum", a, axis, dtype, out, keepdims, initial, where)


_FLOATS = (TensorProto.FLOAT, TensorProto.DOUBLE)


def _one_float_reduction(name: str, x: Expr, axis: Any, keepdims: Any) -> Expr | None:
    """The common case built directly: a float32/float64 tensor of known rank, axis None, an int or a tuple
    of ints. None for anything else, which the general path handles (and explains)."""
    vtype = x.type
    if not isinstance(vtype, TensorType) or vtype.elem_type not in _FLOATS or vtype.shape is None:
        return None
    rank = len(vtype.shape)
    keep = 0 if keepdims is _NO or not keepdims else 1
    if axis is None:
        return op(name, x, keepdims=keep)
    if type(axis) is int:
        if not -rank <= axis < rank:
            return None
        axes: tuple[int, ...] = (axis % rank,)
    elif type(axis) is tuple and axis and builtins.all(type(a) is int and -rank <= a < rank for a in axis):
        axes = tuple(sorted({a % rank for a in axis}))
        if len(axes) != len(axis):
            return None
    else:
        return None
    return op(name, x, int64_constant(axes), keepdims=keep)


@implements(np.prod)
def prod(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO
) -> Expr:
    """``np.prod``."""
    return _additive("ReduceProd", "prod", a, axis, dtype, out, keepdims, initial, where)


def _mean_of(x: Expr, axes: list[int] | None, keepdims: bool, compute: np.dtype) -> Expr:
    total = _reduce("ReduceSum", cast(x, compute), axes, keepdims)
    if axes == []:
        return total
    return op("Div", total, count_of(x, axes, compute))


@implements(np.mean)
def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NO, *, where: Any = _NO) -> Expr:
    """``np.mean``: the sum divided by the count, as numpy computes it (NaN over an empty axis)."""
    label = "numpy.mean"
    refuse(label, out=(out, None), where=(where, True))
    x = _prepare(a, label)
    target = np.dtype(dtype) if dtype is not None else _float_of(x.dtype)
    compute = _computed(_float_of(target))
    return cast(_mean_of(x, _axes(x, axis, label), _keep(keepdims), compute), target)


def _variance(
    name: str, a: Any, axis: Any, dtype: Any, out: Any, ddof: Any, keepdims: Any, where: Any, mean: Any, correction: Any
) -> tuple[Expr, np.dtype]:
    label = f"numpy.{name}"
    refuse(label, out=(out, None), where=(where, True), mean=(mean, None))
    if correction is not _NO and correction is not None:
        if ddof:
            raise ValueError(f"{label}: ddof and correction can't be provided simultaneously.")
        ddof = correction
    x = _prepare(a, label)
    target = np.dtype(dtype) if dtype is not None else _float_of(x.dtype)
    compute = _computed(_float_of(target))
    axes = _axes(x, axis, label)
    keep = _keep(keepdims)
    xf = cast(x, compute)
    deviation = op("Sub", xf, _mean_of(xf, axes, True, compute))
    squares = _reduce("ReduceSum", op("Mul", deviation, deviation), axes, keep)
    count = count_of(x, axes, compute)
    if ddof:
        count = op("Max", op("Sub", count, Constant(np.asarray(ddof, compute))), Constant(np.zeros((), compute)))
    return op("Div", squares, count), target


@implements(np.var)
def var(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = _NO,
    *,
    where: Any = _NO,
    mean: Any = _NO,
    correction: Any = _NO,
) -> Expr:
    """``np.var`` (``ddof`` and ``correction`` included)."""
    result, target = _variance("var", a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return cast(result, target)


@implements(np.std)
def std(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = _NO,
    *,
    where: Any = _NO,
    mean: Any = _NO,
    correction: Any = _NO,
) -> Expr:
    """``np.std``: the square root of :func:`var`."""
    result, target = _variance("std", a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return cast(op("Sqrt", result), target)


def _nan_aware(name: str, x: Expr, axes: list[int] | None, keep: bool) -> Expr:
    """ReduceMax/ReduceMin that give NaN when the reduced values hold one (numpy's rule)."""
    result = _reduce(name, x, axes, keep)
    if x.dtype is None or x.dtype.kind != "f" or axes == []:
        return result
    has_nan = _reduce("ReduceMax", op("Cast", op("IsNaN", x), to=2), axes, keep)
    nan = Constant(np.asarray(np.nan, x.dtype))
    return op("Where", op("Cast", has_nan, to=9), nan, result)


def _refuse_empty(x: Expr, axes: list[int] | None, label: str, what: str) -> None:
    """numpy's ValueError when a reduced axis is known to be empty now."""
    shape = x.shape
    if shape is None:
        return
    reduced = range(len(shape)) if axes is None else axes
    if builtins.any(shape[i] == 0 for i in reduced):
        raise ValueError(f"{label}: {what}")


def _extreme(
    name: str,
    numpy_name: str,
    a: Any,
    axis: Any,
    out: Any,
    keepdims: Any,
    initial: Any,
    where: Any,
    skip_nan: bool = False,
    label: str | None = None,
) -> Expr:
    label = label or f"numpy.{numpy_name}"
    refuse(label, out=(out, None), where=(where, True))
    x = _prepare(a, label)
    axes = _axes(x, axis, label)
    has_initial = initial is not _NO and initial is not None
    if not has_initial:
        reduction = "maximum" if name == "ReduceMax" else "minimum"
        _refuse_empty(
            x, axes, label, f"zero-size array to reduction operation {reduction} which has no identity; pass initial=..."
        )
    dtype = x.dtype
    source = x
    if dtype.kind == "b" or (dtype.itemsize < 4 and dtype.kind in "iu") or dtype == np.float16:
        source = op("Cast", x, to=elem_type_of(np.float32 if dtype == np.float16 else np.int32))
    if skip_nan and dtype.kind == "f":
        fill = -np.inf if name == "ReduceMax" else np.inf
        nan = op("IsNaN", source)
        result = _reduce(name, op("Where", nan, Constant(np.asarray(fill, source.dtype)), source), axes, _keep(keepdims))
        if not has_initial:  # an all-NaN slice is NaN (numpy warns)
            valid = _reduce("ReduceMax", op("Cast", op("Not", nan), to=2), axes, _keep(keepdims))
            result = op("Where", op("Cast", valid, to=9), result, Constant(np.asarray(np.nan, source.dtype)))
    else:
        result = _nan_aware(name, source, axes, _keep(keepdims))
    if has_initial:
        result = op("Max" if name == "ReduceMax" else "Min", result, Constant(np.asarray(initial, result.dtype)))
    return cast(result, dtype)


@implements(np.max, optional("amax"))
def max(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO) -> Expr:
    """``np.max`` (NaN propagates, as in numpy)."""
    return _extreme("ReduceMax", "max", a, axis, out, keepdims, initial, where)


@implements(np.min, optional("amin"))
def min(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO) -> Expr:
    """``np.min`` (NaN propagates, as in numpy)."""
    return _extreme("ReduceMin", "min", a, axis, out, keepdims, initial, where)


@implements(np.nanmax)
def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO) -> Expr:
    """``np.nanmax``: NaN ignored (an all-NaN slice gives NaN, where numpy also warns)."""
    return _extreme("ReduceMax", "nanmax", a, axis, out, keepdims, initial, where, skip_nan=True)


@implements(np.nanmin)
def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO) -> Expr:
    """``np.nanmin``: NaN ignored."""
    return _extreme("ReduceMin", "nanmin", a, axis, out, keepdims, initial, where, skip_nan=True)


@implements(np.nansum)
def nansum(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NO, initial: Any = _NO, where: Any = _NO
) -> Expr:
    """``np.nansum``: NaN counted as zero."""
    x = _prepare(a, "numpy.nansum")
    if x.dtype.kind == "f":
        x = op("Where", op("IsNaN", x), Constant(np.zeros((), x.dtype)), x)
    return _additive("ReduceSum", "nansum", x, axis, dtype, out, keepdims, initial, where)


@implements(np.nanmean)
def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NO, *, where: Any = _NO) -> Expr:
    """``np.nanmean``: the mean of the values that are not NaN."""
    label = "numpy.nanmean"
    refuse(label, out=(out, None), where=(where, True))
    x = _prepare(a, label)
    if x.dtype.kind != "f":
        return mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    target = np.dtype(dtype) if dtype is not None else x.dtype
    compute = _computed(target)
    axes = _axes(x, axis, label)
    keep = _keep(keepdims)
    xf = cast(x, compute)
    valid = op("Not", op("IsNaN", xf))
    total = _reduce("ReduceSum", op("Where", valid, xf, Constant(np.zeros((), compute))), axes, keep)
    count = _reduce("ReduceSum", op("Cast", valid, to=elem_type_of(compute)), axes, keep)
    return cast(op("Div", total, count), target)


def _arg(name: str, numpy_name: str, a: Any, axis: Any, out: Any, keepdims: Any) -> Expr:
    label = f"numpy.{numpy_name}"
    refuse(label, out=(out, None))
    x = _prepare(a, label)
    _refuse_empty(x, None if axis is None else _axes(x, axis, label), label, f"attempt to get {numpy_name} of an empty sequence")
    keep = _keep(keepdims)
    rank = None
    if axis is None:
        rank = rank_of(x, label) if keep else None
        x = op("Reshape", x, int64([-1]))
        index = 0
    else:
        (index,) = _axes(x, axis, label)
    dtype = x.dtype
    if dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize < 4) or dtype == np.float16:
        x = op("Cast", x, to=elem_type_of(np.float32 if dtype == np.float16 else np.int32))
    result = op(name, x, axis=index, keepdims=int(keep))
    if dtype.kind == "f":  # numpy returns the first NaN; onnxruntime skips NaN
        nan = op("Cast", op("IsNaN", x), to=2)
        first_nan = op("ArgMax", nan, axis=index, keepdims=int(keep))
        has_nan = op("Cast", op("ReduceMax", nan, int64([index]), keepdims=int(keep)), to=9)
        result = op("Where", has_nan, first_nan, result)
    if rank is not None:
        result = op("Reshape", result, int64([1] * rank))
    return result


@implements(np.argmax)
def argmax(a: Any, axis: Any = None, out: Any = None, *, keepdims: Any = _NO) -> Expr:
    """``np.argmax``: int64, the first maximum (the first NaN if any)."""
    return _arg("ArgMax", "argmax", a, axis, out, keepdims)


@implements(np.argmin)
def argmin(a: Any, axis: Any = None, out: Any = None, *, keepdims: Any = _NO) -> Expr:
    """``np.argmin``: int64, the first minimum (the first NaN if any)."""
    return _arg("ArgMin", "argmin", a, axis, out, keepdims)


def _logical(name: str, numpy_name: str, a: Any, axis: Any, out: Any, keepdims: Any, where: Any) -> Expr:
    label = f"numpy.{numpy_name}"
    refuse(label, out=(out, None), where=(where, True))
    x = _prepare(a, label)
    flags = x if x.dtype == np.bool_ else op("Cast", x, to=9)
    result = _reduce(name, op("Cast", flags, to=2), _axes(x, axis, label), _keep(keepdims))
    return op("Cast", result, to=9)


@implements(np.any)
def any(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, *, where: Any = _NO) -> Expr:
    """``np.any`` (False over an empty axis)."""
    return _logical("ReduceMax", "any", a, axis, out, keepdims, where)


@implements(np.all)
def all(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, *, where: Any = _NO) -> Expr:
    """``np.all`` (True over an empty axis)."""
    return _logical("ReduceMin", "all", a, axis, out, keepdims, where)


def _accumulate(
    name: str, label: str, a: Any, axis: Any, dtype: Any, out: Any, include_initial: bool = False, strict_axis: bool = False
) -> Expr:
    """CumSum/CumProd along ``axis`` (flattened when None), with numpy's accumulator dtypes."""
    refuse(label, out=(out, None))
    x = _prepare(a, label)
    target = np.dtype(dtype) if dtype is not None else _accumulator(x.dtype)
    if axis is None:
        if strict_axis and x.shape is not None and len(x.shape) > 1:
            raise ValueError(f"{label}: for arrays which have more than one dimension ``axis`` argument is required.")
        x = op("Reshape", x, int64([-1]))
        index = 0
    elif x.shape == ():
        x = op("Reshape", x, int64([1]))  # numpy accumulates a 0-d value as a 1-element vector
        (index,) = _axes(x, axis, label)
    else:
        (index,) = _axes(x, axis, label)
    compute = _computed(target if target.kind != "b" else np.dtype(np.int64))
    values = cast(x, compute)
    result = op(name, values, int64(index))
    if include_initial:
        start = np.asarray(0 if name == "CumSum" else 1, compute)
        dims = values.shape
        if dims is not None and builtins.all(d is not None for d in dims):
            first = Constant(np.full([1 if i == index else d for i, d in enumerate(dims)], start))
        else:
            on_axis = Constant(np.arange(rank_of(values, label)) == index)
            first = op("Expand", Constant(start), op("Where", on_axis, Constant(int64(1)), op("Shape", values)))
        result = op("Concat", first, result, axis=index)
    return cast(result, target)


@implements(np.cumsum)
def cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Expr:
    """``np.cumsum`` (``axis=None`` flattens first; bool and small ints accumulate in int64)."""
    return _accumulate("CumSum", "numpy.cumsum", a, axis, dtype, out)


@implements(np.cumprod)
def cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Expr:
    """``np.cumprod`` (ONNX CumProd; ``axis=None`` flattens first; bool and small ints multiply in int64)."""
    return _accumulate("CumProd", "numpy.cumprod", a, axis, dtype, out)


@implements(optional("cumulative_sum"))
def cumulative_sum(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial: bool = False) -> Expr:
    """``np.cumulative_sum`` (``axis`` needed beyond 1-D; ``include_initial`` starts with 0)."""
    return _accumulate("CumSum", "numpy.cumulative_sum", x, axis, dtype, out, bool(include_initial), strict_axis=True)


@implements(optional("cumulative_prod"))
def cumulative_prod(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial: bool = False) -> Expr:
    """``np.cumulative_prod`` (``axis`` needed beyond 1-D; ``include_initial`` starts with 1)."""
    return _accumulate("CumProd", "numpy.cumulative_prod", x, axis, dtype, out, bool(include_initial), strict_axis=True)


@implements(np.ptp)
def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO) -> Expr:
    """``np.ptp``: max - min (booleans have no subtraction, as in numpy)."""
    label = "numpy.ptp"
    x = _prepare(a, label)
    if x.dtype.kind == "b":
        raise TypeError(f"{label}: numpy boolean subtract is not supported; cast to an integer dtype first.")
    high = _extreme("ReduceMax", "ptp", x, axis, out, keepdims, _NO, _NO, label=label)
    low = _extreme("ReduceMin", "ptp", x, axis, None, keepdims, _NO, _NO, label=label)
    return op("Sub", high, low)


@implements(np.count_nonzero)
def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Expr:
    """``np.count_nonzero``: int64."""
    x = _prepare(a, "numpy.count_nonzero")
    flags = x if x.dtype == np.bool_ else op("Cast", x, to=9)
    return sum(flags, axis=axis, keepdims=keepdims)


def _known_size(x: Expr) -> int | None:
    shape = x.shape
    if shape is None or builtins.any(d is None for d in shape):
        return None
    return int(np.prod(shape, dtype=np.int64))


def _weights_along(w: Expr, x: Expr, axis: Any, label: str) -> Expr:
    """Weights of another shape than ``a`` made broadcastable along ``axis``, as numpy does."""
    if axis is None:
        raise TypeError(f"{label}: axis must be specified when shapes of a and weights differ.")
    rank = rank_of(x, label)
    given = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    axes = [normalize_axis(v, rank, label) for v in given]
    if w.shape is not None and (
        len(w.shape) != len(axes) or builtins.any(d is not None and x.shape[a] not in (None, d) for d, a in zip(w.shape, axes))
    ):
        raise ValueError(f"{label}: shape of weights must be consistent with shape of a along specified axis.")
    if len(axes) > 1:
        w = op("Transpose", w, perm=[int(i) for i in np.argsort(axes)])
    others = [i for i in range(rank) if i not in axes]
    return op("Unsqueeze", w, int64(others)) if others else w


@implements(np.average)
def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims: Any = _NO) -> Any:
    """``np.average``: the mean, or ``sum(a * w) / sum(w)`` with weights (of ``a``'s shape, or along ``axis``).

    With ``returned=True`` the sum of the weights (the count without weights)
    comes second, in the shape of the average, as numpy gives it.
    """
    from .promotion import operand, result_dtype, to_dtype

    label = "numpy.average"
    x = _prepare(a, label)
    keep = _keep(keepdims)
    axes = _axes(x, axis, label)
    if weights is None:
        result = mean(x, axis=axis, keepdims=keepdims)
        if _known_size(result) == 0:  # numpy divides a.size by avg.size
            raise ZeroDivisionError(f"{label}: division by zero (the average of an empty result).")
        if not returned:
            return result
        return result, op("Expand", count_of(x, axes, result.dtype), shape_of(result))
    w_item = operand(weights, label)
    compute = result_dtype([operand(x, label), w_item])
    if x.dtype.kind in "biu":
        compute = np.result_type(compute, np.float64)
    compute = _computed(_float_of(compute))
    w = to_dtype(w_item, compute, label)
    xf = cast(x, compute)
    if w.shape is None or x.shape is None or len(w.shape) != len(x.shape):
        w = _weights_along(w, x, axis, label)
    total = _reduce("ReduceSum", op("Mul", xf, w), axes, keep)
    reduced = known_dims(x, range(len(x.shape)) if axes is None else axes) if x.shape is not None else None
    if reduced == 0 and _known_size(total) not in (None, 0):
        raise ZeroDivisionError(f"{label}: weights sum to zero, can't be normalized (an empty axis).")
    scale = _reduce("ReduceSum", op("Expand", w, shape_of(xf)), axes, keep)
    result = op("Div", total, scale)
    return (result, scale) if returned else result
