"""Small pieces shared by the converters, written with the algebra's public API."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from onnxalgebra import (
    Constant,
    ConversionError,
    Expr,
    OnnxArgMax,
    OnnxArrayFeatureExtractor,
    OnnxConcat,
    OnnxExp,
    OnnxGather,
    OnnxReduceSum,
    OnnxWhere,
)


def check_options(est: Any, options: dict | None, known: tuple[str, ...] = (), hint: str = "") -> dict:
    """``options`` (a new dict) when every key is in ``known``; else an error naming the estimator and the unknown
    keys (``hint``: why, after them).

    >>> check_options(object(), {"score_samples": True}, ("score_samples",))
    {'score_samples': True}
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(known))
    if unknown:
        accepted = ", ".join(repr(k) for k in known) if known else "none"
        raise ConversionError(f"{type(est).__name__}: unknown option(s) {unknown}{hint}; this converter accepts {accepted}.")
    return options


def select_columns(X: Expr, indices: Any, n_features: int | None = None) -> Expr:
    """``X[:, indices]``: X itself for ``indices`` None or all its ``n_features`` columns in order, else one
    ``ai.onnx.ml`` ArrayFeatureExtractor (in onnxruntime much faster than Gather on axis 1, and than Slice), or a
    Gather for the types it does not take (bool, int8, uint8, ...)."""
    if indices is None:
        return X
    indices = np.asarray(indices, dtype=np.int64)
    if n_features is not None and np.array_equal(indices, np.arange(n_features)):
        return X
    if X.dtype is None or X.dtype.kind in "OUS" or X.dtype in (np.float32, np.float64, np.int64, np.int32):
        return OnnxArrayFeatureExtractor(X, indices)
    return OnnxGather(X, indices, axis=1)


def classes_constant(estimator: Any) -> Constant:
    """``classes_`` as a constant: int64 for integer labels, bool, float64 or strings for the others."""
    classes = np.asarray(estimator.classes_)
    if classes.dtype.kind == "b":
        return Constant(classes)
    if classes.dtype.kind in "iu":
        return Constant(classes.astype(np.int64))
    if classes.dtype.kind == "f":
        return Constant(classes.astype(np.float64))
    return Constant(classes.astype(str).astype(object))


def label_of(estimator: Any, index: Expr) -> Expr:
    """The class labels at positions ``index`` ([N] int64): ``index`` itself when ``classes_`` is ``0..n-1``."""
    classes = np.asarray(estimator.classes_)
    if classes.dtype.kind in "iu" and index.dtype == np.int64 and np.array_equal(classes, np.arange(len(classes))):
        return index
    return OnnxGather(classes_constant(estimator), index, axis=0)


def argmax_label(estimator: Any, scores: Expr) -> Expr:
    """The label of the largest score of each row (ties: the first, as numpy)."""
    return label_of(estimator, OnnxArgMax(scores, axis=1, keepdims=0))


def linear_label(estimator: Any, scores: Expr) -> Expr:
    """scikit-learn's linear ``predict``: the sign of a single score, else the argmax."""
    if scores.shape is not None and len(scores.shape) == 2 and scores.shape[1] == 1:
        return label_of(estimator, (scores.reshape(-1) > 0).astype(np.int64))
    return argmax_label(estimator, scores)


def binary_columns(p1: Expr) -> Expr:
    """[N, 1] probabilities of the positive class -> [N, 2] (negative, positive)."""
    return OnnxConcat(1 - p1, p1, axis=1)


def normalise_rows(prob: Expr) -> Expr:
    """Rows scaled to sum to 1; an all-zero row becomes uniform (scikit-learn's OvR rule)."""
    total = OnnxReduceSum(prob, np.array([1], dtype=np.int64), keepdims=1)
    zero = total == 0
    n_classes = prob.shape[1] if prob.shape is not None and isinstance(prob.shape[1], int) else None
    if n_classes is None:
        return prob / total
    return OnnxWhere(zero, 1.0 / n_classes, prob / OnnxWhere(zero, 1.0, total))


def expit(x: Expr, scale: float | None = None) -> Expr:
    """``1 / (1 + exp(-x))`` (``scale``: of ``scale * x``), finite where onnxruntime's ``Sigmoid`` flushes to 0
    (below -17 in float32, -36 in float64).

    >>> from onnxalgebra import Var
    >>> expit(Var("x", np.float32, [None])).eval({"x": np.array([0.0, -20.0], np.float32)}).tolist()[0]
    0.5
    """
    return 1 / (1 + OnnxExp(-x if scale is None else x * -scale))


def ovr_probabilities(scores: Expr) -> Expr:
    """One-vs-rest probabilities from decision scores, as ``_predict_proba_lr``."""
    prob = expit(scores)
    if scores.shape is not None and scores.shape[1] == 1:
        return binary_columns(prob)
    return normalise_rows(prob)


@functools.lru_cache(maxsize=64)
def block_selectors(k: int, f: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The 0/1 matrices that work on ``k`` blocks of ``f`` columns (read-only, made once per size): [F, K*F]
    repeating ``f`` features once per block (``X @ repeat``: x beside itself ``k`` times), and [K*F, K] summing
    each block's columns.

    >>> repeat, per_block = block_selectors(2, 3, np.dtype(np.float32))
    >>> repeat.shape, per_block.shape, per_block[:, 1].tolist()
    ((3, 6), (6, 2), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    """
    repeat = np.tile(np.eye(f, dtype=dtype), (1, k))
    per_block = np.repeat(np.eye(k, dtype=dtype), f, axis=0)  # row j*F+i is block j's
    repeat.flags.writeable = per_block.flags.writeable = False
    return repeat, per_block
