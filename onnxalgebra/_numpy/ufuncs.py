"""numpy's ufuncs on expressions: one table, ufunc -> the ONNX graph computing it.

:func:`apply_ufunc` is the single path of ``np.exp(x)``, ``x + 1`` and
``np.add(x, 1)``: numpy resolves the loop dtypes (so the result has numpy's
dtype), the operands are cast to them, and the table's builder makes the
nodes. Builders get operands already in the loop dtypes and follow numpy's
definition where ONNX's operator differs (``%`` takes the divisor's sign,
``//`` floors, ``maximum`` propagates NaN, integer division by zero gives 0).
Integers narrower than 32 bits and float16 are computed in int32/float32 and
cast back, as onnxruntime has few kernels for them; the wrap-around of
integer arithmetic is the same. onnxruntime has no float64 kernel for Tan,
Atan, Asin, Acos and the hyperbolic functions but Tanh: in float64 they are
formulas of Sin, Cos, Exp and Log accurate to a few ulp.

Signs of zero: -0.0 and 0.0 are equal values, and numpy itself varies on
them (``maximum(0.0, -0.0)`` depends on its SIMD path). Where the sign of a
zero is the point (``signbit``, ``copysign``, ``arctan2``'s quadrants,
``heaviside``) it follows numpy, given by a multiplication by +-1 since
onnxruntime's Where may turn a -0.0 it selects into 0.0; elsewhere a zero
result may be +0.0 where numpy gives -0.0 (``trunc(-0.5)``, ``-4.0 % 2``),
rather than costing every ``tanh``, ``%`` or ``//`` eight more nodes.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .._context import FLOAT_DTYPE
from .._errors import OnnxNumpyError
from .._expr import Constant, Expr
from .._types import TensorType, elem_type_of
from .plans import make_plan, plan_key
from .promotion import Operand, cast, constant, loop_dtypes, op, operand, to_dtype

__all__ = ["apply_ufunc", "apply_binary", "ufunc_method", "UFUNCS", "supported_ufuncs"]

Builder = Callable[[list[Expr], tuple[np.dtype, ...]], Any]

# dtypes onnxruntime computes poorly or not at all -> the dtype they are computed in.
_COMPUTE = {
    np.dtype(np.int8): np.dtype(np.int32),
    np.dtype(np.int16): np.dtype(np.int32),
    np.dtype(np.uint8): np.dtype(np.int32),
    np.dtype(np.uint16): np.dtype(np.int32),
    np.dtype(np.uint32): np.dtype(np.int64),
    np.dtype(np.float16): np.dtype(np.float32),
}


class UfuncEntry(NamedTuple):
    """How one ufunc is built: ``build(args, dtypes)``, and the plain ONNX operator for untyped operands."""

    build: Builder
    untyped: str | None = None


def _kind(dtypes: tuple[np.dtype, ...]) -> str:
    """'b', 'i' (signed or unsigned) or 'f': the kind of the loop's first input."""
    kind = dtypes[0].kind
    return "i" if kind == "u" else kind


def _zero(x: Expr, dtype: np.dtype) -> Constant:
    return Constant(np.zeros((), dtype))


def _scalar(value: Any, dtype: np.dtype) -> Constant:
    return Constant(np.asarray(value, dtype))


def _plain(name: str, **attributes: Any) -> Builder:
    return lambda args, dtypes: op(name, *args, **attributes)


def _by_kind(b: Builder | None = None, i: Builder | None = None, f: Builder | None = None) -> Builder:
    """A builder choosing by the loop's kind (bool, integer, float)."""
    table = {"b": b, "i": i, "f": f}

    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Any:
        chosen = table.get(_kind(dtypes))
        if chosen is None:  # numpy has this loop, ONNX no operator for it
            raise OnnxNumpyError(f"no ONNX translation for dtype {dtypes[0]}")
        return chosen(args, dtypes)

    return build


def _identity(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Identity", args[0])


def _is_negative(x: Expr, dtype: np.dtype) -> Expr:
    """numpy's signbit of a float: x < 0, or x is -0.0 (1 / -0.0 is -inf); False for NaN."""
    zero = _zero(x, dtype)
    negative_zero = op("And", op("Equal", x, zero), op("Less", op("Reciprocal", x), zero))
    return op("Or", op("Less", x, zero), negative_zero)


def _unit(negative: Expr, dtype: np.dtype) -> Expr:
    """-1 where ``negative``, else 1."""
    return op("Where", negative, _scalar(-1, dtype), _scalar(1, dtype))


def _signed(magnitude: Expr, negative: Expr, dtype: np.dtype) -> Expr:
    """``magnitude`` (>= 0 or NaN) made negative where ``negative``: -0.0 included, unlike a Where."""
    return op("Mul", magnitude, _unit(negative, dtype))


def _sign_of(result: Expr, x: Expr, dtype: np.dtype) -> Expr:
    """``result`` (>= 0, computed from ``|x|``) with the sign of ``x``: one Mul by Sign(x).

    A zero result comes out +0.0 where numpy may give -0.0: signed zeros are
    equal values, and keeping their sign costs eight nodes in every call.
    """
    return op("Mul", op("Sign", x), result)


# -- division and remainders --------------------------------------------------------------------


def _safe_divisor(b: Expr, dtype: np.dtype) -> tuple[Expr, Expr | None]:
    """An integer divisor without zeros, and the mask of its zeros (None when it has none).

    numpy gives 0 for an integer divided by 0; onnxruntime stops (or the process does).
    """
    if isinstance(b, Constant) and not b.deferred:
        zero = b.value == 0
        if not zero.any():
            return b, None
        return Constant(np.where(zero, 1, b.value).astype(dtype)), Constant(zero)
    zero = op("Equal", b, _zero(b, dtype))
    return op("Where", zero, _scalar(1, dtype), b), zero


def _quotient(a: Expr, b: Expr, dtype: np.dtype) -> Expr:
    """``a / b`` of integers, b != 0, truncated toward 0 (ONNX Div): by -1 it is 0 - a.

    The most negative integer divided by -1 overflows, and onnxruntime's Div
    then kills the process (SIGFPE); numpy gives the wrapped-around value,
    which 0 - a is.
    """
    if dtype.kind == "u":
        return op("Div", a, b)
    if isinstance(b, Constant) and not b.deferred:
        minus_one = b.value == -1
        if not minus_one.any():
            return op("Div", a, b)
        divisor: Expr = Constant(np.where(minus_one, 1, b.value).astype(dtype))
        mask: Expr = Constant(minus_one)
    else:
        mask = op("Equal", b, _scalar(-1, dtype))
        divisor = op("Where", mask, _scalar(1, dtype), b)
    quotient = op("Div", a, divisor)
    return op("Where", mask, op("Sub", _zero(a, dtype), quotient), quotient)


def _zero_where(mask: Expr | None, result: Expr, dtype: np.dtype) -> Expr:
    return result if mask is None else op("Where", mask, _zero(result, dtype), result)


def _int_floor_divide(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # the truncated quotient, one less where the remainder is nonzero and of the other sign than b
    # (a - a mod b, an exact multiple of b, would overflow for a near the dtype's minimum)
    a, b = args
    dtype = dtypes[0]
    b, zero = _safe_divisor(b, dtypes[1])
    quotient = _quotient(a, b, dtype)
    if dtype.kind != "u":
        rem = op("Mod", a, b, fmod=1)
        zero_value = _zero(a, dtype)
        below = op(
            "And", op("Not", op("Equal", rem, zero_value)), op("Xor", op("Less", rem, zero_value), op("Less", b, zero_value))
        )
        quotient = op("Sub", quotient, op("Cast", below, to=elem_type_of(dtype)))
    return _zero_where(zero, quotient, dtype)


def _float_remainder_parts(a: Expr, b: Expr, dtype: np.dtype) -> tuple[Expr, Expr]:
    """numpy's divmod for floats: (floor quotient, remainder with the divisor's sign).

    As numpy: mod = fmod(a, b); the quotient (a - mod) / b, an integer up to
    rounding, is snapped to the nearest one; mod moves into b's sign (one b
    added, one taken from the quotient); b == 0 gives (a / b, NaN).
    """
    zero = _zero(a, dtype)
    mod = op("Mod", a, b, fmod=1)
    fix = op("And", op("Not", op("Equal", mod, zero)), op("Xor", op("Less", mod, zero), op("Less", b, zero)))
    # mod + (b where fix, else 0), not Where(fix, mod + b, mod): onnxruntime's optimizer drops
    # an Add of a float64 constant that is 0 once cast to float32 (b = 1e-50), unless it feeds a Where
    rem = op("Add", mod, op("Where", fix, b, zero))
    div = op("Div", op("Sub", a, mod), b)
    div = op("Sub", div, op("Cast", fix, to=elem_type_of(dtype)))
    floor = op("Floor", div)
    floor = op("Add", floor, op("Cast", op("Greater", op("Sub", div, floor), _scalar(0.5, dtype)), to=elem_type_of(dtype)))
    quotient = op("Where", op("Equal", b, zero), op("Div", a, b), floor)
    return quotient, rem


def _float_floor_divide(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return _float_remainder_parts(args[0], args[1], dtypes[0])[0]


def _int_remainder(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    a, b = args
    b, zero = _safe_divisor(b, dtypes[1])
    return _zero_where(zero, op("Mod", a, b, fmod=0), dtypes[0])


def _float_remainder(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return _float_remainder_parts(args[0], args[1], dtypes[0])[1]


def _int_fmod(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    a, b = args
    b, zero = _safe_divisor(b, dtypes[1])
    return _zero_where(zero, op("Mod", a, b, fmod=1), dtypes[0])


def _divmod(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> tuple[Expr, Expr]:
    if _kind(dtypes) == "f":
        return _float_remainder_parts(args[0], args[1], dtypes[0])
    return _int_floor_divide(args, dtypes), _int_remainder(args, dtypes)


def _true_divide(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Div", *args)


# -- powers, exponentials, logarithms -------------------------------------------------------------


def _constant_scalar(x: Expr) -> Any:
    """The value of a 0-d (or size-1 broadcastable) constant, else None."""
    if isinstance(x, Constant) and not x.deferred and x.value.ndim == 0:
        return x.value.item()
    return None


def _power(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    base, exponent = args
    k = _constant_scalar(exponent)
    if _kind(dtypes) == "i":
        if isinstance(exponent, Constant) and not exponent.deferred and (exponent.value < 0).any():
            raise OnnxNumpyError("numpy.power: Integers to negative integer powers are not allowed.")
        if k == 2:
            return op("Mul", base, base)
        # onnxruntime's integer Pow goes through double: exact below 2**53, as int64 products are.
        return op("Pow", base, exponent)
    if _kind(dtypes) == "b":
        raise OnnxNumpyError("numpy.power has no boolean loop")
    if k == 2:
        return op("Mul", base, base)
    if k == 1:
        return op("Identity", base)
    return op("Pow", base, exponent)


def _expm1(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # Kahan: with u = exp(x), (u - 1) * (x / log(u)) is accurate where u - 1 alone cancels.
    x = args[0]
    dtype = dtypes[0]
    one = _scalar(1, dtype)
    u = op("Exp", x)
    um1 = op("Sub", u, one)
    exact = op("Mul", um1, op("Div", x, op("Log", u)))
    result = op("Where", op("Equal", u, one), x, exact)
    result = op("Where", op("Equal", um1, _scalar(-1, dtype)), _scalar(-1, dtype), result)
    return op("Where", op("IsInf", u), um1, result)


def _log1p(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # Goldberg: with u = 1 + x, log(u) * (x / (u - 1)) is accurate for small x.
    x = args[0]
    dtype = dtypes[0]
    one = _scalar(1, dtype)
    u = op("Add", x, one)
    exact = op("Mul", op("Log", u), op("Div", x, op("Sub", u, one)))
    result = op("Where", op("Equal", u, one), x, exact)
    return op("Where", op("IsInf", u), op("Log", u), result)  # NaN below -1


def _log_base(base: float) -> Builder:
    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        return op("Div", op("Log", args[0]), _scalar(math.log(base), dtypes[0]))

    return build


def _exp2(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Pow", _scalar(2, dtypes[0]), args[0])


def _logaddexp(base2: bool) -> Builder:
    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        a, b = args
        dtype = dtypes[0]
        m = op("Max", a, b)
        gap = op("Neg", op("Abs", op("Sub", a, b)))
        if base2:
            tail = op("Div", _log1p([op("Pow", _scalar(2, dtype), gap)], dtypes), _scalar(math.log(2), dtype))
            same = op("Add", a, _scalar(1, dtype))
        else:
            tail = _log1p([op("Exp", gap)], dtypes)
            same = op("Add", a, _scalar(math.log(2), dtype))
        return op("Where", op("Equal", a, b), same, op("Add", m, tail))

    return build


def _cbrt(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # |x| ** (1/3) is off by |log x| * ulp (1/3 is rounded); one Newton step, y - (y - a / y**2) / 3, fixes it.
    x = args[0]
    dtype = dtypes[0]
    a = op("Abs", x)
    y = op("Pow", a, _scalar(1 / 3, dtype))
    y = op("Sub", y, op("Div", op("Sub", y, op("Div", a, op("Mul", y, y))), _scalar(3, dtype)))
    root = op("Where", op("Or", op("Equal", a, _zero(a, dtype)), op("IsInf", a)), a, y)
    return _sign_of(root, x, dtype)


# -- rounding, signs, classification -----------------------------------------------------------


def _trunc(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    x = args[0]
    return op("Where", op("Less", x, _zero(x, dtypes[0])), op("Ceil", x), op("Floor", x))


def _sign(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Sign", args[0])  # Sign(NaN) is NaN in both runtimes, as in numpy


def _all_like(value: bool) -> Builder:
    """isnan/isinf (False) or isfinite (True) of integers: a constant of the input's shape."""

    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        same = op("Equal", args[0], args[0])
        return same if value else op("Not", same)

    return build


def _isfinite(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    x = args[0]
    return op("Not", op("Or", op("IsNaN", x), op("IsInf", x)))


def _signbit(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    x = args[0]
    if _kind(dtypes) != "f":
        return op("Less", x, _zero(x, dtypes[0]))
    return _is_negative(x, dtypes[0])


def _copysign(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    a, b = args
    return _signed(op("Abs", a), _is_negative(b, dtypes[1]), dtypes[0])


def _heaviside(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # 0 below 0, h at 0 (its sign too: heaviside(0, -0.0) is -0.0), 1 above, NaN for NaN
    x, h = args
    dtype = dtypes[0]
    zero = _zero(x, dtype)
    at_zero = op("Equal", x, zero)
    step = op("Where", op("Less", x, zero), zero, op("Where", at_zero, op("Abs", h), _scalar(1, dtype)))
    step = op("Where", op("IsNaN", x), x, step)
    return _signed(step, op("And", at_zero, _is_negative(h, dtype)), dtype)


def _absolute(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    if dtypes[0].kind in "bu":
        return op("Identity", args[0])
    return op("Abs", args[0])


def _negative(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    if dtypes[0].kind == "u":
        return op("Sub", _zero(args[0], dtypes[0]), args[0])  # wraps around, as numpy does
    return op("Neg", args[0])


def _reciprocal(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    if _kind(dtypes) == "f":
        return op("Reciprocal", args[0])
    x = args[0]
    safe, zero = _safe_divisor(x, dtypes[0])
    return _zero_where(zero, op("Div", _scalar(1, dtypes[0]), safe), dtypes[0])


def _square(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Mul", args[0], args[0])


def _scale(factor: float) -> Builder:
    return lambda args, dtypes: op("Mul", args[0], _scalar(factor, dtypes[0]))


def _atan(x: Expr, dtype: np.dtype) -> Expr:
    """arctan: onnxruntime's Atan, or in float64 (no kernel there) a refined float32 one.

    |x| > 1 is folded into r = 1/|x| <= 1 (atan = pi/2 - atan(r)); y0 = atan(r)
    in float32, then one Newton step on sin(y) - r cos(y), which converges
    cubically here (the second derivative vanishes at the root): full float64
    precision from float32's 1e-7.
    """
    if dtype != np.float64:
        return op("Atan", x)
    one = _scalar(1, dtype)
    a = op("Abs", x)
    inverted = op("Greater", a, one)
    r = op("Where", inverted, op("Div", one, a), a)
    y = op("Cast", op("Atan", op("Cast", r, to=1)), to=11)
    sin, cos = op("Sin", y), op("Cos", y)
    y = op("Sub", y, op("Div", op("Sub", sin, op("Mul", r, cos)), op("Add", cos, op("Mul", r, sin))))
    y = op("Where", inverted, op("Sub", _scalar(math.pi / 2, dtype), y), y)
    return _signed(y, _is_negative(x, dtype), dtype)


def _arctan2(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # The angle of (|x|, |y|) in [0, pi/2], reflected for a negative x (-0.0 included), then y's sign.
    y, x = args
    dtype = dtypes[0]
    ay, ax = op("Abs", y), op("Abs", x)
    pi = _scalar(math.pi, dtype)
    x_negative = _is_negative(x, dtype)
    base = _atan(op("Div", ay, ax), dtype)  # NaN for 0/0 and inf/inf, handled below
    angle = op("Where", x_negative, op("Sub", pi, base), base)
    zero = _zero(x, dtype)
    both_zero = op("And", op("Equal", ay, zero), op("Equal", ax, zero))
    angle = op("Where", both_zero, op("Where", x_negative, pi, zero), angle)
    both_inf = op("And", op("IsInf", ax), op("IsInf", ay))
    diagonal = op("Where", x_negative, _scalar(3 * math.pi / 4, dtype), _scalar(math.pi / 4, dtype))
    angle = op("Where", both_inf, diagonal, angle)
    return _signed(angle, _is_negative(y, dtype), dtype)


def _float64_formula(native: str, formula: Callable[[Expr, np.dtype], Expr]) -> Builder:
    """onnxruntime's operator ``native``, but ``formula`` in float64, where onnxruntime has no kernel for it."""

    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        if dtypes[0] == np.float64:
            return formula(args[0], dtypes[0])
        return op(native, args[0])

    return _by_kind(f=build)


def _tan64(x: Expr, dtype: np.dtype) -> Expr:
    return op("Div", op("Sin", x), op("Cos", x))


def _arcsin64(x: Expr, dtype: np.dtype) -> Expr:
    # atan(x / sqrt(1 - x*x)), with (1 - x)(1 + x) exact near |x| = 1
    one = _scalar(1, dtype)
    return _atan(op("Div", x, op("Sqrt", op("Mul", op("Sub", one, x), op("Add", one, x)))), dtype)


def _arccos64(x: Expr, dtype: np.dtype) -> Expr:
    # 2 atan(sqrt((1 - x) / (1 + x))): pi at x = -1 (atan(inf)), NaN outside [-1, 1]
    one = _scalar(1, dtype)
    half_angle = _atan(op("Sqrt", op("Div", op("Sub", one, x), op("Add", one, x))), dtype)
    return op("Mul", _scalar(2, dtype), half_angle)


def _sinh64(x: Expr, dtype: np.dtype) -> Expr:
    # |x| < 1: with e = expm1(|x|), (e + e / (e + 1)) / 2 does not cancel;
    # else with h = exp(|x| / 2), h/2 * h - 1/(2h) / h, which overflows only where sinh does.
    a = op("Abs", x)
    half = _scalar(0.5, dtype)
    e = _expm1([a], (dtype,))
    small = op("Mul", half, op("Add", e, op("Div", e, op("Add", e, _scalar(1, dtype)))))
    h = op("Exp", op("Mul", half, a))
    large = op("Sub", op("Mul", op("Mul", half, h), h), op("Div", op("Div", half, h), h))
    return _sign_of(op("Where", op("Less", a, _scalar(1, dtype)), small, large), x, dtype)


def _cosh64(x: Expr, dtype: np.dtype) -> Expr:
    # with h = exp(|x| / 2): h/2 * h + 1/(2h) / h
    half = _scalar(0.5, dtype)
    h = op("Exp", op("Mul", half, op("Abs", x)))
    return op("Add", op("Mul", op("Mul", half, h), h), op("Div", op("Div", half, h), h))


_HUGE = 2.0**28  # beyond it, sqrt(x*x + 1) is |x| in float64, and log(2|x|) is exact


def _arcsinh64(x: Expr, dtype: np.dtype) -> Expr:
    # log1p(a + a*a / (1 + sqrt(1 + a*a))) for a = |x| (no cancellation), log(a) + log(2) for huge a
    a = op("Abs", x)
    one = _scalar(1, dtype)
    square = op("Mul", a, a)
    small = _log1p([op("Add", a, op("Div", square, op("Add", one, op("Sqrt", op("Add", one, square)))))], (dtype,))
    large = op("Add", op("Log", a), _scalar(math.log(2), dtype))
    return _sign_of(op("Where", op("Greater", a, _scalar(_HUGE, dtype)), large, small), x, dtype)


def _arccosh64(x: Expr, dtype: np.dtype) -> Expr:
    # with t = x - 1 (exact near 1): log1p(t + sqrt(2t + t*t)); log(x) + log(2) for huge x; NaN below 1
    t = op("Sub", x, _scalar(1, dtype))
    root = op("Sqrt", op("Add", op("Mul", _scalar(2, dtype), t), op("Mul", t, t)))
    small = _log1p([op("Add", t, root)], (dtype,))
    large = op("Add", op("Log", x), _scalar(math.log(2), dtype))
    result = op("Where", op("Greater", x, _scalar(_HUGE, dtype)), large, small)
    return op("Where", op("Less", x, _scalar(1, dtype)), _scalar(np.nan, dtype), result)  # t*t overflows for x = -1e300


def _arctanh64(x: Expr, dtype: np.dtype) -> Expr:
    # log1p(2a / (1 - a)) / 2 for a = |x|: a positive argument, no cancellation near a = 1
    a = op("Abs", x)
    ratio = op("Div", op("Mul", _scalar(2, dtype), a), op("Sub", _scalar(1, dtype), a))
    return _sign_of(op("Mul", _scalar(0.5, dtype), _log1p([ratio], (dtype,))), x, dtype)


def _hypot(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    a, b = (op("Abs", v) for v in args)
    dtype = dtypes[0]
    big = op("Max", a, b)
    small = op("Min", a, b)
    ratio = op("Div", small, op("Where", op("Equal", big, _zero(big, dtype)), _scalar(1, dtype), big))
    scaled = op("Mul", big, op("Sqrt", op("Add", _scalar(1, dtype), op("Mul", ratio, ratio))))
    return op("Where", op("Or", op("IsInf", a), op("IsInf", b)), _scalar(np.inf, dtype), scaled)


def _ldexp(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    # x * 2**e in three steps of at most 2**step (normal numbers): 2**e alone overflows where
    # x * 2**e does not (ldexp(1e-30, 120) in float32), and 0 * inf is NaN. Exact but in the
    # subnormal range, where two steps may round where numpy rounds once.
    x, e = args
    dtype, e_dtype = dtypes
    step = 1000 if dtype == np.float64 else 100
    e = op("Max", op("Min", e, _scalar(3 * step, e_dtype)), _scalar(-3 * step, e_dtype))  # beyond: 0 or inf anyway
    for _ in range(3):
        part = op("Max", op("Min", e, _scalar(step, e_dtype)), _scalar(-step, e_dtype))
        x = op("Mul", x, op("Pow", _scalar(2, dtype), op("Cast", part, to=elem_type_of(dtype))))
        e = op("Sub", e, part)
    return x


def _modf(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> tuple[Expr, Expr]:
    # both parts have x's sign (zeros may come out +0.0); the fraction of +-inf is 0
    x = args[0]
    dtype = dtypes[0]
    whole = _trunc(args, dtypes)
    fraction = op("Where", op("IsInf", x), _zero(x, dtype), op("Abs", op("Sub", x, whole)))
    return _sign_of(fraction, x, dtype), whole


# -- comparisons, logic, bits --------------------------------------------------------------------


def _ordered(name: str) -> Builder:
    """Less, Greater... (ONNX has no boolean ordering: booleans compare as int32)."""

    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        if _kind(dtypes) == "b":
            args = [op("Cast", a, to=6) for a in args]
        return op(name, *args)

    return build


def _not_equal(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Not", op("Equal", *args))


def _as_bool(x: Expr) -> Expr:
    return x if x.dtype == np.bool_ else op("Cast", x, to=9)


def _logical(name: str) -> Builder:
    return lambda args, dtypes: op(name, *(_as_bool(a) for a in args))


def _bitwise(logical: str, bitwise: str) -> Builder:
    return _by_kind(b=_plain(logical), i=_plain(bitwise))


def _unsigned(dtype: np.dtype) -> int:
    return elem_type_of(np.dtype(f"u{dtype.itemsize}"))


def _shift(left: bool) -> Builder:
    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        a, b = args
        dtype = dtypes[0]
        bits = dtype.itemsize * 8
        if dtype.kind == "b":
            raise OnnxNumpyError("numpy shifts have no boolean loop")
        unsigned = _unsigned(dtype)
        # numpy: a count < 0 or >= the width shifts everything out (0, or -1 for a negative a >> n)
        too_far = op("Or", op("GreaterOrEqual", b, _scalar(bits, dtypes[1])), op("Less", b, _zero(b, dtypes[1])))
        count = op("Cast", op("Where", too_far, _scalar(bits - 1, dtypes[1]), b), to=unsigned)
        if left or dtype.kind == "u":
            shifted = op("BitShift", op("Cast", a, to=unsigned), count, direction="LEFT" if left else "RIGHT")
            result = op("Cast", shifted, to=elem_type_of(dtype))
            return op("Where", too_far, _zero(a, dtype), result)
        # arithmetic right shift of a signed integer: shift ~a for negative a, then invert back
        negative = op("Less", a, _zero(a, dtype))
        source = op("Where", negative, op("BitwiseNot", a), a)
        shifted = op("Cast", op("BitShift", op("Cast", source, to=unsigned), count, direction="RIGHT"), to=elem_type_of(dtype))
        return op("Where", negative, op("BitwiseNot", shifted), shifted)

    return build


def _extreme(name: str, ignore_nan: bool) -> Builder:
    """maximum/minimum (NaN propagates, as ONNX Max does) and fmax/fmin (NaN ignored)."""
    logical = "Or" if name == "Max" else "And"

    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        kind = _kind(dtypes)
        if kind == "b":
            return op(logical, *args)
        result = op(name, *args)
        if kind == "f" and ignore_nan:
            a, b = args
            result = op("Where", op("IsNaN", a), b, op("Where", op("IsNaN", b), a, result))
        return result

    return build


def _matmul(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    if _kind(dtypes) == "b":
        product = op("MatMul", *(op("Cast", a, to=7) for a in args))
        return op("Greater", product, Constant(np.zeros((), np.int64)))
    return op("MatMul", *args)


def _same_batch_rank(args: list[Expr], equation: str) -> list[Expr]:
    """Operands with leading 1-dimensions so that every ``...`` of the equation has the same rank.

    numpy broadcasts batch dimensions of different ranks; ONNX's Einsum wants one rank for ``...``.
    """
    core = [len(term.replace("...", "")) for term in equation.split("->")[0].split(",")]
    ranks = [None if a.shape is None else len(a.shape) for a in args]
    if any(r is None for r in ranks):
        return args
    batch = [r - c for r, c in zip(ranks, core)]
    widest = max(batch)
    return [a if b == widest else op("Unsqueeze", a, np.arange(widest - b, dtype=np.int64)) for a, b in zip(args, batch)]


def _einsum(equation: str) -> Builder:
    def build(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
        args = _same_batch_rank(args, equation)
        if _kind(dtypes) == "b":
            product = op("Einsum", *(op("Cast", a, to=7) for a in args), equation=equation)
            return op("Greater", product, Constant(np.zeros((), np.int64)))
        return op("Einsum", *args, equation=equation)

    return build


def _vecdot(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    product = _by_kind(b=_plain("And"), i=_plain("Mul"), f=_plain("Mul"))(args, dtypes)
    if _kind(dtypes) == "b":
        return op("ReduceMax", op("Cast", product, to=2), np.array([-1], np.int64), keepdims=0) > 0
    return op("ReduceSum", product, np.array([-1], np.int64), keepdims=0)


def _add(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Or" if dtypes[0].kind == "b" else "Add", *args)


def _multiply(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("And" if dtypes[0].kind == "b" else "Mul", *args)


def _float_only(name: str) -> Builder:
    return _by_kind(f=_plain(name))


def _rounding(name: str) -> Builder:
    """floor/ceil/rint: the ONNX operator on floats, the identity on integers (numpy 2 keeps them)."""
    return _by_kind(b=_identity, i=_identity, f=_plain(name))


def _logical_not(args: list[Expr], dtypes: tuple[np.dtype, ...]) -> Expr:
    return op("Not", _as_bool(args[0]))


UFUNCS: dict[np.ufunc, UfuncEntry] = {
    # arithmetic
    np.add: UfuncEntry(_add, "Add"),
    np.subtract: UfuncEntry(_plain("Sub"), "Sub"),
    np.multiply: UfuncEntry(_multiply, "Mul"),
    np.true_divide: UfuncEntry(_true_divide, "Div"),
    np.floor_divide: UfuncEntry(_by_kind(i=_int_floor_divide, f=_float_floor_divide)),
    np.remainder: UfuncEntry(_by_kind(i=_int_remainder, f=_float_remainder)),
    np.fmod: UfuncEntry(_by_kind(i=_int_fmod, f=_plain("Mod", fmod=1))),
    np.divmod: UfuncEntry(_divmod),
    np.power: UfuncEntry(_power, "Pow"),
    np.float_power: UfuncEntry(_power, "Pow"),
    np.negative: UfuncEntry(_negative, "Neg"),
    np.positive: UfuncEntry(_identity, "Identity"),
    np.absolute: UfuncEntry(_absolute, "Abs"),
    np.fabs: UfuncEntry(_absolute, "Abs"),
    np.sign: UfuncEntry(_sign, "Sign"),
    np.reciprocal: UfuncEntry(_reciprocal, "Reciprocal"),
    np.square: UfuncEntry(_square),
    np.sqrt: UfuncEntry(_float_only("Sqrt"), "Sqrt"),
    np.cbrt: UfuncEntry(_by_kind(f=_cbrt)),
    np.matmul: UfuncEntry(_matmul, "MatMul"),
    np.maximum: UfuncEntry(_extreme("Max", ignore_nan=False), "Max"),
    np.minimum: UfuncEntry(_extreme("Min", ignore_nan=False), "Min"),
    np.fmax: UfuncEntry(_extreme("Max", ignore_nan=True)),
    np.fmin: UfuncEntry(_extreme("Min", ignore_nan=True)),
    # exponentials and logarithms
    np.exp: UfuncEntry(_float_only("Exp"), "Exp"),
    np.exp2: UfuncEntry(_by_kind(f=_exp2)),
    np.expm1: UfuncEntry(_by_kind(f=_expm1)),
    np.log: UfuncEntry(_float_only("Log"), "Log"),
    np.log2: UfuncEntry(_by_kind(f=_log_base(2))),
    np.log10: UfuncEntry(_by_kind(f=_log_base(10))),
    np.log1p: UfuncEntry(_by_kind(f=_log1p)),
    np.logaddexp: UfuncEntry(_by_kind(f=_logaddexp(base2=False))),
    np.logaddexp2: UfuncEntry(_by_kind(f=_logaddexp(base2=True))),
    # trigonometry
    np.sin: UfuncEntry(_float_only("Sin"), "Sin"),
    np.cos: UfuncEntry(_float_only("Cos"), "Cos"),
    np.tan: UfuncEntry(_float64_formula("Tan", _tan64), "Tan"),
    np.arcsin: UfuncEntry(_float64_formula("Asin", _arcsin64), "Asin"),
    np.arccos: UfuncEntry(_float64_formula("Acos", _arccos64), "Acos"),
    np.arctan: UfuncEntry(_float64_formula("Atan", _atan), "Atan"),
    np.sinh: UfuncEntry(_float64_formula("Sinh", _sinh64), "Sinh"),
    np.cosh: UfuncEntry(_float64_formula("Cosh", _cosh64), "Cosh"),
    np.tanh: UfuncEntry(_float_only("Tanh"), "Tanh"),
    np.arcsinh: UfuncEntry(_float64_formula("Asinh", _arcsinh64), "Asinh"),
    np.arccosh: UfuncEntry(_float64_formula("Acosh", _arccosh64), "Acosh"),
    np.arctanh: UfuncEntry(_float64_formula("Atanh", _arctanh64), "Atanh"),
    np.arctan2: UfuncEntry(_by_kind(f=_arctan2)),
    np.hypot: UfuncEntry(_by_kind(f=_hypot)),
    np.deg2rad: UfuncEntry(_by_kind(f=_scale(math.pi / 180))),
    np.rad2deg: UfuncEntry(_by_kind(f=_scale(180 / math.pi))),
    # rounding and floating-point classification
    np.floor: UfuncEntry(_rounding("Floor"), "Floor"),
    np.ceil: UfuncEntry(_rounding("Ceil"), "Ceil"),
    np.rint: UfuncEntry(_rounding("Round"), "Round"),
    np.trunc: UfuncEntry(_by_kind(b=_identity, i=_identity, f=_trunc)),
    np.isnan: UfuncEntry(_by_kind(b=_all_like(False), i=_all_like(False), f=_plain("IsNaN")), "IsNaN"),
    np.isinf: UfuncEntry(_by_kind(b=_all_like(False), i=_all_like(False), f=_plain("IsInf")), "IsInf"),
    np.isfinite: UfuncEntry(_by_kind(b=_all_like(True), i=_all_like(True), f=_isfinite)),
    np.signbit: UfuncEntry(_signbit),
    np.copysign: UfuncEntry(_by_kind(f=_copysign)),
    np.heaviside: UfuncEntry(_by_kind(f=_heaviside)),
    np.ldexp: UfuncEntry(_by_kind(f=_ldexp)),
    np.modf: UfuncEntry(_by_kind(f=_modf)),
    np.conjugate: UfuncEntry(_identity, "Identity"),
    # comparisons
    np.less: UfuncEntry(_ordered("Less"), "Less"),
    np.less_equal: UfuncEntry(_ordered("LessOrEqual"), "LessOrEqual"),
    np.greater: UfuncEntry(_ordered("Greater"), "Greater"),
    np.greater_equal: UfuncEntry(_ordered("GreaterOrEqual"), "GreaterOrEqual"),
    np.equal: UfuncEntry(_plain("Equal"), "Equal"),
    np.not_equal: UfuncEntry(_not_equal),
    # logic and bits
    np.logical_and: UfuncEntry(_logical("And"), "And"),
    np.logical_or: UfuncEntry(_logical("Or"), "Or"),
    np.logical_xor: UfuncEntry(_logical("Xor"), "Xor"),
    np.logical_not: UfuncEntry(_logical_not, "Not"),
    np.bitwise_and: UfuncEntry(_bitwise("And", "BitwiseAnd")),
    np.bitwise_or: UfuncEntry(_bitwise("Or", "BitwiseOr")),
    np.bitwise_xor: UfuncEntry(_bitwise("Xor", "BitwiseXor")),
    np.invert: UfuncEntry(_by_kind(b=_plain("Not"), i=_plain("BitwiseNot"))),
    np.left_shift: UfuncEntry(_shift(left=True)),
    np.right_shift: UfuncEntry(_shift(left=False)),
}
for _name, _equation in (("vecdot", None), ("matvec", "...ij,...j->...i"), ("vecmat", "...j,...jk->...k")):
    _ufunc = getattr(np, _name, None)  # numpy >= 2.0 (vecdot) and 2.2 (matvec, vecmat)
    if isinstance(_ufunc, np.ufunc):
        UFUNCS[_ufunc] = UfuncEntry(_vecdot if _equation is None else _einsum(_equation))


def supported_ufuncs() -> list[str]:
    """Names of the numpy ufuncs expressions support (``np.<name>(expr)``).

    >>> "exp" in supported_ufuncs() and "gcd" not in supported_ufuncs()
    True
    """
    return sorted(u.__name__ for u in UFUNCS)


def _unsupported(ufunc: np.ufunc, method: str = "") -> OnnxNumpyError:
    label = f"numpy.{ufunc.__name__}" + (f".{method}" if method else "")
    return OnnxNumpyError(
        f"{label}: no ONNX translation in onnxalgebra; compute it with numpy before building the "
        "expression, or write it with Onnx* operators (onnxalgebra.supported_ufuncs() lists what works)."
    )


def apply_binary(ufunc: np.ufunc, a: Any, b: Any) -> Any:
    """``ufunc(a, b)``: :func:`apply_ufunc` for the Python operators, the plan looked up inline.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> apply_binary(np.add, Var("X", np.float32, [None]), 1.0).dtype
    dtype('float32')
    """
    kind = type(a)
    if kind is float or kind is int:
        first: Any = kind
    elif isinstance(a, Expr):
        vtype = a.type
        first = vtype.elem_type if type(vtype) is TensorType else None
    else:
        first = None
    kind = type(b)
    array = False
    if kind is float or kind is int:
        second: Any = kind
    elif isinstance(b, Expr):
        vtype = b.type
        second = vtype.elem_type if type(vtype) is TensorType else None
    elif kind is np.ndarray:  # x @ W: the key plan_key gives an array
        second, array = ("array", b.dtype), True
    else:
        second = None
    if first is not None and second is not None:
        plan = _PLANS.get((ufunc, first, second, FLOAT_DTYPE.get()) if array else (ufunc, first, second))
        if plan is not None:
            result = plan((a, b))
            if result is not None:
                return result
    return apply_ufunc(ufunc, a, b)


def apply_ufunc(ufunc: np.ufunc, *inputs: Any, dtype: Any = None) -> Any:
    """``ufunc(*inputs)`` on expressions, with numpy's dtypes; a tuple for ufuncs with several outputs.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> apply_ufunc(np.true_divide, Var("X", np.int64, [None]), 2).dtype
    dtype('float64')
    """
    key = None
    if dtype is None:
        key = plan_key(ufunc, inputs)
        if key is not None:
            plan = _PLANS.get(key)
            if plan is not None:
                result = plan(inputs)
                if result is not None:
                    return result
    entry = UFUNCS.get(ufunc)
    if entry is None:
        raise _unsupported(ufunc)
    label = f"numpy.{ufunc.__name__}"
    operands = [operand(v, label) for v in inputs]
    for item in operands:
        if item.key is None:
            return _untyped(ufunc, entry, operands, label)
    ins, outs = loop_dtypes(ufunc, operands, dtype)
    if ins[0].kind == "O":
        return _strings(ufunc, operands, label)
    for d in ins + outs:
        if d.kind not in "biuf":
            raise OnnxNumpyError(f"{label}: numpy computes it in {d}, which ONNX operators do not compute.")
    if ufunc in _COMPARISONS:
        beyond = _out_of_range_comparison(ufunc, operands, ins)
        if beyond is not None:
            return beyond
    compute = tuple(_COMPUTE.get(d, d) for d in ins)
    args = [_convert(item, loop, d, label) for item, loop, d in zip(operands, ins, compute)]
    try:
        result = entry.build(args, compute)
    except OnnxNumpyError as exc:
        if str(exc).startswith("numpy."):
            raise
        raise OnnxNumpyError(f"{label}: {exc}") from None
    if key is not None and key not in _PLANS:
        plan = make_plan(key, ins, compute, entry.build, outs, result, args, ufunc not in _VALUE_DEPENDENT)
        if plan is not None:
            _PLANS[key] = plan
    if ufunc.nout == 1:
        return cast(result, outs[0])
    return tuple(cast(r, d) for r, d in zip(result, outs))


# ufuncs whose builders look at constant values (x ** 2 is a Mul, an integer divisor may hold 0 or -1)
_VALUE_DEPENDENT = {np.floor_divide, np.remainder, np.fmod, np.divmod, np.power, np.float_power, np.reciprocal}

# signature -> plan (see .plans): the dtype work of a call, done once per signature
_PLANS: dict[tuple[Any, ...], Callable[[tuple[Any, ...]], Any]] = {}


def _convert(item: Operand, loop: np.dtype, compute: np.dtype, label: str) -> Expr:
    """An operand in its computation dtype, through numpy's loop dtype when the graph computes wider.

    numpy turns ``x_uint8 + 300`` into an OverflowError and rounds ``x_float16 + 0.1``
    to float16; ``np.floor_divide(x_int32, 7, dtype=np.int8)`` wraps x into int8
    first: operands are checked, rounded or wrapped in the loop dtype, not in the
    wider dtype the graph computes in.
    """
    if loop == compute or item.key == loop:
        return to_dtype(item, compute, label)
    if item.weak:
        return Constant(constant(item.value, loop, label).value.astype(compute))
    return cast(to_dtype(item, loop, label), compute)


_COMPARISONS = {
    np.less: operator.lt,
    np.less_equal: operator.le,
    np.greater: operator.gt,
    np.greater_equal: operator.ge,
    np.equal: operator.eq,
    np.not_equal: operator.ne,
}


def _out_of_range_comparison(ufunc: np.ufunc, operands: list[Operand], ins: tuple[np.dtype, ...]) -> Expr | None:
    """An integer compared with a Python int outside its dtype's range: the same answer everywhere.

    numpy 2 compares the values (``x_uint8 < 300`` is True) where arithmetic
    raises OverflowError. Every integer of the dtype lies on the same side of
    the scalar, so the answer is that of the dtype's min (or max), shaped like
    the expression. None when no operand is such a scalar.
    """
    for index, (item, dtype) in enumerate(zip(operands, ins)):
        if type(item.value) is not int or dtype.kind not in "iu":
            continue
        info = np.iinfo(dtype)
        if info.min <= item.value <= info.max:
            continue
        other = operands[1 - index]
        if not isinstance(other.value, Expr):
            return None
        stand_in = int(info.min) if item.value < info.min else int(info.max)
        pair = [stand_in, stand_in]
        pair[index] = item.value
        answer = _COMPARISONS[ufunc](*pair)
        same = op("Equal", other.value, other.value)  # True everywhere: integers are never NaN
        return same if answer else op("Not", same)
    return None


def _strings(ufunc: np.ufunc, operands: list[Operand], label: str) -> Expr:
    """String tensors: equal and not_equal only, between strings (as ONNX compares them)."""
    if ufunc not in (np.equal, np.not_equal):
        raise OnnxNumpyError(f"{label}: string tensors support == and != only in ONNX.")
    if any(o.key != np.dtype(object) for o in operands):
        described = ", ".join(str(o.key) for o in operands)
        raise OnnxNumpyError(f"{label}: compares strings with non-strings ({described}); cast one side first.")
    equal = op("Equal", *(o.value if isinstance(o.value, Expr) else Constant(o.value) for o in operands))
    return equal if ufunc is np.equal else op("Not", equal)


def _untyped(ufunc: np.ufunc, entry: UfuncEntry, operands: list[Operand], label: str) -> Any:
    """An operand of unknown dtype: the plain ONNX operator, Python scalars taking its dtype later."""
    if entry.untyped is None:
        unknown = list(dict.fromkeys(repr(o.value) for o in operands if o.key is None))
        raise OnnxNumpyError(
            f"{label}: the dtype of {', '.join(unknown)} is unknown, and numpy's result depends on it; "
            "give the input a dtype (Var('X', np.float32, [None, 4]))."
        )
    return op(entry.untyped, *(o.value for o in operands))


# -- ufunc methods: np.add.reduce, np.add.accumulate, np.multiply.outer ----------------------------

_REDUCTIONS = {
    np.add: "sum",
    np.multiply: "prod",
    np.maximum: "max",
    np.minimum: "min",
    np.logical_and: "all",
    np.logical_or: "any",
    np.fmax: "nanmax",
    np.fmin: "nanmin",
}


def ufunc_method(ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``ufunc.reduce``, ``ufunc.accumulate`` and ``ufunc.outer`` on expressions."""
    from . import functions

    if method == "reduce" and ufunc in _REDUCTIONS:
        (array,) = inputs
        kwargs.setdefault("axis", 0)  # ufunc.reduce reduces axis 0 by default
        return getattr(functions, _REDUCTIONS[ufunc])(array, **kwargs)
    if method == "accumulate" and ufunc is np.add:
        (array,) = inputs
        kwargs.setdefault("axis", 0)
        return functions.cumsum(array, **kwargs)
    if method == "outer" and ufunc.nin == 2 and ufunc in UFUNCS:
        a, b = (functions.asexpr(v, f"numpy.{ufunc.__name__}.outer") for v in inputs)
        rank_a, rank_b = functions.rank_of(a, "outer"), functions.rank_of(b, "outer")
        if rank_b:
            a = op("Unsqueeze", a, np.arange(rank_a, rank_a + rank_b, dtype=np.int64))
        return apply_ufunc(ufunc, a, b, **kwargs)
    raise _unsupported(ufunc, method)
