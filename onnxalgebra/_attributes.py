"""Attribute values: lists kept as numpy arrays, a hashable key for deduplication, the encoded ``AttributeProto``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from onnx import AttributeProto, GraphProto, defs, helper, numpy_helper

from ._graph import Graph
from ._wire import length_delimited, packed_strings, varint_field, varints

_ATTR = defs.OpSchema.AttrType

__all__ = ["AttributeList", "array_key", "attributes_key", "attribute_proto", "attribute_bytes"]

_TYPES = {"ints": AttributeProto.INTS, "floats": AttributeProto.FLOATS, "strings": AttributeProto.STRINGS}


class AttributeList(Sequence):
    """A normalised INTS, FLOATS or STRINGS attribute value: a read-only numpy array.

    It reads like a tuple of Python values (and equals the tuple of the same
    values), but never becomes one: a tree ensemble's lists hold hundreds of
    thousands of numbers. Its key (for deduplication) is the array's bytes, and
    its ``AttributeProto`` is parsed from a wire encoding numpy computes
    (:mod:`._wire`), once.

    >>> ints = AttributeList([2, 0, 1], "ints")
    >>> ints == (2, 0, 1), ints[0], len(ints)
    (True, 2, 3)
    >>> AttributeList(np.array([0.5, 1.0]), "floats")
    (0.5, 1.0)
    """

    __slots__ = ("_payload", "array", "key", "kind")

    def __init__(self, values: Any, kind: str):
        if isinstance(values, AttributeList):
            values = values.array
        if kind == "strings":
            array = np.array(values, dtype=None if isinstance(values, np.ndarray) else object).ravel()
            if array.dtype.kind not in "USO":
                raise TypeError(f"a list of str expected, got {array.dtype} values")
            self._payload: bytes | None = packed_strings(9, array)
            self.key: tuple = ("strings", self._payload)  # str and bytes of the same text are one ONNX value
        else:
            dtype = np.dtype(np.int64 if kind == "ints" else "<f4")
            raw = np.ascontiguousarray(values, dtype=dtype).tobytes()  # the one copy: the key, and the array's memory
            array = np.frombuffer(raw, dtype=dtype)  # read-only, as its buffer is bytes
            self._payload = None  # encoded when first needed
            self.key = (kind, raw)
        array.flags.writeable = False
        self.array = array
        self.kind = kind

    def payload(self) -> bytes:
        """The encoded repeated field (``ints``, ``floats`` or ``strings`` of ``AttributeProto``)."""
        if self._payload is None:
            if self.kind == "ints":
                self._payload = length_delimited(8, varints(self.array)) if self.array.size else b""
            else:
                self._payload = length_delimited(7, self.array.tobytes()) if self.array.size else b""
        return self._payload

    def wire(self, name: str) -> bytes:
        """The serialised ``AttributeProto`` named ``name`` holding this list."""
        return length_delimited(1, name.encode("utf-8")) + self.payload() + varint_field(20, _TYPES[self.kind])

    def tolist(self) -> list[Any]:
        """The values as a list of Python ``int``, ``float`` or ``str``."""
        return self.array.tolist()

    def __len__(self) -> int:
        return self.array.size

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self.array[index].tolist())
        value = self.array[index]
        return value.item() if isinstance(value, np.generic) else value

    def __iter__(self) -> Iterator[Any]:
        return iter(self.array.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AttributeList):
            return self.key == other.key
        if isinstance(other, (tuple, list)):
            return len(other) == len(self) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        if len(self) <= 8:
            return repr(tuple(self))
        return repr(self[:6])[:-1] + f", ... {len(self)} values)"


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
    if isinstance(value, AttributeList):
        return value.key
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
    elif isinstance(value, AttributeList):
        return AttributeProto.FromString(value.wire(name))
    attr_type = AttributeProto.AttributeType.Value(kind.name)
    return helper.make_attribute(name, value, attr_type=attr_type)


def attribute_bytes(name: str, value: Any, kind: Any) -> bytes:
    """The serialised ``AttributeProto`` of a normalised attribute value (not a :class:`Graph`)."""
    if isinstance(value, AttributeList):
        return value.wire(name)
    return attribute_proto(name, value, kind).SerializeToString()
