"""Models over protobuf's 2 GB limit: saved with their large tensors as external data.

Protobuf cannot serialise a message of 2 GB or more, so a model holding a
2.4 GB weight cannot become bytes whole: not for a file, not for
``onnx.checker``, not for an ``InferenceSession`` built from bytes. ONNX's
answer is external data: a tensor's bytes live in a file beside the model,
the tensor keeping only their location, offset and length.

:func:`save_model` writes a model as one ``.onnx`` file when it serialises
under the limit, else as the ``.onnx`` file plus one ``<file name>.data``
file holding every tensor of at least :data:`EXTERNAL_THRESHOLD` bytes
(each at an offset aligned to 4096 bytes, which lets onnxruntime map it
rather than copy it). :func:`check_model` runs ``onnx.checker`` on any model,
through the same external data in a temporary folder.

The model given is neither modified nor copied whole: protobuf copies a
message by serialising it, which fails over the limit, and the memory of a
cleared field is not returned before the model itself is freed. Everything
but the main graph's initializers is copied (nodes and functions, small);
each initializer is serialised on its own, a large one as a reference to the
data file; the records are joined as protobuf parses them (a message is its
fields' records one after another).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import onnx
from google.protobuf.message import EncodeError, Message
from onnx import AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, helper

from .._wire import length_delimited

__all__ = [
    "save_model",
    "check_model",
    "infer_shapes",
    "inference_session",
    "exceeds_limit",
    "model_tensors",
    "PROTOBUF_LIMIT",
    "EXTERNAL_THRESHOLD",
]

PROTOBUF_LIMIT = (1 << 31) - 1  # the largest message protobuf serialises
EXTERNAL_THRESHOLD = 1024  # tensors at least this large go to the data file (onnx.save's default)
_ALIGN = 4096
_GRAPH, _INITIALIZER = 7, 5  # field numbers: ModelProto.graph, GraphProto.initializer
_HALF_BYTE = {TensorProto.INT4, TensorProto.UINT4} | ({TensorProto.FLOAT4E2M1} if hasattr(TensorProto, "FLOAT4E2M1") else set())


def _graph_tensors(graph: GraphProto) -> Iterator[TensorProto]:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    yield from _node_tensors(graph.node)


def _node_tensors(nodes: Iterable[NodeProto]) -> Iterator[TensorProto]:
    for node in nodes:
        for attr in node.attribute:
            if attr.type == AttributeProto.TENSOR:
                yield attr.t
            elif attr.type == AttributeProto.TENSORS:
                yield from attr.tensors
            elif attr.type == AttributeProto.SPARSE_TENSOR:
                yield attr.sparse_tensor.values
                yield attr.sparse_tensor.indices
            elif attr.type == AttributeProto.GRAPH:
                yield from _graph_tensors(attr.g)
            elif attr.type == AttributeProto.GRAPHS:
                for graph in attr.graphs:
                    yield from _graph_tensors(graph)


def model_tensors(model: ModelProto) -> Iterator[TensorProto]:
    """Every tensor of ``model``: initializers, sparse ones, node attributes, subgraphs' and functions'."""
    yield from _graph_tensors(model.graph)
    for function in model.functions:
        yield from _node_tensors(function.node)


def _raw_size(tensor: TensorProto) -> int:
    """The length of ``tensor.raw_data`` from its dims and type, without copying the bytes out."""
    if not tensor.HasField("raw_data"):
        return 0
    count = math.prod(tensor.dims)
    if tensor.data_type in _HALF_BYTE:
        return (count + 1) // 2
    try:
        return count * helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, TypeError, ValueError):
        return len(tensor.raw_data)


def exceeds_limit(model: ModelProto) -> bool:
    """True when the raw bytes of ``model``'s tensors alone pass protobuf's 2 GB limit (no serialisation needed).

    >>> exceeds_limit(ModelProto())
    False
    """
    return sum(_raw_size(t) for t in model_tensors(model)) > PROTOBUF_LIMIT


def _not_loaded(model: ModelProto) -> None:
    for tensor in model_tensors(model):
        if tensor.data_location == TensorProto.EXTERNAL and not tensor.HasField("raw_data"):
            where = next((e.value for e in tensor.external_data if e.key == "location"), "?")
            raise ValueError(
                f"tensor {tensor.name!r} refers to external data {where!r} that is not loaded: this model was "
                "loaded without its data. Load it with onnx.load(path) (load_external_data=True, the default) "
                "from the folder of its data file, then save it."
            )


def _node_size(node: NodeProto) -> int:
    try:
        return node.ByteSize()
    except EncodeError:  # a node over the limit
        return PROTOBUF_LIMIT + 1


def _largest_nodes(model: ModelProto) -> str:
    sizes = sorted(((_node_size(n), n.name or n.op_type) for n in model.graph.node), reverse=True)[:3]
    return ", ".join(f"{name} ({size:,} bytes)" for size, name in sizes) or "none"


def _too_large(model: ModelProto) -> ValueError:
    return ValueError(
        "the model is over protobuf's 2 GB limit even with its tensors as external data: only tensors can "
        f"be stored outside the model, and each node must stay under 2 GB. Its largest nodes: {_largest_nodes(model)}. "
        "Split the large attributes (a tree ensemble's lists, string tensors, a Constant node's tensor: make it an "
        "initializer) across several nodes or models."
    )


def _copy_fields(source: Message, target: Message, skip: str = "") -> None:
    """Copy ``source``'s fields into ``target``, all but ``skip``, a field at a time (each part stays under 2 GB)."""
    for field, value in source.ListFields():
        if field.name == skip:
            continue
        if field.is_repeated:
            getattr(target, field.name).extend(value)
        elif field.message_type is not None:
            getattr(target, field.name).CopyFrom(value)
        else:
            setattr(target, field.name, value)


class _DataFile:
    """The external data file being written: each tensor at an offset aligned to 4096 bytes."""

    def __init__(self, out: BinaryIO, location: str):
        self.out, self.location = out, location

    def add(self, raw: bytes, tensor: TensorProto) -> None:
        """Write ``raw`` and make ``tensor`` (holding no raw_data) refer to it."""
        offset = self.out.tell()
        if offset % _ALIGN:
            self.out.write(b"\0" * (_ALIGN - offset % _ALIGN))
            offset = self.out.tell()
        self.out.write(raw)
        tensor.data_location = TensorProto.EXTERNAL
        del tensor.external_data[:]
        for key, value in (("location", self.location), ("offset", str(offset)), ("length", str(len(raw)))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value


def _initializer_record(tensor: TensorProto, data: _DataFile, threshold: int) -> bytes:
    """The wire record of one initializer: the tensor, or a reference to its bytes, written to ``data``."""
    if not tensor.HasField("raw_data") or _raw_size(tensor) < threshold:
        return length_delimited(_INITIALIZER, tensor.SerializeToString())
    reference = TensorProto()
    _copy_fields(tensor, reference, skip="raw_data")
    data.add(tensor.raw_data, reference)  # raw_data gives a copy (upb hands out bytes), freed once written
    return length_delimited(_INITIALIZER, reference.SerializeToString())


def _without_initializers(model: ModelProto) -> ModelProto:
    """A copy of ``model`` without its graph's initializers, made field by field (nodes, subgraphs, functions:
    copies, changed freely; the model itself may be over 2 GB)."""
    header = ModelProto()
    try:
        _copy_fields(model, header, skip="graph")
        _copy_fields(model.graph, header.graph, skip="initializer")
    except EncodeError:  # a node or a function over 2 GB cannot be copied
        raise _too_large(model) from None
    return header


def _serialize_outside(model: ModelProto, data_path: Path, threshold: int = EXTERNAL_THRESHOLD) -> bytes:
    """The bytes of ``model`` with its tensors of ``threshold`` bytes or more written to ``data_path``."""
    header = _without_initializers(model)
    with open(data_path, "wb") as out:
        data = _DataFile(out, data_path.name)
        records = [_initializer_record(t, data, threshold) for t in model.graph.initializer]
        for tensor in model_tensors(header):  # Constant nodes, subgraphs' initializers, functions
            if tensor.HasField("raw_data") and _raw_size(tensor) >= threshold:
                data.add(tensor.raw_data, tensor)
                tensor.ClearField("raw_data")
    try:
        graph = header.graph.SerializeToString() + b"".join(records)
        header.ClearField("graph")
        result = header.SerializeToString() + length_delimited(_GRAPH, graph)
    except EncodeError:
        result = None
    if result is None or len(result) > PROTOBUF_LIMIT:
        raise _too_large(model)
    return result


def save_model(model: ModelProto, path: str | os.PathLike[str], *, size_limit: int | None = None) -> list[Path]:
    """Save ``model`` to ``path``, with its large tensors as external data when it is over protobuf's limit.

    A model that serialises to at most ``size_limit`` bytes (protobuf's
    2 GB limit by default) is written as one file, as ``onnx.save`` would.
    A larger one is written as ``path`` plus ``<file name>.data`` beside it
    (``model.onnx.data`` for ``model.onnx``), which holds every tensor of at
    least 1 KB; the model refers to it by that relative name, so move the two
    files together. Load it with ``onnx.load(path)`` or
    ``onnxruntime.InferenceSession(path)``. ``model`` is not modified. The
    same model gives the same bytes. Returns the paths written. A lower
    ``size_limit`` (0: always) writes external data for smaller models too;
    None means :data:`PROTOBUF_LIMIT`.

    >>> import numpy as np, tempfile, pathlib
    >>> from onnxalgebra import Var, to_onnx
    >>> model = to_onnx(Var("X", np.float32, [None, 2]) + 1.0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [p.name for p in save_model(model, pathlib.Path(folder) / "m.onnx")]
    ['m.onnx']
    """
    if not isinstance(model, ModelProto):
        raise TypeError(f"save_model: expected an onnx.ModelProto (what to_onnx returns), got {type(model).__name__}.")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save_model: the folder {path.parent} of {path} does not exist; create it first.")
    if path.is_dir():
        raise IsADirectoryError(f"save_model: {path} is a folder; give a file name such as {path / 'model.onnx'}.")
    _not_loaded(model)
    if size_limit is None:  # read at call time, not bound at definition (the tests shrink the limit)
        size_limit = PROTOBUF_LIMIT
    if sum(_raw_size(t) for t in model_tensors(model)) <= size_limit:
        try:
            data = model.SerializeToString()
        except EncodeError:  # attributes, not tensors, take the room: external data will say so
            data = None
        if data is not None and len(data) <= size_limit:
            path.write_bytes(data)
            return [path]
    data_path = path.with_name(path.name + ".data")
    try:
        header = _serialize_outside(model, data_path)
    except ValueError:
        data_path.unlink(missing_ok=True)
        raise
    path.write_bytes(header)
    return [path, data_path]


def check_model(model: ModelProto, full_check: bool = False) -> None:
    """``onnx.checker.check_model(model, full_check)`` that also works on a model over 2 GB.

    The checker takes a model as bytes; a model over the limit is checked
    with its large tensors moved to a temporary file meanwhile (the checker
    sees them as external data). Raises ``onnx.checker.ValidationError``.

    >>> import numpy as np
    >>> from onnxalgebra import Var, to_onnx
    >>> check_model(to_onnx(Var("X", np.float32, [None, 2]) * 2.0))
    """
    if not exceeds_limit(model):
        try:
            onnx.checker.check_model(model.SerializeToString(), full_check=full_check)
            return
        except EncodeError:
            pass
    with tempfile.TemporaryDirectory(prefix="onnxalgebra-check-") as folder:
        path = Path(folder) / "model.onnx"
        path.write_bytes(_serialize_outside(model, Path(folder) / "model.onnx.data"))  # the data file stays
        onnx.checker.check_model(str(path), full_check=full_check)  # a path: the checker finds the data file


_NOT_LOADED = "(data left out for shape inference)"


def _without_data(model: ModelProto, threshold: int = EXTERNAL_THRESHOLD) -> ModelProto:
    """A copy of ``model`` whose tensors of ``threshold`` bytes or more keep their type and dims but no data.

    Each such tensor is marked as external data at a location that does not
    exist: shape inference reads only types and dims from it (ONNX's own
    ``infer_shapes_path`` sees a saved big model the same way). The copy is
    made field by field, an initializer at a time, so the model may be over 2 GB.
    """
    header = _without_initializers(model)
    for tensor in model.graph.initializer:
        reference = header.graph.initializer.add()
        if tensor.HasField("raw_data") and _raw_size(tensor) >= threshold:
            _copy_fields(tensor, reference, skip="raw_data")
            _mark_left_out(reference)
        else:
            reference.CopyFrom(tensor)
    for tensor in model_tensors(header):  # Constant nodes, tensor attributes, subgraphs, functions
        if tensor.HasField("raw_data") and _raw_size(tensor) >= threshold:
            tensor.ClearField("raw_data")
            _mark_left_out(tensor)
    return header


def _mark_left_out(tensor: TensorProto) -> None:
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", _NOT_LOADED


def infer_shapes(model: ModelProto, **kwargs: Any) -> ModelProto:
    """``onnx.shape_inference.infer_shapes(model, **kwargs)`` that also works on a model over 2 GB.

    ONNX's inference serialises the model, which fails over protobuf's limit.
    A model over it is inferred without the data of its large tensors (their
    types and dims are what inference needs): the result then has every
    ``value_info`` but tensors of 1 KB or more hold no data (marked external,
    at a location that does not exist). Use it for types, not for running.

    >>> import numpy as np
    >>> from onnxalgebra import Var, to_onnx
    >>> model = to_onnx((Var("X", np.float32, [None, 2]) + 1.0) * 2.0)
    >>> [v.type.tensor_type.elem_type for v in infer_shapes(model).graph.value_info]
    [1]
    """
    if not exceeds_limit(model):
        try:
            return onnx.shape_inference.infer_shapes(model, **kwargs)
        except EncodeError:  # over the limit after all (attributes, not tensors, take the room)
            pass
    return onnx.shape_inference.infer_shapes(_without_data(model), **kwargs)


def inference_session(model: ModelProto, providers: Sequence[str] = ("CPUExecutionProvider",), **kwargs: Any) -> Any:
    """An ``onnxruntime.InferenceSession`` of ``model``, also when it is over 2 GB.

    A model under the limit is given to onnxruntime as bytes. A larger one is
    written with :func:`save_model` (its large tensors as external data) to a
    temporary folder that onnxruntime loads from and that is removed once the
    session is made (onnxruntime has then read or mapped the data).

    >>> import numpy as np
    >>> from onnxalgebra import Var, to_onnx
    >>> session = inference_session(to_onnx(Var("X", np.float32, [None, 2]) * 2.0))
    >>> session.run(None, {"X": np.ones((1, 2), np.float32)})[0].tolist()
    [[2.0, 2.0]]
    """
    from onnxruntime import InferenceSession

    if not exceeds_limit(model):
        try:
            return InferenceSession(model.SerializeToString(), providers=list(providers), **kwargs)
        except EncodeError:
            pass
    with tempfile.TemporaryDirectory(prefix="onnxalgebra-session-", ignore_cleanup_errors=True) as folder:
        path = Path(folder) / "model.onnx"
        save_model(model, path, size_limit=0)
        return InferenceSession(str(path), providers=list(providers), **kwargs)
