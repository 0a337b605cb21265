"""Equal constants (dtype, shape, bytes) become a single initializer."""

from __future__ import annotations

import sys

import numpy as np
from onnx import TensorProto, numpy_helper

from .._attributes import array_key
from .._types import elem_type_of
from .naming import NameAllocator

__all__ = ["InitializerTable", "tensor_proto"]

# dtypes whose tensors are plain little-endian bytes in ``raw_data`` (no string
# data, no bit packing): for them :func:`tensor_proto` skips numpy_helper's checks.
_RAW_DTYPES = frozenset(
    np.dtype(t)
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
              np.float16, np.float32, np.float64, np.complex64, np.complex128)
) if sys.byteorder == "little" else frozenset()


def tensor_proto(array: np.ndarray, name: str) -> TensorProto:
    """``numpy_helper.from_array(array, name)``, with a fast path for common numeric dtypes.

    >>> tensor_proto(np.array([1.5], np.float32), "c") == numpy_helper.from_array(np.array([1.5], np.float32), "c")
    True
    """
    if array.dtype not in _RAW_DTYPES:
        return numpy_helper.from_array(array, name)
    tensor = TensorProto()
    tensor.dims.extend(array.shape)
    if name:  # onnx.proto is proto2: a field set to "" is still written
        tensor.name = name
    tensor.data_type = elem_type_of(array.dtype)
    tensor.raw_data = array.tobytes()
    return tensor


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
        self.tensors: list[TensorProto] = []

    def name_for(self, array: np.ndarray) -> str:
        """The initializer name holding ``array``, created on first use."""
        key = array_key(array)
        name = self._by_key.get(key)
        if name is None:
            name = self._names.fresh("init")
            self._by_key[key] = name
            if array.dtype.kind in "US":
                array = array.astype(object)
            self.tensors.append(tensor_proto(array, name))
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._by_key.values()
