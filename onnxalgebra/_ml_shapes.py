"""Output types of ``ai.onnx.ml`` operators where ONNX's inference gives none or no shape.

Several ``ai.onnx.ml`` operators (LinearRegressor, Scaler, SVMRegressor...)
have no inference function, and others type an output without a shape; a
graph output without a shape fails ``onnx.checker``. The rules here give what
onnxruntime produces: a batch of ``N`` rows in, ``N`` rows out (a 1-D input
is one row). :func:`complete` fills only the outputs ONNX left untyped or
shapeless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from onnx import TensorProto

from ._types import Dim, TensorType, ValueType

__all__ = ["complete", "has_rule"]

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
