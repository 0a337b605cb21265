"""Plans: what numpy's dtype rules decide for one ufunc signature, worked out once and replayed.

``x * 1.01`` on a float32 expression asks the same questions every time (which
loop, which casts, which builder, is the result cast back?). The first call
with a signature (the ufunc and each operand's dtype, or ``float``/``int`` for
a weak Python scalar, or an array's dtype) answers them through the general
path and keeps a plan; later calls replay it, so building through numpy's
protocols costs little more than building the same nodes with ``Onnx*``
classes (``benchmarks/bench_numpy.py``).

Python scalars become cached constants: equal scalars of one dtype are one
``Constant`` object, shared by every node that uses them (constants are
immutable values; the compiler stores each distinct one once anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._context import FLOAT_DTYPE, follow_float_dtype
from .._expr import Constant, Expr
from .._types import TensorType, elem_type_of

__all__ = ["plan_key", "make_plan", "cached_constant", "int64_constant"]

_WEAK = (int, float)
_MAX_CACHED = 4096
_SCALARS: dict[tuple[type, Any, np.dtype], Constant] = {}
_INT64: dict[tuple[int, ...] | int, Constant] = {}


def plan_key(ufunc: np.ufunc, inputs: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The signature a plan is kept under, or None when an operand needs the general path.

    An expression gives its element type (None: unknown, general path), a
    Python ``int``/``float`` its type (weak), a numpy array ``('array',
    dtype.str)`` and the converter's float dtype (arrays follow it inside
    converters). Element types are ints: the key hashes fast.
    """
    key: list[Any] = [ufunc]
    append = key.append
    arrays = False
    for value in inputs:
        kind = type(value)
        if kind is float or kind is int:
            append(kind)
        elif isinstance(value, Expr):
            vtype = value.type
            if not isinstance(vtype, TensorType):
                return None
            append(vtype.elem_type)
        elif kind is np.ndarray:
            append(("array", value.dtype))
            arrays = True
        else:
            return None
    if arrays:
        append(FLOAT_DTYPE.get())
    return tuple(key)


def cached_constant(value: int | float, dtype: np.dtype) -> Constant:
    """A 0-d constant of ``dtype`` for a Python scalar, shared by equal scalars."""
    key = (type(value), value if value or value != value else repr(value), dtype)  # 0.0 and -0.0 differ
    found = _SCALARS.get(key)
    if found is None:
        array = np.asarray(value, dtype)
        array.flags.writeable = False
        found = Constant(array)
        if len(_SCALARS) >= _MAX_CACHED:
            _SCALARS.clear()
        _SCALARS[key] = found
    return found


def int64_constant(values: int | tuple[int, ...]) -> Constant:
    """An int64 constant (0-d for an int, 1-D for a tuple) for axes, starts, shapes; shared by equal ones."""
    found = _INT64.get(values)
    if found is None:
        array = np.asarray(values, np.int64)
        array.flags.writeable = False
        found = Constant(array)
        if len(_INT64) >= _MAX_CACHED:
            _INT64.clear()
        _INT64[values] = found
    return found


Converter = Callable[[Any], Expr] | None


def converter_for(key: Any, loop: np.dtype, compute: np.dtype) -> Converter | bool:
    """How a plan turns an operand of signature ``key`` into an expression of ``compute``.

    None: it already is one; a function: convert it (a weak scalar is checked
    and rounded in numpy's ``loop`` dtype first); False: no plan (a Cast node is
    needed, which the general path builds).
    """
    if key in _WEAK:
        if loop == compute:
            return lambda value: cached_constant(value, compute)
        return lambda value: Constant(cached_constant(value, loop).value.astype(compute))
    if isinstance(key, tuple):  # a numpy array (numeric: strings never get a plan)

        def convert(value: np.ndarray) -> Expr:
            array = follow_float_dtype(value)
            if array.dtype != compute:
                array = array.astype(loop, copy=False).astype(compute, copy=False)
            return Constant(array)

        return convert
    if key == elem_type_of(compute):
        return None
    return False


def make_plan(
    key: tuple[Any, ...],
    loops: tuple[np.dtype, ...],
    compute: tuple[np.dtype, ...],
    build: Callable[[list[Expr], tuple[np.dtype, ...]], Any],
    outs: tuple[np.dtype, ...],
    result: Any,
    compute_args: list[Expr],
    dtype_only: bool,
) -> Callable[[tuple[Any, ...]], Any] | None:
    """A plan replaying a general-path call whose signature is ``key`` and whose ``result`` came out.

    ``compute_args`` are the operands the builder got; ``dtype_only`` says the
    builder decides from dtypes alone (not from constant values, as ``x ** 2``
    or an integer division by a constant do), so a one-node result can be
    replayed as that node's class.

    None when the call needed a Cast of an input (rare: left to the general
    path). The plan returns None when an operand does not fit it (a Python int
    beyond the dtype's range), and the caller takes the general path.
    """
    converters = []
    for operand_key, loop, dtype in zip(key[1 : 1 + len(compute)], loops, compute):
        converter = converter_for(operand_key, loop, dtype)
        if converter is False:
            return None
        converters.append(converter)
    results = result if isinstance(result, tuple) else (result,)
    exact = all(isinstance(r, Expr) and r.dtype == d for r, d in zip(results, outs))
    single = not isinstance(result, tuple)
    node = _one_node(result, compute_args) if exact and single and dtype_only else None
    if node is not None:
        # the builder made one node of the operands, without attributes: make that node directly
        if len(converters) == 2 and converters[0] is None:
            second = converters[1]

            def direct_binary(inputs: tuple[Any, ...]) -> Any:
                a, b = inputs
                if second is not None:
                    try:
                        b = second(b)
                    except (OverflowError, ValueError, TypeError):
                        return None
                return node(a, b)

            return direct_binary
        if converters == [None]:
            return lambda inputs: node(inputs[0])

        def direct(inputs: tuple[Any, ...]) -> Any:
            try:
                args = [value if convert is None else convert(value) for convert, value in zip(converters, inputs)]
            except (OverflowError, ValueError, TypeError):
                return None
            return node(*args)

        return direct

    def plan(inputs: tuple[Any, ...]) -> Any:
        try:
            args = [value if convert is None else convert(value) for convert, value in zip(converters, inputs)]
        except (OverflowError, ValueError, TypeError):
            return None  # the general path says why, or handles it (comparisons beyond an int's range)
        built = build(args, compute)
        if exact:
            return built
        from .promotion import cast

        if single:
            return cast(built, outs[0])
        return tuple(cast(r, d) for r, d in zip(built, outs))

    return plan


def _one_node(result: Any, args: list[Expr]) -> Any:
    """The class of ``result`` when it is one node, without attributes, of exactly ``args``; else None."""
    from .._expr import OnnxOperator, Output

    if not isinstance(result, OnnxOperator) or result.attributes or len(result.inputs) != len(args):
        return None
    for given, arg in zip(result.inputs, args):
        if given is arg or (isinstance(given, Output) and given.op is arg and given.index == 0):
            continue
        return None
    return type(result)
