"""Graph -> DOT source: one pure function, no rendering here (see :mod:`onnxalgebra.display._render`)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from .._types import MapType, OptionalType, SequenceType, TensorType, ValueType
from ._view import GraphView, InitializerView, NodeView, view_of

__all__ = ["to_dot", "type_label", "collapse_chains", "chain_runs", "dot_parts", "assemble_dot"]

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


@lru_cache(maxsize=64)
def _dtype_name(elem_type: int) -> str:
    """numpy's name of an ONNX element type (cached: numpy's dtype names are slow to compute)."""
    try:
        dtype = TensorType(elem_type).dtype
        return "string" if dtype.kind == "O" else str(dtype)
    except (TypeError, ValueError, KeyError):
        return f"type{elem_type}"


def type_label(vtype: ValueType | None) -> str:
    """Short text of a type for an edge: ``float32[N,3]``, ``seq(int64[?])``."""
    if vtype is None:
        return ""
    if isinstance(vtype, TensorType):
        name = _dtype_name(vtype.elem_type)
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


def chain_runs(view: GraphView, min_length: int = DEFAULT_CHAIN) -> list[tuple[int, int]]:
    """``(first, last)`` node positions of each linear run of at least ``min_length`` single-output nodes.

    A run is a sequence where each node's only output feeds only the next node.
    """
    if min_length <= 0:
        return []
    consumers: Counter[str] = Counter()
    for node in view.nodes:
        consumers.update(n for n in node.inputs if n)
    for name, _ in view.outputs:
        consumers[name] += 2  # a graph output never disappears inside a box
    linkable = [len(n.outputs) == 1 and not n.subgraphs and consumers[n.outputs[0]] == 1 for n in view.nodes]
    runs = []
    i = 0
    while i < len(view.nodes):
        j = i
        while j + 1 < len(view.nodes) and linkable[j] and view.nodes[j].outputs[0] in view.nodes[j + 1].inputs:
            j += 1
        if j - i + 1 >= min_length:
            runs.append((i, j))
        i = j + 1
    return runs


def _box(run: list[NodeView], init_names: set[str]) -> tuple[NodeView, set[str]]:
    """The box standing for ``run``, and the initializers only its later nodes read (candidates to drop)."""
    counts = Counter(n.op_type for n in run)
    label = ", ".join(f"{op} x{c}" for op, c in sorted(counts.items()))
    inside = {n.outputs[0] for n in run}
    inputs = [n for n in run[0].inputs if n]
    dropped: set[str] = set()
    for node in run[1:]:
        for name in node.inputs:
            if name and name not in inside:
                if name in init_names:
                    dropped.add(name)
                else:
                    inputs.append(name)
    box = NodeView(f"{run[0].name}..{run[-1].name}", f"{len(run)} nodes", "", [("ops", label)], inputs, list(run[-1].outputs))
    return box, dropped


def _collapsed(view: GraphView, runs: list[tuple[int, int]]) -> tuple[list[NodeView], set[str]]:
    """The node list with each run replaced by its box, and the initializers no remaining node reads."""
    init_names = {i.name for i in view.initializers}
    nodes: list[NodeView] = []
    dropped: set[str] = set()
    position = 0
    for first, last in runs:
        nodes.extend(view.nodes[position:first])
        box, gone = _box(view.nodes[first : last + 1], init_names)
        nodes.append(box)
        dropped |= gone
        position = last + 1
    nodes.extend(view.nodes[position:])
    used = {n for node in nodes for n in node.inputs}
    return nodes, dropped - used


def collapse_chains(view: GraphView, min_length: int = DEFAULT_CHAIN) -> GraphView:
    """Replace each linear run of at least ``min_length`` single-output nodes by one box.

    A run is a sequence where each node's only output feeds only the next node.
    The constants only the run uses are dropped; the box counts its operators.
    """
    nodes, dropped = _collapsed(view, chain_runs(view, min_length))
    inits = [t for t in view.initializers if t.name not in dropped]
    return GraphView(view.name, view.inputs, inits, nodes, view.outputs, view.types)


def _type_parts(vtype: ValueType | None) -> dict[str, Any]:
    """A value's type for the interactive views: its label, element type and shape (``None``: unknown)."""
    if isinstance(vtype, TensorType):
        label = type_label(vtype)
        shape = None if vtype.shape is None else ["?" if d is None else str(d) for d in vtype.shape]
        return {"type": label, "dtype": label.split("[")[0], "shape": shape}
    return {"type": type_label(vtype), "dtype": None, "shape": None}


class _Writer:
    """Writes a view as DOT; with ``ids``, every node and edge carries an ``id`` (kept in the SVG) and
    :attr:`index` tells what each id stands for."""

    def __init__(self, ids: bool = False) -> None:
        self.ids = ids
        self.lines: list[tuple[str | None, str]] = []  # (DOT id of the node the line declares, line)
        # Edges go after every node, outside the clusters: an edge written inside
        # a cluster would pull its outer end into that cluster.
        # (edge id, source id, target id, quoted label or None, other attributes)
        self.edges: list[tuple[str, str, str, str | None, str]] = []
        self.producer: dict[str, tuple[str, int]] = {}  # value name -> (DOT id, cluster)
        self.index: dict[str, dict[str, Any]] = {}  # DOT id -> what it stands for
        self.node_ids: dict[int, str] = {}  # id(NodeView) -> DOT id
        self.values: dict[str, dict[str, Any]] = {}  # value name -> its type, element type and shape
        self.count = 0
        self.edge_count = 0
        self.clusters = 0

    def new_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def new_edge_id(self) -> str:
        self.edge_count += 1
        return f"e{self.edge_count}"

    def declare(self, node_id: str, attributes: str, indent: str) -> None:
        self.lines.append((node_id, f"{indent}{node_id} [{f'id={node_id}, ' if self.ids else ''}{attributes}];"))

    def value(self, name: str, view: GraphView) -> str:
        """``name``, its type recorded in :attr:`values` on first sight."""
        if name not in self.values:
            self.values[name] = _type_parts(view.types.get(name))
        return name

    def emit_graph(self, view: GraphView, cluster: int, indent: str) -> list[str]:
        """Write ``view``; returns the DOT ids of its output boxes."""
        for name, vtype in view.inputs:
            node_id = self.new_id("in")
            label = f"{name}\n{type_label(vtype)}" if vtype is not None else name
            self.declare(node_id, f"label={_quote(label)}, {_STYLE['input']}", indent)
            self.values.setdefault(name, _type_parts(vtype))
            self.index[node_id] = {"kind": "input", "name": name, "outputs": [name]}
            self.producer[name] = (node_id, cluster)
        for init in view.initializers:
            self.emit_initializer(init, cluster, indent)
        for node in view.nodes:
            self.emit_node(node, view, cluster, indent)
        out_ids = []
        for name, vtype in view.outputs:
            node_id = self.new_id("out")
            label = f"{name}\n{type_label(vtype)}" if vtype is not None else name
            self.declare(node_id, f"label={_quote(label)}, {_STYLE['output']}", indent)
            self.values.setdefault(name, _type_parts(vtype))
            self.index[node_id] = {"kind": "output", "name": name, "inputs": [name]}
            self.edge(name, node_id, view, cluster, indent)
            out_ids.append(node_id)
        return out_ids

    def emit_initializer(self, init: InitializerView, cluster: int, indent: str) -> None:
        node_id = self.new_id("c")
        label = f"{init.name}\n{type_label(init.type)}"
        if init.preview is not None:
            label += f"\n{init.preview}"
        self.declare(node_id, f"label={_quote(label)}, {_STYLE['initializer']}", indent)
        self.values.setdefault(init.name, _type_parts(init.type))
        self.index[node_id] = {"kind": "initializer", "name": init.name, "preview": init.preview, "outputs": [init.name]}
        self.producer[init.name] = (node_id, cluster)

    def node_line(self, node: NodeView, node_id: str, indent: str) -> str:
        title = node.op_type if not node.domain else f"{node.op_type}\n({node.domain})"
        lines = [title] + [f"{k}={v}" for k, v in node.attributes[:6]]
        if len(node.attributes) > 6:
            lines.append(f"(+{len(node.attributes) - 6} attributes)")
        style = _STYLE["collapsed"] if node.op_type.endswith(" nodes") else _STYLE["operator"]
        return f"{indent}{node_id} [{f'id={node_id}, ' if self.ids else ''}label={_quote(chr(10).join(lines))}, {style}];"

    def describe(self, node: NodeView, view: GraphView) -> dict[str, Any]:
        return {"kind": "operator", "name": node.name, "op": node.op_type, "domain": node.domain,
                "attributes": node.attributes,
                "inputs": [self.value(n, view) for n in node.inputs if n],
                "outputs": [self.value(n, view) for n in node.outputs if n]}

    def emit_node(self, node: NodeView, view: GraphView, cluster: int, indent: str) -> None:
        node_id = self.new_id("n")
        self.node_ids[id(node)] = node_id
        self.lines.append((node_id, self.node_line(node, node_id, indent)))
        self.index[node_id] = self.describe(node, view)
        for name in node.inputs:
            if name:
                self.edge(name, node_id, view, cluster, indent)
        for attr, sub in node.subgraphs:
            self.clusters += 1
            number = self.clusters
            self.lines.append((None, f"{indent}subgraph cluster_{number} {{"))
            inner = indent + "  "
            self.lines.append((None, f'{inner}label={_quote(f"{node.name}.{attr}")}; style="rounded,dashed"; color="#7f8c8d";'))
            for out_id in self.emit_graph(sub, number, inner):  # a branch's result, returned to its node
                edge_id = self.new_edge_id()
                self.edges.append((edge_id, out_id, node_id, None, "style=dotted, arrowhead=empty"))
                self.index[edge_id] = {"kind": "edge", "name": self.index[out_id]["name"]}
            self.lines.append((None, f"{indent}}}"))
        for name in node.outputs:
            if name:
                self.producer[name] = (node_id, cluster)

    def edge(self, name: str, target: str, view: GraphView, cluster: int, indent: str) -> None:
        source = self.producer.get(name)
        if source is None:  # produced nowhere we drew: show it as an input of its own
            node_id = self.new_id("in")
            self.declare(node_id, f"label={_quote(name)}, {_STYLE['input']}", indent)
            self.index[node_id] = {"kind": "input", "name": name, "outputs": [self.value(name, view)]}
            source = self.producer[name] = (node_id, cluster)
        self.value(name, view)
        style = "style=dashed" if source[1] != cluster else ""
        edge_id = self.new_edge_id()
        self.edges.append((edge_id, source[0], target, _quote(self.values[name]["type"]), style))
        self.index[edge_id] = {"kind": "edge", "name": name}

    def edge_lines(self) -> list[str]:
        return [_edge_line(*edge, ids=self.ids) for edge in self.edges]


def _edge_line(edge_id: str, source: str, target: str, label: str | None, style: str, *, ids: bool = True) -> str:
    attrs = [f"id={edge_id}"] if ids else []
    if label is not None:
        attrs.append(f"label={label}")
    if style:
        attrs.append(style)
    return f"  {source} -> {target} [{', '.join(attrs)}];"


_HEADER = [
    "digraph G {",
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=10, nodesep=0.3, ranksep=0.35];',
    '  node [fontname="Helvetica", fontsize=10, margin="0.12,0.04", height=0.3];',
    '  edge [fontname="Helvetica", fontsize=8, color="#566573", fontcolor="#566573"];',
]


def _default_collapse(view: GraphView, collapse: int | None) -> int:
    if collapse is None:
        return DEFAULT_CHAIN if len(view.nodes) > AUTO_COLLAPSE_NODES else 0
    return collapse


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
    collapse = _default_collapse(view, collapse)
    if collapse:
        view = collapse_chains(view, collapse)
    writer = _Writer()
    writer.emit_graph(view, 0, "  ")
    return "\n".join([*_HEADER, *(line for _, line in writer.lines), *writer.edge_lines(), "}"]) + "\n"


def dot_parts(view: GraphView, *, collapse: int | None = None) -> dict[str, Any]:
    """Every node's DOT line and every edge, with ids, plus each collapsible chain: what an interactive
    view needs to assemble the DOT of any mix of collapsed and expanded chains (a JSON-able dict).

    ``lines``: ``[owner id or None, line]`` in order; ``edges``: ``[edge id, source id, target id, quoted label or None,
    other attributes]``;
    ``chains``: ``{"box", "first", "members", "line"}``, where ``members`` are the DOT ids the box hides
    (its operators, then the initializers only they read) and ``line`` declares the box in place of ``first``'s;
    ``index``: DOT id -> what it stands for (kind, name, operator, attributes, names of inputs and outputs);
    ``values``: tensor name -> ``{"type", "dtype", "shape"}``.
    Collapsing every chain gives the nodes and edges of ``to_dot(view, collapse=collapse)``, with ids added.

    >>> from onnxalgebra import Var
    >>> import numpy as np
    >>> x = Var("X", np.float32, [None, 2])
    >>> parts = dot_parts(view_of(abs(abs(abs(x)))), collapse=3)
    >>> [(c["box"], c["members"]) for c in parts["chains"]]
    [('k1', ['n2', 'n3', 'n4'])]
    """
    collapse = _default_collapse(view, collapse)
    writer = _Writer(ids=True)
    writer.emit_graph(view, 0, "  ")
    runs = chain_runs(view, collapse)
    _, dropped = _collapsed(view, runs)
    init_ids = {entry["name"]: key for key, entry in writer.index.items() if entry["kind"] == "initializer"}
    chains = []
    init_names = {i.name for i in view.initializers}
    for number, (first, last) in enumerate(runs, 1):
        run = view.nodes[first : last + 1]
        box, gone = _box(run, init_names)
        box_id = f"k{number}"
        members = [writer.node_ids[id(n)] for n in run] + [init_ids[name] for name in sorted(gone & dropped)]
        chains.append({"box": box_id, "first": members[0], "members": members, "line": writer.node_line(box, box_id, "  ")})
        writer.index[box_id] = {**writer.describe(box, view), "kind": "chain", "members": members}
    return {"header": _HEADER, "lines": writer.lines, "edges": writer.edges,
            "chains": chains, "index": writer.index, "values": writer.values}


def assemble_dot(parts: dict[str, Any], expanded: set[str] | frozenset[str] = frozenset()) -> str:
    """The DOT of :func:`dot_parts` with every chain collapsed except the boxes in ``expanded``
    (the interactive page does the same in JavaScript).

    >>> from onnxalgebra import Var
    >>> import numpy as np
    >>> parts = dot_parts(view_of(abs(abs(abs(Var("X", np.float32, [None, 2]))))), collapse=3)
    >>> assemble_dot(parts).count("->"), assemble_dot(parts, {"k1"}).count("->")
    (2, 4)
    """
    hidden: dict[str, str] = {}
    first: dict[str, str] = {}
    for chain in parts["chains"]:
        if chain["box"] not in expanded:
            hidden.update(dict.fromkeys(chain["members"], chain["box"]))
            first[chain["first"]] = chain["line"]
    out = list(parts["header"])
    for owner, line in parts["lines"]:
        if owner in hidden:
            if owner in first:
                out.append(first[owner])
            continue
        out.append(line)
    for edge_id, source, target, label, style in parts["edges"]:
        a, b = hidden.get(source, source), hidden.get(target, target)
        if a != b:
            out.append(_edge_line(edge_id, a, b, label, style))
    return "\n".join([*out, "}"]) + "\n"


def expanded(obj: Any) -> Any:
    """``obj`` with its local functions' calls replaced by their bodies: a ``ModelProto`` through
    ``onnx.inliner``, expressions compiled with ``inline_functions=True`` (their inputs must be typed)."""
    import onnx.inliner
    from onnx import ModelProto

    if isinstance(obj, ModelProto):
        return onnx.inliner.inline_local_functions(obj) if obj.functions else obj
    from .. import Expr, to_onnx

    if isinstance(obj, (list, tuple, Expr)):
        return to_onnx(list(obj) if isinstance(obj, (list, tuple)) else obj, inline_functions=True)
    return obj
