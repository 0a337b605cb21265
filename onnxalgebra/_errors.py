"""The exceptions the algebra raises: each names the operator and what was expected."""

from __future__ import annotations

import numpy as np

_AxisError = getattr(np, "exceptions", np).AxisError  # numpy.exceptions from numpy 1.25

__all__ = [
    "OnnxAlgebraError",
    "OperatorError",
    "OnnxTypeError",
    "OnnxShapeError",
    "OnnxIndexError",
    "CompileError",
    "OnnxNumpyError",
    "OnnxAxisError",
    "ConversionError",
    "EstimatorNotFittedError",
    "ColumnError",
]


class OnnxAlgebraError(Exception):
    """Base class of every error raised by onnxalgebra.

    >>> from onnxalgebra import OnnxAdd
    >>> try:
    ...     OnnxAdd("X")
    ... except OnnxAlgebraError as exc:
    ...     print(str(exc).split(": ")[0], "takes 2 inputs (A, B), 1 given" in str(exc))
    OnnxAdd True
    """


class OperatorError(OnnxAlgebraError, ValueError):
    """An operator was built with inputs or attributes its schema does not accept.

    >>> from onnxalgebra import OnnxTranspose
    >>> try:
    ...     OnnxTranspose("X", perms=[1, 0])
    ... except OperatorError as exc:
    ...     print(str(exc).split(": ")[0], "Did you mean 'perm'?" in str(exc))
    OnnxTranspose True
    """


class OnnxTypeError(OnnxAlgebraError, TypeError):
    """Type inference rejected an operator's input types (raised when the node is built),
    or a type was declared with a dtype or shape that is not one (``Var("X", np.float32, 3)``).

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> try:
    ...     Var("X", np.float32, [None, 4]) @ np.ones((3, 2), np.float32)
    ... except OnnxTypeError as exc:
    ...     print("MatMul" in str(exc), "tensor(float)[?, 4]" in str(exc))
    True True
    """


class OnnxShapeError(OnnxTypeError, ValueError):
    """Shapes known when the node is built cannot work: a reshape that changes the number of
    elements, a negative dimension, axes that do not fit the rank...

    It is an :class:`OnnxTypeError` (type inference rejected the node) and a
    ``ValueError``, what numpy raises for the same mistake.

    >>> import numpy as np
    >>> from onnxalgebra import OnnxReshape, Var
    >>> try:
    ...     OnnxReshape(Var("X", np.float32, [2, 4]), np.array([3, 3]))
    ... except OnnxShapeError as exc:
    ...     print(isinstance(exc, ValueError), "(8 elements)" in str(exc), "(9 elements)" in str(exc))
    True True True
    """


class OnnxIndexError(OnnxAlgebraError, IndexError):
    """An index that cannot select anything: a float or str in ``expr[...]``, or constant
    indices out of the range a node's known shape allows (``Gather``).

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> try:
    ...     Var("X", np.float32, [2, 3])[1.5]
    ... except OnnxIndexError as exc:
    ...     print(isinstance(exc, IndexError), "float 1.5" in str(exc))
    True True
    """


class CompileError(OnnxAlgebraError, ValueError):
    """An expression cannot be compiled (missing input type, name clash, opset...).

    >>> from onnxalgebra import OnnxAbs
    >>> try:
    ...     OnnxAbs("X").to_onnx()
    ... except CompileError as exc:
    ...     print(str(exc).split(":")[0])
    the type of graph input(s) ['X'] is unknown
    """


class OnnxNumpyError(OnnxAlgebraError, TypeError):
    """A numpy function, ufunc or argument that ONNX cannot express, or that numpy itself rejects.

    It names the numpy function and what it was given, and never leaves a
    numpy object array behind.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> try:
    ...     np.gcd(Var("X", np.int64, [None]), 4)
    ... except OnnxNumpyError as exc:
    ...     print(str(exc).split(":")[0])
    numpy.gcd
    """


class OnnxAxisError(OnnxAlgebraError, _AxisError):
    """An axis out of the bounds of an expression's dimensions, in a numpy function.

    It is numpy's own ``AxisError`` (so a ``ValueError`` and an ``IndexError``),
    as numpy raises for the same call on an array.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> x = Var("X", np.float32, [2, 3])
    >>> try:
    ...     np.concatenate([x, x], axis=3)
    ... except OnnxAxisError as exc:
    ...     print(isinstance(exc, ValueError), str(exc).split(":")[0])
    True numpy.concatenate
    """


class ConversionError(OnnxAlgebraError, ValueError):
    """An estimator cannot be converted as given: fitted on other features, an unknown converter option, a
    ``dtype`` that is no float type... The message names the estimator.

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from onnxalgebra import to_onnx
    >>> reg = LinearRegression().fit(np.eye(3), [0.0, 1.0, 2.0])
    >>> try:
    ...     to_onnx(reg, np.zeros((1, 2)))
    ... except ConversionError as exc:
    ...     print(str(exc).split(" but ")[0])
    LinearRegression was fitted on 3 features
    """


class EstimatorNotFittedError(ConversionError, AttributeError):
    """The estimator, or a step of it, is not fitted. Like scikit-learn's ``NotFittedError`` it is a
    ``ValueError`` and an ``AttributeError``.

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from onnxalgebra import to_onnx
    >>> try:
    ...     to_onnx(LinearRegression(), np.zeros((1, 2)))
    ... except EstimatorNotFittedError as exc:
    ...     print(str(exc).split(":")[0])
    LinearRegression is not fitted
    """


class ColumnError(OnnxAlgebraError, KeyError):
    """DataFrame columns that are missing, or not the ones a model or estimator was fitted on. A ``KeyError``
    (what pandas raises for a missing column) whose message reads as text.

    >>> import pandas as pd
    >>> from onnxalgebra import Var, dataframe_feeds, to_onnx
    >>> model = to_onnx(Var("a", "float32", [None, 1]) + Var("b", "float32", [None, 1]))
    >>> try:
    ...     dataframe_feeds(model, pd.DataFrame({"a": [1.0]}))
    ... except ColumnError as exc:
    ...     print(str(exc).split(";")[1].strip())
    the DataFrame lacks ['b'].
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
