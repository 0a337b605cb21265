"""XGBoost models to one tree-ensemble node, read from the booster's own JSON model (``Booster.save_raw('json')``).

The margin (``predict(output_margin=True)``) of each of the model's ``K``
columns (one for regression, ranking and two classes, one per class
otherwise) is the intercept plus the sum of the leaves ``X`` reaches in that
column's trees (``tree_info``). The intercept is ``base_score`` (a number,
``'5E-1'``, in XGBoost 1.x and 2.x, a vector, ``'[5E-1]'`` or one value per
class, in 3.x) mapped through the objective's link to the margin: ``logit``
for the logistic objectives, ``log`` for poisson, gamma, tweedie and cox,
itself for the others. ``dart`` boosters weigh each tree by its
``weight_drop``. After early stopping, only the iterations up to
``best_iteration`` are kept (what ``predict`` uses).

XGBoost reads ``X`` as float32 and sends ``x`` left when ``float32(x) <
split_condition``: the node table (``float32_inputs=True``) holds the largest
float32 below each condition, so that float32 and float64 graphs take
XGBoost's paths exactly; NaN (and values equal to the estimator's ``missing``)
go the default direction (``default_left``). A categorical split
(``split_type`` 1) sends the categories of its set right, NaN the default
direction, and any other value left (unseen and invalid categories included).
(XGBoost truncates a non-integer category, ``2.5`` is ``2``; the graph compares
values as they are, so ``2.5`` goes left.)

XGBoost sums the leaves in float32: a float64 graph sums them in float64,
within float32 rounding of XGBoost (about 1e-7 relative).

Outputs, as the scikit-learn API's ``predict``, ``predict_proba`` and
``predict``: ``binary:logistic``: ``p = 1 / (1 + exp(-margin))``,
probabilities ``[1 - p, p]``, label ``classes_[p > 0.5]``; ``multi:softprob``
and ``multi:softmax``: the softmax of the margins, label of the largest;
regressors and rankers: the margin through the objective's inverse link, [N, 1].
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from onnxalgebra import ConversionError, Expr, OnnxArgMax, OnnxConcat, OnnxExp, OnnxIsNaN, OnnxWhere, takes_columns

from ..scikit_learn._common import argmax_label, binary_columns, expit, label_of
from ..scikit_learn.trees import missing_values_option, tree_ensemble
from .frame import xgboost_input
from .ubjson import concatenate, read_ubjson

# A categorical split's column holds this where X holds NaN: XGBoost sends a split's set right, NaN its default way
# and any other value left; the node table sends listed values one way and anything else, NaN included, the other.
# (A category of -inf, which XGBoost sends left as an invalid category, would go the way NaN goes.)
_MISSING_CATEGORY = -np.inf
_LOGIT = {"binary:logistic", "reg:logistic", "binary:logitraw"}
_LOG = {"count:poisson", "reg:gamma", "reg:tweedie", "survival:cox"}
_IDENTITY = {
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:pseudohubererror",
    "reg:absoluteerror",
    "reg:quantileerror",
    "reg:linear",
    "multi:softprob",
    "multi:softmax",
    "rank:pairwise",
    "rank:ndcg",
    "rank:map",
    "binary:hinge",
}


def _floats(text: Any) -> np.ndarray:
    """``'5E-1'`` or ``'[5E-1,2E-1]'`` (how XGBoost versions write base_score) as float64 values."""
    return np.array([float(v) for v in str(text).strip("[]").split(",") if v.strip()], dtype=np.float64)


def intercept(learner: dict[str, Any]) -> np.ndarray:
    """The margin each column starts from: ``base_score`` through the objective's link, [K] or [1].

    >>> intercept({"learner_model_param": {"base_score": "5E-1"}, "objective": {"name": "binary:logistic"}})
    array([0.])
    """
    objective = learner["objective"]["name"]
    base = _floats(learner["learner_model_param"]["base_score"])
    if objective in _LOGIT:
        base = base.astype(np.float32).astype(np.float64)  # XGBoost keeps base_score as a float32
        return np.log(base / (1 - base))
    if objective in _LOG:
        return np.log(base.astype(np.float32).astype(np.float64))
    if objective in _IDENTITY:
        return base
    raise ConversionError(
        f"XGBoost objective {objective!r}: expected one of {', '.join(sorted(_LOGIT | _LOG | _IDENTITY))}; "
        "a custom objective's base_score has no known link."
    )


def xgboost_model(booster: Any) -> dict[str, Any]:
    """The ``learner`` of the booster's model as XGBoost saves it, from its binary JSON (``save_raw('ubj')``,
    :func:`read_ubjson`: the arrays of each tree as numpy arrays over the saved bytes): the same values as its
    JSON text (:func:`xgboost_json_model`), without formatting and parsing millions of numbers (a model of 5,000
    trees x 63 leaves: 40 MB of JSON, ~0.7 s for ``json.loads`` alone)."""
    return read_ubjson(bytes(booster.save_raw("ubj")))["learner"]


def xgboost_json_model(booster: Any) -> dict[str, Any]:
    """The ``learner`` of the booster's JSON model (``save_raw('json')``), arrays as lists."""
    return json.loads(bytes(booster.save_raw("json")))["learner"]


def _best_iteration(booster: Any) -> int | None:
    value = booster.attr("best_iteration")
    return None if value is None else int(value)


def xgboost_nodes(
    learner: dict[str, Any], n_iterations: int | None = None
) -> tuple[dict[str, Any], np.ndarray, np.ndarray, int, list[int]]:
    """The trees of the learner's booster (the first ``n_iterations`` iterations) as a node table, each node's value
    (its leaf value times its tree's weight) and the margin column it adds to, the number of columns, and the
    categorical features: their splits read columns after ``X``'s, in that order, where NaN is
    ``_MISSING_CATEGORY``.

    >>> tree = {"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0],
    ...         "split_conditions": [0.5, -1.0, 2.0], "default_left": [1, 0, 0], "split_type": [0, 0, 0],
    ...         "tree_param": {"size_leaf_vector": "1"}}
    >>> learner = {"learner_model_param": {"num_class": "0", "num_target": "1"}, "gradient_booster": {"name": "gbtree",
    ...     "model": {"trees": [tree], "tree_info": [0], "iteration_indptr": [0, 1]}}}
    >>> nodes, values, targets, k, categorical = xgboost_nodes(learner)
    >>> nodes["left"].tolist(), bool(nodes["threshold"][0] < 0.5), values.tolist(), k, categorical
    ([1, 1, 2], True, [0.0, -1.0, 2.0], 1, [])
    """
    booster = learner["gradient_booster"]
    name = booster["name"]
    if name == "dart":
        weights = np.asarray(booster["weight_drop"], dtype=np.float32).astype(np.float64)  # XGBoost holds float32 weights
        model = booster["gbtree"]["model"]
    elif name == "gbtree":
        model = booster["model"]
        weights = None
    else:
        raise ConversionError(f"XGBoost booster {name!r}: expected 'gbtree' or 'dart' (a 'gblinear' model has no trees).")
    trees = model["trees"]
    tree_info = np.asarray(model["tree_info"], dtype=np.int64)
    if n_iterations is not None:
        indptr = model.get("iteration_indptr")
        if indptr is None:  # XGBoost 1.x: num_parallel_tree trees per column and iteration
            k = max(1, int(learner["learner_model_param"].get("num_class", "0")))
            per = int(model["gbtree_model_param"].get("num_parallel_tree", "1")) * k
            keep = n_iterations * per
        else:
            keep = int(indptr[min(n_iterations, len(indptr) - 1)])
        trees, tree_info = trees[:keep], tree_info[:keep]
        weights = None if weights is None else weights[:keep]
    n_columns = max(1, int(learner["learner_model_param"].get("num_class", "0") or 0))
    if int(learner["learner_model_param"].get("num_target", "1") or 1) > 1:
        raise ConversionError("XGBoost model with several targets: the converters take one target (fit one per target).")
    sizes = np.fromiter((len(t["left_children"]) for t in trees), dtype=np.int64, count=len(trees))
    if any(int(t["tree_param"].get("size_leaf_vector", "1") or 1) > 1 for t in trees):
        raise ConversionError("XGBoost multi_output_tree leaves (vectors): fit with multi_strategy='one_output_per_tree'.")
    starts = np.cumsum(sizes) - sizes
    tree = np.repeat(np.arange(len(trees), dtype=np.int64), sizes)
    offsets = starts[tree]
    index = np.arange(int(sizes.sum()), dtype=np.int64)
    left = concatenate([t["left_children"] for t in trees], np.int64)
    right = concatenate([t["right_children"] for t in trees], np.int64)
    is_leaf = left < 0
    condition = concatenate([t["split_conditions"] for t in trees], np.float32)
    split_type = concatenate([t.get("split_type", ()) for t in trees], np.int64)
    if len(split_type) != len(left):  # XGBoost 1.x wrote no split_type: numerical splits
        split_type = np.zeros(len(left), dtype=np.int64)
    threshold = np.nextafter(condition, np.float32(-np.inf)).astype(np.float64)  # float32(x) < c: x <= the float32 below
    nodes = {
        "starts": starts,
        "tree": tree,
        "local": index - offsets,
        "is_leaf": is_leaf,
        "left": np.where(is_leaf, index, left + offsets),
        "right": np.where(is_leaf, index, right + offsets),
        "feature": np.where(is_leaf, 0, concatenate([t["split_indices"] for t in trees], np.int64)),
        "threshold": threshold,
        "missing_left": concatenate([t["default_left"] for t in trees], bool),
        "float32_inputs": True,
    }
    member = (split_type == 1) & ~is_leaf
    categorical: list[int] = []
    if member.any():
        nodes["member"] = member
        nodes["member_values"] = _member_values(trees, nodes, member)
        nodes["missing_left"] = nodes["missing_left"] | member  # NaN is the marker in the split's column
        categorical = np.unique(nodes["feature"][member]).tolist()
        n_features = int(learner["learner_model_param"]["num_feature"])
        nodes["feature"][member] = n_features + np.searchsorted(categorical, nodes["feature"][member])
    values = np.where(is_leaf, condition.astype(np.float64), 0.0)
    if weights is not None:
        values *= weights[tree]
    return nodes, values, tree_info[tree], n_columns, categorical


def _member_values(trees: list[dict[str, Any]], nodes: dict[str, Any], member: np.ndarray) -> np.ndarray:
    """For each categorical split in node order, the values that go right (its set; and the missing-value marker
    when NaN goes right), then NaN: any other value goes left, as in XGBoost."""
    sets: dict[int, list[float]] = {}  # node (global) -> its categories
    start = 0
    for t in trees:
        segments = t.get("categories_segments", [])
        sizes = t.get("categories_sizes", [])
        categories = t.get("categories", [])
        for local, segment, size in zip(t.get("categories_nodes", []), segments, sizes):
            sets[start + int(local)] = [float(c) for c in categories[segment : segment + size]]
        start += len(t["left_children"])
    out: list[float] = []
    for node in np.flatnonzero(member):
        out.extend(sets.get(int(node), []))
        if not nodes["missing_left"][node]:
            out.append(_MISSING_CATEGORY)
        out.append(np.nan)
    return np.asarray(out, dtype=np.float64)


def xgboost_margin(
    booster: Any,
    X: Expr,
    missing: Any = np.nan,
    missing_values: bool = True,
    softmax: bool = False,
    learner: dict[str, Any] | None = None,
) -> tuple[Expr, str]:
    """The margins of an XGBoost ``Booster`` (``predict(output_margin=True)``), [N, K], and its objective's name;
    ``softmax``: their softmax. Values equal to ``missing`` (NaN by default) are missing values. ``learner``: the
    booster's JSON model when already read (:func:`xgboost_model`)."""
    learner = xgboost_model(booster) if learner is None else learner
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    if missing is not None and not (isinstance(missing, float) and np.isnan(missing)):
        X = OnnxWhere(X == np.asarray(missing, dtype=X.dtype), np.array([np.nan], dtype=X.dtype), X)
    best = _best_iteration(booster)
    nodes, values, targets, n_columns, categorical = xgboost_nodes(learner, None if best is None else best + 1)
    if categorical:
        marker = np.array([_MISSING_CATEGORY], dtype=X.dtype)
        columns = [OnnxWhere(OnnxIsNaN(X[:, f : f + 1]), marker, X[:, f : f + 1]) for f in categorical]
        X = OnnxConcat(X, *columns, axis=1)
    base = intercept(learner)
    base = np.broadcast_to(base, (n_columns,)) if base.size in (1, n_columns) else base[:n_columns]
    margin = tree_ensemble(
        X,
        nodes,
        values,
        targets=targets,
        n_targets=n_columns,
        base_values=base,
        missing_values=missing_values,
        softmax=softmax,
    )
    return margin, learner["objective"]["name"]


def _missing(est: Any) -> Any:
    value = getattr(est, "missing", np.nan)
    return np.nan if value is None else float(value)


@takes_columns
def convert_xgb_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """XGBClassifier and XGBRFClassifier (binary:logistic, multi:softprob, multi:softmax): label, probabilities.

    ``X`` may be a DataFrame's columns, ``category`` ones included (:mod:`.frame`).
    ``options={'missing_values': False}``: X has no NaN (no NaN routing).
    """
    booster = est.get_booster()
    learner = xgboost_model(booster)
    X = xgboost_input(est, learner, X)
    objective = str(est.objective if isinstance(est.objective, str) else "")
    missing = missing_values_option(options)
    if objective.startswith("multi:") or int(getattr(est, "n_classes_", 2)) > 2:
        proba, _ = xgboost_margin(booster, X, _missing(est), missing, softmax=True, learner=learner)
        return argmax_label(est, proba), proba
    margin, name = xgboost_margin(booster, X, _missing(est), missing, learner=learner)
    if name not in ("binary:logistic", "reg:logistic"):
        raise ConversionError(
            f"{type(est).__name__}(objective={name!r}): expected binary:logistic, multi:softprob or multi:softmax "
            "(the objectives whose predict_proba are probabilities)."
        )
    p = expit(margin)
    return label_of(est, (p.reshape(-1) > 0.5).astype(np.int64)), binary_columns(p)


@takes_columns
def convert_xgb_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """XGBRegressor, XGBRFRegressor and XGBRanker: the margin through the objective's inverse link, [N, 1].

    ``options={'missing_values': False}``: X has no NaN (no NaN routing).
    """
    booster = est.get_booster()
    learner = xgboost_model(booster)
    X = xgboost_input(est, learner, X)
    margin, name = xgboost_margin(booster, X, _missing(est), missing_values_option(options), learner=learner)
    if name in ("reg:logistic", "binary:logistic"):
        return expit(margin)
    if name in _LOG:
        return OnnxExp(margin)
    return margin


@takes_columns
def convert_xgb_booster(booster: Any, X: Expr, options: dict | None = None) -> Expr:
    """An ``xgboost.Booster``: what its ``predict`` returns, as ``variable`` [N, K] (K = 1 but for multi:softprob:
    one probability per class; multi:softmax: the class index as a float; binary:hinge: 0 or 1).

    ``options={'missing_values': False}``: X has no NaN (no NaN routing).
    """
    missing = missing_values_option(options)
    learner = xgboost_model(booster)
    X = xgboost_input(booster, learner, X)
    objective = learner["objective"]["name"]
    if objective == "multi:softprob":
        return xgboost_margin(booster, X, np.nan, missing, softmax=True, learner=learner)[0]
    margin, _ = xgboost_margin(booster, X, np.nan, missing, learner=learner)
    if objective == "multi:softmax":
        return OnnxArgMax(margin, axis=1, keepdims=1).astype(margin.dtype)
    if objective == "binary:hinge":
        return (margin > 0).astype(margin.dtype)
    if objective in ("reg:logistic", "binary:logistic"):
        return expit(margin)
    if objective in _LOG:
        return OnnxExp(margin)
    return margin


def registrations() -> dict[Any, list[str]]:
    """The converters of this module and the full names of the XGBoost classes they serve (nothing imported)."""
    return {
        convert_xgb_classifier: ["xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRFClassifier"],
        convert_xgb_booster: ["xgboost.core.Booster"],
        convert_xgb_regressor: ["xgboost.sklearn.XGBRegressor", "xgboost.sklearn.XGBRFRegressor", "xgboost.sklearn.XGBRanker"],
    }
