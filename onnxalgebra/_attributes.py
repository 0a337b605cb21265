"""Attribute values: lists kept as numpy arrays, a hashable key for deduplication, the encoded ``AttributeProto``."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from onnx import AttributeProto, GraphProto, defs, helper, numpy_helper

from ._graph import Graph
from ._wire import length_delimited, packed_strings, varint_field

_STRINGS = getattr(np, "strings", np.char)  # numpy 2's np.strings; numpy 1 has np.char (the same str_len)

_ATTR = defs.OpSchema.AttrType

__all__ = ["AttributeList", "array_key", "attributes_key", "attribute_proto", "attribute_bytes"]

_TYPES = {"ints": AttributeProto.INTS, "floats": AttributeProto.FLOATS, "strings": AttributeProto.STRINGS}
_FIELDS = {"ints": 8, "floats": 7, "strings": 9}  # the repeated field of AttributeProto each kind fills
# A list longer than this keeps only its encoding; its values are decoded from it when read.
KEEP_VALUES_UP_TO = 1 << 16
_FLOAT32 = struct.Struct("<f")
_CHUNK = 1 << 20  # values encoded at a time: the temporaries of a long list stay small


class _Encoded:
    """The encoded values of a list, compared by content: the list's deduplication key.

    Its bytes start as the encoded field, and move into the list's serialised
    ``AttributeProto`` once that is built (:meth:`AttributeList.wire`): a long
    list is then held once, in the bytes the compiler parses.
    """

    __slots__ = ("_hash", "data")

    def __init__(self, data: bytes):
        self.data: bytes | memoryview = data
        self._hash = hash(data)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Encoded):
            return NotImplemented
        if self is other:
            return True
        a, b = self.data, other.data
        if self._hash != other._hash or len(a) != len(b):
            return False
        # memoryviews compare element by element: compare byte strings of a few MB (memcmp) instead
        return all(bytes(a[i : i + _CHUNK * 4]) == bytes(b[i : i + _CHUNK * 4]) for i in range(0, len(a), _CHUNK * 4))


class AttributeList(Sequence):
    """A normalised INTS, FLOATS or STRINGS attribute value, held as its protobuf encoding.

    It reads like a tuple of Python values (and equals the tuple of the same
    values), but never becomes one: a tree ensemble's lists hold millions of
    numbers. The values are encoded once, when the list is made, with numpy
    (packed varints, float32 bytes, length-prefixed strings) a chunk at a
    time, from any integer dtype (a tree's int32 ids are not widened first);
    the encoding is its key for deduplication (equal values, equal bytes) and,
    once the compiler asks for it, part of the list's serialised
    ``AttributeProto`` (:meth:`wire`), so that a long list lives in memory once.
    ``array`` gives the values as a read-only numpy array (int64, float32, or
    the strings): kept for lists of up to ``KEEP_VALUES_UP_TO`` values,
    decoded from the encoding for longer ones.

    >>> ints = AttributeList([2, 0, 1], "ints")
    >>> ints == (2, 0, 1), ints[0], len(ints)
    (True, 2, 3)
    >>> AttributeList(np.array([0.5, 1.0]), "floats")
    (0.5, 1.0)
    """

    __slots__ = ("_array", "_bytes_strings", "_encoded", "_size", "_start", "_wire", "key", "kind")

    def __init__(self, values: Any, kind: str):
        if kind not in _TYPES:
            raise ValueError(f"an attribute list is 'ints', 'floats' or 'strings', not {kind!r}")
        if isinstance(values, AttributeList):
            values = values.array
        self.kind = kind
        self._bytes_strings = False
        if kind == "strings":
            array = np.array(values, dtype=None if isinstance(values, np.ndarray) else object).ravel()
            if array.dtype.kind not in "USO":
                raise TypeError(f"a list of str expected, got {array.dtype} values")
            self._bytes_strings = array.dtype.kind == "S"
            body = _strings_body(array)
        elif kind == "ints":
            array = _integers(values)
            body = _varints_body(array)
        else:
            array = np.asarray(values)
            if array.dtype.kind not in "fiub":
                array = np.asarray(values, dtype=np.float64)
            body = np.ascontiguousarray(array.ravel(), dtype="<f4").tobytes()
            array = np.frombuffer(body, dtype="<f4")
        payload = b""
        if len(array):
            payload = body if kind == "strings" else length_delimited(_FIELDS[kind], body)
        if len(array) <= KEEP_VALUES_UP_TO:  # a short list keeps its values, in the dtype they are read in
            if kind == "ints":
                array = array.astype(np.int64)  # a copy: the caller's array may change
            elif kind == "floats":
                array = array.copy()
        self._hold(payload, len(payload) - len(body), len(array), array)

    def _hold(self, payload: bytes, start: int, size: int, array: np.ndarray) -> None:
        """Keep the encoded field (values from ``start``: ints, floats) and, for a short list, the values."""
        self._size = size
        self._start = start
        self._encoded = _Encoded(payload)
        self.key: tuple = (self.kind, self._encoded)  # str and bytes of the same text are one ONNX value
        self._wire: tuple[str, bytes] | None = None
        self._array: np.ndarray | None = None
        if size <= KEEP_VALUES_UP_TO:
            array.flags.writeable = False
            self._array = array

    @classmethod
    def from_codes(cls, table: Sequence[str], codes: np.ndarray) -> AttributeList:
        """A STRINGS list whose element ``i`` is ``table[codes[i]]``: a few distinct strings repeated millions of
        times (a tree ensemble's ``nodes_modes``), encoded without making the array of strings. It equals the list
        made of those strings.

        >>> AttributeList.from_codes(["BRANCH_LEQ", "LEAF"], np.array([0, 1, 1])) == ("BRANCH_LEQ", "LEAF", "LEAF")
        True
        """
        codes = np.asarray(codes).ravel()
        if codes.dtype.kind not in "iub" or (codes.size and (codes.min() < 0 or codes.max() >= len(table))):
            raise ValueError(f"codes must be integers from 0 to {len(table) - 1}, positions in the table of strings")
        records = [length_delimited(9, v.encode("utf-8") if isinstance(v, str) else bytes(v)) for v in table]
        self = cls.__new__(cls)
        self.kind = "strings"
        self._bytes_strings = bool(table) and all(isinstance(v, bytes) for v in table)
        payload = b"".join(_records_body(records, codes[i : i + _CHUNK]) for i in range(0, codes.size, _CHUNK))
        array = np.array(list(table))[codes] if codes.size <= KEEP_VALUES_UP_TO else np.zeros(0)
        self._hold(payload, 0, codes.size, array)
        return self

    @property
    def array(self) -> np.ndarray:
        """The values, a read-only numpy array: int64 (ints), float32 (floats), str or bytes (strings)."""
        return self._array if self._array is not None else self._decode()

    def _decode(self) -> np.ndarray:
        data = self._encoded.data
        if self.kind == "floats":
            array = np.frombuffer(data, dtype="<f4", offset=self._start).copy()
        elif self.kind == "ints":
            array = _decode_varints(np.frombuffer(data, dtype=np.uint8, offset=self._start))
        else:
            proto = AttributeProto.FromString(bytes(data))
            strings = list(proto.strings) if self._bytes_strings else [v.decode("utf-8") for v in proto.strings]
            array = np.array(strings, dtype=object)
            if strings and all(len(v) < 64 for v in strings):
                array = array.astype(bytes if self._bytes_strings else str)
        array.flags.writeable = False
        return array

    def payload(self) -> bytes | memoryview:
        """The encoded repeated field (``ints``, ``floats`` or ``strings`` of ``AttributeProto``)."""
        return self._encoded.data

    def wire(self, name: str) -> bytes:
        """The serialised ``AttributeProto`` named ``name`` holding this list (built once per name)."""
        if self._wire is not None and self._wire[0] == name:
            return self._wire[1]
        head = length_delimited(1, name.encode("utf-8"))
        data = self._encoded.data
        wire = b"".join([head, data, varint_field(20, _TYPES[self.kind])])
        if len(data) > KEEP_VALUES_UP_TO:
            self._encoded.data = memoryview(wire)[len(head) : len(head) + len(data)]  # one copy of a long list
        self._wire = (name, wire)
        return wire

    def tolist(self) -> list[Any]:
        """The values as a list of Python ``int``, ``float`` or ``str``."""
        return self.array.tolist()

    def __len__(self) -> int:
        return self._size

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


def _integers(values: Any) -> np.ndarray:
    """``values`` as a flat integer array, int64 unless already of a narrower integer dtype (not copied then)."""
    array = np.asarray(values)
    if (array.dtype.kind in "iu" and array.dtype.itemsize < 8) or array.dtype == np.int64:
        return array.ravel()
    if array.dtype.kind == "b":
        return array.ravel().view(np.uint8)
    return np.asarray(values, dtype=np.int64).ravel()  # uint64 wraps, as protobuf's int64 does


def _varints_body(values: np.ndarray) -> bytes:
    """The packed varints of integer ``values``, a chunk at a time (a negative value takes ten bytes)."""
    if not values.size:
        return b""
    low, top = int(values.min()), int(values.max())
    if low >= 0 and top < 0x80:
        return values.astype(np.uint8).tobytes()  # one byte each: most tree fields
    width = 10 if low < 0 else (top.bit_length() + 6) // 7
    return b"".join(_varints_chunk(values[i : i + _CHUNK], width) for i in range(0, values.size, _CHUNK))


def _varints_chunk(values: np.ndarray, width: int) -> bytes:
    unsigned = np.uint32 if width <= 4 else np.uint64  # non-negative values below 2**28: 32-bit arithmetic
    rest = values.astype(np.int64).view(np.uint64) if unsigned is np.uint64 else values.astype(np.uint32)
    seven, low = unsigned(7), unsigned(0x7F)
    groups = np.empty((values.size, width), dtype=np.uint8)
    keep = np.empty((values.size, width), dtype=bool)  # the bytes each value needs
    keep[:, 0] = True
    for i in range(width):
        groups[:, i] = rest & low  # the low 7 bits (the cast to uint8 keeps them)
        rest = rest >> seven
        if i + 1 < width:
            more = rest != 0
            keep[:, i + 1] = more
            groups[:, i] |= more.view(np.uint8) << 7  # the continuation bit
    return groups.ravel()[keep.ravel()].tobytes()  # boolean indexing: several times faster than compress here


def _decode_varints(data: np.ndarray) -> np.ndarray:
    """The int64 values of packed varints."""
    if not data.size:
        return np.zeros(0, dtype=np.int64)
    ends = data < 0x80
    last = np.flatnonzero(ends)
    first = np.concatenate([[0], last[:-1] + 1])
    position = np.arange(data.size) - np.repeat(first, last - first + 1)  # of each byte in its value
    parts = (data & 0x7F).astype(np.uint64) << (7 * position).astype(np.uint64)
    return np.add.reduceat(parts, first).view(np.int64)


def _records_body(records: list[bytes], codes: np.ndarray) -> bytes:
    """The records ``records[codes[i]]`` one after the other, copied by blocks of the largest size dividing them all.

    (``LEAF`` and ``BRANCH_LEQ`` records take 6 and 12 bytes: blocks of 6.)
    """
    if not codes.size:
        return b""
    lengths = np.array([len(r) for r in records], dtype=np.int64)
    block = int(np.gcd.reduce(lengths))
    blocks = np.frombuffer(b"".join(records), dtype=np.uint8).reshape(-1, block)  # the records' blocks, in order
    per_record = lengths // block
    first = np.cumsum(per_record) - per_record  # each record's first block
    counts = per_record[codes]
    ends = np.cumsum(counts)
    ids = np.repeat(first[codes] - (ends - counts), counts) + np.arange(ends[-1])  # the block of each output block
    return blocks[ids].tobytes()


def _strings_body(values: np.ndarray) -> bytes:
    """The repeated ``strings`` field: short ASCII ``str`` or ``bytes`` a chunk at a time, others one by one."""
    if values.dtype.kind in "US" and values.size > _CHUNK:
        return b"".join(_strings_body(values[i : i + _CHUNK]) for i in range(0, values.size, _CHUNK))
    chars = _ascii_rows(values)
    if chars is None:
        return packed_strings(9, values)
    width = chars.shape[1]
    lengths = _STRINGS.str_len(values)  # trailing NULs are not part of numpy's strings
    records = np.empty((len(values), width + 2), dtype=np.uint8)
    records[:, 0] = 9 << 3 | 2  # field 9, length-delimited
    records[:, 1] = lengths
    records[:, 2:] = chars
    keep = np.arange(width + 2) < (lengths + 2)[:, None]
    return records.ravel()[keep.ravel()].tobytes()


def _ascii_rows(values: np.ndarray) -> np.ndarray | None:
    """One row of bytes per string (NUL-padded) when every element is ASCII text shorter than 128, else None."""
    if not values.size or values.dtype.kind not in "US":
        return None
    codes = values.view(np.uint32 if values.dtype.kind == "U" else np.uint8)
    if values.dtype.kind == "U" and codes.max() >= 0x80:
        return None
    width = values.dtype.itemsize // codes.itemsize
    if not 0 < width < 0x80:
        return None
    return codes.reshape(len(values), width).astype(np.uint8, copy=False)


def array_key(array: np.ndarray) -> tuple:
    """A hashable key equal for arrays of equal dtype, shape and content."""
    if array.dtype.kind in "OUS":
        return ("str", array.shape, tuple(str(v) for v in array.ravel().tolist()))
    return (array.dtype.str, array.shape, array.tobytes())


def _value_key(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is str:
        return value
    if kind is float:  # ONNX stores float attributes as float32
        try:
            return ("float32", _FLOAT32.pack(value))
        except OverflowError:
            return ("float32", np.float32(value).tobytes())
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
    if isinstance(value, AttributeRef):
        return ("ref", value.name, int(value.kind))
    if isinstance(value, float):
        return ("float32", np.float32(value).tobytes())  # ONNX stores float attributes as float32
    return value


class AttributeRef:
    """A reference to an attribute of the local function being traced: written as ``ref_attr_name``, the value
    each call of the function gives (see :func:`onnxalgebra.function`)."""

    __slots__ = ("kind", "name")

    def __init__(self, name: str, kind: Any):
        self.name = name
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AttributeRef) and (other.name, other.kind) == (self.name, self.kind)

    def __hash__(self) -> int:
        return hash(("AttributeRef", self.name, int(self.kind)))

    def __repr__(self) -> str:
        return f"AttributeRef({self.name!r})"


def attributes_key(attributes: dict[str, Any]) -> tuple:
    """A hashable key of normalised attributes (already sorted by name)."""
    if not attributes:
        return ()
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
    if isinstance(value, AttributeRef):
        proto = AttributeProto(name=name, ref_attr_name=value.name)
        proto.type = AttributeProto.AttributeType.Value(kind.name)
        return proto
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
    scalar = _scalar_attribute_wire(name, value, kind)
    if scalar is not None:
        return scalar
    if kind == _ATTR.TENSOR and isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.dtype.isnative:
        return _tensor_attribute_wire(name, value)
    return attribute_proto(name, value, kind).SerializeToString()


_SCALAR_FIELDS = {_ATTR.FLOAT: 2, _ATTR.INT: 3, _ATTR.STRING: 4}  # AttributeProto's f, i and s
_TYPE_FIELDS = {k: varint_field(20, int(AttributeProto.AttributeType.Value(k.name))) for k in _SCALAR_FIELDS}


def _scalar_attribute_wire(name: str, value: Any, kind: Any) -> bytes | None:
    """The serialised ``AttributeProto`` of a FLOAT, INT or STRING value, encoded directly (in field order, as
    protobuf writes it: name, then f, i or s, then type); None for any other value (or a float beyond float32).

    >>> all(AttributeProto.FromString(_scalar_attribute_wire("a", v, k)) == helper.make_attribute("a", v)
    ...     for v, k in [(0.5, _ATTR.FLOAT), (-3, _ATTR.INT), ("été", _ATTR.STRING)])
    True
    """
    field = _SCALAR_FIELDS.get(kind)
    if field is None:
        return None
    if field == 2 and type(value) is float:
        try:
            body = b"\x15" + _FLOAT32.pack(value)  # field 2, fixed32
        except OverflowError:  # protobuf stores inf: the general path
            return None
    elif field == 3 and type(value) is int and -(1 << 63) <= value < (1 << 63):
        body = varint_field(3, value)
    elif field == 4 and isinstance(value, (str, bytes)):
        body = length_delimited(4, value.encode("utf-8") if isinstance(value, str) else value)
    else:
        return None
    return length_delimited(1, name.encode("utf-8")) + body + _TYPE_FIELDS[kind]


def _tensor_attribute_wire(name: str, array: np.ndarray) -> bytes:
    """The serialised ``AttributeProto`` of a numeric tensor, encoded directly: what ``numpy_helper.from_array``
    gives (dims, data_type, little-endian raw_data) without its copies of a long array (a forest's splits).

    >>> from onnx import numpy_helper
    >>> a = np.array([[1.5, -2.0]])
    >>> AttributeProto.FromString(_tensor_attribute_wire("t", a)) == helper.make_attribute("t", numpy_helper.from_array(a))
    True
    """
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    tensor = b"".join(
        [
            *(varint_field(1, int(d)) for d in array.shape),  # dims
            varint_field(2, helper.np_dtype_to_tensor_dtype(np.dtype(array.dtype.type))),  # data_type
            length_delimited(9, data),  # raw_data
        ]
    )
    del data
    head = length_delimited(1, name.encode("utf-8"))
    return b"".join([head, length_delimited(5, tensor), varint_field(20, AttributeProto.TENSOR)])
