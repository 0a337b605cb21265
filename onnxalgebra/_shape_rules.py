"""Output types of the most common default-domain operators, computed in Python exactly as ONNX's inference does.

A node's types are inferred when it is built; ONNX's own inference costs a
serialisation of the node and its input types, a call into C++ and a parse of
the result (5 to 13 us a node). For the operators of :data:`RULES` (elementwise
arithmetic and logic, broadcasting, ``Cast``, ``MatMul``, ``Gemm``, arg- and
reductions, ``Softmax``) the same answer is computed here in about a
microsecond. A rule answers only when it is certain: an unknown attribute, an
input type the schema refuses, a shape ONNX would reject (its error message is
the one the user should see) or anything unusual gives ``None``, and ONNX's
inference runs as before. ``tests/test_shape_rules.py`` compares every rule
with ``onnx.shape_inference.infer_node_outputs`` on generated inputs.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from onnx import TensorProto, defs

from ._attributes import AttributeList
from ._types import Dim, TensorType, ValueType

__all__ = ["python_rule", "RULES"]

_BOOL, _INT64 = TensorProto.BOOL, TensorProto.INT64
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_Types = tuple[ValueType | None, ...]
_Attrs = Mapping[str, Any]
_Inputs = Sequence[TensorType]
_Present = tuple[bool, ...]
_Rule = Callable[[int, Mapping[str, Any], Sequence[TensorType], tuple[bool, ...], tuple], "_Types | None"]


class _Incompatible(Exception):
    """Shapes ONNX's inference rejects: the rule gives way so that ONNX raises its own error."""


def python_rule(
    op_type: str,
    since_version: int,
    attributes: Mapping[str, Any],
    input_types: tuple[ValueType | None, ...],
    present: tuple[bool, ...],
    data_key: tuple,
) -> _Types | None:
    """The output types ONNX's inference gives a default-domain node, or None when this module is not certain.

    ``attributes`` are the node's normalised attributes, ``input_types`` one
    type per input (``present`` tells which optional inputs are given) and
    ``data_key`` the constant inputs as :func:`~onnxalgebra._inference.constant_data_key`
    gives them (a reduction's ``axes``).

    >>> from onnx import TensorProto
    >>> f = TensorProto.FLOAT
    >>> python_rule("Add", 14, {}, (TensorType(f, ("N", 3)), TensorType(f, (3,))), (True, True), ())
    (TensorType(elem_type=1, shape=('N', 3)),)
    >>> python_rule("Add", 14, {}, (TensorType(f, (None, 3)), TensorType(f, (4,))), (True, True), ()) is None
    True
    """
    entry = RULES.get(op_type)
    if entry is None:
        return None
    rule, versions, names = entry
    if since_version not in versions:
        return None
    for name in attributes:
        if name not in names:
            return None
    if not _inputs_fit(op_type, since_version, input_types, present):
        return None
    try:
        return rule(since_version, attributes, input_types, present, data_key)  # type: ignore[arg-type]
    except _Incompatible:
        return None


# (op_type, version) -> per formal input: (type parameter, element types it allows, required)
_FORMALS: dict[tuple[str, int], tuple[tuple[str, frozenset[int], bool], ...]] = {}
_SINGLE = defs.OpSchema.FormalParameterOption.Single
_ELEM_OF_TYPE_STR = {f"tensor({name.lower()})": code for name, code in TensorProto.DataType.items()}


def _formals(op_type: str, version: int) -> tuple[tuple[str, frozenset[int], bool], ...]:
    known = _FORMALS.get((op_type, version))
    if known is None:
        schema = defs.get_schema(op_type, version, "")
        allowed = {c.type_param_str: c.allowed_type_strs for c in schema.type_constraints}
        known = tuple(
            (p.type_str, _elem_types(allowed.get(p.type_str, (p.type_str,))), p.option == _SINGLE) for p in schema.inputs
        )
        _FORMALS[(op_type, version)] = known
    return known


def _elem_types(type_strs: Sequence[str]) -> frozenset[int]:
    """The tensor element types among schema type strings (``tensor(float)``...)."""
    return frozenset(_ELEM_OF_TYPE_STR[s] for s in type_strs if s in _ELEM_OF_TYPE_STR)


@functools.cache
def _output_allows(op_type: str, version: int, elem_type: int) -> bool:
    """True when output 0 of the schema may have ``elem_type`` (``Cast``'s ``to``)."""
    schema = defs.get_schema(op_type, version, "")
    param = schema.outputs[0].type_str
    allowed = {c.type_param_str: c.allowed_type_strs for c in schema.type_constraints}.get(param, (param,))
    return any(_ELEM_OF_TYPE_STR.get(s) == elem_type for s in allowed)


def _inputs_fit(op_type: str, version: int, input_types: Sequence[ValueType | None], present: Sequence[bool]) -> bool:
    """ONNX's checks of the input types against the schema (allowed element types, one type per parameter), and
    shapes this module reads the same way ONNX does (dimensions ints >= 0, non-empty names or None)."""
    formals = _formals(op_type, version)
    last = len(formals) - 1
    bound: dict[str, int] = {}
    for i, vtype in enumerate(input_types):
        param, allowed, required = formals[i if i < last else last]
        if not present[i]:
            if required:
                return False
            continue
        if type(vtype) is not TensorType:
            return False
        elem = vtype.elem_type
        if elem not in allowed or bound.setdefault(param, elem) != elem:
            return False
        shape = vtype.shape
        if shape is not None and shape not in _GOOD_SHAPES:
            for d in shape:
                if not ((type(d) is int and d >= 0) or d is None or (type(d) is str and d)):
                    return False
            if len(_GOOD_SHAPES) >= 4096:
                _GOOD_SHAPES.clear()
            _GOOD_SHAPES.add(shape)
    return True


_GOOD_SHAPES: set[tuple[Dim, ...]] = set()  # shapes whose every dimension was checked (a per-process memo)


def broadcast(shapes: Sequence[tuple[Dim, ...]]) -> tuple[Dim, ...]:
    """The multidirectional broadcast of ``shapes`` as ONNX's inference computes it.

    Per output dimension: a known value other than 1 wins (two different ones
    raise); without one, a single distinct symbolic or unknown dimension is
    kept ('N' and 1 give 'N', None and 1 give None), several distinct ones
    ('N' and 'M', 'N' and None) give None, and only 1s give 1. That depends
    only on the set of dimensions, so shapes are broadcast two at a time.

    >>> broadcast([("N", 3), (3,)]), broadcast([("N",), ("M",)]), broadcast([(None,), (1,)])
    (('N', 3), (None,), (None,))
    """
    out = shapes[0]
    for shape in shapes[1:]:
        out = _broadcast_two(out, shape)
    return out


def _broadcast_two(a: tuple[Dim, ...], b: tuple[Dim, ...]) -> tuple[Dim, ...]:
    if a == b:
        return a
    if len(a) < len(b):
        a, b = b, a
    lead = len(a) - len(b)
    out = list(a[:lead])
    for x, y in zip(a[lead:], b):
        if x == y:
            out.append(x)
        elif type(x) is int:
            if type(y) is int and x != 1 and y != 1:
                raise _Incompatible
            out.append(y if x == 1 else x)
        elif type(y) is int:
            out.append(x if y == 1 else y)
        else:  # two different names, or a name and an unknown dimension
            out.append(None)
    return tuple(out)


def _broadcasting(elem_type: int | None = None, like: int = 0) -> _Rule:
    """Elementwise operators of broadcast inputs: output of ``elem_type``, or of input ``like``'s type."""

    def rule(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
        kept = types[like]
        elem = kept.elem_type if elem_type is None else elem_type
        shapes = [t.shape for t in types]
        if None in shapes:
            return (TensorType(elem, None),)
        shape = broadcast(shapes)  # type: ignore[arg-type]
        return (kept if elem == kept.elem_type and shape == kept.shape else TensorType(elem, shape),)

    return rule


def _same_shape(elem_type: int | None = None) -> _Rule:
    """Unary operators: input 0's shape, its element type or ``elem_type``."""

    def rule(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
        vtype = types[0]
        return (vtype if elem_type is None or vtype.elem_type == elem_type else TensorType(elem_type, vtype.shape),)

    return rule


def _int(attributes: Mapping[str, Any], name: str, default: int) -> int:
    """An INT attribute within int32 (ONNX casts some to int), else :class:`_Incompatible`."""
    value = attributes.get(name, default)
    if type(value) is not int or not _INT32_MIN <= value <= _INT32_MAX:
        raise _Incompatible
    return value


def _cast(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    to = attributes.get("to")
    if type(to) is not int or not _output_allows("Cast", version, to):
        raise _Incompatible
    return (TensorType(to, types[0].shape),)


def _matmul(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    a, b = types[0].shape, types[1].shape
    elem = types[0].elem_type
    if a is None or b is None:
        return (TensorType(elem, None),)
    if not a or not b:
        raise _Incompatible  # rank 0
    left = (1, a[0]) if len(a) == 1 else a
    right = (b[0], 1) if len(b) == 1 else b
    k_left, k_right = left[-1], right[-2]
    if type(k_left) is int and type(k_right) is int and k_left != k_right:
        raise _Incompatible
    shape = list(broadcast([left[:-2], right[:-2]]))
    if len(a) != 1:
        shape.append(left[-2])
    if len(b) != 1:
        shape.append(right[-1])
    return (TensorType(elem, tuple(shape)),)


def _gemm(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    # Only with both shapes known and agreeing: onnx releases differ on the rest (one shape unknown, a mismatch of K).
    a, b = types[0].shape, types[1].shape
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        raise _Incompatible
    trans_a, trans_b = _int(attributes, "transA", 0) != 0, _int(attributes, "transB", 0) != 0
    m, k_a = (a[1], a[0]) if trans_a else a
    k_b, n = (b[1], b[0]) if trans_b else b
    if type(k_a) is int and type(k_b) is int and k_a != k_b:
        raise _Incompatible
    return (TensorType(types[0].elem_type, (m, n)),)


def _arg_reduce(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    shape = types[0].shape
    if shape is None:
        return (TensorType(_INT64, None),)
    rank = len(shape)
    axis = 0
    if "axis" in attributes:
        axis = attributes["axis"]
        if type(axis) is not int or not -rank <= axis < rank:
            raise _Incompatible
        axis = axis + rank if axis < 0 else axis
    keep = attributes.get("keepdims", 1)
    if type(keep) is not int or type(attributes.get("select_last_index", 0)) is not int:
        raise _Incompatible
    if keep == 1:
        out = tuple(1 if i == axis else d for i, d in enumerate(shape))
    else:
        out = tuple(d for i, d in enumerate(shape) if i != axis)
    return (TensorType(_INT64, out),)


def _reduce(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    vtype = types[0]
    shape = vtype.shape
    keep, noop = attributes.get("keepdims", 1), attributes.get("noop_with_empty_axes", 0)
    if type(keep) is not int or type(noop) is not int:
        raise _Incompatible
    if shape is None:
        return (TensorType(vtype.elem_type, None),)
    if len(present) > 1 and present[1]:
        if "axes" in attributes:
            raise _Incompatible
        axes_data = _int64_vector(data_key, 1)
        if axes_data is None:  # not a constant: ONNX gives the element type only
            return (TensorType(vtype.elem_type, None),)
        axes = list(axes_data)
    else:
        given = attributes.get("axes", ())
        if not isinstance(given, (AttributeList, tuple, list)):  # a reference to a function's attribute
            raise _Incompatible
        axes = list(given)
        if any(type(a) is not int for a in axes):
            raise _Incompatible
    if noop and not axes:
        return (vtype,)
    rank = len(shape)
    reduced = set()
    for axis in axes:
        if not -rank <= axis < rank:
            raise _Incompatible
        reduced.add(axis + rank if axis < 0 else axis)
    if keep == 1:
        out = [1 if i in reduced or not axes else d for i, d in enumerate(shape)]
    else:
        out = [d for i, d in enumerate(shape) if axes and i not in reduced]
    return (TensorType(vtype.elem_type, tuple(out)),)


def _softmax(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    vtype = types[0]
    shape = vtype.shape
    if shape is None:
        return (vtype,)
    rank = len(shape)
    axis = _int(attributes, "axis", -1)
    if rank == 0 or not -rank <= axis < rank:
        raise _Incompatible
    return (vtype,)


def _int64_vector(data_key: tuple, index: int) -> tuple[int, ...] | None:
    """The values of constant input ``index`` (None when it is not a constant); anything but a 1-D int64 tensor is
    :class:`_Incompatible` (ONNX rejects it)."""
    for i, dtype, dims, raw in data_key:
        if i == index:
            if dtype != "<i8" or len(dims) != 1:
                raise _Incompatible
            return struct.unpack(f"<{dims[0]}q", raw)
    return None


def _reshape(version: int, attributes: _Attrs, types: _Inputs, present: _Present, data_key: tuple) -> _Types:
    """Reshape to a constant shape: 0 copies the input's dimension (``allowzero=0``), -1 is the elements left when
    every input dimension not copied is known (a copied symbolic or unknown dimension cancels out)."""
    allowzero = _int(attributes, "allowzero", 0)
    target = _int64_vector(data_key, 1)
    if target is None:  # known when the model runs: its length, if known, is the rank (from version 14)
        if version < 14:
            return (TensorType(types[0].elem_type, None),)
        length = types[1].shape
        rank = length[0] if length is not None and len(length) == 1 and type(length[0]) is int else None
        return (TensorType(types[0].elem_type, None if rank is None else (None,) * rank),)
    if target.count(-1) > 1 or any(d < -1 for d in target) or (allowzero and 0 in target and -1 in target):
        raise _Incompatible  # ONNX rejects it
    before = types[0].shape
    out: list[Dim] = []
    cancelled: set[int] = set()  # input dimensions copied by a 0 that are not ints
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            if before is None:
                out.append(None)
                continue
            if i >= len(before):
                raise _Incompatible
            out.append(before[i])
            if type(before[i]) is not int:
                cancelled.add(i)
        else:
            out.append(None if d == -1 else d)
    if -1 in target:
        known = [d for i, d in enumerate(out) if target[i] != -1 and i not in cancelled]
        if 0 in known:
            raise _Incompatible  # ONNX: a product of 0 with -1
    if -1 in target and before is not None:
        left = [d for i, d in enumerate(before) if i not in cancelled]
        if all(type(d) is int for d in left) and all(type(d) is int for d in known):
            elements, size = math.prod(left), math.prod(known)  # type: ignore[arg-type]
            if size == 0 or elements % size:
                raise _Incompatible
            out[target.index(-1)] = elements // size
    return (TensorType(types[0].elem_type, tuple(out)),)


def _table() -> dict[str, tuple[_Rule, frozenset[int], frozenset[str]]]:
    """op_type -> (rule, the schema versions it reproduces, the attribute names it reads)."""
    table: dict[str, tuple[_Rule, frozenset[int], frozenset[str]]] = {}
    none: frozenset[str] = frozenset()

    def add(names: str, rule: _Rule, versions: Sequence[int], attributes: frozenset[str] = none) -> None:
        for name in names.split():
            table[name] = (rule, frozenset(versions), attributes)

    same = _broadcasting()
    add("Add Sub Mul Div", same, (7, 13, 14))
    add("Pow", same, (7, 12, 13, 15))
    add("Max Min", same, (8, 12, 13))
    add("Sum Mean", same, (8, 13))
    boolean = _broadcasting(_BOOL)
    add("Equal", boolean, (7, 11, 13, 19))
    add("Less Greater", boolean, (7, 9, 13))
    add("LessOrEqual GreaterOrEqual", boolean, (16,))
    add("And Or Xor", boolean, (7,))
    add("Where", _broadcasting(like=1), (9, 16))
    unary = _same_shape()
    add("Abs Neg Exp Log Sqrt Reciprocal Sigmoid Tanh Floor Ceil", unary, (6, 13))
    add("Relu", unary, (6, 13, 14))
    add("Round", unary, (11, 22))
    add("Erf Sign", unary, (9, 13))
    add("Softplus", unary, (1, 22))
    add("Sin Cos", unary, (7, 22))
    add("Identity", unary, (1, 13, 14, 16, 19, 21, 23, 24, 25))
    add("Not", unary, (1,))
    add("IsNaN", _same_shape(_BOOL), (9, 13, 20))
    add("IsInf", _same_shape(_BOOL), (10, 20), frozenset({"detect_negative", "detect_positive"}))
    add("MatMul", _matmul, (9, 13))
    add("Gemm", _gemm, (7, 9, 11, 13), frozenset({"alpha", "beta", "transA", "transB"}))
    add("ArgMax ArgMin", _arg_reduce, (11, 12, 13), frozenset({"axis", "keepdims", "select_last_index"}))
    reduce_names = frozenset({"axes", "keepdims", "noop_with_empty_axes"})
    add("ReduceSum", _reduce, (11, 13), reduce_names)
    add("ReduceMean ReduceProd ReduceSumSquare ReduceL1 ReduceL2", _reduce, (11, 13, 18), reduce_names)
    add("ReduceMax ReduceMin", _reduce, (11, 12, 13, 18, 20), reduce_names)
    add("ReduceLogSumExp", _reduce, (11, 13, 18, 28), reduce_names)
    add("Softmax LogSoftmax", _softmax, (13,), frozenset({"axis"}))
    add("Reshape", _reshape, (5, 13, 14, 19, 21, 23, 24, 25), frozenset({"allowzero"}))
    add("Cast", _cast, (6, 9, 13, 19, 21, 23, 24, 25, 28), frozenset({"to", "saturate", "round_mode"}))
    return table


RULES = _table()
