"""Typed signatures of the operator classes, from their schemas, and the ``.pyi`` stubs made of them.

Every ``Onnx<Op>`` class gets an ``inspect.Signature``: the schema's inputs
by name, positional only (an optional one defaults to None, a variadic one is
``*inputs``), then its attributes, keyword only, annotated with the Python
types the algebra takes and defaulting to ONNX's default (None where ONNX has
none: the attribute is left out), then ``op_version``, ``output_names`` and
``n_outputs``. :func:`render_stub` writes the same signatures as the
package's ``__init__.pyi``, so that an IDE completes
``OnnxGemm(A, B, C, *, alpha=..., transA=...)`` and mypy or pyright flag
``OnnxGemm(X, W, transb=1)``. Regenerate the stubs for the installed onnx
with ``make stubs`` (``python -m onnxalgebra._typed onnxalgebra/__init__.pyi``).
"""

from __future__ import annotations

import functools
import inspect
import keyword
import sys
from typing import Any

import numpy as np
import onnx
from onnx import defs, helper

__all__ = ["operator_signature", "render_stub"]

_KIND = defs.OpSchema.AttrType
_VARIADIC = defs.OpSchema.FormalParameterOption.Variadic
_OPTIONAL = defs.OpSchema.FormalParameterOption.Optional

# The Python types an attribute of each kind takes (as the stub spells them).
ANNOTATIONS: dict[Any, str] = {
    _KIND.FLOAT: "float",
    _KIND.INT: "int",
    _KIND.STRING: "str",
    _KIND.TENSOR: "np.ndarray | TensorProto",
    _KIND.GRAPH: "Graph | GraphProto | Expr | Sequence[Expr]",
    _KIND.SPARSE_TENSOR: "SparseTensorProto",
    _KIND.TYPE_PROTO: "TypeProto",
    _KIND.FLOATS: "Sequence[float] | np.ndarray | AttributeList",
    _KIND.INTS: "Sequence[int] | np.ndarray | AttributeList",
    _KIND.STRINGS: "Sequence[str] | np.ndarray | AttributeList",
    _KIND.TENSORS: "Sequence[np.ndarray | TensorProto]",
    _KIND.GRAPHS: "Sequence[Graph | GraphProto]",
    _KIND.SPARSE_TENSORS: "Sequence[SparseTensorProto]",
    _KIND.TYPE_PROTOS: "Sequence[TypeProto]",
}
INPUT = "_Input"  # what an input takes: an expression, a graph input's name, a constant
_STANDARD_DOMAINS = ("", "ai.onnx.ml", "ai.onnx.preview.training", "ai.onnx.preview", "ai.onnx.training")
_BUILD = (("op_version", "int | None"), ("output_names", "Sequence[str] | None"), ("n_outputs", "int | None"))


def _python_name(name: str, taken: set[str]) -> str:
    """``name`` as a Python parameter name, distinct from ``taken`` (a keyword or a clash gains ``_``)."""
    name = name if name.isidentifier() else "".join(c if c.isalnum() else "_" for c in name) or "input"
    if name[0].isdigit():
        name = f"_{name}"
    while keyword.iskeyword(name) or name in taken or name == "self":
        name += "_"
    return name


def _default(attr: Any) -> Any:
    """ONNX's default of an attribute (lists as tuples, strings as str), or None."""
    proto = attr.default_value
    if attr.required or not proto.name:
        return None
    value = helper.get_attribute_value(proto)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return tuple(v.decode() if isinstance(v, bytes) else v for v in value)
    if isinstance(value, (int, float, str)):
        return value
    return None  # a tensor or graph default: left out, ONNX applies it


@functools.cache
def _signature(domain: str, name: str, version: int) -> inspect.Signature:
    schema = defs.get_schema(name, version, domain)
    attributes = sorted(schema.attributes.items())
    taken = {n for n, _ in attributes} | {n for n, _ in _BUILD}
    params: list[inspect.Parameter] = []
    optional = False
    for formal in schema.inputs:
        pname = _python_name(formal.name, taken)
        taken.add(pname)
        if formal.option == _VARIADIC:
            params.append(inspect.Parameter(pname, inspect.Parameter.VAR_POSITIONAL, annotation=INPUT))
            break
        optional = optional or formal.option == _OPTIONAL
        default = None if optional else inspect.Parameter.empty  # after an optional input, every input may be omitted
        annotation = f"{INPUT} | None" if optional else INPUT
        params.append(inspect.Parameter(pname, inspect.Parameter.POSITIONAL_ONLY, default=default, annotation=annotation))
    for aname, attr in attributes:
        annotation = ANNOTATIONS.get(attr.type, "Any")
        if attr.required:
            params.append(inspect.Parameter(aname, inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        else:
            default = _default(attr)
            if default is None:
                annotation += " | None"
            params.append(inspect.Parameter(aname, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    for bname, annotation in _BUILD:
        params.append(inspect.Parameter(bname, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    return inspect.Signature(params, return_annotation="None")


def operator_signature(schema: defs.OpSchema) -> inspect.Signature:
    """The constructor's signature of the operator class of ``schema`` (without ``self``).

    >>> import inspect
    >>> from onnxalgebra import OnnxGemm
    >>> params = inspect.signature(OnnxGemm).parameters
    >>> [(p.name, p.kind.name) for p in params.values()][:4]
    [('A', 'POSITIONAL_ONLY'), ('B', 'POSITIONAL_ONLY'), ('C', 'POSITIONAL_ONLY'), ('alpha', 'KEYWORD_ONLY')]
    >>> params["C"].default, params["alpha"].default
    (None, 1.0)
    """
    return _signature(schema.domain, schema.name, schema.since_version)


# --- the stubs ---------------------------------------------------------------------------------------

_HEADER = '''"""Type stubs of onnxalgebra (generated by ``make stubs`` for onnx {onnx}: do not edit).

The operator classes, with their schema's inputs and attributes; the rest of
the public API is re-exported from the modules that define it.
"""

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from onnx import GraphProto, SparseTensorProto, TensorProto, TypeProto

'''


def _literal(value: Any) -> str:
    """``value`` as it reads in a stub (simple defaults) or ``...``."""
    if isinstance(value, (bool, int, str)) or (isinstance(value, float) and np.isfinite(value)):
        return repr(value)
    return "..."


_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _render_parameters(params: Any, first: str | None = "self") -> str:
    """Parameters as a stub's ``def`` spells them (``/`` and ``*`` where the kinds change)."""
    parts = [first] if first else []
    previous = None
    for p in params:
        kind = p.kind
        if previous is inspect.Parameter.POSITIONAL_ONLY and kind is not inspect.Parameter.POSITIONAL_ONLY:
            parts.append("/")
        if kind is inspect.Parameter.KEYWORD_ONLY and previous not in (_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            parts.append("*")
        text = f"*{p.name}" if kind is inspect.Parameter.VAR_POSITIONAL else p.name
        if p.annotation is not inspect.Parameter.empty:
            text += f": {p.annotation}"
        if p.default is not inspect.Parameter.empty:
            text += f" = {_literal(p.default) if p.default is not None else 'None'}"
        parts.append(text)
        previous = kind
    if previous is inspect.Parameter.POSITIONAL_ONLY:
        parts.append("/")
    return ", ".join(parts)


def _exports() -> tuple[list[tuple[str, str]], list[str]]:
    """``(module, name)`` of every public name defined in a module of the package, and the stub lines of the
    functions ``__init__`` defines itself (re-exported names cannot reach those)."""
    import onnxalgebra

    found, defined = [], []
    for name in onnxalgebra.__all__:
        obj = getattr(onnxalgebra, name)
        module = getattr(obj, "__module__", None)
        if module == "onnxalgebra" and inspect.isfunction(obj):
            signature = inspect.signature(obj)
            text = _render_parameters(signature.parameters.values(), first=None)
            defined.append(f"def {name}({text}) -> {signature.return_annotation}: ...")
        else:
            if not (module or "").startswith("onnxalgebra"):  # an alias (ValueType is a typing Union): who exports it
                module = next(m for m, mod in sorted(sys.modules.items()) if m.startswith("onnxalgebra.")
                              and name in getattr(mod, "__all__", ()))  # fmt: skip
            found.append((module, name))
    return sorted(found), defined


def render_stub() -> str:
    """The text of ``onnxalgebra/__init__.pyi`` for the installed onnx: every public name re-exported, and each
    operator class (newest and pinned versions) with its typed constructor."""
    from ._operators import operator_class
    from ._schemas import operator_table

    lines = [_HEADER.format(onnx=onnx.__version__)]
    exported, defined = _exports()
    for module, name in exported:
        lines.append(f"from .{module.removeprefix('onnxalgebra.')} import {name} as {name}")
    lines += [
        "",
        f"{INPUT}: TypeAlias = Expr | OnnxSubEstimator | str | np.ndarray | float | int | bool | None",
        "",
        "__version__: str",
        "",
        *defined,
        "",
    ]
    names = []  # onnx's own operators (not those declared at run time: custom_operator, local functions)
    for op, (key, versions) in sorted(operator_table().items()):
        if key.domain in _STANDARD_DOMAINS:
            names += [f"Onnx{op}", *(f"Onnx{op}_{v}" for v in versions)]
    for name in names:
        cls = operator_class(name)
        lines.append(f"class {name}(OnnxOperator):")
        lines.append(f"    def __init__({_render_parameters(inspect.signature(cls).parameters.values())}) -> None: ...")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m onnxalgebra._typed PATH``: write the stubs to PATH (``make stubs``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m onnxalgebra._typed onnxalgebra/__init__.pyi", file=sys.stderr)
        return 2
    with open(args[0], "w", encoding="utf-8") as out:
        out.write(render_stub())
    print(f"wrote {args[0]} (onnx {onnx.__version__})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
