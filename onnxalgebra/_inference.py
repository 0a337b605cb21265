"""Output types of one node, from ONNX's own per-node inference (cached).

ONNX's inference function is called through ``onnx.shape_inference.infer_node_outputs``
(about 10 us a call); the result is cached on everything it depends on, so a
chain of 100,000 ``TopK`` of the same types calls it once. The common
default-domain operators are typed by the rules of ``_shape_rules`` first, as
cheap as a cache lookup and not cached. Where a schema has
no inference function, or it leaves an output untyped, the element type is
derived from the schema's type constraints, and for ``ai.onnx.ml`` operators
from the rules of ``_ml_shapes``.

The cache is shared by every thread without a lock: its key holds everything
the result depends on (the constants' values given as data included), its
values are immutable tuples of frozen types, and a read or a write of a dict
is atomic; two threads missing the same key at once compute the same value.
A model's bytes do not depend on what the cache held before
(``tests/test_determinism.py`` compares them after :func:`clear_cache`).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import NodeProto, TensorProto, TypeProto, checker, helper, numpy_helper, shape_inference

from ._attributes import AttributeList, _Encoded
from ._errors import OnnxIndexError, OnnxShapeError, OnnxTypeError
from ._ml_shapes import check_lists, has_rule, ignored_by_inference
from ._ml_shapes import complete as complete_ml_types
from ._shape_rules import python_rule
from ._signature import Signature
from ._types import OptionalType, SequenceType, TensorType, ValueType, type_bytes, type_from_proto
from ._wire import length_delimited

__all__ = ["infer_outputs", "type_from_type_str", "clear_cache"]

# Constants at most this large are given to ONNX inference as data (a Reshape's
# shape, a Slice's starts...), so that output shapes are known.
_MAX_DATA_SIZE = 1024
# Inference results by node signature, least recently used first. Bounded: at most CACHE_ENTRIES results, and
# a node whose attributes hold more than CACHE_KEY_BYTES (a big forest's lists and tensors, which its key
# refers to) is not kept, so that the cache never keeps a converted model's data alive.
CACHE_ENTRIES = 4096
CACHE_KEY_BYTES = 1 << 20
_CACHE: OrderedDict[tuple, tuple[ValueType | None, ...]] = OrderedDict()
_NAMES = tuple(f"i{i}" for i in range(16))  # the names of the first inputs given to ONNX's inference


def clear_cache() -> None:
    """Forget every cached inference result."""
    _CACHE.clear()


def _key_bytes(value: Any) -> int:
    """The bytes of attribute data a cache key refers to (encoded lists, tensors' contents)."""
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is tuple:
            pending.extend(item)
        elif kind is bytes or kind is str:
            total += len(item)
        elif kind is _Encoded:
            total += item.data.nbytes if isinstance(item.data, memoryview) else len(item.data)
        elif isinstance(item, tuple):
            pending.extend(item)
        elif isinstance(item, (bytes, bytearray, str)):
            total += len(item)
    return total


def _remember(key: tuple, attr_key: tuple, out: tuple[ValueType | None, ...]) -> None:
    if attr_key and _key_bytes(attr_key) > CACHE_KEY_BYTES:
        return
    _CACHE[key] = out
    if len(_CACHE) > CACHE_ENTRIES:
        try:
            _CACHE.popitem(last=False)
        except KeyError:  # emptied by another thread
            pass


def type_from_type_str(text: str) -> ValueType | None:
    """Parse a schema type string such as ``tensor(int64)`` or ``seq(tensor(float))``."""
    if text.startswith("tensor(") and text.endswith(")"):
        name = text[7:-1].upper()
        if name in TensorProto.DataType.keys():
            return TensorType(TensorProto.DataType.Value(name), None)
        return None
    if text.startswith("seq(") and text.endswith(")"):
        return SequenceType(type_from_type_str(text[4:-1]))
    if text.startswith("optional(") and text.endswith(")"):
        return OptionalType(type_from_type_str(text[9:-1]))
    return None


def _drop_shape(vtype: ValueType | None) -> ValueType | None:
    if isinstance(vtype, TensorType):
        return TensorType(vtype.elem_type, None)
    return vtype


def _from_constraints(sig: Signature, index: int, input_types: Sequence[ValueType | None]) -> ValueType | None:
    """Output ``index``'s type as far as the type constraints alone determine it."""
    param = sig.output_param(index)
    for i, vtype in enumerate(input_types):
        if vtype is not None and sig.input_param(i) == param:
            return _drop_shape(vtype)
    allowed = sig.constraints.get(param, (param,))
    if len(allowed) == 1:
        return type_from_type_str(allowed[0])
    return None


# onnx < 1.17 gives these function operators no inference function (their outputs would lose their shapes, and the
# checker of onnx 1.16 refuses a graph output without one): the operator of the same broadcasting infers them.
_STAND_INS = {"GreaterOrEqual": "Greater", "LessOrEqual": "Less"}


def wants_data(sig: Signature, index: int) -> bool:
    """True when input ``index``'s value may decide output shapes (not a shared type parameter)."""
    param = sig.input_param(index)
    return param not in sig.output_params


def constant_data_key(sig: Signature, values: Sequence[np.ndarray | None]) -> tuple:
    """The constant inputs worth giving ONNX inference as data, as a hashable key."""
    key = []
    for i, value in enumerate(values):
        if value is not None and value.size <= _MAX_DATA_SIZE and value.dtype.kind not in "OUS" and wants_data(sig, i):
            key.append((i, value.dtype.str, value.shape, value.tobytes()))
    return tuple(key)


def infer_outputs(
    sig: Signature,
    n_outputs: int,
    attr_key: tuple,
    attributes: Mapping[str, Any],
    attribute_bytes: Callable[[], Sequence[bytes]],
    input_types: tuple[ValueType | None, ...],
    present: tuple[bool, ...],
    data_key: tuple,
    opsets: tuple[tuple[str, int], ...],
    describe: Callable[[], str],
) -> tuple[ValueType | None, ...]:
    """Output types of a node, or raise :class:`OnnxTypeError` naming it and its inputs.

    ``attributes`` are the node's normalised attributes, ``attribute_bytes``
    gives their serialised ``AttributeProto`` (called only when ONNX's
    inference runs). ``input_types`` has one entry per input, ``None`` where
    the type is unknown or the optional input omitted (``present`` tells
    which). ONNX's inference runs only when every present input is typed.
    """
    domain, op_type, version, has_inference = sig.domain, sig.op_type, sig.since_version, sig.has_inference
    typed = None not in input_types or all(t is not None for t, p in zip(input_types, present) if p)
    if typed and domain == "" and (has_inference or op_type in _STAND_INS):
        # common operators: the same types computed in Python (as cheap as a cache lookup: not cached)
        ruled = python_rule(op_type, version, attributes, input_types, present, data_key)
        if ruled is not None:
            if op_type in _CHECKS:
                _CHECKS[op_type](sig.label, attributes, input_types, data_key, ruled)
            return ruled
    key = (domain, op_type, version, n_outputs, attr_key, input_types, present, data_key, opsets)
    cached = _CACHE.get(key)
    if cached is not None:
        try:
            _CACHE.move_to_end(key)
        except KeyError:  # another thread dropped it meanwhile: the result stands
            pass
        return cached
    inferred: dict[str, bytes] = {}
    ignored = None
    if domain == "ai.onnx.ml":
        check_lists(sig.label, op_type, attributes)
        ignored = ignored_by_inference(op_type, version)
    infers, infer_op, infer_has = sig.schema, op_type, has_inference
    if not has_inference and domain == "" and op_type in _STAND_INS:  # onnx < 1.17: no inference of its own
        infers = onnx.defs.get_schema(_STAND_INS[op_type], version, "")
        infer_op, infer_has = infers.name, infers.has_type_and_shape_inference_function
    if infer_has and typed:
        wires = attribute_bytes()
        if ignored:  # present but empty: a long list costs nothing to parse
            wires = [
                AttributeList((), v.kind).wire(n) if n in ignored and isinstance(v, AttributeList) else w
                for (n, v), w in zip(attributes.items(), wires)
            ]
        node = _header(domain, infer_op, present, n_outputs) + b"".join(length_delimited(5, a) for a in wires)
        types = {_NAMES[i] if i < 16 else f"i{i}": type_bytes(t) for i, (t, p) in enumerate(zip(input_types, present)) if p}
        data = {
            f"i{i}": numpy_helper.from_array(np.frombuffer(raw, dtype=np.dtype(dt)).reshape(shape)).SerializeToString()
            for i, dt, shape, raw in data_key
        }
        try:
            inferred = _infer_node(infers, node, types, data, dict(opsets))
        except (shape_inference.InferenceError, checker.ValidationError) as exc:
            message = " ".join(str(exc).split())
            raise OnnxTypeError(f"{sig.label}: type inference failed for inputs {describe()}: {message}") from None
    result = []
    for i in range(n_outputs):
        raw = inferred.get(f"o{i}") if inferred else None
        vtype = _type_of_bytes(raw) if raw is not None else None
        result.append(vtype if vtype is not None else _from_constraints(sig, i, input_types))
    out = tuple(result)
    if domain == "" and op_type in _CHECKS:
        _CHECKS[op_type](sig.label, attributes, input_types, data_key, out)
    if domain == "ai.onnx.ml" and has_rule(op_type):
        out = complete_ml_types(op_type, out, attributes, input_types)
    _remember(key, attr_key, out)
    return out


def _known_shape(vtype: ValueType | None) -> tuple[int, ...] | None:
    """The shape of a tensor type when every dimension is a known int, else None."""
    if not isinstance(vtype, TensorType) or vtype.shape is None or not all(type(d) is int for d in vtype.shape):
        return None
    return vtype.shape  # type: ignore[return-value]


def _constant_input(data_key: tuple, index: int) -> np.ndarray | None:
    for i, dt, shape, raw in data_key:
        if i == index:
            return np.frombuffer(raw, dtype=np.dtype(dt)).reshape(shape)
    return None


def _check_reshape(label: str, attributes: Mapping[str, Any], input_types: Sequence[Any], data_key: tuple, out: tuple) -> None:
    """Reshape of a known shape into a known shape must keep the number of elements (ONNX's inference lets it pass)."""
    before = input_types[0] if input_types else None
    after = out[0] if out else None
    if not isinstance(before, TensorType) or not isinstance(after, TensorType) or before.shape is None or after.shape is None:
        return
    known_before = [d for d in before.shape if type(d) is int]
    known_after = [d for d in after.shape if type(d) is int]
    n_before, n_after = math.prod(known_before), math.prod(known_after)
    full_before, full_after = len(known_before) == len(before.shape), len(known_after) == len(after.shape)
    if full_before and full_after:
        wrong = n_before != n_after
    elif full_before and n_after:  # the known dimensions of the result must divide the elements
        wrong = n_before % n_after != 0
    elif full_after and n_before:
        wrong = n_after % n_before != 0
    else:
        wrong = False
    if wrong:
        raise OnnxShapeError(
            f"{label}: cannot reshape a tensor of shape {_dims(before.shape, full_before, n_before)} into shape "
            f"{_dims(after.shape, full_after, n_after)}: the number of elements differs; give a shape that keeps "
            "them (-1 in one dimension takes what the others leave)."
        )


def _dims(shape: Sequence[Any], full: bool, count: int) -> str:
    text = "[" + ", ".join(str(d) if type(d) is int else "?" for d in shape) + "]"
    return f"{text} ({count} elements)" if full else f"{text} (a multiple of {count} elements)"


def _check_gather(label: str, attributes: Mapping[str, Any], input_types: Sequence[Any], data_key: tuple, out: tuple) -> None:
    """Constant indices out of the known length of the gathered axis (onnxruntime would fail at run time)."""
    data = input_types[0] if input_types else None
    indices = _constant_input(data_key, 1)
    if indices is None or indices.size == 0 or not isinstance(data, TensorType) or data.shape is None:
        return
    rank = len(data.shape)
    axis = int(attributes.get("axis", 0))
    if not -rank <= axis < rank:
        return  # ONNX's inference names a bad axis
    length = data.shape[axis]
    if type(length) is not int:
        return
    low, high = int(indices.min()), int(indices.max())
    if low < -length or high >= length:
        bad = high if high >= length else low
        raise OnnxIndexError(
            f"{label}: index {bad} is out of range for axis {axis} of length {length} (input of shape "
            f"{[d if d is not None else '?' for d in data.shape]}); indices must be in [{-length}, {length - 1}]."
        )


_CHECKS: dict[str, Callable[..., None]] = {"Reshape": _check_reshape, "Gather": _check_gather, "GatherElements": _check_gather}


def _infer_node(
    schema: Any, node: bytes, types: dict[str, bytes], data: dict[str, bytes], opsets: dict[str, int]
) -> dict[str, bytes]:
    """ONNX's inference of the serialised node ``node`` (inputs ``i0, i1...``, outputs ``o0, o1...``), given
    the serialised ``TypeProto`` of each input and ``TensorProto`` of the constants; serialised output types.

    ``onnx.shape_inference.infer_node_outputs`` serialises its ``NodeProto``
    and calls the schema's ``_infer_node_outputs``; handing that the bytes the
    node is made of skips a parse and a serialisation of long attribute lists.
    """
    infer = getattr(schema, "_infer_node_outputs", None)
    if infer is None:  # another onnx release: the public function
        outputs = shape_inference.infer_node_outputs(
            schema,
            NodeProto.FromString(node),
            {name: TypeProto.FromString(raw) for name, raw in types.items()},
            input_data={name: TensorProto.FromString(raw) for name, raw in data.items()} or None,
            opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()],
        )
        return {name: proto.SerializeToString() for name, proto in outputs.items()}
    return infer(node, types, data, {}, opsets, onnx.IR_VERSION)


# Per-process memos of what every node's inference repeats (pure functions of their keys, so clear_cache keeps
# them; each is emptied when it reaches _MEMO_LIMIT entries): the serialised node header, and types from bytes
# (:func:`~onnxalgebra._types.type_bytes` keeps them to bytes).
_HEADERS: dict[tuple[str, str, tuple[bool, ...], int], bytes] = {}
_BYTES_TYPES: dict[bytes, ValueType | None] = {}


def _header(domain: str, op_type: str, present: tuple[bool, ...], n_outputs: int) -> bytes:
    """The serialised ``NodeProto`` of an ``op_type`` node with inputs ``i0, i1...`` (``''`` where absent) and
    outputs ``o0, o1...``, no attributes."""
    key = (domain, op_type, present, n_outputs)
    header = _HEADERS.get(key)
    if header is None:
        inputs = [f"i{i}" if p else "" for i, p in enumerate(present)]
        node = helper.make_node(op_type, inputs, [f"o{i}" for i in range(n_outputs)], domain=domain)
        header = _memo(_HEADERS, key, node.SerializeToString())
    return header


def _type_of_bytes(raw: bytes) -> ValueType | None:
    """The :data:`ValueType` of a serialised ``TypeProto``."""
    try:
        return _BYTES_TYPES[raw]
    except KeyError:
        return _memo(_BYTES_TYPES, raw, type_from_proto(TypeProto.FromString(raw)))


_MEMO_LIMIT = 4096


def _memo(table: dict, key: Any, value: Any) -> Any:
    """``table[key] = value`` (emptying ``table`` first when it is full); returns ``value``."""
    if len(table) >= _MEMO_LIMIT:
        table.clear()
    table[key] = value
    return value
