"""Value types: small immutable, hashable mirrors of ``onnx.TypeProto``.

They are hashable so that type inference can be cached on them, and cheap to
build so that every expression can carry its type from construction on.
A dimension is an ``int``, a ``str`` (a symbolic dimension) or ``None``
(unknown); a shape of ``None`` means the rank is unknown.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import onnx
from onnx import TensorProto, TypeProto, helper

Dim = Union[int, str, None]
Shape = Union[tuple[Dim, ...], None]

__all__ = [
    "TensorType",
    "SequenceType",
    "OptionalType",
    "MapType",
    "ValueType",
    "elem_type_of",
    "np_dtype_of",
    "type_from_proto",
    "type_to_proto",
    "make_type",
]


@dataclass(frozen=True)
class TensorType:
    """A tensor of element type ``elem_type`` (an ``onnx.TensorProto`` code) and a shape.

    >>> t = TensorType(onnx.TensorProto.FLOAT, ("N", 3))
    >>> str(t), t.dtype
    ('tensor(float)[N, 3]', dtype('float32'))
    """

    elem_type: int
    shape: Shape = None

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the elements."""
        return np_dtype_of(self.elem_type)

    def __str__(self) -> str:
        name = TensorProto.DataType.Name(self.elem_type).lower()
        if self.shape is None:
            return f"tensor({name})"
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"tensor({name})[{dims}]"


@dataclass(frozen=True)
class SequenceType:
    """A sequence whose elements all have type ``elem``.

    >>> str(SequenceType(TensorType(onnx.TensorProto.INT64, (None,))))
    'seq(tensor(int64)[?])'
    """

    elem: ValueType | None

    def __str__(self) -> str:
        return f"seq({self.elem if self.elem is not None else '?'})"


@dataclass(frozen=True)
class OptionalType:
    """An optional value of type ``elem``.

    >>> str(OptionalType(TensorType(onnx.TensorProto.FLOAT)))
    'optional(tensor(float))'
    """

    elem: ValueType | None

    def __str__(self) -> str:
        return f"optional({self.elem if self.elem is not None else '?'})"


@dataclass(frozen=True)
class MapType:
    """A map from ``key_type`` (a ``TensorProto`` code) to ``value``.

    >>> str(MapType(onnx.TensorProto.INT64, TensorType(onnx.TensorProto.FLOAT)))
    'map(int64, tensor(float))'
    """

    key_type: int
    value: ValueType | None

    def __str__(self) -> str:
        key = TensorProto.DataType.Name(self.key_type).lower()
        return f"map({key}, {self.value})"


ValueType = Union[TensorType, SequenceType, OptionalType, MapType]


# np.dtype -> element type, filled on first use (onnx's own lookup rebuilds a table per call).
_ELEM_TYPES: dict[np.dtype, int] = {}


def elem_type_of(dtype: Any) -> int:
    """Return the ``TensorProto`` element type of a numpy dtype (or type).

    >>> elem_type_of(np.float32)
    1
    """
    if isinstance(dtype, np.dtype):
        known = _ELEM_TYPES.get(dtype)
        if known is not None:
            return known
    elif isinstance(dtype, (int, np.integer)) and not isinstance(dtype, bool):
        if int(dtype) in TensorProto.DataType.values():
            return int(dtype)
    dt = np.dtype(dtype)
    elem_type = TensorProto.STRING if dt.kind in "OUS" else int(helper.np_dtype_to_tensor_dtype(dt))
    _ELEM_TYPES[dt] = elem_type
    return elem_type


@functools.cache
def np_dtype_of(elem_type: int) -> np.dtype:
    """Return the numpy dtype of a ``TensorProto`` element type."""
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))


def _dims_from_proto(tensor_type: Any) -> Shape:
    if not tensor_type.HasField("shape"):
        return None
    dims: list[Dim] = []
    for d in tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return tuple(dims)


def type_from_proto(proto: TypeProto) -> ValueType | None:
    """Convert an ``onnx.TypeProto`` to a :data:`ValueType` (``None`` if empty)."""
    kind = proto.WhichOneof("value")
    if kind == "tensor_type":
        tt = proto.tensor_type
        if tt.elem_type == TensorProto.UNDEFINED:
            return None
        return TensorType(tt.elem_type, _dims_from_proto(tt))
    if kind == "sequence_type":
        elem = proto.sequence_type.elem_type
        return SequenceType(type_from_proto(elem) if elem.ByteSize() else None)
    if kind == "optional_type":
        elem = proto.optional_type.elem_type
        return OptionalType(type_from_proto(elem) if elem.ByteSize() else None)
    if kind == "map_type":
        return MapType(proto.map_type.key_type, type_from_proto(proto.map_type.value_type))
    if kind == "sparse_tensor_type":
        st = proto.sparse_tensor_type
        return TensorType(st.elem_type, _dims_from_proto(st))
    return None


def type_to_proto(vtype: ValueType | None) -> TypeProto:
    """Convert a :data:`ValueType` to an ``onnx.TypeProto``."""
    if vtype is None:
        return TypeProto()
    if isinstance(vtype, TensorType):
        shape = None if vtype.shape is None else list(vtype.shape)
        return helper.make_tensor_type_proto(vtype.elem_type, shape)
    if isinstance(vtype, SequenceType):
        return helper.make_sequence_type_proto(type_to_proto(vtype.elem))
    if isinstance(vtype, OptionalType):
        return helper.make_optional_type_proto(type_to_proto(vtype.elem))
    if isinstance(vtype, MapType):
        return helper.make_map_type_proto(vtype.key_type, type_to_proto(vtype.value))
    raise TypeError(f"not a value type: {vtype!r}")


def make_type(dtype: Any, shape: Sequence[Dim] | None = None) -> ValueType:
    """Build a type from a numpy dtype (or a ValueType, or a TypeProto) and a shape.

    >>> str(make_type(np.float32, [None, 4]))
    'tensor(float)[?, 4]'
    """
    if isinstance(dtype, (TensorType, SequenceType, OptionalType, MapType)):
        return dtype
    if isinstance(dtype, TypeProto):
        converted = type_from_proto(dtype)
        if converted is None:
            raise TypeError("the TypeProto has no element type")
        return converted
    dims = None if shape is None else tuple(_normalise_dim(d) for d in shape)
    return TensorType(elem_type_of(dtype), dims)


def _normalise_dim(dim: Any) -> Dim:
    if dim is None or isinstance(dim, str):
        return dim
    if isinstance(dim, (int, np.integer)) and int(dim) >= 0:
        return int(dim)
    raise TypeError(f"a dimension must be an int >= 0, a str or None, not {dim!r}")


def value_info(name: str, vtype: ValueType | None) -> onnx.ValueInfoProto:
    """Build an ``onnx.ValueInfoProto`` named ``name`` of type ``vtype``."""
    info = onnx.ValueInfoProto()
    info.name = name
    if vtype is not None:
        info.type.CopyFrom(type_to_proto(vtype))
    return info
