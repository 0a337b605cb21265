"""Attribute values: a hashable key for deduplication, and the ``AttributeProto``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import AttributeProto, GraphProto, defs, helper, numpy_helper

from ._graph import Graph

_ATTR = defs.OpSchema.AttrType

__all__ = ["array_key", "attributes_key", "attribute_proto"]


def array_key(array: np.ndarray) -> tuple:
    """A hashable key equal for arrays of equal dtype, shape and content."""
    if array.dtype.kind in "OUS":
        return ("str", array.shape, tuple(str(v) for v in array.ravel().tolist()))
    return (array.dtype.str, array.shape, array.tobytes())


def _value_key(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return array_key(value)
    if isinstance(value, Graph):
        return ("graph", id(value))
    if hasattr(value, "SerializeToString"):
        return (type(value).__name__, value.SerializeToString(deterministic=True))
    if isinstance(value, tuple):
        return tuple(_value_key(v) for v in value)
    if isinstance(value, float):
        return ("float32", np.float32(value).tobytes())  # ONNX stores float attributes as float32
    return value


def attributes_key(attributes: dict[str, Any]) -> tuple:
    """A hashable key of normalised attributes (already sorted by name)."""
    return tuple((name, _value_key(value)) for name, value in attributes.items())


def attribute_proto(
    name: str,
    value: Any,
    kind: Any,
    compile_graph: Callable[[Graph, str], GraphProto] | None = None,
) -> AttributeProto:
    """Build the ``AttributeProto`` of a normalised attribute value.

    ``compile_graph`` turns a :class:`Graph` body into a ``GraphProto``; it is
    given by the compiler, which owns naming and outer-scope references.
    """
    if kind == _ATTR.GRAPH and isinstance(value, Graph):
        if compile_graph is None:
            raise ValueError(f"attribute {name!r} holds an expression graph; compile it first")
        value = compile_graph(value, name)
    elif kind == _ATTR.TENSOR and isinstance(value, np.ndarray):
        value = numpy_helper.from_array(value)
    elif kind == _ATTR.TENSORS:
        value = [numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v for v in value]
    attr_type = AttributeProto.AttributeType.Value(kind.name)
    return helper.make_attribute(name, value, attr_type=attr_type)
