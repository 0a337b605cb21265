"""Linear models: each converter is the model's formula, ``X @ coef.T + intercept`` and a link."""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxClip, OnnxSoftmax

from ._common import binary_columns, linear_label, normalise_rows, ovr_probabilities


def decision(est: Any, X: Expr) -> Expr:
    """The decision function as [N, n_outputs] (a binary model has one column)."""
    coef = np.atleast_2d(est.coef_)
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    return X @ coef.T + intercept


def convert_linear_regressor(est: Any, X: Expr) -> Expr:
    """LinearRegression, Ridge, Lasso, LassoLars...: ``X @ coef.T + intercept`` ([N, n_targets])."""
    return decision(est, X)


def _one_dimensional(scores: Expr) -> Expr:
    return scores.reshape(-1) if scores.shape is not None and scores.shape[1] == 1 else scores


def convert_logistic_regression(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """Sigmoid for two classes; softmax for more (one-vs-rest normalisation when so fitted)."""
    scores = decision(est, X)
    multi_class = getattr(est, "multi_class", "auto")
    ovr = multi_class == "ovr" or (multi_class in ("auto", "deprecated") and est.solver == "liblinear")
    if scores.shape[1] == 1 or ovr:
        proba = ovr_probabilities(scores)
    else:
        proba = OnnxSoftmax(scores, axis=1)
    return linear_label(est, scores), proba


def convert_sgd_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """Probabilities for 'log_loss' and 'modified_huber'; decision scores for the other losses."""
    scores = decision(est, X)
    label = linear_label(est, scores)
    if est.loss == "log_loss":
        return label, ovr_probabilities(scores)
    if est.loss == "modified_huber":
        prob = (OnnxClip(scores, -1.0, 1.0) + 1.0) / 2.0
        return label, binary_columns(prob) if scores.shape[1] == 1 else normalise_rows(prob)
    return label, _one_dimensional(scores)


def convert_linear_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """LinearSVC, RidgeClassifier, Perceptron...: the label and the decision function."""
    scores = decision(est, X)
    return linear_label(est, scores), _one_dimensional(scores)
