"""Graph -> ``networkx.DiGraph``, for path queries, ancestors of an output, critical paths."""

from __future__ import annotations

from typing import Any

from .._types import TensorType
from ._dot import type_label
from ._view import GraphView, view_of

__all__ = ["to_networkx"]


def _value_attrs(kind: str, vtype: Any) -> dict[str, Any]:
    tensor = vtype if isinstance(vtype, TensorType) else None
    return {
        "kind": kind,
        "type": type_label(vtype),
        "dtype": str(tensor.dtype) if tensor is not None and tensor.elem_type != 8 else ("string" if tensor else None),
        "shape": tensor.shape if tensor is not None else None,
    }


def _add_graph(g: Any, view: GraphView, prefix: str) -> None:
    for name, vtype in view.inputs:
        g.add_node(f"value:{name}", name=name, **_value_attrs("input", vtype))
    for init in view.initializers:
        g.add_node(f"value:{init.name}", name=init.name, **_value_attrs("initializer", init.type))
    for node in view.nodes:
        op_id = f"op:{prefix}{node.name}"
        g.add_node(op_id, kind="operator", name=node.name, op_type=node.op_type, domain=node.domain,
                   attributes=dict(node.attributes))
        for name in node.inputs:
            if name:
                if f"value:{name}" not in g:
                    g.add_node(f"value:{name}", name=name, **_value_attrs("value", view.types.get(name)))
                g.add_edge(f"value:{name}", op_id)
        for name in node.outputs:
            if name:
                g.add_node(f"value:{name}", name=name, **_value_attrs("value", view.types.get(name)))
                g.add_edge(op_id, f"value:{name}")
        for attr, sub in node.subgraphs:
            _add_graph(g, sub, f"{prefix}{node.name}.{attr}/")
            for name, _ in sub.outputs:
                g.add_edge(f"value:{name}", op_id, subgraph=attr)
    for name, _ in view.outputs:
        g.nodes[f"value:{name}"]["kind"] = "output" if prefix == "" else g.nodes[f"value:{name}"]["kind"]


def to_networkx(obj: Any) -> Any:
    """A ``networkx.DiGraph`` of an expression or a model.

    Operators are nodes ``'op:<name>'`` (attributes ``op_type``, ``domain``),
    values are nodes ``'value:<name>'`` (``kind``: input, initializer, value
    or output; ``dtype``; ``shape``); edges go value -> operator -> value.
    Subgraph operators are prefixed with their parent's name.

    >>> from onnxalgebra import OnnxAbs
    >>> g = to_networkx(OnnxAbs("X"))
    >>> sorted(g.successors("value:X"))
    ['op:Abs_0']
    """
    import networkx as nx

    view = obj if isinstance(obj, GraphView) else view_of(obj)
    graph = nx.DiGraph(name=view.name)
    _add_graph(graph, view, "")
    return graph
