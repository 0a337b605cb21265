"""Linear models: each converter is the model's formula, ``X @ coef.T + intercept`` (one Gemm) and a link.

For float32 inputs and int or str classes, classifiers use one ``ai.onnx.ml``
LinearClassifier node instead (the same scores and link, the fastest graph in
onnxruntime); float64 keeps standard operators, so it stays float64 throughout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxClip, OnnxGather, OnnxGemm, OnnxLinearClassifier, OnnxSigmoid, OnnxSoftmax

from ._common import argmax_label, binary_columns, linear_label, normalise_rows, ovr_probabilities


def decision(est: Any, X: Expr, both_signs: bool = False) -> Expr:
    """The decision function as [N, n_outputs] (a binary model has one column), one Gemm for a matrix X.

    ``both_signs`` gives a binary model two columns ``(-s, s)``: their argmax is
    scikit-learn's ``s > 0`` (a tie goes to the first), their sigmoid its ``(1 - p, p)``.
    """
    coef = np.atleast_2d(est.coef_)
    intercept = np.broadcast_to(np.asarray(est.intercept_, dtype=np.float64), coef.shape[:1])
    if both_signs and coef.shape[0] == 1:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    if X.shape is not None and len(X.shape) == 2:
        return OnnxGemm(X, coef, intercept, transB=1)
    return X @ coef.T + intercept


def _linear_classifier(est: Any, X: Expr, post_transform: str) -> tuple[Expr, Expr] | None:
    """Label and (transformed) scores from one ``ai.onnx.ml`` LinearClassifier: ``(-s, s)`` for a binary model.

    One node instead of Gemm, ArgMax, Gather and the link: the fastest graph in
    onnxruntime. Only for float32 (its scores are float32) and int or str classes;
    None otherwise, and the caller writes the formula with standard operators.
    """
    classes = np.asarray(est.classes_)
    if X.dtype != np.float32 or X.shape is None or len(X.shape) != 2:
        return None
    if classes.dtype.kind in "iu":
        labels: dict[str, Any] = {"classlabels_ints": classes.astype(np.int64)}
    elif classes.dtype.kind in "OU" and all(isinstance(c, str) for c in classes.tolist()):
        labels = {"classlabels_strings": [str(c) for c in classes]}
    else:
        return None
    coef = np.atleast_2d(est.coef_).astype(np.float32)
    intercept = np.broadcast_to(np.asarray(est.intercept_, dtype=np.float32), coef.shape[:1])
    if coef.shape[0] == 1:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    node = OnnxLinearClassifier(X, coefficients=coef.ravel(), intercepts=intercept, post_transform=post_transform, **labels)
    return node[0], node[1]


def _label_and_decision(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """``predict`` and ``decision_function`` (one-dimensional for a binary model)."""
    fast = _linear_classifier(est, X, "NONE")
    scores = fast[1] if fast is not None else decision(est, X, both_signs=True)
    binary = scores.shape is not None and scores.shape[1] == 2 and np.atleast_2d(est.coef_).shape[0] == 1
    label = fast[0] if fast is not None else argmax_label(est, scores)
    return label, OnnxGather(scores, np.array(1, dtype=np.int64), axis=1) if binary else scores


def convert_linear_regressor(est: Any, X: Expr) -> Expr:
    """LinearRegression, Ridge, Lasso, LassoLars...: ``X @ coef.T + intercept`` ([N, n_targets])."""
    return decision(est, X)


def _one_dimensional(scores: Expr) -> Expr:
    return scores.reshape(-1) if scores.shape is not None and scores.shape[1] == 1 else scores


def convert_logistic_regression(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """Sigmoid for two classes; softmax for more (one-vs-rest normalisation when so fitted).

    ``options={'decision_function': True}`` gives the decision scores instead of the probabilities.
    """
    if options and options.get("decision_function"):
        return _label_and_decision(est, X)
    multi_class = getattr(est, "multi_class", "auto")
    ovr = multi_class == "ovr" or (multi_class in ("auto", "deprecated") and est.solver == "liblinear")
    binary = np.atleast_2d(est.coef_).shape[0] == 1
    if ovr and not binary:
        scores = decision(est, X)
        return linear_label(est, scores), ovr_probabilities(scores)
    fast = _linear_classifier(est, X, "LOGISTIC" if binary else "SOFTMAX")
    if fast is not None:
        return fast
    scores = decision(est, X, both_signs=True)  # binary: (-s, s), whose sigmoid is (1 - p, p)
    proba = OnnxSigmoid(scores) if binary else OnnxSoftmax(scores, axis=1)
    return argmax_label(est, scores), proba


def convert_sgd_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """Probabilities for 'log_loss' and 'modified_huber'; decision scores for the other losses
    (and for every loss with ``options={'decision_function': True}``)."""
    scores = decision(est, X)
    label = linear_label(est, scores)
    if options and options.get("decision_function"):
        return label, _one_dimensional(scores)
    if est.loss == "log_loss":
        return label, ovr_probabilities(scores)
    if est.loss == "modified_huber":
        prob = (OnnxClip(scores, -1.0, 1.0) + 1.0) / 2.0
        return label, binary_columns(prob) if scores.shape[1] == 1 else normalise_rows(prob)
    return label, _one_dimensional(scores)


def convert_linear_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """LinearSVC, RidgeClassifier, Perceptron...: the label and the decision function."""
    return _label_and_decision(est, X)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import linear_model, svm

    return {
        convert_linear_regressor: [
            linear_model.LinearRegression, linear_model.Ridge, linear_model.Lasso, linear_model.LassoLars,
        ],
        convert_logistic_regression: [linear_model.LogisticRegression],
        convert_sgd_classifier: [linear_model.SGDClassifier],
        convert_linear_classifier: [svm.LinearSVC],
    }
