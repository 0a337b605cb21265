"""Pipeline, FeatureUnion, ColumnTransformer: sub-estimators chained or side by side, through ``convert_estimator``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.preprocessing import FunctionTransformer

from onnxalgebra import Expr, OnnxAlgebraError, OnnxConcat, OnnxGather, convert_estimator


def is_passthrough(trans: Any) -> bool:
    """'passthrough', None, or the identity FunctionTransformer a fitted ColumnTransformer puts in its place."""
    if trans is None or (isinstance(trans, str) and trans == "passthrough"):
        return True
    return isinstance(trans, FunctionTransformer) and trans.func is None


def hstack(parts: list[Expr], X: Expr) -> Expr:
    """The parts side by side (``np.hstack``); no part gives zero columns."""
    if not parts:
        return X.at[:, 0:0]
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)


def select_columns(X: Expr, indices: np.ndarray) -> Expr:
    """``X[:, indices]``: a slice when the indices are a contiguous range, else a gather."""
    start = int(indices[0])
    if np.array_equal(indices, np.arange(start, start + len(indices))):
        return X.at[:, start : start + len(indices)]
    return OnnxGather(X, indices.astype(np.int64), axis=1)


def weighted(out: Expr, weight: Any) -> Expr:
    return out if weight is None else out * float(weight)


def convert_pipeline(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, ...]:
    """Pipeline: each transformer's output feeds the next step; the last step's outputs (and options)."""
    steps = [step for _, step in est.steps if not is_passthrough(step)]
    for step in steps[:-1]:
        (X,) = convert_estimator(step, X)
    return convert_estimator(steps[-1], X, options) if steps else (X,)


def convert_feature_union(est: Any, X: Expr) -> Expr:
    """FeatureUnion: every transformer on X, each times its weight, side by side."""
    weights = est.transformer_weights or {}
    parts = []
    for name, trans in est.transformer_list:
        if isinstance(trans, str) and trans == "drop":
            continue
        out = X if is_passthrough(trans) else convert_estimator(trans, X)[0]
        parts.append(weighted(out, weights.get(name)))
    return hstack(parts, X)


def convert_column_transformer(est: Any, X: Expr) -> Expr:
    """ColumnTransformer: each transformer on its columns, side by side in ``transformers_`` order."""
    weights = est.transformer_weights or {}
    all_columns = np.arange(est.n_features_in_)
    parts = []
    for name, trans, columns in est.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        try:
            indices = np.atleast_1d(all_columns[columns])
        except IndexError:
            raise OnnxAlgebraError(
                f"ColumnTransformer: columns {columns!r} of {name!r} are not positions; only numpy inputs are supported."
            ) from None
        if len(indices) == 0:
            continue
        Xc = select_columns(X, indices)
        out = Xc if is_passthrough(trans) else convert_estimator(trans, Xc)[0]
        parts.append(weighted(out, weights.get(name)))
    return hstack(parts, X)
