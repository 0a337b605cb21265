"""Expressions behave like numpy arrays: operators, ``np.*`` calls, methods and indexing.

One table maps each Python operator to its numpy ufunc, so ``x + 1``,
``np.add(x, 1)`` and ``np.exp(x)`` take the same path (numpy's dtype rules,
then the ufunc's ONNX graph, see :mod:`onnxalgebra._numpy`). numpy functions
(``np.where``, ``np.concatenate``, ``np.linalg.norm``...) reach expressions
through ``__array_function__``; the ndarray methods call the same functions.

The rule for brackets: on an operator with several outputs, ``node[i]``
selects output ``i`` (``OnnxTopK(x, k)[1]``); every other expression indexes
its values like numpy (``x[:, 1]``, ``x[x > 0]``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import OnnxIndexError, OnnxNumpyError, OnnxShapeError

if TYPE_CHECKING:
    from ._expr import Expr

__all__ = ["NumpyOperators"]

_NO = np._NoValue
_impl: dict[str, Any] = {}


def _lazy(name: str) -> Any:
    """A function of the numpy layer, imported on first use (the layer imports the expressions)."""
    found = _impl.get(name)
    if found is None:
        from ._expr import Expr
        from ._numpy import functions, indexing, ufuncs

        _impl.update(
            apply_ufunc=ufuncs.apply_ufunc,
            apply_binary=ufuncs.apply_binary,
            ufunc_method=ufuncs.ufunc_method,
            array_function=functions.array_function,
            functions=functions.FUNCTIONS,
            index=indexing.index,
            Expr=Expr,
        )
        found = _impl[name]
    return found


def _index(value: Any, key: Any) -> Any:
    """numpy indexing of an expression's values (an OnnxSubEstimator's first output)."""
    index = _impl.get("index") or _lazy("index")
    if not isinstance(value, _impl["Expr"]):
        value = _as_indexable(value)
    try:
        return index(value, key)
    except IndexError as exc:
        if isinstance(exc, OnnxIndexError):
            raise
        raise OnnxIndexError(f"expr[{_key_text(key)}]: {exc}") from None


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array {list(value.shape)}>"
    if isinstance(value, _impl["Expr"]):
        return "<expression>"
    return repr(value)


def _key_text(key: Any) -> str:
    """An indexing key as written between brackets, shortened."""
    parts = key if isinstance(key, tuple) else (key,)
    text = ", ".join(
        ":" if isinstance(p, slice) and p == slice(None) else "..." if p is Ellipsis else _short_repr(p) for p in parts
    )
    return text if len(text) <= 40 else text[:37] + "..."


def _ufunc(ufunc: np.ufunc, *args: Any) -> Any:
    return _lazy("apply_ufunc")(ufunc, *args)


def _call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run our version of the numpy function ``function``."""
    table = _impl.get("functions") or _lazy("functions")
    return table[function](*args, **kwargs)


# Types an operator takes as its other operand (an OnnxSubEstimator too, through as_expression).
_OPERANDS: tuple[type, ...] = (int, float, complex, str, list, tuple, np.ndarray, np.generic)


def _binary(ufunc: np.ufunc) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``__op__`` and ``__rop__`` of a binary ufunc."""
    apply = None

    def forward(self: Any, other: Any) -> Any:
        nonlocal apply
        if not isinstance(other, _ACCEPTED) and not _operand_ok(other):
            return NotImplemented
        if apply is None:
            apply = _lazy("apply_binary")
        return apply(ufunc, self, other)

    def reflected(self: Any, other: Any) -> Any:
        nonlocal apply
        if not isinstance(other, _ACCEPTED) and not _operand_ok(other):
            return NotImplemented
        if apply is None:
            apply = _lazy("apply_binary")
        return apply(ufunc, other, self)

    forward.__doc__ = f"``numpy.{ufunc.__name__}(self, other)``."
    reflected.__doc__ = f"``numpy.{ufunc.__name__}(other, self)``."
    return forward, reflected


def _unary(ufunc: np.ufunc) -> Callable[..., Any]:
    def method(self: Any) -> Any:
        return _ufunc(ufunc, self)

    method.__doc__ = f"``numpy.{ufunc.__name__}(self)``."
    return method


def _operand_ok(value: Any) -> bool:
    """Values an operator takes: numbers, numpy arrays, lists, expressions, graph input names."""
    return value is not None and (
        isinstance(value, (int, float, complex, str, list, tuple, np.ndarray, np.generic, NumpyOperators))
        or hasattr(value, "as_expression")
    )


# Python operator -> numpy ufunc: the one table the operators are made from.
BINARY_OPERATORS: dict[str, np.ufunc] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "truediv": np.true_divide,
    "floordiv": np.floor_divide,
    "mod": np.remainder,
    "divmod": np.divmod,
    "pow": np.power,
    "matmul": np.matmul,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
    "lshift": np.left_shift,
    "rshift": np.right_shift,
}
COMPARISONS: dict[str, np.ufunc] = {
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}
UNARY_OPERATORS: dict[str, np.ufunc] = {
    "neg": np.negative,
    "pos": np.positive,
    "abs": np.absolute,
    "invert": np.invert,
}


class NumpyOperators:
    """Mixin giving expressions numpy's operators, protocols, methods and indexing.

    >>> from onnxalgebra import Var
    >>> x = Var("X", np.float32, [None, 4])
    >>> y = np.exp(x[:, 1:3] * 2).sum(axis=1)
    >>> y.dtype, y.shape
    (dtype('float32'), (None,))
    """

    __slots__ = ()
    __hash__ = object.__hash__  # __eq__ builds an expression; identity stays the hash

    # -- numpy's protocols ------------------------------------------------------------------------

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy calls this for ``np.exp(expr)``, ``ndarray + expr``, ``np.add.reduce(expr)``..."""
        if method == "__call__" and not kwargs:  # the common case, without the keyword checks
            if len(inputs) == 2:
                return (_impl.get("apply_binary") or _lazy("apply_binary"))(ufunc, *inputs)
            return (_impl.get("apply_ufunc") or _lazy("apply_ufunc"))(ufunc, *inputs)
        label = f"numpy.{ufunc.__name__}"
        out = kwargs.pop("out", None)
        if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
            raise OnnxNumpyError(
                f"{label}: out= is not supported: expressions are immutable, and a numpy array cannot hold one; "
                "use the returned expression (y = x + 1, not np.add(x, 1, out=y); `array += expr` is `array = array + expr`)."
            )
        where = kwargs.pop("where", True)
        if where is not True:
            raise OnnxNumpyError(f"{label}: where= is not supported; use np.where(condition, {ufunc.__name__}(...), other).")
        dtype = kwargs.pop("dtype", None)
        signature = kwargs.pop("signature", None)
        if signature is not None:
            raise OnnxNumpyError(f"{label}: signature= is not supported; pass dtype= or cast the inputs.")
        for name, default in (("casting", "same_kind"), ("order", "K"), ("subok", True)):
            if kwargs.get(name, default) != default:
                raise OnnxNumpyError(f"{label}: {name}={kwargs[name]!r} is not supported.")
            kwargs.pop(name, None)
        if method == "__call__":
            if kwargs:
                raise OnnxNumpyError(f"{label}: unsupported keyword arguments {sorted(kwargs)}.")
            return _lazy("apply_ufunc")(ufunc, *inputs, dtype=dtype)
        if dtype is not None:
            kwargs["dtype"] = dtype
        return _lazy("ufunc_method")(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func: Callable[..., Any], types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """numpy calls this for ``np.where(...)``, ``np.concatenate([...])``... with an expression among the arguments."""
        return _lazy("array_function")(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise OnnxNumpyError(
            "an expression has no values until the model runs, so numpy cannot make an array of it: "
            "use numpy functions on it (np.exp(x) builds ONNX), or expr.eval({...}) to compute its values. "
            "A numpy array indexed by an expression (table[idx], np.take(table, idx)) converts the index "
            "first: write Constant(table)[idx]."
        )

    # -- operators: set from the tables above, below the class (in-place operators fall back on them) --

    def __pow__(self, other: Any) -> Any:
        """``numpy.power(self, other)``; ``x ** 2`` is ``np.square(x)`` as for arrays (a boolean squared is int8)."""
        if type(other) is int and other == 2 and getattr(self.dtype, "kind", None) == "b":  # type: ignore[attr-defined]
            return _ufunc(np.square, self)
        return _POWER(self, other)

    def __round__(self, ndigits: int | None = None) -> Any:
        """``round(x, n)``: ``np.round`` (half to even)."""
        return _call(np.round, self, 0 if ndigits is None else ndigits)

    def __bool__(self) -> bool:
        raise OnnxNumpyError(
            "an expression has no truth value until the model runs; use np.where(condition, a, b) "
            "(or OnnxIf) for a condition, and `is None` to test for None."
        )

    def __float__(self) -> float:
        raise OnnxNumpyError("an expression has no value until the model runs: float(expr) needs expr.eval({...}).")

    def __int__(self) -> int:
        raise OnnxNumpyError("an expression has no value until the model runs: int(expr) needs expr.eval({...}).")

    # -- attributes ------------------------------------------------------------------------------

    @property
    def T(self) -> Any:
        """Transpose (axes reversed), like ``ndarray.T``."""
        return _call(np.transpose, self)

    @property
    def mT(self) -> Any:
        """The last two axes swapped, like ``ndarray.mT``."""
        shape = self.shape  # type: ignore[attr-defined]
        if shape is not None and len(shape) < 2:
            raise OnnxShapeError(f"x.mT: matrix transpose with ndim < 2 is undefined (shape {shape}).")
        return _call(np.swapaxes, self, -1, -2)

    @property
    def ndim(self) -> int | None:
        """The rank, or None while it is unknown."""
        shape = self.shape  # type: ignore[attr-defined]
        return None if shape is None else len(shape)

    @property
    def size(self) -> int | None:
        """The number of elements when every dimension is known now, else None."""
        shape = self.shape  # type: ignore[attr-defined]
        if shape is None or any(d is None for d in shape):
            return None
        return int(np.prod(shape, dtype=np.int64))

    def __len__(self) -> int:
        shape = self.shape  # type: ignore[attr-defined]
        if not shape:
            raise OnnxNumpyError(
                "len() of an expression of unknown rank: give its Var a dtype and a shape (Var('X', np.float32, [None, 4]))"
                if shape is None
                else "len() of a 0-d expression: a scalar has no length"
            )
        if shape[0] is None:
            raise OnnxNumpyError(
                f"len() of an expression whose first dimension is known only when the model runs (shape {shape}); "
                "use np.shape(x)[1:] for the known ones."
            )
        return int(shape[0])

    def __iter__(self) -> Iterator[Any]:
        """Rows along the first axis, when its length is known now (else TypeError, at once)."""
        count = len(self)
        return (self[i] for i in range(count))

    def __contains__(self, value: Any) -> bool:
        raise OnnxNumpyError(
            "`value in expr` needs the values, known only when the model runs; use np.any(expr == value), an expression."
        )

    def __getitem__(self, key: Any) -> Any:
        """numpy indexing of the values: ``x[:, 1]``, ``x[..., -1]``, ``x[idx]``, ``x[x > 0]``."""
        return _index(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise OnnxNumpyError("expressions are immutable: instead of x[mask] = v, write x = np.where(mask, v, x).")

    def getitem(self, key: Any) -> Any:
        """numpy indexing, as a method (``expr.getitem((slice(1, 3), 0))``).

        >>> from onnxalgebra import Var
        >>> Var("X", np.float32, [5, 4]).getitem((slice(1, 3), 0)).shape
        (2,)
        """
        return _index(self, key)

    @property
    def at(self) -> _Indexer:
        """numpy indexing with brackets on any expression, multi-output nodes included (their first output)."""
        return _Indexer(self)

    # -- ndarray methods: the numpy functions, so both share one path --------------------------

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        """Cast to ``dtype``, like ``ndarray.astype``.

        >>> from onnxalgebra import Var
        >>> Var("X", np.float32, [2]).astype(np.int64).dtype
        dtype('int64')
        """
        from ._numpy.shapes import astype

        return astype(self, dtype)

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        """``np.reshape`` (``-1`` infers one dimension; ``0`` is an empty one, as in numpy)."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple, np.ndarray)):
            shape = tuple(shape[0])
        return _call(np.reshape, self, shape, order=order)

    def sum(
        self, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, initial: Any = _NO, where: Any = _NO
    ) -> Any:
        """``np.sum``."""
        return _call(np.sum, self, axis, dtype, out, keepdims, initial, where)

    def prod(
        self, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, initial: Any = _NO, where: Any = _NO
    ) -> Any:
        """``np.prod``."""
        return _call(np.prod, self, axis, dtype, out, keepdims, initial, where)

    def mean(self, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = _NO) -> Any:
        """``np.mean``."""
        return _call(np.mean, self, axis, dtype, out, keepdims, where=where)

    def std(
        self, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, **kwargs: Any
    ) -> Any:
        """``np.std``."""
        return _call(np.std, self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs)

    def var(
        self, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False, **kwargs: Any
    ) -> Any:
        """``np.var``."""
        return _call(np.var, self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs)

    def max(self, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = _NO, where: Any = _NO) -> Any:
        """``np.max``."""
        return _call(np.max, self, axis, out, keepdims, initial, where)

    def min(self, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = _NO, where: Any = _NO) -> Any:
        """``np.min``."""
        return _call(np.min, self, axis, out, keepdims, initial, where)

    def argmax(self, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        """``np.argmax``."""
        return _call(np.argmax, self, axis=axis, out=out, keepdims=keepdims)

    def argmin(self, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        """``np.argmin``."""
        return _call(np.argmin, self, axis=axis, out=out, keepdims=keepdims)

    def any(self, axis: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = _NO) -> Any:
        """``np.any``."""
        return _call(np.any, self, axis=axis, out=out, keepdims=keepdims, where=where)

    def all(self, axis: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = _NO) -> Any:
        """``np.all``."""
        return _call(np.all, self, axis=axis, out=out, keepdims=keepdims, where=where)

    def cumsum(self, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
        """``np.cumsum``."""
        return _call(np.cumsum, self, axis=axis, dtype=dtype, out=out)

    def ptp(self, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
        """``np.ptp``."""
        return _call(np.ptp, self, axis=axis, out=out, keepdims=keepdims)

    def clip(self, min: Any = None, max: Any = None, out: Any = None, **kwargs: Any) -> Any:
        """``np.clip``."""
        return _call(np.clip, self, min, max, out=out, **kwargs)

    def round(self, decimals: int = 0, out: Any = None) -> Any:
        """``np.round`` (half to even)."""
        return _call(np.round, self, decimals, out=out)

    def dot(self, b: Any, out: Any = None) -> Any:
        """``np.dot``."""
        return _call(np.dot, self, b, out=out)

    def transpose(self, *axes: Any) -> Any:
        """``np.transpose``: ``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (list, tuple, np.ndarray))):
            axes = axes[0]
        if axes is not None and len(axes) == 0:
            axes = None
        return _call(np.transpose, self, None if axes is None else tuple(operator.index(a) for a in axes))

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        """``np.swapaxes``."""
        return _call(np.swapaxes, self, axis1, axis2)

    def squeeze(self, axis: Any = None) -> Any:
        """``np.squeeze``."""
        return _call(np.squeeze, self, axis)

    def ravel(self, order: str = "C") -> Any:
        """``np.ravel``."""
        return _call(np.ravel, self, order)

    def flatten(self, order: str = "C") -> Any:
        """A 1-D copy, like ``ndarray.flatten``."""
        return _call(np.ravel, self, order)

    def take(self, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
        """``np.take``."""
        return _call(np.take, self, indices, axis=axis, out=out, mode=mode)

    def repeat(self, repeats: Any, axis: Any = None) -> Any:
        """``np.repeat``."""
        return _call(np.repeat, self, repeats, axis)

    def nonzero(self) -> Any:
        """``np.nonzero``."""
        return _call(np.nonzero, self)

    def argsort(self, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
        """``np.argsort`` (stable)."""
        return _call(np.argsort, self, axis, kind, order)

    def sort(self, axis: Any = -1, kind: Any = None, order: Any = None) -> None:
        """ndarray.sort sorts in place: expressions are immutable, so this raises; use ``np.sort(x)``."""
        raise OnnxNumpyError("expr.sort() would sort in place, and expressions are immutable: use np.sort(x).")

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None) -> Any:
        """``np.trace``."""
        return _call(np.trace, self, offset, axis1, axis2, dtype, out)

    def copy(self, order: str = "C") -> Any:
        """The same expression (expressions are values)."""
        return self

    def conj(self) -> Any:
        """The same expression, like ``ndarray.conj()`` of a real array (ONNX tensors here are real)."""
        dtype = self.dtype  # type: ignore[attr-defined]
        if dtype is not None and dtype.kind in "biuf":
            return self
        return _ufunc(np.conjugate, self)

    conjugate = conj


_ACCEPTED: tuple[type, ...] = (NumpyOperators, *_OPERANDS)


def _install_operators() -> None:
    """The operators of :class:`NumpyOperators`, one per table entry: ``__add__``/``__radd__`` call numpy.add..."""
    for name, ufunc in BINARY_OPERATORS.items():
        forward, reflected = _binary(ufunc)
        setattr(NumpyOperators, "_numpy_pow" if name == "pow" else f"__{name}__", forward)
        setattr(NumpyOperators, f"__r{name}__", reflected)
    for name, ufunc in COMPARISONS.items():  # reflected comparisons are Python's business (a < x is x > a)
        setattr(NumpyOperators, f"__{name}__", _binary(ufunc)[0])
    for name, ufunc in UNARY_OPERATORS.items():
        setattr(NumpyOperators, f"__{name}__", _unary(ufunc))


_install_operators()
_POWER = NumpyOperators._numpy_pow  # type: ignore[attr-defined]


def _as_indexable(value: Any) -> Any:
    as_expression = getattr(value, "as_expression", None)
    return as_expression() if as_expression is not None else value


class _Indexer:
    __slots__ = ("_expr",)

    def __init__(self, expr: Any):
        self._expr = expr

    def __getitem__(self, key: Any) -> Expr:
        from ._expr import OnnxOperator

        expr = self._expr
        if isinstance(expr, OnnxOperator):
            from ._expr import _as_input

            expr = _as_input(expr, "at", 0)
        return _lazy("index")(_as_indexable(expr), key)
