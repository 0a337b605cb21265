"""Attribute values: a hashable key for deduplication, and the ``AttributeProto``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import AttributeProto, GraphProto, defs, helper, numpy_helper

from ._graph import Graph

_ATTR = defs.OpSchema.AttrType

__all__ = ["KeyedTuple", "array_key", "attributes_key", "attribute_proto", "keyed_tuple"]


class KeyedTuple(tuple):
    """A normalised INTS or FLOATS value made from a numpy array, its key computed once from the array's bytes.

    A long tuple is hashed and compared element by element at each cache
    lookup; the key's bytes hash once and compare with ``memcmp``.
    """

    key: tuple


def keyed_tuple(array: np.ndarray, floats: bool) -> tuple:
    """``array`` as a tuple of Python ints (or floats) that carries its :func:`_value_key`."""
    array = np.asarray(array, dtype=np.float64 if floats else np.int64).ravel()
    if not array.size:
        return ()
    result = KeyedTuple(array.tolist())
    result.key = ("floats", array.astype(np.float32).tobytes()) if floats else ("ints", array.tobytes())
    return result


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
    if isinstance(value, KeyedTuple):
        return value.key
    if isinstance(value, tuple):
        first = value[0] if value else None
        try:  # normalised INTS or FLOATS (FLOATS stored as float32): the same key as keyed_tuple's
            if type(first) is int:
                return ("ints", np.asarray(value, dtype=np.int64).tobytes())
            if type(first) is float:
                return ("floats", np.asarray(value, dtype=np.float32).tobytes())
        except (OverflowError, TypeError, ValueError):
            pass
        if isinstance(first, str):
            return value  # normalised STRINGS: hashable as they are
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
    elif kind in (_ATTR.INTS, _ATTR.FLOATS) and isinstance(value, tuple):
        # normalised already: skip make_attribute's copy and per-element type checks (long lists)
        proto = AttributeProto(name=name, type=AttributeProto.INTS if kind == _ATTR.INTS else AttributeProto.FLOATS)
        (proto.ints if kind == _ATTR.INTS else proto.floats).extend(value)
        return proto
    elif kind == _ATTR.STRINGS and isinstance(value, tuple):
        encoded = {v: v.encode("utf-8") if isinstance(v, str) else v for v in set(value)}  # each distinct value once
        proto = AttributeProto(name=name, type=AttributeProto.STRINGS)
        proto.strings.extend([encoded[v] for v in value])
        return proto
    attr_type = AttributeProto.AttributeType.Value(kind.name)
    return helper.make_attribute(name, value, attr_type=attr_type)
