"""sklearn.covariance: squared Mahalanobis distances to the fitted location, and EllipticEnvelope built on them.

Every covariance estimator (EmpiricalCovariance, ShrunkCovariance, LedoitWolf,
OAS, MinCovDet, GraphicalLasso, GraphicalLassoCV) has one method per row,
``mahalanobis(X)``: the squared distance of each row to ``location_`` under
the precision matrix ``P = get_precision()`` (``precision_``, or the
pseudo-inverse of ``covariance_`` when it was not stored)::

    d = X - location_
    mahalanobis = sum((d @ P) * d, axis=1)          # [N]

The rows are centred first (one ``Sub``), then one ``MatMul``, a product and a
sum: computing ``X P X' - 2 X P m + m P m`` instead would cancel for rows far
from the origin. These estimators are neither predictors nor transformers:
the model's one output is ``variable`` [N] (scikit-learn's ``mahalanobis``).

EllipticEnvelope (MinCovDet's robust location and precision) is an outlier
detector, as scikit-learn computes it::

    score_samples = -mahalanobis(X)
    decision_function = score_samples - offset_
    predict = 1 where decision_function >= 0, else -1

Its outputs follow the outlier-detector contract: ``label`` (int64, 1 or -1)
and ``scores`` (``decision_function``, [N]); ``options={'score_samples':
True}`` gives ``score_samples`` as ``scores`` instead (as IsolationForest).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxWhere, computation_dtype

from ._common import check_options


def precision_of(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(location_, precision)`` of a fitted covariance estimator, float64, as ``mahalanobis`` reads them.

    >>> from sklearn.covariance import EmpiricalCovariance
    >>> est = EmpiricalCovariance().fit(np.array([[0.0, 1.0], [2.0, 1.0], [1.0, 4.0]]))
    >>> [a.shape for a in precision_of(est)]
    [(2,), (2, 2)]
    """
    location = np.asarray(est.location_, dtype=np.float64).ravel()
    precision = np.asarray(est.get_precision(), dtype=np.float64)
    if precision.shape != (len(location), len(location)):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: expected a precision matrix of shape ({len(location)}, {len(location)}) for a "
            f"location of {len(location)} features, got {precision.shape}."
        )
    if not (np.isfinite(precision).all() and np.isfinite(location).all()):
        raise OnnxAlgebraError(f"{type(est).__name__}: its location or precision holds NaN or infinity; refit it.")
    return location, precision


def mahalanobis(est: Any, X: Expr) -> Expr:
    """``est.mahalanobis(X)``: the squared Mahalanobis distances of the rows of ``X`` to ``location_``, [N]."""
    dtype = computation_dtype()
    location, precision = precision_of(est)
    if X.dtype != dtype:
        X = X.astype(dtype)
    centred = X - location.astype(dtype)
    return ((centred @ precision.astype(dtype)) * centred).sum(axis=1)


def convert_covariance(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """EmpiricalCovariance, ShrunkCovariance, LedoitWolf, OAS, MinCovDet, GraphicalLasso(CV): ``mahalanobis(X)``,
    the squared distances to ``location_`` under ``get_precision()``, [N]."""
    check_options(est, options)
    return mahalanobis(est, X)


def convert_elliptic_envelope(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """EllipticEnvelope: ``label`` (``predict``: 1 for an inlier, -1 for an outlier, int64) and ``scores``
    (``decision_function = -mahalanobis(X) - offset_``; ``options={'score_samples': True}``: ``-mahalanobis(X)``)."""
    options = check_options(est, options, ("score_samples",))
    dtype = computation_dtype()
    raw = -mahalanobis(est, X)
    decision = raw - np.asarray(est.offset_, dtype=np.float64).astype(dtype)
    label = OnnxWhere(decision >= np.asarray(0, dtype=dtype), np.int64(1), np.int64(-1))
    return label, raw if options.get("score_samples") else decision


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import covariance

    return {
        convert_elliptic_envelope: [covariance.EllipticEnvelope],
        convert_covariance: [
            covariance.EmpiricalCovariance,
            covariance.ShrunkCovariance,
            covariance.LedoitWolf,
            covariance.OAS,
            covariance.MinCovDet,
            covariance.GraphicalLasso,
            covariance.GraphicalLassoCV,
        ],
    }
