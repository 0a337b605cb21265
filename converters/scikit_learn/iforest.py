"""IsolationForest: the mean path length to the leaf each row reaches, one tree-ensemble node for every tree.

A row reaching a leaf at depth ``d`` (the root at 1) that held ``n`` training
samples contributes ``d + c(n) - 1`` to its path length, with ``c(n)`` the
average path length of an unsuccessful search in a binary search tree of
``n`` nodes, scikit-learn's correction::

    c(n) = 0 for n <= 1, 1 for n == 2, else 2 (log(n - 1) + euler_gamma) - 2 (n - 1) / n

Every leaf's contribution is computed once in float64 and the node sums them
over the trees (each tree's feature ids mapped back to X's columns when it
saw a subset of them). Then, as ``score_samples``, ``decision_function`` and
``predict`` do::

    score_samples = -2 ** (-total / (n_trees * c(max_samples_)))
    decision_function = score_samples - offset_
    predict = -1 where decision_function < 0, else 1

Outputs follow the outlier-detector contract: ``label`` (int64, 1 or -1) and
``scores`` (``decision_function``, [N]); ``options={'score_samples': True}``
gives ``score_samples`` as ``scores`` instead. ``options={'missing_values':
False}`` leaves out the NaN flags of the trees (see ``trees.tree_ensemble``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Constant, Expr, OnnxWhere

from .ensemble import feature_trees
from .trees import missing_values_option, tree_ensemble


def average_path_length(n_samples: np.ndarray) -> np.ndarray:
    """``c(n)``: the average path length of an unsuccessful search among ``n`` samples (float64, as scikit-learn).

    >>> average_path_length(np.array([1, 2, 3, 256])).round(4).tolist()
    [0.0, 1.0, 1.2074, 10.2448]
    """
    n = np.asarray(n_samples, dtype=np.float64)
    result = np.zeros(n.shape)
    result[n == 2] = 1.0
    large = n > 2
    m = n[large]
    result[large] = 2.0 * (np.log(m - 1.0) + np.euler_gamma) - 2.0 * (m - 1.0) / m
    return result


def node_depths(tree: Any) -> np.ndarray:
    """The depth of every node of a fitted ``Tree``, the root at 1 (float64)."""
    depth = np.zeros(tree.node_count)
    level, d = np.array([0]), 1.0
    while len(level):
        depth[level] = d
        children = np.concatenate([tree.children_left[level], tree.children_right[level]])
        level, d = children[children >= 0], d + 1.0
    return depth


def path_lengths(tree: Any) -> np.ndarray:
    """What a row reaching each node adds to its path length: ``depth + c(n_node_samples) - 1`` (float64)."""
    return node_depths(tree) + average_path_length(tree.n_node_samples) - 1.0


def score_samples(est: Any, X: Expr, missing_values: bool = True) -> Expr:
    """IsolationForest's ``score_samples`` as an expression, [N]."""
    trees = [member.tree_ for member in est.estimators_]
    subsets = any(len(f) != est.n_features_in_ for f in est.estimators_features_)  # as scikit-learn, by max_features
    nodes = feature_trees(est.estimators_, est.estimators_features_ if subsets else None)
    values = np.concatenate([path_lengths(t) for t in trees])
    total = tree_ensemble(X, nodes, values, missing_values=missing_values).reshape(-1)
    denominator = len(trees) * float(average_path_length(np.array([est.max_samples_]))[0])
    if denominator == 0:  # one sample per tree: scikit-learn takes 1 for the ratio (0 / 0), a score of -2 ** -1
        return total * 0.0 - 0.5
    return -(2.0 ** -(total / denominator))


def convert_isolation_forest(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """IsolationForest: ``label`` (``predict``: 1 for an inlier, -1 for an outlier) and ``scores``
    (``decision_function``; ``options={'score_samples': True}``: ``score_samples``)."""
    options = options or {}
    raw = score_samples(est, X, missing_values=missing_values_option(options))
    decision = raw - float(est.offset_)
    label = OnnxWhere(decision < 0, Constant(np.array(-1, dtype=np.int64)), Constant(np.array(1, dtype=np.int64)))
    return label, raw if options.get("score_samples") else decision


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import ensemble

    return {convert_isolation_forest: [ensemble.IsolationForest]}
