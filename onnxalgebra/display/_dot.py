"""Graph -> DOT source: one pure function, no rendering here (see :mod:`onnxalgebra.display._render`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .._types import MapType, OptionalType, SequenceType, TensorType, ValueType
from ._view import GraphView, InitializerView, NodeView, view_of

__all__ = ["to_dot", "type_label", "collapse_chains"]

_STYLE = {
    "input": 'shape=invhouse, style=filled, fillcolor="#d5f5e3", color="#1e8449"',
    "output": 'shape=house, style=filled, fillcolor="#fadbd8", color="#a93226"',
    "initializer": 'shape=note, style=filled, fillcolor="#fdebd0", color="#b9770e", fontsize=9',
    "operator": 'shape=box, style="rounded,filled", fillcolor="#d6eaf8", color="#2471a3"',
    "collapsed": 'shape=box, style="rounded,filled,dashed", fillcolor="#eaeded", color="#566573"',
}
# Graphs with more operators than this have their long linear chains collapsed by default.
AUTO_COLLAPSE_NODES = 300
DEFAULT_CHAIN = 8


def type_label(vtype: ValueType | None) -> str:
    """Short text of a type for an edge: ``float32[N,3]``, ``seq(int64[?])``."""
    if vtype is None:
        return ""
    if isinstance(vtype, TensorType):
        try:
            name = str(vtype.dtype) if vtype.dtype != object else "string"
        except (TypeError, ValueError, KeyError):
            name = f"type{vtype.elem_type}"
        if vtype.shape is None:
            return name
        return f"{name}[{','.join('?' if d is None else str(d) for d in vtype.shape)}]"
    if isinstance(vtype, SequenceType):
        return f"seq({type_label(vtype.elem)})"
    if isinstance(vtype, OptionalType):
        return f"optional({type_label(vtype.elem)})"
    if isinstance(vtype, MapType):
        return f"map({type_label(TensorType(vtype.key_type))},{type_label(vtype.value)})"
    return str(vtype)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def collapse_chains(view: GraphView, min_length: int = DEFAULT_CHAIN) -> GraphView:
    """Replace each linear run of at least ``min_length`` single-output nodes by one box.

    A run is a sequence where each node's only output feeds only the next node.
    The constants only the run uses are dropped; the box counts its operators.
    """
    consumers: Counter[str] = Counter()
    for node in view.nodes:
        consumers.update(n for n in node.inputs if n)
    for name, _ in view.outputs:
        consumers[name] += 2  # a graph output never disappears inside a box
    linkable = [len(n.outputs) == 1 and not n.subgraphs and consumers[n.outputs[0]] == 1 for n in view.nodes]
    nodes: list[NodeView] = []
    dropped: set[str] = set()
    init_names = {i.name for i in view.initializers}
    i = 0
    while i < len(view.nodes):
        j = i
        while j + 1 < len(view.nodes) and linkable[j] and view.nodes[j].outputs[0] in view.nodes[j + 1].inputs:
            j += 1
        if j - i + 1 >= min_length:
            run = view.nodes[i : j + 1]
            counts = Counter(n.op_type for n in run)
            label = ", ".join(f"{op} x{c}" for op, c in sorted(counts.items()))
            inside = {n.outputs[0] for n in run}
            inputs = [n for n in run[0].inputs if n]
            for node in run[1:]:
                for name in node.inputs:
                    if name and name not in inside:
                        if name in init_names:
                            dropped.add(name)
                        else:
                            inputs.append(name)
            nodes.append(NodeView(f"{run[0].name}..{run[-1].name}", f"{len(run)} nodes", "",
                                  [("ops", label)], inputs, list(run[-1].outputs)))
            i = j + 1
        else:
            nodes.append(view.nodes[i])
            i += 1
    used = {n for node in nodes for n in node.inputs}
    inits = [t for t in view.initializers if t.name not in dropped or t.name in used]
    return GraphView(view.name, view.inputs, inits, nodes, view.outputs, view.types)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        # Edges go after every node, outside the clusters: an edge written inside
        # a cluster would pull its outer end into that cluster.
        self.edges: list[str] = []
        self.producer: dict[str, tuple[str, int]] = {}  # value name -> (DOT id, cluster)
        self.count = 0
        self.clusters = 0

    def new_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def emit_graph(self, view: GraphView, cluster: int, indent: str) -> list[str]:
        """Write ``view``; returns the DOT ids of its output boxes."""
        for name, vtype in view.inputs:
            node_id = self.new_id("in")
            label = f"{name}\n{type_label(vtype)}" if vtype is not None else name
            self.lines.append(f"{indent}{node_id} [label={_quote(label)}, {_STYLE['input']}];")
            self.producer[name] = (node_id, cluster)
        for init in view.initializers:
            self.emit_initializer(init, cluster, indent)
        for node in view.nodes:
            self.emit_node(node, view, cluster, indent)
        out_ids = []
        for name, vtype in view.outputs:
            node_id = self.new_id("out")
            label = f"{name}\n{type_label(vtype)}" if vtype is not None else name
            self.lines.append(f"{indent}{node_id} [label={_quote(label)}, {_STYLE['output']}];")
            self.edge(name, node_id, view, cluster, indent)
            out_ids.append(node_id)
        return out_ids

    def emit_initializer(self, init: InitializerView, cluster: int, indent: str) -> None:
        node_id = self.new_id("c")
        label = f"{init.name}\n{type_label(init.type)}"
        if init.preview is not None:
            label += f"\n{init.preview}"
        self.lines.append(f"{indent}{node_id} [label={_quote(label)}, {_STYLE['initializer']}];")
        self.producer[init.name] = (node_id, cluster)

    def emit_node(self, node: NodeView, view: GraphView, cluster: int, indent: str) -> None:
        node_id = self.new_id("n")
        title = node.op_type if not node.domain else f"{node.op_type}\n({node.domain})"
        lines = [title] + [f"{k}={v}" for k, v in node.attributes[:6]]
        if len(node.attributes) > 6:
            lines.append(f"(+{len(node.attributes) - 6} attributes)")
        style = _STYLE["collapsed"] if node.op_type.endswith(" nodes") else _STYLE["operator"]
        self.lines.append(f"{indent}{node_id} [label={_quote(chr(10).join(lines))}, {style}];")
        for name in node.inputs:
            if name:
                self.edge(name, node_id, view, cluster, indent)
        for attr, sub in node.subgraphs:
            self.clusters += 1
            number = self.clusters
            self.lines.append(f"{indent}subgraph cluster_{number} {{")
            inner = indent + "  "
            self.lines.append(f'{inner}label={_quote(f"{node.name}.{attr}")}; style="rounded,dashed"; color="#7f8c8d";')
            for out_id in self.emit_graph(sub, number, inner):
                self.edges.append(f"  {out_id} -> {node_id} [style=dotted, arrowhead=empty];")
            self.lines.append(f"{indent}}}")
        for name in node.outputs:
            if name:
                self.producer[name] = (node_id, cluster)

    def edge(self, name: str, target: str, view: GraphView, cluster: int, indent: str) -> None:
        source = self.producer.get(name)
        if source is None:  # produced nowhere we drew: show it as an input of its own
            node_id = self.new_id("in")
            self.lines.append(f"{indent}{node_id} [label={_quote(name)}, {_STYLE['input']}];")
            source = self.producer[name] = (node_id, cluster)
        label = type_label(view.types.get(name))
        style = ", style=dashed" if source[1] != cluster else ""
        self.edges.append(f"  {source[0]} -> {target} [label={_quote(label)}{style}];")


def to_dot(obj: Any, *, collapse: int | None = None, expand_functions: bool = False) -> str:
    """DOT source of an expression, a ``ModelProto`` or a ``GraphProto``.

    ``collapse``: linear chains of at least this many nodes become one box;
    by default chains of 8 collapse in graphs of more than 300 operators
    (``collapse=0`` never collapses). A call of a local function is one box;
    ``expand_functions=True`` draws the bodies in place instead.

    >>> from onnxalgebra import OnnxAbs
    >>> print(to_dot(OnnxAbs("X")).splitlines()[0])
    digraph G {
    """
    if expand_functions:
        obj = expanded(obj)
    view = obj if isinstance(obj, GraphView) else view_of(obj)
    if collapse is None and len(view.nodes) > AUTO_COLLAPSE_NODES:
        collapse = DEFAULT_CHAIN
    if collapse:
        view = collapse_chains(view, collapse)
    writer = _Writer()
    writer.emit_graph(view, 0, "  ")
    header = [
        "digraph G {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=10, nodesep=0.3, ranksep=0.35];',
        '  node [fontname="Helvetica", fontsize=10, margin="0.12,0.04", height=0.3];',
        '  edge [fontname="Helvetica", fontsize=8, color="#566573", fontcolor="#566573"];',
    ]
    return "\n".join([*header, *writer.lines, *writer.edges, "}"]) + "\n"


def expanded(obj: Any) -> Any:
    """``obj`` with its local functions' calls replaced by their bodies: a ``ModelProto`` through
    ``onnx.inliner``, expressions compiled with ``inline_functions=True`` (their inputs must be typed)."""
    import onnx.inliner
    from onnx import ModelProto

    if isinstance(obj, ModelProto):
        return onnx.inliner.inline_local_functions(obj) if obj.functions else obj
    if isinstance(obj, GraphView):
        return obj
    from .. import Expr, to_onnx

    if isinstance(obj, (list, tuple, Expr)):
        return to_onnx(list(obj) if isinstance(obj, (list, tuple)) else obj, inline_functions=True)
    return obj
