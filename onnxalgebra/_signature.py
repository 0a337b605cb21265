"""What a schema accepts, precomputed once per schema, and the checks against it.

Every operator built is checked here: number of inputs, attribute names,
required attributes and attribute kinds. Errors name the operator and say
what the schema expects.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from onnx import AttributeProto, GraphProto, SparseTensorProto, TensorProto, TypeProto, defs, helper

from ._attributes import AttributeList, AttributeRef
from ._errors import OperatorError

_ATTR = defs.OpSchema.AttrType
_OPTION = defs.OpSchema.FormalParameterOption
_UNBOUNDED = 2147483647


@dataclass(frozen=True)
class Signature:
    """The parts of an ``OpSchema`` the algebra needs on every node it builds (read once: an attribute of an
    ``OpSchema`` costs about 0.3 us a read)."""

    schema: defs.OpSchema
    domain: str
    op_type: str
    since_version: int
    has_inference: bool  # the schema has a type and shape inference function
    label: str  # e.g. "Add (version 14)"
    min_inputs: int
    max_inputs: int
    input_params: tuple[str, ...]  # type_str of each formal input (last one repeats if variadic)
    min_outputs: int
    max_outputs: int
    output_params: tuple[str, ...]
    attributes: dict[str, Any]  # name -> AttrType
    required: tuple[str, ...]
    constraints: dict[str, tuple[str, ...]]  # type parameter -> allowed type strings

    def input_param(self, index: int) -> str:
        """The type string (``T``, ``tensor(int64)``...) of input ``index``."""
        return self.input_params[min(index, len(self.input_params) - 1)]

    def output_param(self, index: int) -> str:
        """The type string of output ``index``."""
        return self.output_params[min(index, len(self.output_params) - 1)]

    @property
    def variadic_outputs(self) -> bool:
        """True when the number of outputs is not fixed by the schema."""
        return self.max_outputs != self.min_outputs


@functools.cache
def signature_of(domain: str, name: str, since_version: int) -> Signature:
    """The :class:`Signature` of version ``since_version`` of an operator (cached)."""
    schema = defs.get_schema(name, since_version, domain)
    domain = f"{schema.domain}." if schema.domain else ""
    return Signature(
        schema=schema,
        domain=schema.domain,
        op_type=schema.name,
        since_version=schema.since_version,
        has_inference=schema.has_type_and_shape_inference_function,
        label=f"{domain}{schema.name} (version {schema.since_version})",
        min_inputs=schema.min_input,
        max_inputs=schema.max_input,
        input_params=tuple(p.type_str for p in schema.inputs) or ("",),
        min_outputs=schema.min_output,
        max_outputs=schema.max_output,
        output_params=tuple(p.type_str for p in schema.outputs) or ("",),
        attributes={n: a.type for n, a in schema.attributes.items()},
        required=tuple(sorted(n for n, a in schema.attributes.items() if a.required)),
        constraints={tc.type_param_str: tuple(tc.allowed_type_strs) for tc in schema.type_constraints},
    )


def _bound(n: int) -> str:
    return "any number" if n >= _UNBOUNDED else str(n)


def check_input_count(sig: Signature, op: str, count: int) -> None:
    """Raise when ``count`` inputs do not fit the schema."""
    if sig.min_inputs <= count <= sig.max_inputs:
        return
    if sig.min_inputs == sig.max_inputs:
        expected = str(sig.min_inputs)
    else:
        expected = f"{sig.min_inputs} to {_bound(sig.max_inputs)}"
    names = ", ".join(p.name for p in sig.schema.inputs)
    raise OperatorError(f"{op}: {sig.label} takes {expected} inputs ({names}), {count} given.")


# Python values each attribute kind accepts.
_INTEGRAL = (int, np.integer, bool, np.bool_)
_REAL = (float, int, np.floating, np.integer)


def _is_list_of(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, AttributeList):  # normalised already (a check again at compile time)
        if str in kinds:
            return value.kind == "strings"
        return (value.kind == "ints" and int in kinds) or (value.kind == "floats" and float in kinds)
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        numeric = (kind in "iub" and int in kinds) or (kind == "f" and float in kinds)
        if value.ndim == 1 and (numeric or (kind in "US" and str in kinds)):
            return True  # a numeric or text array, checked without a Python loop
        value = value.tolist()
    # the distinct types, found in C, then checked: long lists (tree ensembles) cost little
    return isinstance(value, (list, tuple)) and all(issubclass(t, kinds) for t in set(map(type, value)))


def _is_graph(value: Any) -> bool:
    from ._expr import Expr
    from ._graph import Graph

    if isinstance(value, (GraphProto, Graph, Expr)):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, Expr) for v in value)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, (np.ndarray, np.generic, TensorProto, int, float, bool))


_ACCEPTS = {
    _ATTR.FLOAT: (lambda v: isinstance(v, _REAL) and not isinstance(v, bool), "a float"),
    _ATTR.INT: (lambda v: isinstance(v, _INTEGRAL), "an int"),
    _ATTR.STRING: (lambda v: isinstance(v, (str, bytes)), "a str"),
    _ATTR.TENSOR: (_is_tensor, "a numpy array or a TensorProto"),
    _ATTR.GRAPH: (_is_graph, "a GraphProto, a Graph or an expression"),
    _ATTR.FLOATS: (lambda v: _is_list_of(v, _REAL), "a list of floats"),
    _ATTR.INTS: (lambda v: _is_list_of(v, _INTEGRAL), "a list of ints"),
    _ATTR.STRINGS: (lambda v: _is_list_of(v, (str, bytes)), "a list of str"),
    _ATTR.TENSORS: (lambda v: _is_list_of(v, (np.ndarray, TensorProto)), "a list of numpy arrays"),
    _ATTR.GRAPHS: (lambda v: _is_list_of(v, (GraphProto,)), "a list of GraphProto"),
    _ATTR.SPARSE_TENSOR: (lambda v: isinstance(v, SparseTensorProto), "a SparseTensorProto"),
    _ATTR.SPARSE_TENSORS: (lambda v: _is_list_of(v, (SparseTensorProto,)), "a list of SparseTensorProto"),
    _ATTR.TYPE_PROTO: (lambda v: isinstance(v, TypeProto), "a TypeProto"),
    _ATTR.TYPE_PROTOS: (lambda v: _is_list_of(v, (TypeProto,)), "a list of TypeProto"),
}


_LISTS = {_ATTR.INTS: "ints", _ATTR.FLOATS: "floats", _ATTR.STRINGS: "strings"}


def _normalise(kind: Any, value: Any) -> Any:
    """Canonical Python form of an attribute value (so that equal values compare equal)."""
    if kind == _ATTR.FLOAT:
        return float(value)
    if kind == _ATTR.INT:
        return int(value)
    if kind in _LISTS:
        wanted = _LISTS[kind]
        return value if isinstance(value, AttributeList) and value.kind == wanted else AttributeList(value, wanted)
    if kind == _ATTR.TENSOR and not isinstance(value, TensorProto):
        return np.asarray(value)
    if kind == _ATTR.GRAPH and not isinstance(value, GraphProto):
        from ._graph import Graph

        return value if isinstance(value, Graph) else Graph.from_outputs(value)
    if kind in (_ATTR.TENSORS, _ATTR.GRAPHS, _ATTR.SPARSE_TENSORS, _ATTR.TYPE_PROTOS):
        return tuple(value)
    return value


def _older_versions_with(sig: Signature, name: str) -> list[int]:
    from ._schemas import operator_table

    schema = sig.schema
    entry = operator_table().get(schema.name)
    if entry is None:
        return []
    found = []
    for version in entry[1]:
        old = defs.get_schema(schema.name, version, schema.domain)
        if old.since_version == version and name in old.attributes:
            found.append(version)
    return found


def check_attributes(sig: Signature, op: str, given: dict[str, Any]) -> dict[str, Any]:
    """Check ``given`` attributes against the schema; return them normalised, sorted by name."""
    result: dict[str, Any] = {}
    if not given and not sig.required:
        return result
    for name in sorted(given):
        value = given[name]
        if value is None:
            continue
        kind = sig.attributes.get(name)
        if kind is None:
            message = f"{op}: {sig.label} has no attribute {name!r}."
            close = difflib.get_close_matches(name, list(sig.attributes), n=1)
            if close:
                message += f" Did you mean {close[0]!r}?"
            older = _older_versions_with(sig, name)
            if older:
                message += (
                    f" Versions {older} of {sig.schema.name} have it: pass op_version={older[-1]}"
                    f" or use Onnx{sig.schema.name}_{older[-1]}."
                )
            if sig.attributes and not close:
                message += f" Its attributes are: {', '.join(sorted(sig.attributes))}."
            elif not sig.attributes:
                message += " It takes no attribute."
            raise OperatorError(message)
        if isinstance(value, AttributeProto):
            value = helper.get_attribute_value(value)
        ref = getattr(value, "attribute_ref", None)  # a function attribute's tensor (x * alpha) given as attribute
        if isinstance(ref, AttributeRef):
            value = ref
        if isinstance(value, AttributeRef):
            if value.kind != kind:
                raise OperatorError(
                    f"{op}: attribute {name!r} of {sig.label} is {kind.name}; the function attribute {value.name!r} "
                    f"is {AttributeProto.AttributeType.Name(int(value.kind))}."
                )
            result[name] = value
            continue
        accepts, expected = _ACCEPTS[kind]
        if not accepts(value):
            raise OperatorError(
                f"{op}: attribute {name!r} of {sig.label} expects {expected} ({kind.name}), "
                f"got {type(value).__name__} {_short(value)}."
            )
        try:
            result[name] = _normalise(kind, value)
        except (OverflowError, ValueError) as exc:  # e.g. an int beyond int64
            raise OperatorError(
                f"{op}: attribute {name!r} of {sig.label}: {_short(value)} does not fit {kind.name}: {exc}."
            ) from None
    missing = [n for n in sig.required if n not in result]
    if missing:
        raise OperatorError(f"{op}: {sig.label} requires attribute(s) {', '.join(map(repr, missing))}.")
    return result


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
