"""Gradient boosting: GradientBoosting and HistGradientBoosting classifiers and regressors, one tree-ensemble node.

Both sum, for each of the ``K`` columns of the raw prediction (one for
regression and two classes, one per class otherwise), a constant or an
initial estimator's prediction and the values of the leaves ``X`` reaches::

    raw[:, k] = init[k] + sum over iterations i of value(tree[i, k], X)

GradientBoosting: each leaf holds ``learning_rate * value`` (the product
scikit-learn's ``predict_stages`` adds), the trees compare ``float32(x)`` as a
decision tree does (scikit-learn refuses NaN here, so the splits route none:
every node is ``x <= s``, one node in all), and ``init`` is a constant (the default ``DummyClassifier``
priors or ``DummyRegressor``, or ``'zero'``) or any convertible estimator, whose
predictions go through the loss's link: ``logit(p)`` (log loss, two classes),
``logit(p) / 2`` (exponential loss), ``log(p / gmean(p))`` (several classes),
the prediction itself (regression). scikit-learn fits that estimator on
``float32(X)`` and predicts with it in float32 (a linear model's coefficients
are float32): a float64 graph computes it in float64, within float32
precision of scikit-learn (about 1e-7 relative), the rest exactly.

HistGradientBoosting: the leaves hold the shrunk values, ``init`` is
``_baseline_prediction``, the trees compare float64 values (a float32 graph
uses the largest float32 at most each threshold), NaN goes where the fitted
``missing_go_to_left`` sends it, and a categorical split tests membership of
the raw category values (the ``OrdinalEncoder`` scikit-learn puts in front
maps them to the codes of the fitted bitsets): values of neither side,
unknown categories and NaN, go where NaN goes. The converters take a
DataFrame's columns (``takes_columns``): a categorical column of strings
(``categorical_features='from_dtype'`` on a ``category`` column, or named)
becomes its ``OrdinalEncoder`` code through one ``LabelEncoder``, an unknown
string or a missing value (``''``, as ``dataframe_feeds`` feeds it) NaN.

Outputs, as scikit-learn's ``predict``, ``predict_proba`` and ``predict``:

- classifiers, two classes: ``p = expit(raw)`` (``expit(2 raw)``: exponential
  loss), probabilities ``[1 - p, p]``, label ``classes_[raw >= 0]``
  (HistGradientBoosting: ``raw > 0``); several classes: ``softmax(raw)`` and
  the label of the largest raw value;
- regressors: ``raw`` (``exp(raw)`` for HistGradientBoosting's poisson and gamma
  losses), [N, 1].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Columns,
    Constant,
    Expr,
    OnnxAlgebraError,
    OnnxConcat,
    OnnxExp,
    OnnxGather,
    OnnxLabelEncoder,
    OnnxLog,
    OnnxSoftmax,
    convert_estimator,
    takes_columns,
)

from ._common import argmax_label, binary_columns, expit, label_of
from ._compat import gradient_boosting_columns, hist_gradient_boosting_bin_categories
from .trees import labels_in_tree_node, tree_ensemble, tree_ensemble_classifier

_EPS = float(np.finfo(np.float64).eps)  # scikit-learn clips the initial estimator's probabilities to [eps, 1 - eps]


# --- GradientBoosting ---


def _is_constant(init: Any) -> bool:
    """Whether ``init`` predicts the same for every row: 'zero', or a DummyClassifier / DummyRegressor."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if isinstance(init, str):
        return True
    if isinstance(init, DummyClassifier):
        return init.strategy != "stratified"  # random draws: no converter
    return isinstance(init, DummyRegressor)


def _link_constant(est: Any, prediction: np.ndarray) -> np.ndarray:
    """The loss's link of the init estimator's prediction ([1, K] probabilities or [1] values), as scikit-learn."""
    from scipy.special import logit
    from scipy.stats import gmean

    if not _is_classifier(est):
        return prediction.astype(np.float64).reshape(-1)
    if gradient_boosting_columns(est) == 1:
        p = np.clip(prediction[:, 1], _EPS, 1 - _EPS, dtype=np.float64)
        return logit(p) * (0.5 if est.loss == "exponential" else 1.0)
    p = np.clip(prediction, _EPS, 1 - _EPS, dtype=np.float64)
    return np.log(p / gmean(p, axis=1)[:, None]).reshape(-1)


def _link_expression(est: Any, prediction: Expr) -> Expr:
    """:func:`_link_constant` on the init estimator's predictions as an expression, [N, K]."""
    if not _is_classifier(est):
        return prediction.reshape(-1, 1) if len(prediction.shape or (0, 0)) == 1 else prediction
    if gradient_boosting_columns(est) == 1:
        p = np.clip(prediction[:, 1:2], _EPS, 1 - _EPS)
        logit = OnnxLog(p / (1 - p))
        return logit * 0.5 if est.loss == "exponential" else logit
    log_p = OnnxLog(np.clip(prediction, _EPS, 1 - _EPS))
    return log_p - np.mean(log_p, axis=1, keepdims=True)  # log(p / gmean(p))


def _is_classifier(est: Any) -> bool:
    from sklearn.base import is_classifier

    return is_classifier(est)


def _stages(est: Any) -> tuple[list[Any], np.ndarray, np.ndarray, np.ndarray | None]:
    """GradientBoosting's trees (stage after stage: tree (i, k) is number i * K + k), each node's value times the
    learning rate, each node's column ``k``, and the raw value the constant ``init`` gives (None for an estimator)."""
    stages = est.estimators_  # [n_stages, K] decision trees
    n_stages, n_columns = stages.shape
    trees = [e.tree_ for e in stages.ravel()]
    values = np.concatenate([t.value[:, 0, 0] for t in trees]) * est.learning_rate  # predict_stages: scale * value
    targets = np.repeat(np.tile(np.arange(n_columns), n_stages), [t.node_count for t in trees])
    init = est.init_
    if not _is_constant(init):
        return trees, values, targets, None
    if isinstance(init, str):  # 'zero'
        return trees, values, targets, np.zeros(n_columns)
    probe = np.zeros((1, est.n_features_in_), dtype=np.float32)
    base = _link_constant(est, init.predict_proba(probe) if _is_classifier(est) else init.predict(probe))
    return trees, values, targets, base


def gradient_boosting_raw(est: Any, X: Expr, softmax: bool = False) -> Expr:
    """GradientBoosting's raw predictions (``decision_function``; ``predict`` for a regressor), [N, K]; ``softmax``:
    their softmax (the probabilities of several classes)."""
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    # scikit-learn refuses NaN here ("does not accept missing values"): no NaN routing, every split x <= s.
    trees, values, targets, base = _stages(est)
    n_columns = est.estimators_.shape[1]
    if base is not None:
        return tree_ensemble(
            X, trees, values, targets=targets, n_targets=n_columns, base_values=base, missing_values=False, softmax=softmax
        )
    outputs = convert_estimator(est.init_, X)
    start = _link_expression(est, outputs[1] if _is_classifier(est) else outputs[0])
    raw = tree_ensemble(X, trees, values, targets=targets, n_targets=n_columns, missing_values=False) + start
    return OnnxSoftmax(raw, axis=1) if softmax else raw


def convert_gradient_boosting_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """GradientBoostingClassifier (log loss, exponential loss; two or more classes): label, probabilities."""
    if gradient_boosting_columns(est) == 1:
        raw = gradient_boosting_raw(est, X)
        label = label_of(est, (raw.reshape(-1) >= 0).astype(np.int64))
        return label, binary_columns(expit(raw * 2.0 if est.loss == "exponential" else raw))
    if labels_in_tree_node(X, len(est.classes_)) and _is_constant(est.init_):  # one TreeEnsembleClassifier node
        trees, values, targets, base = _stages(est)
        return tree_ensemble_classifier(est, X, trees, values, targets=targets, base_values=base, missing_values=False,
                                        softmax=True)
    proba = gradient_boosting_raw(est, X, softmax=True)
    return argmax_label(est, proba), proba  # softmax keeps the order of the raw values


def convert_gradient_boosting_regressor(est: Any, X: Expr) -> Expr:
    """GradientBoostingRegressor (every loss: the identity link), [N, 1]."""
    return gradient_boosting_raw(est, X)


# --- HistGradientBoosting ---


def _columns_of(est: Any) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Where the trees' features come from: the column of X of each feature the trees see, the categories of each
    categorical one (the values the trees compare, in code order, without NaN) and, for the columns of X whose
    categories are strings, those strings in code order.

    With categorical features, scikit-learn puts a ColumnTransformer in front of
    the trees: the ordinal-encoded categorical columns first, then the others.
    String categories are compared by their code (``0 .. k - 1``): the graph
    maps each string to its code first (:func:`hist_gradient_boosting_input`).
    """
    pre = getattr(est, "_preprocessor", None)
    n_features = est.n_features_in_
    if pre is None:  # no categories, or scikit-learn 1.3's raw integer categories
        return np.arange(n_features), hist_gradient_boosting_bin_categories(est) or {}, {}
    columns = np.zeros(n_features, dtype=np.int64)
    categories: dict[int, np.ndarray] = {}
    strings: dict[int, np.ndarray] = {}
    everything = np.arange(n_features)
    for name, transformer, selection in pre.transformers_:
        block = pre.output_indices_[name]
        if block.stop == block.start:
            continue
        source = everything[selection]
        columns[block] = source
        if hasattr(transformer, "categories_"):
            for i, values in enumerate(transformer.categories_):
                values = np.asarray(values)
                if values.dtype.kind in "OUS":
                    known = np.array([v for v in values if isinstance(v, str)], dtype=object)
                    if len(known) + sum(_is_nan(v) for v in values) != len(values):
                        raise OnnxAlgebraError(
                            f"{type(est).__name__}: the categorical feature {_feature_name(est, source[i])} mixes "
                            f"strings and other values ({values.tolist()}): a graph input holds one type."
                        )
                    strings[int(source[i])] = known
                    categories[block.start + i] = np.arange(len(known), dtype=np.float64)
                    continue
                values = values.astype(np.float64)
                categories[block.start + i] = values[~np.isnan(values)]
    return columns, categories, strings


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _feature_name(est: Any, column: int) -> str:
    names = getattr(est, "feature_names_in_", None)
    return repr(str(names[column])) if names is not None else f"at index {column}"


def hist_gradient_boosting_input(est: Any, X: Expr | Columns) -> Expr:
    """The matrix the trees read, [N, n_features_in_] of the computation dtype.

    A matrix ``X`` is used as it is (cast to float32 when not floats). A
    DataFrame's columns (:class:`~onnxalgebra.Columns`) are taken in
    ``feature_names_in_`` order; a categorical column of strings becomes its
    category's code, as scikit-learn's ``OrdinalEncoder`` numbers them, and an
    unknown string or a missing value (``''``: what ``dataframe_feeds`` makes
    of one) becomes NaN, which the trees send where scikit-learn sends unknown
    and missing categories. (A category that is the empty string itself keeps
    its code.)
    """
    _, _, strings = _columns_of(est)
    if not isinstance(X, Columns):
        if strings:
            column = _feature_name(est, min(strings))
            raise OnnxAlgebraError(
                f"{type(est).__name__} was fitted with string categories (feature {column}); convert it with a "
                "pandas DataFrame sample (to_onnx(est, df)): each string column becomes a string graph input."
            )
        return X if X.dtype in (np.float32, np.float64) else X.astype(np.float32)
    names = X.fitted_names(est)
    dtype = X.dtype
    parts = []
    for i, name in enumerate(names):
        column = X[name]
        if i in strings:
            if not X.is_string(name):
                raise OnnxAlgebraError(
                    f"{type(est).__name__}: column {name!r} was fitted as string categories {strings[i].tolist()} "
                    f"but the DataFrame holds {column.dtype} there."
                )
            parts.append(_string_codes(column, strings[i], dtype))
        elif X.is_string(name):
            raise OnnxAlgebraError(
                f"{type(est).__name__}: column {name!r} holds strings but was fitted as "
                + ("numeric categories" if est.is_categorical_ is not None and est.is_categorical_[i] else "numbers")
                + ": give it the dtype it was fitted with."
            )
        else:
            parts.append(column if column.dtype == dtype else column.astype(dtype))
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)


def _string_codes(column: Expr, categories: np.ndarray, dtype: np.dtype) -> Expr:
    """Each string's code (its position in ``categories``) in ``dtype``; NaN for any other string, [N, 1]."""
    index = OnnxLabelEncoder(
        column,
        keys_strings=[str(c) for c in categories],
        values_int64s=list(range(1, len(categories) + 1)),
        default_int64=0,
    )
    table = np.concatenate([[np.nan], np.arange(len(categories))]).astype(dtype)
    return OnnxGather(Constant(table), index, axis=0)


def hist_gradient_boosting_nodes(est: Any) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The trees of a HistGradientBoosting model as a node table (:func:`~converters.trees.tree_nodes`), the value
    of each node and the raw column each node's tree adds to."""
    predictors = [p for iteration in est._predictors for p in iteration]
    arrays = [p.nodes for p in predictors]
    table = np.concatenate(arrays)
    sizes = np.array([len(a) for a in arrays], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    tree = np.repeat(np.arange(len(arrays)), sizes)
    offsets = starts[tree]
    index = np.arange(len(table))
    is_leaf = table["is_leaf"].astype(bool)
    columns, categories, _ = _columns_of(est)
    feature = table["feature_idx"].astype(np.int64)
    member = table["is_categorical"].astype(bool) & ~is_leaf
    missing_left = table["missing_go_to_left"].astype(bool)
    nodes = {
        "starts": starts,
        "tree": tree,
        "local": index - offsets,
        "is_leaf": is_leaf,
        "left": np.where(is_leaf, index, table["left"].astype(np.int64) + offsets),
        "right": np.where(is_leaf, index, table["right"].astype(np.int64) + offsets),
        "feature": np.where(is_leaf, 0, columns[np.where(is_leaf, 0, feature)]),
        "threshold": table["num_threshold"].astype(np.float64),
        "missing_left": missing_left,
        "float32_inputs": False,
    }
    if member.any():
        nodes["member"] = member
        nodes["member_values"] = _member_values(predictors, table, tree, member, feature, categories)
    n_columns = est.n_trees_per_iteration_
    targets = np.repeat(np.tile(np.arange(n_columns), len(est._predictors)), sizes)
    return nodes, table["value"].astype(np.float64), targets


def _member_values(
    predictors: list[Any],
    table: np.ndarray,
    tree: np.ndarray,
    member: np.ndarray,
    feature: np.ndarray,
    categories: dict[int, np.ndarray],
) -> np.ndarray:
    """For each categorical split in node order: the raw values of the side NaN does not take, then NaN.

    Left goes a value whose code is in the split's bitset, right a known category
    that is not; anything else goes where NaN goes.
    """
    bitsets = [p.raw_left_cat_bitsets for p in predictors]
    first = np.cumsum([len(b) for b in bitsets]) - np.array([len(b) for b in bitsets])
    every = np.concatenate(bitsets).astype("<u4")
    splits = np.flatnonzero(member)
    rows = first[tree[splits]] + table["bitset_idx"][splits].astype(np.int64)
    left = np.unpackbits(every[rows].view(np.uint8), axis=1, bitorder="little").astype(bool)  # [splits, 256]
    features = feature[splits]
    known = np.zeros((len(splits), left.shape[1]), dtype=bool)
    raw = np.full((len(splits), left.shape[1]), np.nan)
    for f in np.unique(features):
        values = categories[int(f)]
        rows_f = features == f
        known[rows_f, : len(values)] = ~np.isnan(values)  # NaN: no category (scikit-learn 1.3's raw values)
        raw[rows_f, : len(values)] = values
    side = np.where(table["missing_go_to_left"][splits].astype(bool)[:, None], known & ~left, known & left)
    counts = side.sum(axis=1)
    out = np.full(int(counts.sum()) + len(splits), np.nan)
    which, code = np.nonzero(side)  # row-major: split after split, values in code order
    begin = np.cumsum(counts + 1) - (counts + 1)
    rank = np.arange(len(which)) - (np.cumsum(counts) - counts)[which]
    out[begin[which] + rank] = raw[which, code]
    return out


def hist_gradient_boosting_raw(est: Any, X: Expr | Columns, softmax: bool = False) -> Expr:
    """HistGradientBoosting's raw predictions, [N, K]: the baseline plus the sum of the trees (``X`` a matrix or a
    DataFrame's columns, see :func:`hist_gradient_boosting_input`); ``softmax``: their softmax."""
    X = hist_gradient_boosting_input(est, X)
    nodes, values, targets = hist_gradient_boosting_nodes(est)
    base = np.asarray(est._baseline_prediction, dtype=np.float64).reshape(-1)
    return tree_ensemble(
        X, nodes, values, targets=targets, n_targets=est.n_trees_per_iteration_, base_values=base, softmax=softmax
    )


@takes_columns
def convert_hist_gradient_boosting_classifier(est: Any, X: Expr | Columns) -> tuple[Expr, Expr]:
    """HistGradientBoostingClassifier (two or more classes; NaN, categorical features): label, probabilities."""
    if est.n_trees_per_iteration_ == 1:
        raw = hist_gradient_boosting_raw(est, X)
        return label_of(est, (raw.reshape(-1) > 0).astype(np.int64)), binary_columns(expit(raw))
    proba = hist_gradient_boosting_raw(est, X, softmax=True)
    return argmax_label(est, proba), proba  # softmax keeps the order of the raw values


@takes_columns
def convert_hist_gradient_boosting_regressor(est: Any, X: Expr | Columns) -> Expr:
    """HistGradientBoostingRegressor (every loss: the identity link, or exp for poisson and gamma), [N, 1]."""
    raw = hist_gradient_boosting_raw(est, X)
    link = type(est._loss.link).__name__
    if link == "IdentityLink":
        return raw
    if link == "LogLink":
        return OnnxExp(raw)
    raise OnnxAlgebraError(f"HistGradientBoostingRegressor(loss={est.loss!r}): its link {link} has no converter.")


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import ensemble

    return {
        convert_gradient_boosting_classifier: [ensemble.GradientBoostingClassifier],
        convert_gradient_boosting_regressor: [ensemble.GradientBoostingRegressor],
        convert_hist_gradient_boosting_classifier: [ensemble.HistGradientBoostingClassifier],
        convert_hist_gradient_boosting_regressor: [ensemble.HistGradientBoostingRegressor],
    }
