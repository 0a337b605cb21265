"""Model -> code: Python source written with the algebra that rebuilds an equivalent ``ModelProto``.

:func:`translate` reads a model (nothing of it is executed) and writes one
statement per node, ``y = OnnxAdd(x, w)``, in the model's order. Run with
``exec`` in a fresh namespace, the source binds ``model`` to a model computing
the same outputs from the same inputs: graph inputs and outputs keep their
names, types and symbolic dimensions, and ``to_onnx(..., target_opset={...})``
gets the model's opset imports (a node is pinned with ``op_version=`` only
where the operator changed since the model's opset).
"""

from __future__ import annotations

import base64
import keyword
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, TypeProto, defs, numpy_helper

from ._errors import OnnxAlgebraError

__all__ = ["TranslateError", "translate"]

# A tensor of at most this many elements is written as a literal; a larger one is loaded (see ``weights``).
SMALL = 16

# onnx's own domains; any other is written with custom_operator (even when declared in this process: the text
# must not depend on what ran before)
_STANDARD = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview", "ai.onnx.preview.training", "ai.onnx.training"}
_RESERVED = {"np", "onnx", "numpy_helper", "TensorProto", "base64", "model", "to_onnx", "Graph", "Var", "TensorType",
             "SequenceType", "OptionalType", "MapType", "custom_operator", "operator_class", "build", "weights",
             "_tensor", "_load_weights"}  # fmt: skip
_PLAIN_DTYPES = {
    TensorProto.FLOAT: "float32",
    TensorProto.DOUBLE: "float64",
    TensorProto.FLOAT16: "float16",
    TensorProto.INT8: "int8",
    TensorProto.INT16: "int16",
    TensorProto.INT32: "int32",
    TensorProto.INT64: "int64",
    TensorProto.UINT8: "uint8",
    TensorProto.UINT16: "uint16",
    TensorProto.UINT32: "uint32",
    TensorProto.UINT64: "uint64",
    TensorProto.BOOL: "bool_",
}


class TranslateError(OnnxAlgebraError, ValueError):
    """A model (or one of its nodes) the translator cannot write with the algebra; the message names it.

    >>> try:
    ...     translate(b"not a model")
    ... except TranslateError as exc:
    ...     print("not a valid ONNX model" in str(exc))
    True
    """


def _load(model: Any) -> tuple[ModelProto, Path | None]:
    if isinstance(model, ModelProto):
        return model, None
    if isinstance(model, (bytes, bytearray, memoryview)):
        proto = ModelProto()
        try:
            proto.ParseFromString(bytes(model))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise TranslateError(f"translate: the bytes given are not a valid ONNX model ({exc}).") from None
        if not proto.HasField("graph"):
            raise TranslateError("translate: the bytes given are not a valid ONNX model (no graph).")
        return proto, None
    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise TranslateError(f"translate: {path}: no such file; give a ModelProto, its bytes or the path of an .onnx file.")
        try:
            proto = onnx.load(str(path), load_external_data=False)
        except Exception as exc:
            raise TranslateError(f"translate: {path}: not a valid ONNX model ({exc}).") from None
        if not proto.HasField("graph"):
            raise TranslateError(f"translate: {path}: not a valid ONNX model (no graph).")
        return proto, path.resolve()
    raise TranslateError(
        f"translate: expected an onnx.ModelProto, its serialised bytes or a path, got {type(model).__name__}."
    )


_DTYPE_NAMES = {np.dtype(getattr(np, name)): name for name in _PLAIN_DTYPES.values()}
_NOT_WORD = re.compile(r"\W", flags=re.ASCII)


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "float('nan')"
    if math.isinf(value):
        return "float('inf')" if value > 0 else "-float('inf')"
    return repr(float(value))


def _nested(values: list, shape: tuple[int, ...], fmt: Any) -> str:
    if not shape:
        return fmt(values[0])
    if len(shape) == 1:
        return "[" + ", ".join(fmt(v) for v in values) + "]"
    step = len(values) // shape[0] if shape[0] else 0
    return "[" + ", ".join(_nested(values[i * step : (i + 1) * step], shape[1:], fmt) for i in range(shape[0])) + "]"


class _Writer:
    """Writes the source of one model."""

    def __init__(self, model: ModelProto, weights: str, path: Path | None):
        self.model = model
        self.weights = weights
        self.path = path
        self.lines: list[str] = []
        self.used_names: set[str] = set(_RESERVED)
        self.var_of: list[dict[str, str]] = []  # one dict per scope: ONNX name -> Python name
        self.classes: set[str] = set()
        self.custom: dict[tuple[str, str], tuple[str, int, int, dict[str, str], int]] = {}
        self.need_tensor = False
        self.need_weights = False
        self.standard: dict[tuple[str, str], tuple[str, str]] = {}  # (domain, op_type) -> class name, op_version text
        self.variadic: dict[tuple[str, str], bool] = {}
        self.inferred = False
        self.opsets = {op.domain if op.domain != "ai.onnx" else "": op.version for op in model.opset_import}
        self.types = self._known_types(model.graph)

    # -- names
    def fresh(self, onnx_name: str, prefix: str = "v") -> str:
        base = _NOT_WORD.sub("_", onnx_name).strip("_") or prefix
        if base[0].isdigit():
            base = f"{prefix}_{base}"
        if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base.startswith("Onnx"):
            base = f"{base}_"
        name, i = base, 1
        while name in self.used_names:
            i += 1
            name = f"{base}_{i}"
        self.used_names.add(name)
        return name

    def lookup(self, onnx_name: str, where: str) -> str:
        for scope in reversed(self.var_of):
            if onnx_name in scope:
                return scope[onnx_name]
        raise TranslateError(f"translate: {where} uses {onnx_name!r}, which no node, input or initializer defines before it.")

    # -- types
    def _known_types(self, graph: GraphProto) -> dict[str, TypeProto]:
        types: dict[str, TypeProto] = {}
        for vi in [*graph.input, *graph.output, *graph.value_info]:
            if vi.HasField("type"):
                types[vi.name] = vi.type
        return types

    def type_text(self, tp: TypeProto, where: str) -> str:
        kind = tp.WhichOneof("value")
        if kind == "tensor_type":
            elem = tp.tensor_type.elem_type
            shape = "None"
            if tp.tensor_type.HasField("shape"):
                dims = []
                for d in tp.tensor_type.shape.dim:
                    if d.HasField("dim_value"):
                        dims.append(str(d.dim_value))
                    elif d.HasField("dim_param") and d.dim_param.isidentifier():
                        dims.append(repr(d.dim_param))
                    else:
                        dims.append("None")
                shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
            return f"TensorType(TensorProto.{TensorProto.DataType.Name(elem)}, {shape})"
        if kind == "sequence_type":
            return f"SequenceType({self.type_text(tp.sequence_type.elem_type, where)})"
        if kind == "optional_type":
            return f"OptionalType({self.type_text(tp.optional_type.elem_type, where)})"
        if kind == "map_type":
            key = TensorProto.DataType.Name(tp.map_type.key_type)
            return f"MapType(TensorProto.{key}, {self.type_text(tp.map_type.value_type, where)})"
        raise TranslateError(f"translate: {where} has a type the algebra cannot declare ({kind or 'no type'}).")

    # -- constants
    def tensor_text(self, tensor: TensorProto, where: str, name: str | None = None) -> str:
        """An expression evaluating to the numpy array of ``tensor``."""
        dtype = _PLAIN_DTYPES.get(tensor.data_type)
        size = math.prod(tensor.dims)
        external = tensor.data_location == TensorProto.EXTERNAL
        if size <= SMALL and not external and (dtype is not None or tensor.data_type == TensorProto.STRING):
            array = numpy_helper.to_array(tensor)
            return self.array_text(array)
        if self.weights == "path" and name is not None and self.path is not None:
            self.need_weights = True
            return f"weights[{name!r}]"
        if external:
            if self.path is None:
                raise TranslateError(f"translate: {where} stores its data outside the model; translate the file path instead.")
            tensor = self._with_data(tensor, where)
        self.need_tensor = True
        data = base64.b64encode(tensor.SerializeToString()).decode("ascii")
        return f'_tensor("{data}")'

    def _with_data(self, tensor: TensorProto, where: str) -> TensorProto:
        """A copy of ``tensor`` holding its external data, read from the file it names (that tensor's bytes only)."""
        from onnx.external_data_helper import load_external_data_for_tensor

        assert self.path is not None  # tensor_text checked it
        copy = TensorProto()
        copy.CopyFrom(tensor)
        try:
            load_external_data_for_tensor(copy, str(self.path.parent))
        except (OSError, ValueError, onnx.checker.ValidationError) as exc:  # a missing file: onnx's ValidationError
            raise TranslateError(f"translate: {where}: cannot read its external data ({exc}).") from None
        copy.data_location = TensorProto.DEFAULT
        del copy.external_data[:]
        return copy

    def array_text(self, array: np.ndarray) -> str:
        if array.dtype == object:
            values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1).tolist()]
            return f"np.array({_nested(values, array.shape, repr)}, dtype=object)"
        dtype = _DTYPE_NAMES.get(array.dtype) or array.dtype.name
        flat = array.reshape(-1).tolist()
        if array.dtype.kind == "f":
            fmt = _float_text if not np.isfinite(array).all() else repr
        elif array.dtype.kind == "b":
            fmt = repr
        else:
            fmt = str
        if array.size == 0:
            return f"np.zeros({tuple(array.shape)!r}, dtype=np.{dtype})"
        return f"np.array({_nested(flat, array.shape, fmt)}, dtype=np.{dtype})"

    # -- attributes
    def attribute_text(self, attr: AttributeProto, node: NodeProto, where: str) -> str:
        t = attr.type
        if attr.ref_attr_name:
            raise TranslateError(f"translate: {where}: attribute {attr.name!r} refers to a function attribute.")
        if t == AttributeProto.INT:
            return str(attr.i)
        if t == AttributeProto.FLOAT:
            return _float_text(attr.f)
        if t == AttributeProto.STRING:
            return _bytes_text(attr.s)
        if t == AttributeProto.INTS:
            return repr([int(v) for v in attr.ints])
        if t == AttributeProto.FLOATS:
            return "[" + ", ".join(_float_text(v) for v in attr.floats) + "]"
        if t == AttributeProto.STRINGS:
            return "[" + ", ".join(_bytes_text(v) for v in attr.strings) + "]"
        if t == AttributeProto.TENSOR:
            return self.tensor_text(attr.t, f"{where}, attribute {attr.name!r}")
        if t == AttributeProto.GRAPH:
            return self.graph(attr.g, f"{where}, attribute {attr.name!r}", node, attr.name)
        if t in (AttributeProto.SPARSE_TENSOR, AttributeProto.TYPE_PROTO):
            cls = "SparseTensorProto" if t == AttributeProto.SPARSE_TENSOR else "TypeProto"
            value = attr.sparse_tensor if t == AttributeProto.SPARSE_TENSOR else attr.tp
            data = base64.b64encode(value.SerializeToString()).decode("ascii")
            return f'onnx.{cls}.FromString(base64.b64decode("{data}"))'
        if t == AttributeProto.TENSORS:
            return "[" + ", ".join(self.tensor_text(v, f"{where}, attribute {attr.name!r}") for v in attr.tensors) + "]"
        raise TranslateError(
            f"translate: {where}: attribute {attr.name!r} is of kind {AttributeProto.AttributeType.Name(t)}, "
            "which the algebra has no value for."
        )

    # -- graphs
    def graph(self, graph: GraphProto, where: str, node: NodeProto, attr_name: str) -> str:
        """Write a subgraph's nodes; returns the Python name bound to its ``Graph``."""
        scope: dict[str, str] = {}
        self.var_of.append(scope)
        self.types.update(self._known_types(graph))
        inputs = []
        for vi in graph.input:
            if not vi.HasField("type"):
                raise TranslateError(f"translate: {where}: body input {vi.name!r} has no type; the algebra needs typed bodies.")
            var = self.fresh(vi.name)
            self.lines.append(f"{var} = Var({vi.name!r}, {self.type_text(vi.type, where)})")
            scope[vi.name] = var
            inputs.append(var)
        self.initializers(graph, where)
        for inner in graph.node:
            self.node(inner)
        outputs = [self.lookup(o.name, where) for o in graph.output]
        self.var_of.pop()
        gname = self.fresh(f"{node.op_type.lower()}_{attr_name}", "g")
        self.lines.append(f"{gname} = Graph([{', '.join(inputs)}], [{', '.join(outputs)}], name={graph.name or attr_name!r})")
        return gname

    def initializers(self, graph: GraphProto, where: str) -> None:
        if len(graph.sparse_initializer):
            raise TranslateError(f"translate: {where} has sparse initializers, which the algebra cannot hold.")
        scope = self.var_of[-1]
        for tensor in graph.initializer:
            var = self.fresh(tensor.name, "w")
            named = tensor.name if graph is self.model.graph else None
            self.lines.append(f"{var} = {self.tensor_text(tensor, f'initializer {tensor.name!r}', named)}")
            scope[tensor.name] = var

    def op_class(self, node: NodeProto, where: str) -> tuple[str, str]:
        """The Python name of the node's operator class and the ``op_version=`` text (may be empty)."""
        key = (node.domain, node.op_type)
        known = self.standard.get(key)
        if known is not None:
            return known
        domain = "" if node.domain == "ai.onnx" else node.domain
        opset = self.opsets.get(domain)
        if opset is None:
            raise TranslateError(f"translate: {where}: its domain {domain!r} is not among the model's opset imports.")
        if domain in _STANDARD:
            try:
                schema = defs.get_schema(node.op_type, opset, domain)
                latest = defs.get_schema(node.op_type, domain=domain)
            except defs.SchemaError:
                raise TranslateError(
                    f"translate: {where}: operator {node.op_type!r} does not exist in domain {domain or 'ai.onnx'!r} "
                    f"at opset {opset}."
                ) from None
            cls = f"Onnx{node.op_type}"
            self.classes.add(cls)
            pin = f", op_version={opset}" if schema.since_version != latest.since_version else ""
            variadic = any(o.option == defs.OpSchema.FormalParameterOption.Variadic for o in schema.outputs)
            self.standard[key] = (cls, pin)
            self.variadic[key] = variadic
            return cls, pin
        return self.custom_class(node, domain, opset, where), ""

    def custom_class(self, node: NodeProto, domain: str, opset: int, where: str) -> str:
        key = (domain, node.op_type)
        kinds = {a.name: _CUSTOM_KINDS.get(a.type) for a in node.attribute}
        bad = [n for n, k in kinds.items() if k is None]
        if bad:
            raise TranslateError(f"translate: {where}: attribute {bad[0]!r} is of a kind a custom operator cannot declare.")
        known = self.custom.get(key)
        if known is None:
            var = self.fresh(f"{node.op_type}", "op")
            self.custom[key] = (var, len(node.input), len(node.output), dict(kinds), opset)  # type: ignore[arg-type]
            return var
        var, n_in, n_out, old_kinds, _ = known
        old_kinds.update(kinds)  # type: ignore[arg-type]
        self.custom[key] = (var, max(n_in, len(node.input)), max(n_out, len(node.output)), old_kinds, opset)
        return var

    def node(self, node: NodeProto) -> None:
        where = f"node {node.name or '(unnamed)'!r} ({node.domain + '.' if node.domain else ''}{node.op_type})"
        cls, pin = self.op_class(node, where)
        args = [("None" if not i else self.lookup(i, where)) for i in node.input]
        custom = (("" if node.domain == "ai.onnx" else node.domain), node.op_type) in self.custom
        attrs = [f"{a.name}={self.attribute_text(a, node, where)}" for a in node.attribute]
        outs = list(node.output)
        while outs and not outs[-1] and len(outs) > 1:
            outs.pop()
        extra = ""
        if custom:
            types = []
            self._infer_types()
            for o in outs:
                tp = self.types.get(o)
                if tp is None and node.input and node.input[0] in self.types:  # the first input's element type
                    first = self.types[node.input[0]]
                    if first.WhichOneof("value") == "tensor_type":
                        tp = TypeProto()
                        tp.tensor_type.elem_type = first.tensor_type.elem_type
                if tp is None or tp.WhichOneof("value") != "tensor_type":
                    raise TranslateError(
                        f"translate: {where}: the type of its output {o!r} is unknown (onnx cannot infer operators "
                        "of this domain); add it to the model's value_info."
                    )
                types.append(self.type_text(tp, where))
            extra = f", output_types=[{', '.join(types)}]"
        elif "" in outs:
            extra = f", output_names={outs!r}"
        elif len(outs) != 1 or self._variadic(node):
            extra = f", n_outputs={len(outs)}"
        call = f"{cls}({', '.join([*args, *attrs])}{pin}{extra})"
        scope = self.var_of[-1]
        names = [self.fresh(o) if o else "_" for o in outs]
        for o, n in zip(outs, names):
            if o:
                scope[o] = n
        if len(outs) == 1:
            self.lines.append(f"{names[0]} = {call}")
        else:
            node_var = self.fresh(f"{node.op_type.lower()}_node", "n")
            self.lines.append(f"{node_var} = {call}")
            for i, (o, n) in enumerate(zip(outs, names)):
                if o:
                    self.lines.append(f"{n} = {node_var}[{i}]")

    def _infer_types(self) -> None:
        """Types of every value onnx's inference knows (once, for operators of other domains)."""
        if self.inferred:
            return
        self.inferred = True
        try:
            inferred = onnx.shape_inference.infer_shapes(self.model)
        except Exception:  # a model onnx cannot infer: the declared types only
            return
        for name, tp in self._known_types(inferred.graph).items():
            self.types.setdefault(name, tp)

    def _variadic(self, node: NodeProto) -> bool:
        return self.variadic.get((node.domain, node.op_type), False)

    # -- the model
    def write(self) -> str:
        graph = self.model.graph
        self.var_of.append({})
        scope = self.var_of[-1]
        init_names = {t.name for t in graph.initializer}
        inputs = []
        body: list[str] = []
        self.lines = body
        for vi in graph.input:
            if vi.name in init_names:
                continue  # an initializer listed as an input (IR < 4): a constant here
            if not vi.HasField("type"):
                raise TranslateError(f"translate: graph input {vi.name!r} has no type.")
            var = self.fresh(vi.name)
            self.lines.append(f"{var} = Var({vi.name!r}, {self.type_text(vi.type, f'graph input {vi.name!r}')})")
            scope[vi.name] = var
            inputs.append(var)
        self.initializers(graph, "the graph")
        for node in graph.node:
            self.node(node)
        outputs = []
        specs = []
        for o in graph.output:
            var = self.lookup(o.name, f"graph output {o.name!r}")
            if var in inputs:
                var = f"OnnxIdentity({var})"
                self.classes.add("OnnxIdentity")
            outputs.append(var)
            if o.HasField("type") and o.type.WhichOneof("value"):
                specs.append(f"({o.name!r}, {self.type_text(o.type, f'graph output {o.name!r}')})")
            else:
                specs.append(repr(o.name))
        opsets = ", ".join(f"{d!r}: {v}" for d, v in sorted(self.opsets.items()))
        self.lines.append(
            f"return to_onnx([{', '.join(outputs)}], [{', '.join(inputs)}], outputs=[{', '.join(specs)}], "
            f"target_opset={{{opsets}}})"
        )
        return self.assemble(body)

    def assemble(self, body: list[str]) -> str:
        graph = self.model.graph
        head = [
            f'"""{_doc_name(graph.name)}: translated by onnxalgebra.translate.',
            "",
            "Running it binds ``model`` to an equivalent onnx.ModelProto.",
            '"""',
            "",
        ]
        imports = [
            "import numpy as np",
            "from onnx import TensorProto",
            "from onnxalgebra import Graph, MapType, OptionalType, SequenceType, TensorType, Var, to_onnx",
        ]
        if any("onnx." in line for line in body):
            imports.insert(1, "import onnx")
        if self.need_tensor or any("base64." in line for line in body):
            imports.insert(0, "import base64")
        if self.need_tensor or self.need_weights:
            imports.append("from onnx import numpy_helper")
        if self.custom:
            imports.append("from onnxalgebra import OperatorError, custom_operator, operator_class")
        classes = sorted(self.classes)
        for i in range(0, len(classes), 6):
            imports.append(f"from onnxalgebra import {', '.join(classes[i:i + 6])}")
        out = head + imports + [""]
        if self.custom:
            out.append("")
        if self.need_tensor:
            out += ["", "def _tensor(data):", "    return numpy_helper.to_array(TensorProto.FromString(base64.b64decode(data)))"]
            out.append("")
        if self.need_weights:
            out += [
                "",
                "def _load_weights(path):",
                "    import onnx",
                "",
                "    model = onnx.load(path)",
                "    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}",
                "",
            ]
        if self.custom:
            out += [
                "",
                "def _custom(op_type, domain, n_inputs, n_outputs, attributes, version):",
                '    """The class of an operator onnx does not define: declared here, or as declared before in this process."""',
                "    try:",
                "        inputs, outputs = [f'X{i}' for i in range(n_inputs)], [f'Y{i}' for i in range(n_outputs)]",
                "        return custom_operator(op_type, domain, inputs=inputs, outputs=outputs, attributes=attributes,",
                "                               version=version)",
                "    except OperatorError:  # declared before in this process (by a converter): its schema gives the types",
                "        cls = operator_class(op_type)",
                "        if cls.domain != domain:",
                "            raise",
                "        return lambda *inputs, output_types, **attributes: cls(*inputs, **attributes)",
                "",
                "",
            ]
        for (domain, op_type), (var, n_in, n_out, kinds, version) in sorted(self.custom.items()):
            out.append(f"{var} = _custom({op_type!r}, {domain!r}, {n_in}, {n_out}, {dict(sorted(kinds.items()))!r}, {version})")
        out += ["", "def build(weights=None):"]
        out += ["    " + line for line in body]
        out += ["", ""]
        if self.need_weights:
            out.append(f"model = build(_load_weights({str(self.path)!r}))")
        else:
            out.append("model = build()")
        return "\n".join(out) + "\n"


_CUSTOM_KINDS = {
    AttributeProto.INT: "int",
    AttributeProto.FLOAT: "float",
    AttributeProto.STRING: "string",
    AttributeProto.INTS: "ints",
    AttributeProto.FLOATS: "floats",
    AttributeProto.STRINGS: "strings",
    AttributeProto.TENSOR: "tensor",
}


def _untyped_bodies(graph: GraphProto) -> bool:
    for node in graph.node:
        for attr in node.attribute:
            for g in [attr.g] if attr.type == AttributeProto.GRAPH else attr.graphs:
                if any(not vi.HasField("type") for vi in g.input) or _untyped_bodies(g):
                    return True
    return False


def _doc_name(name: str) -> str:
    text = re.sub(r"[^\w .,-]", "_", name or "model", flags=re.ASCII)
    return text[:60] or "model"


def _bytes_text(value: bytes) -> str:
    try:
        return repr(value.decode("utf-8"))
    except UnicodeDecodeError:
        return repr(value)


def translate(model: Any, *, style: str = "operators", weights: str | None = None) -> str:
    """Python source, written with the algebra, that rebuilds ``model`` (a ``ModelProto``, its bytes or a path).

    The source defines ``build(weights=None)`` and ends with ``model = build(...)``:
    run with ``exec`` in a fresh namespace, it binds ``model`` to a model
    giving the same outputs on the same inputs. Graph inputs and outputs keep
    their names, types and symbolic dimensions; the opsets are the model's.
    Python names are the ONNX names made identifiers; the text is deterministic.

    Tensors of at most 16 elements are literals (``np.array([...], dtype=np.float32)``,
    floats written so they parse back bit for bit). Larger ones depend on
    ``weights``: ``"inline"`` writes each as base64 of its ``TensorProto``
    (self-contained source, the default for an in-memory model); ``"path"``
    (the default when ``model`` is a path) makes ``build`` take a dict
    initializer name -> array, and the module reads it from that file.

    Local functions are inlined (``onnx.inliner``): the algebra has no
    functions yet. Operators of domains onnx does not define become
    :func:`custom_operator` declarations, their output types taken from the
    model's value_info. Anything the algebra cannot express raises
    :class:`TranslateError` naming the node.

    >>> import numpy as np
    >>> from onnxalgebra import OnnxAdd, Var
    >>> m = OnnxAdd(Var("X", np.float32, ["N", 2]), np.float32(1)).to_onnx(outputs=["Y"])
    >>> namespace = {}
    >>> exec(translate(m), namespace)
    >>> [o.name for o in namespace["model"].graph.output]
    ['Y']
    """
    if style != "operators":
        raise TranslateError(f"translate: style={style!r} is not supported; use style='operators'.")
    proto, path = _load(model)
    if weights is None:
        weights = "path" if path is not None else "inline"
    if weights not in ("inline", "path"):
        raise TranslateError(f"translate: weights={weights!r}; expected 'inline' or 'path'.")
    if weights == "path" and path is None:
        raise TranslateError("translate: weights='path' needs the model given as a path (the source reads the file).")
    if len(proto.functions):
        from onnx import inliner

        proto = inliner.inline_local_functions(proto)
    if _untyped_bodies(proto.graph):
        try:  # onnx's inference types the bodies' inputs from the node's inputs
            proto = onnx.shape_inference.infer_shapes(proto)
        except Exception:  # the untyped input is then named by the error below
            pass
    return _Writer(proto, weights, path).write()
