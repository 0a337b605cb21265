"""Decomposition: PCA, IncrementalPCA, TruncatedSVD, FastICA, FactorAnalysis, SparsePCA, MiniBatchSparsePCA, KernelPCA,
NMF, MiniBatchNMF, LatentDirichletAllocation (``transform``, [N, n_components]).

The linear ones are a Gemm (PCA) or a Sub and a MatMul, whitening and solves
folded into the matrix at conversion time, the centring done in scikit-learn's
order (it matters for ill-conditioned models):

- PCA, IncrementalPCA (every ``svd_solver`` and ``n_components``):
  ``(X - mean_) @ components_.T``, divided by ``sqrt(explained_variance_)``
  (clipped below at the machine epsilon, as scikit-learn) when ``whiten``.
- TruncatedSVD: ``X @ components_.T``.
- FastICA: ``(X - mean_) @ components_.T`` (``whiten=False``: no centring).
- FactorAnalysis: the posterior mean ``(X - mean_) @ Wpsi.T @ inv(I + Wpsi @ components_.T)``
  with ``Wpsi = components_ / noise_variance_``.
- SparsePCA, MiniBatchSparsePCA: the ridge regression of scikit-learn's
  ``transform``, ``(X - mean_) @ C.T @ inv(C @ C.T + ridge_alpha I)``.

KernelPCA: ``centred(K(X, X_fit_)) @ (eigenvectors_ / sqrt(eigenvalues_))``
(columns of zero eigenvalues give zeros) with scikit-learn's centring
``K - K_fit_rows_ - mean(K, axis=1) + K_fit_all_``; the centring is affine in
``K`` and folds into the projection (one Gemm after the kernel, a single
MatMul for the 'linear' kernel). Kernels 'linear', 'poly', 'rbf', 'sigmoid',
'cosine', 'precomputed'; a callable is a clear error.

Also here (linear transformers of other modules, given to the same part of
issue 13): BernoulliRBM (``expit(X @ components_.T + intercept_hidden_)``),
and NeighborhoodComponentsAnalysis (``X @ components_.T``).

NMF, MiniBatchNMF and LatentDirichletAllocation have iterative transforms:
the graph runs scikit-learn's iterations in an ONNX ``Loop`` with the same
start, the same updates and the same stopping rule (see each converter). NMF
and MiniBatchNMF stop on a criterion summed over the whole batch, as in
scikit-learn: a row's result depends on the rows transformed with it, in the
graph as in scikit-learn (compare batch with batch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, Graph, OnnxAlgebraError, OnnxDiv, OnnxLoop, OnnxReduceMean, OnnxReduceSum, Var, target_opset

from .kernel_approximation import affine, check_kernel, pairwise_kernel, row_norms, row_norms_array


def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def centred_projection(X: Expr, mean: np.ndarray | None, matrix: np.ndarray) -> Expr:
    """``(X - mean) @ matrix``, centred first as scikit-learn does (a Sub and a MatMul; a MatMul without a mean).

    Folding the mean into a Gemm bias (``X @ matrix - mean @ matrix``) is the
    same in exact arithmetic, but an ill-conditioned model (FastICA on
    rank-deficient data has entries of 1e14) then cancels differently from
    scikit-learn.
    """
    matrix = _f64(matrix)
    return affine(X if mean is None else X - _f64(mean), matrix)


def convert_pca(est: Any, X: Expr) -> Expr:
    """PCA, IncrementalPCA: ``(X - mean_) @ components_.T`` [/ ``sqrt(explained_variance_)`` if ``whiten``]."""
    components = _f64(est.components_).T
    if est.whiten:
        scale = np.sqrt(_f64(est.explained_variance_))
        scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
        components = components / scale
    # scikit-learn's order: X @ components_.T - mean_ @ components_.T, one Gemm
    return affine(X, components, -(_f64(est.mean_) @ components))


def convert_truncated_svd(est: Any, X: Expr) -> Expr:
    """TruncatedSVD: ``X @ components_.T``, one MatMul."""
    return affine(X, _f64(est.components_).T)


def convert_fast_ica(est: Any, X: Expr) -> Expr:
    """FastICA: ``(X - mean_) @ components_.T``; ``whiten=False``: ``X @ components_.T``.

    On rank-deficient data ``components_`` can hold entries of 1e14 whose
    products cancel to O(1): scikit-learn computes them in float64 even for
    float32 input, a float32 graph cannot (float64 agrees exactly).
    """
    return centred_projection(X, est.mean_ if est.whiten else None, _f64(est.components_).T)


def convert_factor_analysis(est: Any, X: Expr) -> Expr:
    """FactorAnalysis: the posterior mean of the factors, ``(X - mean_) @ Wpsi.T @ cov_z``."""
    components = _f64(est.components_)
    wpsi = components / _f64(est.noise_variance_)
    cov_z = np.linalg.inv(np.eye(len(components)) + wpsi @ components.T)
    return centred_projection(X, est.mean_, wpsi.T @ cov_z)


def convert_sparse_pca(est: Any, X: Expr) -> Expr:
    """SparsePCA, MiniBatchSparsePCA: ``(X - mean_) @ C.T @ inv(C @ C.T + ridge_alpha I)``, the ridge solution."""
    components = _f64(est.components_)
    gram = components @ components.T + float(est.ridge_alpha) * np.eye(len(components))
    return centred_projection(X, est.mean_, np.linalg.solve(gram, components).T)


KERNEL_PCA_KERNELS = ("linear", "poly", "rbf", "sigmoid", "cosine", "precomputed")


def convert_kernel_pca(est: Any, X: Expr) -> Expr:
    """KernelPCA: the centred kernel against ``X_fit_`` projected on the scaled eigenvectors, [N, n_components].

    With ``A = eigenvectors_ / sqrt(eigenvalues_)``, ``n`` training rows, the
    projection of ``K - K_fit_rows_ - mean(K, 1) + K_fit_all_`` is
    ``K @ (A - sum(A, 0) / n) + (K_fit_all_ * sum(A, 0) - K_fit_rows_ @ A)``.
    """
    kernel = est.kernel
    if callable(kernel) or kernel not in KERNEL_PCA_KERNELS:
        check_kernel(est, ("precomputed",))  # raises the clear error for a callable
        raise OnnxAlgebraError(f"KernelPCA: kernel {kernel!r} is not supported; expected one of {', '.join(KERNEL_PCA_KERNELS)}.")
    eigenvalues = _f64(est.eigenvalues_)
    vectors = _f64(est.eigenvectors_)
    scaled = np.zeros_like(vectors)
    non_zero = np.flatnonzero(eigenvalues)
    scaled[:, non_zero] = vectors[:, non_zero] / np.sqrt(eigenvalues[non_zero])
    centerer = est._centerer  # KernelCenterer fitted on the training kernel
    rows = _f64(centerer.K_fit_rows_)
    total = scaled.sum(axis=0)
    matrix = scaled - total / len(rows)
    bias = float(centerer.K_fit_all_) * total - rows @ scaled
    if kernel == "precomputed":
        return affine(X, matrix, bias)
    Y = _f64(est.X_fit_)
    if kernel == "linear":  # (X @ Y.T) @ matrix = X @ (Y.T @ matrix)
        return affine(X, Y.T @ matrix, bias)
    if kernel == "cosine":
        return affine(X / row_norms(X), (Y / row_norms_array(Y)).T @ matrix, bias)
    params = {"gamma": est.gamma_, "degree": est.degree, "coef0": est.coef0}
    return affine(pairwise_kernel(X, Y, kernel, params), matrix, bias)


def _loop_vars(tag: str, dtype: np.dtype, shapes: list[list]) -> tuple[Var, Var, list[Var]]:
    """The iteration counter, the condition and one typed state Var per shape for a Loop body named ``tag``.

    The names are fixed (compiling stays deterministic); two loops of one model
    may share them, each body being its own scope.
    """
    i = Var(f"{tag}_i", np.int64, [])
    cond = Var(f"{tag}_cond", np.bool_, [])
    return i, cond, [Var(f"{tag}_s{k}", dtype, shape) for k, shape in enumerate(shapes)]


def _any(mask: Expr, dtype: np.dtype, axis: int | None = None) -> Expr:
    """``mask.any(axis, keepdims=True)`` as a ReduceSum of its 0/1 values (bool ReduceMax needs opset 20)."""
    ones = mask.astype(dtype)
    return (ones.sum() if axis is None else ones.sum(axis=axis, keepdims=True)) > 0


def _nmf_start(X: Expr, k: int) -> Expr:
    """W's start for the multiplicative updates, ``sqrt(mean(X) / k)`` in every entry, [N, k].

    ``ReduceMean`` over every value (numpy's ``X.mean()`` here counts the values
    with a ``ReduceProd`` of the shape, an operator of opset 18); version 13
    below a target opset 18 (without axes, both reduce every axis).
    """
    opset = target_opset()
    mean = OnnxReduceMean(X, keepdims=0, **({"op_version": 13} if opset is not None and opset < 18 else {}))
    return np.ones_like(X[:, :1]) * np.ones(k, dtype=X.dtype) * np.sqrt(mean / float(k))


def _nmf_regularization(est: Any, n_features: int) -> tuple[float, float]:
    """scikit-learn's ``_compute_regularization`` for W: ``(l1_reg_W, l2_reg_W)``."""
    alpha = float(est.alpha_W)
    return n_features * alpha * float(est.l1_ratio), n_features * alpha * (1.0 - float(est.l1_ratio))


def _nmf_coordinate_descent(est: Any, X: Expr) -> Expr:
    """NMF ``solver='cd'``: W from zeros, coordinate descent sweeps until ``violation / violation_init <= tol``.

    Each sweep updates the columns of W in order (``shuffle=False``), every row
    at once: ``grad = -XHt[:, t] + sum_r HHt[t, r] W[:, r]`` (summed in
    scikit-learn's order, W's columns kept apart), the projected gradient's
    absolute values summed into the violation, ``W[:, t] = max(W[:, t] - grad / HHt[t, t], 0)``.
    """
    dtype = np.dtype(X.dtype)
    H = _f64(est.components_)
    k, n_features = H.shape
    l1, l2 = _nmf_regularization(est, n_features)
    hht = H @ H.T
    hht[np.diag_indices(k)] += l2
    xht = X @ H.T - l1 if l1 != 0 else X @ H.T
    columns = [xht[:, t : t + 1] for t in range(k)]  # [N, 1] each
    i, cond, states = _loop_vars("nmf_cd", dtype, [[None, 1]] * k + [[]])
    W, violation_init = list(states[:k]), states[k]
    violation = None
    for t in range(k):
        grad = -columns[t]
        for r in range(k):
            grad = grad + W[r] * float(hht[t, r])
        pg = np.where(W[t] == 0, np.minimum(grad, 0.0), grad)
        part = np.abs(pg).sum()
        violation = part if violation is None else violation + part
        if hht[t, t] != 0:
            W[t] = np.maximum(W[t] - grad / float(hht[t, t]), 0.0)
    first = i == 0
    init = np.where(first, violation, violation_init)
    stop = (init == 0) | (violation / np.where(init == 0, 1.0, init) <= float(est.tol))
    body = Graph([i, cond, *states], [~stop, *W, init])
    zeros = np.zeros_like(X[:, :1])
    loop = OnnxLoop(np.array(int(est.max_iter), np.int64), np.array(True), *([zeros] * k), np.zeros((), dtype=dtype), body=body)
    return np.concatenate([loop[t] for t in range(k)], axis=1)


def _beta_divergence(X: Expr, W: Expr, H: np.ndarray, beta: float) -> Expr:
    """scikit-learn's ``_beta_divergence(X, W, H, beta, square_root=True)`` on a dense X, a scalar."""
    wh = W @ H
    if beta == 2:
        residual = X - wh
        return np.sqrt((residual * residual).sum() / 2.0 * 2.0)
    mask = X > _NMF_EPSILON  # the terms of X's non-zero entries only
    wh_safe = np.maximum(wh, _NMF_EPSILON)
    x_safe = np.where(mask, X, 1.0)
    if beta == 1:
        sum_wh = W.sum(axis=0) @ H.sum(axis=1)
        res = np.where(mask, X * np.log(x_safe / wh_safe), 0.0).sum() + (sum_wh - np.where(mask, X, 0.0).sum())
    elif beta == 0:
        div = x_safe / wh_safe
        n_values = (np.ones_like(X) * 1.0).sum()  # np.prod(X.shape)
        res = np.where(mask, div, 0.0).sum() - n_values - np.where(mask, np.log(div), 0.0).sum()
    else:
        sum_x_wh = np.where(mask, X * wh_safe ** float(beta - 1), 0.0).sum()
        res = np.where(mask, x_safe ** float(beta), 0.0).sum() - sum_x_wh * float(beta)
        res = (res + (wh ** float(beta)).sum() * float(beta - 1)) / float(beta * (beta - 1))
    return np.sqrt(np.maximum(res, 0.0) * 2.0)


def _nmf_multiplicative(est: Any, X: Expr) -> Expr:
    """NMF ``solver='mu'``: W from ``sqrt(mean(X) / n_components)``, multiplicative updates; every 10 iterations
    the beta-divergence ``error`` stops the loop when ``(previous_error - error) / error_at_init < tol``."""
    dtype = np.dtype(X.dtype)
    H = _f64(est.components_)
    k, n_features = H.shape
    beta = _BETA_LOSSES.get(est.beta_loss, est.beta_loss) if isinstance(est.beta_loss, str) else float(est.beta_loss)
    gamma = 1.0 / (2.0 - beta) if beta < 1 else 1.0 / (beta - 1.0) if beta > 2 else 1.0
    l1, l2 = _nmf_regularization(est, n_features)
    xht = X @ H.T if beta == 2 else None
    start = _nmf_start(X, k)
    error_at_init = _beta_divergence(X, start, H, beta)
    i, cond, (W, previous) = _loop_vars("nmf_mu", dtype, [[None, k], []])
    new = _multiplicative_update_w(X, W, H, beta, l1, l2, gamma, xht)
    if beta < 1:
        new = np.where(new < float(np.finfo(np.float64).eps), 0.0, new)
    if est.tol > 0:
        error = _beta_divergence(X, new, H, beta)
        tenth = (i + 1) % 10 == 0
        stop = tenth & ((previous - error) / error_at_init < float(est.tol))
        outputs = [~stop, new, np.where(tenth, error, previous)]
    else:
        outputs = [i >= 0, new, previous * 1.0]
    body = Graph([i, cond, W, previous], outputs)
    return OnnxLoop(np.array(int(est.max_iter), np.int64), np.array(True), start, error_at_init, body=body)[0]


def convert_nmf(est: Any, X: Expr) -> Expr:
    """NMF: ``transform`` solved for W with ``components_`` fixed, [N, n_components], as scikit-learn's solver.

    ``solver='cd'`` (``shuffle=False``): :func:`_nmf_coordinate_descent`;
    ``shuffle=True`` draws a new order of the columns at each sweep from
    ``random_state``: an error (refit with ``shuffle=False``). ``solver='mu'``
    (every ``beta_loss``): :func:`_nmf_multiplicative`.
    """
    if est.solver == "mu":
        return _nmf_multiplicative(est, X)
    if est.shuffle:
        raise OnnxAlgebraError(
            "NMF: shuffle=True permutes the coordinates at every iteration of transform with random_state's draws; "
            "the converter writes the fixed order only: refit with shuffle=False."
        )
    return _nmf_coordinate_descent(est, X)


_NMF_EPSILON = float(np.finfo(np.float32).eps)  # scikit-learn's EPSILON in _nmf.py
_BETA_LOSSES = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}


def _multiplicative_update_w(
    X: Expr, W: Expr, H: np.ndarray, beta: float, l1: float, l2: float, gamma: float, xht: Expr | None
) -> Expr:
    """One multiplicative update of W with H fixed, as scikit-learn's ``_multiplicative_update_w`` on a dense X."""
    if beta == 2:
        numerator = xht
        denominator = W @ (H @ H.T)
    else:
        wh = W @ H
        wh_safe = np.maximum(wh, _NMF_EPSILON) if beta < 2 else wh  # x < EPS -> EPS (NaN stays, as numpy)
        if beta == 1:
            ratio = X / wh_safe
        elif beta == 0:
            ratio = (1.0 / wh_safe) ** 2.0 * X
        else:
            ratio = wh_safe ** float(beta - 2) * X
        numerator = ratio @ H.T
        if beta == 1:
            denominator = H.sum(axis=1)[None, :] + W * 0.0  # [N, k]; + W * 0 keeps the shape (W is finite here)
        else:
            wh_den = np.maximum(wh, _NMF_EPSILON) if beta < 1 else wh
            denominator = wh_den ** float(beta - 1) @ H.T
    if l1 > 0:
        denominator = denominator + l1
    if l2 > 0:
        denominator = denominator + W * l2
    denominator = np.where(denominator == 0, _NMF_EPSILON, denominator)
    delta = numerator / denominator
    if gamma != 1:
        delta = delta ** float(gamma)
    return W * delta


def convert_minibatch_nmf(est: Any, X: Expr) -> Expr:
    """MiniBatchNMF: ``transform``, multiplicative updates of W with ``components_`` fixed, [N, n_components].

    As scikit-learn's ``_solve_W``: W starts at ``sqrt(mean(X) / n_components)``
    (the mean of the whole batch), then at most ``transform_max_iter``
    (default ``max_iter``) updates for the model's ``beta_loss`` (frobenius,
    kullback-leibler, itakura-saito or a number), stopping once
    ``|W - W_previous| / |W| <= tol`` (Frobenius norms over the batch).
    """
    dtype = np.dtype(X.dtype)
    H = _f64(est.components_)
    k, n_features = H.shape
    beta = _BETA_LOSSES.get(est.beta_loss, est.beta_loss) if isinstance(est.beta_loss, str) else float(est.beta_loss)
    gamma = 1.0 / (2.0 - beta) if beta < 1 else 1.0 / (beta - 1.0) if beta > 2 else 1.0
    l1, l2 = _nmf_regularization(est, n_features)
    max_iter = int(est.max_iter if est.transform_max_iter is None else est.transform_max_iter)
    xht = X @ H.T if beta == 2 else None
    i, cond, (W,) = _loop_vars("minibatch_nmf", dtype, [[None, k]])
    new = _multiplicative_update_w(X, W, H, beta, l1, l2, gamma, xht)
    difference = np.sqrt(((new - W) ** 2.0).sum()) / np.sqrt((new * new).sum())
    keep_going = ~(difference <= float(est.tol)) if est.tol > 0 else i >= 0  # tol 0: max_iter updates
    body = Graph([i, cond, W], [keep_going, new])
    start = _nmf_start(X, k)
    return OnnxLoop(np.array(max_iter, np.int64), np.array(True), start, body=body)  # one output: the Loop is it


_EULER = 0.577215664901532860606512090082402431


def lda_psi(x: Expr) -> Expr:
    """scikit-learn's digamma for LDA (Bernardo's AS 103, as ``_online_lda_fast.psi``): same steps, same order.

    ``x <= 1e-6``: ``-EULER - 1 / x``; else ``psi(x) = psi(x + 1) - 1 / x`` until
    ``x >= 6`` (at most 6 steps above 1e-6), then the asymptotic series.
    """
    x0 = x
    small = x0 <= 1e-6
    result = None
    for _ in range(6):
        below = x < 6
        step = np.where(below, 1.0 / x, 0.0)
        result = -step if result is None else result - step
        x = np.where(below, x + 1.0, x)
    r = 1.0 / x
    result = result + (np.log(x) - r * 0.5)
    r = r * r
    result = result - r * ((1.0 / 12.0) - r * ((1.0 / 120.0) - r * (1.0 / 252.0)))
    return np.where(small, -_EULER - 1.0 / np.where(small, x0, 1.0), result)


def _dirichlet_expectation(doc: Expr) -> Expr:
    """``exp(psi(doc) - psi(sum(doc, axis=1)))``, [N, k]."""
    return np.exp(lda_psi(doc) - lda_psi(doc.sum(axis=1, keepdims=True)))


def convert_lda(est: Any, X: Expr) -> Expr:
    """LatentDirichletAllocation: ``transform``, the variational E-step of every row, normalised, [N, n_components].

    As scikit-learn's ``_update_doc_distribution`` without a random start: the
    document-topic matrix starts at ones; each iteration computes
    ``norm_phi = exp_doc @ exp_dirichlet_component_ + eps`` and
    ``doc = exp_doc * ((X / norm_phi) @ exp_dirichlet_component_.T) + doc_topic_prior_``,
    ``exp_doc = exp(psi(doc) - psi(sum(doc)))`` (zero counts add exact zeros, as
    scikit-learn's sum over the non-zero words); a row stops (keeps its values)
    once the mean absolute change of its topics is below ``mean_change_tol``, the
    loop when every row has stopped or after ``max_doc_update_iter``
    iterations. ``psi`` is scikit-learn's own approximation of the digamma
    function (:func:`lda_psi`). scikit-learn refuses negative counts; the graph
    computes on them.

    A model fitted on float64 data transforms float32 input in float64 in
    scikit-learn; the float32 graph computes in float32, and a row whose mean
    change falls within rounding of ``mean_change_tol`` stops one iteration
    earlier or later (9e-5 relative on one row of the coverage table's data:
    its oracle is scikit-learn with ``mean_change_tol`` moved, see
    ``docs/estimator_coverage.py``). A row that reaches
    ``max_doc_update_iter`` unconverged drifts by float32 rounding (1.7e-5
    there). A model fitted on float32 data agrees within 1e-6.
    """
    dtype = np.dtype(X.dtype)
    E = _f64(est.exp_dirichlet_component_)
    k = E.shape[0]
    eps = float(np.finfo(dtype).eps)
    prior = float(est.doc_topic_prior_)
    i, cond, (doc, exp_doc) = _loop_vars("lda", dtype, [[None, k], [None, k]])
    done = Var(f"{doc.name}_done", np.bool_, [None, 1])  # rows that have stopped
    norm_phi = exp_doc @ E + eps
    updated = exp_doc * ((X / norm_phi) @ E.T) + prior
    change = np.abs(doc - updated).sum(axis=1, keepdims=True) / float(k)
    new_doc = np.where(done, doc, updated)
    new_exp = np.where(done, exp_doc, _dirichlet_expectation(updated))
    new_done = done | (change < float(est.mean_change_tol))
    body = Graph([i, cond, doc, exp_doc, done], [_any(~new_done, dtype), new_doc, new_exp, new_done])
    ones = np.ones_like(X[:, :1]) * np.ones(k, dtype=dtype)  # [N, k] of ones, N known when the model runs
    start = _dirichlet_expectation(ones)
    none_done = np.zeros_like(X[:, :1]) > 1
    loop = OnnxLoop(np.array(int(est.max_doc_update_iter), np.int64), np.array(True), ones, start, none_done, body=body)
    result = loop[0]  # a Loop's outputs have no dtype for numpy's rules: ONNX operators from here
    return OnnxDiv(result, OnnxReduceSum(result, np.array([1], dtype=np.int64), keepdims=1))


# --- linear transformers of other scikit-learn modules, given to this part of issue 13 ---


def convert_bernoulli_rbm(est: Any, X: Expr) -> Expr:
    """BernoulliRBM: ``transform(X) = expit(X @ components_.T + intercept_hidden_)``, [N, n_components]."""
    return 1.0 / (1.0 + np.exp(-affine(X, _f64(est.components_).T, est.intercept_hidden_)))


def convert_nca(est: Any, X: Expr) -> Expr:
    """NeighborhoodComponentsAnalysis: ``transform(X) = X @ components_.T``, one MatMul."""
    return affine(X, _f64(est.components_).T)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import decomposition as d
    from sklearn.neighbors import NeighborhoodComponentsAnalysis
    from sklearn.neural_network import BernoulliRBM

    return {
        convert_pca: [d.PCA, d.IncrementalPCA],
        convert_truncated_svd: [d.TruncatedSVD],
        convert_fast_ica: [d.FastICA],
        convert_factor_analysis: [d.FactorAnalysis],
        convert_sparse_pca: [d.SparsePCA, d.MiniBatchSparsePCA],
        convert_kernel_pca: [d.KernelPCA],
        convert_nmf: [d.NMF],
        convert_minibatch_nmf: [d.MiniBatchNMF],
        convert_lda: [d.LatentDirichletAllocation],
        convert_bernoulli_rbm: [BernoulliRBM],
        convert_nca: [NeighborhoodComponentsAnalysis],
    }
