"""Which versions of an operator do for a node what the version it was built with does.

A node built with ``Add`` version 14 (the newest) computes the same in a model
importing opset 13 (``Add`` 13) when its inputs are float: the two versions
differ only in the types they accept. :func:`equivalent_versions` walks from
the version a node was built with to older and newer versions, one step at a
time, as long as a step changes nothing this node uses:

* the two schemas have the same inputs, outputs and attributes (names, kinds,
  options, defaults): only their type constraints differ;
* the node's input and output types are allowed by both;
* the step is not one that changed an operator's meaning without changing
  its schema (:data:`MEANING_CHANGED`), and an attribute added with a default
  that changes nothing (:data:`NEUTRAL_ATTRIBUTES`) may be crossed when the
  node does not set it.

Below opset 13 of the default domain, many operators changed meaning with
the same schema (negative axes and indices at 11): by default no node is
moved below :data:`FLOOR`; a lower ``target_opset`` lowers the floor to it
(the user asks for that opset's meaning).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from onnx import TensorProto, defs

from ._schemas import operator_table
from ._types import MapType, OptionalType, SequenceType, TensorType, ValueType

__all__ = ["equivalent_versions", "opset_range", "tensor_type_string", "type_string", "FLOOR"]

# The oldest opset a node of each domain is moved to (see the module docstring).
FLOOR = {"": 13}

# (domain, op, version): a predicate on the node's attributes, true when the version changed what the node does
# although its schema did not change (a new value of a string attribute).
MEANING_CHANGED: dict[tuple[str, str, int], Callable[[Mapping[str, Any]], bool]] = {
    ("", "Pad", 19): lambda attributes: attributes.get("mode") == "wrap",
    ("", "ScatterElements", 18): lambda attributes: attributes.get("reduction") in ("max", "min"),
    ("", "ScatterND", 18): lambda attributes: attributes.get("reduction") in ("max", "min"),
}

# (domain, op, version): attributes this version added whose default changes nothing for a node that does not set
# them (Cast's saturate only concerns float8 types, which older versions do not have).
NEUTRAL_ATTRIBUTES: dict[tuple[str, str, int], frozenset[str]] = {
    ("", "Cast", 19): frozenset({"saturate"}),
    ("", "CastLike", 19): frozenset({"saturate"}),
    ("", "Cast", 24): frozenset({"round_mode"}),  # for float8/float4 targets only
    ("", "CastLike", 24): frozenset({"round_mode"}),
    ("", "Reshape", 14): frozenset({"allowzero"}),  # 0 (the default): a 0 copies the dimension, as before
    ("", "Shape", 15): frozenset({"start", "end"}),  # the whole shape by default, as before
    ("", "Split", 18): frozenset({"num_outputs"}),  # a node with a 'split' input splits as before
    # ai.onnx.ml: the tensor forms of the float-list attributes (double precision), unused when the lists are set
    ("ai.onnx.ml", "TreeEnsembleClassifier", 3): frozenset(
        {"base_values_as_tensor", "class_weights_as_tensor", "nodes_hitrates_as_tensor", "nodes_values_as_tensor"}
    ),
    ("ai.onnx.ml", "TreeEnsembleRegressor", 3): frozenset(
        {"base_values_as_tensor", "nodes_hitrates_as_tensor", "nodes_values_as_tensor", "target_weights_as_tensor"}
    ),
}


@functools.cache
def tensor_type_string(elem_type: int) -> str:
    """The schema type string of a tensor of ``elem_type`` (remembered).

    >>> tensor_type_string(TensorProto.FLOAT)
    'tensor(float)'
    """
    return f"tensor({TensorProto.DataType.Name(elem_type).lower()})"


def type_string(vtype: ValueType | None) -> str | None:
    """The schema type string of a type (``tensor(float)``, ``seq(tensor(int64))``...), None when unknown."""
    if isinstance(vtype, TensorType):
        return tensor_type_string(vtype.elem_type)
    if isinstance(vtype, SequenceType):
        inner = type_string(vtype.elem)
        return None if inner is None else f"seq({inner})"
    if isinstance(vtype, OptionalType):
        inner = type_string(vtype.elem)
        return None if inner is None else f"optional({inner})"
    if isinstance(vtype, MapType):
        value = type_string(vtype.value)
        key = TensorProto.DataType.Name(vtype.key_type).lower()
        return None if value is None else f"map({key}, {value})"
    return None


@functools.cache
def _shape_of_schema(domain: str, op: str, version: int) -> tuple[Any, ...]:
    """Everything of a schema but its type constraints and documentation.

    Type parameters are numbered in order of appearance (``T`` renamed ``V``
    is the same shape); fixed types (``tensor(int64)``) stay as they are.
    """
    schema = defs.get_schema(op, version, domain)
    parameters = {tc.type_param_str for tc in schema.type_constraints}
    numbering: dict[str, str] = {}

    def params(formals: Sequence[Any]) -> tuple[tuple[Any, ...], ...]:
        result = []
        for p in formals:
            kind = p.type_str
            if kind in parameters:
                kind = numbering.setdefault(kind, f"T{len(numbering)}")
            result.append((p.name, kind, p.option, p.is_homogeneous))
        return tuple(result)

    attributes = tuple(
        sorted((name, a.type, a.required, a.default_value.SerializeToString()) for name, a in schema.attributes.items())
    )
    return (params(schema.inputs), params(schema.outputs), attributes, schema.min_input, schema.max_input,
            schema.min_output, schema.max_output)  # fmt: skip


@functools.cache
def _allowed(domain: str, op: str, version: int) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, frozenset[str]]]:
    schema = defs.get_schema(op, version, domain)
    constraints = {tc.type_param_str: frozenset(tc.allowed_type_strs) for tc in schema.type_constraints}
    inputs = tuple(p.type_str for p in schema.inputs) or ("",)
    outputs = tuple(p.type_str for p in schema.outputs) or ("",)
    return inputs, outputs, constraints


def _accepts(domain: str, op: str, version: int, inputs: Sequence[str | None], outputs: Sequence[str | None]) -> bool:
    """Whether version ``version`` allows the node's input and output types ('': an omitted optional one)."""
    formal_in, formal_out, constraints = _allowed(domain, op, version)
    for formals, types in ((formal_in, inputs), (formal_out, outputs)):
        for i, vtype in enumerate(types):
            if not vtype:
                continue
            param = formals[min(i, len(formals) - 1)]
            allowed = constraints.get(param)
            if allowed is None:  # a fixed type such as tensor(int64)
                if param != vtype:
                    return False
            elif vtype not in allowed:
                return False
    return True


def _differs_only_in_unused(
    key: tuple[str, str, int], old: tuple[Any, ...], new: tuple[Any, ...], attributes: Mapping[str, Any], given: int
) -> bool:
    """The newer schema only adds what the node does not use: optional inputs after its ``given`` ones (Pad's
    axes at 18), or attributes of :data:`NEUTRAL_ATTRIBUTES` it does not set."""
    new_inputs, old_inputs = new[0], old[0]
    added = new_inputs[len(old_inputs) :]
    if new_inputs[: len(old_inputs)] != old_inputs or given > len(old_inputs):
        return False
    if any(p[2] != defs.OpSchema.FormalParameterOption.Optional for p in added):
        return False
    new_attributes = new[2]
    if new_attributes != old[2]:
        neutral = NEUTRAL_ATTRIBUTES.get(key)
        if neutral is None or neutral & set(attributes):
            return False
        new_attributes = tuple(a for a in new_attributes if a[0] not in neutral)
    # outputs, attributes and output counts as before; the input count may grow by the added optional inputs
    return new[1] == old[1] and new_attributes == old[2] and new[3] == old[3] and new[5:] == old[5:]


def _same_step(domain: str, op: str, older: int, newer: int, attributes: Mapping[str, Any], types: tuple[Any, Any]) -> bool:
    """Whether going between versions ``older`` and ``newer`` (consecutive) changes nothing for the node."""
    key = (domain, op, newer)
    if key in MEANING_CHANGED and MEANING_CHANGED[key](attributes):
        return False
    inputs, outputs = types
    shape_old, shape_new = _shape_of_schema(domain, op, older), _shape_of_schema(domain, op, newer)
    if shape_old != shape_new and not _differs_only_in_unused(key, shape_old, shape_new, attributes, len(inputs)):
        return False
    return _accepts(domain, op, older, inputs, outputs) and _accepts(domain, op, newer, inputs, outputs)


def equivalent_versions(
    domain: str,
    op: str,
    built: int,
    inputs: Sequence[str | None],
    outputs: Sequence[str | None],
    attributes: Mapping[str, Any],
    pinned: bool = False,
    floor: int | None = None,
) -> tuple[int, int]:
    """The oldest and newest versions (``since_version``) that do for this node what version ``built`` does.

    ``inputs``/``outputs`` are type strings (:func:`type_string`; '' for an
    omitted optional one; None, an unknown type, keeps ``built`` only). A pinned
    node (``OnnxAdd_7``) keeps its version: ``(built, built)``. ``floor`` is
    the oldest opset considered (:data:`FLOOR` of the domain by default).
    """
    if pinned:
        return built, built
    versions = operator_table()[op][1]
    position = versions.index(built)
    types = (tuple(inputs), tuple(outputs))
    if any(t is None for t in types[0] + types[1]):
        return built, built
    floor = FLOOR.get(domain, 1) if floor is None else floor
    low = position
    # an older version matters while it is in force at an opset >= the floor: until the opset before versions[low]
    while low > 0 and versions[low] > floor and _same_step(domain, op, versions[low - 1], versions[low], attributes, types):
        low -= 1
    high = position
    while high + 1 < len(versions) and _same_step(domain, op, versions[high], versions[high + 1], attributes, types):
        high += 1
    return versions[low], versions[high]


def opset_range(domain: str, op: str, low: int, high: int, newest_opset: int, floor: int | None = None) -> tuple[int, int]:
    """The opsets where the version in force lies in ``[low, high]``, not below ``floor`` (the domain's by default)."""
    versions = operator_table()[op][1]
    later = [v for v in versions if v > high]
    floor = FLOOR.get(domain, 1) if floor is None else floor
    return max(low, floor), (later[0] - 1 if later else newest_opset)
