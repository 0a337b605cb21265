"""Kernel approximation: RBFSampler, SkewedChi2Sampler, AdditiveChi2Sampler, Nystroem, PolynomialCountSketch.

Every ``transform`` is written as scikit-learn computes it:

- RBFSampler: ``cos(X @ random_weights_ + random_offset_) * sqrt(2 / n_components)``, one Gemm and a Cos.
- SkewedChi2Sampler: the same on ``log(X + skewedness)``. scikit-learn refuses
  ``X <= -skewedness``; a graph cannot raise, so such values give NaN.
- AdditiveChi2Sampler: ``sqrt(x * interval)``, then for ``j = 1 .. sample_steps - 1``
  ``sqrt(2 x interval / cosh(pi j interval))`` times ``cos`` and ``sin`` of
  ``j * interval * log(x)``; zeros of ``X`` give zeros, as in scikit-learn
  (columns ordered as its ``hstack``). scikit-learn refuses negative values; the
  graph gives NaN for them.
- Nystroem: ``K(X, components_) @ normalization_.T``, every kernel that
  :func:`pairwise_kernel` writes ('linear', 'poly'/'polynomial', 'rbf',
  'laplacian', 'sigmoid', 'cosine', 'chi2', 'additive_chi2', 'precomputed') with
  ``gamma``/``degree``/``coef0``/``kernel_params`` merged as scikit-learn does.
  A callable kernel is Python code: a clear error. In float32 the kernel's
  rounding errors grow with the condition number of ``normalization_`` (a
  nearly rank-deficient basis loses digits; scikit-learn computes the kernel in
  float64 against its float64 ``components_``).
- PolynomialCountSketch: the count sketches of ``[sqrt(gamma) X, sqrt(coef0)]``
  are linear in ``X``; their DFTs are too, so each degree's sketch spectrum is
  one Gemm with the count-sketch matrix times the DFT matrix (folded at
  conversion time). The spectra are multiplied as complex numbers and the real
  part of the inverse DFT is one more MatMul. The DFT is written as a matrix
  product (exact up to rounding, with double kernels in onnxruntime) rather
  than ONNX's ``DFT`` operator: the latter has no double kernel in every
  onnxruntime and an O(n_components^2) product is as fast for usual sizes.

Constants are float64 and follow the computation dtype (float32 samples give a
float32 graph; scikit-learn computes in float64 with float64 fitted weights, the
graph stays within 1e-5 of the output's scale on the tests' data).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxGemm, OnnxMax, OnnxWhere

KERNELS = ("linear", "poly", "polynomial", "rbf", "laplacian", "sigmoid", "cosine", "chi2", "additive_chi2")

# scikit-learn's defaults of the kernel functions' parameters (None: 1 / n_features)
_DEFAULTS = {
    "poly": {"degree": 3, "gamma": None, "coef0": 1.0},
    "polynomial": {"degree": 3, "gamma": None, "coef0": 1.0},
    "sigmoid": {"gamma": None, "coef0": 1.0},
    "rbf": {"gamma": None},
    "laplacian": {"gamma": None},
    "chi2": {"gamma": 1.0},
}


def affine(X: Expr, matrix: np.ndarray, bias: np.ndarray | None = None) -> Expr:
    """``X @ matrix (+ bias)``: a Gemm (MatMul without bias) for a matrix ``X``; float64 constants follow X's dtype.

    >>> from onnxalgebra import Var
    >>> affine(Var('X', np.float64, [None, 2]), np.eye(2), np.zeros(2)).shape  # in a converter: any float dtype
    (None, 2)
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if bias is None:
        return X @ matrix
    bias = np.asarray(bias, dtype=np.float64)
    if X.shape is not None and len(X.shape) == 2:
        return OnnxGemm(X, matrix, bias)
    return X @ matrix + bias


def row_norms(X: Expr) -> Expr:
    """Euclidean norm of each row, [N, 1]; a zero row gets 1 (``sklearn.preprocessing.normalize``'s rule)."""
    norms = np.sqrt((X * X).sum(axis=1, keepdims=True))
    return OnnxWhere(norms == 0, 1.0, norms)


def row_norms_array(Y: np.ndarray) -> np.ndarray:
    """:func:`row_norms` of a numpy array."""
    norms = np.sqrt((Y * Y).sum(axis=1, keepdims=True))
    norms[norms == 0] = 1.0
    return norms


def _additive_chi2(X: Expr, Y: np.ndarray) -> Expr:
    """``-sum((x - y)^2 / (x + y))`` over the features, a term skipped where ``x + y == 0``, [N, n_basis]."""
    X3 = X.reshape(-1, 1, Y.shape[1])
    total = X3 + Y[None, :, :]
    difference = X3 - Y[None, :, :]
    zero = total == 0
    return -OnnxWhere(zero, 0.0, difference * difference / OnnxWhere(zero, 1.0, total)).sum(axis=2)


def kernel_parameters(name: str, params: dict, n_features: int) -> dict:
    """The parameters the kernel function ``name`` uses: ``params`` filtered, scikit-learn's defaults elsewhere."""
    out = {}
    for key, default in _DEFAULTS.get(name, {}).items():
        value = params.get(key)
        value = default if value is None else value
        if key == "gamma" and value is None:
            value = 1.0 / n_features
        out[key] = float(value)
    return out


def pairwise_kernel(X: Expr, Y: np.ndarray, name: str, params: dict) -> Expr:
    """``pairwise_kernels(X, Y, metric=name, filter_params=True, **params)`` as an expression, [N, len(Y)].

    >>> from onnxalgebra import Var
    >>> pairwise_kernel(Var('X', np.float64, [None, 2]), np.eye(2), 'rbf', {'gamma': 0.5}).shape
    (None, 2)
    """
    Y = np.asarray(Y, dtype=np.float64)
    p = kernel_parameters(name, params, Y.shape[1])
    if name == "linear":
        return X @ Y.T
    if name in ("poly", "polynomial", "sigmoid"):
        # gamma x.y + coef0 in one Gemm; gamma scales Y (Gemm's alpha attribute is a float32)
        inner = OnnxGemm(X, Y * p["gamma"], np.full(len(Y), p["coef0"]), transB=1)
        return np.tanh(inner) if name == "sigmoid" else inner ** p["degree"]
    if name == "rbf":  # scikit-learn's expansion |x|^2 - 2 x.y + |y|^2, clipped at 0
        squared = OnnxMax(OnnxGemm(X, Y, (Y * Y).sum(axis=1), alpha=-2.0, transB=1) + (X * X).sum(axis=1, keepdims=True), 0.0)
        return np.exp(squared * -p["gamma"])
    if name == "laplacian":
        return np.exp(np.abs(X.reshape(-1, 1, Y.shape[1]) - Y[None, :, :]).sum(axis=2) * -p["gamma"])
    if name == "cosine":  # rows normalised first, as scikit-learn's cosine_similarity
        return (X / row_norms(X)) @ (Y / row_norms_array(Y)).T
    if name == "additive_chi2":
        return _additive_chi2(X, Y)
    if name == "chi2":
        return np.exp(_additive_chi2(X, Y) * p["gamma"])
    raise OnnxAlgebraError(f"kernel {name!r} is not supported; expected one of {', '.join(KERNELS)}.")


def check_kernel(est: Any, extra: tuple[str, ...] = ()) -> str:
    """``est.kernel`` when the graph can compute it, else an error naming the estimator and the kernels it accepts."""
    kernel = est.kernel
    accepted = KERNELS + extra
    if callable(kernel):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: kernel={getattr(kernel, '__name__', kernel)!r} is a callable, Python code an ONNX "
            f"graph cannot run; refit with one of the named kernels {', '.join(accepted)}."
        )
    if kernel not in accepted:
        raise OnnxAlgebraError(
            f"{type(est).__name__}: kernel {kernel!r} is not supported; expected one of {', '.join(accepted)}."
        )
    return kernel


def convert_rbf_sampler(est: Any, X: Expr) -> Expr:
    """RBFSampler: ``cos(X @ random_weights_ + random_offset_) * sqrt(2 / n_components)``, [N, n_components]."""
    return np.cos(affine(X, est.random_weights_, est.random_offset_)) * float((2.0 / est.n_components) ** 0.5)


def convert_skewed_chi2_sampler(est: Any, X: Expr) -> Expr:
    """SkewedChi2Sampler: ``cos(log(X + skewedness) @ random_weights_ + random_offset_) * sqrt(2 / n_components)``."""
    projection = affine(np.log(X + float(est.skewedness)), est.random_weights_, est.random_offset_)
    return np.cos(projection) * float(np.sqrt(2.0) / np.sqrt(est.n_components))


_DEFAULT_INTERVALS = {1: 0.8, 2: 0.5, 3: 0.4}


def convert_additive_chi2_sampler(est: Any, X: Expr) -> Expr:
    """AdditiveChi2Sampler: the sampled Fourier features, [N, n_features * (2 * sample_steps - 1)]."""
    steps = int(est.sample_steps)
    interval = est.sample_interval
    if interval is None:
        if steps not in _DEFAULT_INTERVALS:
            raise OnnxAlgebraError(
                f"AdditiveChi2Sampler: sample_steps={steps} has no default sample_interval (only 1, 2, 3 have one); "
                "set sample_interval, as scikit-learn's transform requires."
            )
        interval = _DEFAULT_INTERVALS[steps]
    interval = float(interval)
    non_zero = X != 0
    safe = OnnxWhere(non_zero, X, 1.0)  # log(0) is never computed where it would show
    parts = [np.sqrt(X * interval)]
    log_step = np.log(safe) * interval
    for j in range(1, steps):
        factor = np.sqrt(safe * float(2 * interval / np.cosh(np.pi * j * interval)))
        parts.append(OnnxWhere(non_zero, factor * np.cos(log_step * float(j)), 0.0))
        parts.append(OnnxWhere(non_zero, factor * np.sin(log_step * float(j)), 0.0))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def nystroem_parameters(est: Any) -> dict:
    """Nystroem's kernel parameters: ``kernel_params`` updated with ``gamma``, ``degree``, ``coef0`` when set."""
    params = dict(est.kernel_params or {})
    for key in ("gamma", "degree", "coef0"):
        if getattr(est, key) is not None:
            params[key] = getattr(est, key)
    return params


def convert_nystroem(est: Any, X: Expr) -> Expr:
    """Nystroem: ``K(X, components_) @ normalization_.T``, [N, n_components]; 'linear' folds into one MatMul (the other kernels
    keep scikit-learn's order: ``normalization_`` of a rank-deficient kernel is large and folding loses digits)."""
    kernel = check_kernel(est, ("precomputed",))
    normalization = np.asarray(est.normalization_, dtype=np.float64).T
    if kernel == "precomputed":
        return X @ normalization
    basis = np.asarray(est.components_, dtype=np.float64)
    if kernel == "linear":
        return X @ (basis.T @ normalization)
    return pairwise_kernel(X, basis, kernel, nystroem_parameters(est)) @ normalization


def _dft_matrices(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``cos(2 pi j k / n)`` and ``sin(2 pi j k / n)``, [n, n], with ``j k`` reduced modulo ``n`` for accuracy."""
    jk = np.outer(np.arange(n), np.arange(n)) % n
    angle = 2 * np.pi * jk / n
    return np.cos(angle), np.sin(angle)


def convert_polynomial_count_sketch(est: Any, X: Expr) -> Expr:
    """PolynomialCountSketch: ``real(ifft(prod_d fft(count_sketch_d(X))))`` with the DFTs as matrix products."""
    n = int(est.n_components)
    degree = int(est.degree)
    index_hash = np.asarray(est.indexHash_)
    bit_hash = np.asarray(est.bitHash_, dtype=np.float64)
    n_features = index_hash.shape[1] - (1 if est.coef0 != 0 else 0)
    scale = np.full(index_hash.shape[1], np.sqrt(float(est.gamma)))
    if est.coef0 != 0:
        scale[-1] = np.sqrt(float(est.coef0))  # the constant column sqrt(coef0)
    cos, sin = _dft_matrices(n)
    real = imag = None
    for d in range(degree):
        sketch = np.zeros((index_hash.shape[1], n))  # count sketch d: column j goes to indexHash_[d, j] with sign bitHash_
        sketch[np.arange(index_hash.shape[1]), index_hash[d]] = bit_hash[d] * scale
        spectrum = sketch @ np.hstack([cos, -sin])  # fft: sum_j s_j exp(-2 pi i j k / n)
        both = affine(X, spectrum[:n_features], spectrum[n_features:].sum(axis=0) if est.coef0 != 0 else None)
        re, im = both[:, :n], both[:, n:]
        if real is None:
            real, imag = re, im
        else:
            real, imag = real * re - imag * im, real * im + imag * re
    # real(ifft(P))_k = (1 / n) sum_j (Re P_j cos(2 pi j k / n) - Im P_j sin(2 pi j k / n))
    return np.concatenate([real, imag], axis=1) @ (np.vstack([cos, -sin]) / n)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import kernel_approximation as ka

    return {
        convert_rbf_sampler: [ka.RBFSampler],
        convert_skewed_chi2_sampler: [ka.SkewedChi2Sampler],
        convert_additive_chi2_sampler: [ka.AdditiveChi2Sampler],
        convert_nystroem: [ka.Nystroem],
        convert_polynomial_count_sketch: [ka.PolynomialCountSketch],
    }
