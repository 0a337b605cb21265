"""Subgraph bodies (``If`` branches, ``Loop`` and ``Scan`` bodies) written as expressions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._errors import OperatorError

if TYPE_CHECKING:
    from ._expr import Expr, Var

__all__ = ["Graph"]


class Graph:
    """A graph attribute written with the algebra.

    ``inputs`` are typed :class:`Var` (the body's formal inputs, in order);
    ``outputs`` are expressions. Any other name or expression used inside is
    taken from the enclosing graph (an outer-scope reference).

    >>> import numpy as np
    >>> from onnxalgebra import Var, OnnxAdd, Graph
    >>> i = Var("i", np.int64, [])
    >>> cond = Var("cond", np.bool_, [])
    >>> acc = Var("acc", np.float32, [None])
    >>> body = Graph([i, cond, acc], [cond, OnnxAdd(acc, 1.0)])
    """

    def __init__(self, inputs: Sequence[Var], outputs: Expr | Sequence[Expr], name: str = "body"):
        from ._expr import Expr, Var

        self.inputs = tuple(inputs)
        for var in self.inputs:
            if not isinstance(var, Var) or var.type is None:
                raise OperatorError(
                    f"Graph {name!r}: every body input must be a typed Var, e.g. Var('i', np.int64, []); got {var!r}."
                )
        if isinstance(outputs, Expr):
            outputs = [outputs]
        self.outputs = tuple(outputs)
        if not self.outputs:
            raise OperatorError(f"Graph {name!r}: a body needs at least one output.")
        for out in self.outputs:
            if not isinstance(out, Expr):
                raise OperatorError(f"Graph {name!r}: outputs must be expressions, got {type(out).__name__}.")
        self.name = name

    @classmethod
    def from_outputs(cls, outputs: Any) -> Graph:
        """A body without inputs (an ``If`` branch) computing ``outputs``."""
        return cls((), outputs, name="branch")

    def __repr__(self) -> str:
        return f"Graph(inputs={list(self.inputs)!r}, outputs={list(self.outputs)!r})"
