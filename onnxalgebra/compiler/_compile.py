"""Expression -> ``onnx.ModelProto``.

The compiler surveys the expression (operators used, user names, graph
inputs), chooses the opsets, then sweeps the nodes once in topological order
(iteratively: a 100,000-node chain compiles). For each node the sweep
resolves its version, names its inputs (constants through
:class:`~onnxalgebra._passes.dedup_constants.InitializerTable`), looks it up
in the :class:`~onnxalgebra._passes.cse.NodeTable`, infers its output types,
names its outputs (:class:`~onnxalgebra._passes.naming.NameAllocator`) and
appends its ``NodeProto``. Subgraph bodies are compiled the same way in a
child scope that sees the enclosing graph's values.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
import onnx
from onnx import GraphProto, ModelProto, defs, helper

from .._attributes import attribute_bytes, attribute_proto
from .._control_flow import refine_control_flow
from .._errors import CompileError
from .._expr import Constant, Expr, OnnxOperator, Output, Var, resolve_constants
from .._functions import attach_functions, compile_bodies, needed_opsets
from .._graph import Graph
from .._passes.cse import NodeTable
from .._passes.dedup_constants import InitializerTable
from .._passes.naming import NameAllocator
from .._schemas import operator_table
from .._signature import Signature
from .._traverse import postorder
from .._types import TensorType, ValueType, elem_type_of, make_type, value_info
from .._versions import tensor_type_string, type_string
from ._inputs import parse_inputs
from ._opset import NodeUse, UsedOp, check_target_domains, check_target_opset, choose_opsets

__all__ = ["compile_model", "expand_outputs"]

_GRAPH = defs.OpSchema.AttrType.GRAPH
PRODUCER = "onnxalgebra"
_IDENTITY = defs.get_schema("Identity").since_version  # the version of the Identity nodes the compiler adds


def expand_outputs(values: Iterable[Any]) -> list[Expr]:
    """The values an output list stands for: a multi-output operator gives all its outputs."""
    result: list[Expr] = []
    for value in values:
        if isinstance(value, OnnxOperator):
            result.extend(out for out in value.outputs if not value.omitted(out.index))
        elif isinstance(value, (Var, Constant, Output)):
            result.append(value)
        elif isinstance(value, str):
            result.append(Var(value))
        else:
            raise CompileError(f"an output must be an expression, got {type(value).__name__}.")
    return result


def _operator_inputs(op: OnnxOperator) -> list[OnnxOperator]:
    return [v.op for v in op.inputs if isinstance(v, Output)]


def _ops_in_proto(graph: GraphProto) -> set[UsedOp]:
    """The operators a ``GraphProto`` attribute uses, nested bodies included, that onnx knows
    (their domains must be imported by the model too)."""
    found: set[UsedOp] = set()
    pending = [graph]
    while pending:
        for node in pending.pop().node:
            domain = "" if node.domain == "ai.onnx" else node.domain
            entry = operator_table().get(node.op_type)
            if entry is not None and entry[0].domain == domain:
                found.add(UsedOp(domain, node.op_type, None))
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    pending.append(attr.g)
                pending.extend(attr.graphs)
    return found


class _Survey:
    """What the whole expression uses, subgraphs included, before anything is emitted."""

    def __init__(self, outputs: Sequence[Expr], names: NameAllocator):
        self.raw: set[UsedOp] = set()  # operators of GraphProto attributes: the model's opsets decide their versions
        self.free_vars: dict[str, Var] = {}  # graph inputs found, in discovery order
        self.order: list[OnnxOperator] = []  # the main graph's operators, inputs first: the order they are compiled in
        pending: list[tuple[Sequence[Expr], frozenset[str]]] = [(outputs, frozenset())]
        seen: set[int] = set()
        main = True  # the first values are the main graph's
        while pending:
            values, local = pending.pop()
            for value in values:
                if isinstance(value, Var) and value.name not in local:
                    self._free(value)
            roots = [v.op for v in values if isinstance(v, Output)]
            for op in postorder(roots, _operator_inputs, seen=seen):  # seen: operators of earlier bodies too
                if main:
                    self.order.append(op)
                for name in op.output_names or ():
                    if name:  # '' omits an optional output
                        names.reserve(name, f"output_names of {type(op).__name__}")
                for value in op.inputs:
                    if isinstance(value, Var) and value.name not in local:
                        self._free(value)
                for attr in op.attributes.values():
                    if isinstance(attr, Graph):
                        for var in attr.inputs:
                            names.reserve(var.name, "a subgraph input")
                        pending.append((expand_outputs(attr.outputs), local | {v.name for v in attr.inputs}))
                    elif isinstance(attr, GraphProto):
                        self.raw.update(_ops_in_proto(attr))
            main = False

    def _free(self, var: Var) -> None:
        known = self.free_vars.get(var.name)
        if known is None or (known.type is None and var.type is not None):
            self.free_vars[var.name] = var
        elif var.type is not None and known.type is not None and var.type != known.type:
            raise CompileError(f"input {var.name!r} is declared with two types: {known.type} and {var.type}.")


class _Scope:
    """The values one graph sees: its own, and through ``parent`` its enclosing graphs'."""

    def __init__(self, parent: _Scope | None, graph: GraphProto):
        self.parent = parent
        self.graph = graph
        self.types: dict[str, ValueType | None] = {}
        self.produced: set[str] = set()  # names computed by nodes of this graph
        # id(operator) -> its output names, seen through to the enclosing graphs
        self.bound = NodeTable(parent.bound if parent is not None else None)
        self.cse = NodeTable(parent.cse if parent is not None else None)

    def find_op(self, op: OnnxOperator) -> tuple[str, ...] | None:
        return self.bound.find(id(op))

    def find_type(self, name: str) -> tuple[bool, ValueType | None]:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.types:
                return True, scope.types[name]
            scope = scope.parent
        return False, None


class _Compiler:
    def __init__(self, names: NameAllocator, requested: dict[tuple[int, int], str], target_opset: Any):
        self.target_opset = target_opset
        self._opset_key: tuple[tuple[str, int], ...] | None = None
        self.names = names
        self.initializers = InitializerTable(names)
        self.requested = requested  # (id(operator), output index) -> graph output name
        self.requested_ops = {oid for oid, _ in requested}
        self.root: _Scope | None = None
        self.uses: set[NodeUse] = set()  # what the opset choice needs to know of every node
        self.seen: set[tuple[Any, ...]] = set()  # the kinds of nodes already noted in uses

    @property
    def opset_key(self) -> tuple[tuple[str, int], ...]:
        """The opsets a node typed here is inferred at. Nodes are typed with the versions they were built with;
        the nodes of GraphProto bodies, whose versions the opsets decide, are typed at the target opsets (the
        newest without a target): read when first needed."""
        if self._opset_key is None:
            self._opset_key = tuple(sorted(inference_opsets(self.target_opset).items()))
        return self._opset_key

    # -- values ---------------------------------------------------------------------

    def compile_values(self, scope: _Scope, values: Sequence[Expr], order: Iterable[OnnxOperator] | None = None) -> None:
        """Compile the operators ``values`` need that the scope has not compiled yet, inputs first (``order``: those
        operators in that order, when known)."""
        if order is None:
            roots = [v.op for v in values if isinstance(v, Output) and scope.find_op(v.op) is None]
            children = lambda op: [v.op for v in op.inputs if isinstance(v, Output) and scope.find_op(v.op) is None]  # noqa: E731
            order = postorder(roots, children)
        for op in order:
            self.node(scope, op)

    def constant(self, array: np.ndarray, vtype: TensorType | None = None) -> str:
        """The initializer holding ``array`` (``vtype``: its type, when known)."""
        name = self.initializers.name_for(array)
        assert self.root is not None
        types = self.root.types
        if name not in types:
            types[name] = vtype if vtype is not None else TensorType(elem_type_of(array.dtype), array.shape)
        return name

    def value_name(self, scope: _Scope, value: Expr, owner: str) -> str:
        if isinstance(value, Output):
            names = scope.find_op(value.op)
            assert names is not None  # compile_values ran first
            if not names[value.index]:
                raise CompileError(
                    f"{owner}: output {value.index} of {type(value.op).__name__} is omitted ('' in output_names); "
                    "it cannot be used."
                )
            return names[value.index]
        if isinstance(value, Var):
            known, _ = scope.find_type(value.name)
            if not known:
                raise CompileError(f"{owner}: {value.name!r} is neither a graph input nor a value of an enclosing graph.")
            return value.name
        if isinstance(value, Constant):
            return self.constant(value.resolve(None))
        raise CompileError(f"{owner}: cannot use {type(value).__name__} as a value.")

    # -- nodes ----------------------------------------------------------------------

    def type_string(self, vtype: Any) -> str | None:
        """The schema type string of a value's type ('' for an omitted one)."""
        if type(vtype) is TensorType:
            return tensor_type_string(vtype.elem_type)
        return "" if vtype == "" else type_string(vtype)

    def use(
        self, op: OnnxOperator, sig: Signature, in_types: Sequence[Any], present: Sequence[bool], out_types: Sequence[Any]
    ) -> None:
        """Note what the opset choice needs of this node: its version, types (of the inputs ``present`` and the
        outputs not omitted) and attributes (once per kind of node)."""
        string = self.type_string
        if False in present:
            ins = tuple([string(t) if p else "" for t, p in zip(in_types, present)])
        else:
            ins = tuple(map(string, in_types))
        if op.output_names is not None and "" in op.output_names:
            outs = tuple(["" if op.omitted(i) else string(t) for i, t in enumerate(out_types)])
        else:
            outs = tuple(map(string, out_types))
        key = (type(op), sig.since_version, op.pinned, op.attr_key, ins, outs)
        if key in self.seen:
            return
        self.seen.add(key)
        attributes: tuple[tuple[str, Any], ...] = ()
        if op.attributes:
            attributes = tuple([(n, v if isinstance(v, (str, bytes)) else None) for n, v in op.attributes.items()])
        self.uses.add(
            NodeUse(sig.domain, op.op_type, sig.since_version, op.pinned, type(op).__name__,
                    key[4], key[5], attributes)
        )  # fmt: skip

    def node(self, scope: _Scope, op: OnnxOperator) -> None:
        sig = op._sig  # the version the node was built with; the opsets are chosen to keep it
        in_names: list[str] = []
        in_types: list[ValueType | None] = []
        has_constant = False
        own_types = scope.types
        find_op = scope.bound.find
        built = op._in_types  # the input types the node was typed for when built
        same = built is not None  # ... and its inputs have them still: its types and constants stand
        for i, value in enumerate(op.inputs):
            kind = type(value)
            if value is None:
                in_names.append("")
                in_types.append(None)
            elif kind is Constant:
                has_constant = True
                in_names.append("")
                in_types.append(value.type)
            else:
                names = find_op(id(value.op)) if kind is Output else None
                if names is not None and names[value.index]:  # type: ignore[union-attr]
                    name = names[value.index]  # type: ignore[union-attr]
                else:  # a graph input, or an error
                    name = self.value_name(scope, value, type(op).__name__)
                in_names.append(name)
                vtype = own_types[name] if name in own_types else scope.find_type(name)[1]
                in_types.append(vtype)
                if same and vtype is not built[i] and vtype != built[i]:  # type: ignore[index]
                    same = False
        arrays: list[np.ndarray | None] = []
        if has_constant:
            same = same and op._arrays is not None
            arrays = op._arrays if same else resolve_constants(sig, op.inputs, in_types)  # type: ignore[assignment]
            for i, array in enumerate(arrays):
                if array is not None:
                    in_names[i] = self.constant(array, built[i] if same else None)  # type: ignore[index]
                    in_types[i] = self.root.types[in_names[i]]  # type: ignore[union-attr]
        wires: list[bytes] = []  # the serialised attributes
        graphs: dict[str, GraphProto] = {}
        attr_key = op.attr_key
        if op.attributes:
            encoded = op._wires  # encoded when the node was typed, if it was
            for i, (name, value) in enumerate(op.attributes.items()):
                kind = sig.attributes[name]
                if kind == _GRAPH and isinstance(value, Graph):
                    proto = attribute_proto(name, value, kind, lambda g, n: self.subgraph(scope, g, n))
                    graphs[name] = proto.g
                    attr_key = (*attr_key, (name, proto.g.SerializeToString(deterministic=True)))
                    wires.append(proto.SerializeToString())
                else:
                    if isinstance(value, GraphProto):
                        graphs[name] = value
                    wires.append(encoded[i] if encoded is not None else attribute_bytes(name, value, kind))
        oid = id(op)
        n_outputs = op.n_outputs
        if oid in self.requested_ops:
            requested = self.requested
            requests = tuple([requested.get((oid, i)) for i in range(n_outputs)])
        else:
            requests = (None,) * n_outputs
        in_key = tuple(in_names)
        key = (sig.domain, op.op_type, sig.since_version, attr_key, in_key, op.output_names, n_outputs, requests)
        found = scope.cse.find(key)
        if found is not None:
            scope.bound.add(oid, found)
            return
        present = tuple([n != "" for n in in_names])
        if same or built == tuple(in_types):
            types = op._types  # typed when built, for the same input types: no second inference
        else:
            types = op.infer(sig, tuple(in_types), arrays or [None] * len(in_names), self.opset_key, wires, present)
        if graphs:
            types = refine_control_flow(op.op_type, types, graphs, op.attributes)
        self.use(op, sig, in_types, present, types)
        node_name = self.names.fresh(op.op_type)
        if n_outputs == 1 and op.output_names is None and requests[0] is None:
            out_names = [node_name]
        else:
            out_names = []
            for i in range(n_outputs):
                wanted = op.output_names[i] if op.output_names and op.output_names[i] is not None else requests[i]
                if wanted == "":
                    out_names.append("")  # an omitted optional output
                elif wanted is not None:
                    out_names.append(self.names.take(wanted))
                elif n_outputs == 1:
                    out_names.append(node_name)
                else:
                    out_names.append(self.names.fresh(node_name))
        produced = scope.produced
        for name, vtype in zip(out_names, types):
            if name:
                own_types[name] = vtype
                produced.add(name)
        proto = scope.graph.node.add()
        proto.op_type = op.op_type
        proto.name = node_name
        if op.domain:
            proto.domain = op.domain
        proto.input.extend(in_key)
        proto.output.extend(out_names)
        for wire in wires:  # parsed in place: no copy of long lists
            proto.attribute.add().ParseFromString(wire)
        result = tuple(out_names)
        scope.bound.add(oid, result)
        scope.cse.add(key, result)

    def identity(self, scope: _Scope, source: str, target: str | None) -> str:
        name = self.names.take(target) if target is not None else self.names.fresh("Identity")
        proto = scope.graph.node.add()
        proto.op_type = "Identity"
        proto.name = name if target is None else self.names.fresh("Identity")
        proto.input.append(source)
        proto.output.append(name)
        vtype = scope.find_type(source)[1]
        scope.types[name] = vtype
        scope.produced.add(name)
        identity = self.type_string(vtype)
        self.uses.add(NodeUse("", "Identity", _IDENTITY, False, "Identity", (identity,), (identity,), ()))
        return name

    def outputs(self, scope: _Scope, values: Sequence[Expr], wanted: Sequence[str | None], owner: str) -> list[str]:
        """Names of the graph outputs; an Identity where a value is not a fresh node output."""
        names: list[str] = []
        for value, target in zip(values, wanted):
            name = self.value_name(scope, value, owner)
            if name not in scope.produced or name in names or (target is not None and target != name):
                name = self.identity(scope, name, target)
            names.append(name)
        return names

    def subgraph(self, scope: _Scope, graph: Graph, attr: str) -> GraphProto:
        child = _Scope(scope, GraphProto())
        for var in graph.inputs:
            if scope.find_type(var.name)[0]:
                raise CompileError(f"subgraph {attr!r}: its input {var.name!r} shadows a value of the enclosing graph.")
            child.types[var.name] = var.type
        values = expand_outputs(graph.outputs)
        self.compile_values(child, values)
        out_names = self.outputs(child, values, [None] * len(values), f"subgraph {attr!r}")
        proto = child.graph
        proto.name = self.names.fresh(attr)
        proto.input.extend(value_info(v.name, v.type) for v in graph.inputs)
        proto.output.extend(value_info(n, child.types.get(n)) for n in out_names)
        return proto


def _parse_output_spec(spec: Any, count: int) -> tuple[list[str | None], list[ValueType | None]]:
    if spec is None:
        return [None] * count, [None] * count
    if isinstance(spec, (str, onnx.ValueInfoProto)) or (isinstance(spec, tuple) and spec and isinstance(spec[0], str)):
        spec = [spec]
    spec = list(spec)
    if len(spec) != count:
        raise CompileError(f"outputs describes {len(spec)} output(s), the expression has {count}.")
    names: list[str | None] = []
    types: list[ValueType | None] = []
    for item in spec:
        if isinstance(item, str):
            names.append(item)
            types.append(None)
        elif isinstance(item, onnx.ValueInfoProto):
            from .._types import type_from_proto

            names.append(item.name)
            types.append(type_from_proto(item.type) if item.HasField("type") else None)
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            names.append(item[0])
            types.append(make_type(item[1], item[2] if len(item) == 3 else None))
        else:
            raise CompileError(f"outputs: expected a name, (name, dtype, shape) or ValueInfoProto, got {item!r}.")
    return names, types


_F = TypeVar("_F", bound=Callable[..., Any])


def _gc_paused(func: _F) -> _F:
    """Run ``func`` with the cyclic garbage collector paused.

    Compiling allocates a few long-lived, acyclic objects per node (names,
    keys, types, protos): on a 100,000-node graph, the collections they
    trigger would each walk the whole expression again, for nothing to free.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper  # type: ignore[return-value]


@_gc_paused
def compile_model(
    outputs: Sequence[Any],
    inputs: Any = None,
    *,
    outputs_spec: Any = None,
    target_opset: Any = None,
    inline_functions: bool = False,
    opset_floor: dict[str, int] | None = None,
) -> ModelProto:
    """Compile expressions into a ``ModelProto`` (see :func:`onnxalgebra.to_onnx`)."""
    check_target_opset(target_opset)
    values = expand_outputs(outputs)
    if not values:
        raise CompileError("nothing to compile: no output.")
    names = NameAllocator()
    out_names, out_types = _parse_output_spec(outputs_spec, len(values))
    requested: dict[tuple[int, int], str] = {}
    given = [n for n in out_names if n is not None]
    if len(set(given)) != len(given):
        raise CompileError(f"outputs= names {given} have duplicates: each graph output needs its own name.")
    for value, name in zip(values, out_names):
        if name is None:
            continue
        if isinstance(value, Output) and value.op.output_names and value.op.output_names[value.index] == name:
            continue  # the same name for the same value: output_names already reserves it
        names.reserve(name, "outputs=")
        if isinstance(value, Output) and not value.op.output_names:
            requested.setdefault((id(value.op), value.index), name)
    survey = _Survey(values, names)
    declared = _declared_inputs(inputs, survey)
    for name in declared:
        names.reserve(name, "a graph input")
        names.take(name)
    compiler = _Compiler(names, requested, target_opset)
    model = ModelProto()
    root = _Scope(None, model.graph)  # nodes are added in place: no copy of a large graph
    compiler.root = root
    root.types.update(declared)
    compiler.compile_values(root, values, survey.order)
    final = compiler.outputs(root, values, out_names, "graph outputs")
    graph = root.graph
    graph.name = PRODUCER
    for name, vtype in declared.items():
        value_info(name, vtype, into=graph.input.add())  # in place: extend() would copy each message
    compiler.initializers.write(graph.initializer)
    for value, name, vtype in zip(values, final, out_types):
        inferred = root.types.get(name)
        value_info(name, _output_type(name, value, inferred, vtype), into=graph.output.add())
    bodies = compile_bodies(values, target_opset)  # local functions' bodies, compiled apart
    floor = dict(opset_floor or {})
    for domain, version in needed_opsets(bodies).items():
        floor[domain] = max(floor.get(domain, version), version)
    opsets = choose_opsets(compiler.uses, survey.raw, target_opset, floor)
    check_target_domains(target_opset, opsets)
    model = _finish(model, opsets)
    return attach_functions(model, bodies, opsets, inline=inline_functions)  # one FunctionProto each


def inference_opsets(target: Any) -> dict[str, int]:
    """Each domain's target opset, or its newest: what ONNX's inference of subgraph bodies is told (read each time:
    local functions and custom operators register schemas as they are defined)."""
    newest = {domain: versions[1] for domain, versions in defs.C.schema_version_map().items()}
    if target is None or target == "latest":
        return newest
    if not isinstance(target, dict):
        target = {"": target}
    return {d: int(target[d]) if target.get(d) not in (None, "latest") else v for d, v in newest.items()}


def _output_type(name: str, value: Expr, inferred: ValueType | None, declared: ValueType | None) -> ValueType:
    if declared is not None:
        if isinstance(inferred, TensorType) and isinstance(declared, TensorType) and inferred.elem_type != declared.elem_type:
            raise CompileError(f"output {name!r}: declared {declared} but the expression computes {inferred}.")
        return declared
    if inferred is None:
        producer = f" (computed by {type(value.op).__name__})" if isinstance(value, Output) else ""
        raise CompileError(
            f"output {name!r}{producer}: its type cannot be inferred; declare it with "
            f"outputs=[({name!r}, dtype, shape)]."
        )
    return inferred


def _declared_inputs(spec: Any, survey: _Survey) -> dict[str, ValueType]:
    if isinstance(spec, np.ndarray):
        untyped = [n for n, v in survey.free_vars.items() if v.type is None]
        candidates = untyped or list(survey.free_vars)
        if len(candidates) != 1:
            raise CompileError(
                f"a single sample was given but the expression has inputs {list(survey.free_vars)}: "
                "pass a dict name -> sample."
            )
        spec = {candidates[0]: spec}
    declared = dict(parse_inputs(spec))
    for name, var in survey.free_vars.items():
        if name in declared:
            given = declared[name]
            if var.type is not None and isinstance(var.type, TensorType) and isinstance(given, TensorType):
                if var.type.elem_type != given.elem_type or not _shapes_agree(var.type.shape, given.shape):
                    raise CompileError(f"input {name!r}: Var declares {var.type} but inputs give {given}.")
        elif var.type is not None:
            declared[name] = var.type
    missing = [n for n in survey.free_vars if n not in declared]
    if missing:
        raise CompileError(
            f"the type of graph input(s) {missing} is unknown: pass inputs={{name: numpy sample}}, "
            "a list of (name, dtype, shape), or build them with Var(name, dtype, shape)."
        )
    return declared


def _shapes_agree(declared: Any, given: Any) -> bool:
    """A sample's shape fits a Var's: the same rank, and the same size where both know it (a sample's first
    dimension, symbolic, fits any)."""
    if declared is None or given is None:
        return True
    if len(declared) != len(given):
        return False
    return all(type(d) is not int or type(g) is not int or d == g for d, g in zip(declared, given))


def _finish(model: ModelProto, opsets: dict[str, int]) -> ModelProto:
    model.MergeFromString(_model_header(tuple(sorted(opsets.items()))))
    return model


@functools.lru_cache(maxsize=256)
def _model_header(opsets: tuple[tuple[str, int], ...]) -> bytes:
    """The serialised ``ModelProto`` fields the opsets decide: ``opset_import``, ``ir_version`` (the smallest that
    knows them, at least 4: before it, every initializer had to be a graph input too) and the producer."""
    from .. import __version__

    imports = [helper.make_opsetid(d, v) for d, v in opsets]
    model = ModelProto(producer_name=PRODUCER, producer_version=__version__)
    model.opset_import.extend(imports)
    model.ir_version = max(helper.find_min_ir_version_for(imports, ignore_unknown=True), 4)
    return model.SerializeToString()
