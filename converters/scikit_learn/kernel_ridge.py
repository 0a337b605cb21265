"""KernelRidge: ``predict(X) = K(X, X_fit_) @ dual_coef_``, the kernel written with the algebra.

Every kernel scikit-learn's ``pairwise_kernels`` accepts by name is supported:
'linear', 'poly'/'polynomial', 'rbf', 'laplacian', 'sigmoid', 'cosine', 'chi2',
'additive_chi2', and 'precomputed' (``X`` is then the [N, n_train] kernel
matrix). A callable kernel is Python code the graph cannot run: a clear error.
``gamma=None`` means ``1 / n_features`` as in scikit-learn (chi2: ``1``).

The kernels that are a function of ``X @ X_fit_.T`` take one Gemm; 'linear'
and 'cosine' fold ``X_fit_.T @ dual_coef_`` at conversion time, so the graph
is a single MatMul (plus the row norms for 'cosine'). 'rbf' uses the same
expansion as scikit-learn, ``|x|^2 - 2 x.y + |y|^2`` clipped at 0.
'laplacian', 'chi2' and 'additive_chi2' need the [N, n_train, n_features]
differences: memory grows with the batch size times the training set.

scikit-learn refuses negative inputs to the chi2 kernels; a graph cannot
raise, so it computes the same formula on them (``(x - y)^2 / (x + y)``,
terms with ``x + y = 0`` skipped) without an error.
For float32 inputs scikit-learn computes the kernel in float64 (``X_fit_`` is
float64); the graph stays float32, within 1e-5 of the output's scale on the
tests' data (a model whose ``dual_coef_`` cancel out strongly loses more).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxGemm, OnnxMax, OnnxWhere

KERNELS = ("linear", "poly", "polynomial", "rbf", "laplacian", "sigmoid", "cosine", "chi2", "additive_chi2", "precomputed")


def training_rows(est: Any) -> np.ndarray:
    """``X_fit_`` as a dense float64 array (a model fitted on a sparse matrix included)."""
    rows = est.X_fit_
    return np.asarray(rows.toarray() if hasattr(rows, "toarray") else rows, dtype=np.float64)


def _gamma(est: Any, n_features: int, default: float | None = None) -> float:
    gamma = est.gamma
    if gamma is None:
        return 1.0 / n_features if default is None else default
    return float(gamma)


def _row_norms(X: Expr) -> Expr:
    """Euclidean norm of each row, [N, 1]; a zero row gets 1 (``sklearn.preprocessing.normalize``'s rule)."""
    norms = np.sqrt((X * X).sum(axis=1, keepdims=True))
    return OnnxWhere(norms == 0, 1.0, norms)


def _squared_distances(X: Expr, Y: np.ndarray) -> Expr:
    """``max(|x|^2 - 2 x.y + |y|^2, 0)``, [N, n_train] (scikit-learn's ``euclidean_distances`` squared)."""
    YY = (Y * Y).sum(axis=1)
    XX = (X * X).sum(axis=1, keepdims=True)
    return OnnxMax(OnnxGemm(X, Y, YY, alpha=-2.0, transB=1) + XX, 0.0)


def _differences(X: Expr, Y: np.ndarray) -> Expr:
    """``x - y`` for every pair, [N, n_train, n_features]."""
    return X.reshape(-1, 1, Y.shape[1]) - Y[None, :, :]


def _additive_chi2(X: Expr, Y: np.ndarray) -> Expr:
    """``-sum((x - y)^2 / (x + y))`` over the features, a term skipped where ``x + y == 0``."""
    total = X.reshape(-1, 1, Y.shape[1]) + Y[None, :, :]
    difference = _differences(X, Y)
    zero = total == 0
    return -OnnxWhere(zero, 0.0, difference * difference / OnnxWhere(zero, 1.0, total)).sum(axis=2)


def kernel_matrix(est: Any, X: Expr) -> Expr:
    """``K(X, X_fit_)`` [N, n_train] for ``est.kernel`` with ``gamma``, ``degree``, ``coef0`` (as KernelRidge)."""
    kernel = est.kernel
    Y = training_rows(est)
    n_features = Y.shape[1]
    if kernel == "linear":
        return X @ Y.T
    if kernel in ("poly", "polynomial", "sigmoid"):
        # gamma x.y + coef0 in one Gemm; gamma scales Y (Gemm's alpha attribute is a float32)
        inner = OnnxGemm(X, Y * _gamma(est, n_features), np.full(len(Y), float(est.coef0)), transB=1)
        return np.tanh(inner) if kernel == "sigmoid" else inner ** float(est.degree)
    if kernel == "rbf":
        return np.exp(_squared_distances(X, Y) * -_gamma(est, n_features))
    if kernel == "laplacian":
        return np.exp(np.abs(_differences(X, Y)).sum(axis=2) * -_gamma(est, n_features))
    if kernel == "cosine":
        Yn = Y / _row_norms_array(Y)
        return (X @ Yn.T) / _row_norms(X)
    if kernel == "additive_chi2":
        return _additive_chi2(X, Y)
    if kernel == "chi2":
        return np.exp(_additive_chi2(X, Y) * _gamma(est, n_features, default=1.0))
    raise _unsupported(est)


def _row_norms_array(Y: np.ndarray) -> np.ndarray:
    norms = np.sqrt((Y * Y).sum(axis=1, keepdims=True))
    norms[norms == 0] = 1.0
    return norms


def _unsupported(est: Any) -> OnnxAlgebraError:
    kernel = est.kernel
    if callable(kernel):
        return OnnxAlgebraError(
            f"KernelRidge: kernel={getattr(kernel, '__name__', kernel)!r} is a callable, Python code an ONNX graph cannot "
            f"run; refit with one of the named kernels {', '.join(KERNELS)}."
        )
    return OnnxAlgebraError(f"KernelRidge: kernel {kernel!r} is not supported; expected one of {', '.join(KERNELS)}.")


def convert_kernel_ridge(est: Any, X: Expr) -> Expr:
    """KernelRidge: ``K(X, X_fit_) @ dual_coef_``, [N, n_targets]; 'linear' and 'cosine' as one folded MatMul."""
    kernel = est.kernel
    if callable(kernel) or kernel not in KERNELS:
        raise _unsupported(est)
    dual = np.asarray(est.dual_coef_, dtype=np.float64)
    dual = dual.reshape(-1, 1) if dual.ndim == 1 else dual
    if kernel == "precomputed":
        return X @ dual
    Y = training_rows(est)
    if kernel == "linear":  # (X @ Y.T) @ dual = X @ (Y.T @ dual)
        return X @ (Y.T @ dual)
    if kernel == "cosine":  # (X / |X|) @ (Yn.T @ dual)
        return (X @ ((Y / _row_norms_array(Y)).T @ dual)) / _row_norms(X)
    return kernel_matrix(est, X) @ dual


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn.kernel_ridge import KernelRidge

    return {convert_kernel_ridge: [KernelRidge]}
