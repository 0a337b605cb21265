"""Equal constants (dtype, shape, bytes) become a single initializer."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, numpy_helper

from .._attributes import array_key
from .naming import NameAllocator

__all__ = ["InitializerTable"]


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
            self.tensors.append(numpy_helper.from_array(array, name))
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._by_key.values()
