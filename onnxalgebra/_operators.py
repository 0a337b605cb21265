"""``Onnx<OpType>`` and ``Onnx<OpType>_<version>`` classes, generated from ``onnx.defs`` on demand.

A class is created the first time it is asked for (``from onnxalgebra import
OnnxAdd`` or :func:`operator_class`), so importing the package does not pay
for the ~650 operator versions.
"""

from __future__ import annotations

import re

from ._errors import OperatorError
from ._expr import OnnxOperator
from ._schemas import max_opset, operator_table, schema_at, schema_doc
from ._typed import operator_signature

__all__ = ["operator_class", "operator_class_names"]

_CLASSES: dict[str, type[OnnxOperator]] = {}
_PINNED = re.compile(r"^Onnx(?P<op>[A-Za-z0-9]+)_(?P<version>[0-9]+)$")


def operator_class_names() -> list[str]:
    """Names of every operator class: ``OnnxAdd``, ``OnnxAdd_7``, ``OnnxAdd_13``..."""
    names = []
    for op, (_, versions) in sorted(operator_table().items()):
        names.append(f"Onnx{op}")
        names.extend(f"Onnx{op}_{v}" for v in versions)
    return names


def _create(op: str, version: int | None) -> type[OnnxOperator]:
    entry = operator_table().get(op)
    if entry is None:
        raise AttributeError(op)
    key, versions = entry
    if version is not None and version not in versions:
        raise AttributeError(op)
    schema = schema_at(key.domain, op, version if version is not None else max_opset(key.domain))
    assert schema is not None, op  # versions come from the schema table itself
    name = f"Onnx{op}" if version is None else f"Onnx{op}_{version}"
    namespace = {
        "__doc__": schema_doc(schema, pinned=version is not None),
        "__module__": "onnxalgebra",
        "__qualname__": name,
        "op_type": op,
        "domain": key.domain,
        "pinned_version": version,
        "__signature__": operator_signature(schema),
    }
    return type(name, (OnnxOperator,), namespace)


def operator_class(name: str) -> type[OnnxOperator]:
    """The operator class for ``name``: ``'Add'``, ``'OnnxAdd'`` or ``'OnnxAdd_13'``.

    >>> operator_class("Add").__name__
    'OnnxAdd'
    """
    cls = _CLASSES.get(name)
    if cls is not None:
        return cls
    full = name if name.startswith("Onnx") else f"Onnx{name}"
    cls = _CLASSES.get(full)
    if cls is None:
        pinned = _PINNED.match(full)
        try:
            if pinned and pinned.group("op") in operator_table():
                cls = _create(pinned.group("op"), int(pinned.group("version")))
            else:
                cls = _create(full[4:], None)
        except AttributeError:
            raise OperatorError(_unknown(full)) from None
        cls = _CLASSES.setdefault(full, cls)  # two threads creating it at once: both get the first one
    return _CLASSES.setdefault(name, cls)


def _unknown(name: str) -> str:
    import difflib

    pinned = _PINNED.match(name)
    if pinned and pinned.group("op") in operator_table():
        op = pinned.group("op")
        versions = operator_table()[op][1]
        return f"{name}: {op} has versions {list(versions)}, not {pinned.group('version')}."
    close = difflib.get_close_matches(name, [f"Onnx{op}" for op in operator_table()], n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return f"{name}: no such ONNX operator in the installed onnx.{hint}"
