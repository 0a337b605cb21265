"""CalibratedClassifierCV: the mean, over the calibrated classifiers, of calibrated one-vs-rest probabilities.

Each calibrated classifier maps a column of its base estimator's decision
function (its probabilities when it has none) through a calibrator, sigmoid
(Platt) or isotonic (piecewise linear), then normalises the columns.

The graph does it for every classifier at once: one [N, C] matrix holds what
all the calibrators see (C = classifiers x columns; a single Gemm when the
bases are linear models, the sigmoid's ``a`` and ``b`` folded into it), each
calibration runs on all its columns together, and the normalisation and the
mean over the classifiers are matrix products.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Expr,
    OnnxAlgebraError,
    OnnxArrayFeatureExtractor,
    OnnxConcat,
    OnnxExp,
    OnnxGemm,
    OnnxMax,
    OnnxMin,
    OnnxReduceSum,
    OnnxTreeEnsemble,
    OnnxTreeEnsembleRegressor_3,
    OnnxWhere,
    convert_estimator,
)

from ._common import argmax_label


def linear_decision(base: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(coef, intercept)`` ([n_columns, n_features], [n_columns]) when ``base.decision_function`` is scikit-learn's
    linear one, ``X @ coef_.T + intercept_`` (one column for two classes); else None."""
    try:
        from sklearn.linear_model._base import LinearClassifierMixin
    except ImportError:  # pragma: no cover - a future scikit-learn: every base goes through its converter
        return None
    if getattr(type(base), "decision_function", None) is not LinearClassifierMixin.decision_function:
        return None
    coef = getattr(base, "coef_", None)
    if not isinstance(coef, np.ndarray) or coef.ndim != 2:  # e.g. sparsified
        return None
    intercept = np.broadcast_to(np.asarray(base.intercept_, dtype=np.float64), coef.shape[:1])
    return coef.astype(np.float64), intercept


def base_outputs(base: Any, X: Expr) -> tuple[Expr, list[int] | None]:
    """What the calibrators of ``base`` see: an [N, k] output and the columns to keep (None: all).

    The decision function (one column for two classes), else the probabilities
    (the positive class's only, for two classes).
    """
    if hasattr(base, "decision_function"):
        _, scores = convert_estimator(base, X, {"decision_function": True})
        return (scores.reshape(-1, 1) if len(scores.shape) == 1 else scores), None
    _, scores = convert_estimator(base, X)
    return scores, [1] if len(base.classes_) == 2 else None


def kept_columns(outputs: list[tuple[Expr, list[int] | None]]) -> Expr:
    """The kept columns of every output, side by side: one Concat, then one column selection if any."""
    if len(outputs) == 1 and outputs[0][1] is None:
        return outputs[0][0]
    widths = [out.shape[1] if out.shape is not None and isinstance(out.shape[1], int) else None for out, _ in outputs]
    everything = outputs[0][0] if len(outputs) == 1 else OnnxConcat(*(out for out, _ in outputs), axis=1)
    if all(keep is None for _, keep in outputs):
        return everything
    if any(w is None for w in widths):  # unknown widths: one slice each
        return OnnxConcat(*(out if keep is None else out.at[:, keep[0] : keep[0] + 1] for out, keep in outputs), axis=1)
    starts = np.cumsum([0, *widths[:-1]])
    columns = [s + j for s, w, (_, keep) in zip(starts, widths, outputs) for j in (range(w) if keep is None else keep)]
    return OnnxArrayFeatureExtractor(everything, np.array(columns, dtype=np.int64))


def sigmoid_parameters(calibrators: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([float(c.a_) for c in calibrators]), np.array([float(c.b_) for c in calibrators]))


def sigmoid_of(z: Expr) -> Expr:
    """Platt's ``1 / (1 + exp(z))`` with ``z = a t + b`` (onnxruntime's Sigmoid loses the tails)."""
    return 1 / (1 + OnnxExp(z))


def sigmoid_columns(calibrators: list[Any], T: Expr) -> Expr:
    """Column ``j`` of ``T`` ([N, C]) through Platt's sigmoid of ``calibrators[j]``."""
    a, b = sigmoid_parameters(calibrators)
    return sigmoid_of(T * a.astype(T.dtype) + b.astype(T.dtype))


def search_tree(n_segments: int) -> list[tuple[int, int, int]]:
    """A balanced binary search over segments ``0..n_segments-1``: nodes ``(boundary, left, right)``, the root
    first; a split sends ``t`` left when it is below threshold ``boundary`` (the start of segment ``boundary``), a
    leaf is ``(-1, segment, -1)``."""
    nodes: list[tuple[int, int, int]] = []

    def build(lo: int, hi: int) -> int:
        index = len(nodes)
        nodes.append((-1, lo, -1))
        if lo < hi:
            middle = (lo + hi + 1) // 2
            left = build(lo, middle - 1)
            nodes[index] = (middle, left, build(middle, hi))
        return index

    build(0, n_segments - 1)
    return nodes


def _interpolation_tables(calibrators: list[Any]) -> list[tuple[list[tuple[int, int, int]], np.ndarray, np.ndarray]]:
    """Per calibrator: its search tree, its thresholds (segment ``k`` starts at threshold ``k``) and the (slope,
    start, value) of each segment ([n_segments, 3]; a single threshold: one segment, slope 0)."""
    tables = []
    for c in calibrators:
        x = np.asarray(c.X_thresholds_, dtype=np.float64)
        y = np.asarray(c.y_thresholds_, dtype=np.float64)
        n_segments = max(len(x) - 1, 1)
        slope = np.diff(y) / np.diff(x) if len(x) > 1 else np.zeros(1)
        tables.append((search_tree(n_segments), x, np.stack([slope, x[:n_segments], y[:n_segments]], axis=1)))
    return tables


def _tree_ensemble_regressor(T: Expr, tables: list[Any]) -> Expr:
    """float32: one TreeEnsembleRegressor (v3), a tree per column, each leaf feeding its three targets."""
    n_columns = len(tables)
    columns: dict[str, list[Any]] = {k: [] for k in ("tree", "node", "mode", "value", "true", "false")}
    targets: dict[str, list[Any]] = {k: [] for k in ("tree", "node", "id", "weight")}
    for j, (nodes, x, leaves) in enumerate(tables):
        for i, (boundary, left, right) in enumerate(nodes):
            split = boundary >= 0
            columns["tree"].append(j)
            columns["node"].append(i)
            columns["mode"].append("BRANCH_LT" if split else "LEAF")
            columns["value"].append(x[boundary] if split else 0.0)
            columns["true"].append(left if split else 0)
            columns["false"].append(right if split else 0)
            if not split:
                for q in range(3):
                    targets["tree"].append(j)
                    targets["node"].append(i)
                    targets["id"].append(q * n_columns + j)
                    targets["weight"].append(leaves[left, q])
    return OnnxTreeEnsembleRegressor_3(
        T,
        n_targets=3 * n_columns,
        aggregate_function="SUM",
        nodes_treeids=np.array(columns["tree"], dtype=np.int64),
        nodes_nodeids=np.array(columns["node"], dtype=np.int64),
        nodes_featureids=np.array(columns["tree"], dtype=np.int64),
        nodes_modes=columns["mode"],
        nodes_values=np.array(columns["value"], dtype=np.float32),
        nodes_truenodeids=np.array(columns["true"], dtype=np.int64),
        nodes_falsenodeids=np.array(columns["false"], dtype=np.int64),
        target_treeids=np.array(targets["tree"], dtype=np.int64),
        target_nodeids=np.array(targets["node"], dtype=np.int64),
        target_ids=np.array(targets["id"], dtype=np.int64),
        target_weights=np.array(targets["weight"], dtype=np.float32),
    )


def _tree_ensemble(T: Expr, tables: list[Any]) -> Expr:
    """float64: one TreeEnsemble (v5, double thresholds and outputs), a tree per column and target (a leaf feeds
    one target). ``nodes_*`` hold the splits; a one-leaf tree gets one whose branches both reach the leaf."""
    n_columns = len(tables)
    splits: dict[str, list[Any]] = {k: [] for k in ("feature", "value", "true", "true_leaf", "false", "false_leaf")}
    roots, leaf_targets, leaf_weights = [], [], []
    for q in range(3):
        for j, (nodes, x, leaves) in enumerate(tables):
            split_id, leaf_id = {}, {}
            for i, (boundary, _, _) in enumerate(nodes):
                if boundary >= 0:
                    split_id[i] = len(splits["feature"]) + len(split_id)
            for i, (boundary, segment, _) in enumerate(nodes):
                if boundary < 0:
                    leaf_id[i] = len(leaf_targets)
                    leaf_targets.append(q * n_columns + j)
                    leaf_weights.append(leaves[segment, q])
            if not split_id:  # a single leaf: a split both of whose branches reach it
                roots.append(len(splits["feature"]))
                for key, value in (("feature", j), ("value", x[0]), ("true", leaf_id[0]), ("true_leaf", 1)):
                    splits[key].append(value)
                splits["false"].append(leaf_id[0])
                splits["false_leaf"].append(1)
                continue
            roots.append(split_id[0])
            for boundary, left, right in nodes:
                if boundary < 0:
                    continue
                splits["feature"].append(j)
                splits["value"].append(x[boundary])
                for side, child in (("true", left), ("false", right)):
                    leaf = nodes[child][0] < 0
                    splits[side].append(leaf_id[child] if leaf else split_id[child])
                    splits[f"{side}_leaf"].append(int(leaf))
    return OnnxTreeEnsemble(
        T,
        n_targets=3 * n_columns,
        aggregate_function=1,  # SUM
        tree_roots=np.array(roots, dtype=np.int64),
        nodes_featureids=np.array(splits["feature"], dtype=np.int64),
        nodes_splits=np.array(splits["value"], dtype=T.dtype),
        nodes_modes=np.full(len(splits["feature"]), 1, dtype=np.uint8),  # BRANCH_LT
        nodes_truenodeids=np.array(splits["true"], dtype=np.int64),
        nodes_trueleafs=np.array(splits["true_leaf"], dtype=np.int64),
        nodes_falsenodeids=np.array(splits["false"], dtype=np.int64),
        nodes_falseleafs=np.array(splits["false_leaf"], dtype=np.int64),
        leaf_targetids=np.array(leaf_targets, dtype=np.int64),
        leaf_weights=np.array(leaf_weights, dtype=T.dtype),
    )


def isotonic_columns(calibrators: list[Any], T: Expr) -> Expr:
    """Column ``j`` of ``T`` ([N, C]) through ``calibrators[j]``: linear interpolation between its thresholds,
    ``t`` clipped to their range: ``slope * (t - start) + value`` of the segment of ``t``.

    One tree ensemble finds every segment (a binary search per column) and
    gives its slope, start and value: ``[N, 3C]``.
    """
    tables = _interpolation_tables(calibrators)
    low, high = (np.array([x[i] for _, x, _ in tables], dtype=T.dtype) for i in (0, -1))
    T = OnnxMin(OnnxMax(T, low), high)
    found = (_tree_ensemble_regressor if T.dtype == np.float32 else _tree_ensemble)(T, tables)
    slope, start, value = np.split(found, 3, axis=1)
    return slope * (T - start) + value


def isotonic_calibration(calibrator: Any, t: Expr) -> Expr:
    """One calibrator on an [N, 1] column."""
    return isotonic_columns([calibrator], t)


def calibrated_columns(est: Any, X: Expr) -> Expr:
    """Every calibrator's output, [N, classifiers x columns], classifier after classifier."""
    members = est.calibrated_classifiers_
    for calibrated in members:
        if not np.array_equal(calibrated.estimator.classes_, est.classes_):
            raise OnnxAlgebraError("CalibratedClassifierCV: a base estimator fitted on a subset of the classes is not supported.")
        if calibrated.method not in ("sigmoid", "isotonic"):
            raise OnnxAlgebraError(f"CalibratedClassifierCV: method {calibrated.method!r} is not supported.")
    method = members[0].method  # the same for all: CalibratedClassifierCV's
    calibrators = [c for calibrated in members for c in calibrated.calibrators]
    linear = [linear_decision(calibrated.estimator) for calibrated in members]
    matrix = X.dtype in (np.float32, np.float64) and X.shape is not None and len(X.shape) == 2
    if matrix and all(lin is not None and len(lin[1]) == len(c.calibrators) for lin, c in zip(linear, members, strict=True)):
        coef = np.vstack([lin[0] for lin in linear])  # type: ignore[index]
        intercept = np.concatenate([lin[1] for lin in linear])  # type: ignore[index]
        if method == "sigmoid":  # a (x . w + c) + b = x . (a w) + (a c + b): the sigmoid's argument in the Gemm
            a, b = sigmoid_parameters(calibrators)
            coef, intercept = coef * a[:, None], intercept * a + b
        scores = OnnxGemm(X, coef.astype(X.dtype), intercept.astype(X.dtype), transB=1)
        return sigmoid_of(scores) if method == "sigmoid" else isotonic_columns(calibrators, scores)
    T = kept_columns([base_outputs(calibrated.estimator, X) for calibrated in members])
    return sigmoid_columns(calibrators, T) if method == "sigmoid" else isotonic_columns(calibrators, T)


def mean_probabilities(p: Expr, n_members: int, n_classes: int) -> Expr:
    """The mean over the classifiers of their normalised probabilities, from ``p`` [N, classifiers x columns].

    Two classes: ``(1 - mean p, mean p)`` in one Gemm. More: each classifier's
    columns divided by their sum (uniform when it is 0, as scikit-learn), then
    averaged; the sums and the mean are products by constant 0/1 matrices.
    """
    if n_classes == 2:
        weights = np.tile([[-1.0, 1.0]], (n_members, 1)) / n_members
        return OnnxGemm(p, weights.astype(p.dtype), np.array([1.0, 0.0], dtype=p.dtype))
    if n_members == 1:
        total = OnnxReduceSum(p, np.array([1], dtype=np.int64), keepdims=1)
    else:
        blocks = np.kron(np.eye(n_members), np.ones((n_classes, n_classes)))
        total = p @ blocks.astype(p.dtype)  # each column: the sum of its classifier's columns
    proba = OnnxWhere(total == 0, 1.0 / n_classes, p / total)  # 0 / 0 where the sum is 0: not selected
    if n_members == 1:
        return proba
    return proba @ (np.tile(np.eye(n_classes), (n_members, 1)) / n_members).astype(p.dtype)


def convert_calibrated_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """CalibratedClassifierCV: the mean of the calibrated classifiers' probabilities, its argmax label."""
    p = calibrated_columns(est, X)
    proba = mean_probabilities(p, len(est.calibrated_classifiers_), len(est.classes_))
    return argmax_label(est, proba), proba


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import calibration

    return {convert_calibrated_classifier: [calibration.CalibratedClassifierCV]}
