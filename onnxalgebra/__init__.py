"""onnxalgebra: build ONNX graphs as symbolic expressions.

One class per ONNX operator (``OnnxAdd``, ``OnnxMatMul``, ... and pinned
versions such as ``OnnxAdd_7``) builds a lazy, type-inferred expression tree
that compiles to an ``onnx.ModelProto``::

    >>> import numpy as np
    >>> from onnxalgebra import OnnxAdd, OnnxDiv, OnnxExp, OnnxMatMul
    >>> beta = np.ones((4, 3), dtype=np.float32)
    >>> exp = OnnxExp(OnnxMatMul("X", beta))
    >>> pred = OnnxDiv(exp, OnnxAdd(exp, np.ones((1, 3), dtype=np.float32)))
    >>> model = pred.to_onnx({"X": np.zeros((2, 4), dtype=np.float32)})
    >>> pred.eval({"X": np.zeros((2, 4), dtype=np.float32)}).shape
    (2, 3)

Operator classes are created on first use, so importing the package is cheap.
"""

from __future__ import annotations

from typing import Any

from ._attributes import AttributeList
from ._custom import custom_operator
from ._errors import (
    ColumnError,
    CompileError,
    ConversionError,
    EstimatorNotFittedError,
    OnnxAlgebraError,
    OnnxAxisError,
    OnnxIndexError,
    OnnxNumpyError,
    OnnxShapeError,
    OnnxTypeError,
    OperatorError,
)
from ._expr import Constant, Expr, OnnxOperator, Output, Var
from ._functions import function
from ._graph import Graph
from ._inline import inline
from ._optional import MissingDependencyError, require
from ._translate import TranslateError, translate
from ._types import MapType, OptionalType, SequenceType, TensorType, ValueType
from .compiler._compile import compile_model as _compile_model
from .compiler._large import save_model
from .display._dot import to_dot
from .display._networkx import to_networkx
from .display._render import Diagram, RenderError, show
from .registry._convert import (
    OnnxSubEstimator,
    UnsupportedEstimatorError,
    computation_dtype,
    convert_estimator,
    register_converter,
)
from .registry._convert import estimator_to_onnx as _estimator_to_onnx
from .registry._dataframe import Columns, dataframe_feeds, takes_columns

__version__ = "0.1.0"

__all__ = [
    "AttributeList",
    "ColumnError",
    "Columns",
    "CompileError",
    "ConversionError",
    "Constant",
    "Diagram",
    "EstimatorNotFittedError",
    "Expr",
    "Graph",
    "MissingDependencyError",
    "MapType",
    "OnnxAlgebraError",
    "OnnxAxisError",
    "OnnxNumpyError",
    "OnnxOperator",
    "OnnxSubEstimator",
    "OnnxIndexError",
    "OnnxShapeError",
    "OnnxTypeError",
    "OperatorError",
    "OptionalType",
    "Output",
    "RenderError",
    "SequenceType",
    "TensorType",
    "TranslateError",
    "UnsupportedEstimatorError",
    "ValueType",
    "Var",
    "computation_dtype",
    "convert_estimator",
    "custom_operator",
    "dataframe_feeds",
    "function",
    "inline",
    "operator_class",
    "register_converter",
    "require",
    "save_model",
    "show",
    "supported_numpy_functions",
    "supported_ufuncs",
    "takes_columns",
    "target_opset",
    "to_dot",
    "to_networkx",
    "to_onnx",
    "translate",
]


def to_onnx(
    obj: Any,
    X: Any = None,
    *,
    name: str = "X",
    target_opset: Any = None,
    options: dict[str, Any] | None = None,
    outputs: Any = None,
    dtype: Any = None,
    inline_functions: bool = False,
) -> Any:
    """Compile an expression, a list/tuple of expressions, or a fitted estimator into ``onnx.ModelProto``.

    For expressions, ``X`` declares the graph inputs as for :meth:`Expr.to_onnx`
    and ``outputs`` optionally names or types the graph outputs. For an
    estimator, ``X`` is a numpy sample (its dtype is the computation dtype) or
    a type, ``name`` names the graph input, and ``options`` go to the
    converters (``{'zipmap': True}`` gives classifiers' probabilities as maps;
    the package's tree converters take ``{'missing_values': False}`` for data
    without NaN: no per-node NaN flags, faster batches).

    ``X`` may be a pandas DataFrame: one graph input per column, named after
    it, of shape ``[N, 1]`` (float32 and float64 columns keep their dtype,
    integers are int64, booleans bool, object, string and categorical columns
    strings); feed it with :func:`dataframe_feeds`. The computation dtype is
    then float32 when the numeric columns promote to float32, else float64.
    ``dtype=np.float32`` (or ``np.float64``) forces the computation dtype for
    any ``X``: the inputs keep their types and are cast inside the graph.

    Calls of :func:`function` (local functions) compile to one
    ``FunctionProto`` each; ``inline_functions=True`` expands them.

    >>> import numpy as np
    >>> from onnxalgebra import OnnxAbs, OnnxNeg
    >>> model = to_onnx([OnnxAbs("X"), OnnxNeg("X")], {"X": np.zeros((1, 2), np.float32)})
    >>> [o.name for o in model.graph.output]
    ['Abs_0', 'Neg_0']
    """
    if isinstance(obj, OnnxSubEstimator):
        obj = obj.outputs
    if obj is None:
        raise OnnxTypeError("to_onnx: got None; expected an expression or a fitted estimator (or a list of expressions).")
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(items):
            if not isinstance(item, (Expr, str)):
                raise OnnxTypeError(
                    f"to_onnx: output {i} of the {type(obj).__name__} is a {type(item).__name__} ({item!r:.40}), not an "
                    "expression; give expressions (or names of graph inputs), or convert an estimator on its own."
                )
    if items and all(isinstance(o, (Expr, str)) for o in items):
        if options:
            raise OnnxTypeError("to_onnx: options apply to estimators, not to expressions.")
        if dtype is not None:
            raise OnnxTypeError("to_onnx: dtype applies to estimators; an expression's inputs give its types.")
        return _compile_model(items, X, outputs_spec=outputs, target_opset=target_opset, inline_functions=inline_functions)
    if outputs is not None:
        raise OnnxTypeError("to_onnx: an estimator's outputs are named by the output contract; do not pass outputs=.")
    return _estimator_to_onnx(obj, X, name=name, target_opset=target_opset, options=options, dtype=dtype)


def operator_class(name: str) -> type[OnnxOperator]:
    """The class of an operator by name: ``'Add'``, ``'OnnxAdd'`` or ``'OnnxAdd_13'``.

    >>> operator_class("Add").__name__
    'OnnxAdd'
    """
    from ._operators import operator_class as _get

    return _get(name)


def target_opset(domain: str = "") -> int | None:
    """The opset of ``domain`` that the conversion running now targets, None without ``target_opset``.

    A converter reads it to build operators that exist at that opset (the
    compiler then imports the smallest opset its nodes allow, at most it).

    >>> target_opset() is None
    True
    """
    from ._context import target_for

    return target_for(domain)


def supported_ufuncs() -> list[str]:
    """The numpy ufuncs that work on expressions (``np.exp(x)``, ``np.add(x, 1)``...), by name.

    >>> "exp" in supported_ufuncs()
    True
    """
    from ._numpy.ufuncs import supported_ufuncs as names

    return names()


def supported_numpy_functions() -> list[str]:
    """The numpy functions that work on expressions through ``__array_function__``, by qualified name.

    Any other numpy function given an expression raises :class:`OnnxNumpyError` naming it.

    >>> "numpy.where" in supported_numpy_functions()
    True
    """
    from ._numpy.functions import supported_functions

    return supported_functions()


def __getattr__(name: str) -> Any:
    # PEP 562: operator classes are made when first imported.
    if name.startswith("Onnx") and name != "OnnxOperator":
        from ._operators import operator_class as _get

        try:
            cls = _get(name)
        except OperatorError as exc:
            raise AttributeError(str(exc)) from None
        globals()[name] = cls
        return cls
    raise AttributeError(f"module 'onnxalgebra' has no attribute {name!r}")


def __dir__() -> list[str]:
    from ._operators import operator_class_names

    return sorted(set(globals()) | set(operator_class_names()))
