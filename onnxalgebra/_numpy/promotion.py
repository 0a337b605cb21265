"""numpy's dtype rules for expressions: operands, weak Python scalars, ufunc loops, casts.

Every numpy-style call (an operator, a ufunc, an array function) first turns
its operands into :class:`Operand` s: an expression keeps its inferred dtype
(``None`` when unknown), a numpy array or numpy scalar is a constant of its
own dtype (strong), and a Python ``int``/``float``/``complex`` is *weak*
(NEP 50: ``x32 * 2.0`` stays float32, ``x32 * np.float64(2)`` is float64).
numpy itself then decides the dtypes: :func:`loop_dtypes` asks the ufunc
(``ufunc.resolve_dtypes``) and :func:`result_dtype` asks ``np.result_type``,
so the rules are numpy's own, not a copy of them.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

from .._context import follow_float_dtype
from .._errors import OnnxNumpyError
from .._expr import Constant, Expr, OnnxOperator, Output
from .._types import elem_type_of

__all__ = [
    "Operand",
    "operand",
    "as_expr",
    "loop_dtypes",
    "result_dtype",
    "to_dtype",
    "constant",
    "op",
    "NUMPY2",
]

NUMPY2 = int(np.__version__.split(".")[0]) >= 2
_WEAK_TYPES = (int, float, complex)
_DEFAULT_OF_KIND = {"b": np.dtype(bool), "i": np.dtype(np.int64), "f": np.dtype(np.float64), "c": np.dtype(np.complex128)}
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


_CLASSES: dict[str, Any] = {}


def op(name: str, *inputs: Any, **attributes: Any) -> OnnxOperator:
    """Build operator ``name`` (``'Add'``...) on ``inputs``: the one place the numpy layer makes nodes.

    Inside a conversion for a ``target_opset``, the node is built with the
    version in force there (a reduction's axes become an attribute before
    opset 18).
    """
    cls = _CLASSES.get(name)
    if cls is None:
        from .._operators import operator_class

        cls = _CLASSES[name] = operator_class(name)
    return cls(*inputs, **attributes)  # for a target opset, a reduction takes its axes as it did there (OnnxOperator)


class Operand(NamedTuple):
    """One argument of a numpy-style call.

    ``value`` is an :class:`Expr`, a numpy array (a strong constant) or a
    Python scalar (weak); ``key`` is what numpy's type resolution takes for
    it: a dtype, the Python type of a weak scalar, or ``None`` (unknown dtype).
    """

    value: Any
    key: Any

    @property
    def weak(self) -> bool:
        """True for a Python scalar, whose dtype comes from the other operands.

        (Not ``key in (int, float, complex)``: ``np.dtype('float64') == float`` is True.)
        """
        return _is_weak(self.key)


def _is_weak(key: Any) -> bool:
    """True for the key of a Python scalar (the type ``int``, ``float`` or ``complex``), not for a dtype."""
    return isinstance(key, type) and key in _WEAK_TYPES


def operand(value: Any, where: str = "") -> Operand:
    """Classify one argument of a numpy-style call (see :class:`Operand`)."""
    if isinstance(value, Expr):
        return Operand(value, value.dtype)
    if type(value) in _WEAK_TYPES:
        return Operand(value, type(value))
    if isinstance(value, (bool, str, np.generic, np.ndarray)):
        array = follow_float_dtype(np.asarray(value))
        if array.dtype.kind in "US":
            array = array.astype(object)  # ONNX strings
        elif array.dtype.kind == "O" and not all(isinstance(v, str) for v in array.reshape(-1).tolist()):
            raise OnnxNumpyError(
                f"{where or 'numpy'}: a numpy object array can be an ONNX tensor only when it holds strings; got {_short(value)}."
            )
        elif array.dtype.kind not in "biufO":
            raise OnnxNumpyError(f"{where or 'numpy'}: a numpy array of {array.dtype} cannot be an ONNX tensor.")
        return Operand(array, array.dtype)
    as_expression = getattr(value, "as_expression", None)  # OnnxSubEstimator
    if as_expression is not None:
        expr = as_expression()
        return Operand(expr, expr.dtype)
    if isinstance(value, (list, tuple)):
        if holds_expr(value):  # numpy would make an object array: stack them as np.array stacks arrays
            from .shapes import stack_nested

            expr = stack_nested(value, where)
            return Operand(expr, expr.dtype)
        return operand(np.asarray(value), where)
    raise OnnxNumpyError(
        f"{where or 'numpy'}: cannot use {type(value).__name__} {_short(value)} in an expression; "
        "give an expression, a numpy array or a Python number."
    )


def holds_expr(value: Any) -> bool:
    """True for an expression (or what stands for one), or a (nested) list or tuple holding one."""
    if isinstance(value, Expr) or hasattr(value, "as_expression"):
        return True
    return isinstance(value, (list, tuple)) and any(holds_expr(v) for v in value)


def as_expr(value: Any, dtype: Any = None, where: str = "") -> Expr:
    """``value`` as an expression (a constant for arrays and scalars), in ``dtype`` if given."""
    item = operand(value, where)
    if dtype is not None:
        return to_dtype(item, np.dtype(dtype), where)
    if isinstance(item.value, Expr):
        return item.value
    if item.weak:
        return Constant(np.asarray(item.value))
    return Constant(item.value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


@functools.lru_cache(maxsize=4096)
def _resolve(ufunc: np.ufunc, keys: tuple[Any, ...], dtype: np.dtype | None) -> tuple[tuple[np.dtype, ...], tuple[np.dtype, ...]]:
    if not NUMPY2:
        keys = _weak_to_strong(keys)
    if dtype is None:
        dtypes = ufunc.resolve_dtypes(tuple(keys) + (None,) * ufunc.nout)
    else:
        dtypes = ufunc.resolve_dtypes(tuple(keys) + (None,) * ufunc.nout, signature=(None,) * ufunc.nin + (dtype,) * ufunc.nout)
    return tuple(dtypes[: ufunc.nin]), tuple(dtypes[ufunc.nin :])


def _weak_to_strong(keys: tuple[Any, ...]) -> tuple[np.dtype, ...]:
    """NEP 50 for numpy 1: a weak scalar takes the strong dtypes' result unless its kind is higher."""
    strong = [k for k in keys if not _is_weak(k)]
    base = np.result_type(*strong) if strong else None
    out = []
    for key in keys:
        if not _is_weak(key):
            out.append(key)
            continue
        kind = np.dtype(key).kind
        if base is not None and _KIND_RANK[kind] <= _KIND_RANK.get(base.kind, 3):
            out.append(base)
        elif base is not None and kind == "c" and base.kind == "f":  # float32 + 1j: complex64, the floats' precision
            out.append(np.result_type(base, np.complex64))
        else:
            out.append(_DEFAULT_OF_KIND[kind])
    return tuple(out)


def loop_dtypes(ufunc: np.ufunc, operands: list[Operand], dtype: Any = None) -> tuple[tuple[np.dtype, ...], tuple[np.dtype, ...]]:
    """The dtypes numpy computes ``ufunc`` in for these operands: (inputs, outputs).

    Raises :class:`OnnxNumpyError` with numpy's own reason when numpy has no loop
    (``np.subtract`` on booleans...).
    """
    # numpy 1 has no weak scalars in resolve_dtypes: _resolve applies NEP 50 itself (_weak_to_strong), so the
    # Python types go through as they are (a float32 array / 2.0 stays float32, as in numpy 2)
    keys = tuple(o.key for o in operands)
    try:
        return _resolve(ufunc, keys, None if dtype is None else np.dtype(dtype))
    except TypeError as exc:
        described = ", ".join(k.__name__ if isinstance(k, type) else str(k) for k in keys)
        raise OnnxNumpyError(f"numpy.{ufunc.__name__} on ({described}): {exc}") from None


def result_dtype(operands: list[Operand]) -> np.dtype:
    """numpy's result type of the operands (weak Python scalars included), for array functions."""
    keys = [o.value if o.weak else o.key for o in operands]
    if not NUMPY2:
        keys = list(_weak_to_strong(tuple(o.key for o in operands)))
    return np.result_type(*keys)


def constant(value: Any, dtype: np.dtype, where: str = "") -> Constant:
    """A constant of ``dtype``; a Python int outside its range raises ``OverflowError`` as numpy 2 does."""
    if type(value) is int and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"{where or 'numpy'}: Python integer {value} out of bounds for {dtype}")
    return Constant(np.asarray(value, dtype=dtype))


def to_dtype(item: Operand, dtype: np.dtype, where: str = "") -> Expr:
    """The operand as an expression of ``dtype``: a Cast node only for expressions of another dtype."""
    value = item.value
    if isinstance(value, Expr):
        if item.key is None or item.key == dtype:
            return value
        if isinstance(value, Constant) and not value.deferred:
            return Constant(value.value.astype(dtype))
        return op("Cast", value, to=elem_type_of(dtype))
    if item.weak:
        return constant(value, dtype, where)
    return Constant(value.astype(dtype, copy=False))


def cast(expr: Expr, dtype: np.dtype) -> Expr:
    """``expr`` in ``dtype`` (no node when it already is, or when its dtype is unknown)."""
    current = expr.dtype
    if current is None or current == dtype:
        return expr
    if isinstance(expr, Constant) and not expr.deferred:
        return Constant(expr.value.astype(dtype))
    return op("Cast", expr, to=elem_type_of(dtype))


def is_expr_like(value: Any) -> bool:
    """True for an expression or something standing for one (an ``OnnxSubEstimator``)."""
    return isinstance(value, (Expr, Output)) or hasattr(value, "as_expression")
