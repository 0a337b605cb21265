"""sklearn.multiclass: one-vs-rest, one-vs-one and output-code classifiers over any convertible binary classifier.

Each member is converted with :func:`~onnxalgebra.convert_estimator`; what the
meta-estimator reads from a member is scikit-learn's ``_predict_binary``: its
decision function when it has one (``decision_function`` as a 1-D score),
else the probability of its positive class, else (a regressor) its
prediction. A member that has both ``predict_proba`` and ``decision_function``
must have a converter honouring ``options={'decision_function': True}``
(linear models, a Pipeline ending with one, ...); otherwise a clear error.

- OneVsRestClassifier: when every member is a linear classifier (LogisticRegression,
  LinearSVC, ...: scikit-learn's linear ``decision_function``), one Gemm gives
  all their decision functions, and for LogisticRegression members the
  probabilities are its ``expit``. ``predict`` is the first class with the largest score
  (multiclass), ``score > threshold`` (binary; the threshold is 0 for a member
  with a decision function, else 0.5), or the [N, n_labels] int64 0/1 matrix
  of ``score > threshold`` (multilabel, as scikit-learn's dense indicator).
  ``predict_proba`` stacks the members' positive probabilities, rows
  normalised to sum to 1 except in the multilabel case (an all-zero row stays
  zero, as scikit-learn); without it the second output is ``decision_function``.
  A label constant in the training data (a ``_ConstantPredictor`` member) is a
  constant column.
- OneVsOneClassifier: ``decision_function`` as ``_ovr_decision_function``: the
  votes of each pair plus ``s / (3 (|s| + 1))`` of the summed confidences
  ``s``, both one matrix product by the [pairs, classes] +-1 incidence
  matrix; ``predict`` its first maximum (two classes: ``Y[:, 1] > threshold``).
  Output: ``(label, scores)``.
- OutputCodeClassifier: scikit-learn has only ``predict``: the class whose row
  of ``code_book_`` is nearest (euclidean, first one on ties) to the members'
  scores. The registry names its outputs ``(label, scores)``: ``scores`` are
  the euclidean distances [N, n_classes] to each class's code (the label is
  their first minimum), what ``pairwise_distances(Y, code_book_)`` gives.

No options are accepted (an option is an error).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Columns,
    Constant,
    Expr,
    OnnxAlgebraError,
    OnnxArgMin,
    OnnxConcat,
    OnnxGemm,
    convert_estimator,
    takes_columns,
)

from ._common import argmax_label, expit, label_of
from .calibration import linear_decision


def no_options(est: Any, options: dict | None) -> None:
    """An error naming the estimator when any option is given."""
    if options:
        raise OnnxAlgebraError(f"{type(est).__name__}: its converter takes no options, got {sorted(options)}; leave them out.")


def _constant_value(member: Any) -> float | None:
    """The value of a ``_ConstantPredictor`` (a label seen alone at fit time), None for another member."""
    if type(member).__name__ != "_ConstantPredictor":
        return None
    return float(np.ravel(member.y_)[0])


def constant_column(X: Expr | Columns, value: float, dtype: Any) -> Expr:
    """An [N, 1] column of ``value`` with as many rows as ``X``."""
    first = X[X.names[0]] if isinstance(X, Columns) else X[:, :1]
    return np.full_like(first, value, dtype=dtype)


def is_regressor_member(member: Any) -> bool:
    from sklearn.base import is_regressor

    return bool(is_regressor(member))


def has_decision(member: Any) -> bool:
    """What ``_predict_binary`` tries first: the member has a decision function."""
    return hasattr(member, "decision_function")


def binary_threshold(member: Any) -> float:
    """scikit-learn's ``_threshold_for_binary_predict``: 0 on a classifier's decision function, else 0.5."""
    from sklearn.base import is_classifier

    return 0.0 if has_decision(member) and is_classifier(member) else 0.5


def label_and_decision(member: Any, X: Expr | Columns) -> tuple[Expr, Expr]:
    """A classifier's label and decision function from one conversion: its second output when it has no
    ``predict_proba``, else what its converter gives with ``options={'decision_function': True}``."""
    if not hasattr(member, "predict_proba"):
        return convert_estimator(member, X)
    try:
        return convert_estimator(member, X, {"decision_function": True})
    except OnnxAlgebraError as exc:
        raise OnnxAlgebraError(
            f"the decision function of the member {type(member).__name__} is needed (scikit-learn reads it before "
            f"predict_proba) but its converter does not give it with options={{'decision_function': True}}: {exc}"
        ) from exc


def label_and_score(member: Any, X: Expr | Columns, dtype: Any) -> tuple[Expr | None, Expr]:
    """A member's label ([N], None for a regressor or a constant) and ``_predict_binary`` score as [N, 1]."""
    value = _constant_value(member)
    if value is not None:
        return None, constant_column(X, value, dtype)
    if is_regressor_member(member):
        return None, convert_estimator(member, X)[0].reshape(-1, 1)
    if has_decision(member):
        label, scores = label_and_decision(member, X)
        return label, scores.reshape(-1, 1)
    label, proba = convert_estimator(member, X)
    return label, proba[:, 1:2]


def positive_probability(member: Any, X: Expr | Columns, dtype: Any) -> Expr:
    """``member.predict_proba(X)[:, 1:2]`` ([N, 1]); a constant predictor's label."""
    value = _constant_value(member)
    if value is not None:
        return constant_column(X, value, dtype)
    return convert_estimator(member, X)[1][:, 1:2]


def side_by_side(columns: list[Expr]) -> Expr:
    return columns[0] if len(columns) == 1 else OnnxConcat(*columns, axis=1)


def _dtype_of(X: Expr | Columns) -> np.dtype:
    return np.dtype(X.dtype)


def normalise_nonzero_rows(prob: Expr) -> Expr:
    """Rows divided by their sum where it is not zero (an all-zero row stays zero), as OneVsRestClassifier."""
    total = prob.sum(axis=1, keepdims=True)
    return prob / np.where(total == 0, 1.0, total)


@takes_columns
def convert_one_vs_rest(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """OneVsRestClassifier: label (multilabel: [N, n_labels] int64 indicator) and probabilities or decision function.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(30, 3)
    >>> ovr = OneVsRestClassifier(LogisticRegression()).fit(X, np.arange(30) % 3)
    >>> [o.name for o in to_onnx(ovr, X[:1]).graph.output]
    ['label', 'probabilities']
    """
    no_options(est, options)
    dtype = _dtype_of(X)
    members = est.estimators_
    y_type = est.label_binarizer_.y_type_
    linear = linear_members(members, X)
    if linear is not None:  # one Gemm for every member's decision function
        scores = OnnxGemm(X, linear[0], linear[1], transB=1)
    else:
        scores = side_by_side([label_and_score(m, X, dtype)[1] for m in members])
    if y_type == "multiclass":
        label = argmax_label(est, scores)
    elif y_type.startswith("multilabel"):
        label = (scores > binary_threshold(members[0])).astype(np.int64)
    else:
        label = label_of(est, (scores.reshape(-1) > binary_threshold(members[0])).astype(np.int64))
    if hasattr(est, "predict_proba"):
        if linear is not None and all(_logistic(m) for m in members):
            prob = expit(scores)  # a binary LogisticRegression's predict_proba: expit(decision)
        else:
            prob = side_by_side([positive_probability(m, X, dtype) for m in members])
        if len(members) == 1:
            prob = OnnxConcat(1 - prob, prob, axis=1)
        return label, prob if est.multilabel_ else normalise_nonzero_rows(prob)
    if not hasattr(est, "decision_function"):
        raise OnnxAlgebraError(
            f"OneVsRestClassifier over {type(members[0]).__name__}: its members have neither predict_proba nor "
            "decision_function, the second output of a classifier."
        )
    if all(has_decision(m) and not is_regressor_member(m) and _constant_value(m) is None for m in members):
        decision = scores  # the scores above are the decision functions
    else:
        decision = side_by_side([_decision_column(m, X, dtype) for m in members])
    return label, decision.reshape(-1) if len(members) == 1 else decision


def linear_members(members: list[Any], X: Expr | Columns) -> tuple[np.ndarray, np.ndarray] | None:
    """``(coef, intercept)`` stacked ([members, features], [members]) when every member's decision function is
    scikit-learn's linear one with one column and X is a matrix; else None."""
    if isinstance(X, Columns) or X.shape is None or len(X.shape) != 2:
        return None
    parts = [linear_decision(m) for m in members]
    if any(p is None or p[0].shape[0] != 1 for p in parts):
        return None
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _logistic(member: Any) -> bool:
    from sklearn.linear_model import LogisticRegression

    return type(member) is LogisticRegression


def _decision_column(member: Any, X: Expr | Columns, dtype: Any) -> Expr:
    value = _constant_value(member)
    if value is not None:
        return constant_column(X, value, dtype)
    return label_and_decision(member, X)[1].reshape(-1, 1)


def pair_incidence(n_classes: int) -> np.ndarray:
    """[pairs, classes]: row ``k`` of pair ``(i, j)`` (scikit-learn's order) holds -1 at ``i`` and +1 at ``j``."""
    pairs = [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]
    incidence = np.zeros((len(pairs), n_classes))
    rows = np.arange(len(pairs))
    incidence[rows, [i for i, _ in pairs]] = -1.0
    incidence[rows, [j for _, j in pairs]] = 1.0
    return incidence


@takes_columns
def convert_one_vs_one(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """OneVsOneClassifier: ``(label, decision_function)`` as ``_ovr_decision_function`` computes it.

    Pair ``k = (i, j)`` gives a vote to ``i`` when its member predicts 0, to ``j``
    when it predicts 1; ``votes = (#pairs with i first) + predictions @ D`` and
    ``s = confidences @ D`` with ``D`` the +-1 incidence matrix.
    """
    no_options(est, options)
    if getattr(est, "pairwise_indices_", None) is not None:
        raise OnnxAlgebraError("OneVsOneClassifier over a precomputed kernel (pairwise members) is not supported.")
    dtype = _dtype_of(X)
    n_classes = len(est.classes_)
    labels, confidences = [], []
    for member in est.estimators_:
        label, score = label_and_score(member, X, dtype)
        if label is None:
            label = convert_estimator(member, X)[0]
        if label.dtype is None or label.dtype.kind not in "iub":
            raise OnnxAlgebraError(f"OneVsOneClassifier: the member {type(member).__name__} predicts {label.dtype}, not 0/1.")
        labels.append(label.reshape(-1, 1).astype(dtype))
        confidences.append(score)
    incidence = pair_incidence(n_classes)
    first = (incidence == -1).sum(axis=0)  # the votes if every member predicted 0
    votes = side_by_side(labels) @ incidence.astype(dtype) + first.astype(dtype)
    summed = side_by_side(confidences) @ incidence.astype(dtype)
    decision = votes + summed / (3 * (np.abs(summed) + 1))
    if n_classes == 2:
        positive = decision[:, 1]
        return label_of(est, (positive > binary_threshold(est.estimators_[0])).astype(np.int64)), positive
    return argmax_label(est, decision), decision


@takes_columns
def convert_output_code(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """OutputCodeClassifier: the class of the nearest code (first one on ties), and the euclidean distances to the
    codes [N, n_classes] as ``scores`` (scikit-learn has neither ``predict_proba`` nor ``decision_function``)."""
    no_options(est, options)
    dtype = _dtype_of(X)
    scores = side_by_side([label_and_score(m, X, dtype)[1] for m in est.estimators_])  # [N, members]
    code = Constant(est.code_book_.astype(dtype)[None, :, :])  # [1, classes, members]
    squared = ((scores[:, None, :] - code) ** 2).sum(axis=2)  # [N, classes]
    return label_of(est, OnnxArgMin(squared, axis=1, keepdims=0)), np.sqrt(squared)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import multiclass

    return {
        convert_one_vs_rest: [multiclass.OneVsRestClassifier],
        convert_one_vs_one: [multiclass.OneVsOneClassifier],
        convert_output_code: [multiclass.OutputCodeClassifier],
    }
