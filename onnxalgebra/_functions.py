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
from onnx import AttributeProto, FunctionProto, ModelProto, helper

from ._attributes import AttributeRef
from ._custom import custom_operator
from ._errors import CompileError, OperatorError
from ._expr import Constant, Expr, OnnxOperator, Output, Var
from ._graph import Graph

__all__ = ["function", "LocalFunction", "attach_functions", "compile_bodies", "needed_opsets"]


class LocalFunction:
    """A Python function of expressions that compiles to an ONNX local function (made by :func:`function`)."""

    def __init__(self, fn: Callable[..., Any], domain: str, name: str):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.domain = domain
        self.name = name
        params = list(inspect.signature(fn).parameters.values())
        bad = [p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if bad:
            raise OperatorError(
                f"@function {name}: the inputs are positional parameters and the attributes keyword-only ones "
                f"(after *); {bad} are neither."
            )
        self.params = [p.name for p in params if p.kind is not p.KEYWORD_ONLY]
        self.attributes = {p.name: _attribute_spec(name, p) for p in params if p.kind is p.KEYWORD_ONLY}
        self._bodies: dict[tuple, tuple[tuple[Var, ...], tuple[Expr, ...]]] = {}
        self._operator: type[OnnxOperator] | None = None

    def __repr__(self) -> str:
        return f"<local function {self.domain}.{self.name}({', '.join(self.params)})>"

    def body(self, types: tuple) -> tuple[tuple[Var, ...], tuple[Expr, ...]]:
        """The traced body for these input types: ``(formal inputs, outputs)``."""
        found = self._bodies.get(types)
        if found is None:
            formal = tuple(Var(name, vtype) for name, vtype in zip(self.params, types))
            refs = {name: _attribute_value(name, kind) for name, (kind, _) in self.attributes.items()}
            result = self.fn(*formal, **refs)
            outputs = result if isinstance(result, (tuple, list)) else (result,)
            outputs = tuple(o if isinstance(o, Expr) else Constant(np.asarray(o)) for o in outputs)
            if not outputs:
                raise OperatorError(f"@function {self.name}: the function returns no expression.")
            found = self._bodies[types] = (formal, outputs)
        return found

    def __call__(self, *inputs: Any, **attributes: Any) -> Any:
        unknown = sorted(set(attributes) - set(self.attributes))
        if unknown:
            raise OperatorError(
                f"{self.name}: no attribute(s) {unknown}; the function's attributes are {sorted(self.attributes)}."
            )
        missing = [n for n, (_, default) in self.attributes.items() if default is _REQUIRED and n not in attributes]
        if missing:
            raise OperatorError(f"{self.name}: the attribute(s) {missing} have no default; give them.")
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
        _CALLED[0] = True
        given = {n: default for n, (_, default) in self.attributes.items() if default is not _REQUIRED}
        given.update(attributes)  # every attribute written on the call (onnx's reference evaluator ignores defaults)
        call = operator(*values, output_types=[o.type for o in outputs], **given)
        call.function = self
        call.function_types = types
        return call if len(outputs) == 1 else tuple(call[i] for i in range(len(outputs)))

    def _declare(self, outputs: Sequence[Expr]) -> type[OnnxOperator]:
        if self._operator is None:
            names = [f"output_{i}" for i in range(len(outputs))] if len(outputs) > 1 else ["output"]
            base = custom_operator(
                self.name, self.domain, inputs=self.params, outputs=names, doc=f"Local function {self.name}.",
                elem_types=[o.dtype for o in outputs],
                attributes={n: _KIND_NAMES[kind] for n, (kind, _) in self.attributes.items()},
            )  # fmt: skip
            namespace = {"__slots__": ("function", "function_types"), "__module__": "onnxalgebra",
                         "__qualname__": base.__qualname__, "__doc__": self.fn.__doc__ or base.__doc__}  # fmt: skip
            self._operator = type(base.__name__, (base,), namespace)  # its calls carry the function and their types
        return self._operator


_REQUIRED = object()
_KIND = AttributeProto.AttributeType
_KIND_NAMES = {_KIND.FLOAT: "float", _KIND.INT: "int", _KIND.STRING: "string", _KIND.FLOATS: "floats",
               _KIND.INTS: "ints", _KIND.STRINGS: "strings"}  # fmt: skip
_ANNOTATIONS = {"float": _KIND.FLOAT, "int": _KIND.INT, "str": _KIND.STRING, "list[float]": _KIND.FLOATS,
                "list[int]": _KIND.INTS, "list[str]": _KIND.STRINGS}  # fmt: skip
# the Constant attribute holding each kind, and the type of the tensor it makes
_CONSTANT = {_KIND.FLOAT: ("value_float", 1, ()), _KIND.INT: ("value_int", 7, ()), _KIND.STRING: ("value_string", 8, ()),
             _KIND.FLOATS: ("value_floats", 1, (None,)), _KIND.INTS: ("value_ints", 7, (None,)),
             _KIND.STRINGS: ("value_strings", 8, (None,))}  # fmt: skip


def _attribute_spec(function_name: str, param: inspect.Parameter) -> tuple[int, Any]:
    """``(kind, default)`` of a keyword-only parameter: its kind from its default (or annotation)."""
    default = param.default
    if default is inspect.Parameter.empty:
        kind = _ANNOTATIONS.get(str(getattr(param.annotation, "__name__", param.annotation)).replace("typing.", ""))
        if kind is None:
            raise OperatorError(
                f"@function {function_name}: the attribute {param.name!r} needs a default or an annotation "
                "(float, int, str, list[float], list[int] or list[str]) to know its kind."
            )
        return kind, _REQUIRED
    if isinstance(default, bool) or isinstance(default, (int, np.integer)):
        return _KIND.INT, int(default)
    if isinstance(default, (float, np.floating)):
        return _KIND.FLOAT, float(default)
    if isinstance(default, str):
        return _KIND.STRING, default
    if isinstance(default, (list, tuple)) and default:
        if all(isinstance(v, str) for v in default):
            return _KIND.STRINGS, list(default)
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in default):
            return _KIND.INTS, [int(v) for v in default]
        if all(isinstance(v, (int, float, np.number)) for v in default):
            return _KIND.FLOATS, [float(v) for v in default]
    raise OperatorError(
        f"@function {function_name}: the attribute {param.name!r} has the default {default!r}; an attribute is a "
        "float, an int, a str or a non-empty list of one of them."
    )


def _attribute_value(name: str, kind: int) -> Expr:
    """What the traced body sees for attribute ``name``: a Constant node of the attribute's value (written with
    ``ref_attr_name``), usable as a tensor (``x * alpha``) and as an operator's attribute (``alpha=alpha``)."""

    field = _CONSTANT[kind][0]
    cls = _attribute_constant(kind)
    ref = AttributeRef(name, kind)
    node = cls(**{field: ref})
    node.attribute_ref = ref
    return node


@functools.cache
def _attribute_constant(kind: int) -> type[OnnxOperator]:
    """The Constant class of a function attribute of ``kind``: typed by the kind (ONNX cannot infer a Constant whose
    value is a reference)."""
    from ._operators import operator_class
    from ._types import TensorType

    _, elem_type, shape = _CONSTANT[kind]
    base = operator_class("Constant")
    namespace = {"__slots__": ("attribute_ref",), "__module__": "onnxalgebra", "__qualname__": base.__qualname__,
                 "infer": lambda self, *args: (TensorType(elem_type, shape),)}  # fmt: skip
    return type(base.__name__, (base,), namespace)


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


_CALLED = [False]  # whether any local function was called in this process: no walk of the graph before


def _calls(values: Sequence[Any]) -> list[OnnxOperator]:
    """The calls of local functions reachable from ``values`` (subgraph bodies included), first seen first."""
    if not _CALLED[0]:
        return []
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


def _distinct(calls: Sequence[OnnxOperator]) -> list[tuple[LocalFunction, tuple]]:
    """``(function, input types)`` of ``calls``, each once, first seen first: one body to compile for each."""
    seen: dict[tuple[int, tuple], tuple[LocalFunction, tuple]] = {}
    for call in calls:
        seen.setdefault((id(call.function), call.function_types), (call.function, call.function_types))
    return list(seen.values())


def _operator_of(value: Any) -> OnnxOperator | None:
    """The node computing ``value`` (an output of a node, or a single-output node itself)."""
    if isinstance(value, Output):
        return value.op
    return value if isinstance(value, OnnxOperator) else None


_STANDARD = ("", "ai.onnx.ml")


def _compile_body(fn: LocalFunction, types: tuple, target: Any, exact: dict[str, int] | None) -> ModelProto:
    """The body of ``fn`` traced for ``types`` compiled as a model: at most ``target``, or exactly ``exact``."""
    from .compiler._compile import compile_model

    formal, outputs = fn.body(types)
    names = [f"{fn.name}_out{i}" for i in range(len(outputs))]
    if exact is not None:
        target = {d: v for d, v in exact.items() if d in _STANDARD}
    floor = target if exact is not None else None
    return compile_model(list(outputs), list(formal), outputs_spec=names, target_opset=target, opset_floor=floor)


def compile_bodies(values: Sequence[Any], target: Any) -> list[tuple[LocalFunction, tuple, ModelProto]]:
    """``(function, input types, body compiled at its smallest opsets)`` for each local function ``values`` call
    (empty without calls): their opsets are the least the model can import."""
    return [(fn, types, _compile_body(fn, types, target, None)) for fn, types in _distinct(_calls(values))]


def needed_opsets(bodies: Sequence[tuple[LocalFunction, tuple, ModelProto]]) -> dict[str, int]:
    """The opsets of the standard domains the ``bodies`` need at least."""
    needed: dict[str, int] = {}
    for _, _, body in bodies:
        for opset in body.opset_import:
            if opset.domain in _STANDARD:
                needed[opset.domain] = max(needed.get(opset.domain, opset.version), opset.version)
    return needed


def _function_proto(
    fn: LocalFunction, types: tuple, body: ModelProto, opsets: dict[str, int]
) -> tuple[FunctionProto, list[FunctionProto]]:
    """The ``FunctionProto`` of ``fn`` traced for ``types`` at the model's ``opsets`` (and those of the functions its
    body calls): ``body`` as it is when compiled at those opsets already, else compiled again at exactly them."""
    formal, _ = fn.body(types)
    if any(o.domain in _STANDARD and o.version != opsets.get(o.domain) for o in body.opset_import):
        body = _compile_body(fn, types, None, opsets)
    nodes = [helper.make_node("Constant", [], [t.name], value=t) for t in body.graph.initializer]
    nodes.extend(body.graph.node)
    required = [n for n, (_, default) in fn.attributes.items() if default is _REQUIRED]
    defaults = [helper.make_attribute(n, default, attr_type=kind) for n, (kind, default) in fn.attributes.items()
                if default is not _REQUIRED]  # fmt: skip
    proto = helper.make_function(
        fn.domain, fn.name, [v.name for v in formal], [o.name for o in body.graph.output], nodes,
        [helper.make_opsetid(o.domain, o.version) for o in body.opset_import], attributes=required,
        attribute_protos=defaults, doc_string=fn.__doc__ or "",
    )  # fmt: skip
    return proto, list(body.functions)


def _same_opsets(proto: FunctionProto, model: ModelProto) -> None:
    """The function imports the model's opset of each domain both use (its body was compiled at exactly those);
    a domain only the body uses goes to the model's imports."""
    model_opsets = {o.domain: o.version for o in model.opset_import}
    for opset in proto.opset_import:
        if opset.domain not in model_opsets:
            model.opset_import.append(helper.make_opsetid(opset.domain, opset.version))
            model_opsets[opset.domain] = opset.version
        elif model_opsets[opset.domain] != opset.version:
            raise CompileError(
                f"local function {proto.name}: its body imports opset {opset.version} of {opset.domain or 'ai.onnx'}, "
                f"the model {model_opsets[opset.domain]}; build both for one target_opset."
            )


def attach_functions(
    model: ModelProto, bodies: Sequence[tuple[LocalFunction, tuple, ModelProto]], opsets: dict[str, int], inline: bool = False
) -> ModelProto:
    """Put the ``FunctionProto`` of every local function (``bodies``: :func:`compile_bodies`) beside ``model``'s
    graph (or expand them all with ``inline``). One per function: a function whose calls trace to different bodies
    (other input types changing what the Python code builds) is an error naming it."""
    if not bodies:
        return model
    protos: dict[tuple[str, str], bytes] = {}
    ordered: list[FunctionProto] = []
    for fn, types, body in bodies:
        proto, nested = _function_proto(fn, types, body, opsets)
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
        _same_opsets(item, model)
    model.functions.extend(ordered)
    if inline:
        flat = onnx.inliner.inline_local_functions(model)
        domains = {f.domain for f in ordered}
        kept = [o for o in flat.opset_import if o.domain not in domains or any(n.domain == o.domain for n in flat.graph.node)]
        del flat.opset_import[:]
        flat.opset_import.extend(kept)
        return flat
    return model
