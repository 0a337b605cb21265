"""A plain description of a graph (inputs, initializers, nodes, outputs, value types).

Both an expression (before compiling, typed where types are known) and any
``ModelProto``/``GraphProto`` are described this way; the DOT writer and the
networkx export read only this description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import GraphProto, ModelProto, helper, numpy_helper

from .._types import TensorType, ValueType, elem_type_of, type_from_proto
from ..compiler._large import infer_shapes

__all__ = ["GraphView", "NodeView", "InitializerView", "view_of", "short_text"]

_PREVIEW_SIZE = 6  # initializers this small show their values


@dataclass
class InitializerView:
    """A constant: its name, type and, when tiny, its values."""

    name: str
    type: ValueType | None
    preview: str | None = None


@dataclass
class NodeView:
    """One operator node; ``subgraphs`` are its graph attributes."""

    name: str
    op_type: str
    domain: str
    attributes: list[tuple[str, str]]
    inputs: list[str]
    outputs: list[str]
    subgraphs: list[tuple[str, GraphView]] = field(default_factory=list)


@dataclass
class GraphView:
    """A graph: everything the diagram and the networkx export need."""

    name: str
    inputs: list[tuple[str, ValueType | None]]
    initializers: list[InitializerView]
    nodes: list[NodeView]
    outputs: list[tuple[str, ValueType | None]]
    types: dict[str, ValueType | None]


def short_text(value: Any, limit: int = 32) -> str:
    """A readable, bounded text for an attribute value."""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, np.ndarray):
        text = np.array2string(value.ravel()[:8], separator=",", threshold=8) if value.size <= 8 else (
            f"{value.dtype}{list(value.shape)}"
        )
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (list, tuple)):
        text = "[" + ",".join(short_text(v, limit) for v in value[:8]) + (",..." if len(value) > 8 else "") + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _preview(array: np.ndarray) -> str | None:
    if array.size > _PREVIEW_SIZE:
        return None
    return short_text(array.ravel().tolist() if array.ndim else array.item(), 40)


# -- from a ModelProto / GraphProto ------------------------------------------------------


def _proto_attribute(attr: onnx.AttributeProto) -> str:
    if attr.type == onnx.AttributeProto.TENSOR:
        return short_text(numpy_helper.to_array(attr.t))
    value = helper.get_attribute_value(attr)
    if attr.name == "to" and isinstance(value, int):
        return onnx.TensorProto.DataType.Name(value).lower()
    return short_text(value)


def _graph_from_proto(graph: GraphProto, types: dict[str, ValueType | None]) -> GraphView:
    for info in [*graph.input, *graph.output, *graph.value_info]:
        if info.HasField("type"):
            types[info.name] = type_from_proto(info.type)
    inits = []
    for tensor in graph.initializer:
        vtype = TensorType(tensor.data_type, tuple(tensor.dims))
        types[tensor.name] = vtype
        preview = _preview(numpy_helper.to_array(tensor)) if np.prod(tensor.dims, dtype=np.int64) <= _PREVIEW_SIZE else None
        inits.append(InitializerView(tensor.name, vtype, preview))
    init_names = {t.name for t in graph.initializer}
    nodes = []
    for i, node in enumerate(graph.node):
        subgraphs = []
        attributes = []
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                subgraphs.append((attr.name, _graph_from_proto(attr.g, types)))
            elif attr.type == onnx.AttributeProto.GRAPHS:
                subgraphs.extend((f"{attr.name}[{k}]", _graph_from_proto(g, types)) for k, g in enumerate(attr.graphs))
            else:
                attributes.append((attr.name, _proto_attribute(attr)))
        nodes.append(NodeView(node.name or f"{node.op_type}_{i}", node.op_type, node.domain, attributes,
                              list(node.input), list(node.output), subgraphs))
    return GraphView(
        graph.name,
        [(i.name, types.get(i.name)) for i in graph.input if i.name not in init_names],
        inits,
        nodes,
        [(o.name, types.get(o.name)) for o in graph.output],
        types,
    )


def _intermediate_types(model: ModelProto) -> dict[str, ValueType | None]:
    """Types of the values between nodes, from ONNX shape inference (unknown dims shown as '?')."""
    try:
        inferred = infer_shapes(model)  # also over 2 GB (without the large tensors' data)
    except Exception:
        return {}
    types: dict[str, ValueType | None] = {}
    graphs = [inferred.graph]
    while graphs:  # the main graph and every subgraph
        graph = graphs.pop()
        for info in graph.value_info:
            vtype = type_from_proto(info.type)
            if isinstance(vtype, TensorType) and vtype.shape is not None:
                vtype = TensorType(vtype.elem_type, tuple(None if str(d).startswith("unk__") else d for d in vtype.shape))
            types[info.name] = vtype
        for node in graph.node:
            graphs.extend(a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH)
    return types


def _view_of_model(model: ModelProto) -> GraphView:
    # intermediate types first, so that the model's own declarations win
    return _graph_from_proto(model.graph, _intermediate_types(model))


# -- from an expression ---------------------------------------------------------------------


class _ExprViewer:
    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.names: dict[int, list[str]] = {}  # id(operator) -> output names
        self.constants: dict[int, str] = {}
        self.types: dict[str, ValueType | None] = {}

    def fresh(self, prefix: str) -> str:
        k = self.counters.get(prefix, 0)
        self.counters[prefix] = k + 1
        return f"{prefix}_{k}"

    def graph(self, name: str, outputs: list[Any], body_inputs: tuple[Any, ...]) -> GraphView:
        from .._expr import Constant, Output, Var
        from .._graph import Graph
        from .._traverse import postorder
        from ..compiler._compile import expand_outputs

        values = expand_outputs(outputs)
        inputs: dict[str, ValueType | None] = {}
        local = {v.name for v in body_inputs}
        inits: list[InitializerView] = []
        nodes: list[NodeView] = []

        def value_name(value: Any) -> str:
            if value is None:
                return ""
            if isinstance(value, Var):
                if value.name not in local and value.name not in self.types:
                    inputs[value.name] = value.type
                self.types.setdefault(value.name, value.type)
                return value.name
            if isinstance(value, Constant):
                name = self.constants.get(id(value))
                if name is None:
                    name = self.constants[id(value)] = self.fresh("cst")
                    array = value.resolve(None) if value.deferred else value.value
                    vtype = value.type or TensorType(elem_type_of(array.dtype), array.shape)
                    self.types[name] = vtype
                    inits.append(InitializerView(name, vtype, _preview(array)))
                return name
            return self.names[id(value.op)][value.index]

        for var in body_inputs:
            self.types[var.name] = var.type
        roots = [v.op for v in values if isinstance(v, Output) and id(v.op) not in self.names]
        children = lambda op: [v.op for v in op.inputs if isinstance(v, Output) and id(v.op) not in self.names]  # noqa: E731
        for op in postorder(roots, children):
            node_name = self.fresh(op.op_type)
            outs = [node_name] if op.n_outputs == 1 else [f"{node_name}:{i}" for i in range(op.n_outputs)]
            if op.output_names:
                outs = [given if given is not None else auto for given, auto in zip(op.output_names, outs)]
            types = op.output_types or (None,) * op.n_outputs
            self.types.update(zip(outs, types))
            in_names = [value_name(v) for v in op.inputs]
            attributes, subgraphs = [], []
            for key, value in op.attributes.items():
                if isinstance(value, Graph):
                    subgraphs.append((key, self.graph(key, list(value.outputs), value.inputs)))
                elif isinstance(value, GraphProto):
                    subgraphs.append((key, _graph_from_proto(value, self.types)))
                elif key == "to" and isinstance(value, int):
                    attributes.append((key, onnx.TensorProto.DataType.Name(value).lower()))
                elif isinstance(value, onnx.TensorProto):
                    attributes.append((key, short_text(numpy_helper.to_array(value))))
                else:
                    attributes.append((key, short_text(value)))
            self.names[id(op)] = outs
            nodes.append(NodeView(node_name, op.op_type, op.domain, attributes, in_names, outs, subgraphs))
        out_names = [value_name(v) for v in values]
        in_names = [v.name for v in body_inputs] if body_inputs else list(inputs)
        return GraphView(
            name,
            [(n, self.types.get(n)) for n in in_names],
            inits,
            nodes,
            [(n, self.types.get(n)) for n in out_names],
            self.types,
        )


def view_of(obj: Any) -> GraphView:
    """Describe an expression (or a list of them), a ``ModelProto`` or a ``GraphProto``."""
    from .._expr import Expr

    if isinstance(obj, ModelProto):
        return _view_of_model(obj)
    if isinstance(obj, GraphProto):
        return _graph_from_proto(obj, {})
    if isinstance(obj, Expr) or (isinstance(obj, (list, tuple)) and obj and all(isinstance(o, Expr) for o in obj)):
        return _ExprViewer().graph("expression", list(obj) if isinstance(obj, (list, tuple)) else [obj], ())
    raise TypeError(f"cannot draw a {type(obj).__name__}: expected an expression, a ModelProto or a GraphProto.")
