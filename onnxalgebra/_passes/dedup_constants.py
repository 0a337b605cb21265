"""Equal constants (dtype, shape, bytes) become a single initializer.

A constant is keyed by its bytes; one over :data:`DIGEST_ABOVE` bytes by a
SHA-256 digest of them instead (a 2 GB weight would otherwise be copied into
the key), and a digest match is confirmed by comparing the arrays. The
initializers are written into the graph in place
(:meth:`InitializerTable.write`): protobuf copies a message by serialising it,
which fails over its 2 GB limit.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from onnx import TensorProto, numpy_helper

from .._attributes import array_key
from .._errors import CompileError
from .._types import elem_type_of
from .naming import NameAllocator

__all__ = ["InitializerTable", "tensor_proto", "DIGEST_ABOVE"]

# Constants over this many bytes are keyed by a digest of their bytes, not by a copy of them.
DIGEST_ABOVE = 1 << 16
# Protobuf's limit on a serialised message: a tensor not stored as raw bytes must fit in it.
_PROTOBUF_LIMIT = (1 << 31) - 1
_CHUNK = 1 << 24  # bytes compared at a time when a digest matches

# dtypes whose tensors are plain little-endian bytes in ``raw_data`` (no string
# data, no bit packing): for them :func:`tensor_proto` skips numpy_helper's checks.
_RAW_DTYPES = frozenset(
    np.dtype(t)
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
              np.float16, np.float32, np.float64, np.complex64, np.complex128)
) if sys.byteorder == "little" else frozenset()


def tensor_proto(array: np.ndarray, name: str, into: TensorProto | None = None) -> TensorProto:
    """``numpy_helper.from_array(array, name)``, with a fast path for common numeric dtypes.

    With ``into``, the tensor is written into that (empty) message, in place:
    a tensor added to a graph with ``graph.initializer.add()`` needs no copy.

    >>> tensor_proto(np.array([1.5], np.float32), "c") == numpy_helper.from_array(np.array([1.5], np.float32), "c")
    True
    """
    tensor = TensorProto() if into is None else into
    if array.dtype not in _RAW_DTYPES:
        made = numpy_helper.from_array(array, name)
        if into is None:
            return made
        if made.HasField("raw_data") or made.ByteSize() <= _PROTOBUF_LIMIT:
            _move_tensor(made, into)
            return into
        raise CompileError(
            f"constant {name!r} ({array.dtype}, shape {array.shape}) takes {made.ByteSize():,} bytes as a TensorProto: "
            f"ONNX stores {array.dtype} tensors inline, and protobuf cannot write a message over 2 GB. "
            "Split it into several constants, or store it as numbers."
        )
    tensor.dims.extend(array.shape)
    if name:  # onnx.proto is proto2: a field set to "" is still written
        tensor.name = name
    tensor.data_type = elem_type_of(array.dtype)
    tensor.raw_data = array.tobytes()
    return tensor


def _move_tensor(source: TensorProto, target: TensorProto) -> None:
    """Copy ``source`` into ``target``: field by field when it holds raw bytes (CopyFrom serialises)."""
    if not source.HasField("raw_data"):
        target.CopyFrom(source)
        return
    raw = source.raw_data
    source.ClearField("raw_data")
    target.CopyFrom(source)  # small without its bytes
    target.raw_data = raw


def _digest(array: np.ndarray) -> bytes:
    return hashlib.sha256(memoryview(np.ascontiguousarray(array)).cast("B")).digest()


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two arrays of equal dtype and shape hold the same bytes, compared a chunk at a time."""
    x = memoryview(np.ascontiguousarray(a)).cast("B")
    y = memoryview(np.ascontiguousarray(b)).cast("B")
    return len(x) == len(y) and all(x[i : i + _CHUNK] == y[i : i + _CHUNK] for i in range(0, len(x), _CHUNK))


class InitializerTable:
    """Initializers of a model, one per distinct constant value.

    >>> table = InitializerTable(NameAllocator())
    >>> a = table.name_for(np.array([1.0], np.float32))
    >>> a == table.name_for(np.array([1.0], np.float32))
    True
    """

    def __init__(self, names: NameAllocator) -> None:
        self._names = names
        self._by_key: dict[tuple, str] = {}
        self._by_digest: dict[tuple, list[tuple[np.ndarray, str]]] = {}  # large constants: their arrays, to confirm
        self._arrays: list[tuple[str, np.ndarray]] = []  # in creation order
        self._given: set[str] = set()

    def name_for(self, array: np.ndarray) -> str:
        """The initializer name holding ``array``, created on first use."""
        if array.dtype.kind not in "OUSV" and array.nbytes > DIGEST_ABOVE:
            return self._large(array)
        key = array_key(array)
        name = self._by_key.get(key)
        if name is None:
            name = self._by_key[key] = self._add(array)
        return name

    def _large(self, array: np.ndarray) -> str:
        key = (array.dtype.str, array.shape, _digest(array))
        same = self._by_digest.setdefault(key, [])
        for known, name in same:
            if _same_bytes(known, array):
                return name
        name = self._add(array)
        same.append((array, name))
        return name

    def _add(self, array: np.ndarray) -> str:
        name = self._names.fresh("init")
        if array.dtype.kind in "US":
            array = array.astype(object)
        self._arrays.append((name, array))
        self._given.add(name)
        return name

    def write(self, initializers: RepeatedCompositeFieldContainer[TensorProto]) -> None:
        """Add every initializer to a graph's ``initializer`` field, in creation order, without copying messages."""
        for name, array in self._arrays:
            tensor_proto(array, name, into=initializers.add())

    @property
    def tensors(self) -> list[TensorProto]:
        """The initializers as standalone ``TensorProto`` messages, in creation order."""
        return [tensor_proto(array, name) for name, array in self._arrays]

    def __contains__(self, name: str) -> bool:
        return name in self._given
