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

from ._errors import OnnxShapeError, OnnxTypeError

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
    if isinstance(dtype, (list, tuple, dict, set)):  # np.dtype would read a structured dtype
        raise OnnxTypeError(f"dtype {dtype!r} is not a dtype; expected a numpy dtype such as np.float32 or 'int64'.")
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise OnnxTypeError(
            f"dtype {dtype!r} ({type(dtype).__name__}) is not a numpy dtype; expected one such as np.float32, "
            "np.int64, np.bool_, np.str_ or a name such as 'float32'."
        ) from None
    if dt.kind in "OUS":
        elem_type = TensorProto.STRING
    else:
        try:
            elem_type = int(helper.np_dtype_to_tensor_dtype(dt))
        except (KeyError, TypeError, ValueError):
            elem_type = None
        if elem_type is None or dt.kind in "mMV":  # datetimes, timedeltas, structured dtypes
            raise OnnxTypeError(
                f"dtype {dt} has no ONNX tensor type; ONNX tensors hold booleans, integers, floats, complex "
                "numbers or strings (convert datetimes to int64 first, e.g. array.astype('datetime64[s]').astype(np.int64))."
            )
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


def make_type(dtype: Any, shape: Sequence[Dim] | None = None, what: str = "") -> ValueType:
    """Build a type from a numpy dtype (or a ValueType, or a TypeProto) and a shape.

    A shape is a sequence of dimensions, each an int >= 0, a symbolic name
    (a str such as ``'N'``, spelled like a Python identifier) or None (known
    only when the model runs). Anything else raises :class:`OnnxTypeError`
    (:class:`OnnxShapeError` for a negative dimension or a bad name) saying
    what was given; ``what`` (such as ``"Var('X')"``) starts the message.

    >>> str(make_type(np.float32, [None, 4]))
    'tensor(float)[?, 4]'
    >>> make_type(np.float32, 3)
    Traceback (most recent call last):
    ...
    onnxalgebra._errors.OnnxTypeError: shape 3 is an int, not a sequence of dimensions; write [3] for a 1-D tensor of 3 elements.
    """
    prefix = f"{what}: " if what else ""
    if isinstance(dtype, (TensorType, SequenceType, OptionalType, MapType)):
        return dtype
    if isinstance(dtype, TypeProto):
        converted = type_from_proto(dtype)
        if converted is None:
            raise OnnxTypeError(f"{prefix}the TypeProto has no element type")
        return converted
    try:
        elem_type = elem_type_of(dtype)
        dims = None if shape is None else tuple(_normalise_dim(d, i) for i, d in enumerate(_shape_sequence(shape)))
    except OnnxTypeError as exc:
        if not prefix:
            raise
        raise type(exc)(prefix + str(exc)) from None
    return TensorType(elem_type, dims)


def _shape_sequence(shape: Any) -> Sequence[Any]:
    """The dimensions of a declared shape: a list, tuple, range or 1-D array, never one int or one str."""
    if isinstance(shape, (list, tuple, range)):
        return shape
    if isinstance(shape, np.ndarray) and shape.ndim == 1:
        return shape.tolist()
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        raise OnnxTypeError(
            f"shape {shape!r} is an int, not a sequence of dimensions; write [{int(shape)}] for a 1-D tensor of {shape} elements."
        )
    if isinstance(shape, str):
        raise OnnxTypeError(
            f"shape {shape!r} is a str, not a sequence of dimensions; write [{shape!r}] for a 1-D tensor "
            "whose length is the symbolic dimension."
        )
    raise OnnxTypeError(
        f"shape {shape!r} ({type(shape).__name__}) is not a sequence of dimensions; expected a list or tuple of "
        "ints >= 0, symbolic names (str) or None, such as [None, 4]."
    )


def _normalise_dim(dim: Any, index: int = 0) -> Dim:
    if dim is None:
        return dim
    if isinstance(dim, str):
        if dim.isidentifier():
            return dim
        if dim.strip().lstrip("-").isdigit():
            raise OnnxShapeError(f"dimension {index} is the str {dim!r}; write the int {int(dim)} for a known dimension.")
        raise OnnxShapeError(
            f"dimension {index} is the str {dim!r}, not a symbolic name; a symbolic dimension is spelled like a "
            "Python identifier (letters, digits and _, such as 'N' or 'batch'), or use None for an unnamed one."
        )
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, (bool, np.bool_)):
        if int(dim) >= 0:
            return int(dim)
        raise OnnxShapeError(
            f"dimension {index} is {int(dim)}, expected an int >= 0; use None (or a name such as 'N') "
            "for a dimension known only when the model runs."
        )
    if isinstance(dim, (float, np.floating)) and float(dim).is_integer() and dim >= 0:
        raise OnnxTypeError(f"dimension {index} is the float {dim!r}; dimensions are ints: write {int(dim)}.")
    raise OnnxTypeError(
        f"dimension {index} is {type(dim).__name__} {dim!r}; a dimension must be an int >= 0, a symbolic name (str) or None."
    )


_TYPE_BYTES: dict[ValueType, bytes] = {}  # a per-process memo (emptied when it holds 4096 types)


def type_bytes(vtype: ValueType | None) -> bytes:
    """The serialised ``TypeProto`` of ``vtype`` (remembered: ``helper.make_tensor_type_proto`` costs microseconds).

    >>> TypeProto.FromString(type_bytes(TensorType(1, (None, 4)))) == type_to_proto(TensorType(1, (None, 4)))
    True
    """
    raw = _TYPE_BYTES.get(vtype) if vtype is not None else None
    if raw is None:
        raw = type_to_proto(vtype).SerializeToString()
        if vtype is not None:
            if len(_TYPE_BYTES) >= 4096:
                _TYPE_BYTES.clear()
            _TYPE_BYTES[vtype] = raw
    return raw


def value_info(name: str, vtype: ValueType | None, into: onnx.ValueInfoProto | None = None) -> onnx.ValueInfoProto:
    """Build an ``onnx.ValueInfoProto`` named ``name`` of type ``vtype`` (written into the empty message ``into`` when
    given: ``graph.input.add()`` needs no copy).

    >>> value_info("X", TensorType(1, (None, 4))).type.tensor_type.elem_type
    1
    """
    info = onnx.ValueInfoProto() if into is None else into
    info.name = name
    if vtype is not None:
        info.type.MergeFromString(type_bytes(vtype))
    return info
