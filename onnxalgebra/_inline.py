"""Inlining an existing model: its outputs as expressions of the caller's inputs.

:func:`inline` reads a ``ModelProto`` (from PyTorch, TensorFlow, another
converter...) node by node and builds the same nodes with the algebra: each
is an ``Onnx<Op>`` of the version the model's opset put in force (pinned, so
the compiler keeps it), its inputs the caller's expressions, the model's
initializers as constants. Nothing keeps the model's value names: the
compiler names the nodes of the outer graph, so nothing clashes however many
models are inlined. Symbolic dimensions flow from the caller's inputs through
ONNX's inference. ``target_opset=`` converts the model first with onnx's
version converter, for an outer graph built at another opset.

Nodes of ``ai.onnx.ml`` (tree ensembles, label encoders... which onnx's
version converter does not convert) are built with the version the model's
opset put in force but not pinned: the compiler may take any version that
computes the same for them (``TreeEnsembleClassifier`` 1 and 3 for a node
that sets no ``*_as_tensor`` attribute), so an exported tree model fits in a
graph whose other converters need a newer ``ai.onnx.ml`` opset.

The model's local functions become local functions of ours
(:func:`onnxalgebra.function`): each call stays a call, and the compiled model
keeps one ``FunctionProto`` per function.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import onnx.inliner
from onnx import AttributeProto, GraphProto, ModelProto, helper, numpy_helper

from ._attributes import AttributeRef
from ._errors import CompileError, OnnxTypeError
from ._expr import Expr, Var
from ._graph import Graph
from ._types import type_from_proto

__all__ = ["inline"]

_STANDARD = ("", "ai.onnx", "ai.onnx.ml")


def _load(model: Any) -> ModelProto:
    if isinstance(model, ModelProto):
        return model
    if isinstance(model, (bytes, bytearray)):
        return onnx.load_model_from_string(bytes(model))
    if isinstance(model, (str, os.PathLike)):
        return onnx.load(os.fspath(model))
    raise OnnxTypeError(f"inline: model must be an onnx.ModelProto, its bytes or a path; got {type(model).__name__}.")


def _convert_opset(model: ModelProto, target: int) -> ModelProto:
    current = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if current is None or current == target:
        return model
    try:
        return onnx.version_converter.convert_version(model, target)
    except Exception as exc:  # onnx raises RuntimeError/ConvertError naming the operator without an adapter
        message = " ".join(str(exc).split())
        raise CompileError(
            f"inline: onnx's version converter cannot take this model from opset {current} to {target}: {message}; "
            f"inline it without target_opset (its nodes keep opset {current}) or convert it another way."
        ) from None


class _Reader:
    """Builds the nodes of a graph (and of its subgraphs) as expressions."""

    def __init__(self, opsets: Mapping[str, int], prefix: str, functions: Mapping[tuple[str, str], Any] | None = None):
        self.opsets = dict(opsets)
        self.prefix = prefix
        self.count = 0
        self.functions = dict(functions or {})  # (domain, name) -> LocalFunction: the model's own functions

    def attribute(self, attr: AttributeProto, scope: dict[str, Any], where: str) -> Any:
        if attr.type == AttributeProto.GRAPH:
            return self.body(attr.g, scope, where)
        if attr.type == AttributeProto.GRAPHS:
            return [self.body(g, scope, where) for g in attr.graphs]
        if attr.ref_attr_name:  # in a function's body: the value each call gives
            return AttributeRef(attr.ref_attr_name, attr.type)
        value = helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if isinstance(value, list) and value and isinstance(value[0], bytes):
            return [v.decode("utf-8") for v in value]
        return value

    def body(self, graph: GraphProto, scope: dict[str, Any], where: str) -> Graph:
        """A subgraph as a :class:`Graph`: its inputs fresh typed Vars, outer names resolved in ``scope``."""
        inner = dict(scope)
        inputs = []
        for value in graph.input:
            vtype = type_from_proto(value.type)
            if vtype is None:
                raise CompileError(f"inline: {where}: the body input {value.name!r} has no type.")
            self.count += 1
            var = Var(f"{self.prefix}{self.count}_{_clean(value.name)}", vtype)  # the same names for the same model
            inputs.append(var)
            inner[value.name] = var
        self.nodes(graph, inner)
        missing = [o.name for o in graph.output if o.name not in inner]
        if missing:
            raise CompileError(f"inline: {where}: the body outputs {missing} are computed by no node.")
        return Graph(inputs, [inner[o.name] for o in graph.output], name=graph.name or "body")

    def nodes(self, graph: GraphProto, scope: dict[str, Any]) -> None:
        for tensor in graph.initializer:
            scope.setdefault(tensor.name, numpy_helper.to_array(tensor))
        for index, node in enumerate(graph.node):
            where = f"node {index} ({node.op_type}{' ' + repr(node.name) if node.name else ''})"
            self.node(node, scope, where)

    def node(self, node: onnx.NodeProto, scope: dict[str, Any], where: str) -> None:
        from ._operators import operator_class

        inputs = []
        for name in node.input:
            if name == "":
                inputs.append(None)
            elif name in scope:
                inputs.append(scope[name])
            else:
                raise CompileError(f"inline: {where} reads {name!r}, which no graph input, initializer or earlier node gives.")
        attributes = {a.name: self.attribute(a, scope, where) for a in node.attribute}
        domain = node.domain
        refs = [v for v in attributes.values() if isinstance(v, AttributeRef)]
        if node.op_type == "Constant" and domain in ("", "ai.onnx") and len(attributes) == 1 and refs:
            from ._functions import _attribute_value  # a Constant of a function attribute: typed by its kind

            scope[node.output[0]] = _attribute_value(refs[0].name, refs[0].kind)
            return
        local = self.functions.get((domain, node.op_type))
        if local is not None:  # a call of one of the model's local functions: a call of ours
            typed = all(getattr(v, "type", True) is not None for v in inputs)  # else (an If's output...) its body
            result = local(*inputs, **attributes) if typed else local.fn(*inputs, **attributes)
            results = result if isinstance(result, tuple) else (result,)
            for name, value in zip(node.output, results):
                if name:
                    scope[name] = value
            return
        if domain not in _STANDARD:
            raise CompileError(
                f"inline: {where} is of domain {domain!r}, which the algebra can only build with "
                "onnxalgebra.custom_operator (declared output types): declare it and build that node yourself."
            )
        key = "ai.onnx.ml" if domain == "ai.onnx.ml" else ""
        opset = self.opsets.get(key, self.opsets.get("ai.onnx"))
        omitted = [o == "" for o in node.output]
        output_names = None
        if any(omitted):  # an optional output left out stays out; the compiler names the others
            output_names = ["" if o == "" else None for o in node.output]
        cls = operator_class(node.op_type)
        try:
            op = cls(*inputs, op_version=opset, n_outputs=len(node.output), output_names=output_names, **attributes)
        except Exception as exc:
            if isinstance(exc, CompileError):
                raise
            raise CompileError(f"inline: {where}: {exc}") from exc
        if key == "ai.onnx.ml":  # no version converter for this domain: the compiler may take an equivalent version
            op.pinned = False
        for i, name in enumerate(node.output):
            if name:
                scope[name] = op[i] if len(node.output) > 1 else op


def _local_functions(model: ModelProto) -> dict[tuple[str, str], Any]:
    """The model's ``FunctionProto`` as local functions of ours (:func:`onnxalgebra.function`): each call of the
    inlined model stays a call, and the compiled model keeps one ``FunctionProto`` per function."""
    from ._functions import LocalFunction

    found: dict[tuple[str, str], Any] = {}
    for proto in model.functions:  # a function calls only those before it (onnx's rule)
        found[(proto.domain, proto.name)] = LocalFunction(_function_body(proto, model, dict(found)), proto.domain, proto.name)
    return found


def _function_body(proto: onnx.FunctionProto, model: ModelProto, functions: dict[tuple[str, str], Any]) -> Any:
    """A Python function building ``proto``'s body on its inputs, with its attributes as keyword-only parameters."""
    opsets = {o.domain: o.version for o in model.opset_import}
    opsets.update({o.domain: o.version for o in proto.opset_import})
    defaults = {a.name: helper.get_attribute_value(a) for a in proto.attribute_proto}
    kinds = {a.name: a.type for a in proto.attribute_proto}

    def body(*inputs: Any, **attributes: Any) -> Any:
        scope = dict(zip(proto.input, inputs))
        reader = _Reader(opsets, prefix=f"{proto.name}_", functions=functions)
        for index, node in enumerate(proto.node):
            reader.node(node, scope, f"function {proto.name}, node {index} ({node.op_type})")
        outputs = tuple(scope[o] for o in proto.output)
        return outputs[0] if len(outputs) == 1 else outputs

    annotations = {AttributeProto.FLOAT: "float", AttributeProto.INT: "int", AttributeProto.STRING: "str",
                   AttributeProto.FLOATS: "list[float]", AttributeProto.INTS: "list[int]",
                   AttributeProto.STRINGS: "list[str]"}  # fmt: skip
    params = [inspect.Parameter(_clean(n), inspect.Parameter.POSITIONAL_ONLY) for n in proto.input]
    for name in [*proto.attribute, *(a.name for a in proto.attribute_proto)]:
        default = defaults.get(name, inspect.Parameter.empty)
        if isinstance(default, bytes):
            default = default.decode("utf-8")
        elif isinstance(default, list) and default and all(isinstance(v, bytes) for v in default):
            default = [v.decode("utf-8") for v in default]
        annotation = annotations.get(kinds.get(name), "float") if default is inspect.Parameter.empty else inspect.Parameter.empty
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    body.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    body.__name__ = proto.name
    body.__doc__ = proto.doc_string or None
    return body


def _clean(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "v"


def inline(
    model: Any, *inputs: Any, target_opset: int | None = None, outputs: str | Sequence[str] | None = None, **named_inputs: Any
) -> Expr | tuple[Expr, ...]:
    """The outputs of ``model`` computed from ``inputs``, as expressions (one for a single output, else a tuple).

    ``inputs`` feed the model's graph inputs in order, ``named_inputs`` by name;
    each is an expression, the name of a graph input of the outer graph, or a
    numpy constant. A graph input that has an initializer keeps it unless it is
    given. ``target_opset`` first converts the model to that opset of ai.onnx
    (onnx's version converter; a clear error names what cannot be converted).
    ``outputs`` names the values of the model's graph to return instead of its
    graph outputs: any node's output (an intermediate result, such as the
    tensor a ``ZipMap`` turns into a sequence of maps), a graph input or an
    initializer; one name gives one expression, a list a tuple. (A graph input
    named ``outputs`` or ``target_opset`` is given by position.)

    >>> import numpy as np
    >>> from onnx import TensorProto, helper
    >>> from onnxalgebra import Var, inline, to_onnx
    >>> node = helper.make_node("Relu", ["x"], ["y"])
    >>> graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
    ...                           [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])])
    >>> relu = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    >>> X = Var("X", np.float32, ["batch", 3])
    >>> out = inline(relu, X - 1)
    >>> str(out.type)
    'tensor(float)[batch, 3]'
    >>> to_onnx(out * 2, {"X": np.zeros((1, 3), np.float32)}).graph.node[1].op_type
    'Relu'
    >>> str(inline(relu, X, outputs="x").type)  # a named value of the graph: here its input, X itself
    'tensor(float)[batch, 3]'
    """
    proto = _load(model)
    if target_opset is not None:
        proto = _convert_opset(proto, int(target_opset))
    functions = _local_functions(proto)
    graph = proto.graph
    initialized = {t.name for t in graph.initializer}
    formal = [v.name for v in graph.input]
    required = [n for n in formal if n not in initialized]
    if len(inputs) > len(formal):
        raise OnnxTypeError(f"inline: the model has {len(formal)} graph inputs {formal}; {len(inputs)} inputs given.")
    given: dict[str, Any] = dict(zip(required if len(inputs) <= len(required) else formal, inputs))
    for name, value in named_inputs.items():
        if name not in formal:
            raise OnnxTypeError(f"inline: the model has no graph input {name!r}; its inputs are {formal}.")
        if name in given:
            raise OnnxTypeError(f"inline: graph input {name!r} given twice (by position and by name).")
        given[name] = value
    missing = [n for n in required if n not in given]
    if missing:
        raise OnnxTypeError(f"inline: the graph inputs {missing} need a value (the model's inputs are {formal}).")
    scope: dict[str, Any] = {}
    for name, value in given.items():
        scope[name] = np.asarray(value) if isinstance(value, (list, tuple, int, float)) else value
    opsets = {o.domain: o.version for o in proto.opset_import}
    reader = _Reader(opsets, prefix="inlined", functions=functions)
    reader.nodes(graph, scope)
    names = [v.name for v in graph.output] if outputs is None else [outputs] if isinstance(outputs, str) else list(outputs)
    if outputs is not None:
        unknown = [n for n in names if not isinstance(n, str) or n not in scope]
        if unknown or not names:
            known = [*formal, *(o for n in graph.node for o in n.output if o)]
            shown = ", ".join(repr(k) for k in known[:20]) + (f" ... ({len(known)} in all)" if len(known) > 20 else "")
            raise OnnxTypeError(
                f"inline: outputs={outputs!r}: {unknown or 'no name'} is no value of the model's graph; "
                f"name node outputs, graph inputs or initializers: {shown}."
            )
    results = []
    for name in names:
        result = scope.get(name)
        if result is None:
            raise CompileError(f"inline: the model's output {name!r} is computed by no node.")
        if isinstance(result, np.ndarray):
            from ._expr import Constant

            result = Constant(result)
        results.append(result)
    if isinstance(outputs, str) or (outputs is None and len(results) == 1):
        return results[0]
    return tuple(results)
