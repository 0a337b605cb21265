"""GaussianProcessRegressor, GaussianProcessClassifier: the fitted kernel between X and the training rows.

Kernels (``kernel_``, the fitted one): RBF, Matern (``nu`` 0.5, 1.5, 2.5 and
inf; another ``nu`` needs the modified Bessel function ``kv``, which ONNX has
not: an error), RationalQuadratic, DotProduct, ExpSineSquared, WhiteKernel
(zero between distinct sets of rows, as scikit-learn's ``k(X, Y)``),
ConstantKernel, their sums, products and powers (Exponentiation); isotropic
or anisotropic length scales. Distances are computed on the [N, n_train,
features] differences, as ``cdist`` does, not with the expanded
``|x|^2 - 2 x.y + |y|^2`` that loses digits for near rows.

- Regressor: ``predict(X) = y_train_std * K(X, X_train) @ alpha_ + y_train_mean``
  (``normalize_y``), [N, n_targets]. In float32 the mean is a sum of terms
  ``K_ij alpha_j`` that can be hundreds of times larger than itself; their
  rounding then costs ``1e-7 * max(|K| @ |alpha_|) / max|mean|`` relative
  (1e-5 to 4e-5 on the tests' data), float64 stays near 1e-15.
  ``options={'return_std': True}`` adds a second output ``std``
  (``predict(X, return_std=True)[1]``, [N, n_targets]); :func:`gpr_std` gives
  it as an expression. ``return_cov`` ([N, N]) is not supported.
- Binary classifier (Laplace approximation): ``predict`` is ``f* > 0`` with
  ``f* = K(X, X_train) @ (y_train - pi)``; ``predict_proba`` integrates the
  logistic as scikit-learn does, a combination of 5 error functions with
  coefficients of about +-3500 (Williams & Barber): these cancel to a
  probability of order 1, so float32 reaches about 1e-4 relative
  (the float32 error of each ``erf`` times 3500), float64 about 1e-12.
  onnxruntime has no double ``Erf``: in float64 the graph computes
  ``erf(z) = 2/sqrt(pi) z exp(-z^2) sum_n (2 z^2)^n / (2n+1)!!`` (positive
  terms, 100 of them after clipping ``|z|`` to 6: within 2e-15 of
  ``scipy.special.erf``).
- Multiclass classifier (``one_vs_rest``): each binary model's probability
  of its class, rows normalised to sum to 1; ``predict`` the first argmax.
  ``one_vs_one`` has no ``predict_proba`` in scikit-learn: an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxConcat, OnnxErf, OnnxReduceSum, OnnxWhere, computation_dtype

from ._common import argmax_label, binary_columns, check_options, label_of
from .dummy import repeat_rows

Value = Expr | float  # a kernel's values: an expression, or a number when they are all equal


def _sum_last(x: Expr) -> Expr:
    return OnnxReduceSum(x, np.array([-1], dtype=np.int64), keepdims=0)


def _sqdist(X: Expr, Y: np.ndarray, scale: Any = 1.0) -> Expr:
    """Squared euclidean distances between the rows of ``X / scale`` and of ``Y / scale``: [N, len(Y)]."""
    scale = np.asarray(scale, dtype=np.float64)
    Yn = np.asarray(Y, dtype=np.float64) / scale
    diff = (X / scale if np.any(scale != 1) else X).reshape(-1, 1, Yn.shape[1]) - Yn  # [N, n_train, features]
    return _sum_last(diff * diff)


def _unsupported(kernel: Any, why: str = "") -> OnnxAlgebraError:
    return OnnxAlgebraError(
        f"Gaussian process kernel {kernel!r} ({type(kernel).__name__}) is not supported{why}; supported: RBF, Matern "
        "(nu 0.5, 1.5, 2.5, inf), RationalQuadratic, DotProduct, ExpSineSquared, WhiteKernel, ConstantKernel, "
        "their sums, products and Exponentiation."
    )


def kernel_values(kernel: Any, X: Expr, Y: np.ndarray) -> Value:
    """``kernel(X, Y)`` for the rows of an expression ``X`` and a constant ``Y``: [N, len(Y)] (or a number)."""
    from sklearn.gaussian_process import kernels as k

    if isinstance(kernel, k.Sum):
        return kernel_values(kernel.k1, X, Y) + kernel_values(kernel.k2, X, Y)
    if isinstance(kernel, k.Product):
        return kernel_values(kernel.k1, X, Y) * kernel_values(kernel.k2, X, Y)
    if isinstance(kernel, k.Exponentiation):
        return kernel_values(kernel.kernel, X, Y) ** float(kernel.exponent)
    if isinstance(kernel, k.ConstantKernel):
        return float(kernel.constant_value)
    if isinstance(kernel, k.WhiteKernel):
        return 0.0  # k(X, Y) with Y given: X and Y are different sets of rows
    if isinstance(kernel, k.Matern):
        if np.isinf(kernel.nu):
            return np.exp(-0.5 * _sqdist(X, Y, kernel.length_scale))
        d = np.sqrt(_sqdist(X, Y, kernel.length_scale))
        if kernel.nu == 0.5:
            return np.exp(-d)
        if kernel.nu == 1.5:
            d = d * np.sqrt(3.0)
            return (1.0 + d) * np.exp(-d)
        if kernel.nu == 2.5:
            d = d * np.sqrt(5.0)
            return (1.0 + d + d * d / 3.0) * np.exp(-d)
        raise _unsupported(kernel, f": nu={kernel.nu} needs the Bessel function kv, which ONNX has not")
    if isinstance(kernel, k.RBF):
        return np.exp(-0.5 * _sqdist(X, Y, kernel.length_scale))
    if isinstance(kernel, k.RationalQuadratic):
        base = 1.0 + _sqdist(X, Y) / (2.0 * kernel.alpha * kernel.length_scale**2)
        return base ** float(-kernel.alpha)
    if isinstance(kernel, k.ExpSineSquared):
        d = np.sqrt(_sqdist(X, Y))
        s = np.sin(np.pi / kernel.periodicity * d) / kernel.length_scale
        return np.exp(-2.0 * s * s)
    if isinstance(kernel, k.DotProduct):
        return X @ np.asarray(Y, dtype=np.float64).T + float(kernel.sigma_0**2)
    raise _unsupported(kernel)


def kernel_diag(kernel: Any, X: Expr) -> Value:
    """``kernel.diag(X)``: [N] (or a number)."""
    from sklearn.gaussian_process import kernels as k

    if isinstance(kernel, k.Sum):
        return kernel_diag(kernel.k1, X) + kernel_diag(kernel.k2, X)
    if isinstance(kernel, k.Product):
        return kernel_diag(kernel.k1, X) * kernel_diag(kernel.k2, X)
    if isinstance(kernel, k.Exponentiation):
        return kernel_diag(kernel.kernel, X) ** float(kernel.exponent)
    if isinstance(kernel, k.ConstantKernel):
        return float(kernel.constant_value)
    if isinstance(kernel, k.WhiteKernel):
        return float(kernel.noise_level)
    if isinstance(kernel, k.Matern) and not (np.isinf(kernel.nu) or kernel.nu in (0.5, 1.5, 2.5)):
        raise _unsupported(kernel, f": nu={kernel.nu} needs the Bessel function kv, which ONNX has not")
    if isinstance(kernel, (k.RBF, k.RationalQuadratic, k.ExpSineSquared)):  # Matern is an RBF
        return 1.0
    if isinstance(kernel, k.DotProduct):
        return _sum_last(X * X) + float(kernel.sigma_0**2)
    raise _unsupported(kernel)


def _lower_inverse(L: np.ndarray) -> np.ndarray:
    """The inverse of a lower triangular (Cholesky) factor, by triangular solves."""
    from scipy.linalg import solve_triangular

    L = np.asarray(L, dtype=np.float64)
    return solve_triangular(L, np.eye(len(L)), lower=True)


def _as_expr(X: Expr, value: Value, n_columns: int | None) -> Expr:
    """A kernel value that is a number, repeated as [N, n_columns] (None: [N])."""
    if isinstance(value, Expr):
        return value
    dtype = computation_dtype()
    return repeat_rows(X, np.full(n_columns, value, dtype=dtype) if n_columns else np.asarray(value, dtype=dtype))


def _kernel(est: Any, X: Expr, train: np.ndarray) -> Expr:
    return _as_expr(X, kernel_values(est.kernel_, X, train), len(train))


def _gpr_check(est: Any) -> None:
    if not hasattr(est, "X_train_"):
        raise OnnxAlgebraError(f"{type(est).__name__}: not fitted (predicting from the prior is not supported).")
    if np.asarray(est.X_train_).dtype.kind not in "fiub" or np.asarray(est.X_train_).ndim != 2:
        raise OnnxAlgebraError(f"{type(est).__name__}: X_train_ must be a numeric matrix, got {np.asarray(est.X_train_).dtype}.")


def gpr_std(est: Any, X: Expr) -> Expr:
    """``GaussianProcessRegressor.predict(X, return_std=True)[1]`` as an expression, [N, n_targets].

    ``sqrt(max(0, diag K(X) - |L^-1 K(X_train, X)|^2) * y_train_std^2)``; the variance is a difference of
    terms of order 1 that nearly cancel near the training rows, so float32 keeps it to about 1e-6 absolute only.

    >>> import numpy as np
    >>> from sklearn.gaussian_process import GaussianProcessRegressor
    >>> from onnxalgebra import Var
    >>> X = np.linspace(0, 5, 8).reshape(-1, 1)
    >>> gpr = GaussianProcessRegressor().fit(X, np.sin(X).ravel())
    >>> T = np.array([[0.3], [2.2]])
    >>> std = gpr_std(gpr, Var("X", np.float64, [None, 1])).eval({"X": T})
    >>> bool(np.allclose(std.ravel(), gpr.predict(T, return_std=True)[1]))
    True
    """
    _gpr_check(est)
    train = np.asarray(est.X_train_, dtype=np.float64)
    L_inv = _lower_inverse(est.L_)
    v = _kernel(est, X, train) @ L_inv.T  # (L^-1 K(X_train, X)).T, [N, n_train]
    var = np.maximum(kernel_diag(est.kernel_, X) - _sum_last(v * v), 0.0)
    scale = np.atleast_1d(np.asarray(est._y_train_std, dtype=np.float64))
    return np.sqrt(var.reshape(-1, 1) * (scale**2))


def convert_gaussian_process_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr | tuple[Expr, Expr]:
    """GaussianProcessRegressor: the posterior mean, [N, n_targets]; ``options={'return_std': True}``: and its
    standard deviation (the registry names the outputs ``variable``, ``std``)."""
    why = " (the covariance between rows is [N, N]: not a per-row output)" if "return_cov" in (options or {}) else ""
    options = check_options(est, options, ("return_std",), hint=why)
    _gpr_check(est)
    alpha = np.asarray(est.alpha_, dtype=np.float64)
    alpha = alpha.reshape(len(alpha), -1)
    std = np.atleast_1d(np.asarray(est._y_train_std, dtype=np.float64))
    mean = np.atleast_1d(np.asarray(est._y_train_mean, dtype=np.float64))
    prediction = _kernel(est, X, np.asarray(est.X_train_, dtype=np.float64)) @ (alpha * std) + mean
    if options.get("return_std"):
        return prediction, gpr_std(est, X)
    return prediction


def _erf(z: Expr) -> Expr:
    """erf: onnxruntime's Erf in float32; in float64 (no double kernel) the series of positive terms.

    ``sum_n (2 z^2)^n / (2n+1)!!`` as ``1 + t/3 (1 + t/5 (1 + ...))``. Not Horner on the coefficients
    ``1 / (2n+1)!!`` (down to 1e-190): onnxruntime's basic graph optimisations change that chain's value
    (it is right with them disabled).
    """
    if z.dtype == np.float32:
        return OnnxErf(z)
    z = np.clip(z, -6.0, 6.0)  # erf(6) is 1 - 2e-17
    t = 2.0 * z * z
    series = 1.0 + t / 201.0
    for n in range(99, 0, -1):
        series = 1.0 + series * t / float(2 * n + 1)
    return (2.0 / np.sqrt(np.pi)) * z * np.exp(-z * z) * series


# Williams & Barber's approximation of the logistic by 5 error functions, as scikit-learn's _gpc.py
LAMBDAS = np.array([0.41, 0.4, 0.37, 0.44, 0.39])
COEFS = np.array([-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654])


def laplace_terms(binary: Any, X: Expr) -> tuple[Expr, Expr, Expr]:
    """A binary Laplace GP classifier's latent mean ``f*`` [N, 1], and the 5 integrals of its predict_proba as
    ``scale * erf(z)`` ([N, 5] each): ``p = (scale * erf(z)) @ COEFS + sum(COEFS) / 2``."""
    train = np.asarray(binary.X_train_, dtype=np.float64)
    K = _as_expr(X, kernel_values(binary.kernel_, X, train), len(train))  # [N, n_train]
    w_sr = np.asarray(binary.W_sr_, dtype=np.float64)
    B = (_lower_inverse(binary.L_) * w_sr[None, :]).T  # v.T = K @ B, v = L^-1 diag(W_sr) K(X_train, X)
    residual = (np.asarray(binary.y_train_, dtype=np.float64) - np.asarray(binary.pi_)).reshape(-1, 1)
    f = K @ residual  # [N, 1]
    v = K @ B
    var = (kernel_diag(binary.kernel_, X) - _sum_last(v * v)).reshape(-1, 1)
    alpha = 1.0 / (2.0 * var)  # scikit-learn's expression, term by term
    z = (f * LAMBDAS) * np.sqrt(alpha / (alpha + LAMBDAS**2))
    scale = np.sqrt(np.pi / alpha) / (2.0 * np.sqrt(var * 2.0 * np.pi)) * np.ones(len(LAMBDAS))  # [N, 5]
    return f, z, scale


def _probabilities(terms: list[tuple[Expr, Expr, Expr]]) -> Expr:
    """Each binary model's probability of its class, [N, models]: one erf for all of them."""
    z = terms[0][1] if len(terms) == 1 else OnnxConcat(*[t[1] for t in terms], axis=1)
    scale = terms[0][2] if len(terms) == 1 else OnnxConcat(*[t[2] for t in terms], axis=1)
    weights = np.kron(np.eye(len(terms)), COEFS.reshape(-1, 1))  # [5 models, models]: COEFS down each block
    return (scale * _erf(z)) @ weights + 0.5 * COEFS.sum()


def convert_gaussian_process_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """GaussianProcessClassifier (Laplace): label and probabilities, binary or one-vs-rest."""
    base = est.base_estimator_
    if len(est.classes_) == 2:
        f, z, scale = laplace_terms(base, X)
        return label_of(est, (f.reshape(-1) > 0).astype(np.int64)), binary_columns(_probabilities([(f, z, scale)]))
    if est.multi_class != "one_vs_rest":
        raise OnnxAlgebraError(
            f"{type(est).__name__}: multi_class={est.multi_class!r} has no predict_proba in scikit-learn; "
            "refit with multi_class='one_vs_rest' to convert it."
        )
    columns = _probabilities([laplace_terms(member, X) for member in base.estimators_])  # [N, classes]
    total = OnnxReduceSum(columns, np.array([1], dtype=np.int64), keepdims=1)
    proba = OnnxWhere(total != 0, columns / OnnxWhere(total != 0, total, 1.0), columns)
    return argmax_label(est, columns), proba


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import gaussian_process as gp

    return {
        convert_gaussian_process_regressor: [gp.GaussianProcessRegressor],
        convert_gaussian_process_classifier: [gp.GaussianProcessClassifier],
    }
