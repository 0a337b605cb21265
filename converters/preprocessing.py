"""Scalers, Binarizer and LabelEncoder: each converter is the transform's formula.

A float32 matrix of at most :data:`ML_NODE_MAX_COLUMNS` columns goes through
the one ``ai.onnx.ml`` node that computes the transform (Scaler, Binarizer):
one node is the fastest graph in onnxruntime for a row or a few. Those nodes
loop over the values one by one, though, and on wider inputs standard
operators (vectorised) win at batch sizes by far more than the one node they
add costs on a single row. Scaler's output is float32 only and onnxruntime runs
Binarizer on float32 only, so float64 keeps standard operators and stays
float64 end to end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import RobustScaler, StandardScaler

from onnxalgebra import Expr, OnnxBinarizer, OnnxLabelEncoder, OnnxScaler

ML_NODE_MAX_COLUMNS = 10
"""The widest float32 input given a Scaler or Binarizer node. onnxruntime 1.32, one thread, 1,000 rows of 10
columns: Scaler 31 us like Sub and Div, Binarizer 14 us against Greater and Cast's 8; of 100 columns: Scaler 259 us
against 55, Binarizer 482 us against 31. On one row, the single node saves about 0.7 us (of 5.6)."""


def narrow_float32(X: Expr, n_columns: int | None = None) -> bool:
    """X is a float32 matrix of at most :data:`ML_NODE_MAX_COLUMNS` columns (``n_columns`` when X's are unknown)."""
    if X.dtype != np.float32 or X.shape is None or len(X.shape) != 2:
        return False
    width = X.shape[1] if isinstance(X.shape[1], int) else n_columns
    return width is not None and width <= ML_NODE_MAX_COLUMNS


def float32_threshold(threshold: Any) -> float | None:
    """The float32 ``c`` with ``x > c`` equal to ``sklearn.preprocessing.binarize``'s ``x > threshold`` for every
    float32 ``x`` (None when not finite in float32).

    scikit-learn compares in float32 for a Python number (``c`` is the nearest
    float32) and in float64 for a float64 threshold (``c`` is the float32 just
    below, when the nearest one is above).
    """
    with np.errstate(over="ignore"):
        c = np.float32(threshold)
    if not np.isfinite(c):
        return None
    if np.result_type(np.float32, threshold) != np.float32 and float(c) > float(threshold):
        c = np.nextafter(c, np.float32(-np.inf))
    return float(c)


def binarize(X: Expr, threshold: Any) -> Expr:
    """1 where ``X > threshold``, else 0, in X's dtype (``sklearn.preprocessing.binarize``).

    A narrow float32 matrix: one ``ai.onnx.ml`` Binarizer (like scikit-learn,
    onnxruntime's rejects NaN); otherwise Greater and a Cast back to X's dtype.
    """
    if narrow_float32(X):
        c = float32_threshold(threshold)
        if c is not None:
            return OnnxBinarizer(X, threshold=c)
    return (X > float(threshold)).astype(X.dtype)


def _affine(n_features: int, shift: Any, scale: Any) -> tuple[np.ndarray, np.ndarray]:
    offset = np.zeros(n_features) if shift is None else np.asarray(shift, dtype=np.float64).reshape(n_features)
    divisor = np.ones(n_features) if scale is None else np.asarray(scale, dtype=np.float64).reshape(n_features)
    return offset, divisor


def standard_scaler_affine(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """StandardScaler as ``(offset, divisor)``: ``mean_`` and ``scale_``, each only when fitted with it."""
    return _affine(est.n_features_in_, est.mean_ if est.with_mean else None, est.scale_ if est.with_std else None)


def robust_scaler_affine(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """RobustScaler as ``(offset, divisor)``: ``center_`` and ``scale_``, each only when fitted with it."""
    return _affine(est.n_features_in_, est.center_ if est.with_centering else None, est.scale_ if est.with_scaling else None)


_AFFINE = {StandardScaler: standard_scaler_affine, RobustScaler: robust_scaler_affine}


def columnwise_affine(est: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(offset, divisor)``, float64 arrays of one value per feature, with ``est.transform(X) == (X - offset) / divisor``
    for a StandardScaler or a RobustScaler (exactly those classes: a subclass may have its own converter); else None."""
    affine = _AFFINE.get(type(est))
    return None if affine is None else affine(est)


def scale_columns(X: Expr, offset: np.ndarray, divisor: np.ndarray) -> Expr:
    """``(X - offset) / divisor`` per column, each part only when it changes something.

    A narrow float32 matrix: one ``ai.onnx.ml`` Scaler, ``(X - offset) * (1 /
    divisor)`` in float32; otherwise Sub and Div, in X's dtype.
    """
    shift, rescale = bool(np.any(offset != 0)), bool(np.any(divisor != 1))
    if not (shift or rescale):
        return X
    if narrow_float32(X, len(offset)) and X.shape[1] in (len(offset), None):
        with np.errstate(over="ignore", divide="ignore"):
            offset32, scale32 = offset.astype(np.float32), (1.0 / divisor).astype(np.float32)
        if np.all(np.isfinite(offset32)) and np.all(np.isfinite(scale32)) and np.all(scale32 != 0):
            return OnnxScaler(X, offset=offset32, scale=scale32)
    if shift:
        X = X - offset
    if rescale:
        X = X / divisor
    return X


def convert_binarizer(est: Any, X: Expr) -> Expr:
    """Binarizer: ``X > threshold`` as 0/1."""
    return binarize(X, est.threshold)


def convert_standard_scaler(est: Any, X: Expr) -> Expr:
    """StandardScaler: ``(X - mean_) / scale_``, each part only when fitted with it."""
    return scale_columns(X, *standard_scaler_affine(est))


def convert_robust_scaler(est: Any, X: Expr) -> Expr:
    """RobustScaler: ``(X - center_) / scale_``, each part only when fitted with it."""
    return scale_columns(X, *robust_scaler_affine(est))


def convert_label_encoder(est: Any, y: Expr) -> Expr:
    """LabelEncoder: each label's position in ``classes_`` (int64; an unseen label gives -1)."""
    classes = np.asarray(est.classes_)
    codes = np.arange(len(classes), dtype=np.int64)
    if classes.dtype.kind in "iub":
        y = y if y.dtype == np.int64 else y.astype(np.int64)
        return OnnxLabelEncoder(y, keys_int64s=classes.astype(np.int64).tolist(), values_int64s=codes.tolist(), default_int64=-1)
    if classes.dtype.kind == "f":
        keys = classes.astype(y.dtype)
        return OnnxLabelEncoder(y, keys_tensor=keys, values_tensor=codes, default_tensor=np.array([-1], dtype=np.int64))
    return OnnxLabelEncoder(y, keys_strings=classes.astype(str).tolist(), values_int64s=codes.tolist(), default_int64=-1)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import preprocessing

    return {
        convert_binarizer: [preprocessing.Binarizer],
        convert_standard_scaler: [preprocessing.StandardScaler],
        convert_robust_scaler: [preprocessing.RobustScaler],
        convert_label_encoder: [preprocessing.LabelEncoder],
    }
