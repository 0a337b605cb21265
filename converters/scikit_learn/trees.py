"""Decision trees and forests: one tree-ensemble node sums the values of the leaves ``X`` reaches.

A forest's prediction is the mean over its trees of the value of the leaf each
row reaches: ``tree_ensemble(X, trees, values, mean=True)``. A float32 graph
uses ``TreeEnsembleRegressor`` (ai.onnx.ml v3: a leaf feeds every class or
target, one pass over the trees; the model imports ai.onnx.ml opset 4 at
most), a float64 graph ``TreeEnsemble`` (v5: double outputs, one target per
leaf: a small forest is repeated once per target; a large one is one pass
whose target ``t`` gives the leaf tree ``t`` reaches, then a ``Gather`` of the
leaves' values and a sum over the trees). A classifier's label is the
``ArgMax`` of its probabilities: the leaves hold class fractions (1.0 for a
pure leaf) and the node averages them, so tied votes stay exactly tied
whatever order onnxruntime's threads sum the trees in. (A
``TreeEnsembleClassifier`` saves the ``ArgMax``, but its weights would be
pre-divided by the number of trees, and float32 sums of those in another
order break ties: 121 of 1,423 tied rows mislabelled with two threads.)
One tree of three classes or more in float32 is one ``TreeEnsembleClassifier``
(nothing summed, nothing divided: :func:`tree_ensemble_classifier`), as is a
GradientBoosting classifier's sum of trees.

scikit-learn casts ``X`` to float32 and then compares ``x <= threshold`` with a
float64 threshold. :func:`split_points` gives thresholds in the computation
dtype such that ``x <= split`` takes every ``x`` down the same branch, with no
cast of ``X``: float32 and float64 graphs follow scikit-learn's paths exactly.
(HistGradientBoosting compares float64 values: its float64 thresholds are used
as they are, see :func:`tree_nodes`.)

A missing value (NaN) goes where scikit-learn sends it. onnxruntime compares
NaN as false, so in a large ensemble (the sum over its trees of ``log2`` of
their leaves, a row's node visits in balanced trees, at least
``NEGATED_COLUMNS_FROM_LEVELS``) every node is written with the branch NaN
takes as its false branch, and no per-node flag. Where NaN goes right, the node is ``x <= s`` (true: left);
where it goes left, it is ``-x <= s'`` on a negated copy of the column, ``s'``
the largest value below ``-s`` (true: right, exactly when ``x > s``). One
``Neg`` and one ``Concat`` before the node give the negated columns, and every
node keeps the mode ``BRANCH_LEQ``, onnxruntime's fastest loop. For a tree
fitted without NaN, scikit-learn sends NaN to the larger child, so the false
branch (the one onnxruntime lays out next to its node) is also the likelier
one: a deep forest's batches run 1.3-1.9x faster than with every node
``x <= s``, true to the left, whether NaN-left nodes then carry a
``nodes_missing_value_tracks_true`` flag or not, and than with a mode
``BRANCH_GT`` per NaN-left node (onnxruntime's mixed-mode loop;
``benchmarks/bench_tree_missing.py``). A smaller ensemble fits in the cache,
the layout gains little and copying ``X`` into the negated columns costs more
(a depth-5 tree's batch: 2-3x the time of the flags): it keeps every node
``x <= s``, true to the left, with ``nodes_missing_value_tracks_true`` on the
nodes whose NaN goes left.

A forest of millions of nodes converts in time and memory linear in its
size: node tables in int32 (:func:`node_index_dtype`), no Python loop over
nodes, each attribute list encoded (``AttributeList``: packed varints,
float32 bytes, ``nodes_modes`` from two codes) as soon as it is computed and
the node tables freed before the tree node is built, so that a list lives in
memory once, encoded (``benchmarks/bench_forest_scale.py``: 10^5 to 10^7
nodes, next to skl2onnx).

A categorical split (HistGradientBoosting) tests set membership: left go
the values of one set, right those of another, anything else (NaN, unknown
categories) where NaN goes. For each categorical feature, one
``LabelEncoder`` numbers the values its splits name (0 for any other) and a
``Gather`` of a 0/1 table by that number gives one column per split: 1 when
the value is in the set of the side NaN does not take. The split is then
``column <= 0.5`` (true: the side NaN takes) like any other node.
(onnxruntime's ``BRANCH_MEMBER`` is not used: it accepts integer sets only
and sends 2.5 where it sends 2.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from onnxalgebra import (
    AttributeList,
    Constant,
    Expr,
    OnnxAlgebraError,
    OnnxConcat,
    OnnxGather,
    OnnxLabelEncoder,
    OnnxLabelEncoder_2,
    OnnxSoftmax,
    OnnxTreeEnsemble,
    OnnxTreeEnsembleClassifier_3,
    OnnxTreeEnsembleRegressor_3,
    OnnxTypeError,
    target_opset,
)

from ._common import argmax_label, label_of
from ._compat import tree_class_fractions

_LEQ = 0  # TreeEnsemble's nodes_modes: BRANCH_LEQ
# From this sum over the trees of log2(leaves) on, NaN-left splits read negated columns; below, they carry a flag.
NEGATED_COLUMNS_FROM_LEVELS = 64
# float64: from this many nodes on, a forest whose leaves feed several targets is one pass and a table of leaf values.
LEAF_TABLE_FROM_NODES = 2_000
# float32: from this many (leaf, target) values on, a forest whose leaves feed several targets is one pass and a
# table of leaf values too. TreeEnsembleRegressor's target_* lists take ~9 bytes per value (a float and three
# varints), so 10^8 values make a node of ~0.9 GB, near protobuf's 2 GB limit for the whole model (which lists,
# unlike tensors, cannot leave as external data); the table is one float32 initializer, external data when large.
LEAF_TABLE_FLOAT32_FROM_VALUES = 100_000_000
_FLOAT32_EXACT_ROWS = 1 << 24  # a float32 target holds the row of a leaf exactly up to here
_AVERAGE, _SUM = 0, 1  # TreeEnsemble's aggregate_function


def split_points(threshold: np.ndarray, dtype: Any) -> np.ndarray:
    """Thresholds ``s`` of ``dtype`` with ``x <= s`` exactly when ``float32(x) <= threshold``.

    >>> t = np.array([0.1])
    >>> s = split_points(t, np.float64)[0]
    >>> bool(np.float32(s) <= t[0]), bool(np.float32(np.nextafter(s, 1.0)) <= t[0])
    (True, False)
    """
    threshold = np.asarray(threshold, dtype=np.float64)
    with np.errstate(over="ignore"):  # beyond float32's range: inf, then the largest float32 below
        t32 = threshold.astype(np.float32)
    above = np.flatnonzero(t32 > threshold)
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))  # the largest float32 <= threshold
    if np.dtype(dtype) == np.float32:
        return t32
    # A double x rounds to a float32 <= t32 below the midpoint between t32 and the next
    # float32; at the midpoint itself, rounding half to even picks t32 when t32 is even.
    midpoint = np.nextafter(t32, np.float32(np.inf)).astype(np.float64)
    midpoint += t32
    midpoint /= 2
    odd = np.flatnonzero(t32.view(np.uint32) & 1)
    midpoint[odd] = np.nextafter(midpoint[odd], -np.inf)
    return midpoint


def tree_nodes(trees: Sequence[Any]) -> dict[str, Any]:
    """The nodes of ``trees`` as one table: what :func:`tree_ensemble` encodes.

    ``trees`` are scikit-learn ``Tree`` objects (``est.tree_``) or objects with
    the same arrays (``children_left``, ``children_right``, ``feature``,
    ``threshold``, ``missing_go_to_left``, ``node_count``). The table's nodes
    are numbered one after the other, tree after tree:

    - ``starts`` [n_trees]: each tree's first node (its root); ``tree``, ``local``:
      each node's tree and its number in its tree;
    - ``is_leaf``; ``left``, ``right``: the children (a leaf is its own child);
    - ``feature``, ``threshold``: a split sends ``x`` left when ``x <= threshold``;
    - ``missing_left``: NaN goes left (else right);
    - ``float32_inputs``: True when ``x`` is rounded to float32 before the
      comparison (scikit-learn's trees), False when it is compared as float64
      (HistGradientBoosting);
    - optionally ``member`` (categorical splits) and ``member_values``: for each
      categorical split in node order, the values of the side NaN does not take,
      then a NaN; any other value goes the way NaN goes.

    >>> from sklearn.tree import DecisionTreeRegressor
    >>> tree = DecisionTreeRegressor(max_depth=1).fit([[0.0], [1.0]], [0.0, 1.0]).tree_
    >>> nodes = tree_nodes([tree, tree])
    >>> nodes["starts"].tolist(), nodes["left"].tolist(), nodes["local"].tolist()
    ([0, 3], [1, 1, 2, 4, 4, 5], [0, 1, 2, 0, 1, 2])
    """
    sizes = np.array([t.node_count for t in trees], dtype=np.int64)
    index_type = node_index_dtype(int(sizes.sum()))
    starts = (np.cumsum(sizes) - sizes).astype(index_type)
    tree = np.repeat(np.arange(len(trees), dtype=index_type), sizes)
    offsets = starts[tree]
    index = np.arange(len(tree), dtype=index_type)
    local = index - offsets  # node ids restart at 0 in every tree
    left = np.concatenate([t.children_left for t in trees], dtype=index_type, casting="same_kind")
    right = np.concatenate([t.children_right for t in trees], dtype=index_type, casting="same_kind")
    is_leaf = left < 0
    left += offsets
    right += offsets
    del offsets
    np.copyto(left, index, where=is_leaf)  # a leaf is its own child
    np.copyto(right, index, where=is_leaf)
    del index
    return {
        "starts": starts,
        "tree": tree,
        "local": local,
        "is_leaf": is_leaf,
        "left": left,
        "right": right,
        "feature": np.concatenate([t.feature for t in trees], dtype=index_type, casting="same_kind"),
        "threshold": np.concatenate([t.threshold for t in trees]).astype(np.float64, copy=False),
        "missing_left": np.concatenate([np.asarray(t.missing_go_to_left, dtype=bool) for t in trees]),
        "float32_inputs": True,
    }


def node_index_dtype(n_nodes: int) -> type:
    """The integer dtype of node numbers and feature indices in a forest of ``n_nodes`` nodes: int32 up to 2**31.

    Half the memory of int64 for a forest of millions of nodes; the encoded model is the same.

    >>> node_index_dtype(10**7), node_index_dtype(2**31)
    (<class 'numpy.int32'>, <class 'numpy.int64'>)
    """
    return np.int32 if n_nodes < 2**31 else np.int64


def tree_ensemble(
    X: Expr,
    trees: Sequence[Any] | dict[str, Any],
    values: np.ndarray,
    targets: np.ndarray | None = None,
    n_targets: int | None = None,
    mean: bool = False,
    missing_values: bool = True,
    base_values: np.ndarray | None = None,
    softmax: bool = False,
) -> Expr:
    """``[N, n_targets]``: for each target, the sum (``mean``: the mean) over ``trees`` of the values of the leaves ``X`` reaches.

    ``trees`` are scikit-learn ``Tree`` objects (``est.tree_``), or a node table
    of :func:`tree_nodes`; their nodes are numbered one after the other.
    ``values`` has one row per node: either ``[n_nodes, n_targets]`` (a leaf
    feeds every target), or ``[n_nodes]`` with ``targets`` ``[n_nodes]`` (a leaf
    feeds one target). Only the rows of leaves are read. ``base_values``
    ``[n_targets]`` is added to the sums.

    A float32 ``X`` goes through one ``TreeEnsembleRegressor`` (ai.onnx.ml v3,
    float32 output), whose leaves feed several targets: one pass over the
    trees. A float64 ``X`` goes through ``TreeEnsemble`` (v5, double output),
    whose leaves feed one target each: when a leaf feeds several, a forest of
    ``LEAF_TABLE_FROM_NODES`` nodes or more is one pass giving each tree's leaf,
    then a ``Gather`` of the leaves' values and a sum over the trees; a smaller
    one is repeated once per target.

    A missing value (NaN) goes where scikit-learn sends it: in a large
    ensemble each node's false branch is the one NaN takes, a small one flags
    the nodes whose NaN goes left (see the module's documentation).
    ``missing_values=False`` writes every numerical split ``x <= s``, true to
    the left, without negated columns or flags (NaN then goes right): for data
    known to have no NaN.

    ``softmax=True`` returns the softmax of each row of sums (a classifier's
    probabilities): in float32, the tree node's own ``post_transform``, one node
    less.
    """
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)  # as scikit-learn does
    nodes = trees if isinstance(trees, dict) else tree_nodes(trees)
    n_trees = len(nodes["starts"])
    n_nodes = len(nodes["feature"])
    if targets is None:
        values = np.asarray(values).reshape(n_nodes, -1)
        n_targets = values.shape[1]
    else:
        values = np.asarray(values).reshape(n_nodes)
        targets = np.asarray(targets).reshape(n_nodes)
    n_targets = int(n_targets)
    mean = mean and n_trees > 1
    routes = _routes(nodes, X.dtype, missing_values)
    inputs = _inputs(X, routes)
    # Only these are read from here on: the others (ours when made from trees) are freed, and each attribute is
    # encoded as soon as it is computed (a list of millions of numbers is then held once, encoded).
    nodes = {name: nodes[name] for name in ("starts", "tree", "local", "is_leaf")}
    if X.dtype == np.float32 and targets is None and n_targets > 1 and n_trees > 1:
        n_leaves = int(np.count_nonzero(nodes["is_leaf"]))
        if n_leaves * n_targets >= LEAF_TABLE_FLOAT32_FROM_VALUES and n_leaves <= _FLOAT32_EXACT_ROWS:
            total = _leaf_table_sum(inputs, nodes, routes, values, mean, base_values, np.float32)
            return OnnxSoftmax(total, axis=1) if softmax else total
    if X.dtype == np.float32:
        base = None if base_values is None or mean else base_values
        inside = softmax and (base_values is None or base is not None)  # nothing to add after the node
        lists = _leaf_entries(nodes, values, targets)
        del values, targets
        lists.update(_nodes_v3(nodes, routes))
        del nodes, routes
        total = _tree_ensemble_regressor(inputs, lists, n_targets, mean, base, inside)
        if base_values is not None and base is None:
            total = total + Constant(np.asarray(base_values, X.dtype))
        return OnnxSoftmax(total, axis=1) if softmax and not inside else total
    ml = target_opset("ai.onnx.ml")
    if ml is not None and ml < 5:
        raise OnnxAlgebraError(
            f"a float64 tree model needs ai.onnx.ml opset 5 (TreeEnsemble: double thresholds and outputs; onnxruntime "
            f"1.18 or newer), and target_opset asks for ai.onnx.ml {ml}. Convert it with a float32 sample "
            "(X.astype(np.float32): TreeEnsembleRegressor, ai.onnx.ml 3, onnxruntime 1.10 or newer; scikit-learn's "
            "trees compare float32 values anyway) or allow ai.onnx.ml 5."
        )
    if targets is None and n_targets > 1 and n_trees > 1 and n_nodes >= LEAF_TABLE_FROM_NODES:
        total = _leaf_table_sum(inputs, nodes, routes, values, mean, base_values)
        return OnnxSoftmax(total, axis=1) if softmax else total
    if targets is None:
        # A TreeEnsemble leaf feeds one target: the forest is repeated once per target.
        values = values.T
        targets = np.broadcast_to(np.arange(n_targets)[:, None], values.shape)
    else:
        values, targets = values[None, :], targets[None, :]
    copies = len(values)
    is_leaf = nodes["is_leaf"]
    leaf_weights = values[:, is_leaf].astype(X.dtype).ravel()
    leaf_targetids = AttributeList(targets[:, is_leaf].ravel(), "ints")
    del values, targets, is_leaf
    structure = _structure(nodes, routes, copies=copies)
    del nodes, routes
    total = OnnxTreeEnsemble(
        inputs,
        n_targets=n_targets,
        aggregate_function=_AVERAGE if mean and copies == 1 else _SUM,
        leaf_weights=leaf_weights,
        leaf_targetids=leaf_targetids,
        **structure,
    )
    if mean and copies > 1:
        total = total / float(n_trees)
    if base_values is not None:
        total = total + Constant(np.asarray(base_values, dtype=X.dtype).reshape(1, n_targets))
    return OnnxSoftmax(total, axis=1) if softmax else total


def labels_in_tree_node(X: Expr, n_classes: int) -> bool:
    """Whether :func:`tree_ensemble_classifier` applies: a float32 graph (``TreeEnsembleClassifier`` has float
    scores only) of three classes or more.

    With two classes onnxruntime's ``TreeEnsembleClassifier`` does not take the
    argmax: weights [0.4, 0.6] and [0.6, 0.4] both give label 1, and a tie
    [0.5, 0.5] gives 1 where numpy's argmax gives 0 (measured on 1.17 and the
    newest). With three or more it gives the first largest score, as numpy.
    """
    return X.dtype != np.float64 and n_classes >= 3


def tree_ensemble_classifier(
    est: Any,
    X: Expr,
    trees: Sequence[Any] | dict[str, Any],
    values: np.ndarray,
    targets: np.ndarray | None = None,
    missing_values: bool = True,
    base_values: np.ndarray | None = None,
    softmax: bool = False,
) -> tuple[Expr, Expr]:
    """``(label, scores)`` of one ``TreeEnsembleClassifier``: the scores are the sums over ``trees`` of the leaves'
    values (as :func:`tree_ensemble` with ``n_targets`` the number of classes; ``softmax``: their softmax), the
    label is ``est.classes_`` at the first largest sum, as numpy's argmax (only where
    :func:`labels_in_tree_node` says so: check it first).

    One node instead of a ``TreeEnsembleRegressor`` and an ``ArgMax`` (and a
    ``Gather`` of the classes): a one-row prediction is ~5% faster. A sum (not
    a mean) of trees only: scores summed in another order by onnxruntime's
    threads are the same sums an ``ArgMax`` would read, whereas a mean
    pre-divided in the weights would break ties (see the module's
    documentation).
    """
    if not labels_in_tree_node(X, len(est.classes_)):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: a TreeEnsembleClassifier label needs a float32 graph and three classes or more, "
            f"got {X.dtype} and {len(est.classes_)} classes; use tree_ensemble() and argmax_label()."
        )
    if X.dtype != np.float32:
        X = X.astype(np.float32)  # as scikit-learn does
    nodes = trees if isinstance(trees, dict) else tree_nodes(trees)
    n_nodes, n_classes = len(nodes["feature"]), len(est.classes_)
    values = np.asarray(values).reshape(n_nodes, -1) if targets is None else np.asarray(values).reshape(n_nodes)
    routes = _routes(nodes, X.dtype, missing_values)
    inputs = _inputs(X, routes)
    lists = {
        name.replace("target_", "class_"): value
        for name, value in _leaf_entries(nodes, values, None if targets is None else np.asarray(targets).reshape(n_nodes)).items()
    }
    lists.update(_nodes_v3(nodes, routes))
    classes = np.asarray(est.classes_)
    if classes.dtype.kind in "iu":
        labels: dict[str, Any] = {"classlabels_int64s": classes.astype(np.int64)}
    elif classes.dtype.kind in "OUS" and all(isinstance(c, str) for c in classes.tolist()):
        labels = {"classlabels_strings": classes.astype(str).astype(object)}
    else:  # bool or float classes: positions, then the classes at them
        labels = {"classlabels_int64s": np.arange(n_classes, dtype=np.int64)}
    label, scores = OnnxTreeEnsembleClassifier_3(
        inputs,
        base_values=None if base_values is None else np.asarray(base_values, np.float32).ravel(),
        post_transform="SOFTMAX" if softmax else None,
        **labels,
        **lists,
    )
    if "classlabels_strings" not in labels and classes.dtype.kind not in "iu":
        label = label_of(est, label)
    return label, scores


def _routes(nodes: dict[str, Any], dtype: Any, missing_values: bool) -> dict[str, Any]:
    """How each node is written: feature, split, true and false child; the extra columns its input needs.

    Every node is ``x <= split``, NaN taking the false branch unless
    ``tracks_true`` flags it. The input is ``[indicators, -X[:, negated], X]``: in
    a large ensemble (``NEGATED_COLUMNS_FROM_LEVELS``), a numerical split
    sending NaN left reads its negated column (``-x <= s'``, true: right); in a
    smaller one it reads ``x`` (true: left) with ``tracks_true``. A categorical
    split reads its indicator column (``column <= 0.5``, true: the side NaN
    takes). A node whose true branch no value takes (``x > inf``, an empty set)
    sends both branches to its other child.
    """
    dtype = np.dtype(dtype)
    split = ~nodes["is_leaf"]
    member = nodes.get("member")
    member = np.zeros(len(split), dtype=bool) if member is None else (np.asarray(member, dtype=bool) & split)
    numeric = split & ~member
    missing_left = nodes["missing_left"] & split
    feature = np.maximum(nodes["feature"], 0)
    if nodes.get("float32_inputs", True) or dtype == np.float32:
        points = split_points(nodes["threshold"], dtype)  # float32: the largest float32 <= threshold, for both
    else:
        points = np.array(nodes["threshold"], dtype=np.float64)
    points[~numeric] = 0.5
    none = np.zeros(len(split), dtype=bool)
    nan_left = numeric & missing_left if missing_values else none
    del numeric
    leaves = np.add.reduceat(nodes["is_leaf"], nodes["starts"], dtype=np.int64)  # per tree
    negated_columns = float(np.log2(leaves).sum()) >= NEGATED_COLUMNS_FROM_LEVELS
    negate, tracks_true = (nan_left, none) if negated_columns else (none, nan_left)
    swap = negate | (member & ~missing_left)  # true branch: right
    del missing_left
    true_child = np.where(swap, nodes["right"], nodes["left"])
    false_child = np.where(swap, nodes["left"], nodes["right"])
    del swap
    negated_nodes = np.flatnonzero(negate)
    never = negated_nodes[points[negated_nodes] == np.inf]
    true_child[never] = false_child[never]  # x > inf: never
    indicators: list[tuple[int, np.ndarray, np.ndarray]] = []
    members = np.flatnonzero(member)
    if len(members):
        column, empty, indicators = _indicator_columns(nodes, member, dtype)
        false_child[members[empty]] = true_child[members[empty]]  # an empty set: never
    n_indicators = sum(table.shape[1] for _, _, table in indicators)
    negated = np.unique(feature[negated_nodes])
    negated_column = n_indicators + np.searchsorted(negated, feature[negated_nodes])
    column_of = feature  # the input column each node reads: [indicators, -X[:, negated], X]
    column_of += n_indicators + len(negated)
    column_of[negated_nodes] = negated_column
    if len(members):
        column_of[members] = column
    with np.errstate(over="ignore"):
        points[negated_nodes] = np.nextafter(-points[negated_nodes], dtype.type(-np.inf))
    return {
        "feature": column_of,
        "split": points.astype(dtype, copy=False),
        "true": true_child,
        "false": false_child,
        "tracks_true": tracks_true,
        "negated": negated,
        "indicators": indicators,
    }


def _leaf_table_sum(
    inputs: Expr,
    nodes: dict[str, Any],
    routes: dict[str, Any],
    values: np.ndarray,
    mean: bool,
    base_values: Any,
    dtype: Any = np.float64,
) -> Expr:
    """A large forest whose leaves feed several targets: one pass over the trees gives the row of the leaf each tree
    reaches (target ``t``: tree ``t``, the row as a float, exact), a ``Gather`` of the leaves' values by those rows
    ``[N, n_trees, n_targets]`` and a sum over the trees.

    float64 (``TreeEnsemble``): (the forest repeated once per target costs a pass per target: a 3-class forest of
    100 deep trees, 2.7x skl2onnx's batch latency). float32 (``TreeEnsembleRegressor``, rows exact up to 2^24
    leaves): for a forest of ``LEAF_TABLE_FLOAT32_FROM_VALUES`` leaf values or more, whose ``target_*`` lists
    would near protobuf's 2 GB limit; the table is an initializer, saved as external data when the model is large.
    """
    is_leaf = nodes["is_leaf"]
    n_trees = len(nodes["starts"])
    table = np.asarray(values[is_leaf], dtype=dtype)
    if dtype == np.float64:
        rows = OnnxTreeEnsemble(
            inputs,
            n_targets=n_trees,
            aggregate_function=_SUM,
            leaf_weights=np.arange(len(table), dtype=np.float64),
            leaf_targetids=AttributeList(nodes["tree"][is_leaf], "ints"),
            **_structure(nodes, routes, copies=1),
        )
    else:
        row_of_node = np.zeros(len(is_leaf), dtype=np.float32)
        row_of_node[is_leaf] = np.arange(len(table), dtype=np.float32)
        lists = _leaf_entries(nodes, row_of_node, nodes["tree"])
        del row_of_node
        lists.update(_nodes_v3(nodes, routes))
        rows = _tree_ensemble_regressor(inputs, lists, n_trees, mean=False, base_values=None)
    del values, nodes, routes
    leaves = OnnxGather(Constant(table), rows.astype(np.int64), axis=0)
    total = leaves.sum(axis=1)
    if mean:
        total = total / dtype(n_trees)
    if base_values is not None:
        total = total + Constant(np.asarray(base_values, dtype=dtype).reshape(1, -1))
    return total


def _indicator_columns(
    nodes: dict[str, Any], member: np.ndarray, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, np.ndarray, np.ndarray]]]:
    """The indicator column of each categorical split, which splits have an empty set, and per categorical feature
    ``(feature, keys, table)``: ``table[k]`` holds the indicators of the value ``keys[k - 1]`` (row 0: any other).

    The values are compared as float64 (HistGradientBoosting): in a float32 graph
    a value no float32 equals never matches, and is left out. Splits with the
    same set share their column.
    """
    values = np.asarray(nodes["member_values"], dtype=np.float64)
    ends = np.isnan(values)
    owner = np.cumsum(ends) - ends  # the split each value belongs to, in the order of the categorical splits
    keep = ~ends
    if dtype == np.float32:
        keep &= values.astype(np.float32).astype(np.float64) == values
    owner, values = owner[keep], values[keep]
    splits = np.flatnonzero(member)
    features = np.maximum(nodes["feature"][splits], 0)
    empty = np.bincount(owner, minlength=len(splits)) == 0
    column = np.zeros(len(splits), dtype=np.int64)
    indicators = []
    start = 0
    for f in np.unique(features[~empty]):
        mine = (features == f) & ~empty
        taken = np.isin(owner, np.flatnonzero(mine))
        keys = np.unique(values[taken])
        rows = np.zeros((len(splits), len(keys)), dtype=bool)
        rows[owner[taken], np.searchsorted(keys, values[taken])] = True
        sets, which = np.unique(rows[mine], axis=0, return_inverse=True)
        column[mine] = start + which.ravel()
        table = np.vstack([np.zeros((1, len(sets))), sets.T]).astype(dtype)
        indicators.append((int(f), keys.astype(dtype), table))
        start += len(sets)
    return column, empty, indicators


def _inputs(X: Expr, routes: dict[str, Any]) -> Expr:
    """What the tree node reads: ``X`` after the indicator columns and the negated columns its splits need."""
    parts = []
    for feature, keys, table in routes["indicators"]:
        values = X[:, feature]
        codes = np.arange(1, len(keys) + 1, dtype=np.int64)
        ml = target_opset("ai.onnx.ml")
        if X.dtype == np.float32 and ml is not None and ml < 4:
            number = OnnxLabelEncoder_2(values, keys_floats=keys, values_int64s=codes, default_int64=0)
        else:
            number = OnnxLabelEncoder(values, keys_tensor=keys, values_tensor=codes, default_tensor=np.zeros(1, np.int64))
        parts.append(OnnxGather(Constant(table), number, axis=0))
    negated = routes["negated"]
    if len(negated):
        shape = X.shape
        n_features = shape[1] if shape is not None and len(shape) == 2 and isinstance(shape[1], int) else None
        if n_features is not None and np.array_equal(negated, np.arange(n_features)):
            parts.append(-X)
        else:
            parts.append(-OnnxGather(X, negated.astype(np.int64), axis=1))
    return OnnxConcat(*parts, X, axis=1) if parts else X


def _tree_ensemble_regressor(
    X: Expr,
    lists: dict[str, AttributeList],
    n_targets: int,
    mean: bool,
    base_values: np.ndarray | None,
    softmax: bool = False,
) -> Expr:
    """One ``TreeEnsembleRegressor`` (float32) of the ``nodes_*`` and ``target_*`` ``lists`` (:func:`_nodes_v3`,
    :func:`_leaf_entries`); ``softmax``: the softmax of the sums (``post_transform``)."""
    base = None if base_values is None else np.asarray(base_values, dtype=np.float32).ravel()
    return OnnxTreeEnsembleRegressor_3(
        X,
        n_targets=n_targets,
        aggregate_function="AVERAGE" if mean else "SUM",
        base_values=base,
        post_transform="SOFTMAX" if softmax else None,
        **lists,
    )


def _leaf_entries(nodes: dict[str, Any], values: np.ndarray, targets: np.ndarray | None) -> dict[str, AttributeList]:
    """``target_*``: tree id, node id, target and weight of each nonzero value of each leaf (ai.onnx.ml v3 layout).

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
    return {
        "target_treeids": AttributeList(nodes["tree"][target_nodes], "ints"),
        "target_nodeids": AttributeList(nodes["local"][target_nodes], "ints"),
        "target_ids": AttributeList(target_ids, "ints"),
        "target_weights": AttributeList(weights, "floats"),
    }


def _nodes_v3(nodes: dict[str, Any], routes: dict[str, Any]) -> dict[str, AttributeList]:
    """The ``nodes_*`` attributes of the ai.onnx.ml v3 tree ensembles: every node, leaves included.

    Each list is encoded as soon as it is computed: one array of the forest's size at a time.
    """
    is_leaf = nodes["is_leaf"]
    local = nodes["local"]

    def at_splits(values: np.ndarray, dtype: Any = None) -> np.ndarray:
        values = np.array(values, dtype=dtype)  # a copy
        values[is_leaf] = 0
        return values

    attributes = {
        "nodes_treeids": AttributeList(nodes["tree"], "ints"),
        "nodes_nodeids": AttributeList(local, "ints"),
        "nodes_featureids": AttributeList(at_splits(routes["feature"]), "ints"),
        "nodes_modes": AttributeList.from_codes(["BRANCH_LEQ", "LEAF"], is_leaf.view(np.uint8)),
        "nodes_values": AttributeList(at_splits(routes["split"], np.float32), "floats"),
        "nodes_truenodeids": AttributeList(at_splits(local[routes["true"]]), "ints"),
        "nodes_falsenodeids": AttributeList(at_splits(local[routes["false"]]), "ints"),
    }
    if routes["tracks_true"].any():
        attributes["nodes_missing_value_tracks_true"] = AttributeList(routes["tracks_true"] & ~is_leaf, "ints")
    return attributes


def _structure(nodes: dict[str, Any], routes: dict[str, Any], copies: int) -> dict[str, Any]:
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
    copy = np.arange(copies)[:, None]

    def branch(child: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        child = child[entry]
        to_leaf = is_leaf[child]
        ids = np.where(to_leaf, leaf_id[child] + copy * n_leaves, node_id[child] + copy * n_entries)
        return ids.ravel(), np.tile(to_leaf, copies)

    structure = {}
    for side in ("true", "false"):
        ids, leafs = branch(routes[side])
        structure[f"nodes_{side}nodeids"] = AttributeList(ids, "ints")
        structure[f"nodes_{side}leafs"] = AttributeList(leafs, "ints")
        del ids, leafs
    if routes["tracks_true"].any():
        structure["nodes_missing_value_tracks_true"] = AttributeList(np.tile(routes["tracks_true"][entry], copies), "ints")
    structure["tree_roots"] = AttributeList((node_id[nodes["starts"]] + copy * n_entries).ravel(), "ints")
    structure["nodes_featureids"] = AttributeList(np.tile(routes["feature"][entry], copies), "ints")
    structure["nodes_splits"] = np.tile(routes["split"][entry], copies)
    structure["nodes_modes"] = np.full(n_entries * copies, _LEQ, dtype=np.uint8)
    return dict(sorted(structure.items()))


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


def missing_values_option(options: dict | None) -> bool:
    """``options={'missing_values': False}`` (X has no NaN: no NaN routing) read by every tree-based converter."""
    value = (options or {}).get("missing_values", True)
    if not isinstance(value, (bool, np.bool_)):
        raise OnnxTypeError(f"options={{'missing_values': ...}} takes a bool (False: X has no NaN), got {value!r}.")
    return bool(value)


def convert_tree_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """DecisionTree, ExtraTree, RandomForest, ExtraTrees classifiers: the mean of the leaves' class fractions.

    ``options={'missing_values': False}``: X has no NaN (see :func:`tree_ensemble`).
    """
    _check_single_output(est)
    trees = trees_of(est)
    n_classes = len(est.classes_)
    fractions = np.concatenate([tree_class_fractions(t, n_classes) for t in trees])
    if len(trees) == 1 and labels_in_tree_node(X, n_classes):  # one tree: its leaf's fractions, nothing summed
        return tree_ensemble_classifier(est, X, trees, fractions, missing_values=missing_values_option(options))
    proba = tree_ensemble(X, trees, fractions, mean=True, missing_values=missing_values_option(options))
    return argmax_label(est, proba), proba


def convert_tree_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """DecisionTree, ExtraTree, RandomForest, ExtraTrees regressors: the mean of the leaves' values, [N, n_targets].

    ``options={'missing_values': False}``: X has no NaN (see :func:`tree_ensemble`).
    """
    trees = trees_of(est)
    # Only the leaves' rows are read: the others stay zeros, pages never touched (a forest of many targets holds
    # values for its split nodes too, as many as for its leaves: not copied).
    values = np.zeros((sum(t.node_count for t in trees), est.n_outputs_))
    start = 0
    for t in trees:
        leaves = np.flatnonzero(t.children_left < 0)
        values[start + leaves] = t.value[leaves, :, 0]
        start += t.node_count
    return tree_ensemble(X, trees, values, mean=True, missing_values=missing_values_option(options))


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import ensemble, tree

    return {
        convert_tree_classifier: [
            tree.DecisionTreeClassifier,
            tree.ExtraTreeClassifier,
            ensemble.RandomForestClassifier,
            ensemble.ExtraTreesClassifier,
        ],
        convert_tree_regressor: [
            tree.DecisionTreeRegressor,
            tree.ExtraTreeRegressor,
            ensemble.RandomForestRegressor,
            ensemble.ExtraTreesRegressor,
        ],
    }
