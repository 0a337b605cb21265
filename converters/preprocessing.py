"""Scalers, Binarizer and LabelEncoder: each converter is the transform's formula."""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxLabelEncoder


def binarize(X: Expr, threshold: float) -> Expr:
    """1 where ``X > threshold``, else 0, in X's dtype (``sklearn.preprocessing.binarize``)."""
    return (X > float(threshold)).astype(X.dtype)


def convert_binarizer(est: Any, X: Expr) -> Expr:
    """Binarizer: ``X > threshold`` as 0/1."""
    return binarize(X, est.threshold)


def convert_standard_scaler(est: Any, X: Expr) -> Expr:
    """StandardScaler: ``(X - mean_) / scale_``, each part only when fitted with it."""
    if est.with_mean:
        X = X - est.mean_
    if est.with_std:
        X = X / est.scale_
    return X


def convert_robust_scaler(est: Any, X: Expr) -> Expr:
    """RobustScaler: ``(X - center_) / scale_``, each part only when fitted with it."""
    if est.with_centering:
        X = X - est.center_
    if est.with_scaling:
        X = X / est.scale_
    return X


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
