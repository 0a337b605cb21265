"""Operators of domains the installed ``onnx`` does not define (``com.microsoft`` contrib operators...).

:func:`custom_operator` declares one: its domain, version, formal inputs and
outputs and its attributes (name -> kind). The declaration is registered as an
``onnx.defs.OpSchema`` (``onnx.defs.register_schema``), so the rest of the
algebra (attribute checks, the compiler, its opset choice, ``onnx.checker``)
treats the operator as it treats ONNX's own: the model imports the domain at
the declared version. ONNX has no inference function for such an operator,
so every node is given its output types by the caller (``output_types=``, a
list of :class:`~onnxalgebra.TensorType` or ``(dtype, shape)`` pairs).

Limits: a declaration is process-wide (onnx's schema registry is); declaring
the same operator again with the same schema returns the same class, with a
different one raises. An operator of a domain onnx knows (``''``,
``ai.onnx.ml``...) or named like an operator onnx already defines is refused:
use its ``Onnx*`` class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from onnx import TypeProto, defs

from ._errors import OperatorError
from ._expr import OnnxOperator
from ._signature import Signature
from ._types import TensorType, ValueType, elem_type_of

__all__ = ["custom_operator"]

_ATTR = defs.OpSchema.AttrType
_KINDS = {
    "int": _ATTR.INT,
    "float": _ATTR.FLOAT,
    "string": _ATTR.STRING,
    "ints": _ATTR.INTS,
    "floats": _ATTR.FLOATS,
    "strings": _ATTR.STRINGS,
    "tensor": _ATTR.TENSOR,
}
_ANY_TENSOR = [f"tensor({t})" for t in ("float", "double", "float16", "bfloat16", "int8", "int16", "int32", "int64",
                                        "uint8", "uint16", "uint32", "uint64", "bool", "string")]  # fmt: skip
_STANDARD_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training")
_SCHEMAS: list[defs.OpSchema] = []
_DECLARED: dict[tuple[str, str, int], tuple[tuple, type[OnnxOperator]]] = {}


def _output_type(op: str, value: Any) -> ValueType:
    if isinstance(value, TensorType):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        dtype, shape = value
        dtype = np.dtype(object) if dtype in (str, np.str_) else np.dtype(dtype)
        return TensorType(elem_type_of(dtype), None if shape is None else tuple(shape))
    raise OperatorError(f"{op}: each of output_types must be a TensorType or a (dtype, shape) pair, got {value!r}.")


class CustomOperator(OnnxOperator):
    """A node of an operator declared with :func:`custom_operator`: output types come from the caller."""

    __slots__ = ("_declared_types",)

    def __init__(self, *inputs: Any, output_types: Sequence[Any] | None = None, **attributes: Any):
        name = type(self).__name__
        if output_types is None or isinstance(output_types, (str, TensorType)) or not len(output_types):
            raise OperatorError(f"{name}: output_types=[...] is required (one type per output), got {output_types!r}.")
        self._declared_types = tuple(_output_type(name, t) for t in output_types)
        super().__init__(*inputs, n_outputs=len(self._declared_types), **attributes)
        if self._types is None:  # some input not typed yet: the declared types hold anyway
            self._types = self._declared_types

    def infer(
        self,
        sig: Signature,
        input_types: tuple[ValueType | None, ...],
        arrays: Sequence[np.ndarray | None],
        opsets: tuple[tuple[str, int], ...],
        attribute_wires: Sequence[bytes] | None,
        present: tuple[bool, ...],
    ) -> tuple[ValueType | None, ...]:
        """The output types given at construction (onnx cannot infer them)."""
        return self._declared_types


def _schema_key(op_type: str, domain: str, version: int, inputs: Sequence[str], outputs: Sequence[str], kinds: dict) -> tuple:
    return (op_type, domain, version, tuple(inputs), tuple(outputs), tuple(sorted(kinds.items())))


def custom_operator(
    op_type: str,
    domain: str,
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    attributes: Mapping[str, str] | None = None,
    version: int = 1,
    doc: str = "",
    elem_types: Sequence[Any] | None = None,
) -> type[OnnxOperator]:
    """The class of operator ``op_type`` of ``domain`` (a domain onnx does not define), declared once per process.

    ``inputs`` and ``outputs`` name the formal parameters (any tensor type);
    ``attributes`` maps each attribute name to its kind: ``'int'``, ``'float'``,
    ``'string'``, ``'ints'``, ``'floats'``, ``'strings'`` or ``'tensor'`` (all
    optional). ``elem_types`` gives each output's element type (a numpy dtype,
    ``str`` for strings; None or left out: the first input's) for onnx's
    model-level inference (``onnx.shape_inference``, ``onnx.checker`` with
    ``full_check``). Nodes take the inputs positionally, the attributes by name, and
    ``output_types=[...]``: one :class:`~onnxalgebra.TensorType` or
    ``(dtype, shape)`` per output (``shape`` None when unknown, a dimension None
    or a name when dynamic; a graph output needs its rank). The compiled model imports ``domain`` at opset
    ``version``.

    >>> import numpy as np
    >>> from onnxalgebra import custom_operator, to_onnx
    >>> Inverse = custom_operator("Inverse", "com.microsoft", inputs=["X"], outputs=["Y"])
    >>> inverse = Inverse("X", output_types=[(np.float64, (2, 2))])
    >>> model = to_onnx(inverse, {"X": np.eye(2)})
    >>> sorted((o.domain, o.version) for o in model.opset_import)
    [('com.microsoft', 1)]
    >>> inverse.eval({"X": np.array([[2.0, 0.0], [0.0, 4.0]])}).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    kinds: dict[str, Any] = {}
    for name, kind in (attributes or {}).items():
        if kind not in _KINDS:
            raise OperatorError(
                f"custom_operator({op_type!r}): attribute {name!r} has kind {kind!r}; expected one of {sorted(_KINDS)}."
            )
        kinds[name] = kind
    if domain in _STANDARD_DOMAINS:
        raise OperatorError(
            f"custom_operator({op_type!r}, {domain!r}): {domain or 'ai.onnx'!r} is a domain onnx defines; "
            f"use operator_class({op_type!r}) for its operators."
        )
    if not op_type.isidentifier() or not domain or not isinstance(version, int) or version < 1:
        raise OperatorError(
            f"custom_operator({op_type!r}, {domain!r}, version={version!r}): expected an identifier, a domain and a version >= 1."
        )
    if not inputs or not outputs:
        raise OperatorError(f"custom_operator({op_type!r}): name at least one input and one output.")
    key = (*_schema_key(op_type, domain, version, inputs, outputs, kinds), tuple(map(str, elem_types or ())))
    declared = _DECLARED.get((domain, op_type, version))
    if declared is not None:
        if declared[0] != key:
            raise OperatorError(
                f"custom_operator({op_type!r}, {domain!r}): already declared at version {version} with another "
                f"schema (inputs, outputs, attributes) {declared[0][3:]}; declare it once."
            )
        return declared[1]
    from ._schemas import operator_table

    standard = operator_table().get(op_type)
    if standard is not None and standard[0].domain != domain:
        raise OperatorError(
            f"custom_operator({op_type!r}, {domain!r}): onnx defines {op_type} in {standard[0].domain or 'ai.onnx'!r}; "
            "an operator of another domain cannot share its name here."
        )
    if defs.has(op_type, domain):
        raise OperatorError(
            f"custom_operator({op_type!r}, {domain!r}): onnx's registry already holds a schema for it that was not "
            "declared here; it cannot be declared again."
        )
    _register(op_type, domain, version, inputs, outputs, kinds, doc, list(elem_types or ()))
    cls = type(
        f"Onnx{op_type}",
        (CustomOperator,),
        {
            "__doc__": f"Operator {op_type} of domain {domain!r} (version {version}), declared by custom_operator. {doc}",
            "__module__": "onnxalgebra",
            "__qualname__": f"Onnx{op_type}",
            "__slots__": (),
            "op_type": op_type,
            "domain": domain,
            "pinned_version": None,
        },
    )
    _DECLARED[(domain, op_type, version)] = (key, cls)
    return cls


def _register(
    op_type: str,
    domain: str,
    version: int,
    inputs: Sequence[str],
    outputs: Sequence[str],
    kinds: dict,
    doc: str,
    elem_types: Sequence[Any],
) -> None:
    schema_cls = defs.OpSchema
    params_in = [schema_cls.FormalParameter(n, f"T{i}") for i, n in enumerate(inputs)]
    params_out = [schema_cls.FormalParameter(n, f"U{i}") for i, n in enumerate(outputs)]
    constraints = [(f"T{i}", _ANY_TENSOR, "any tensor") for i in range(len(inputs))]
    constraints += [(f"U{i}", _ANY_TENSOR, "any tensor") for i in range(len(outputs))]
    attrs = [schema_cls.Attribute(n, _KINDS[k], n, required=False) for n, k in kinds.items()]
    schema = schema_cls(
        op_type, domain, version, doc=doc or op_type, inputs=params_in, outputs=params_out,
        type_constraints=constraints, attributes=attrs,
    )  # fmt: skip
    codes = [None if t is None else elem_type_of(np.dtype(object) if t in (str, np.str_) else np.dtype(t)) for t in elem_types]

    def infer(ctx: Any) -> None:  # onnx's model-level inference: each output's element type (the rank is unknown)
        first = ctx.get_input_type(0) if ctx.get_num_inputs() and ctx.has_input(0) else None
        for i in range(ctx.get_num_outputs()):
            code = codes[i] if i < len(codes) else None
            if code is None and first is not None and first.HasField("tensor_type"):
                code = first.tensor_type.elem_type
            if code is not None:
                proto = TypeProto()
                proto.tensor_type.elem_type = code
                ctx.set_output_type(i, proto)

    if hasattr(schema, "set_type_and_shape_inference_function"):
        schema.set_type_and_shape_inference_function(infer)
    # else onnx < 1.17: no inference function can be given from Python, and onnx's own shape inference
    # (onnx.shape_inference, check_model(full_check=True)) crashes on the operator; onnxruntime runs it
    defs.register_schema(schema)
    _SCHEMAS.append(schema)  # kept alive: onnx's registry may refer to the Python object's data
    from ._schemas import max_opset, operator_table, schema_at

    operator_table.cache_clear()  # the caches of onnx's schema table now hold one more operator
    max_opset.cache_clear()
    schema_at.cache_clear()
