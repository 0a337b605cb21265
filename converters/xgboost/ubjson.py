"""UBJSON (Universal Binary JSON), as XGBoost's ``Booster.save_raw('ubj')`` writes its model: :func:`read_ubjson`
reads a document, keeping each typed array as a :class:`TypedArray` over the saved bytes, and :func:`concatenate`
joins many of them in one numpy gather (a model of 5,000 trees: one pass per field instead of one array per
tree; ``json.loads`` of the same model as JSON text takes 0.3-0.7 s alone).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np

from onnxalgebra import ConversionError

__all__ = ["TypedArray", "concatenate", "read_ubjson"]

# UBJSON (what save_raw('ubj') writes, big-endian): markers of numbers and their dtypes.
_UBJ_DTYPES = {"i": "i1", "U": "u1", "I": ">i2", "l": ">i4", "L": ">i8", "d": ">f4", "D": ">f8"}
_UBJ_NUMBERS = {ord(k): np.dtype(v) for k, v in _UBJ_DTYPES.items()}
_UBJ_STRUCTS = {ord(k): struct.Struct(">" + f) for k, f in zip("iUIlLdD", "bBhiqfd")}
_OBJECT, _OBJECT_END, _ARRAY, _ARRAY_END, _STRING, _TYPE, _COUNT = (ord(c) for c in "{}[]S$#")
_CONSTANTS = {ord("T"): True, ord("F"): False, ord("Z"): None}


_field = tuple.__getitem__  # a TypedArray's own fields (its [] reads its values)


class TypedArray(tuple):
    """A typed UBJSON array (one type, a count): ``count`` values of ``dtype`` at ``offset`` in ``data``, read only
    when asked (``np.asarray``, indexing, iteration). :func:`concatenate` joins many of one buffer in one numpy
    gather, instead of one array per tree. (A tuple ``(data, offset, count, dtype)``: made in C, 5,000 trees
    make 70,000 of them.)

    >>> a = TypedArray((b"\\x00\\x01\\x00\\x02", 0, 2, np.dtype(">i2")))
    >>> len(a), int(a[1]), np.asarray(a, dtype=np.int64).tolist()
    (2, 2, [1, 2])
    """

    __slots__ = ()

    data = property(lambda self: _field(self, 0))
    offset = property(lambda self: _field(self, 1))
    count = property(lambda self: _field(self, 2))
    dtype = property(lambda self: _field(self, 3))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data, offset, count, kind = (_field(self, i) for i in range(4))
        values = np.frombuffer(data, dtype=kind, count=count, offset=offset)
        return values if dtype is None else values.astype(dtype)

    def __len__(self) -> int:
        return _field(self, 2)

    def __eq__(self, other: object) -> bool:
        return np.array_equal(np.asarray(self), np.asarray(other))

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, key: Any) -> Any:
        return np.asarray(self)[key]

    def __iter__(self) -> Any:
        return iter(np.asarray(self))


def concatenate(arrays: Sequence[Any], dtype: Any) -> np.ndarray:
    """The values of ``arrays`` one after the other, as ``dtype``: typed arrays of one buffer and one type
    (:class:`TypedArray`) in one gather of their bytes, any others through ``np.asarray``.

    >>> data = b"\\x00\\x01\\x00\\x02\\x00\\x03"
    >>> concatenate([TypedArray((data, 4, 1, np.dtype(">i2"))), TypedArray((data, 0, 2, np.dtype(">i2")))], np.int64).tolist()
    [3, 1, 2]
    """
    first = arrays[0] if len(arrays) else None
    # The checks and the offsets run in C (map over the tuples' own fields): 5,000 trees, six fields.
    if (
        isinstance(first, TypedArray)
        and set(map(type, arrays)) == {TypedArray}
        and len(set(map(id, map(_field, arrays, repeat(0))))) == 1
        and len(set(map(_field, arrays, repeat(3)))) == 1
    ):
        counts = np.array(list(map(_field, arrays, repeat(2))), dtype=np.int64)
        offsets = np.array(list(map(_field, arrays, repeat(1))), dtype=np.int64)
        kind, buffer = _field(first, 3), _field(first, 0)
        size = kind.itemsize
        ends = np.cumsum(counts)
        where = np.arange(int(ends[-1]), dtype=np.int64) * size  # the first byte of each value
        where += np.repeat(offsets - (ends - counts) * size, counts)
        out = np.empty(len(where), dtype=dtype)
        residues = np.unique(offsets % size)
        for r in residues.tolist():  # values are read through a view of the buffer aligned at r, one per alignment
            view = np.frombuffer(buffer, dtype=kind, count=(len(buffer) - r) // size, offset=r)
            if len(residues) == 1:
                out[:] = view[(where - r) // size]
            else:
                mine = where % size == r
                out[mine] = view[(where[mine] - r) // size]
        return out
    if first is None:
        return np.zeros(0, dtype=dtype)
    return np.concatenate([np.asarray(a, dtype=dtype).reshape(-1) for a in arrays])


def read_ubjson(data: bytes) -> Any:
    """The value a UBJSON document (Universal Binary JSON, as XGBoost writes it) holds: objects as dicts, strings
    as str, numbers as int or float, typed arrays (``[$d#L...``: one type and a count) as :class:`TypedArray`
    (read when used), other arrays as lists.

    >>> value = read_ubjson(b"{i\\x01a[$i#i\\x02\\x01\\xffi\\x01bSi\\x02hi}")
    >>> np.asarray(value["a"]).tolist(), value["b"]
    ([1, -1], 'hi')
    """
    try:
        value, _ = _ubj_value(data, 1, data[0])
    except (IndexError, KeyError, struct.error, ValueError, UnicodeDecodeError) as error:
        raise ConversionError(
            f"XGBoost binary JSON model: cannot be read ({type(error).__name__}: {error}); expected what "
            "Booster.save_raw('ubj') writes (XGBoost 1.6 or newer)."
        ) from None
    return value


def _ubj_value(data: bytes, pos: int, marker: int) -> tuple[Any, int]:
    """The value whose marker is ``marker`` (read), starting at ``pos``, and the position after it."""
    unpack = _UBJ_STRUCTS.get(marker)
    if unpack is not None:
        return unpack.unpack_from(data, pos)[0], pos + unpack.size
    if marker == _STRING:
        unpack = _UBJ_STRUCTS[data[pos]]
        n = unpack.unpack_from(data, pos + 1)[0]
        pos += 1 + unpack.size
        return data[pos : pos + n].decode("utf-8"), pos + n
    if marker == _OBJECT or marker == _ARRAY:
        kind = None
        count = -1
        if data[pos] == _TYPE:
            kind, pos = data[pos + 1], pos + 2
        if data[pos] == _COUNT:
            unpack = _UBJ_STRUCTS[data[pos + 1]]
            count = unpack.unpack_from(data, pos + 2)[0]
            pos += 2 + unpack.size
        if marker == _ARRAY:
            dtype = _UBJ_NUMBERS.get(kind)  # type: ignore[arg-type]
            if dtype is not None and count >= 0:
                return TypedArray((data, pos, count, dtype)), pos + count * dtype.itemsize
            items = []
            while len(items) != count and (count >= 0 or data[pos] != _ARRAY_END):
                if kind is None:
                    item, pos = _ubj_value(data, pos + 1, data[pos])
                else:
                    item, pos = _ubj_value(data, pos, kind)
                items.append(item)
            return items, pos if count >= 0 else pos + 1
        return _ubj_object(data, pos, kind, count)
    if marker in _CONSTANTS:
        return _CONSTANTS[marker], pos
    if marker == ord("C"):
        return chr(data[pos]), pos + 1
    if marker == ord("N"):  # no-op: the value is the next one
        return _ubj_value(data, pos + 1, data[pos])
    if marker == ord("H"):  # a high-precision number, as text
        value, pos = _ubj_value(data, pos, _STRING)
        return float(value), pos
    raise ValueError(f"unknown marker {chr(marker)!r} at byte {pos - 1}")


_INT64 = ord("L")
_UNPACK_INT64 = _UBJ_STRUCTS[_INT64].unpack_from
_TYPED = {marker: (dtype, dtype.itemsize) for marker, dtype in _UBJ_NUMBERS.items()}


def _ubj_object(data: bytes, pos: int, kind: int | None, count: int) -> tuple[dict[str, Any], int]:
    """An object's members from ``pos`` (after its ``{`` and optional type and count), and the position after it.

    The members of a tree (typed arrays, strings, keys whose length is an int64, as XGBoost writes them) are read
    here, without a call per member: 5,000 trees have 80,000 of them."""
    if kind is not None or count >= 0:
        return _ubj_counted_object(data, pos, kind, count)
    out = {}
    names: dict[bytes, str] = {}
    structs, typed = _UBJ_STRUCTS, _TYPED
    while data[pos] != _OBJECT_END:
        if data[pos] == _INT64:
            n = _UNPACK_INT64(data, pos + 1)[0]
            pos += 9
        else:
            unpack = structs[data[pos]]
            n = unpack.unpack_from(data, pos + 1)[0]
            pos += 1 + unpack.size
        raw = data[pos : pos + n]
        key = names.get(raw)
        if key is None:
            key = names[raw] = raw.decode("utf-8")
        pos += n
        marker = data[pos]
        if marker == _ARRAY and data[pos + 1] == _TYPE and data[pos + 3] == _COUNT and data[pos + 2] in typed:
            dtype, itemsize = typed[data[pos + 2]]
            if data[pos + 4] == _INT64:
                size = _UNPACK_INT64(data, pos + 5)[0]
                pos += 13
            else:
                unpack = structs[data[pos + 4]]
                size = unpack.unpack_from(data, pos + 5)[0]
                pos += 5 + unpack.size
            out[key] = TypedArray((data, pos, size, dtype))
            pos += size * itemsize
        elif marker == _STRING:
            unpack = structs[data[pos + 1]]
            n = unpack.unpack_from(data, pos + 2)[0]
            pos += 2 + unpack.size
            out[key] = data[pos : pos + n].decode("utf-8")
            pos += n
        else:
            out[key], pos = _ubj_value(data, pos + 1, marker)
    return out, pos + 1


def _ubj_counted_object(data: bytes, pos: int, kind: int | None, count: int) -> tuple[dict[str, Any], int]:
    """An object with a type for all its values or a count of members (XGBoost writes neither)."""
    out = {}
    while len(out) != count and (count >= 0 or data[pos] != _OBJECT_END):
        key, pos = _ubj_value(data, pos, _STRING)
        if kind is None:
            out[key], pos = _ubj_value(data, pos + 1, data[pos])
        else:
            out[key], pos = _ubj_value(data, pos, kind)
    return out, pos if count >= 0 else pos + 1
