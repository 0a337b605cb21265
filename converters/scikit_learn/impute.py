"""Imputers: SimpleImputer, MissingIndicator, KNNImputer.

The missing values of X are a mask (``IsNaN``; ``Equal`` to a numeric
``missing_values``; one ``ai.onnx.ml`` LabelEncoder for strings), and imputing
is one ``Where`` between the mask, the fitted values and X (a float32 X whose
missing values are NaN: one ``ai.onnx.ml`` Imputer, onnxruntime's fastest). Columns scikit-learn
drops (no value seen in fit, without ``keep_empty_features``) are left out by
one column selection; ``add_indicator`` appends the mask's columns of the fitted
MissingIndicator, in the output's type.

Output types follow scikit-learn's: strings stay strings and integers keep
their type for ``most_frequent`` and ``constant``, everything else is in the
computation dtype (``mean`` and ``median`` of an object array of numbers parse
its strings). String inputs are string tensors, and onnxruntime feeds an object array
as ``str`` of each element: ``missing_values=None`` is matched as ``'None'``,
``np.nan`` as ``'nan'``.

KNNImputer works on the missing values themselves: ``NonZero`` lists the
(row, column) pairs to impute, and for all of them at once the graph measures
scikit-learn's ``nan_euclidean`` distances from the pair's row to the training
rows (squared differences over the coordinates both rows have, scaled by
``n_features / n_present``; no common coordinate: no distance), excludes the
training rows that miss the pair's column, takes the ``n_neighbors`` nearest
(one ``TopK``), their uniform or inverse-distance weights and the weighted mean
of their values (a pair with no distance to any donor takes the column's
training mean), and ``ScatterND`` writes the values into X. The work follows
the number of missing values, not the number of columns; a batch with nothing
missing costs a few empty nodes. In float64 the distances are scikit-learn's
formula (three MatMuls over every row: a MatMul's rounding depends on its
shape); in float32 two MatMuls on columns centred by the training means rank
the training rows, and the ``2 * n_neighbors + 16`` best are measured exactly
from their differences before the nearest are chosen. Ties between equal
distances take the first training row (scikit-learn's ``argpartition`` leaves
them unspecified).

A KNNImputer fitted on float32 rows and given float32 rows is the one place
the model does not follow scikit-learn: scikit-learn then computes its
distances in float32 with the cancelling formula above (distances off by
factors on close rows, other neighbours chosen: up to 0.35 relative on the
imputed values of the tests); the model takes the neighbours scikit-learn
chooses for the same values in float64. Fitted on float32 and given float64
rows, it follows scikit-learn (float32 column means included).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Expr,
    OnnxAlgebraError,
    OnnxCast,
    OnnxConcat,
    OnnxGather,
    OnnxGatherElements,
    OnnxImputer,
    OnnxMatMul,
    OnnxNonZero,
    OnnxReduceSum,
    OnnxScatterND,
    OnnxTopK,
    OnnxTranspose,
    OnnxWhere,
    computation_dtype,
    target_opset,
)

from ._common import select_columns
from .encoders import _onnx_type, as_int64, input_kind, is_nan, key_of, lookup, string_key

_BOOL = 9


def _int64s(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def missing_mask(X: Expr, missing_values: Any) -> Expr:
    """Where X holds ``missing_values`` (bool, X's shape), as ``sklearn.utils._mask._get_mask``.

    NaN: ``IsNaN`` for floats, nothing for integers. A number: ``Equal``, as numpy compares (a Python number takes
    a float32 X's dtype, a numpy float64 one compares in float64: a float32 X never equals a float64 it cannot
    hold). Strings: one LabelEncoder matching ``str(missing_values)``.
    """
    kind = input_kind(X)
    if kind == "string":
        return OnnxCast(lookup(X, [string_key(missing_values)], _int64s(1), 0), to=_BOOL)
    if missing_values is None or is_nan(missing_values):
        return np.isnan(X) if kind == "float" else X != X
    if kind == "int":
        key = key_of(missing_values, "int", np.dtype(np.int64))
        X = as_int64(X)
        return X != X if key is None else X == np.int64(key)
    if isinstance(missing_values, (int, float)) and not isinstance(missing_values, np.generic):
        key = X.dtype.type(missing_values)  # a Python number: numpy compares in X's dtype
    else:
        key = key_of(missing_values, "float", X.dtype)
    return X != X if key is None else X == key


def indicator_columns(indicator: Any, mask: Expr, like: Expr) -> Expr:
    """A fitted MissingIndicator's columns of ``mask`` in the type of ``like`` (the imputed matrix they join):
    0/1 numbers, or ``'True'``/``'False'`` strings as ``np.hstack`` gives in an object array."""
    selected = select_columns(mask, indicator.features_, indicator._n_features)
    if like.dtype.kind in "OUS":
        return OnnxWhere(selected, np.array(["True"], dtype=object), np.array(["False"], dtype=object))
    return OnnxCast(selected, to=_onnx_type(like.dtype))  # any numeric type


def with_indicator(est: Any, imputed: Expr, mask: Expr) -> Expr:
    """``imputed``, then the indicator's columns when ``add_indicator``."""
    if not getattr(est, "add_indicator", False) or getattr(est, "indicator_", None) is None:
        return imputed
    return OnnxConcat(imputed, indicator_columns(est.indicator_, mask, imputed), axis=1)


WHERE_INTEGERS = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint8))
"""The integer types onnxruntime's Where takes."""


def _nan_statistics(statistics: np.ndarray) -> np.ndarray:
    return np.array([is_nan(s) for s in statistics], dtype=bool)


def convert_simple_imputer(est: Any, X: Expr) -> Expr:
    """SimpleImputer: ``where(mask, statistics_, X)`` on the columns kept, then the indicator's columns.

    Output: strings for string inputs with ``most_frequent`` or ``constant``; X's integer type for integer inputs
    with ``most_frequent`` or ``constant`` (the statistics as scikit-learn casts them); the computation dtype
    otherwise (``mean`` or ``median`` of an object array of numbers: its strings cast to numbers, as scikit-learn
    converts them).
    """
    statistics = np.asarray(est.statistics_)
    n = len(statistics)
    kind = input_kind(X)
    mask = missing_mask(X, est.missing_values)
    valid = np.ones(n, dtype=bool) if est.keep_empty_features else ~_nan_statistics(statistics)
    keeps_type = est.strategy in ("most_frequent", "constant")
    if kind == "string" and keeps_type:
        fill = np.array([string_key(s) if v else "" for s, v in zip(statistics, valid, strict=True)], dtype=object)
        values = X
    elif kind == "int" and keeps_type:
        integer = np.dtype(np.int64) if X.dtype == np.bool_ else X.dtype
        fill = np.where(valid, statistics, 0).astype(np.float64).astype(integer)
        if integer not in WHERE_INTEGERS:  # onnxruntime's Where: computed in int64, cast back
            imputed = OnnxCast(OnnxWhere(mask, fill.astype(np.int64), as_int64(X)), to=_onnx_type(integer))
            return with_indicator(est, select_columns(imputed, np.flatnonzero(valid), n), mask)
        values = X
    else:
        dtype = computation_dtype()
        fill = np.where(valid, statistics, 0).astype(np.float64)
        fitted = np.dtype(getattr(est, "_fill_dtype", np.float64))
        if fitted.kind == "f":  # scikit-learn fills the statistics in the dtype it was fitted on (float32: rounded)
            fill = fill.astype(fitted).astype(np.float64)
        fill = fill.astype(dtype)
        if kind == "string":  # an object array of numbers: the missing ones ('None', '') parse as nothing
            X = OnnxWhere(mask, np.array(["nan"], dtype=object), X)
        values = X if X.dtype == dtype else X.astype(dtype)
        if values.dtype == np.float32 and is_nan(est.missing_values):  # one ai.onnx.ml Imputer: 2.8x faster batches
            imputed = OnnxImputer(values, imputed_value_floats=fill, replaced_value_float=np.nan)
            return with_indicator(est, select_columns(imputed, np.flatnonzero(valid), n), mask)
    imputed = select_columns(OnnxWhere(mask, fill, values), np.flatnonzero(valid), n)
    return with_indicator(est, imputed, mask)


def convert_missing_indicator(est: Any, X: Expr) -> Expr:
    """MissingIndicator: the mask of the features it reports (``features_``), bool (dense whatever ``sparse``)."""
    return select_columns(missing_mask(X, est.missing_values), est.features_, est._n_features)


# --- KNNImputer ---

CANDIDATES_MARGIN = 16
"""KNNImputer: beyond its ``2 * n_neighbors`` nearest training rows by the MatMul's distances, this many more are
measured exactly before the nearest are chosen (the MatMul's rounding, ~1e-4 relative in float32 for close rows,
cannot push a true neighbour that far down)."""


class NanEuclidean:
    """scikit-learn's ``nan_euclidean_distances`` from rows of X to the training rows: ``sqrt(n_features / n_common
    * sum over the common coordinates of (x - y) ** 2)``, +inf without a common coordinate (scikit-learn's NaN).

    :meth:`as_scikit_learn` computes them all [N, M] with scikit-learn's formula and order of operations
    (``-2 x @ y.T + |x|**2 + |y|**2``, less the squares of the coordinates the other row misses): in float64 the
    same values, rounding included, where large coordinates make that formula inexact for close rows.
    :meth:`approximate` ranks them all with two MatMuls on values centred by the training means, and
    :meth:`exact` those of chosen training rows from the differences themselves: float32's way to scikit-learn's
    float64 distances.
    """

    def __init__(self, X: Expr, mask: Expr, fit: np.ndarray, mask_fit: np.ndarray, dtype: np.dtype):
        self.dtype = dtype
        self.n_rows, self.n_features = fit.shape
        self.mask, self.mask_fit = mask, mask_fit
        present = ~mask_fit
        counts = present.sum(axis=0)
        centre = np.where(counts > 0, np.where(present, fit, 0.0).sum(axis=0) / np.maximum(counts, 1), 0.0)
        self.raw_fit = np.where(present, fit, 0.0)  # [M, F], 0 where missing
        self.raw_X = OnnxWhere(mask, np.array(0, dtype=dtype), X)
        self.fit = np.where(present, fit - centre, 0.0)  # centred
        self.X = OnnxWhere(mask, np.array(0, dtype=dtype), X - centre.astype(dtype))
        self.present = present.astype(np.float64)
        self.present_X = OnnxCast(~mask, to=_onnx_type(dtype))

    def _distances(self, squared: Expr, common: Expr) -> Expr:
        dtype = self.dtype
        squared = np.maximum(squared, np.array(0, dtype=dtype))
        scaled = squared / np.maximum(common, np.array(1, dtype=dtype)) * np.array(self.n_features, dtype=dtype)
        return OnnxWhere(common == np.array(0, dtype=dtype), np.array(np.inf, dtype=dtype), np.sqrt(scaled))

    def _common(self) -> Expr:
        return OnnxMatMul(self.present_X, self.present.T.astype(self.dtype))  # [N, M], exact

    def as_scikit_learn(self) -> Expr:
        """The distances to every training row [N, M], as ``sklearn.metrics.nan_euclidean_distances``."""
        dtype, X, Y = self.dtype, self.raw_X, self.raw_fit
        squares = X * X
        norms = OnnxReduceSum(squares, _int64s(1), keepdims=1)  # row_norms(X, squared=True)
        distances = OnnxMatMul(X, (-2 * Y.T).astype(dtype)) + norms + np.einsum("ij,ij->i", Y, Y).astype(dtype)
        distances = np.maximum(distances, np.array(0, dtype=dtype))
        distances = distances - OnnxMatMul(squares, self.mask_fit.T.astype(dtype))
        distances = distances - OnnxMatMul(OnnxCast(self.mask, to=_onnx_type(dtype)), (Y * Y).T.astype(dtype))
        return self._distances(distances, self._common())

    def approximate(self, excluded: Expr) -> Expr:
        """A ranking of the training rows [N, M] (two MatMuls): the squared distances divided by ``n_features``,
        within float32's rounding of large values, +inf where ``excluded`` [N, M] or without a common coordinate."""
        Y, P, dtype = self.fit, self.present, self.dtype
        right = np.concatenate([P.T, (Y * Y).T, -2 * Y.T]).astype(dtype)  # [3F, M]
        squared = OnnxMatMul(OnnxConcat(self.X * self.X, self.present_X, self.X, axis=1), right)
        common = self._common()
        ranking = squared / common  # no common coordinate (0 / 0, x / 0) is replaced below; rounding below 0 ranks first
        return OnnxWhere(excluded | (common == np.array(0, dtype=dtype)), np.array(np.inf, dtype=dtype), ranking)

    def exact(self, rows: Expr) -> Expr:
        """The distances to the training rows ``rows`` [N, k] (int64 positions): [N, k]."""
        Y = OnnxGather(self.fit.astype(self.dtype), rows, axis=0)  # [N, k, F]
        common = OnnxGather(self.present.astype(self.dtype), rows, axis=0) * self.present_X[:, None, :]
        difference = (self.X[:, None, :] - Y) * common
        axis = _int64s(2)
        return self._distances(OnnxReduceSum(difference * difference, axis, keepdims=0), OnnxReduceSum(common, axis, keepdims=0))


def _neighbour_weights(distances: Expr, weights: str, dtype: np.dtype) -> Expr:
    """The weights of the chosen neighbours [N, k] (0 for +inf: no distance, or not a donor)."""
    if weights == "uniform":
        return OnnxCast(distances < np.array(np.inf, dtype=dtype), to=_onnx_type(dtype))
    zero = OnnxCast(distances == np.array(0, dtype=dtype), to=_onnx_type(dtype))
    zero_row = OnnxReduceSum(zero, _int64s(1), keepdims=1) > np.array(0, dtype=dtype)
    # scikit-learn's _get_weights: 1 / d; a row with a zero distance weighs those neighbours 1, the others 0
    return OnnxWhere(zero_row, zero, np.array(1, dtype=dtype) / distances)


def convert_knn_imputer(est: Any, X: Expr) -> Expr:
    """KNNImputer (``metric='nan_euclidean'``, ``weights`` 'uniform' or 'distance'): each missing value is the
    weighted mean of the column over its ``n_neighbors`` nearest training rows that have it (see the module).

    The graph works on the missing values themselves: ``NonZero`` lists the (row, column) pairs to impute, each
    pair measures its row's distances, keeps its column's donors, takes its nearest ones and their weighted mean,
    and ``ScatterND`` writes the values back. The work grows with the number of missing values, not with the
    number of columns, and a row with nothing missing costs nothing.
    """
    if est.metric != "nan_euclidean":
        raise OnnxAlgebraError(f"KNNImputer: only metric='nan_euclidean' converts, not {est.metric!r}.")
    if est.weights not in ("uniform", "distance"):
        raise OnnxAlgebraError(f"KNNImputer: only weights 'uniform' and 'distance' convert, not {est.weights!r}.")
    dtype = computation_dtype()
    fit = np.asarray(est._fit_X, dtype=np.float64)
    mask_fit = np.asarray(est._mask_fit_X, dtype=bool)
    valid = np.asarray(est._valid_mask, dtype=bool)
    m, n_features = fit.shape
    kept = np.flatnonzero(valid)
    mask = missing_mask(X, est.missing_values)
    values = X if X.dtype == dtype else X.astype(dtype)
    mask_kept, values_kept = select_columns(mask, kept, n_features), select_columns(values, kept, n_features)
    pairs = OnnxNonZero(mask_kept)  # [2, P]: the row and the kept column of each missing value
    row, column = pairs[0], pairs[1]
    refine = dtype != np.float64  # float32: the nearest by the MatMul, then measured exactly
    # the training rows without the pair's column are no donors: +inf
    no_donor = OnnxGather(mask_fit[:, kept].T.copy(), column, axis=0)  # [P, M]
    infinity = np.array(np.inf, dtype=dtype)
    k = min(int(est.n_neighbors), m)
    if refine:
        metric = NanEuclidean(OnnxGather(values, row, axis=0), OnnxGather(mask, row, axis=0), fit, mask_fit, dtype)
        ranking = metric.approximate(no_donor)  # [P, M]
        candidates = OnnxTopK(ranking, _int64s(min(2 * k + CANDIDATES_MARGIN, m)), axis=1, largest=0, sorted=1)[1]
        exact = OnnxWhere(OnnxGatherElements(no_donor, candidates, axis=1), infinity, metric.exact(candidates))
        nearest = OnnxTopK(exact, _int64s(k), axis=1, largest=0, sorted=1)
        rows = OnnxGatherElements(candidates, nearest[1], axis=1)  # [P, k] training rows
    else:
        # scikit-learn's formula on every row, then each pair's row: a MatMul's rounding depends on its shape
        every_row = NanEuclidean(values, mask, fit, mask_fit, dtype).as_scikit_learn()
        distances = OnnxWhere(no_donor, infinity, OnnxGather(every_row, row, axis=0))
        nearest = OnnxTopK(distances, _int64s(k), axis=1, largest=0, sorted=1)
        rows = nearest[1]
    weights = _neighbour_weights(nearest[0], est.weights, dtype)  # [P, k]
    donors = np.where(mask_fit, 0.0, fit)[:, kept].astype(dtype)  # [M, F'], read at (training row, column)
    neighbours = OnnxGather(donors.ravel(), rows * np.int64(len(kept)) + column[:, None], axis=0)  # [P, k]
    total = OnnxReduceSum(weights, _int64s(1), keepdims=0)  # [P]
    weighted = OnnxReduceSum(neighbours * weights, _int64s(1), keepdims=0)  # [P]
    # no distance to any donor: the column's mean as scikit-learn takes it (in _fit_X's dtype: float32 rounds)
    means = np.array([float(np.ma.array(est._fit_X[:, j], mask=mask_fit[:, j]).mean()) for j in kept]).astype(dtype)
    zero, one = np.array(0, dtype=dtype), np.array(1, dtype=dtype)
    imputed = OnnxWhere(total > zero, weighted / OnnxWhere(total > zero, total, one), OnnxGather(means, column, axis=0))
    opset = target_opset()  # ScatterND 13 (no reduction) keeps the default opset 13; 18 when the target allows it
    version = {"op_version": 13} if opset is None or opset < 18 else {}
    result = OnnxScatterND(values_kept, OnnxTranspose(pairs, perm=[1, 0]), imputed, **version)
    if est.keep_empty_features and not valid.all():  # the empty columns are kept as zeros
        empty = np.flatnonzero(~valid)
        full = OnnxConcat(result, OnnxWhere(select_columns(mask, empty, n_features), zero, zero), axis=1)
        result = select_columns(full, np.argsort(np.concatenate([kept, empty]), kind="stable"), n_features)
    return with_indicator(est, result, mask)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import impute

    return {
        convert_simple_imputer: [impute.SimpleImputer],
        convert_missing_indicator: [impute.MissingIndicator],
        convert_knn_imputer: [impute.KNNImputer],
    }
