"""Lookup of the operator schemas that the installed ``onnx`` defines.

Everything is computed on first use and cached: importing the package costs
nothing, creating the first operator class reads the schema table once.
"""

from __future__ import annotations

import functools
import textwrap
from typing import NamedTuple

from onnx import defs

__all__ = ["OpKey", "operator_table", "schema_at", "max_opset", "schema_doc"]

_ATTR = defs.OpSchema.AttrType
_OPTION = defs.OpSchema.FormalParameterOption


class OpKey(NamedTuple):
    """An operator: its domain ('' is the default ONNX domain) and its name."""

    domain: str
    name: str


@functools.cache
def operator_table() -> dict[str, tuple[OpKey, tuple[int, ...]]]:
    """Map each operator name to its key and every version (``since_version``) it has."""
    versions: dict[OpKey, set[int]] = {}
    for schema in defs.get_all_schemas_with_history():
        key = OpKey(schema.domain, schema.name)
        versions.setdefault(key, set()).add(schema.since_version)
    table: dict[str, tuple[OpKey, tuple[int, ...]]] = {}
    # Sorted so that, were two domains to define one name, the choice is stable.
    for key in sorted(versions):
        table.setdefault(key.name, (key, tuple(sorted(versions[key]))))
    return table


@functools.cache
def max_opset(domain: str) -> int:
    """The newest opset of ``domain`` that the installed ``onnx`` knows."""
    return defs.C.schema_version_map()[domain][1]


@functools.lru_cache(maxsize=4096)
def schema_at(domain: str, name: str, opset: int) -> defs.OpSchema | None:
    """The schema of ``name`` in force at ``opset`` of ``domain`` (None if none yet)."""
    try:
        schema = defs.get_schema(name, opset, domain)
    except defs.SchemaError:
        return None
    return schema


def _describe_attr(name: str, attr: defs.OpSchema.Attribute) -> str:
    kind = attr.type.name
    if attr.required:
        extra = "required"
    elif attr.default_value.ByteSize():
        from onnx import helper

        value = helper.get_attribute_value(attr.default_value)
        if isinstance(value, bytes):
            value = value.decode()
        extra = f"default {value!r}"
    else:
        extra = "optional"
    desc = " ".join(attr.description.split())
    return f"    {name} ({kind}, {extra}): {desc}"


def _describe_param(param: defs.OpSchema.FormalParameter) -> str:
    option = {
        _OPTION.Single: "",
        _OPTION.Optional: ", optional",
        _OPTION.Variadic: ", variadic",
    }[param.option]
    desc = " ".join(param.description.split())
    return f"    {param.name} ({param.type_str}{option}): {desc}"


def schema_doc(schema: defs.OpSchema, pinned: bool) -> str:
    """The docstring of an operator class, built from its schema."""
    domain = schema.domain or "ai.onnx"
    version = f"version {schema.since_version}" if pinned else "newest version allowed by the target opset"
    lines = [
        f"ONNX operator {schema.name} (domain {domain!r}, {version}).",
        "",
        textwrap.dedent(schema.doc or "").strip(),
        "",
        f"Inputs ({schema.min_input} to {schema.max_input}):",
        *[_describe_param(p) for p in schema.inputs],
        "",
        f"Outputs ({schema.min_output} to {schema.max_output}):",
        *[_describe_param(p) for p in schema.outputs],
    ]
    if schema.attributes:
        lines += ["", "Attributes:"]
        lines += [_describe_attr(n, a) for n, a in sorted(schema.attributes.items())]
    if schema.type_constraints:
        lines += ["", "Type constraints:"]
        for tc in schema.type_constraints:
            lines.append(f"    {tc.type_param_str}: {', '.join(tc.allowed_type_strs)}")
    lines += [
        "",
        "Constructor: positional inputs (str graph input, numpy array or scalar constant,",
        "expression, expr[i], or None for an omitted optional input); keywords op_version,",
        "output_names and the attributes above by their ONNX names.",
    ]
    return "\n".join(lines)
