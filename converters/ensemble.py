"""AdaBoost: SAMME's weighted votes and the regressor's weighted median, over trees or any estimators."""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Constant,
    Expr,
    OnnxConcat,
    OnnxSoftmax,
    OnnxTopK,
    OnnxWhere,
    convert_estimator,
)

from ._common import argmax_label, classes_constant, label_of
from .trees import tree_ensemble, trees_of


def _all_trees(estimators: list[Any]) -> bool:
    return all(hasattr(e, "tree_") and e.tree_.n_outputs == 1 for e in estimators)


def _samme_votes(est: Any, X: Expr) -> Expr:
    """``sum_m where(estimator_m predicts c, w_m, -w_m / (K - 1))``: [N, K]."""
    classes = np.asarray(est.classes_)
    n_classes = len(classes)
    estimators = est.estimators_
    weights = est.estimator_weights_[: len(estimators)]
    if _all_trees(estimators):
        # every leaf votes for the class its tree predicts there
        predicted = np.concatenate([e.classes_[np.argmax(e.tree_.value[:, 0, :], axis=1)] for e in estimators])
        w = np.repeat(weights, [e.tree_.node_count for e in estimators])[:, None]
        votes = np.where(predicted[:, None] == classes[None, :], w, -1 / (n_classes - 1) * w)
        return tree_ensemble(X, [e.tree_ for e in estimators], votes)
    total = None
    for e, w in zip(estimators, weights):
        label = convert_estimator(e, X)[0].reshape(-1, 1)
        vote = OnnxWhere(label == classes_constant(est), w, -1 / (n_classes - 1) * w)
        total = vote if total is None else total + vote
    return total


def convert_adaboost_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """AdaBoostClassifier (SAMME): the normalised votes, then softmax(votes / (K - 1)).

    Two classes: ``decision = votes[:, 1] - votes[:, 0]`` and the probabilities
    are ``softmax([-decision, decision] / 2)``.
    """
    n_classes = len(est.classes_)
    votes = _samme_votes(est, X) / est.estimator_weights_.sum()
    if n_classes == 2:
        decision = votes[:, 1:] - votes[:, :1]
        proba = OnnxSoftmax(OnnxConcat(-decision, decision, axis=1) / 2, axis=1)
        return label_of(est, (decision.reshape(-1) > 0).astype(np.int64)), proba
    return argmax_label(est, votes), OnnxSoftmax(votes / (n_classes - 1), axis=1)


def convert_adaboost_regressor(est: Any, X: Expr) -> Expr:
    """AdaBoostRegressor: the weighted median of the estimators' predictions, [N, 1].

    scikit-learn's ``_get_median_predict``, in numpy: predictions sorted in
    increasing order (one TopK gives them and their order, where numpy needs a
    sort and an argsort), the median is the first whose cumulated weight
    reaches half of the total weight.
    """
    estimators = est.estimators_
    n = len(estimators)
    weights = est.estimator_weights_[:n]
    if _all_trees(estimators):
        trees = trees_of(est)
        values = np.concatenate([t.value[:, 0, 0] for t in trees])
        owner = np.repeat(np.arange(n), [t.node_count for t in trees])  # tree m predicts column m
        predictions = tree_ensemble(X, trees, values, targets=owner, n_targets=n)
    else:
        predictions = np.hstack([convert_estimator(e, X)[0].reshape(-1, 1) for e in estimators])
    ordered, order = OnnxTopK(predictions, np.array([n], dtype=np.int64), axis=1, largest=0)  # sorted, with the order
    weight_cdf = np.cumsum(Constant(weights.astype(X.dtype))[order], axis=1)
    median = (weight_cdf >= 0.5 * weight_cdf[:, -1:]).argmax(axis=1, keepdims=True)
    return np.take_along_axis(ordered, median, axis=1)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import ensemble

    return {
        convert_adaboost_classifier: [ensemble.AdaBoostClassifier],
        convert_adaboost_regressor: [ensemble.AdaBoostRegressor],
    }
