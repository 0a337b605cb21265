"""Cross decomposition: PLSRegression, PLSCanonical, CCA (predict, transform) and PLSSVD (transform), one Gemm each.

scikit-learn's ``predict`` is ``(X - _x_mean) @ coef_.T + intercept_`` and its
``transform`` ``((X - _x_mean) / _x_std) @ x_rotations_`` (PLSSVD:
``x_weights_``); both are affine in ``X``, so the centring and scaling fold
into the Gemm's matrix and bias at conversion time.

PLSRegression, PLSCanonical and CCA are regressors: their graph output
``variable`` is ``predict`` ([N, n_targets], also for a model fitted on a 1-D
``y``, whose ``predict`` is [N]); ``options={'transform': True}`` makes it
``transform(X)`` ([N, n_components]) instead. PLSSVD has only ``transform``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxGemm

from ._common import check_options
from ._compat import pls_coef


def affine(X: Expr, matrix: np.ndarray, bias: np.ndarray) -> Expr:
    """``X @ matrix + bias``: one Gemm for a matrix ``X`` (float64 constants, cast to the computation dtype)."""
    if X.shape is not None and len(X.shape) == 2:
        return OnnxGemm(X, matrix, bias)
    return X @ matrix + bias


def pls_predict(est: Any, X: Expr) -> Expr:
    """``predict``: ``X @ coef_.T + (intercept_ - _x_mean @ coef_.T)``, [N, n_targets]."""
    coef = pls_coef(est)  # [n_features, n_targets], in X's units whatever the scikit-learn version
    bias = np.asarray(est.intercept_, dtype=np.float64) - np.asarray(est._x_mean, dtype=np.float64) @ coef
    return affine(X, coef, bias)


def pls_transform(est: Any, X: Expr, rotations: np.ndarray) -> Expr:
    """``transform``: ``X @ (rotations / _x_std) - (_x_mean / _x_std) @ rotations``, [N, n_components]."""
    mean = np.asarray(est._x_mean, dtype=np.float64)
    std = np.asarray(est._x_std, dtype=np.float64)
    rotations = np.asarray(rotations, dtype=np.float64)
    return affine(X, rotations / std[:, None], -(mean / std) @ rotations)


def convert_pls(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """PLSRegression, PLSCanonical, CCA: ``predict`` ([N, n_targets]); ``options={'transform': True}``: ``transform``."""
    options = check_options(est, options, ("transform",))
    if options.get("transform"):
        return pls_transform(est, X, est.x_rotations_)
    return pls_predict(est, X)


def convert_pls_svd(est: Any, X: Expr) -> Expr:
    """PLSSVD: ``transform(X)``, [N, n_components]."""
    return pls_transform(est, X, est.x_weights_)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import cross_decomposition as cd

    return {convert_pls: [cd.PLSRegression, cd.PLSCanonical, cd.CCA], convert_pls_svd: [cd.PLSSVD]}
