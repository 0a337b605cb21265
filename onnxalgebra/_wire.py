"""Protobuf wire encoding of long attribute lists, computed with numpy.

A tree ensemble carries a dozen lists of tens of thousands of numbers. Filling
an ``AttributeProto`` from Python values costs about 40 ns per element
(``tolist`` then ``extend``); encoding the packed field with numpy and letting
protobuf parse it costs a fraction of that, and the bytes also serve as the
node's serialised form for ONNX's inference. The encoding is protobuf's: a
field is ``varint(number << 3 | wire_type)`` then its payload; a packed
repeated field (ints, floats) is one length-delimited payload, a repeated
``bytes`` field (strings) is one length-delimited record per element.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_STRINGS = getattr(np, "strings", np.char)  # numpy 2's np.strings; numpy 1 has np.char (the same str_len)

__all__ = ["varints", "length_delimited", "packed_strings", "field_key"]

_VARINT, _LENGTH_DELIMITED = 0, 2
_SEVEN = np.uint64(7)
_LOW = np.uint64(0x7F)


def varints(values: np.ndarray) -> bytes:
    """The concatenated varints of int64 ``values`` (a negative value takes ten bytes, as in protobuf).

    >>> varints(np.array([1, 300, -1])).hex()
    '01ac02ffffffffffffffffff01'
    """
    v = np.ascontiguousarray(values, dtype=np.int64).view(np.uint64).ravel()
    if not v.size:
        return b""
    top = int(v.max())
    if top < 0x80:
        return v.astype(np.uint8).tobytes()  # one byte each: most tree fields
    width = (top.bit_length() + 6) // 7
    groups = np.empty((v.size, width), dtype=np.uint8)
    keep = np.empty((v.size, width), dtype=bool)  # the bytes each value needs
    keep[:, 0] = True
    rest = v
    for i in range(width):
        groups[:, i] = (rest & _LOW).astype(np.uint8)
        rest = rest >> _SEVEN
        if i + 1 < width:
            more = rest != 0
            keep[:, i + 1] = more
            groups[:, i] |= more.view(np.uint8) << 7  # the continuation bit
    return groups.ravel().compress(keep.ravel()).tobytes()


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # a negative int64 as protobuf writes it
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field_key(number: int, wire_type: int) -> bytes:
    """The key that starts field ``number``."""
    return _varint(number << 3 | wire_type)


_SMALL = [bytes((n,)) for n in range(0x80)]  # the varint of each value under 128: one byte
_DELIMITED_KEYS = [field_key(n, _LENGTH_DELIMITED) for n in range(32)]
_VARINT_KEYS = [field_key(n, _VARINT) for n in range(32)]


def length_delimited(number: int, payload: bytes) -> bytes:
    """Field ``number`` holding ``payload`` (a string, a message, or a packed list)."""
    key = _DELIMITED_KEYS[number] if number < 32 else field_key(number, _LENGTH_DELIMITED)
    size = len(payload)
    return key + (_SMALL[size] if size < 0x80 else _varint(size)) + payload


def varint_field(number: int, value: int) -> bytes:
    """Field ``number`` holding the integer ``value``."""
    key = _VARINT_KEYS[number] if number < 32 else field_key(number, _VARINT)
    return key + (_SMALL[value] if 0 <= value < 0x80 else _varint(value))


def packed_strings(number: int, values: np.ndarray) -> bytes:
    """The repeated bytes field ``number``: one record per element of ``values`` (str or bytes).

    Short ASCII strings (all of a tree ensemble's ``nodes_modes``) are encoded
    without a Python loop; other values one by one. (numpy drops trailing NULs
    of its fixed-width strings, as ``tolist`` shows them.)

    >>> packed_strings(9, np.array(["LEAF", "BRANCH_LEQ"])) == length_delimited(9, b"LEAF") + length_delimited(9, b"BRANCH_LEQ")
    True
    """
    values = np.asarray(values).ravel()
    if not values.size:
        return b""
    chars = _ascii_matrix(values)
    if chars is None:
        return _strings_one_by_one(number, values.tolist())
    width = chars.shape[1]
    lengths = _STRINGS.str_len(values)  # NULs inside a string count, trailing ones are not kept by numpy
    records = np.empty((len(values), width + 2), dtype=np.uint8)
    records[:, 0] = number << 3 | _LENGTH_DELIMITED
    records[:, 1] = lengths
    records[:, 2:] = chars
    keep = np.arange(width + 2) < (lengths + 2)[:, None]
    return records.ravel().compress(keep.ravel()).tobytes()


def _ascii_matrix(values: np.ndarray) -> np.ndarray | None:
    """One row of bytes per string (NUL-padded) when every element is short ASCII text, else None."""
    if values.dtype.kind == "U":
        codes = values.view(np.uint32)  # numpy's str is UCS-4
        if codes.size and codes.max() >= 0x80:
            return None
    elif values.dtype.kind == "S":
        codes = values.view(np.uint8)
    else:
        return None
    width = values.dtype.itemsize // codes.itemsize
    if not 0 < width < 0x80:
        return None
    return codes.reshape(len(values), width).astype(np.uint8, copy=False)


def _strings_one_by_one(number: int, values: Iterable[str | bytes]) -> bytes:
    records: dict[str | bytes, bytes] = {}
    parts = []
    for v in values:
        record = records.get(v)
        if record is None:
            raw = v.encode("utf-8") if isinstance(v, str) else bytes(v)
            record = records[v] = length_delimited(number, raw)
        parts.append(record)
    return b"".join(parts)
