"""Pipeline, FeatureUnion, ColumnTransformer: sub-estimators chained or side by side, through ``convert_estimator``.

Side by side, consecutive parts that scale their columns (StandardScaler,
RobustScaler, passthrough, each times its weight) become one block: one
selection of all their columns (none when it is every column in order) and one
scaling of them (:func:`~converters.preprocessing.scale_columns`: one Scaler
node for a narrow float32 block, else Sub and Div).

The three take a DataFrame's columns (:class:`onnxalgebra.Columns`, one graph
input per column): a ColumnTransformer gives each transformer its columns by
name, a Pipeline hands them to its first step, a FeatureUnion to each part.
A ColumnTransformer selects columns as scikit-learn does, from its fitted
``transformers_`` (positions, slices, boolean masks, names, lists of names,
``make_column_selector`` resolved at fit time, the remainder), for numpy
input too (names are positions in ``feature_names_in_``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.preprocessing import FunctionTransformer

from onnxalgebra import (
    Columns,
    Expr,
    OnnxAlgebraError,
    OnnxConcat,
    convert_estimator,
    takes_columns,
)

from ._common import select_columns
from .preprocessing import columnwise_affine, scale_columns


def is_passthrough(trans: Any) -> bool:
    """'passthrough', None, or the identity FunctionTransformer a fitted ColumnTransformer puts in its place."""
    if trans is None or (isinstance(trans, str) and trans == "passthrough"):
        return True
    return isinstance(trans, FunctionTransformer) and trans.func is None


def hstack(parts: list[Expr], X: Expr | None) -> Expr:
    """The parts side by side (``np.hstack``); no part gives zero columns of X."""
    if not parts:
        return X.at[:, 0:0]
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)


def weighted(out: Expr, weight: Any) -> Expr:
    return out if weight is None else out * float(weight)


@dataclass
class ScaledColumns:
    """``(X[:, indices] - offset) / divisor``: side-by-side parts that only scale their columns, merged.

    ``indices`` are the columns' keys: positions in a matrix, or names in a DataFrame's columns."""

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
        return cls(np.asarray(indices), offset, divisor)

    def extend(self, other: ScaledColumns) -> None:
        self.indices = np.concatenate([self.indices, other.indices])
        self.offset = np.concatenate([self.offset, other.offset])
        self.divisor = np.concatenate([self.divisor, other.divisor])

    def apply(self, source: MatrixColumns | NamedColumns) -> Expr:
        return scale_columns(source.matrix(self.indices), self.offset, self.divisor)


class MatrixColumns:
    """The columns of one matrix ``X``, by position (``n_features`` of them; None when unknown)."""

    def __init__(self, X: Expr, n_features: int | None):
        self.X = X
        self.n_features = n_features

    def every(self) -> np.ndarray | None:
        """Every column, in order (None: they cannot be listed)."""
        return None if self.n_features is None else np.arange(self.n_features)

    def keys(self, positions: np.ndarray) -> np.ndarray:
        return positions

    def numeric(self, keys: np.ndarray | None) -> bool:
        return True

    def part(self, keys: np.ndarray | None) -> Expr:
        """The input of a sub-estimator on the columns ``keys``."""
        return select_columns(self.X, keys, self.n_features)

    def matrix(self, keys: np.ndarray | None, label: str = "") -> Expr:
        return select_columns(self.X, keys, self.n_features)

    def hstack(self, outs: list[Expr], labels: list[str]) -> Expr:
        return hstack(outs, self.X)


class NamedColumns:
    """A DataFrame's columns by name; positions are in ``est``'s ``feature_names_in_`` (the columns' order without
    it)."""

    def __init__(self, X: Columns, est: Any):
        self.X = X
        self.est = est
        self.order = np.asarray(X.fitted_names(est), dtype=object)

    def every(self) -> np.ndarray:
        return self.order

    def keys(self, positions: np.ndarray) -> np.ndarray:
        return self.order[positions]

    def numeric(self, keys: np.ndarray) -> bool:
        return not any(self.X.is_string(k) for k in keys)

    def part(self, keys: np.ndarray) -> Columns:
        return self.X.select(keys)

    def matrix(self, keys: np.ndarray, label: str = "") -> Expr:
        text = [k for k in keys if self.X.is_string(k)]
        if text and len(text) != len(keys):
            numbers = [k for k in keys if k not in text]
            raise OnnxAlgebraError(
                f"{type(self.est).__name__}: {label!r} passes the string column(s) {text} and the numeric column(s) "
                f"{numbers} through together; a tensor holds one type: give them to different transformers."
            )
        return self.X.matrix(names=keys, strings=True)

    def hstack(self, outs: list[Expr], labels: list[str]) -> Expr:
        """The parts side by side; numbers in the computation dtype, strings only among strings."""
        if not outs:  # scikit-learn gives an (n, 0) float64 matrix
            return self.X[self.order[0]].at[:, 0:0].astype(self.X.dtype)
        text = [label for label, out in zip(labels, outs) if out.dtype == np.dtype(object)]
        if text and len(text) != len(outs):
            numbers = [label for label in labels if label not in text]
            raise OnnxAlgebraError(
                f"{type(self.est).__name__}: the parts {text} give strings and {numbers} numbers; a tensor holds one "
                "type: encode the strings (an encoder) or drop them."
            )
        if not text:
            outs = [out if out.dtype == self.X.dtype else out.astype(self.X.dtype) for out in outs]
        return hstack(outs, None)


def source_of(est: Any, X: Expr | Columns, n_features: int | None) -> MatrixColumns | NamedColumns:
    return NamedColumns(X, est) if isinstance(X, Columns) else MatrixColumns(X, n_features)


def side_by_side(source: MatrixColumns | NamedColumns, parts: list[tuple[Any, np.ndarray | None, Any, str]]) -> Expr:
    """``np.hstack`` of each transformer on its columns (None: all) times its weight; consecutive scaling parts
    merged."""
    blocks: list[Expr | ScaledColumns] = []
    labels: list[str] = []
    for trans, indices, weight, label in parts:
        scaled = ScaledColumns.of(trans, indices, weight) if source.numeric(indices) else None
        if scaled is None:
            if is_passthrough(trans):
                out = source.matrix(indices, label)
            else:
                out = transform_of(trans, source.part(indices), f"part {label!r}")
            blocks.append(weighted(out, weight))
            labels.append(label)
        elif blocks and isinstance(blocks[-1], ScaledColumns):
            blocks[-1].extend(scaled)
        else:
            blocks.append(scaled)
            labels.append(label)
    return source.hstack([b.apply(source) if isinstance(b, ScaledColumns) else b for b in blocks], labels)


def transform_of(est: Any, X: Expr | Columns, where: str) -> Expr:
    """``est.transform(X)`` as an expression: a transformer's output, or for an estimator that also predicts
    (LinearDiscriminantAnalysis, RFE, KMeans, ...) the last output of its converter with ``{'transform': True}``.

    ``where`` names the step in errors (``"Pipeline step 'lda'"``).
    """
    if not hasattr(est, "predict"):
        return convert_estimator(est, X)[0]
    name = type(est).__name__
    if not hasattr(est, "transform"):
        raise OnnxAlgebraError(
            f"{where} ({name}) is used as a transformer, but it has no transform: only the last step of a "
            "Pipeline may be a predictor without transform."
        )
    try:
        return convert_estimator(est, X, {"transform": True})[-1]
    except OnnxAlgebraError as exc:
        if "'transform'" not in str(exc):
            raise
        raise OnnxAlgebraError(
            f"{where} ({name}) is used as a transformer, and its converter does not give transform(X) "
            f"(no option 'transform'): {exc}"
        ) from exc


@takes_columns
def convert_pipeline(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, ...]:
    """Pipeline: each step's ``transform`` feeds the next step; the last step's outputs (and options).

    A DataFrame's columns go to the first step (as it takes them). An intermediate step that also predicts
    (LinearDiscriminantAnalysis, RFE of a classifier, KMeans) gives its ``transform``: see :func:`transform_of`."""
    steps = [(name, step) for name, step in est.steps if not is_passthrough(step)]
    if not steps:
        return (X.matrix(est, strings=True) if isinstance(X, Columns) else X,)
    for name, step in steps[:-1]:
        X = transform_of(step, X, f"Pipeline step {name!r}")
    return convert_estimator(steps[-1][1], X, options)


def n_columns(est: Any, X: Expr) -> int | None:
    """The number of input columns: X's, else the fitted estimator's ``n_features_in_``."""
    if X.shape is not None and len(X.shape) == 2 and isinstance(X.shape[1], int):
        return X.shape[1]
    return getattr(est, "n_features_in_", None)


@takes_columns
def convert_feature_union(est: Any, X: Expr | Columns) -> Expr:
    """FeatureUnion: every transformer on X (a DataFrame's columns: all it was fitted on), each times its weight,
    side by side."""
    weights = est.transformer_weights or {}
    source = source_of(est, X, None if isinstance(X, Columns) else n_columns(est, X))
    every = source.every()
    parts = [
        (trans, every, weights.get(name), name)
        for name, trans in est.transformer_list
        if not (isinstance(trans, str) and trans == "drop")
    ]
    return side_by_side(source, parts)


def column_positions(est: Any, name: str, columns: Any) -> np.ndarray:
    """The positions of a ColumnTransformer's ``columns`` (of part ``name``, as in ``transformers_``) among the
    columns it was fitted on: ints, slices, boolean masks, names, lists of names, slices of names (inclusive)."""
    n_features = est.n_features_in_
    fitted = getattr(est, "feature_names_in_", None)
    names = None if fitted is None else [str(c) for c in fitted]

    def position(column: Any) -> int:
        if names is None:
            raise OnnxAlgebraError(
                f"ColumnTransformer: {name!r} selects the column {column!r} by name but the ColumnTransformer was "
                "fitted without column names (on a numpy array); select by position."
            )
        if column not in names:
            raise OnnxAlgebraError(f"ColumnTransformer: {name!r} selects the column {column!r}, not one of {names}.")
        return names.index(column)

    if callable(columns):  # transformers_ holds what a callable selected at fit time
        raise OnnxAlgebraError(f"ColumnTransformer: the columns of {name!r} are a callable not resolved at fit time.")
    if isinstance(columns, str):
        return np.array([position(columns)])
    if isinstance(columns, slice) and (isinstance(columns.start, str) or isinstance(columns.stop, str)):
        start = 0 if columns.start is None else position(columns.start)
        stop = n_features if columns.stop is None else position(columns.stop) + 1  # label slices include the end
        return np.arange(n_features)[start : stop : columns.step]
    if isinstance(columns, slice) or isinstance(columns, (int, np.integer)):
        return np.atleast_1d(np.arange(n_features)[columns])
    selected = np.asarray(list(columns) if not isinstance(columns, np.ndarray) else columns)
    if selected.size == 0:
        return np.zeros(0, dtype=np.int64)
    if selected.dtype.kind == "b":
        if len(selected) != n_features:
            raise OnnxAlgebraError(f"ColumnTransformer: the mask of {name!r} has {len(selected)} values, not {n_features}.")
        return np.flatnonzero(selected)
    if selected.dtype.kind in "iu":
        return np.arange(n_features)[selected]
    if selected.dtype.kind in "UO":
        return np.array([position(str(c)) for c in selected], dtype=np.int64)
    raise OnnxAlgebraError(f"ColumnTransformer: the columns {columns!r} of {name!r} are neither positions, a mask nor names.")


@takes_columns
def convert_column_transformer(est: Any, X: Expr | Columns) -> Expr:
    """ColumnTransformer: each transformer on its columns, side by side in ``transformers_`` order."""
    weights = est.transformer_weights or {}
    source = source_of(est, X, est.n_features_in_)
    parts = []
    for name, trans, columns in est.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        positions = column_positions(est, name, columns)
        if len(positions) == 0:
            continue
        parts.append((trans, source.keys(positions), weights.get(name), name))
    return side_by_side(source, parts)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import compose, pipeline

    return {
        convert_pipeline: [pipeline.Pipeline],
        convert_feature_union: [pipeline.FeatureUnion],
        convert_column_transformer: [compose.ColumnTransformer],
    }
