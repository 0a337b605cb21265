"""Local functions: ``@onnxalgebra.function`` turns a Python function of expressions into an ONNX local function.

Each call is one node whose op type is the function's name (domain
``'local'`` unless given); its output types come from tracing the Python
function on typed ``Var`` of the call's input types (once per input types).
The compiled model holds one ``FunctionProto`` per function however many
calls it has, nested functions included: :func:`attach_functions` compiles
each body (its constants become ``Constant`` nodes: a function has no
initializers) and puts it beside the model's graph, with the opsets of the
model. ``to_onnx(..., inline_functions=True)`` expands the calls instead
(``onnx.inliner``).

The operator of each function is declared with
:func:`~onnxalgebra.custom_operator` (an ``OpSchema`` named like the
function), so that the rest of the algebra, and onnx's checker, treat a call
as any node of a custom domain; onnxruntime runs the ``FunctionProto``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnx
import onnx.inliner
from onnx import FunctionProto, ModelProto, helper

from ._custom import CustomOperator, custom_operator
from ._errors import CompileError, OperatorError
from ._expr import Constant, Expr, OnnxOperator, Output, Var
from ._graph import Graph
from ._schemas import schema_at

__all__ = ["function", "LocalFunction", "attach_functions"]


class LocalFunction:
    """A Python function of expressions that compiles to an ONNX local function (made by :func:`function`)."""

    def __init__(self, fn: Callable[..., Any], domain: str, name: str):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.domain = domain
        self.name = name
        params = list(inspect.signature(fn).parameters.values())
        bad = [p.name for p in params if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if bad:
            raise OperatorError(
                f"@function {name}: every parameter is an input tensor (positional); {bad} are not."
            )
        self.params = [p.name for p in params]
        self._bodies: dict[tuple, tuple[tuple[Var, ...], tuple[Expr, ...]]] = {}
        self._operator: type[OnnxOperator] | None = None

    def __repr__(self) -> str:
        return f"<local function {self.domain}.{self.name}({', '.join(self.params)})>"

    def body(self, types: tuple) -> tuple[tuple[Var, ...], tuple[Expr, ...]]:
        """The traced body for these input types: ``(formal inputs, outputs)``."""
        found = self._bodies.get(types)
        if found is None:
            formal = tuple(Var(name, vtype) for name, vtype in zip(self.params, types))
            result = self.fn(*formal)
            outputs = result if isinstance(result, (tuple, list)) else (result,)
            outputs = tuple(o if isinstance(o, Expr) else Constant(np.asarray(o)) for o in outputs)
            if not outputs:
                raise OperatorError(f"@function {self.name}: the function returns no expression.")
            found = self._bodies[types] = (formal, outputs)
        return found

    def __call__(self, *inputs: Any) -> Any:
        if len(inputs) != len(self.params):
            raise OperatorError(f"{self.name}: the function takes {len(self.params)} inputs {self.params}, {len(inputs)} given.")
        values = [_as_expr(v) for v in inputs]
        types = tuple(v.type for v in values)
        untyped = [name for name, t in zip(self.params, types) if t is None]
        if untyped:
            raise OperatorError(
                f"{self.name}: the types of inputs {untyped} are unknown; call a local function with typed inputs "
                "(Var(name, dtype, shape), expressions of them, or constants)."
            )
        _, outputs = self.body(types)
        operator = self._declare(outputs)
        call = operator(*values, output_types=[o.type for o in outputs])
        call.function = self
        call.function_types = types
        return call if len(outputs) == 1 else tuple(call[i] for i in range(len(outputs)))

    def _declare(self, outputs: Sequence[Expr]) -> type[OnnxOperator]:
        if self._operator is None:
            names = [f"output_{i}" for i in range(len(outputs))] if len(outputs) > 1 else ["output"]
            base = custom_operator(
                self.name, self.domain, inputs=self.params, outputs=names, doc=f"Local function {self.name}.",
                elem_types=[o.dtype if o.dtype is not None else None for o in outputs],
            )  # fmt: skip
            namespace = {"__slots__": ("function", "function_types"), "__module__": "onnxalgebra",
                         "__qualname__": base.__qualname__, "__doc__": self.fn.__doc__ or base.__doc__}  # fmt: skip
            self._operator = type(base.__name__, (base,), namespace)  # its calls carry the function and their types
        return self._operator


def _as_expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, str):
        return Var(value)
    return Constant(np.asarray(value))


def function(fn: Callable[..., Any] | None = None, *, domain: str = "local", name: str | None = None) -> Any:
    """Decorate a Python function of expressions: each call becomes one node of an ONNX local function.

    >>> import numpy as np
    >>> from onnxalgebra import OnnxSigmoid, Var, function, to_onnx
    >>> @function
    ... def swish(x):
    ...     return x * OnnxSigmoid(x)
    >>> X = Var("X", np.float32, ["N", 4])
    >>> model = to_onnx(swish(swish(X)), {"X": np.zeros((1, 4), np.float32)})
    >>> [n.op_type for n in model.graph.node], [f.name for f in model.functions]
    (['swish', 'swish'], ['swish'])
    """

    def wrap(f: Callable[..., Any]) -> LocalFunction:
        return LocalFunction(f, domain, name or f.__name__)

    return wrap(fn) if fn is not None else wrap


# --- compiling: one FunctionProto per function ---------------------------------------------------------------


def _calls(values: Sequence[Any]) -> list[OnnxOperator]:
    """The calls of local functions reachable from ``values`` (subgraph bodies included), first seen first."""
    found: list[OnnxOperator] = []
    seen: set[int] = set()
    stack = [op for op in map(_operator_of, reversed(list(values))) if op is not None]
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if getattr(op, "function", None) is not None:
            found.append(op)
        stack.extend(reversed([o for o in map(_operator_of, op.inputs) if o is not None]))
        for attr in op.attributes.values():
            if isinstance(attr, Graph):
                stack.extend(o for o in map(_operator_of, attr.outputs) if o is not None)
    return found


def _operator_of(value: Any) -> OnnxOperator | None:
    """The node computing ``value`` (an output of a node, or a single-output node itself)."""
    if isinstance(value, Output):
        return value.op
    return value if isinstance(value, OnnxOperator) else None


def _function_proto(fn: LocalFunction, types: tuple, opsets: dict[str, int]) -> tuple[FunctionProto, list[FunctionProto]]:
    """The ``FunctionProto`` of ``fn`` traced for ``types`` (and those of the functions its body calls)."""
    from .compiler._compile import compile_model

    formal, outputs = fn.body(types)
    names = [f"{fn.name}_out{i}" for i in range(len(outputs))]
    body = compile_model(list(outputs), list(formal), outputs_spec=names, target_opset=opsets)
    nodes = [helper.make_node("Constant", [], [t.name], value=t) for t in body.graph.initializer]
    nodes.extend(body.graph.node)
    proto = helper.make_function(
        fn.domain, fn.name, [v.name for v in formal], [o.name for o in body.graph.output], nodes,
        [helper.make_opsetid(o.domain, o.version) for o in body.opset_import], doc_string=fn.__doc__ or "",
    )  # fmt: skip
    return proto, list(body.functions)


def _reconcile(proto: FunctionProto, model: ModelProto) -> None:
    """Give ``proto`` the model's opsets: each of its nodes keeps its version there, else an error names it."""
    model_opsets = {o.domain: o.version for o in model.opset_import}
    wanted = []
    for opset in proto.opset_import:
        target = model_opsets.get(opset.domain)
        if target is None:
            model.opset_import.append(helper.make_opsetid(opset.domain, opset.version))
            wanted.append(helper.make_opsetid(opset.domain, opset.version))
            continue
        if target != opset.version:
            for node in proto.node:
                if node.domain != opset.domain:
                    continue
                mine = schema_at(node.domain, node.op_type, opset.version)
                theirs = schema_at(node.domain, node.op_type, target)
                if mine is None or theirs is None or mine.since_version != theirs.since_version:
                    raise CompileError(
                        f"local function {proto.name}: its {node.op_type} is version "
                        f"{mine.since_version if mine else '?'} at opset {opset.version} of {opset.domain or 'ai.onnx'}, "
                        f"but the model imports opset {target}; give to_onnx a target_opset both fit."
                    )
        wanted.append(helper.make_opsetid(opset.domain, target))
    del proto.opset_import[:]
    proto.opset_import.extend(wanted)


def attach_functions(model: ModelProto, values: Sequence[Any], inline: bool = False) -> ModelProto:
    """Put the ``FunctionProto`` of every local function ``values`` call beside ``model``'s graph (or expand them
    all with ``inline``). One per function: a function whose calls trace to different bodies (other input types
    changing what the Python code builds) is an error naming it."""
    calls = _calls(values)
    if not calls:
        return model
    opsets = {o.domain: o.version for o in model.opset_import if o.domain in ("", "ai.onnx.ml")}
    protos: dict[tuple[str, str], bytes] = {}
    ordered: list[FunctionProto] = []
    for call in calls:
        fn = call.function
        proto, nested = _function_proto(fn, call.function_types, opsets)
        for item in [*nested, proto]:
            key = (item.domain, item.name)
            raw = item.SerializeToString(deterministic=True)
            if key in protos:
                if protos[key] != raw:
                    raise CompileError(
                        f"local function {item.name}: its calls trace to different bodies (inputs of other types?); "
                        "call it with inputs of one type, or define one function per type."
                    )
                continue
            protos[key] = raw
            ordered.append(item)
    for item in ordered:
        _reconcile(item, model)
    model.functions.extend(ordered)
    if inline:
        flat = onnx.inliner.inline_local_functions(model)
        domains = {f.domain for f in ordered}
        kept = [o for o in flat.opset_import if o.domain not in domains or any(n.domain == o.domain for n in flat.graph.node)]
        del flat.opset_import[:]
        flat.opset_import.extend(kept)
        return flat
    return model


def is_call(op: Any) -> bool:
    """``op`` is a call of a local function."""
    return isinstance(op, CustomOperator) and getattr(op, "function", None) is not None
