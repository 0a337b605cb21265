"""Expressions: graph inputs (:class:`Var`), constants, operator nodes and their outputs.

An expression is lazy: building one only checks it against its schema and,
when the types of its inputs are known, infers its output types (so a type
error surfaces at the line that builds the node). Compilation to a
``ModelProto`` happens in :mod:`onnxalgebra.compiler._compile`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from onnx import defs

from . import _numpy_ops
from ._attributes import attribute_bytes, attributes_key
from ._context import follow_float_dtype, target_for
from ._errors import OnnxTypeError, OperatorError
from ._graph import Graph
from ._inference import constant_data_key, infer_outputs, type_from_type_str
from ._schemas import max_opset, schema_at
from ._signature import Signature, check_attributes, check_input_count, signature_of
from ._types import Dim, TensorType, ValueType, elem_type_of, make_type

__all__ = ["Expr", "Var", "Constant", "Output", "OnnxOperator", "resolve_constants"]

_ATTR = defs.OpSchema.AttrType


class Expr(_numpy_ops.NumpyOperators):
    """Base class of everything that can be an input of an operator.

    >>> import numpy as np
    >>> x = Var("X", np.float32, [None, 2])
    >>> isinstance(x * 2, Expr), (x * 2).shape
    (True, (None, 2))
    """

    __slots__ = ()

    @property
    def type(self) -> ValueType | None:
        """The inferred type of (the first output of) this expression, or None if unknown."""
        return None

    @property
    def dtype(self) -> np.dtype | None:
        """The numpy dtype of this tensor expression, or None if not known yet."""
        vtype = self.type
        return vtype.dtype if isinstance(vtype, TensorType) else None

    @property
    def shape(self) -> tuple[int | None, ...] | None:
        """The inferred shape, like ``ndarray.shape`` with None for a dimension known only at run time.

        None when the rank is unknown. Symbolic dimension names stay in
        ``expr.type.shape``.
        """
        vtype = self.type
        if not isinstance(vtype, TensorType) or vtype.shape is None:
            return None
        shape = vtype.shape
        for d in shape:
            if type(d) is not int:
                return tuple(d if isinstance(d, int) else None for d in shape)
        return shape

    def to_onnx(self, inputs: Any = None, outputs: Any = None, target_opset: Any = None) -> Any:
        """Compile this expression into an ``onnx.ModelProto``.

        ``inputs`` gives the graph inputs' types: a dict name -> numpy sample
        (first dimension made symbolic), a list of ``(name, dtype, shape)``,
        or a list of ``onnx.ValueInfoProto``. ``outputs`` optionally names the
        graph outputs or gives their types; ``target_opset`` is an int (the
        default domain) or a dict domain -> opset.

        >>> import numpy as np
        >>> from onnxalgebra import OnnxAdd
        >>> model = OnnxAdd("X", np.float32(1)).to_onnx({"X": np.zeros((2, 3), np.float32)})
        >>> [n.op_type for n in model.graph.node]
        ['Add']
        """
        from .compiler._compile import compile_model

        return compile_model([self], inputs, outputs_spec=outputs, target_opset=target_opset)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter shows an expression as its diagram (a text summary without Graphviz)."""
        from .display._render import show

        return show(self)._repr_mimebundle_(include, exclude)

    def eval(self, feeds: dict[str, Any], runtime: str = "onnxruntime", target_opset: Any = None) -> Any:
        """Compile for the feeds' types and run: returns a numpy array (a list for several outputs).

        ``runtime`` is ``'onnxruntime'`` or ``'reference'`` (``onnx.reference.ReferenceEvaluator``).
        Sessions are cached per compiled model.

        >>> import numpy as np
        >>> from onnxalgebra import OnnxAdd
        >>> OnnxAdd("X", 1.0).eval({"X": np.array([1, 2], np.float32)})
        array([2., 3.], dtype=float32)
        """
        from .compiler._evaluate import evaluate

        return evaluate(self, feeds, runtime=runtime, target_opset=target_opset)


class Var(Expr):
    """A graph input, named and optionally typed.

    >>> import numpy as np
    >>> x = Var("X", np.float32, [None, 4])
    >>> str(x.type)
    'tensor(float)[?, 4]'
    """

    __slots__ = ("_type", "name")

    def __init__(self, name: str, dtype: Any = None, shape: Sequence[Dim] | None = None):
        if not isinstance(name, str) or not name:
            raise OperatorError(f"Var: a name must be a non-empty str, got {name!r}.")
        if dtype is None and shape is not None:
            raise OnnxTypeError(
                f"Var({name!r}): a shape ({shape!r}) without a dtype; give both, such as Var({name!r}, np.float32, {shape!r}), "
                "or neither (the type then comes from to_onnx's inputs)."
            )
        self.name = name
        self._type = None if dtype is None else make_type(dtype, shape, what=f"Var({name!r})")

    @property
    def type(self) -> ValueType | None:
        """The declared type, or None when it comes from ``to_onnx``'s inputs."""
        return self._type

    def __repr__(self) -> str:
        return f"Var({self.name!r})" if self._type is None else f"Var({self.name!r}, {self._type})"


@functools.lru_cache(maxsize=1024)
def _array_type(elem_type: int, shape: tuple[int, ...]) -> TensorType:
    """The type of constant arrays: shared by constants of one dtype and shape (types are immutable)."""
    return TensorType(elem_type, shape)


class Constant(Expr):
    """A constant tensor. A Python scalar or list without a dtype takes the
    dtype of the operand it meets (``x + 1.0`` keeps ``x``'s dtype).

    >>> Constant(np.array([1, 2], dtype=np.int64)).dtype
    dtype('int64')
    """

    __slots__ = ("_type", "value")

    def __init__(self, value: Any, dtype: Any = None):
        if dtype is not None:
            _constant_elem_type_of(dtype)  # an error naming the dtype before numpy tries it
            value = _as_array(value, np.dtype(dtype))
        if isinstance(value, (np.ndarray, np.generic)):
            value = np.asarray(value)
            if value.dtype.kind in "US":
                value = value.astype(object)
            elif value.dtype.kind == "O":
                _check_strings(value)
            self._type: TensorType | None = _array_type(_constant_elem_type_of(value.dtype), value.shape)
        else:
            probe = _as_array(value)
            if probe.dtype.kind not in "biufUS":
                hint = " (complex numbers need an array: np.array(value, np.complex64))" if probe.dtype.kind == "c" else ""
                raise OperatorError(
                    f"Constant: cannot make a tensor of {type(value).__name__} {_short(value)}; expected a number, "
                    f"a str, a (nested) list of them or a numpy array{hint}."
                )
            self._type = None
        self.value = value

    @property
    def type(self) -> ValueType | None:
        """The constant's type, or None while its dtype is deferred."""
        return self._type

    @property
    def deferred(self) -> bool:
        """True for a Python scalar or list whose dtype comes from its context."""
        return self._type is None

    def resolve(self, elem_type: int | None) -> np.ndarray:
        """The constant as an array, ``elem_type`` deciding a deferred dtype."""
        if not self.deferred:
            return self.value
        probe = np.asarray(self.value)
        if elem_type is None:
            default = {"b": np.bool_, "i": np.int64, "u": np.int64, "f": np.float32, "U": object, "S": object}
            return probe.astype(default[probe.dtype.kind])
        target = TensorType(elem_type).dtype
        array = probe.astype(target)
        if target.kind in "iu" and probe.dtype.kind == "f" and not np.array_equal(array, probe):
            raise OperatorError(f"Constant: {self.value!r} is not representable as {target}.")
        return array

    def __repr__(self) -> str:
        if self.deferred:
            return f"Constant({self.value!r})"
        array = self.value
        if array.size <= 6:
            return f"Constant({array.tolist()!r}, {array.dtype})"
        return f"Constant(<{array.dtype} {list(array.shape)}>)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_array(value: Any, dtype: Any = None) -> np.ndarray:
    """``np.asarray``, with an error naming the problem for ragged lists and values the dtype cannot hold."""
    try:
        return np.asarray(value, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        if dtype is None and isinstance(value, (list, tuple)):
            raise OperatorError(
                f"Constant: the list {_short(value)} is ragged (its rows differ in length or nesting); a tensor needs "
                "rows of one length: pad them, or build one constant per row."
            ) from None
        kind = np.dtype(dtype) if dtype else "tensor"
        raise OperatorError(f"Constant: cannot make a {kind} of {_short(value)} ({exc}).") from None


def _constant_elem_type_of(dtype: Any) -> int:
    try:
        return elem_type_of(dtype)
    except OnnxTypeError as exc:
        raise OnnxTypeError(f"Constant: {exc}") from None


def _check_strings(array: np.ndarray) -> None:
    """An object array becomes a string tensor only when it holds str or bytes, nothing else."""
    kinds = {type(v) for v in array.reshape(-1).tolist()}
    others = sorted(k.__name__ for k in kinds if not issubclass(k, (str, bytes)))
    if others:
        raise OperatorError(
            f"Constant: an object array becomes a string tensor only when it holds str (or bytes); this one holds "
            f"{', '.join(others)}. Convert it first: array.astype(str) for strings, array.astype(np.float32) (or int64) "
            "for numbers."
        )


class Output(Expr):
    """Output ``index`` of a multi-output operator: what ``expr[index]`` returns.

    >>> import numpy as np
    >>> from onnxalgebra import OnnxTopK
    >>> indices = OnnxTopK(Var("X", np.float32, [None, 5]), np.array([2]))[1]
    >>> indices.dtype, indices.shape
    (dtype('int64'), (None, 2))
    """

    __slots__ = ("index", "op")

    def __init__(self, op: OnnxOperator, index: int):
        self.op = op
        self.index = index

    @property
    def type(self) -> ValueType | None:
        """The inferred type of this output, or None if unknown."""
        types = self.op.output_types
        return None if types is None else types[self.index]

    def __repr__(self) -> str:
        return f"{self.op!r}[{self.index}]"


_INPUT_TYPES = frozenset({Var, Constant, Output, type(None)})  # taken as they are by _as_input


def _as_input(value: Any, op: str, position: int) -> Var | Constant | Output | None:
    if value is None or isinstance(value, (Var, Constant, Output)):
        return value
    if isinstance(value, OnnxOperator):
        if value.n_outputs < 1:
            raise OperatorError(f"{op}: input {position} is {value.op_type}, which has no output.")
        if value.omitted(0):
            raise OperatorError(f"{op}: input {position} is output 0 of {value.op_type}, omitted by output_names.")
        return Output(value, 0)
    if isinstance(value, str):
        return Var(value)
    try:
        if isinstance(value, (np.ndarray, np.generic)):
            return Constant(follow_float_dtype(np.asarray(value)))
        if isinstance(value, (int, float, bool, list, tuple)):
            return Constant(value)
    except (OperatorError, OnnxTypeError) as exc:
        raise type(exc)(f"{op}: input {position}: {exc}") from None
    as_expression = getattr(value, "as_expression", None)  # e.g. OnnxSubEstimator
    if as_expression is not None:
        return _as_input(as_expression(), op, position)
    raise OperatorError(
        f"{op}: input {position} must be a str (graph input), a numpy array or scalar, an expression, "
        f"expr[i] or None; got {type(value).__name__}."
    )


def _constant_elem_type(
    sig: Signature, index: int, input_types: Sequence[ValueType | None], value: Any = None
) -> int | None:
    """The element type a deferred constant at input ``index`` takes from its context."""
    param = sig.input_param(index)
    for j, vtype in enumerate(input_types):
        if j != index and isinstance(vtype, TensorType) and sig.input_param(j) == param:
            return vtype.elem_type
    allowed = sig.constraints.get(param, (param,))
    if len(allowed) == 1:
        fixed = type_from_type_str(allowed[0])
        if isinstance(fixed, TensorType):
            return fixed.elem_type
    # No sibling of its type parameter (``2 ** x``: Pow's base and exponent differ):
    # take the other operand's type if the parameter allows it and the value fits.
    kind = np.asarray(value).dtype.kind if value is not None else None
    fits = {"b": "b", "i": "iuf", "u": "iuf", "f": "f"}.get(kind or "", "")
    for j, vtype in enumerate(input_types):
        if j != index and isinstance(vtype, TensorType) and str(TensorType(vtype.elem_type)) in allowed:
            if vtype.dtype.kind in fits:
                return vtype.elem_type
    return None


def resolve_constants(
    sig: Signature, inputs: Sequence[Any], input_types: Sequence[ValueType | None]
) -> list[np.ndarray | None]:
    """Arrays of the constant inputs (None elsewhere); deferred dtypes follow their siblings."""
    arrays: list[np.ndarray | None] = []
    for i, value in enumerate(inputs):
        if isinstance(value, Constant):
            try:
                arrays.append(value.resolve(_constant_elem_type(sig, i, input_types, value.value) if value.deferred else None))
            except OperatorError as exc:
                raise OperatorError(f"{sig.label}, input {i}: {exc}") from None
        else:
            arrays.append(None)
    return arrays


def _describe_inputs(inputs: Sequence[Any], types: Sequence[ValueType | None]) -> str:
    parts = []
    for value, vtype in zip(inputs, types):
        if value is None:
            parts.append("<omitted>")
            continue
        name = value.name if isinstance(value, Var) else type(value).__name__
        if isinstance(value, Output):
            name = f"{value.op.op_type}[{value.index}]"
        parts.append(f"{name}: {vtype if vtype is not None else '?'}")
    return "(" + ", ".join(parts) + ")"


@functools.lru_cache(maxsize=4096)
def _latest_signature(cls: type, opset: int) -> Signature:
    """The signature of the version of an operator class's operator in force at ``opset``, its domain's newest
    (the classes exist only for known operators)."""
    latest = schema_at(cls.domain, cls.op_type, opset)
    assert latest is not None, cls.op_type
    return signature_of(cls.domain, cls.op_type, latest.since_version)


def _reduction_for_target(
    cls: Any, inputs: tuple[Any, ...], attributes: dict[str, Any], op_version: int | None
) -> tuple[tuple[Any, ...], dict[str, Any], int | None, bool]:
    """A reduction with constant axes built during a conversion for a target opset where its axes were an attribute
    (before opset 18): that version, the axes an attribute; anything else unchanged.

    So ``OnnxReduceMax(x, np.array([1]))`` in a converter fits ``target_opset=15``
    (the node is not pinned: the compiler may import an equivalent version).
    Returns ``(inputs, attributes, op_version, built_for_target)``.
    """
    if op_version is not None or cls.pinned_version is not None or len(inputs) != 2 or not cls.op_type.startswith("Reduce"):
        return inputs, attributes, op_version, False
    target = target_for(cls.domain)
    if target is None:
        return inputs, attributes, op_version, False
    axes = inputs[1]
    if isinstance(axes, Constant) and not axes.deferred:
        axes = axes.value
    if not isinstance(axes, np.ndarray) or axes.dtype != np.int64:
        return inputs, attributes, op_version, False
    schema = schema_at(cls.domain, cls.op_type, target)
    if schema is None or "axes" not in schema.attributes:
        return inputs, attributes, op_version, False
    return inputs[:1], {**attributes, "axes": [int(a) for a in axes.reshape(-1)]}, target, True


class OnnxOperator(Expr):
    """Base class of every ``Onnx<OpType>`` class: one node of the expression tree.

    Subclasses are generated from ``onnx.defs``; do not subclass by hand.

    >>> from onnxalgebra import OnnxSplit
    >>> split = OnnxSplit("X", axis=1, num_outputs=2)
    >>> isinstance(split, OnnxOperator), split.n_outputs, split.op_type
    (True, 2, 'Split')
    """

    __slots__ = (
        "__weakref__",
        "_arrays",
        "_in_types",
        "_sessions",
        "_sig",
        "_types",
        "_wires",
        "attr_key",
        "attributes",
        "inputs",
        "n_outputs",
        "op_version",
        "output_names",
        "pinned",
    )

    op_type: ClassVar[str] = ""
    domain: ClassVar[str] = ""
    pinned_version: ClassVar[int | None] = None

    def __init__(
        self,
        *inputs: Any,
        op_version: int | None = None,
        output_names: Sequence[str] | None = None,
        n_outputs: int | None = None,
        **attributes: Any,
    ):
        cls = type(self)
        name = cls.__name__
        for_target = False
        if op_version is None and len(inputs) == 2 and cls.op_type.startswith("Reduce"):
            inputs, attributes, op_version, for_target = _reduction_for_target(cls, inputs, attributes, op_version)
        version = cls.pinned_version
        if op_version is not None:
            schema = schema_at(cls.domain, cls.op_type, int(op_version))
            if schema is None:
                raise OperatorError(f"{name}: {cls.op_type} does not exist at opset {op_version}.")
            if version is not None and schema.since_version != version:
                raise OperatorError(
                    f"{name}: op_version={op_version} selects version {schema.since_version}, "
                    f"but this class is pinned to version {version}."
                )
            version = schema.since_version
        self.op_version = version
        # a pinned class or op_version=: the opsets keep this version in force (the numpy layer's nodes built for a
        # target opset are not pinned: the compiler may take an equivalent version)
        self.pinned = version is not None and not for_target
        sig = _latest_signature(cls, max_opset(cls.domain)) if version is None else signature_of(cls.domain, cls.op_type, version)
        self._sig = sig
        if not sig.min_inputs <= len(inputs) <= sig.max_inputs:
            check_input_count(sig, name, len(inputs))
        self.inputs = tuple([v if type(v) in _INPUT_TYPES else _as_input(v, name, i) for i, v in enumerate(inputs)])
        self.attributes = check_attributes(sig, name, attributes)
        self.attr_key = attributes_key(self.attributes)
        self.output_names = None if output_names is None else tuple(_check_names(name, output_names))
        self.n_outputs = self._count_outputs(sig, n_outputs)
        self._types: tuple[ValueType | None, ...] | None = None
        self._sessions: dict[Any, Any] | None = None
        self._wires: list[bytes] | None = None  # serialised AttributeProtos built for inference, reused by the compiler
        self._in_types: tuple[ValueType | None, ...] | None = None  # the input types _types were inferred for
        self._arrays: list[np.ndarray | None] | None = None  # the constant inputs as typed then (None: no constant)
        self._infer_now(sig)

    def _count_outputs(self, sig: Signature, n_outputs: int | None) -> int:
        if self.output_names is None and n_outputs is None and sig.min_outputs == sig.max_outputs:
            return sig.min_outputs  # the schema's fixed count (most operators)
        name = type(self).__name__
        if self.output_names is not None:
            count = len(self.output_names)
            if n_outputs is not None and n_outputs != count:
                raise OperatorError(f"{name}: n_outputs={n_outputs} but {count} output_names given.")
        elif n_outputs is not None:
            count = int(n_outputs)
        elif not sig.variadic_outputs:
            count = sig.min_outputs
        elif sig.max_outputs != 2147483647:
            count = max(sig.min_outputs, 1)  # optional outputs: ask for them with n_outputs
        elif "num_outputs" in self.attributes:
            count = self.attributes["num_outputs"]
        else:
            count = self._outputs_from_body(sig)
        if not sig.min_outputs <= count <= sig.max_outputs:
            raise OperatorError(
                f"{name}: {sig.label} has {sig.min_outputs} to {sig.max_outputs} outputs, {count} requested."
            )
        declared = self.attributes.get("num_outputs")
        if declared is not None and sig.variadic_outputs and count != declared:
            raise OperatorError(f"{name}: attribute num_outputs={declared} but {count} outputs requested.")
        for i, out in enumerate(self.output_names or ()):
            if out == "" and not _optional_output(sig, i):
                formal = sig.schema.outputs[min(i, len(sig.schema.outputs) - 1)].name
                raise OperatorError(f"{name}: output {i} ({formal}) of {sig.label} is required; it cannot be omitted with ''.")
        return count

    def omitted(self, index: int) -> bool:
        """True when output ``index`` is an optional output left out with ``''`` in ``output_names``."""
        return self.output_names is not None and self.output_names[index] == ""

    def _outputs_from_body(self, sig: Signature) -> int:
        """Count the outputs of control flow from its body (Loop drops the condition)."""
        for attr in ("body", "then_branch"):
            body = self.attributes.get(attr)
            if body is not None:
                count = len(body.outputs) if isinstance(body, Graph) else len(body.output)
                return count - 1 if self.op_type == "Loop" else count
        raise OperatorError(
            f"{type(self).__name__}: {sig.label} has a variable number of outputs; "
            "pass output_names=[...] or n_outputs=N."
        )

    def _infer_now(self, sig: Signature) -> None:
        """Infer output types at construction when every input type is known."""
        if self.attributes and any(isinstance(v, Graph) for v in self.attributes.values()):
            return  # bodies are typed when compiled, in their scope
        types: list[ValueType | None] = []
        constants = False
        for value in self.inputs:
            if value is None:
                types.append(None)
                continue
            vtype = value.type
            if type(value) is Constant:
                constants = True
            elif vtype is None:
                return
            types.append(vtype)
        present = tuple([v is not None for v in self.inputs])
        if constants:
            arrays = resolve_constants(sig, self.inputs, types)
            types = [TensorType(elem_type_of(a.dtype), a.shape) if t is None and a is not None else t
                     for a, t in zip(arrays, types)]
        else:
            arrays = [None] * len(types)
        in_types = tuple(types)
        self._types = self.infer(sig, in_types, arrays, ((sig.domain, sig.since_version),), None, present)
        self._in_types = in_types
        self._arrays = arrays if constants else None

    def infer(
        self,
        sig: Signature,
        input_types: tuple[ValueType | None, ...],
        arrays: Sequence[np.ndarray | None],
        opsets: tuple[tuple[str, int], ...],
        attribute_wires: Sequence[bytes] | None,
        present: tuple[bool, ...],
    ) -> tuple[ValueType | None, ...]:
        """Output types for the given input types (None where unknown), with the node's attributes.

        ``attribute_wires`` are the serialised attributes when the compiler has
        them (compiled subgraphs), else they are encoded from :attr:`attributes`.
        """

        def wires() -> Sequence[bytes]:
            if attribute_wires is not None:
                return attribute_wires
            if sig is self._sig:
                return self._attribute_wires()
            return [attribute_bytes(n, v, sig.attributes[n]) for n, v in self.attributes.items()]

        return infer_outputs(
            sig,
            self.n_outputs,
            self.attr_key,
            self.attributes,
            wires,
            input_types,
            present,
            constant_data_key(sig, arrays),
            opsets,
            lambda: _describe_inputs(self.inputs, input_types),
        )

    def _attribute_wires(self) -> list[bytes]:
        """The serialised ``AttributeProto`` of each attribute (not graphs), encoded once."""
        if self._wires is None:
            self._wires = [attribute_bytes(n, v, self._sig.attributes[n]) for n, v in self.attributes.items()]
        return self._wires

    @property
    def signature(self) -> Signature:
        """The schema this node was checked against."""
        return self._sig

    @property
    def output_types(self) -> tuple[ValueType | None, ...] | None:
        """Types of all outputs, or None while some input type is unknown."""
        return self._types

    @property
    def type(self) -> ValueType | None:
        """The type of the first output."""
        return None if self._types is None or not self._types else self._types[0]

    @property
    def outputs(self) -> list[Output]:
        """Every output of this node, as expressions."""
        return [Output(self, i) for i in range(self.n_outputs)]

    def __getitem__(self, index: Any) -> Any:
        """With several outputs, ``node[i]`` is output ``i``; with one, numpy indexing of its values."""
        if self.n_outputs == 1:
            return _numpy_ops._index(self, index)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(
                f"{type(self).__name__} has {self.n_outputs} outputs: node[i] selects output i; index the values "
                f"of one output with node[i][...] (got {index!r})."
            )
        i = int(index)
        if i < 0:
            i += self.n_outputs
        if not 0 <= i < self.n_outputs:
            raise IndexError(
                f"{type(self).__name__} has {self.n_outputs} output(s), index {index} requested; "
                "pass n_outputs=N or output_names=[...] to get optional outputs."
            )
        if self.omitted(i):
            raise IndexError(f"{type(self).__name__}: output {index} is omitted ('' in output_names).")
        return Output(self, i)

    def __iter__(self) -> Iterator[Any]:
        """With several outputs, the outputs (``values, indices = OnnxTopK(x, k)``); with one, rows."""
        if self.n_outputs == 1:
            return super().__iter__()
        return iter(self.outputs)

    def __len__(self) -> int:
        """With several outputs, their number; with one, the first dimension (like ``len(ndarray)``)."""
        if self.n_outputs == 1:
            return super().__len__()
        return self.n_outputs

    def __repr__(self) -> str:
        args = [_input_repr(v) for v in self.inputs]
        args = [a if len(a) <= 40 else a[:37] + "..." for a in args]
        for key, value in self.attributes.items():
            text = repr(value)
            args.append(f"{key}={text if len(text) <= 30 else text[:27] + '...'}")
        return f"{type(self).__name__}({', '.join(args)})"


def _optional_output(sig: Signature, index: int) -> bool:
    """True when output ``index`` is an optional formal output, which a node may omit."""
    formals = sig.schema.outputs
    return index < len(formals) and formals[index].option == defs.OpSchema.FormalParameterOption.Optional


def _input_repr(value: Any) -> str:
    """An input in an operator's repr, one level deep: a deep expression prints at once, without recursion."""
    if isinstance(value, Output):
        index = f"[{value.index}]" if value.op.n_outputs > 1 else ""
        return f"{value.op.op_type}(...){index}"
    return repr(value)


def _check_names(op: str, names: Any) -> list[str]:
    if isinstance(names, str):
        names = [names]
    names = list(names)
    for n in names:
        if n is not None and not isinstance(n, str):
            raise OperatorError(
                f"{op}: output_names must be strings ('' omits an optional output, None lets the compiler name it), got {n!r}."
            )
    named = [n for n in names if n]
    if not named and None not in names:
        raise OperatorError(f"{op}: output_names {names} names no output; '' only omits an optional output.")
    if len(set(named)) != len(named):
        raise OperatorError(f"{op}: output_names {names} has duplicates.")
    return names
