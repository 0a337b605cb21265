"""Kernel support vector machines (libsvm's models): SVC, NuSVC, SVR, NuSVR, OneClassSVM.

Every model is ``K(X, support_vectors) @ coefficients + intercept`` with libsvm's kernels::

    linear   x . sv                      (folded: X @ (sv.T @ coefficients), one Gemm)
    poly     (gamma x . sv + coef0) ** degree
    rbf      exp(-gamma |x - sv|^2)      |x - sv|^2 = |x|^2 - 2 x . sv + |sv|^2, after centring on the
                                         support vectors' mean (less cancellation, much less in float32)
    sigmoid  tanh(gamma x . sv + coef0)

The kernel matrix is one Gemm (the whole batch against every support vector),
then one more Gemm gives all pairwise decisions of a classifier at once: the
pair ``(i, j)`` (libsvm's order, ``i < j``) sums ``dual_coef[j - 1]`` over the
support vectors of class ``i`` and ``dual_coef[i]`` over those of ``j``. This is
faster in onnxruntime than ``ai.onnx.ml`` SVMClassifier / SVMRegressor (which
have no double kernel) and stays float64 for a float64 sample.

Classifiers reproduce scikit-learn exactly:

- ``decision_function``: the pairwise decisions ('ovo'; a binary model has
  one, negated as scikit-learn does), or for 'ovr' ``votes + s / (3 (|s| + 1))``
  with ``s`` the summed confidences (``_ovr_decision_function``).
- ``predict``: libsvm's one-vs-one vote (pair ``(i, j)`` votes ``i`` when its
  decision is > 0, else ``j``; ties go to the lowest class), or with
  ``break_ties=True`` and 'ovr' the argmax of ``decision_function``.
- ``predict_proba`` (``probability=True``): each pair's Platt sigmoid
  ``1 / (1 + exp(A d + B))`` clipped to ``[1e-7, 1 - 1e-7]``, coupled by
  libsvm's ``multiclass_probability`` (Wu, Lin and Weng's method 2). That
  method stops each row when its error falls below ``0.005 / n_classes``,
  before convergence, also for two classes (so there is no closed form to
  use): the graph runs the same sweeps in one ``Loop`` node, rows that have
  stopped frozen, until every row has stopped (at most ``max(100,
  n_classes)`` sweeps, as libsvm). ``predict`` stays the vote, as in
  scikit-learn, not the argmax of the probabilities.

Outputs follow the contract: a classifier gives ``(label, probabilities)``
with ``probability=True``, else ``(label, scores)``; ``options=
{'decision_function': True}`` gives the scores in place of the probabilities.
Regressors give ``[N, 1]``. OneClassSVM gives ``(label, scores)``: 1 / -1
(int64) and ``decision_function``; ``options={'score_samples': True}`` gives
``score_samples``. A kernel given as a callable or 'precomputed' has no
formula on X: a clear error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, Graph, OnnxAlgebraError, OnnxGemm, OnnxLoop, OnnxWhere, Var, computation_dtype

from ._common import check_options, label_of

KERNELS = ("linear", "poly", "rbf", "sigmoid")
MIN_PROB = 1e-7  # libsvm's clipping of the pairwise probabilities


def _dense(a: Any) -> np.ndarray:
    """A (possibly sparse: fitted on a sparse matrix) attribute as a float64 array."""
    return np.asarray(a.toarray() if hasattr(a, "toarray") else a, dtype=np.float64)


def _dtype(X: Expr) -> np.dtype:
    return np.dtype(X.dtype if X.dtype is not None and X.dtype.kind == "f" else computation_dtype())


def _check_kernel(est: Any) -> str:
    kernel = est.kernel
    if callable(kernel) or kernel not in KERNELS:
        given = f"the callable {getattr(kernel, '__name__', kernel)!r}" if callable(kernel) else repr(kernel)
        raise OnnxAlgebraError(
            f"{type(est).__name__}: kernel must be one of {list(KERNELS)} to convert (a kernel computed from X), "
            f"got {given}: a precomputed or callable kernel needs the training data's kernel matrix, not X."
        )
    return kernel


def _gram_linear(X: Expr, sv: np.ndarray, dtype: np.dtype, alpha: float = 1.0, bias: np.ndarray | None = None) -> Expr:
    """``X @ (alpha * sv).T + bias`` ([N, n_sv]) as one Gemm (Gemm's own ``alpha`` is a float32 attribute)."""
    bias = np.zeros(len(sv)) if bias is None else bias
    return OnnxGemm(X, (alpha * sv).astype(dtype), bias.astype(dtype), transB=1)


def _powi(base: Expr, degree: int, dtype: np.dtype) -> Expr:
    """``base ** degree`` by squaring, as libsvm's ``powi`` (degree 0: ones)."""
    result: Expr | None = None
    square, t = base, int(degree)
    while t > 0:
        if t % 2 == 1:
            result = square if result is None else result * square
        t //= 2
        if t > 0:
            square = square * square
    return base * 0 + np.asarray(1, dtype=dtype) if result is None else result


def interleaved(groups: np.ndarray) -> np.ndarray:
    """An order of the support vectors spreading every group evenly (stable within a group).

    A decision sums terms of opposite signs (one class against another, or
    the positive and negative coefficients of a regressor) that mostly cancel:
    summed group after group, the partial sums grow far beyond the result and
    float32 loses digits (1e-5 relative with 3,000 support vectors); spread
    evenly, they stay near it (2e-6).

    >>> interleaved(np.array([0, 0, 0, 0, 1, 1])).tolist()
    [0, 4, 1, 2, 5, 3]
    """
    groups = np.asarray(groups)
    _, index, counts = np.unique(groups, return_inverse=True, return_counts=True)
    rank = np.empty(len(groups))
    for g, n in enumerate(counts):
        rank[index == g] = (np.arange(n) + 0.5) / n
    return np.argsort(rank, kind="stable")


def kernel_decision(est: Any, X: Expr, coefficients: np.ndarray, intercept: np.ndarray, groups: np.ndarray | None = None) -> Expr:
    """``K(X, support_vectors_) @ coefficients + intercept``: [N, n_outputs] in X's dtype.

    ``coefficients`` is [n_sv, n_outputs] (float64); the kernel is libsvm's,
    with the fitted ``_gamma``, ``coef0`` and ``degree``. The support vectors
    are summed in the order :func:`interleaved` gives for ``groups`` (default:
    the sign of the first coefficient).
    """
    kernel, dtype = _check_kernel(est), _dtype(X)
    sv = _dense(est.support_vectors_)
    coefficients, intercept = np.asarray(coefficients, dtype=np.float64), np.asarray(intercept, dtype=np.float64)
    order = interleaved(groups if groups is not None else (coefficients[:, 0] > 0).astype(np.int64))
    sv, coefficients = sv[order], coefficients[order]
    if kernel == "linear":  # sum_k c_k (x . sv_k) = x . (sum_k c_k sv_k): one Gemm
        return OnnxGemm(X, (sv.T @ coefficients).astype(dtype), intercept.astype(dtype))
    gamma = float(est._gamma)
    if kernel == "rbf":
        center = sv.mean(axis=0)
        svc = sv - center
        Xc = X - center.astype(dtype)
        # -gamma |x - sv|^2 = 2 gamma x.sv - gamma |sv|^2 - gamma |x|^2, clipped at 0 (cancellation)
        cross = _gram_linear(Xc, svc, dtype, alpha=2.0 * gamma, bias=-gamma * (svc * svc).sum(axis=1))
        gram = np.exp(np.minimum(cross - gamma * (Xc * Xc).sum(axis=1, keepdims=True), 0))
    elif kernel == "poly":
        gram = _powi(_gram_linear(X, sv, dtype, alpha=gamma, bias=np.full(len(sv), float(est.coef0))), est.degree, dtype)
    else:  # sigmoid
        gram = np.tanh(_gram_linear(X, sv, dtype, alpha=gamma, bias=np.full(len(sv), float(est.coef0))))
    return OnnxGemm(gram, coefficients.astype(dtype), intercept.astype(dtype))


def pairs(n_classes: int) -> list[tuple[int, int]]:
    """libsvm's order of the one-vs-one pairs.

    >>> pairs(3)
    [(0, 1), (0, 2), (1, 2)]
    """
    return [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]


def pairwise_coefficients(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """The [n_sv, n_pairs] matrix and [n_pairs] intercepts of libsvm's pairwise decisions (libsvm's signs)."""
    dual = _dense(est._dual_coef_)
    n_support = np.asarray(est._n_support, dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(n_support)])
    n_classes = len(n_support)
    coefficients = np.zeros((dual.shape[1], n_classes * (n_classes - 1) // 2))
    for p, (i, j) in enumerate(pairs(n_classes)):
        coefficients[start[i] : start[i + 1], p] = dual[j - 1, start[i] : start[i + 1]]
        coefficients[start[j] : start[j + 1], p] = dual[i, start[j] : start[j + 1]]
    return coefficients, np.asarray(est._intercept_, dtype=np.float64)


def _classes_of_support_vectors(est: Any) -> np.ndarray:
    return np.repeat(np.arange(len(est._n_support)), np.asarray(est._n_support, dtype=np.int64))


def _pair_matrix(n_classes: int) -> np.ndarray:
    """[n_pairs, n_classes]: +1 for the pair's first class, -1 for its second."""
    m = np.zeros((n_classes * (n_classes - 1) // 2, n_classes))
    for p, (i, j) in enumerate(pairs(n_classes)):
        m[p, i], m[p, j] = 1.0, -1.0
    return m


def _votes(first_wins: Expr, n_classes: int, dtype: np.dtype) -> Expr:
    """Votes [N, n_classes] from the pairs the first class wins: class c is second in c pairs."""
    m = _pair_matrix(n_classes).astype(dtype)
    return first_wins.astype(dtype) @ m + np.arange(n_classes, dtype=dtype)


def ovr_decision(dec: Expr, n_classes: int, dtype: np.dtype) -> Expr:
    """scikit-learn's ``_ovr_decision_function(dec < 0, -dec, n_classes)``: votes + s / (3 (|s| + 1))."""
    confidence = dec @ _pair_matrix(n_classes).astype(dtype)
    return _votes(~(dec < 0), n_classes, dtype) + confidence / (3 * (abs(confidence) + 1))


def coupled_probabilities(dec: Expr, prob_a: np.ndarray, prob_b: np.ndarray, n_classes: int, dtype: np.dtype) -> Expr:
    """libsvm's ``predict_probability``: Platt sigmoids of the pairwise decisions ``dec`` [N, n_pairs]
    (libsvm's signs), clipped, coupled by ``multiclass_probability`` (one Loop node, see the module)."""
    k = n_classes
    r = np.clip(1 / (1 + np.exp(dec * prob_a.astype(dtype) + prob_b.astype(dtype))), MIN_PROB, 1 - MIN_PROB)
    s = 1 - r
    # Q[t, t] = sum_j r[j][t]^2; Q[t, j] = -r[j][t] r[t][j]; r[i][j] = r (pair (i, j)), r[j][i] = s
    n_pairs = len(pairs(k))
    build = np.zeros((3 * n_pairs, k * k))
    for p, (i, j) in enumerate(pairs(k)):
        build[p, j * k + j] = 1.0  # r^2 to Q[j, j]
        build[n_pairs + p, i * k + i] = 1.0  # s^2 to Q[i, i]
        build[2 * n_pairs + p, [i * k + j, j * k + i]] = 1.0  # -r s off the diagonal
    terms = np.concatenate([r * r, s * s, -(r * s)], axis=1)
    q = terms @ build.astype(dtype)  # [N, k * k]
    q3 = q.reshape(-1, k, k)
    q_rows = [q[:, t * k : (t + 1) * k] for t in range(k)]
    q_diag = [q[:, t * k + t : t * k + t + 1] for t in range(k)]
    unit = np.eye(k, dtype=dtype)

    # one sweep of multiclass_probability on every row still above eps (the others stay as they are)
    p = Var("p", dtype, [None, k])
    qp = (q3 * p.reshape(-1, 1, k)).sum(axis=2)
    pqp = (p * qp).sum(axis=1, keepdims=True)
    active = abs(qp - pqp).max(axis=1, keepdims=True) >= np.asarray(0.005 / k, dtype=dtype)
    for t in range(k):
        diff = OnnxWhere(active, (pqp - qp[:, t : t + 1]) / q_diag[t], np.zeros((1, 1), dtype=dtype))
        p = p + diff * unit[t]
        pqp = (pqp + diff * (diff * q_diag[t] + 2 * qp[:, t : t + 1])) / (1 + diff) / (1 + diff)
        qp = (qp + diff * q_rows[t]) / (1 + diff)
        p = p / (1 + diff)
    body = Graph(
        [Var("iteration", np.int64, []), Var("going", np.bool_, []), Var("p", dtype, [None, k])],
        [active.any(), p],
    )
    start = r[:, :1] * 0 + np.full((1, k), 1.0 / k, dtype=dtype)  # [N, k] of 1/k
    return OnnxLoop(np.array(max(100, k), dtype=np.int64), np.array(True), start, body=body)


def convert_svc(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """SVC, NuSVC: libsvm's vote (or ``break_ties``) and the probabilities (``probability=True``)
    or ``decision_function`` ('ovo' or 'ovr'). ``options={'decision_function': True}``: the scores always."""
    options = check_options(est, options, ("decision_function",))
    dtype, n_classes = _dtype(X), len(est.classes_)
    shape = est.decision_function_shape
    if est.break_ties and shape == "ovo":
        raise OnnxAlgebraError(f"{type(est).__name__}: break_ties must be False when decision_function_shape is 'ovo'.")
    coefficients, intercept = pairwise_coefficients(est)
    with_proba = hasattr(est, "predict_proba") and not options.get("decision_function")
    if n_classes == 2:
        # scikit-learn's decision is libsvm's negated; libsvm votes class 0 when its decision is > 0
        decision = kernel_decision(est, X, -coefficients, -intercept, _classes_of_support_vectors(est))
        label = label_of(est, (~(decision < 0)).astype(np.int64).reshape(-1))
        if with_proba:  # libsvm's decision -d: A (-d) + B = (-A) d + B
            return label, coupled_probabilities(decision, -_dense(est._probA), _dense(est._probB), 2, dtype)
        return label, decision.reshape(-1)
    dec = kernel_decision(est, X, coefficients, intercept, _classes_of_support_vectors(est))
    ovr = ovr_decision(dec, n_classes, dtype) if shape == "ovr" else None
    if est.break_ties and ovr is not None:
        label = label_of(est, ovr.argmax(axis=1))
    else:
        label = label_of(est, _votes(dec > 0, n_classes, dtype).argmax(axis=1))
    if with_proba:
        return label, coupled_probabilities(dec, _dense(est._probA), _dense(est._probB), n_classes, dtype)
    return label, dec if ovr is None else ovr


def convert_svr(est: Any, X: Expr) -> Expr:
    """SVR, NuSVR: ``K(X, support_vectors_) @ dual_coef_.T + intercept_`` ([N, 1])."""
    return kernel_decision(est, X, _dense(est._dual_coef_).T, est._intercept_)


def convert_one_class_svm(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """OneClassSVM: 1 where ``decision_function`` > 0 else -1 (int64), and ``decision_function``
    (``options={'score_samples': True}``: ``score_samples = decision_function + offset_``)."""
    options = check_options(est, options, ("score_samples",))
    decision = kernel_decision(est, X, _dense(est._dual_coef_).T, est._intercept_).reshape(-1)
    label = OnnxWhere(decision > 0, np.array(1, dtype=np.int64), np.array(-1, dtype=np.int64))
    if options.get("score_samples"):
        return label, decision + np.asarray(est.offset_, dtype=_dtype(X)).reshape(-1)
    return label, decision


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import svm

    return {
        convert_svc: [svm.SVC, svm.NuSVC],
        convert_svr: [svm.SVR, svm.NuSVR],
        convert_one_class_svm: [svm.OneClassSVM],
    }
