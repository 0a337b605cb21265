"""The exceptions the algebra raises: each names the operator and what was expected."""

from __future__ import annotations

__all__ = ["OnnxAlgebraError", "OperatorError", "OnnxTypeError", "CompileError"]


class OnnxAlgebraError(Exception):
    """Base class of every error raised by onnxalgebra."""


class OperatorError(OnnxAlgebraError, ValueError):
    """An operator was built with inputs or attributes its schema does not accept."""


class OnnxTypeError(OnnxAlgebraError, TypeError):
    """Type inference rejected an operator's input types (raised when the node is built)."""


class CompileError(OnnxAlgebraError, ValueError):
    """An expression cannot be compiled (missing input type, name clash, opset...)."""
