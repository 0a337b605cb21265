"""FunctionTransformer and TransformedTargetRegressor: Python functions of numpy code, traced on the expression.

A FunctionTransformer's ``func`` is called on the symbolic ``X``: numpy's
protocols turn ``np.log1p(X)``, ``X[:, :2] * 3`` or ``np.where(X > 0, X, 0)``
into ONNX nodes, so the function written for arrays is the converter. A
function that cannot run on an expression (it converts X to an array, reads
its values, calls what ONNX cannot express) is an error that names it and
tells how to register a converter instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Columns, Expr, OnnxAlgebraError, computation_dtype, convert_estimator, takes_columns

from .preprocessing import columnwise_affine


def function_name(func: Any) -> str:
    """``func``'s name for messages: ``numpy.log1p``, ``module.function``, or its repr."""
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None:
        return repr(func)
    module = getattr(func, "__module__", None) or ("numpy" if isinstance(func, np.ufunc) else None)
    return f"{module}.{name}" if module else name


def trace(est: Any, func: Any, X: Expr, kw_args: dict | None, role: str) -> Expr:
    """``func(X, **kw_args)`` on the expression ``X``; a clear error when it cannot run on one."""
    if func is None:
        return X
    name = function_name(func)
    try:
        out = func(X, **(kw_args or {}))
    except Exception as exc:
        raise OnnxAlgebraError(
            f"{type(est).__name__}: {role}={name} cannot be traced on an ONNX expression "
            f"({type(exc).__name__}: {exc})\nTracing calls it on a symbolic X ({X.type}): it must use numpy operations "
            "onnxalgebra supports (onnxalgebra.supported_ufuncs(), supported_numpy_functions()) and not read X's "
            "values. Otherwise register a converter for a subclass and fit that:\n"
            "    class MyFunction(FunctionTransformer): pass\n"
            "    @onnxalgebra.register_converter(MyFunction)\n"
            "    def convert_my_function(est, X):\n"
            "        return ...  # the formula, an expression of X"
        ) from exc
    if not isinstance(out, Expr):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: {role}={name} returned a {type(out).__name__}, not an expression of X: it does not "
            "compute from its input (a constant?) or leaves numpy; write it with numpy operations on X, or register "
            "a converter for a FunctionTransformer subclass."
        )
    return out


@takes_columns
def convert_function_transformer(est: Any, X: Expr | Columns) -> Expr:
    """FunctionTransformer: ``func(X, **kw_args)`` traced on X (the identity without ``func``).

    A DataFrame's columns are the matrix of those it was fitted on; strings
    only without ``func`` or with ``validate=False`` (scikit-learn would refuse
    them otherwise). A string matrix (an object array) with ``validate=True``
    is parsed into numbers in the computation dtype, as ``check_array`` does.

    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from onnxalgebra import Var
    >>> est = FunctionTransformer(np.log1p).fit(np.ones((2, 3)))
    >>> out = convert_function_transformer(est, Var("X", np.float64, [None, 3]))
    >>> out.dtype, out.shape
    (dtype('float64'), (None, 3))
    """
    if isinstance(X, Columns):
        X = X.matrix(est, strings=est.func is None or not est.validate)
    elif est.validate and X.dtype is not None and X.dtype.kind in "OUS":  # check_array parses an object array of numbers
        X = X.astype(computation_dtype())
    return trace(est, est.func, X, est.kw_args, "func")


def inverse_transform(est: Any, transformer: Any, y: Expr) -> Expr:
    """``transformer.inverse_transform(y)``: a FunctionTransformer's ``inverse_func``, or the inverse of a scaler
    whose transform is ``(y - offset) / divisor`` (``columnwise_affine``)."""
    from sklearn.preprocessing import FunctionTransformer

    if isinstance(transformer, FunctionTransformer):
        return trace(est, transformer.inverse_func, y, transformer.inv_kw_args, "inverse_func")
    affine = columnwise_affine(transformer)
    if affine is not None:  # (y - offset) / divisor, undone
        offset, divisor = affine
        if np.any(divisor != 1):
            y = y * divisor
        if np.any(offset != 0):
            y = y + offset
        return y
    raise OnnxAlgebraError(
        f"{type(est).__name__}: the inverse of its transformer {type(transformer).__name__} is not converted "
        "(a FunctionTransformer's inverse_func is, and a scaler's whose transform is (y - offset) / divisor: "
        "StandardScaler, RobustScaler, MaxAbsScaler, MinMaxScaler without clip); use one of them, or func and "
        "inverse_func."
    )


@takes_columns
def convert_transformed_target_regressor(est: Any, X: Expr | Columns) -> Expr:
    """TransformedTargetRegressor: the regressor's prediction ([N, n_targets]) through the transformer's inverse."""
    (prediction,) = convert_estimator(est.regressor_, X)
    return inverse_transform(est, est.transformer_, prediction)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import compose, preprocessing

    return {
        convert_function_transformer: [preprocessing.FunctionTransformer],
        convert_transformed_target_regressor: [compose.TransformedTargetRegressor],
    }
