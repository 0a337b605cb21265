"""Graph input declarations accepted by ``to_onnx``, normalised to ``[(name, type)]``."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TypeProto, ValueInfoProto

from .._errors import CompileError
from .._types import TensorType, ValueType, elem_type_of, make_type, type_from_proto

__all__ = ["BATCH_DIM", "parse_inputs", "type_of_sample"]

# The symbolic name given to the first dimension of a sample (the batch).
BATCH_DIM = "N"


def type_of_sample(sample: Any) -> ValueType:
    """The type of a numpy sample: its dtype and shape, the first dimension symbolic.

    >>> str(type_of_sample(np.zeros((3, 4), np.float32)))
    'tensor(float)[N, 4]'
    """
    array = np.asarray(sample)
    shape = array.shape
    if len(shape) >= 1:
        shape = (BATCH_DIM, *shape[1:])
    return TensorType(elem_type_of(array.dtype), shape)  # a numpy shape's dimensions are ints >= 0: no checks


def _type_of(name: str, value: Any) -> ValueType:
    if isinstance(value, (TensorType,)) or type(value).__name__ in ("SequenceType", "OptionalType", "MapType"):
        return value
    if isinstance(value, TypeProto):
        vtype = type_from_proto(value)
        if vtype is None:
            raise CompileError(f"input {name!r}: its TypeProto has no element type.")
        return vtype
    if isinstance(value, tuple) and len(value) == 2:
        return make_type(value[0], value[1])
    if isinstance(value, (str, bytes)):
        raise CompileError(
            f"input {name!r}: got the {type(value).__name__} {value!r}; a sample is a numpy array such as "
            f"np.zeros((1, 4), np.float32), a type is (dtype, shape) such as ('float32', [None, 4])."
        )
    if isinstance(value, np.ndarray) or np.isscalar(value):
        return type_of_sample(value)
    try:
        return make_type(value)
    except TypeError:
        raise CompileError(
            f"input {name!r}: expected a numpy sample, a dtype, (dtype, shape) or a TypeProto, got {type(value).__name__}."
        ) from None


def parse_inputs(spec: Any) -> list[tuple[str, ValueType]]:
    """Normalise an ``inputs`` argument: a dict name -> sample, or a list of
    ``(name, dtype, shape)``, ``ValueInfoProto`` or typed ``Var``."""
    if spec is None:
        return []
    if isinstance(spec, dict):
        return [(str(name), _type_of(name, value)) for name, value in spec.items()]
    from .._expr import Var

    if isinstance(spec, (ValueInfoProto, Var)) or (isinstance(spec, tuple) and spec and isinstance(spec[0], str)):
        spec = [spec]
    result: list[tuple[str, ValueType]] = []
    for item in spec:
        if isinstance(item, ValueInfoProto):
            vtype = type_from_proto(item.type)
            if vtype is None:
                raise CompileError(f"input {item.name!r}: its ValueInfoProto has no type.")
            result.append((item.name, vtype))
        elif isinstance(item, Var):
            if item.type is None:
                raise CompileError(f"input {item.name!r}: a Var given as input needs a dtype.")
            result.append((item.name, item.type))
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3) and isinstance(item[0], str):
            vtype = _type_of(item[0], item[1]) if len(item) == 2 else make_type(item[1], item[2])
            result.append((item[0], vtype))
        else:
            raise CompileError(
                "inputs must be a dict name -> numpy sample, or a list of (name, dtype, shape), "
                f"ValueInfoProto or typed Var; got an item {item!r}."
            )
    names = [n for n, _ in result]
    if len(set(names)) != len(names):
        raise CompileError(f"inputs declare a name twice: {names}.")
    return result
