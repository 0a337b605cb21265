"""Output types of ``ai.onnx.ml`` operators where ONNX's inference gives none or no shape.

Several ``ai.onnx.ml`` operators (LinearRegressor, Scaler, SVMRegressor...)
have no inference function, and others type an output without a shape; a
graph output without a shape fails ``onnx.checker``. The rules here give what
onnxruntime produces: a batch of ``N`` rows in, ``N`` rows out (a 1-D input
is one row). :func:`complete` fills only the outputs ONNX left untyped or
shapeless.

The tree ensembles before ``TreeEnsemble`` (v5) carry their trees in lists of
tens of thousands of values that ONNX's inference never reads (it reads
``n_targets``, the class labels, and whether a list is present):
:func:`ignored_by_inference` names them, so that they are handed to it empty,
and :func:`check_lists` checks what ONNX does not, that the lists describing
one node (or one leaf weight) have one value each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from onnx import TensorProto

from ._errors import OnnxTypeError
from ._types import Dim, TensorType, ValueType

__all__ = ["check_lists", "complete", "has_rule", "ignored_by_inference"]

Attributes = Mapping[str, Any]
Rule = Callable[[Attributes, Sequence[ValueType | None]], tuple[ValueType | None, ...]]
_RULES: dict[str, Rule] = {}

_FLOAT = TensorProto.FLOAT
_INT64 = TensorProto.INT64
_STRING = TensorProto.STRING


def _rule(*names: str) -> Callable[[Rule], Rule]:
    def decorate(fn: Rule) -> Rule:
        for name in names:
            _RULES[name] = fn
        return fn

    return decorate


def _rows(vtype: ValueType | None) -> Dim:
    """The number of rows of an ``[N, C]`` input (1 for a 1-D input, None when unknown)."""
    if not isinstance(vtype, TensorType) or vtype.shape is None or len(vtype.shape) == 0:
        return None
    return 1 if len(vtype.shape) == 1 else vtype.shape[0]


def _label_type(attributes: Attributes, ints: str, rows: Dim) -> TensorType:
    elem = _INT64 if attributes.get(ints) else _STRING
    return TensorType(elem, (rows,))


@_rule("LinearRegressor")
def _linear_regressor(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    return (TensorType(_FLOAT, (_rows(inputs[0]), int(attributes.get("targets", 1)))),)


@_rule("SVMRegressor")
def _svm_regressor(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    return (TensorType(_FLOAT, (_rows(inputs[0]), 1)),)


@_rule("TreeEnsembleRegressor")
def _tree_regressor(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    return (TensorType(_FLOAT, (_rows(inputs[0]), int(attributes.get("n_targets", 1)))),)


@_rule("TreeEnsemble")
def _tree_ensemble(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    x = inputs[0]
    if not isinstance(x, TensorType) or "n_targets" not in attributes:
        return (None,)
    return (TensorType(x.elem_type, (_rows(x), int(attributes["n_targets"]))),)


@_rule("TreeEnsembleClassifier")
def _tree_classifier(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    rows = _rows(inputs[0])
    labels = attributes.get("classlabels_int64s") or attributes.get("classlabels_strings") or ()
    return _label_type(attributes, "classlabels_int64s", rows), TensorType(_FLOAT, (rows, len(labels) or None))


@_rule("SVMClassifier", "LinearClassifier")
def _classifier(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    rows = _rows(inputs[0])
    return _label_type(attributes, "classlabels_ints", rows), TensorType(_FLOAT, (rows, None))


@_rule("Scaler", "Normalizer")
def _float_same_shape(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    x = inputs[0]
    return (TensorType(_FLOAT, x.shape if isinstance(x, TensorType) else None),)


@_rule("Imputer", "Binarizer")
def _same_type(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    return (inputs[0] if isinstance(inputs[0], TensorType) else None,)


@_rule("FeatureVectorizer")
def _feature_vectorizer(attributes: Attributes, inputs: Sequence[ValueType | None]) -> tuple[ValueType | None, ...]:
    dims = attributes.get("inputdimensions")
    return (TensorType(_FLOAT, (_rows(inputs[0]), sum(dims) if dims else None)),)


def has_rule(op_type: str) -> bool:
    """True when this module knows the output types of the ``ai.onnx.ml`` operator ``op_type``."""
    return op_type in _RULES


def _incomplete(vtype: ValueType | None) -> bool:
    return vtype is None or (isinstance(vtype, TensorType) and vtype.shape is None)


def complete(
    op_type: str,
    inferred: tuple[ValueType | None, ...],
    attributes: Mapping[str, Any],
    input_types: Sequence[ValueType | None],
) -> tuple[ValueType | None, ...]:
    """``inferred`` with its untyped or shapeless outputs replaced by the rule's types.

    ``attributes`` are the node's attributes, by name.

    >>> x = TensorType(TensorProto.FLOAT, ("N", 3))
    >>> [str(t) for t in complete("LinearRegressor", (TensorType(TensorProto.FLOAT),), {"targets": 2}, (x,))]
    ['tensor(float)[N, 2]']
    """
    rule = _RULES.get(op_type)
    if rule is None or not any(_incomplete(t) for t in inferred):
        return inferred
    ruled = rule(attributes, input_types)
    return tuple(ruled[i] if _incomplete(t) and i < len(ruled) and ruled[i] is not None else t for i, t in enumerate(inferred))


_TREE_ENSEMBLES = {"TreeEnsembleRegressor": "target_", "TreeEnsembleClassifier": "class_"}
_READ_BY_INFERENCE = {"classlabels_int64s", "classlabels_strings", "base_values", "base_values_as_tensor"}


def ignored_by_inference(op_type: str, since_version: int) -> frozenset[str] | None:
    """The list attributes of ``op_type`` whose values ONNX's inference never reads (None: it may read all).

    >>> sorted(ignored_by_inference("TreeEnsembleRegressor", 3))[:2]
    ['nodes_falsenodeids', 'nodes_featureids']
    >>> ignored_by_inference("TreeEnsemble", 5) is None
    True
    """
    if op_type not in _TREE_ENSEMBLES or since_version > 3:
        return None
    return _list_names(op_type)


@functools.cache
def _list_names(op_type: str) -> frozenset[str]:
    """The list attributes of version 3 of ``op_type`` that inference does not read (looked up once, when first needed)."""
    from onnx import defs

    schema = defs.get_schema(op_type, 3, "ai.onnx.ml")
    lists = (defs.OpSchema.AttrType.INTS, defs.OpSchema.AttrType.FLOATS, defs.OpSchema.AttrType.STRINGS)
    return frozenset(n for n, a in schema.attributes.items() if a.type in lists and n not in _READ_BY_INFERENCE)


def check_lists(label: str, op_type: str, attributes: Attributes) -> None:
    """Raise :class:`OnnxTypeError` when a tree ensemble's ``nodes_*`` (or weight) lists differ in length.

    >>> check_lists("TreeEnsembleRegressor", "TreeEnsembleRegressor", {"nodes_treeids": [0, 0], "nodes_modes": ["LEAF"]})
    Traceback (most recent call last):
    ...
    onnxalgebra._errors.OnnxTypeError: TreeEnsembleRegressor: the nodes_* attributes describe one node per position \
and must have the same length; got nodes_modes: 1, nodes_treeids: 2.
    """
    prefix = _TREE_ENSEMBLES.get(op_type)
    if prefix is None:
        return
    for group in ("nodes_", prefix):
        lengths = {n: len(v) for n, v in attributes.items() if n.startswith(group) and not n.endswith("_as_tensor")}
        if len(set(lengths.values())) > 1:
            what = "node" if group == "nodes_" else "leaf weight"
            listed = ", ".join(f"{n}: {k}" for n, k in sorted(lengths.items()))
            raise OnnxTypeError(
                f"{label}: the {group}* attributes describe one {what} per position "
                f"and must have the same length; got {listed}."
            )
