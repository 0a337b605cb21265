"""numpy's array functions on expressions (``__array_function__``): one table, numpy function -> ours.

Importing this module fills :data:`FUNCTIONS` from the modules of one idea
each (reductions, shapes, selection, linalg). A numpy function missing from
the table raises :class:`OnnxNumpyError` naming it: it never returns an
object array.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import OnnxNumpyError
from . import linalg, reductions, selection, shapes
from .common import FUNCTIONS, asexpr, rank_of
from .reductions import all, any, cumsum, max, mean, min, nanmax, nanmin, prod, sum
from .shapes import stack_nested

__all__ = [
    "FUNCTIONS",
    "array_function",
    "supported_functions",
    "asexpr",
    "rank_of",
    "stack_nested",
    "sum",
    "prod",
    "mean",
    "max",
    "min",
    "all",
    "any",
    "cumsum",
    "nanmax",
    "nanmin",
]

_MODULES = (linalg, reductions, selection, shapes)


def _qualified(func: Callable[..., Any]) -> str:
    """``numpy.where``, ``numpy.linalg.norm``, ``numpy.fft.fft``: the public name of a numpy function."""
    module = getattr(func, "__module__", "") or ""
    parts = ["numpy"]
    for part in module.split(".")[1:]:
        if part.startswith("_") or part == "lib":
            break
        parts.append(part)
    return ".".join(parts) + "." + getattr(func, "__name__", repr(func))


def array_function(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run our version of the numpy function ``func``, or raise naming it."""
    impl = FUNCTIONS.get(func)
    if impl is None:
        raise OnnxNumpyError(
            f"{_qualified(func)}: no ONNX translation in onnxalgebra; compute it with numpy before building "
            "the expression, or write it with Onnx* operators (onnxalgebra.supported_numpy_functions() lists what works)."
        )
    return impl(*args, **kwargs)


def supported_functions() -> list[str]:
    """The numpy functions expressions support, by qualified name.

    >>> "numpy.where" in supported_functions() and "numpy.linalg.norm" in supported_functions()
    True
    """
    return sorted({_qualified(f) for f in FUNCTIONS})
