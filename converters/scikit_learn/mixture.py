"""Gaussian mixtures: GaussianMixture and BayesianGaussianMixture, every ``covariance_type``.

Both compute the weighted log probabilities ``w[n, k] = log weight_k + log N(x_n | mean_k, precision_k)`` (plus
the variational terms of the Bayesian mixture) from ``precisions_cholesky_`` ``P_k``, as scikit-learn's
``_estimate_log_gaussian_prob``::

    w[n, k] = c_k - 0.5 * |(x_n - mean_k) @ P_k| ** 2,   c_k = log weight_k - 0.5 F log(2 pi) + log det P_k (+ ...)

- ``full``, ``tied``: ``x @ P_k - mean_k @ P_k`` for every component by one Gemm with the ``P_k`` side by side
  (``tied``: the same ``P`` K times);
- ``diag``, ``spherical``: the differences ``x - mean_k`` by one Gemm copying x once per component (each value
  ``x * 1 - mean``: rounded once, as a subtraction), their squares weighted by ``P_k ** 2``. scikit-learn expands
  the square there (``|m|**2 p - 2 x.(m p) + x**2 . p``), which in float64 differs from the differences by
  rounding only; the differences keep float32 accurate for rows close to a mean.

Then one more Gemm sums each component's block of ``-0.5 * squares`` (weighted) and adds ``c_k``: five nodes
with ArgMax and Softmax, whatever the covariance type (onnxruntime, 1,000 rows of 10 features, 4 components:
34 us, skl2onnx's 58-100).

A model fitted on float32 and converted for float64 input: scikit-learn then rounds ``mean_k @ P_k``,
``log det P_k`` and the log weights to float32 (its float64 output is float32-accurate); the graph computes
them in float64 from the float32 parameters, and agrees with scikit-learn to float32's precision only.

``c_k`` is computed at conversion in float64 (the Bayesian mixture's ``E[log pi]``, ``log_lambda`` and
``F / mean_precision_`` with scipy's ``digamma``, for both ``weight_concentration_prior_type``).

Outputs ``label`` (int64: ``predict``, the first maximum of ``w``) and ``probabilities`` (``predict_proba``,
``softmax(w)``: onnxruntime's Softmax subtracts the row maximum, as scikit-learn's ``logsumexp``).
``options={'score_samples': True}`` gives ``score_samples`` ([N], ``logsumexp(w)``) in place of the
probabilities (the output keeps the name the registry gives it, ``probabilities``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxArgMax, OnnxGemm, OnnxReduceSum, OnnxSoftmax, computation_dtype

from ._common import block_selectors, check_options

_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def _axes(*axes: int) -> np.ndarray:
    return np.array(axes, dtype=np.int64)


def log_det_cholesky(precisions_chol: np.ndarray, covariance_type: str, n_features: int) -> np.ndarray | float:
    """``log det P_k`` of each component (a number for ``tied``), from the Cholesky factors of the precisions.

    >>> log_det_cholesky(np.array([2.0, 0.5]), "spherical", 3)
    array([ 2.07944154, -2.07944154])
    """
    pc = np.asarray(precisions_chol, dtype=np.float64)
    if covariance_type == "full":
        return np.log(np.diagonal(pc, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return float(np.log(np.diag(pc)).sum())
    if covariance_type == "diag":
        return np.log(pc).sum(axis=1)
    return n_features * np.log(pc)


def _log_weights(est: Any) -> np.ndarray:
    """``_estimate_log_weights``: ``log weights_`` (EM) or ``E[log pi]`` (variational, Dirichlet or its process)."""
    if not hasattr(est, "weight_concentration_"):
        return np.log(np.asarray(est.weights_, dtype=np.float64))
    from scipy.special import digamma

    concentration = est.weight_concentration_
    if est.weight_concentration_prior_type == "dirichlet_process":
        a, b = (np.asarray(c, dtype=np.float64) for c in concentration)
        total = digamma(a + b)
        return digamma(a) - total + np.hstack((0.0, np.cumsum(digamma(b) - total)[:-1]))
    concentration = np.asarray(concentration, dtype=np.float64)
    return digamma(concentration) - digamma(concentration.sum())


def _variational_terms(est: Any, n_features: int) -> np.ndarray | float:
    """The Bayesian mixture's additions to ``log N``: ``-F/2 log dof + (log_lambda - F / mean_precision) / 2``."""
    if not hasattr(est, "degrees_of_freedom_"):
        return 0.0
    from scipy.special import digamma

    dof = np.asarray(est.degrees_of_freedom_, dtype=np.float64)
    log_lambda = n_features * np.log(2.0) + digamma(0.5 * (dof - np.arange(n_features)[:, None])).sum(axis=0)
    return -0.5 * n_features * np.log(dof) + 0.5 * (log_lambda - n_features / np.asarray(est.mean_precision_, dtype=np.float64))


def weighted_log_prob(est: Any, X: Expr, dtype: np.dtype) -> Expr:
    """``_estimate_weighted_log_prob(X)`` [N, n_components] of a fitted (Bayesian) Gaussian mixture.

    >>> from sklearn.mixture import GaussianMixture
    >>> from onnxalgebra import Var
    >>> gm = GaussianMixture(2, random_state=0).fit(np.random.RandomState(0).randn(50, 3))
    >>> weighted_log_prob(gm, Var("X", np.float64, [None, 3]), np.dtype(np.float64)).shape
    (None, 2)
    """
    covariance_type = est.covariance_type
    if covariance_type not in _COVARIANCE_TYPES:
        raise OnnxAlgebraError(
            f"{type(est).__name__}: covariance_type {covariance_type!r} is not supported; expected one of {_COVARIANCE_TYPES}."
        )
    means = np.asarray(est.means_, dtype=np.float64)
    pc = np.asarray(est.precisions_cholesky_, dtype=np.float64)
    k, f = means.shape
    constant = (
        _log_weights(est)
        - 0.5 * f * math.log(2 * math.pi)
        + log_det_cholesky(pc, covariance_type, f)
        + _variational_terms(est, f)
    )
    repeat, blocks = block_selectors(k, f, np.dtype(np.float64))  # [F, K*F] x per component; [K*F, K] sums block k
    if covariance_type in ("full", "tied"):  # x @ P_k - mean_k @ P_k for every component: one Gemm, P_k side by side
        pk = pc if covariance_type == "full" else np.broadcast_to(pc, (k, f, f))
        side_by_side = pk.transpose(1, 0, 2).reshape(f, k * f)  # [F, K*F]: column block k is P_k
        shifts = np.einsum("kf,kfg->kg", means, pk).reshape(-1)
        y = OnnxGemm(X, side_by_side.astype(dtype), (-shifts).astype(dtype))
        weights = -0.5 * blocks
    else:  # the differences x - mean_k (one Gemm copying x per component), their squares weighted by P_k ** 2
        scale = pc if covariance_type == "diag" else np.repeat(pc[:, None], f, axis=1)  # [K, F]
        y = OnnxGemm(X, repeat.astype(dtype), (-means.reshape(-1)).astype(dtype))
        weights = -0.5 * blocks * (scale.reshape(-1, 1) ** 2)
    # the sum over each block of -0.5 * squares, plus the constant: one Gemm [N, K*F] @ [K*F, K]
    return OnnxGemm(y * y, weights.astype(dtype), np.broadcast_to(constant, (k,)).astype(dtype))


def logsumexp(w: Expr) -> Expr:
    """``log(sum(exp(w), axis=1))`` [N], shifted by the row maximum so that no exp overflows."""
    top = np.max(w, axis=1, keepdims=True)  # ReduceMax built for the target opset (axes an input from 18)
    return np.log(OnnxReduceSum(np.exp(w - top), _axes(1), keepdims=0)) + top.reshape(-1)


def convert_gaussian_mixture(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """GaussianMixture, BayesianGaussianMixture: ``label`` (``predict``) and ``probabilities``
    (``predict_proba``), or ``score_samples`` with ``options={'score_samples': True}``."""
    options = check_options(est, options, ("score_samples",))
    dtype = computation_dtype()
    w = weighted_log_prob(est, X, dtype)
    label = OnnxArgMax(w, axis=1, keepdims=0)
    if options.get("score_samples"):
        return label, logsumexp(w)
    return label, OnnxSoftmax(w, axis=1)


def registrations() -> dict:
    """Converter -> the scikit-learn classes it serves."""
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

    return {convert_gaussian_mixture: [GaussianMixture, BayesianGaussianMixture]}
