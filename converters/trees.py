"""Decision trees and forests: one tree-ensemble node sums the values of the leaves ``X`` reaches.

A forest's prediction is the mean over its trees of the value of the leaf each
row reaches: ``tree_ensemble(X, trees, values, mean=True)``. A float32 graph
uses ``TreeEnsembleRegressor`` (ai.onnx.ml v3: a leaf feeds every class or
target, one pass over the trees; the model imports ai.onnx.ml opset 4 at
most), a float64 graph ``TreeEnsemble`` (v5: double outputs, one target per
leaf, the trees repeated once per target). A classifier's label is the
``ArgMax`` of its probabilities: the leaves hold class fractions (1.0 for a
pure leaf) and the node averages them, so tied votes stay exactly tied
whatever order onnxruntime's threads sum the trees in. (A
``TreeEnsembleClassifier`` saves the ``ArgMax``, but its weights would be
pre-divided by the number of trees, and float32 sums of those in another
order break ties: 121 of 1,423 tied rows mislabelled with two threads.)

scikit-learn casts ``X`` to float32 and then compares ``x <= threshold`` with a
float64 threshold. :func:`split_points` gives thresholds in the computation
dtype such that ``x <= split`` takes every ``x`` down the same branch, with no
cast of ``X``: float32 and float64 graphs follow scikit-learn's paths exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxTreeEnsemble, OnnxTreeEnsembleRegressor_3, target_opset

from ._common import argmax_label

_LEQ = 0  # TreeEnsemble's nodes_modes: BRANCH_LEQ
_AVERAGE, _SUM = 0, 1  # TreeEnsemble's aggregate_function


def split_points(threshold: np.ndarray, dtype: Any) -> np.ndarray:
    """Thresholds ``s`` of ``dtype`` with ``x <= s`` exactly when ``float32(x) <= threshold``.

    >>> t = np.array([0.1])
    >>> s = split_points(t, np.float64)[0]
    >>> bool(np.float32(s) <= t[0]), bool(np.float32(np.nextafter(s, 1.0)) <= t[0])
    (True, False)
    """
    threshold = np.asarray(threshold, dtype=np.float64)
    t32 = threshold.astype(np.float32)
    t32 = np.where(t32 > threshold, np.nextafter(t32, np.float32(-np.inf)), t32)  # the largest float32 <= threshold
    if np.dtype(dtype) == np.float32:
        return t32
    # A double x rounds to a float32 <= t32 below the midpoint between t32 and the next
    # float32; at the midpoint itself, rounding half to even picks t32 when t32 is even.
    midpoint = (t32.astype(np.float64) + np.nextafter(t32, np.float32(np.inf)).astype(np.float64)) / 2
    even = t32.view(np.uint32) % 2 == 0
    return np.where(even, midpoint, np.nextafter(midpoint, -np.inf))


def tree_ensemble(
    X: Expr,
    trees: Sequence[Any],
    values: np.ndarray,
    targets: np.ndarray | None = None,
    n_targets: int | None = None,
    mean: bool = False,
    missing_values: bool = True,
) -> Expr:
    """``[N, n_targets]``: for each target, the sum (``mean``: the mean) over ``trees`` of the values of the leaves ``X`` reaches.

    ``trees`` are scikit-learn ``Tree`` objects (``est.tree_``); their nodes are
    numbered one after the other. ``values`` has one row per node: either
    ``[n_nodes, n_targets]`` (a leaf feeds every target), or ``[n_nodes]`` with
    ``targets`` ``[n_nodes]`` (a leaf feeds one target). Only the rows of
    leaves are read.

    A float32 ``X`` goes through one ``TreeEnsembleRegressor`` (ai.onnx.ml v3,
    float32 output), whose leaves feed several targets: one pass over the
    trees. A float64 ``X`` goes through ``TreeEnsemble`` (v5, double output),
    whose leaves feed one target each: the trees are repeated once per target.

    A missing value (NaN) goes where scikit-learn sends it (the child that had
    the missing values in training, or else the larger one): a flag on each
    node that sends it left. ``missing_values=False`` leaves the flags out (NaN
    then always goes right): batches of a deep forest run 10-25% faster in
    onnxruntime, for data known to have no NaN.
    """
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)  # as scikit-learn does
    nodes = _concatenate(trees)
    if not missing_values:
        nodes["missing_left"][:] = False
    n_nodes = len(nodes["feature"])
    if targets is None:
        values = np.asarray(values).reshape(n_nodes, -1)
        n_targets = values.shape[1]
    else:
        values = np.asarray(values).reshape(n_nodes)
        targets = np.asarray(targets).reshape(n_nodes)
    mean = mean and len(trees) > 1
    if X.dtype == np.float32:
        return _tree_ensemble_regressor(X, nodes, values, targets, int(n_targets), mean)
    ml = target_opset("ai.onnx.ml")
    if ml is not None and ml < 5:
        raise OnnxAlgebraError(
            f"a float64 tree model needs ai.onnx.ml opset 5 (TreeEnsemble: double thresholds and outputs; onnxruntime "
            f"1.18 or newer), and target_opset asks for ai.onnx.ml {ml}. Convert it with a float32 sample "
            "(X.astype(np.float32): TreeEnsembleRegressor, ai.onnx.ml 3, onnxruntime 1.10 or newer; scikit-learn's "
            "trees compare float32 values anyway) or allow ai.onnx.ml 5."
        )
    if targets is None:
        # A TreeEnsemble leaf feeds one target: the forest is repeated once per target.
        values = values.T
        targets = np.broadcast_to(np.arange(n_targets)[:, None], values.shape)
    else:
        values, targets = values[None, :], targets[None, :]
    copies = len(values)
    total = OnnxTreeEnsemble(
        X,
        n_targets=int(n_targets),
        aggregate_function=_AVERAGE if mean and copies == 1 else _SUM,
        leaf_weights=values[:, nodes["is_leaf"]].astype(X.dtype).ravel(),
        leaf_targetids=targets[:, nodes["is_leaf"]].ravel(),
        **_structure(nodes, copies=copies, dtype=X.dtype),
    )
    return total / float(len(trees)) if mean and copies > 1 else total


def _tree_ensemble_regressor(
    X: Expr, nodes: dict[str, np.ndarray], values: np.ndarray, targets: np.ndarray | None, n_targets: int, mean: bool
) -> Expr:
    """One ``TreeEnsembleRegressor`` (float32): each leaf lists its nonzero (target, weight) pairs."""
    tree_ids, node_ids, target_ids, weights = _leaf_entries(nodes, values, targets)
    return OnnxTreeEnsembleRegressor_3(
        X,
        n_targets=n_targets,
        aggregate_function="AVERAGE" if mean else "SUM",
        target_treeids=tree_ids,
        target_nodeids=node_ids,
        target_ids=target_ids,
        target_weights=weights.astype(np.float32),
        **_nodes_v3(nodes),
    )


def _leaf_entries(
    nodes: dict[str, np.ndarray], values: np.ndarray, targets: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tree id, node id, target and weight of each nonzero value of each leaf (ai.onnx.ml v3 layout).

    A leaf whose values are all zero keeps one entry (weight 0): onnx's reference
    evaluator needs one per leaf.
    """
    leaves = np.flatnonzero(nodes["is_leaf"])
    if targets is None:
        weights = values[leaves]
        keep = weights != 0
        keep[~keep.any(axis=1), 0] = True
        leaf_index, target_ids = np.nonzero(keep)  # row-major: leaf after leaf, targets in order
        weights = weights[leaf_index, target_ids]
        target_nodes = leaves[leaf_index]
    else:
        target_nodes, target_ids, weights = leaves, targets[leaves], values[leaves]
    return nodes["tree"][target_nodes], nodes["local"][target_nodes], target_ids, np.asarray(weights)


def _nodes_v3(nodes: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    """The ``nodes_*`` attributes of the ai.onnx.ml v3 tree ensembles: every node, leaves included."""
    split = ~nodes["is_leaf"]
    local = nodes["local"]
    missing = (nodes["missing_left"] & split).astype(np.int64)
    return {
        "nodes_treeids": nodes["tree"],
        "nodes_nodeids": local,
        "nodes_featureids": np.maximum(nodes["feature"], 0),
        "nodes_modes": np.where(split, b"BRANCH_LEQ", b"LEAF"),
        "nodes_values": np.where(split, split_points(nodes["threshold"], np.float32), np.float32(0)),
        "nodes_truenodeids": np.where(split, local[nodes["left"]], 0),
        "nodes_falsenodeids": np.where(split, local[nodes["right"]], 0),
        "nodes_missing_value_tracks_true": missing if missing.any() else None,  # all zeros: the default
    }


def _concatenate(trees: Sequence[Any]) -> dict[str, np.ndarray]:
    """The nodes of all trees as arrays, children numbered in the concatenation (a leaf is its own child)."""
    sizes = np.array([t.node_count for t in trees])
    starts = np.cumsum(sizes) - sizes
    left = np.concatenate([t.children_left for t in trees])
    right = np.concatenate([t.children_right for t in trees])
    is_leaf = left == -1
    index = np.arange(len(left))
    tree = np.repeat(np.arange(len(trees)), sizes)
    offsets = starts[tree]
    return {
        "starts": starts,
        "tree": tree,
        "local": index - offsets,  # node ids restart at 0 in every tree
        "is_leaf": is_leaf,
        "left": np.where(is_leaf, index, left + offsets),
        "right": np.where(is_leaf, index, right + offsets),
        "feature": np.concatenate([t.feature for t in trees]),
        "threshold": np.concatenate([t.threshold for t in trees]),
        "missing_left": np.concatenate([t.missing_go_to_left for t in trees]).astype(bool),
    }


def _structure(nodes: dict[str, np.ndarray], copies: int, dtype: Any) -> dict[str, Any]:
    """TreeEnsemble's ``nodes_*`` and ``tree_roots``, the trees repeated ``copies`` times.

    ``nodes_*`` hold the split nodes, plus the root of a one-leaf tree whose
    branches both reach that leaf; ``leaf_*`` hold the leaves, in node order.
    """
    is_leaf = nodes["is_leaf"]
    entry = ~is_leaf
    entry[nodes["starts"]] = True
    node_id = np.cumsum(entry) - 1
    leaf_id = np.cumsum(is_leaf) - 1
    n_entries, n_leaves = int(entry.sum()), int(is_leaf.sum())
    missing = nodes["missing_left"][entry].astype(np.int64)
    copy = np.arange(copies)[:, None]

    def branch(child: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        child = child[entry]
        to_leaf = is_leaf[child]
        ids = np.where(to_leaf, leaf_id[child] + copy * n_leaves, node_id[child] + copy * n_entries)
        return ids.ravel(), np.tile(to_leaf.astype(np.int64), copies)

    true_ids, true_leafs = branch(nodes["left"])
    false_ids, false_leafs = branch(nodes["right"])
    return {
        "tree_roots": (node_id[nodes["starts"]] + copy * n_entries).ravel(),
        "nodes_featureids": np.tile(np.maximum(nodes["feature"][entry], 0), copies),
        "nodes_splits": np.tile(split_points(nodes["threshold"][entry], dtype), copies),
        "nodes_modes": np.full(n_entries * copies, _LEQ, dtype=np.uint8),
        "nodes_truenodeids": true_ids,
        "nodes_trueleafs": true_leafs,
        "nodes_falsenodeids": false_ids,
        "nodes_falseleafs": false_leafs,
        "nodes_missing_value_tracks_true": np.tile(missing, copies) if missing.any() else None,  # all zeros: the default
    }


def trees_of(est: Any) -> list[Any]:
    """The ``Tree`` objects of a tree (one) or of a forest (one per estimator)."""
    if hasattr(est, "tree_"):
        return [est.tree_]
    return [e.tree_ for e in est.estimators_]


def _check_single_output(est: Any) -> None:
    if getattr(est, "n_outputs_", 1) != 1:
        raise OnnxAlgebraError(
            f"{type(est).__name__} with {est.n_outputs_} outputs: the classifier output contract has one label "
            "and one probability matrix; fit one classifier per output."
        )


def _missing_values(options: dict | None) -> bool:
    return bool((options or {}).get("missing_values", True))


def convert_tree_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """DecisionTree, RandomForest, ExtraTrees classifiers: the mean of the leaves' class fractions.

    ``options={'missing_values': False}``: X has no NaN (see :func:`tree_ensemble`).
    """
    _check_single_output(est)
    trees = trees_of(est)
    n_classes = len(est.classes_)
    fractions = np.concatenate([t.value[:, 0, :n_classes] for t in trees])
    proba = tree_ensemble(X, trees, fractions, mean=True, missing_values=_missing_values(options))
    return argmax_label(est, proba), proba


def convert_tree_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """DecisionTree, RandomForest, ExtraTrees regressors: the mean of the leaves' values, [N, n_targets].

    ``options={'missing_values': False}``: X has no NaN (see :func:`tree_ensemble`).
    """
    trees = trees_of(est)
    values = np.concatenate([t.value[:, :, 0] for t in trees])
    return tree_ensemble(X, trees, values, mean=True, missing_values=_missing_values(options))


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import ensemble, tree

    return {
        convert_tree_classifier: [tree.DecisionTreeClassifier, ensemble.RandomForestClassifier, ensemble.ExtraTreesClassifier],
        convert_tree_regressor: [tree.DecisionTreeRegressor, ensemble.RandomForestRegressor, ensemble.ExtraTreesRegressor],
    }
