"""sklearn.semi_supervised: SelfTrainingClassifier, LabelPropagation and LabelSpreading.

**SelfTrainingClassifier** predicts with the estimator it fitted last:
``estimator_``'s converter gives its outputs (label, probabilities; its
decision function when it has no ``predict_proba``), with the options given
(it checks them). A DataFrame's columns go to it as they are
(``takes_columns``).

**LabelPropagation, LabelSpreading** predict alike (``BaseLabelPropagation``):
each training row ``i`` of ``X_`` carries a distribution over the classes,
``label_distributions_[i]`` (rows summing to 1, or all zero for a row the
propagation never reached). A new row's probabilities are the kernel-weighted
sum of those distributions over the training rows, divided by its total, and
the label is ``classes_[argmax]``:

- ``kernel='rbf'``: the weights are ``exp(-gamma |x - x_i|**2)``. The model
  measures the squared distances from the differences (exact, no cancellation;
  :class:`~onnxalgebra_converters.neighbors.Metric`) and subtracts the nearest
  one before the exponential: ``exp(-gamma (d_i - d_min))`` is 1 for the
  nearest row, so the weights do not underflow, in float32 either, where
  scikit-learn's ``exp(-gamma d_i)`` would (from ``gamma d > 87``); the factor
  cancels in the division. Training rows whose distribution is all zero
  weigh nothing and are left out.
- ``kernel='knn'``: the weights are 1 for the ``n_neighbors`` nearest training
  rows of ``nn_fit`` (the neighbour search of
  :meth:`~onnxalgebra_converters.neighbors.Metric.kneighbors`: equal distances
  across the ``k``-th place keep the first training rows, where scikit-learn's
  tree keeps the ones it visits first, see ``neighbors``), 0 for the others.

**An all-zero row.** When every weight of a row is 0 in scikit-learn (rbf:
every training row carrying a distribution at ``gamma d > 745.13``, where
float64's ``exp`` gives 0; knn: every neighbour's distribution all zero),
scikit-learn divides 0 by 0: its probabilities are NaN and its label
``classes_[0]`` (``np.argmax`` of a NaN row). The model gives the same. (For
``708 < gamma d_min <= 745.13`` scikit-learn's weights are subnormal numbers
with fewer significant bits; the model's shifted weights are exact, and the
two probabilities can differ by more than float64's rounding.) A callable
kernel cannot be converted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Columns,
    Expr,
    OnnxAlgebraError,
    OnnxArgMax,
    OnnxExp,
    OnnxGather,
    OnnxMatMul,
    OnnxReduceMin,
    OnnxReduceSum,
    OnnxWhere,
    computation_dtype,
    convert_estimator,
    takes_columns,
)

from ._common import check_options, label_of
from ._compat import self_training_estimator
from .neighbors import Metric

EXP_UNDERFLOW = 745.1332191019411
"""The largest ``t`` with ``numpy.exp(-t) > 0`` in float64: beyond, scikit-learn's rbf weight is 0."""


@takes_columns
def convert_self_training(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, ...]:
    """SelfTrainingClassifier: the outputs of ``estimator_``, the classifier fitted on the self-labelled data.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.semi_supervised import SelfTrainingClassifier
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(40, 3)
    >>> y = np.where(np.arange(40) % 4 == 0, -1, (X[:, 0] > 0.5).astype(int))
    >>> clf = SelfTrainingClassifier(LogisticRegression()).fit(X, y)
    >>> [o.name for o in to_onnx(clf, X[:1]).graph.output]
    ['label', 'probabilities']
    """
    return convert_estimator(self_training_estimator(est), X, options)


def _axis1() -> np.ndarray:
    return np.array([1], dtype=np.int64)


def _dense(matrix: Any) -> np.ndarray:
    """A training matrix as a float64 array (scikit-learn keeps a sparse ``X_`` sparse)."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=np.float64)


def _rbf_votes(est: Any, X: Expr, dtype: np.dtype) -> tuple[Expr, Expr]:
    """rbf: (the weighted sums of the distributions [N, C], scaled by ``exp(gamma d_min)``; the rows whose weights
    are all 0 in scikit-learn [N, 1] bool)."""
    distributions = np.asarray(est.label_distributions_, dtype=np.float64)
    carrying = distributions.sum(axis=1) != 0
    if not carrying.any():
        raise OnnxAlgebraError(
            f"{type(est).__name__}: no training row carries a label distribution (label_distributions_ is all zero); "
            "scikit-learn's probabilities are NaN for every row. Refit it with labelled rows."
        )
    fit = _dense(est.X_)[carrying]
    squared = Metric("euclidean", {}, fit, type(est).__name__).all_exact(X, dtype)  # [N, M]
    nearest = OnnxReduceMin(squared, _axis1(), keepdims=1)
    gamma = float(est.gamma)
    weights = OnnxExp((squared - nearest) * np.asarray(-gamma, dtype=dtype))
    votes = OnnxMatMul(weights, distributions[carrying].astype(dtype))
    empty = nearest * np.asarray(gamma, dtype=dtype) > np.asarray(EXP_UNDERFLOW, dtype=dtype)
    return votes, empty


def _knn_votes(est: Any, X: Expr, dtype: np.dtype) -> tuple[Expr, Expr]:
    """knn: (the sums of the distributions of the ``n_neighbors`` nearest training rows [N, C]; the rows whose sum
    is all zero [N, 1] bool)."""
    nn = getattr(est, "nn_fit", None)
    if nn is None or not hasattr(nn, "_fit_X"):
        raise OnnxAlgebraError(f"{type(est).__name__}: kernel='knn' but its neighbour search nn_fit is not fitted; refit it.")
    k = int(nn.n_neighbors)
    fit = _dense(nn._fit_X)
    if k > len(fit):
        raise OnnxAlgebraError(f"{type(est).__name__}: n_neighbors={k} exceeds the {len(fit)} training rows.")
    params = getattr(nn, "effective_metric_params_", None) or {}
    metric = Metric(nn.effective_metric_, params, fit, type(est).__name__)
    _, positions = metric.kneighbors(X, k, dtype)  # [N, k]
    distributions = np.asarray(est.label_distributions_, dtype=np.float64).astype(dtype)
    votes = OnnxReduceSum(OnnxGather(distributions, positions, axis=0), _axis1(), keepdims=0)  # [N, C]
    empty = OnnxReduceSum(votes, _axis1(), keepdims=1) == np.asarray(0, dtype=dtype)
    return votes, empty


def convert_label_propagation(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """LabelPropagation, LabelSpreading (``kernel='rbf'`` or ``'knn'``): the kernel-weighted sum of
    ``label_distributions_`` over the training rows, normalised per row (probabilities), and ``classes_[argmax]``
    (label); a row whose weights are all 0 gets NaN probabilities and ``classes_[0]``, as scikit-learn (see the
    module)."""
    check_options(est, options)
    dtype = computation_dtype()
    if X.dtype != dtype:
        X = X.astype(dtype)
    if callable(est.kernel) or est.kernel not in ("rbf", "knn"):
        raise OnnxAlgebraError(f"{type(est).__name__}: kernel={est.kernel!r} cannot be converted; expected 'rbf' or 'knn'.")
    votes, empty = _rbf_votes(est, X, dtype) if est.kernel == "rbf" else _knn_votes(est, X, dtype)
    total = OnnxReduceSum(votes, _axis1(), keepdims=1)
    one, nan = np.asarray(1, dtype=dtype), np.asarray(np.nan, dtype=dtype)
    probabilities = OnnxWhere(empty, nan, votes / OnnxWhere(empty, one, total))
    index = OnnxWhere(empty.reshape(-1), np.int64(0), OnnxArgMax(probabilities, axis=1, keepdims=0))
    return label_of(est, index), probabilities


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import semi_supervised

    return {
        convert_self_training: [semi_supervised.SelfTrainingClassifier],
        convert_label_propagation: [semi_supervised.LabelPropagation, semi_supervised.LabelSpreading],
    }
