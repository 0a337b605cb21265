"""Pipeline, FeatureUnion, ColumnTransformer: sub-estimators chained or side by side, through ``convert_estimator``.

Side by side, consecutive parts that scale their columns (StandardScaler,
RobustScaler, passthrough, each times its weight) become one block: one
selection of all their columns (none when it is every column in order) and one
scaling of them (:func:`~converters.preprocessing.scale_columns`: one Scaler
node for a narrow float32 block, else Sub and Div).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.preprocessing import FunctionTransformer

from onnxalgebra import Expr, OnnxAlgebraError, OnnxArrayFeatureExtractor, OnnxConcat, convert_estimator

from .preprocessing import columnwise_affine, scale_columns


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


def select_columns(X: Expr, indices: np.ndarray | None, n_features: int | None = None) -> Expr:
    """``X[:, indices]``: X itself for all its ``n_features`` columns in order (or ``indices`` None), else one
    ``ai.onnx.ml`` ArrayFeatureExtractor (any dtype; in onnxruntime much faster than Gather on axis 1, and than
    Slice)."""
    if indices is None or (n_features is not None and np.array_equal(indices, np.arange(n_features))):
        return X
    return OnnxArrayFeatureExtractor(X, np.asarray(indices, dtype=np.int64))


def weighted(out: Expr, weight: Any) -> Expr:
    return out if weight is None else out * float(weight)


@dataclass
class ScaledColumns:
    """``(X[:, indices] - offset) / divisor``: side-by-side parts that only scale their columns, merged."""

    indices: np.ndarray
    offset: np.ndarray
    divisor: np.ndarray

    @classmethod
    def of(cls, trans: Any, indices: np.ndarray | None, weight: Any) -> ScaledColumns | None:
        """The part ``trans`` on the columns ``indices``, times ``weight``, if it only scales them; else None."""
        if indices is None:
            return None
        if is_passthrough(trans):
            affine: tuple[np.ndarray, np.ndarray] | None = (np.zeros(len(indices)), np.ones(len(indices)))
        else:
            affine = columnwise_affine(trans)
        if affine is None or len(affine[0]) != len(indices):
            return None
        offset, divisor = affine
        if weight is not None:
            w = float(weight)
            if w == 0 or not np.isfinite(w):
                return None
            divisor = divisor / w
        return cls(np.asarray(indices, dtype=np.int64), offset, divisor)

    def extend(self, other: ScaledColumns) -> None:
        self.indices = np.concatenate([self.indices, other.indices])
        self.offset = np.concatenate([self.offset, other.offset])
        self.divisor = np.concatenate([self.divisor, other.divisor])

    def apply(self, X: Expr, n_features: int | None) -> Expr:
        return scale_columns(select_columns(X, self.indices, n_features), self.offset, self.divisor)


def side_by_side(X: Expr, parts: list[tuple[Any, np.ndarray | None, Any]], n_features: int | None) -> Expr:
    """``np.hstack`` of each transformer on its columns (None: all) times its weight; consecutive scaling parts
    merged."""
    blocks: list[Expr | ScaledColumns] = []
    for trans, indices, weight in parts:
        scaled = ScaledColumns.of(trans, indices, weight)
        if scaled is None:
            Xc = select_columns(X, indices, n_features)
            blocks.append(weighted(Xc if is_passthrough(trans) else convert_estimator(trans, Xc)[0], weight))
        elif blocks and isinstance(blocks[-1], ScaledColumns):
            blocks[-1].extend(scaled)
        else:
            blocks.append(scaled)
    return hstack([b.apply(X, n_features) if isinstance(b, ScaledColumns) else b for b in blocks], X)


def convert_pipeline(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, ...]:
    """Pipeline: each transformer's output feeds the next step; the last step's outputs (and options)."""
    steps = [step for _, step in est.steps if not is_passthrough(step)]
    for step in steps[:-1]:
        (X,) = convert_estimator(step, X)
    return convert_estimator(steps[-1], X, options) if steps else (X,)


def n_columns(est: Any, X: Expr) -> int | None:
    """The number of input columns: X's, else the fitted estimator's ``n_features_in_``."""
    if X.shape is not None and len(X.shape) == 2 and isinstance(X.shape[1], int):
        return X.shape[1]
    return getattr(est, "n_features_in_", None)


def convert_feature_union(est: Any, X: Expr) -> Expr:
    """FeatureUnion: every transformer on X, each times its weight, side by side."""
    weights = est.transformer_weights or {}
    n_features = n_columns(est, X)
    every = None if n_features is None else np.arange(n_features)  # None: the columns cannot be listed
    parts = [
        (trans, every, weights.get(name))
        for name, trans in est.transformer_list
        if not (isinstance(trans, str) and trans == "drop")
    ]
    return side_by_side(X, parts, n_features)


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
        parts.append((trans, indices, weights.get(name)))
    return side_by_side(X, parts, est.n_features_in_)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import compose, pipeline

    return {
        convert_pipeline: [pipeline.Pipeline],
        convert_feature_union: [pipeline.FeatureUnion],
        convert_column_transformer: [compose.ColumnTransformer],
    }
