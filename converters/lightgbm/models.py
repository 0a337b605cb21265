"""LightGBM models to one tree-ensemble node, read from the booster's own model dump.

The converters read LightGBM's text model (``Booster.model_to_string()``, what
``save_model`` writes: one line of numbers per field and tree, parsed by numpy
in one pass per field), 10x to 20x faster than its JSON dump
(``dump_model()``, 0.36 s of LightGBM's own time for 300 trees of 63 leaves);
:func:`lightgbm_nodes` reads the JSON dump into the same node table (the tests
check both against LightGBM).

A LightGBM model's raw score is, for each of its ``K`` columns (one for
regression, ranking and two classes, one per class otherwise), the sum of
the leaves ``X`` reaches in the trees of that column (tree ``i`` feeds column
``i % K``); LightGBM folds its initial score (``boost_from_average``) into the
first trees' leaves, so there is no base value. ``average_output`` (random
forest mode) divides by the number of iterations. Both dumps keep the
iterations ``predict`` uses: up to ``best_iteration`` after early stopping.

A split compares the feature as a double: ``x <= threshold`` goes left, as a
node table of ``float32_inputs=False`` (:func:`~onnxalgebra_converters.scikit_learn.trees.tree_nodes`):
a float64 graph compares the double thresholds themselves, a float32 graph
the largest float32 at most each threshold (exactly what LightGBM does with
float32 data). Missing values follow the split's ``missing_type``:

- ``NaN``: NaN goes the default direction (``default_left``);
- ``None`` (no NaN met in training): LightGBM reads NaN as 0, so NaN goes
  where ``0 <= threshold`` sends it;
- ``Zero`` (``zero_as_missing``): NaN and any ``|x| <= 1e-35`` go the default
  direction: those splits read a copy of the column where such values are NaN.

A categorical split (``decision_type '=='``) sends left the categories listed
in its threshold (``'1||4||7'``) and right anything else: other categories,
negative values and NaN. (LightGBM truncates a non-integer value to its
integer part first; the graph compares values as they are, so ``2.5`` goes
where an unknown category goes.)

Outputs, as the scikit-learn API's ``predict``, ``predict_proba`` and
``predict``: ``binary`` (and ``cross_entropy``): ``p = 1 / (1 + exp(-s raw))``,
probabilities ``[1 - p, p]``, label ``classes_[raw > 0]``; ``multiclass``:
the softmax of the raw scores (``multiclassova``: the sigmoid of each), label of
the largest; regression and ranking: the raw score, ``exp(raw)`` for
``poisson``, ``gamma`` and ``tweedie``, ``sign(raw) raw^2`` for ``reg_sqrt``, [N, 1].
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from onnxalgebra import (
    ConversionError,
    Expr,
    OnnxAbs,
    OnnxConcat,
    OnnxExp,
    OnnxWhere,
    takes_columns,
)

from ..scikit_learn._common import argmax_label, binary_columns, expit, label_of
from ..scikit_learn.trees import missing_values_option, split_points, tree_ensemble
from .frame import lightgbm_input

_ZERO_THRESHOLD = 1e-35  # LightGBM's kZeroThreshold: |x| at most this is a zero (zero_as_missing)
_IDENTITY = {
    "regression",
    "regression_l1",
    "huber",
    "fair",
    "quantile",
    "mape",
    "lambdarank",
    "rank_xendcg",
}
_EXP = {"poisson", "gamma", "tweedie"}
_SIGMOID = {"binary", "cross_entropy"}


def lightgbm_nodes(dump: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray, np.ndarray, list[int]]:
    """The trees of a ``dump_model()`` dictionary as a node table, each node's value, the raw column each node's
    tree adds to, and the features whose splits treat zeros as missing (their splits read columns after ``X``'s,
    in that order).

    >>> dump = {"num_tree_per_iteration": 1, "max_feature_idx": 0, "tree_info": [{"tree_structure": {
    ...     "split_feature": 0, "threshold": 0.5, "decision_type": "<=", "default_left": True, "missing_type": "NaN",
    ...     "left_child": {"leaf_value": -1.0}, "right_child": {"leaf_value": 2.0}}}]}
    >>> nodes, values, targets, zero = lightgbm_nodes(dump)
    >>> nodes["left"].tolist(), nodes["right"].tolist(), values.tolist(), zero
    ([1, 1, 2], [2, 1, 2], [0.0, -1.0, 2.0], [])
    """
    n_features = int(dump["max_feature_idx"]) + 1
    n_columns = int(dump["num_tree_per_iteration"])
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    missing_left: list[bool] = []
    value: list[float] = []
    member: list[bool] = []
    member_values: list[float] = []
    starts: list[int] = []
    zero_features: dict[int, int] = {}  # feature -> its zero-as-missing column
    for info in dump["tree_info"]:
        starts.append(len(feature))
        stack: list[tuple[dict[str, Any], int, bool]] = [(info["tree_structure"], -1, False)]
        while stack:
            node, parent, is_right = stack.pop()
            index = len(feature)
            if parent >= 0:
                (right if is_right else left)[parent] = index
            if "leaf_value" in node:
                feature.append(0)
                threshold.append(0.0)
                left.append(index)
                right.append(index)
                missing_left.append(False)
                value.append(float(node["leaf_value"]))
                member.append(False)
                continue
            f = int(node["split_feature"])
            kind = node.get("missing_type", "None")
            if node["decision_type"] == "==":
                categories = [float(c) for c in str(node["threshold"]).split("||")]
                member_values.extend(c for c in categories if c >= 0)
                member_values.append(np.nan)
                member.append(True)
                threshold.append(0.0)
                missing_left.append(False)  # NaN, negative values and any other category go right
            elif node["decision_type"] == "<=":
                t = float(node["threshold"])
                member.append(False)
                threshold.append(t)
                if kind == "None":
                    missing_left.append(0.0 <= t)  # NaN is read as 0
                else:
                    missing_left.append(bool(node["default_left"]))
                    if kind == "Zero":
                        f = n_features + zero_features.setdefault(f, len(zero_features))
            else:
                raise ConversionError(
                    f"LightGBM split {node['decision_type']!r} (tree {info.get('tree_index')}): expected '<=' or '=='; "
                    "this LightGBM version writes splits the converter does not know."
                )
            feature.append(f)
            left.append(-1)
            right.append(-1)
            value.append(float(node.get("internal_value", 0.0)))
            stack.append((node["right_child"], index, True))
            stack.append((node["left_child"], index, False))
    n_nodes = len(feature)
    start = np.asarray(starts, dtype=np.int64)
    sizes = np.diff(np.append(start, n_nodes))
    tree = np.repeat(np.arange(len(starts), dtype=np.int64), sizes)
    left_a = np.asarray(left, dtype=np.int64)
    nodes = {
        "starts": start,
        "tree": tree,
        "local": np.arange(n_nodes, dtype=np.int64) - start[tree],
        "is_leaf": left_a == np.arange(n_nodes),
        "left": left_a,
        "right": np.asarray(right, dtype=np.int64),
        "feature": np.asarray(feature, dtype=np.int64),
        "threshold": np.asarray(threshold, dtype=np.float64),
        "missing_left": np.asarray(missing_left, dtype=bool),
        "float32_inputs": False,
    }
    member_a = np.asarray(member, dtype=bool)
    if member_a.any():
        nodes["member"] = member_a
        nodes["member_values"] = np.asarray(member_values, dtype=np.float64)
    targets = tree % n_columns
    zero = sorted(zero_features, key=zero_features.__getitem__)
    return nodes, np.asarray(value, dtype=np.float64), targets, zero


# The fields of the text model the converters read: one line per tree each (the split_* lines only in trees with
# splits, cat_* only in trees with categorical splits). One regular expression finds them all in one pass.
_TEXT_FIELDS = re.compile(
    r"\n(num_leaves|num_cat|split_feature|threshold|decision_type|left_child|right_child|leaf_value|is_linear|"
    r"cat_boundaries|cat_threshold)=([^\n]*)"
)


def _numbers(lines: list[str], dtype: Any, field: str, count: int | None = None) -> np.ndarray:
    """The space-separated numbers of ``lines`` (one line per tree), one array: numpy parses the joined text in C
    (``np.fromstring``), 2x to 4x faster than making a Python string of each number. ``count``: how many there
    must be."""
    text = " ".join(lines)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # numpy's "could not be read to its end": not a number
        try:
            values = np.fromstring(text, dtype=dtype, sep=" ") if text.strip() else np.zeros(0, dtype=dtype)
        except (DeprecationWarning, ValueError) as error:
            raise ConversionError(
                f"LightGBM text model: the {field} lines hold something other than numbers ({error}); expected the "
                "text Booster.model_to_string() or save_model() writes (LightGBM 3 or 4)."
            ) from None
    if count is not None and len(values) != count:
        raise ConversionError(
            f"LightGBM text model: {len(values)} {field} values where the trees' num_leaves give {count}; expected the "
            "text Booster.model_to_string() or save_model() writes (LightGBM 3 or 4)."
        )
    return values


_SPLIT_FIELDS = ("split_feature", "threshold", "decision_type", "left_child", "right_child")
_FIELD_TYPES = {"threshold": np.float64, "leaf_value": np.float64}


def read_text_model(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header of LightGBM's text model (``key=value`` lines before the trees) and its trees' fields: per field,
    the numbers of every tree one after the other (``num_leaves``, ``leaf_value``, the ``split_*`` fields of the
    trees with splits), or the lines (``num_cat``, ``cat_boundaries``, ``cat_threshold``, ``is_linear``: one per
    tree that writes them). One regular expression finds the fields, numpy parses each in one call.

    >>> header, fields = read_text_model("tree\\nmax_feature_idx=0\\n\\nTree=0\\nnum_leaves=1\\nleaf_value=0.5\\n\\nend of trees")
    >>> header["max_feature_idx"], fields["num_leaves"].tolist(), fields["leaf_value"].tolist()
    ('0', [1], [0.5])
    """
    first = text.find("\nTree=")  # the trees' text is read in place: no copy of tens of megabytes
    first = len(text) if first < 0 else first
    end = text.rfind("\nend of trees", first)
    header: dict[str, Any] = {}
    for line in text[:first].splitlines():
        key, _, value = line.partition("=")
        header[key.strip()] = value.strip() if _ else True
    lines: dict[str, list[str]] = {}
    for key, value in _TEXT_FIELDS.findall(text, first, len(text) if end < 0 else end):
        lines.setdefault(key, []).append(value)
    if "num_leaves" not in lines:
        raise ConversionError("LightGBM text model without trees (no num_leaves line): expected a fitted booster's text.")
    fields: dict[str, Any] = dict(lines)
    n_leaves = fields["num_leaves"] = _numbers(lines["num_leaves"], np.int64, "num_leaves")
    fields["leaf_value"] = _numbers(lines.get("leaf_value", []), np.float64, "leaf_value", int(n_leaves.sum()))
    # Trees of one leaf have no split_* lines (or empty ones): only the others' numbers are read, in the same order.
    n_splits = int(n_leaves.sum()) - len(n_leaves)
    for key in _SPLIT_FIELDS:
        fields[key] = _numbers(lines.get(key, []), _FIELD_TYPES.get(key, np.int64), key, n_splits)
    return header, fields


def _join_fields(parts: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of consecutive chunks of one model's trees (:func:`read_text_model` of each) as one model's."""
    header, fields = parts[0]
    if len(parts) == 1:
        return header, fields
    header = {k: v for k, v in header.items() if k != "tree_sizes"}  # the first chunk's: not the model's
    joined = {}
    for key in {k for _, f in parts for k in f}:
        values = [f.get(key, []) for _, f in parts]
        joined[key] = (
            np.concatenate(values) if isinstance(fields.get(key), np.ndarray) else [v for chunk in values for v in chunk]
        )
    return header, joined


def lightgbm_text_nodes(text: str) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, np.ndarray, list[int]]:
    r""":func:`lightgbm_nodes` from LightGBM's text model (``Booster.model_to_string()``, what ``save_model``
    writes): the header (the keys of ``dump_model()`` the converters read), the node table, each node's value, the
    raw column each node's tree adds to, and the zero-as-missing features (:func:`read_text_model` reads the
    fields: 10x to 20x faster than ``dump_model()`` and its JSON).

    A tree's split nodes come first (LightGBM's numbering, the root first), then its leaves; a child ``-1 - j``
    is the tree's leaf ``j``. ``decision_type`` holds bit 0: categorical, bit 1: default left, bits 2-3: the
    missing type (0 None, 1 Zero, 2 NaN).

    >>> text = "tree\nnum_tree_per_iteration=1\nmax_feature_idx=0\nobjective=regression\n\nTree=0\nnum_leaves=2\n"
    >>> text += "split_feature=0\nthreshold=0.5\ndecision_type=10\nleft_child=-1\nright_child=-2\n"
    >>> text += "leaf_value=-1 2\n\nend of trees\n"
    >>> header, nodes, values, targets, zero = lightgbm_text_nodes(text)
    >>> nodes["left"].tolist(), nodes["right"].tolist(), values.tolist(), bool(nodes["missing_left"][0])
    ([1, 1, 2], [2, 1, 2], [0.0, -1.0, 2.0], True)
    """
    return _text_table(*read_text_model(text))


def _text_table(
    header: dict[str, Any], fields: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, np.ndarray, list[int]]:
    """:func:`lightgbm_text_nodes` of the fields :func:`read_text_model` read."""
    n_leaves = fields["num_leaves"]
    n_trees = len(n_leaves)
    if any(v.strip() == "1" for v in fields.get("is_linear", [])):
        raise ConversionError("LightGBM linear trees (linear_tree=True): their leaves are linear models; no converter.")
    n_splits = n_leaves - 1
    sizes = n_splits + n_leaves
    starts = np.cumsum(sizes) - sizes
    n_nodes = int(sizes.sum())
    tree = np.repeat(np.arange(n_trees, dtype=np.int64), sizes)
    local = np.arange(n_nodes, dtype=np.int64) - starts[tree]
    is_leaf = local >= n_splits[tree]
    split_rows = np.flatnonzero(~is_leaf)  # global node numbers of the splits, tree after tree
    leaf_rows = np.flatnonzero(is_leaf)
    feature = np.zeros(n_nodes, dtype=np.int64)
    threshold = np.zeros(n_nodes, dtype=np.float64)
    decision = np.zeros(n_nodes, dtype=np.int64)
    left = np.arange(n_nodes, dtype=np.int64)
    right = np.arange(n_nodes, dtype=np.int64)
    split_tree = tree[split_rows]
    if len(split_rows):
        feature[split_rows] = fields["split_feature"]
        threshold[split_rows] = fields["threshold"]
        decision[split_rows] = fields["decision_type"]
        first_leaf = starts[split_tree] + n_splits[split_tree]
        for side, out in (("left_child", left), ("right_child", right)):
            child = fields[side]
            out[split_rows] = np.where(child >= 0, starts[split_tree] + child, first_leaf + (-1 - child))
    value = np.zeros(n_nodes, dtype=np.float64)
    value[leaf_rows] = fields["leaf_value"]
    categorical = (decision & 1).astype(bool) & ~is_leaf
    default_left = (decision & 2).astype(bool)
    kind = (decision >> 2) & 3
    missing_left = np.where(kind == 0, threshold >= 0.0, default_left) & ~categorical & ~is_leaf
    n_features = int(header["max_feature_idx"]) + 1
    zero_nodes = (kind == 1) & ~categorical & ~is_leaf
    zero = np.unique(feature[zero_nodes]).tolist()
    feature[zero_nodes] = n_features + np.searchsorted(zero, feature[zero_nodes])
    nodes = {
        "starts": starts,
        "tree": tree,
        "local": local,
        "is_leaf": is_leaf,
        "left": left,
        "right": right,
        "feature": feature,
        "threshold": np.where(categorical, 0.0, threshold),
        "missing_left": missing_left,
        "float32_inputs": False,
    }
    if categorical.any():
        nodes["member"] = categorical
        nodes["member_values"] = _text_member_values(fields, categorical, threshold, tree)
    n_columns = int(header["num_tree_per_iteration"])
    return header, nodes, value, tree % n_columns, zero


def _text_member_values(
    fields: dict[str, list[str]], categorical: np.ndarray, threshold: np.ndarray, tree: np.ndarray
) -> np.ndarray:
    """For each categorical split in node order: the categories going left (bits of ``cat_threshold`` between the
    split's ``cat_boundaries``), then NaN."""
    boundaries = fields.get("cat_boundaries", [])
    words = fields.get("cat_threshold", [])
    with_categories = [i for i, n in enumerate(fields["num_cat"]) if int(n) > 0]  # the trees that write those lines
    row_of = {t: r for r, t in enumerate(with_categories)}
    out: list[float] = []
    for node in np.flatnonzero(categorical):
        t = int(tree[node])
        bounds = np.array(boundaries[row_of[t]].split(), dtype=np.int64)
        bits = np.array(words[row_of[t]].split(), dtype=np.uint32)
        k = int(threshold[node])
        chunk = bits[bounds[k] : bounds[k + 1]]
        codes = np.flatnonzero(np.unpackbits(chunk.astype("<u4").view(np.uint8), bitorder="little"))
        out.extend(codes.astype(np.float64).tolist())
        out.append(np.nan)
    return np.asarray(out, dtype=np.float64)


def _objective(dump: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The objective's name and its parameters: ``'binary sigmoid:1'`` -> ``('binary', {'sigmoid': '1'})``."""
    words = str(dump.get("objective", "regression")).split()
    parameters = dict(w.split(":", 1) if ":" in w else (w, "") for w in words[1:])
    return (words[0] if words else "regression"), parameters


# Trees per save_model call when a model is read in chunks: LightGBM formats chunk k + 1 (in C, without the GIL)
# while numpy parses chunk k.
CHUNK_TREES = 500


def model_text(booster: Any, start_iteration: int = 0, num_iteration: int | None = None) -> str:
    """The booster's text model, as ``model_to_string()`` returns it (``num_iteration=None``: the iterations
    ``predict`` uses, up to ``best_iteration`` after early stopping), written by ``save_model`` into a temporary
    file and read back.

    LightGBM's ``model_to_string`` formats a model larger than 1 MB twice (once into a 1 MB buffer to learn its
    size, then again): ``save_model`` formats it once, half the time of a 5,000-tree model (34 MB of text). Where
    no temporary file can be written, ``model_to_string()``.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="onnxalgebra-lightgbm-") as folder:
            path = os.path.join(folder, "model.txt")
            booster.save_model(path, num_iteration=num_iteration, start_iteration=start_iteration)
            with open(path, "rb") as f:
                return f.read().decode("utf-8")
    except OSError:
        return booster.model_to_string(num_iteration=num_iteration, start_iteration=start_iteration)


def lightgbm_model(booster: Any) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, np.ndarray, list[int]]:
    """The booster's model as :func:`lightgbm_text_nodes` reads it from its text model (:func:`model_text`: the
    iterations ``predict`` uses, up to ``best_iteration`` after early stopping).

    A model of more than ``CHUNK_TREES`` trees is written in chunks of iterations by one thread while this one
    parses the chunks already written (5,000 trees x 63 leaves: LightGBM's 0.3 s of formatting and numpy's 0.25 s
    of parsing overlap).
    """
    best = int(getattr(booster, "best_iteration", 0) or 0)
    n_iterations = best if best > 0 else int(booster.current_iteration())
    per_iteration = max(1, int(booster.num_model_per_iteration()))
    step = max(1, CHUNK_TREES // per_iteration)
    if n_iterations <= step:
        return lightgbm_text_nodes(model_text(booster))
    chunks = [(start, min(step, n_iterations - start)) for start in range(0, n_iterations, step)]
    with ThreadPoolExecutor(max_workers=1) as writer:
        texts = writer.map(lambda chunk: model_text(booster, *chunk), chunks)  # written one after the other
        parts = [read_text_model(text) for text in texts]  # each parsed as soon as it is written
    return _text_table(*_join_fields(parts))


def lightgbm_raw(model: tuple, X: Expr, missing_values: bool = True, softmax: bool = False) -> Expr:
    """The raw scores (``predict(raw_score=True)``), [N, K], of ``model`` (:func:`lightgbm_model`); ``softmax``:
    their softmax."""
    header, nodes, values, targets, zero = model
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    n_columns = int(header["num_tree_per_iteration"])
    if header.get("average_output"):
        n_iterations = max(1, len(nodes["starts"]) // n_columns)
        values = values / n_iterations
    if zero:
        limit = split_points(np.array([_ZERO_THRESHOLD]), X.dtype)[0]
        parts = [X]
        for f in zero:
            column = X[:, f : f + 1]
            parts.append(OnnxWhere(OnnxAbs(column) <= limit, np.array([np.nan], dtype=X.dtype), column))
        X = OnnxConcat(*parts, axis=1)
    return tree_ensemble(X, nodes, values, targets=targets, n_targets=n_columns, missing_values=missing_values, softmax=softmax)


def classifier_outputs(est: Any, model: tuple, X: Expr, missing_values: bool = True) -> tuple[Expr, Expr]:
    """Label and probabilities of a classifier whose model is ``model`` (:func:`lightgbm_model`; ``est`` gives
    ``classes_``)."""
    name, parameters = _objective(model[0])
    scale = float(parameters.get("sigmoid") or 1.0)
    if name in _SIGMOID:
        raw = lightgbm_raw(model, X, missing_values)
        return label_of(est, (raw.reshape(-1) > 0).astype(np.int64)), binary_columns(expit(raw, scale))
    if name == "multiclass":
        proba = lightgbm_raw(model, X, missing_values, softmax=True)
        return argmax_label(est, proba), proba
    if name == "multiclassova":
        proba = expit(lightgbm_raw(model, X, missing_values), scale)
        return argmax_label(est, proba), proba
    raise ConversionError(
        f"{type(est).__name__}(objective={name!r}): expected a binary or multiclass objective (binary, cross_entropy, "
        "multiclass, multiclassova); a custom objective's raw scores have no known link to probabilities."
    )


@takes_columns
def convert_lgbm_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """LGBMClassifier (binary, multiclass, multiclassova, cross_entropy objectives): label, probabilities.

    ``X`` may be a DataFrame's columns, ``category`` ones included (:mod:`.frame`).
    ``options={'missing_values': False}``: X has no NaN (no NaN routing).
    """
    X = lightgbm_input(est, est.booster_, X)
    return classifier_outputs(est, lightgbm_model(est.booster_), X, missing_values_option(options))


def regression_output(raw: Expr, objective: str) -> Expr:
    """A regressor's prediction from its raw score: the objective's inverse link."""
    name, parameters = _objective({"objective": objective})
    if name in _EXP:
        return OnnxExp(raw)
    if name in _IDENTITY or name in _SIGMOID or name == "custom":
        out = expit(raw, float(parameters.get("sigmoid", 1.0) or 1.0)) if name in _SIGMOID else raw
        if "sqrt" in parameters:
            out = out * OnnxAbs(out)  # reg_sqrt: LightGBM squares, keeping the sign
        return out
    raise ConversionError(
        f"LightGBM objective {name!r}: expected a regression or ranking objective "
        f"({', '.join(sorted(_IDENTITY | _EXP))}); a custom objective has no known link."
    )


@takes_columns
def convert_lgbm_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """LGBMRegressor and LGBMRanker (every built-in objective: identity, or exp for poisson, gamma, tweedie), [N, 1].

    ``X`` may be a DataFrame's columns, ``category`` ones included (:mod:`.frame`).
    ``options={'missing_values': False}``: X has no NaN (no NaN routing).
    """
    X = lightgbm_input(est, est.booster_, X)
    model = lightgbm_model(est.booster_)
    raw = lightgbm_raw(model, X, missing_values_option(options))
    return regression_output(raw, str(model[0].get("objective", "regression")))


@takes_columns
def convert_lgbm_booster(booster: Any, X: Expr, options: dict | None = None) -> Expr:
    """A ``lightgbm.Booster``: what its ``predict`` returns, as ``variable`` [N, K] (K = 1 but for multiclass: one
    probability per class; binary: the probability of the positive class).

    ``options={'missing_values': False}``: X has no NaN (no NaN routing).
    """
    X = lightgbm_input(booster, booster, X)
    model = lightgbm_model(booster)
    missing = missing_values_option(options)
    name, parameters = _objective(model[0])
    if name == "multiclass":
        return lightgbm_raw(model, X, missing, softmax=True)
    raw = lightgbm_raw(model, X, missing)
    if name == "multiclassova":
        return expit(raw, float(parameters.get("sigmoid") or 1.0))
    return regression_output(raw, str(model[0].get("objective", "regression")))


def registrations() -> dict[Any, list[str]]:
    """The converters of this module and the full names of the LightGBM classes they serve (nothing imported)."""
    return {
        convert_lgbm_classifier: ["lightgbm.sklearn.LGBMClassifier"],
        convert_lgbm_regressor: ["lightgbm.sklearn.LGBMRegressor", "lightgbm.sklearn.LGBMRanker"],
        convert_lgbm_booster: ["lightgbm.basic.Booster"],
    }
