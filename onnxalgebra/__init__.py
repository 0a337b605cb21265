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

from ._dot import to_dot
from ._errors import CompileError, OnnxAlgebraError, OnnxTypeError, OperatorError
from ._expr import Constant, Expr, OnnxOperator, Output, Var
from ._graph import Graph
from ._networkx import to_networkx
from ._render import Diagram, RenderError, show
from ._types import MapType, OptionalType, SequenceType, TensorType, ValueType

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "Constant",
    "Diagram",
    "Expr",
    "Graph",
    "MapType",
    "OnnxAlgebraError",
    "OnnxOperator",
    "OnnxTypeError",
    "OperatorError",
    "OptionalType",
    "Output",
    "RenderError",
    "SequenceType",
    "TensorType",
    "ValueType",
    "Var",
    "operator_class",
    "show",
    "to_dot",
    "to_networkx",
    "to_onnx",
]


def to_onnx(obj: Any, inputs: Any = None, *, outputs: Any = None, target_opset: Any = None) -> Any:
    """Compile an expression, or a list/tuple of expressions (one graph output each), to ``onnx.ModelProto``.

    ``inputs``, ``outputs`` and ``target_opset`` are as for :meth:`Expr.to_onnx`.

    >>> import numpy as np
    >>> from onnxalgebra import OnnxAbs, OnnxNeg
    >>> model = to_onnx([OnnxAbs("X"), OnnxNeg("X")], {"X": np.zeros((1, 2), np.float32)})
    >>> [o.name for o in model.graph.output]
    ['Abs_0', 'Neg_0']
    """
    from ._compile import compile_model

    values = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    return compile_model(values, inputs, outputs_spec=outputs, target_opset=target_opset)


def operator_class(name: str) -> type[OnnxOperator]:
    """The class of an operator by name: ``'Add'``, ``'OnnxAdd'`` or ``'OnnxAdd_13'``.

    >>> operator_class("Add").__name__
    'OnnxAdd'
    """
    from ._operators import operator_class as _get

    return _get(name)


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
