"""Nearest neighbours: KNeighborsClassifier/Regressor, RadiusNeighborsClassifier/Regressor, NearestCentroid,
LocalOutlierFactor (``novelty=True``) and KernelDensity.

**Distances.** :class:`Metric` turns ``effective_metric_`` and its parameters into expressions: euclidean,
sqeuclidean, minkowski with any ``p`` (and a weight vector ``w``), manhattan (cityblock, l1), chebyshev
(infinity), seuclidean, mahalanobis (a linear map of the coordinates, then euclidean) and cosine (euclidean
between the unit rows: ``1 - cos = |u - v|**2 / 2``). ``'precomputed'``, callables and the other metrics raise.

**k nearest.** The euclidean family and cosine find candidates with one MatMul on coordinates centred by the
training mean (``|x|**2 - 2 x.y + |y|**2``), take the ``2 k + 16`` nearest by those distances (``TopK``), put
them back in training order, measure them exactly from their differences, and keep the ``k`` nearest (a second
``TopK``): the MatMul's cancellation for close rows (``~1e-7 * |x|**2`` in float32) only chooses candidates, every
distance used is exact. The other metrics compute every difference ``[N, M, F]`` and take one ``TopK``.

**Ties.** ``TopK`` puts equal distances in training order, so among distances exactly equal across the ``k``-th
place the first training rows are the neighbours (numpy's stable argsort). scikit-learn has no such rule: its
brute force keeps what its heap keeps (a later nearer row evicts whichever equal row sits at the heap's root),
``kd_tree``/``ball_tree`` the rows the tree visits first, cosine goes through ``np.argpartition``, and its own
MatMul distances can round equal distances apart. Rows without such a tie get scikit-learn's neighbours whatever
its algorithm; tied rows (duplicated training rows, data on a grid) can differ, which
``tests/test_converters_neighbors.py`` shows. In float32, when more than ``2 k + 16`` training rows tie, the
MatMul's rounding chooses which of them are measured exactly.

**Votes.** Weights are 1 (``'uniform'``) or ``1 / d`` (``'distance'``; a row at distance 0 from some neighbours
weighs those 1 and the others 0, as ``_get_weights``); the class probabilities are the weighted votes over
their sum and the label their argmax (the first class on a tie, as ``mode``/``weighted_mode``); a regressor
takes the weighted mean of the targets.

**Radius.** Every exact distance ``[N, M]``; the neighbours are the rows at ``d <= radius``. A row without any:
the regressor gives NaN (as scikit-learn, which warns); the classifier gives ``outlier_label_`` as label and, as
scikit-learn, probabilities 1 for it (zeros when it is not a class); without ``outlier_label`` scikit-learn
raises, and the model gives NaN probabilities and the first class.

**Memory.** The exact paths (radius neighbours, KernelDensity, NearestCentroid, the non-euclidean metrics) hold
``N * M`` distances, built one feature at a time up to ``UNROLL_FEATURES`` features, else from ``N * M * F``
differences; the euclidean k nearest hold ``N * M`` distances and ``N * (2 k + 16) * F`` differences.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from onnxalgebra import (
    Constant,
    Expr,
    OnnxAlgebraError,
    OnnxArgMax,
    OnnxCast,
    OnnxGather,
    OnnxGatherElements,
    OnnxMatMul,
    OnnxReduceMax,
    OnnxReduceMean,
    OnnxReduceSum,
    OnnxSoftmax,
    OnnxTopK,
    OnnxWhere,
    computation_dtype,
)

from ._common import argmax_label, check_options, classes_constant, label_of
from ._compat import nearest_centroid_priors

CANDIDATES_MARGIN = 16
"""The euclidean k nearest: ``2 * k`` plus this many candidates by the MatMul's distances are measured exactly."""

UNROLL_FEATURES = 64
"""Exact distances to every training row: up to this many features, one [N, M] difference per feature (else one
[N, M, F] tensor of differences)."""

_ALIASES = {
    "l2": "euclidean",
    "l1": "manhattan",
    "cityblock": "manhattan",
    "taxicab": "manhattan",
    "infinity": "chebyshev",
    "p": "minkowski",
}
_TYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11}


def _axes(*axes: int) -> np.ndarray:
    return np.array(axes, dtype=np.int64)


def _c(value: Any, dtype: np.dtype) -> np.ndarray:
    """A constant in the computation dtype."""
    return np.asarray(value, dtype=np.float64).astype(dtype)


class Metric:
    """A scikit-learn distance between rows of an expression X and fixed training rows, as expressions.

    ``name`` and ``params`` are scikit-learn's (``effective_metric_``, ``effective_metric_params_``). The
    distances are computed through a *reduced* distance, increasing with the distance and cheaper (the sum of
    ``|d|**p`` for minkowski, the squared distance for the euclidean family); :meth:`finish` turns it into the
    distance.

    >>> m = Metric("minkowski", {"p": 3}, np.zeros((2, 4)), "KNeighborsRegressor")
    >>> m.kind, m.p
    ('minkowski', 3.0)
    """

    def __init__(self, name: Any, params: dict | None, fit: np.ndarray, estimator: str):
        params = dict(params or {})
        if callable(name) or not isinstance(name, str):
            raise OnnxAlgebraError(f"{estimator}: a callable metric ({name!r}) cannot be converted; use a named metric.")
        name = _ALIASES.get(name, name)
        if name == "precomputed":
            raise OnnxAlgebraError(
                f"{estimator}: metric='precomputed' cannot be converted (the model would need the training rows); "
                "fit it on the features instead."
            )
        self.name, self.estimator = name, estimator
        fit = np.asarray(fit, dtype=np.float64)
        self.transform: np.ndarray | None = None  # a linear map of the coordinates (seuclidean, mahalanobis)
        self.p = 2.0
        self.squared = False  # the distance is the squared euclidean one
        self.half = False  # the distance is half the squared one (cosine of unit rows)
        w = params.pop("w", None)
        if name == "minkowski":
            self.p = float(params.pop("p", 2))
            if not self.p > 0:
                raise OnnxAlgebraError(f"{estimator}: minkowski needs p > 0, got {self.p}.")
        if w is not None and name != "minkowski":
            raise OnnxAlgebraError(f"{estimator}: the weights 'w' apply to metric='minkowski' only, not {name!r}.")
        if name == "seuclidean":
            self.transform = np.diag(1.0 / np.sqrt(np.asarray(params.pop("V"), dtype=np.float64)))
        elif name == "mahalanobis":
            vi = params.pop("VI", None)
            if vi is None:
                vi = np.linalg.inv(np.asarray(params.pop("V"), dtype=np.float64))
            self.transform = np.linalg.cholesky(np.asarray(vi, dtype=np.float64))  # VI = L L.T: |L.T (x - y)|
        if params:
            raise OnnxAlgebraError(f"{estimator}: metric {name!r} with parameters {sorted(params)} is not supported.")
        if name in ("euclidean", "seuclidean", "mahalanobis") or (name == "minkowski" and self.p == 2 and w is None):
            self.kind = "euclidean"
        elif name == "sqeuclidean":
            self.kind, self.squared = "euclidean", True
        elif name == "cosine":
            self.kind, self.half = "euclidean", True
        elif name == "manhattan" or (name == "minkowski" and self.p == 1 and w is None):
            self.kind, self.p = "manhattan", 1.0
        elif name == "chebyshev" or (name == "minkowski" and math.isinf(self.p) and w is None):
            self.kind = "chebyshev"
        elif name == "minkowski":
            self.kind = "minkowski"
        else:
            raise OnnxAlgebraError(
                f"{estimator}: metric {name!r} is not supported; supported: euclidean, sqeuclidean, minkowski (any p, "
                "w), manhattan/cityblock/l1, chebyshev/infinity, seuclidean, mahalanobis, cosine."
            )
        if w is not None:
            w = np.asarray(w, dtype=np.float64)
            self.transform = np.diag(w ** (1.0 / self.p)) if not math.isinf(self.p) else np.diag((w > 0) * 1.0)
        self.fit_zero = None
        if self.transform is not None:
            fit = fit @ self.transform
        if self.half:  # cosine: unit rows (a zero row stays zero, at distance 1 from everything)
            norms = np.sqrt((fit * fit).sum(axis=1))
            self.fit_zero = (norms == 0).astype(np.float64)
            fit = fit / np.where(norms == 0, 1.0, norms)[:, None]
        self.centre = fit.mean(axis=0) if self.kind == "euclidean" else np.zeros(fit.shape[1])
        self.fit = fit - self.centre

    def prepare(self, X: Expr, dtype: np.dtype) -> tuple[Expr, Expr | None]:
        """X in the coordinates of :attr:`fit` (and, for cosine, 1 for its zero rows, else 0)."""
        if self.transform is not None:
            X = OnnxMatMul(X, self.transform.astype(dtype))
        zero = None
        if self.half:
            norm = np.sqrt(OnnxReduceSum(X * X, _axes(1), keepdims=1))
            is_zero = norm == _c(0, dtype)
            X = X / OnnxWhere(is_zero, _c(1, dtype), norm)
            zero = OnnxCast(is_zero, to=_TYPES[dtype])
        if self.kind == "euclidean":
            X = X - self.centred(dtype)[1]
        return X, zero

    def centred(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """(training rows less the centre [M, F], the centre) in ``dtype``: the centre rounded to ``dtype`` first,
        so that X and the training rows move by the same amount (float32 would shift them apart otherwise)."""
        centre = self.centre.astype(dtype)
        return (self.fit + self.centre - centre.astype(np.float64)).astype(dtype), centre

    def _term(self, difference: Expr) -> Expr:
        """One coordinate's part of the reduced distance."""
        if self.kind == "euclidean":
            return difference * difference
        if self.kind in ("manhattan", "chebyshev"):
            return np.abs(difference)
        return np.abs(difference) ** _c(self.p, difference.dtype)

    def _reduce(self, difference: Expr, axis: int) -> Expr:
        """The reduced distance from the differences along ``axis`` (dropped)."""
        if self.kind == "euclidean":
            return OnnxReduceSum(difference * difference, _axes(axis), keepdims=0)
        magnitude = np.abs(difference)
        if self.kind == "manhattan":
            return OnnxReduceSum(magnitude, _axes(axis), keepdims=0)
        if self.kind == "chebyshev":
            return OnnxReduceMax(magnitude, _axes(axis), keepdims=0)
        return OnnxReduceSum(magnitude ** _c(self.p, magnitude.dtype), _axes(axis), keepdims=0)

    def _with_zero(self, reduced: Expr, zero: Expr | None, fit_zero: Expr | np.ndarray | None, dtype: np.dtype) -> Expr:
        """Cosine: ``|u - v|**2 + zero_u + zero_v`` is twice ``1 - u.v`` with a zero row's distance 1."""
        if zero is None:
            return reduced
        return reduced + zero + fit_zero

    def all_exact(self, X: Expr, dtype: np.dtype) -> Expr:
        """The reduced distances to every training row, from the differences: [N, M]."""
        X, zero = self.prepare(X, dtype)
        fit = self.centred(dtype)[0]
        if fit.shape[1] > UNROLL_FEATURES:
            reduced = self._reduce(X[:, None, :] - fit[None, :, :], 2)
        else:  # one [N, M] difference at a time: less memory, faster than [N, M, F]
            reduced = None
            for j in range(fit.shape[1]):
                term = self._term(X[:, j : j + 1] - fit[None, :, j])
                if reduced is None:
                    reduced = term
                elif self.kind == "chebyshev":
                    reduced = np.maximum(reduced, term)
                else:
                    reduced = reduced + term
        fit_zero = None if self.fit_zero is None else self.fit_zero.astype(dtype)[None, :]
        return self._with_zero(reduced, zero, fit_zero, dtype)

    def finish(self, reduced: Expr, dtype: np.dtype) -> Expr:
        """The distances from the reduced distances."""
        if self.squared:
            return reduced
        if self.half:
            return reduced * _c(0.5, dtype)
        if self.kind == "euclidean":
            return np.sqrt(reduced)
        if self.kind == "minkowski":
            return reduced ** _c(1.0 / self.p, dtype)
        return reduced

    def kneighbors(self, X: Expr, k: int, dtype: np.dtype) -> tuple[Expr, Expr]:
        """The distances [N, k] to the ``k`` nearest training rows and their positions [N, k] (int64), nearest
        first, equal distances in training order (see the module)."""
        m = self.fit.shape[0]
        k = min(k, m)
        if self.kind != "euclidean":
            nearest = OnnxTopK(self.all_exact(X, dtype), _axes(k), axis=1, largest=0, sorted=1)
            return self.finish(nearest[0], dtype), nearest[1]
        X, zero = self.prepare(X, dtype)
        fit = self.centred(dtype)[0].astype(np.float64)
        norms = (fit * fit).sum(axis=1)
        approximate = OnnxMatMul(X, (-2.0 * fit.T).astype(dtype)) + norms.astype(dtype)  # less |x|**2: same order
        if self.fit_zero is not None:
            approximate = approximate + self.fit_zero.astype(dtype)
        n_candidates = min(2 * k + CANDIDATES_MARGIN, m)
        if n_candidates == m:
            candidates = None  # every row: measured exactly, in training order
            rows = fit.astype(dtype)[None, :, :]
            fit_zero = None if self.fit_zero is None else self.fit_zero.astype(dtype)[None, :]
        else:
            candidates = OnnxTopK(approximate, _axes(n_candidates), axis=1, largest=0, sorted=1)[1]
            candidates = OnnxTopK(candidates, _axes(n_candidates), axis=1, largest=0, sorted=1)[0]  # training order
            rows = OnnxGather(fit.astype(dtype), candidates, axis=0)  # [N, c, F]
            fit_zero = None if self.fit_zero is None else OnnxGather(self.fit_zero.astype(dtype), candidates, axis=0)
        reduced = self._with_zero(self._reduce(X[:, None, :] - rows, 2), zero, fit_zero, dtype)
        nearest = OnnxTopK(reduced, _axes(k), axis=1, largest=0, sorted=1)
        positions = nearest[1] if candidates is None else OnnxGatherElements(candidates, nearest[1], axis=1)
        return self.finish(nearest[0], dtype), positions


def _metric_of(est: Any) -> Metric:
    name = getattr(est, "effective_metric_", est.metric)
    params = getattr(est, "effective_metric_params_", None)
    if params is None:
        params = dict(est.metric_params or {})
        if name == "minkowski":
            params.setdefault("p", getattr(est, "p", 2))
    return Metric(name, params, est._fit_X, type(est).__name__)


def distance_weights(distances: Expr, dtype: np.dtype, valid: Expr | None = None) -> Expr:
    """scikit-learn's ``weights='distance'``: ``1 / d``; a row with a zero distance weighs those neighbours 1 and
    the others 0. ``valid`` (bool, same shape) marks the neighbours that count (radius neighbours)."""
    is_zero = distances == _c(0, dtype)
    if valid is not None:
        is_zero = is_zero & valid
    zero = OnnxCast(is_zero, to=_TYPES[dtype])
    zero_row = OnnxReduceMax(zero, _axes(1), keepdims=1) > _c(0, dtype)
    inverse = _c(1, dtype) / OnnxWhere(is_zero, _c(1, dtype), distances)
    if valid is not None:
        inverse = OnnxWhere(valid, inverse, _c(0, dtype))
    return OnnxWhere(zero_row, zero, inverse)


def _weights_mode(est: Any) -> str:
    if est.weights not in ("uniform", "distance", None):
        raise OnnxAlgebraError(f"{type(est).__name__}: weights={est.weights!r} cannot be converted; use 'uniform' or 'distance'.")
    return est.weights or "uniform"


def _class_table(est: Any, dtype: np.dtype) -> np.ndarray:
    """One row per training row, one column per class: 1 for its class."""
    if getattr(est, "outputs_2d_", False):
        raise OnnxAlgebraError(f"{type(est).__name__}: multi-output classification (a 2-D y) is not supported.")
    y = np.asarray(est._y).ravel()
    return (y[:, None] == np.arange(len(est.classes_))[None, :]).astype(dtype)


def _targets(est: Any, dtype: np.dtype) -> np.ndarray:
    y = np.asarray(est._y, dtype=np.float64)
    return (y.reshape(-1, 1) if y.ndim == 1 else y).astype(dtype)


def _kneighbors(est: Any, X: Expr, dtype: np.dtype) -> tuple[Expr, Expr, Expr]:
    """(distances, positions, weights) of the ``n_neighbors`` nearest training rows."""
    mode = _weights_mode(est)
    if est.n_neighbors > est.n_samples_fit_:
        raise OnnxAlgebraError(
            f"{type(est).__name__}: n_neighbors={est.n_neighbors} exceeds the {est.n_samples_fit_} training rows."
        )
    distances, positions = _metric_of(est).kneighbors(X, int(est.n_neighbors), dtype)
    if mode == "uniform":
        return distances, positions, None
    return distances, positions, distance_weights(distances, dtype)


def convert_kneighbors_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """KNeighborsClassifier: the weighted votes of the ``n_neighbors`` nearest training rows over their sum
    (probabilities) and their argmax (label). See the module for distances and ties."""
    check_options(est, options)
    dtype = computation_dtype()
    table = _class_table(est, dtype)
    _, positions, weights = _kneighbors(est, X, dtype)
    classes = OnnxGather(table, positions, axis=0)  # [N, k, C]
    if weights is None:
        votes = OnnxReduceSum(classes, _axes(1), keepdims=0)
    else:
        votes = OnnxReduceSum(classes * weights[:, :, None], _axes(1), keepdims=0)
    probabilities = votes / OnnxReduceSum(votes, _axes(1), keepdims=1)
    return argmax_label(est, votes), probabilities


def convert_kneighbors_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """KNeighborsRegressor: the (weighted) mean of the targets of the ``n_neighbors`` nearest training rows,
    [N, n_targets]."""
    check_options(est, options)
    dtype = computation_dtype()
    _, positions, weights = _kneighbors(est, X, dtype)
    values = OnnxGather(_targets(est, dtype), positions, axis=0)  # [N, k, T]
    if weights is None:
        return OnnxReduceMean(values, _axes(1), keepdims=0)
    total = OnnxReduceSum(weights, _axes(1), keepdims=1)
    return OnnxReduceSum(values * weights[:, :, None], _axes(1), keepdims=0) / total


def _radius_weights(est: Any, X: Expr, dtype: np.dtype) -> Expr:
    """[N, M]: each training row's weight for each row of X (0 outside the radius)."""
    mode = _weights_mode(est)
    metric = _metric_of(est)
    distances = metric.finish(metric.all_exact(X, dtype), dtype)
    within = distances <= _c(est.radius, dtype)
    if mode == "uniform":
        return OnnxCast(within, to=_TYPES[dtype])
    return distance_weights(distances, dtype, within)


def convert_radius_neighbors_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """RadiusNeighborsClassifier: the weighted votes of the training rows within ``radius``. A row without any
    gets ``outlier_label_`` (see the module)."""
    check_options(est, options)
    dtype = computation_dtype()
    table = _class_table(est, dtype)
    votes = OnnxMatMul(_radius_weights(est, X, dtype), table)  # [N, C]
    total = OnnxReduceSum(votes, _axes(1), keepdims=1)
    outlier = total == _c(0, dtype)  # [N, 1]
    n_classes = len(est.classes_)
    outlier_label = getattr(est, "outlier_label_", None)
    if outlier_label is None:
        fallback = np.full(n_classes, np.nan)
    else:
        outlier_label = np.asarray(outlier_label).ravel()[0]
        fallback = (np.asarray(est.classes_) == outlier_label).astype(np.float64)
    probabilities = OnnxWhere(outlier, fallback.astype(dtype), votes / OnnxWhere(outlier, _c(1, dtype), total))
    index = OnnxArgMax(votes, axis=1, keepdims=0)
    if outlier_label is None or fallback.any():
        if outlier_label is not None:  # the outlier label is a class: its column
            index = OnnxWhere(outlier[:, 0], np.int64(int(np.argmax(fallback))), index)
        return label_of(est, index), probabilities
    classes = classes_constant(est).value
    labels = np.concatenate([classes, np.asarray([outlier_label]).astype(classes.dtype)])
    index = OnnxWhere(outlier[:, 0], np.int64(n_classes), index)
    return OnnxGather(Constant(labels), index, axis=0), probabilities


def convert_radius_neighbors_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """RadiusNeighborsRegressor: the (weighted) mean of the targets within ``radius``; NaN without any."""
    check_options(est, options)
    dtype = computation_dtype()
    weights = _radius_weights(est, X, dtype)
    total = OnnxReduceSum(weights, _axes(1), keepdims=1)
    empty = total == _c(0, dtype)
    mean = OnnxMatMul(weights, _targets(est, dtype)) / OnnxWhere(empty, _c(1, dtype), total)
    return OnnxWhere(empty, _c(np.nan, dtype), mean)


def convert_nearest_centroid(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """NearestCentroid (euclidean or manhattan; ``shrink_threshold`` only moves the fitted centroids).

    Label: the nearest centroid when the class priors are uniform, else the argmax of the discriminant scores
    ``-d(x / s, c / s) ** 2 + 2 log prior`` (``s``: ``within_class_std_dev_`` where not 0), as scikit-learn.
    Second output: ``predict_proba`` (their softmax) for euclidean; scikit-learn has neither ``predict_proba``
    nor ``decision_function`` for manhattan, and the model gives the discriminant scores [N, n_classes].
    """
    check_options(est, options)
    dtype = computation_dtype()
    if est.metric not in ("euclidean", "manhattan"):
        raise OnnxAlgebraError(f"NearestCentroid: metric {est.metric!r} is not supported (euclidean, manhattan).")
    centroids = np.asarray(est.centroids_, dtype=np.float64)
    name = "NearestCentroid"
    raw = Metric(est.metric, {}, centroids, name)
    std = np.asarray(getattr(est, "within_class_std_dev_", np.ones(centroids.shape[1])), dtype=np.float64)
    scale = np.where(std != 0, std, 1.0)
    normalised = Metric(est.metric, {}, centroids / scale, name)
    distances = normalised.finish(normalised.all_exact(X / scale.astype(dtype), dtype), dtype)
    priors = nearest_centroid_priors(est)
    scores = -(distances * distances) + (2.0 * np.log(priors)).astype(dtype)
    if np.isclose(priors, 1 / len(est.classes_)).all():
        nearest = OnnxTopK(raw.all_exact(X, dtype), _axes(1), axis=1, largest=0, sorted=1)[1]
        label = label_of(est, nearest.reshape(-1))
    else:
        label = argmax_label(est, scores)
    if est.metric == "euclidean":
        return label, OnnxSoftmax(scores, axis=1)
    return label, scores


def _lof_score_samples(est: Any, X: Expr, dtype: np.dtype) -> Expr:
    k = int(est.n_neighbors_)
    distances, positions = _metric_of(est).kneighbors(X, k, dtype)
    kth = np.asarray(est._distances_fit_X_, dtype=np.float64)[:, k - 1]
    reach = np.maximum(distances, OnnxGather(kth.astype(dtype), positions, axis=0))
    lrd = _c(1, dtype) / (OnnxReduceMean(reach, _axes(1), keepdims=0) + _c(1e-10, dtype))  # [N]
    neighbours = OnnxGather(np.asarray(est._lrd, dtype=np.float64).astype(dtype), positions, axis=0)  # [N, k]
    return -OnnxReduceMean(neighbours / lrd[:, None], _axes(1), keepdims=0)


def convert_local_outlier_factor(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """LocalOutlierFactor(novelty=True): ``score_samples = -mean(lrd(neighbours) / lrd(x))`` over the
    ``n_neighbors_`` nearest training rows, ``decision_function = score_samples - offset_``, ``predict`` -1 where
    it is negative, else 1. Outputs ``label`` (int64) and ``scores`` (``decision_function``, [N]);
    ``options={'score_samples': True}`` gives ``score_samples`` as ``scores``."""
    options = check_options(est, options, ("score_samples",))
    if not est.novelty:
        raise OnnxAlgebraError(
            "LocalOutlierFactor: only novelty=True converts (with novelty=False scikit-learn has no predict for new "
            "rows, only fit_predict on the training rows); refit with LocalOutlierFactor(novelty=True)."
        )
    dtype = computation_dtype()
    scores = _lof_score_samples(est, X, dtype)
    decision = scores - _c(est.offset_, dtype)
    label = OnnxWhere(decision < _c(0, dtype), np.int64(-1), np.int64(1))
    return label, scores if options.get("score_samples") else decision


def log_kernel_norm(kernel: str, h: float, d: int) -> float:
    """The log of the factor that makes ``kernel`` of bandwidth ``h`` a density in ``d`` dimensions.

    >>> round(log_kernel_norm("gaussian", 1.0, 1), 6) == round(-0.5 * math.log(2 * math.pi), 6)
    True
    """
    log_vn = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)  # the unit ball's volume

    def log_sn(n: int) -> float:  # the unit sphere's surface in n + 1 dimensions
        return math.log(2 * math.pi) + 0.5 * (n - 1) * math.log(math.pi) - math.lgamma(0.5 * (n - 1) + 1)

    if kernel == "gaussian":
        factor = 0.5 * d * math.log(2 * math.pi)
    elif kernel == "tophat":
        factor = log_vn
    elif kernel == "epanechnikov":
        factor = log_vn + math.log(2.0 / (d + 2.0))
    elif kernel == "exponential":
        factor = log_sn(d - 1) + math.lgamma(d)
    elif kernel == "linear":
        factor = log_vn - math.log(d + 1.0)
    elif kernel == "cosine":
        total, term = 0.0, 2.0 / math.pi
        for k in range(1, d + 1, 2):
            total += term
            term *= -(d - k) * (d - k - 1) * (2.0 / math.pi) ** 2
        if total <= 0:  # scikit-learn's series is negative for some dimensions (d = 8, ...): its norm is NaN
            return math.nan
        factor = math.log(total) + log_sn(d - 1)
    else:
        raise OnnxAlgebraError(f"KernelDensity: kernel {kernel!r} is not supported.")
    return -factor - d * math.log(h)


def convert_kernel_density(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """KernelDensity (euclidean): ``score_samples``, the log of the (weighted) mean of the kernel of bandwidth
    ``bandwidth_`` over the training rows, from exact distances; gaussian and exponential through a log-sum-exp,
    the compact kernels (tophat, epanechnikov, linear, cosine: 0 from ``d >= h``) through the log of their sum
    (-inf when every training row is farther than the bandwidth, as scikit-learn). scikit-learn's tree prunes with
    ``atol``/``rtol``: the default 0 is exact; other values make scikit-learn approximate, not the model."""
    check_options(est, options)
    if est.metric != "euclidean":
        raise OnnxAlgebraError(f"KernelDensity: metric {est.metric!r} is not supported (euclidean).")
    dtype = computation_dtype()
    tree = est.tree_
    fit = np.asarray(tree.data, dtype=np.float64)
    m, d = fit.shape
    weight = tree.sample_weight
    weight = np.ones(m) if weight is None else np.asarray(weight, dtype=np.float64)
    h = float(est.bandwidth_)
    metric = Metric("euclidean", {}, fit, "KernelDensity")
    squared = metric.all_exact(X, dtype)  # [N, M]
    log_norm = log_kernel_norm(est.kernel, h, d) - math.log(weight.sum())
    if est.kernel in ("gaussian", "exponential"):
        exponent = squared * _c(-0.5 / h**2, dtype) if est.kernel == "gaussian" else np.sqrt(squared) * _c(-1 / h, dtype)
        exponent = exponent + np.log(weight).astype(dtype)
        top = OnnxReduceMax(exponent, _axes(1), keepdims=1)
        top = OnnxWhere(np.isinf(top), _c(0, dtype), top)
        total = OnnxReduceSum(np.exp(exponent - top), _axes(1), keepdims=0)
        return np.log(total) + top[:, 0] + _c(log_norm, dtype)
    ratio = np.sqrt(squared) * _c(1 / h, dtype)
    if est.kernel == "tophat":
        value = OnnxCast(ratio < _c(1, dtype), to=_TYPES[dtype])
    elif est.kernel == "epanechnikov":
        value = np.maximum(_c(1, dtype) - ratio * ratio, _c(0, dtype))
    elif est.kernel == "linear":
        value = np.maximum(_c(1, dtype) - ratio, _c(0, dtype))
    elif est.kernel == "cosine":
        value = OnnxWhere(ratio < _c(1, dtype), np.cos(ratio * _c(0.5 * math.pi, dtype)), _c(0, dtype))
    else:
        raise OnnxAlgebraError(f"KernelDensity: kernel {est.kernel!r} is not supported.")
    total = OnnxMatMul(value, weight.astype(dtype)[:, None])[:, 0]
    return np.log(total) + _c(log_norm, dtype)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import neighbors

    return {
        convert_kneighbors_classifier: [neighbors.KNeighborsClassifier],
        convert_kneighbors_regressor: [neighbors.KNeighborsRegressor],
        convert_radius_neighbors_classifier: [neighbors.RadiusNeighborsClassifier],
        convert_radius_neighbors_regressor: [neighbors.RadiusNeighborsRegressor],
        convert_nearest_centroid: [neighbors.NearestCentroid],
        convert_local_outlier_factor: [neighbors.LocalOutlierFactor],
        convert_kernel_density: [neighbors.KernelDensity],
    }
