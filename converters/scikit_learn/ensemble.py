"""Ensembles of other estimators: AdaBoost, Bagging, Voting and Stacking, over trees or any convertible estimators.

- AdaBoost: SAMME's weighted votes and the regressor's weighted median.
- Bagging: each member sees its columns ``estimators_features_``; the classifier
  averages the members' probabilities (a member without ``predict_proba``
  votes for its class), the regressor their predictions. Tree members become
  one tree-ensemble node whose feature ids are mapped back to ``X``'s columns.
- Voting: soft (weighted mean of probabilities) or hard (weighted count of
  labels, ties broken as scikit-learn's float64 sums break them); the
  regressor's weighted mean.
- Stacking: the members' outputs (``stack_method_``; one probability column
  fewer for two classes), ``X`` after them with ``passthrough``, then the
  final estimator.

Voting and Stacking take a DataFrame's columns (``takes_columns``) and hand
them to their members, so that a member pipeline starting with a
ColumnTransformer reads the string columns it encodes; Stacking's
``passthrough`` appends the fitted columns as numbers. Bagging, like
scikit-learn, sees a DataFrame as the matrix of its columns.

RandomTreesEmbedding: ``transform`` is the one-hot encoding of the leaf each
tree sends a row to (``one_hot_encoder_``'s columns: tree after tree, its
leaves in increasing node id), dense [N, total leaves] whether scikit-learn's
``sparse_output`` is True or not. One tree-ensemble node has a target per
column: each leaf adds 1 to its own column, so the node's sums are the one-hot
rows (exact in float32 and float64) with no step after it.

Options: ``{'transform': True}`` gives what ``transform`` returns in place of
the probabilities (Voting and Stacking classifiers) or of the prediction
(regressors); ``{'decision_function': True}`` gives the decision function
instead of the probabilities (Bagging and Stacking classifiers); Bagging passes
``{'missing_values': False}`` to its tree members (see ``trees.tree_ensemble``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Columns,
    Constant,
    Expr,
    OnnxAlgebraError,
    OnnxArgMax,
    OnnxConcat,
    OnnxLog,
    OnnxSoftmax,
    OnnxTopK,
    OnnxWhere,
    convert_estimator,
    takes_columns,
)

from ._common import argmax_label, check_options, classes_constant, label_of, select_columns
from ._compat import adaboost_samme_r, tree_class_fractions
from .trees import missing_values_option, tree_ensemble, trees_of

# --- shared by the ensembles of this module and IsolationForest ---


class FeatureTree:
    """A fitted ``Tree`` whose split features are renumbered: what :func:`~converters.trees.tree_ensemble` reads.

    A member fitted on ``X[:, features]`` splits on its own column ``j``; in the
    ensemble's node it splits on ``features[j]`` of ``X``.
    """

    __slots__ = ("children_left", "children_right", "feature", "missing_go_to_left", "node_count", "threshold", "value")

    def __init__(self, tree: Any, features: np.ndarray | None = None):
        self.node_count = tree.node_count
        self.children_left = tree.children_left
        self.children_right = tree.children_right
        self.threshold = tree.threshold
        self.value = tree.value
        self.missing_go_to_left = getattr(tree, "missing_go_to_left", np.zeros(tree.node_count, dtype=np.uint8))
        feature = np.asarray(tree.feature)
        if features is not None:
            features = np.asarray(features, dtype=np.int64)
            feature = np.where(feature >= 0, features[np.maximum(feature, 0)], feature)
        self.feature = feature


def feature_trees(estimators: list[Any], features: list[np.ndarray] | None) -> list[FeatureTree]:
    """The trees of ``estimators`` (each a tree), the one of estimator ``m`` renumbered by ``features[m]``."""
    if features is None:
        return [FeatureTree(e.tree_) for e in estimators]
    return [FeatureTree(e.tree_, f) for e, f in zip(estimators, features, strict=True)]


def all_trees(estimators: list[Any]) -> bool:
    """Every estimator is one fitted tree (DecisionTree*, ExtraTree*)."""
    return bool(estimators) and all(hasattr(e, "tree_") for e in estimators)


def as_columns(values: Expr) -> Expr:
    """[N] -> [N, 1]; [N, k] unchanged."""
    shape = values.shape
    return values.reshape(-1, 1) if shape is not None and len(shape) == 1 else values


def _final_step(est: Any) -> Any:
    steps = getattr(est, "steps", None)
    if steps is None:
        return est
    kept = [s for _, s in steps if s is not None and not (isinstance(s, str) and s == "passthrough")]
    return _final_step(kept[-1]) if kept else est


def _honours_decision_option(est: Any) -> bool:
    """Whether the converter of ``est`` gives its decision function with ``options={'decision_function': True}``."""
    from sklearn import ensemble, linear_model

    known = (
        linear_model.LogisticRegression,
        linear_model.SGDClassifier,
        ensemble.BaggingClassifier,
        ensemble.StackingClassifier,
    )
    return isinstance(_final_step(est), known)


def decision_function(est: Any, X: Expr | Columns) -> Expr:
    """``est.decision_function(X)`` as an expression ([N] for two classes, else [N, n_classes]).

    A classifier without ``predict_proba`` gives it as its second output; one
    with ``predict_proba`` must have a converter honouring
    ``options={'decision_function': True}`` (linear models, Bagging, Stacking,
    a Pipeline ending with one of them).
    """
    if not hasattr(est, "decision_function"):
        raise OnnxAlgebraError(f"{type(est).__name__} has no decision_function.")
    if not hasattr(est, "predict_proba"):
        return convert_estimator(est, X)[1]
    if not _honours_decision_option(est):
        raise OnnxAlgebraError(
            f"the decision function of {type(est).__name__} is not available: its converter gives probabilities and "
            "does not take options={'decision_function': True}; use stack_method='predict_proba'."
        )
    return convert_estimator(est, X, {"decision_function": True})[1]


def predictions(est: Any, X: Expr | Columns) -> Expr:
    """``est.predict(X)`` as [N, k] values of X's dtype (a classifier's label cast: it is a class index here)."""
    value = convert_estimator(est, X)[0]
    if value.dtype is None or value.dtype.kind not in "fiub":
        raise OnnxAlgebraError(f"the predictions of {type(est).__name__} are not numbers ({value.dtype}).")
    if value.dtype != X.dtype:
        value = value.astype(X.dtype)
    return as_columns(value)


def _total(parts: list[Expr]) -> Expr:
    """The sum of ``parts``, left to right."""
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _option(options: dict | None, name: str) -> bool:
    return bool((options or {}).get(name, False))


def _dropped(member: Any) -> bool:
    return isinstance(member, str) and member == "drop"


# --- AdaBoost ---


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


def _samme_r_scores(est: Any, X: Expr) -> Expr:
    """SAMME.R (scikit-learn before 1.6): ``sum_m (K - 1) * (log p_m - mean_k log p_m)``, each member's
    probabilities ``p_m`` clipped below at float64's eps, [N, K]."""
    n_classes = len(est.classes_)
    eps = float(np.finfo(np.float64).eps)
    estimators = est.estimators_
    if _all_trees(estimators):  # each leaf's scores, computed once
        values = []
        for e in estimators:
            log_p = np.log(np.clip(tree_class_fractions(e.tree_, n_classes), eps, None))
            values.append((n_classes - 1) * (log_p - log_p.mean(axis=1, keepdims=True)))
        return tree_ensemble(X, [e.tree_ for e in estimators], np.concatenate(values))
    total = None
    for e in estimators:
        log_p = OnnxLog(np.clip(convert_estimator(e, X)[1], eps, None))
        scores = (log_p - np.mean(log_p, axis=1, keepdims=True)) * float(n_classes - 1)
        total = scores if total is None else total + scores
    return total


def convert_adaboost_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """AdaBoostClassifier (SAMME; SAMME.R of scikit-learn before 1.6): the normalised votes (SAMME.R: the summed
    log-probability scores), then softmax(votes / (K - 1)).

    Two classes: ``decision = votes[:, 1] - votes[:, 0]`` and the probabilities
    are ``softmax([-decision, decision] / 2)``.
    """
    n_classes = len(est.classes_)
    scores = _samme_r_scores(est, X) if adaboost_samme_r(est) else _samme_votes(est, X)
    votes = scores / est.estimator_weights_.sum()
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


# --- Bagging ---


def _member_probabilities(member: Any, X: Expr, n_classes: int) -> Expr:
    """What ``_parallel_predict_proba`` adds for one member: its probabilities in the ensemble's columns, or a
    vote (1 in the column of its label) when it has no ``predict_proba``. Members see class indices ``0..K-1``."""
    if not hasattr(member, "predict_proba"):
        label = convert_estimator(member, X)[0]
        return (label.reshape(-1, 1) == Constant(np.arange(n_classes, dtype=np.int64))).astype(X.dtype)
    proba = convert_estimator(member, X)[1]
    classes = np.asarray(member.classes_).astype(np.int64)
    if len(classes) == n_classes:
        return proba
    spread = np.zeros((len(classes), n_classes))  # a 0/1 matrix: column k of the member to column classes[k]
    spread[np.arange(len(classes)), classes] = 1.0
    return proba @ spread.astype(X.dtype)


def _tree_members(est: Any) -> bool:
    return all_trees(est.estimators_)


def bagging_probabilities(est: Any, X: Expr, missing_values: bool = True) -> Expr:
    """BaggingClassifier's ``predict_proba``: the members' probabilities (or votes) summed, divided by ``n_estimators``.

    Tree members: one tree-ensemble node holding every tree, feature ids mapped
    back to X's columns, each leaf's class fractions in the ensemble's columns.
    """
    members, n_classes = est.estimators_, len(est.classes_)
    n_features = getattr(est, "n_features_in_", None)
    if _tree_members(est):
        values = []
        for member in members:
            classes = np.asarray(member.classes_).astype(np.int64)
            leaf = np.zeros((member.tree_.node_count, n_classes))
            leaf[:, classes] = tree_class_fractions(member.tree_, len(classes))
            values.append(leaf)
        trees = feature_trees(members, est.estimators_features_)
        exact_mean = len(members) == est.n_estimators
        total = tree_ensemble(X, trees, np.concatenate(values), mean=exact_mean, missing_values=missing_values)
        return total if exact_mean else total / float(est.n_estimators)
    parts = [
        _member_probabilities(member, select_columns(X, features, n_features), n_classes)
        for member, features in zip(members, est.estimators_features_, strict=True)
    ]
    return _total(parts) / float(est.n_estimators)


def convert_bagging_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """BaggingClassifier: the mean of the members' probabilities (votes for members without ``predict_proba``), its
    argmax label.

    ``options={'decision_function': True}``: the mean of the members' decision functions instead of the
    probabilities. ``options={'missing_values': False}``: tree members leave out the NaN flags.
    """
    proba = bagging_probabilities(est, X, missing_values=missing_values_option(options))
    label = argmax_label(est, proba)
    if _option(options, "decision_function"):
        n_features = getattr(est, "n_features_in_", None)
        parts = [
            decision_function(member, select_columns(X, features, n_features))
            for member, features in zip(est.estimators_, est.estimators_features_, strict=True)
        ]
        return label, _total(parts) / float(est.n_estimators)
    return label, proba


def convert_bagging_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """BaggingRegressor: the mean of the members' predictions, [N, n_targets] (tree members: one tree-ensemble node).

    ``options={'missing_values': False}``: tree members leave out the NaN flags.
    """
    members = est.estimators_
    if _tree_members(est):
        values = np.concatenate([m.tree_.value[:, :, 0] for m in members])
        trees = feature_trees(members, est.estimators_features_)
        exact_mean = len(members) == est.n_estimators
        total = tree_ensemble(X, trees, values, mean=exact_mean, missing_values=missing_values_option(options))
        return total if exact_mean else total / float(est.n_estimators)
    n_features = getattr(est, "n_features_in_", None)
    parts = [
        as_columns(convert_estimator(member, select_columns(X, features, n_features))[0])
        for member, features in zip(members, est.estimators_features_, strict=True)
    ]
    return _total(parts) / float(est.n_estimators)


# --- Voting ---


def _voting_weights(est: Any) -> np.ndarray | None:
    """The weights of the fitted members (those of dropped estimators left out), None for equal weights."""
    if est.weights is None:
        return None
    kept = [w for (_, member), w in zip(est.estimators, est.weights, strict=True) if not _dropped(member)]
    return np.asarray(kept, dtype=np.float64)


def _weighted_mean(parts: list[Expr], weights: np.ndarray | None) -> Expr:
    """``np.average(parts, axis=0, weights=weights)``: ``sum(w_i p_i) / sum(w)``."""
    if weights is None:
        return _total(parts) / float(len(parts))
    return _total([p * float(w) for p, w in zip(parts, weights, strict=True)]) / float(weights.sum())


_MAX_TABLE_MEMBERS = 16  # hard voting with fractional weights: a table of 2**members subset ranks


def _subset_ranks(weights: np.ndarray) -> np.ndarray:
    """For each subset of members (bit ``i``: member ``i``), the rank of the sum of their weights as ``np.bincount``
    computes it (float64, member after member); equal sums share a rank."""
    n = len(weights)
    subsets = np.arange(2**n, dtype=np.int64)
    sums = np.zeros(2**n)
    for i, w in enumerate(weights):
        sums = sums + np.where((subsets >> i) & 1 == 1, w, 0.0)  # adding 0.0 changes no sum: the order is bincount's
    return np.unique(sums, return_inverse=True)[1].reshape(-1)


def hard_votes(est: Any, labels: list[Expr], dtype: Any) -> tuple[Expr, Expr]:
    """Hard voting over the members' class indices: (the winning index, the weighted votes [N, n_classes]).

    The winner is the first class with the largest weighted count, as
    ``argmax(bincount(labels, weights))``: exact for integer weights (or none);
    for fractional weights (up to 16 members) each class's set of voters is
    looked up in a table of the ranks of scikit-learn's float64 sums, so a tie
    or a near tie goes the same way in float32.
    """
    n, n_classes = len(labels), len(est.classes_)
    weights = _voting_weights(est)
    w = np.ones(n) if weights is None else weights
    stacked = np.stack([label.reshape(-1) for label in labels], axis=1)  # [N, members]
    chosen = stacked.reshape(-1, n, 1) == Constant(np.arange(n_classes, dtype=np.int64))  # [N, members, classes]
    votes = (chosen.astype(dtype) * w.reshape(1, n, 1).astype(dtype)).sum(axis=1)
    integer = bool(np.all(w == np.round(w)) and np.abs(w).sum() < 2**24)
    if integer or n > _MAX_TABLE_MEMBERS:
        return OnnxArgMax(votes, axis=1, keepdims=0), votes
    bits = (2 ** np.arange(n, dtype=np.int64)).reshape(1, n, 1)
    subset = (chosen.astype(np.int64) * bits).sum(axis=1)  # [N, classes]: the members voting for each class
    ranks = Constant(_subset_ranks(w).astype(dtype))[subset]
    return OnnxArgMax(ranks, axis=1, keepdims=0), votes


@takes_columns
def convert_voting_classifier(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """VotingClassifier: soft, the weighted mean of the members' probabilities and its argmax; hard, the class with
    the largest weighted count of the members' labels, and those counts [N, n_classes] as scores.

    ``options={'transform': True}``: the second output is ``transform(X)`` instead: soft, the members' probabilities
    side by side [N, members x classes] (``flatten_transform=False``: stacked, [members, N, classes]); hard, the
    members' class indices [N, members] (int64).
    """
    members = est.estimators_
    if est.voting == "soft":
        probas = [convert_estimator(member, X)[1] for member in members]
        proba = _weighted_mean(probas, _voting_weights(est))
        if _option(options, "transform"):
            return argmax_label(est, proba), np.hstack(probas) if est.flatten_transform else np.stack(probas, axis=0)
        return argmax_label(est, proba), proba
    labels = [convert_estimator(member, X)[0] for member in members]
    index, votes = hard_votes(est, labels, X.dtype)
    label = label_of(est, index)
    if _option(options, "transform"):
        return label, np.stack([lab.reshape(-1) for lab in labels], axis=1)
    return label, votes


@takes_columns
def convert_voting_regressor(est: Any, X: Expr | Columns, options: dict | None = None) -> Expr:
    """VotingRegressor: the weighted mean of the members' predictions, [N, 1].

    ``options={'transform': True}``: the members' predictions side by side, [N, members].
    """
    parts = [as_columns(convert_estimator(member, X)[0]) for member in est.estimators_]
    if _option(options, "transform"):
        return np.hstack(parts)
    return _weighted_mean(parts, _voting_weights(est))


# --- Stacking ---


def stacking_features(est: Any, X: Expr | Columns) -> Expr:
    """Stacking's ``transform``: each member's ``stack_method_`` output as columns (the first probability column
    dropped for two classes), then X with ``passthrough``."""
    binary = hasattr(est, "classes_") and not isinstance(est.classes_, list) and len(est.classes_) == 2
    parts = []
    for member, method in zip(est.estimators_, est.stack_method_, strict=True):
        if _dropped(member):
            continue
        if method == "predict_proba":
            proba = convert_estimator(member, X)[1]
            parts.append(proba[:, 1:] if binary and len(proba.shape) == 2 else as_columns(proba))
        elif method == "decision_function":
            parts.append(as_columns(decision_function(member, X)))
        elif method == "predict":
            parts.append(predictions(member, X))
        else:
            raise OnnxAlgebraError(f"{type(est).__name__}: stack_method {method!r} is not supported.")
    if est.passthrough:
        if isinstance(X, Columns):
            X = X.matrix(est)  # the columns it was fitted on, as numbers: scikit-learn stacks X as it is
        parts.append(X if X.dtype in (np.float32, np.float64) else X.astype(np.float32))
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)


@takes_columns
def convert_stacking_classifier(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """StackingClassifier: the final estimator on the stacked features; its label mapped back to ``classes_``.

    The second output is the final estimator's (probabilities, or its decision
    function when it has no ``predict_proba``). ``options={'decision_function':
    True}``: the final estimator's decision function; ``options={'transform':
    True}``: the stacked features, [N, k].
    """
    if isinstance(est.classes_, list):
        raise OnnxAlgebraError("StackingClassifier fitted on several outputs (multilabel) is not supported.")
    meta = stacking_features(est, X)
    final = est.final_estimator_
    index, second = convert_estimator(final, meta)  # the final estimator predicts class indices 0..K-1
    label = label_of(est, index if index.dtype == np.int64 else index.astype(np.int64))
    if _option(options, "transform"):
        return label, meta
    if _option(options, "decision_function"):
        return label, decision_function(final, meta)
    return label, second


@takes_columns
def convert_stacking_regressor(est: Any, X: Expr | Columns, options: dict | None = None) -> Expr:
    """StackingRegressor: the final estimator on the stacked predictions (``options={'transform': True}``: those)."""
    meta = stacking_features(est, X)
    if _option(options, "transform"):
        return meta
    return as_columns(convert_estimator(est.final_estimator_, meta)[0])


# --- RandomTreesEmbedding ---


def leaf_columns(est: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """RandomTreesEmbedding: for every node of its trees, one after the other, (1 for a leaf the one-hot encoder
    knows, else 0; the column of that leaf; the number of columns).

    ``one_hot_encoder_.categories_[t]`` lists the node ids of tree ``t``'s leaves the training rows reached; the
    columns are those lists side by side. (A leaf no training row reached has no column: scikit-learn's
    ``transform`` would raise for a row reaching it, the model gives it a row of zeros for that tree.)
    """
    encoder = est.one_hot_encoder_
    if getattr(encoder, "drop_idx_", None) is not None or getattr(encoder, "_infrequent_enabled", False):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: expected its one_hot_encoder_ without drop or infrequent categories (as fit makes "
            f"it), got drop={encoder.drop!r}, max_categories={encoder.max_categories!r}, "
            f"min_frequency={encoder.min_frequency!r}."
        )
    categories = encoder.categories_
    if len(categories) != len(est.estimators_):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: expected one_hot_encoder_ to have one category list per tree "
            f"({len(est.estimators_)}), got {len(categories)}."
        )
    known, columns, offset = [], [], 0
    for member, leaves in zip(est.estimators_, categories, strict=True):
        leaves = np.asarray(leaves, dtype=np.float64)
        node = np.arange(member.tree_.node_count, dtype=np.float64)
        position = np.minimum(np.searchsorted(leaves, node), len(leaves) - 1)
        found = (leaves[position] == node) & (member.tree_.children_left == -1)
        known.append(found.astype(np.float64))
        columns.append(np.where(found, offset + position, 0))
        offset += len(leaves)
    return np.concatenate(known), np.concatenate(columns).astype(np.int64), offset


def convert_random_trees_embedding(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """RandomTreesEmbedding: ``transform(X)`` dense, [N, total leaves]: 1 in the column of the leaf each tree sends
    the row to (one tree-ensemble node; see the module). ``options={'missing_values': False}``: X has no NaN (see
    ``trees.tree_ensemble``)."""
    options = check_options(est, options, ("missing_values",))
    values, columns, n_columns = leaf_columns(est)
    trees = [member.tree_ for member in est.estimators_]
    return tree_ensemble(X, trees, values, targets=columns, n_targets=n_columns, missing_values=missing_values_option(options))


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import ensemble

    return {
        convert_adaboost_classifier: [ensemble.AdaBoostClassifier],
        convert_adaboost_regressor: [ensemble.AdaBoostRegressor],
        convert_bagging_classifier: [ensemble.BaggingClassifier],
        convert_bagging_regressor: [ensemble.BaggingRegressor],
        convert_voting_classifier: [ensemble.VotingClassifier],
        convert_voting_regressor: [ensemble.VotingRegressor],
        convert_stacking_classifier: [ensemble.StackingClassifier],
        convert_stacking_regressor: [ensemble.StackingRegressor],
        convert_random_trees_embedding: [ensemble.RandomTreesEmbedding],
    }
