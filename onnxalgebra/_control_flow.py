"""Output types of ``If``, ``Loop`` and ``Scan`` from the types of their compiled bodies.

ONNX's per-node inference cannot look into a body without a whole-graph
context, so it leaves these outputs without a shape. The compiler knows every
body's output types; these rules complete what ONNX gave.
"""

from __future__ import annotations

from collections.abc import Sequence

from onnx import GraphProto

from ._types import TensorType, ValueType, type_from_proto

__all__ = ["refine_control_flow"]


def _merge(a: ValueType | None, b: ValueType | None) -> ValueType | None:
    """The type both branches agree on: unequal dims become unknown."""
    if a is None or b is None:
        return a or b
    if not (isinstance(a, TensorType) and isinstance(b, TensorType)):
        return a if a == b else None
    if a.elem_type != b.elem_type:
        return None
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
        return TensorType(a.elem_type, None)
    return TensorType(a.elem_type, tuple(x if x == y else None for x, y in zip(a.shape, b.shape)))


def _stacked(vtype: ValueType | None, axis: int = 0) -> ValueType | None:
    """The type of values of ``vtype`` stacked along a new axis of unknown length."""
    if not isinstance(vtype, TensorType) or vtype.shape is None:
        return vtype
    shape = list(vtype.shape)
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, None)
    return TensorType(vtype.elem_type, tuple(shape))


def _outputs(graph: GraphProto) -> list[ValueType | None]:
    return [type_from_proto(o.type) if o.HasField("type") else None for o in graph.output]


def _body_types(op_type: str, graphs: dict[str, GraphProto], attrs: dict, n_outputs: int) -> list[ValueType | None]:
    if op_type == "If":
        then, other = _outputs(graphs["then_branch"]), _outputs(graphs["else_branch"])
        return [_merge(a, b) for a, b in zip(then, other)]
    body = _outputs(graphs["body"])
    if op_type == "Loop":
        # body: cond, N loop-carried values, K scan outputs (stacked along a new axis 0)
        carried = len(graphs["body"].input) - 2
        return body[1 : 1 + carried] + [_stacked(t) for t in body[1 + carried :]]
    if op_type == "Scan":
        states = len(graphs["body"].input) - int(attrs.get("num_scan_inputs", 0))
        axes = list(attrs.get("scan_output_axes", ())) or [0] * (len(body) - states)
        return body[:states] + [_stacked(t, a) for t, a in zip(body[states:], axes)]
    return [None] * n_outputs


def _prefer_known(onnx_type: ValueType | None, ours: ValueType | None) -> ValueType | None:
    if onnx_type is None:
        return ours
    if isinstance(onnx_type, TensorType) and isinstance(ours, TensorType) and onnx_type.shape is None:
        if ours.elem_type == onnx_type.elem_type:
            return ours
    return onnx_type


def refine_control_flow(
    op_type: str,
    types: Sequence[ValueType | None],
    graphs: dict[str, GraphProto],
    attrs: dict,
) -> tuple[ValueType | None, ...]:
    """Complete ONNX's inferred ``types`` of a control-flow node with its bodies' output types."""
    if op_type not in ("If", "Loop", "Scan") or not graphs:
        return tuple(types)
    ours = _body_types(op_type, graphs, attrs, len(types))
    ours += [None] * (len(types) - len(ours))
    return tuple(_prefer_known(t, o) for t, o in zip(types, ours))
