"""Trees, forests and AdaBoost against scikit-learn on held-out data, in float32 and float64.

Also: paths at and next to every threshold, missing values, one-leaf trees,
one pass over the trees in float32 (one TreeEnsembleRegressor, not the forest
once per class), ties summed by several threads next to other ai.onnx.ml operators, the two encodings of
NaN routing (flags in small ensembles, negated columns in large ones), and the output types of ai.onnx.ml
operators (``onnxalgebra._ml_shapes``).
"""

from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import TOLERANCE, float_types, needs_sklearn
from converter_checks import session as checked_session
from onnx import TensorProto
from onnx.reference import ReferenceEvaluator
from onnxalgebra_converters.scikit_learn import trees as trees_module
from onnxalgebra_converters.scikit_learn.trees import split_points
from onnxruntime import SessionOptions
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import onnxalgebra
from onnxalgebra import CompileError, Var, convert_estimator, to_onnx


def session(model, options=None):
    """An onnxruntime session; a skip when the installed onnxruntime is too old for the model (converter_checks)."""
    return checked_session(model, options)


def expected_outputs(est, X):
    if hasattr(est, "predict_proba"):
        return [est.predict(X), est.predict_proba(X)]
    value = est.predict(X)
    return [value.reshape(len(X), -1)]  # [N, 1] or [N, n_targets]


def compare(est, got, expected, dtype):
    """Labels equal (same dtype family), floats within the tolerance relative to the output's scale."""
    diff = 0.0
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        if e.dtype.kind in "OUSiub":  # a label
            assert (g.dtype.kind in "iu") == (e.dtype.kind in "iu"), (g.dtype, e.dtype)
            np.testing.assert_array_equal(g.astype(e.dtype), e)
            continue
        assert g.dtype == dtype
        d = float(np.abs(g - e).max() / max(np.abs(e).max(), np.finfo(dtype).tiny))
        assert d <= TOLERANCE[dtype], d
        diff = max(diff, d)
    return diff


def check(est, X, dtype, reference_rows=0):
    """Convert for ``dtype``; check the model; compare onnxruntime (and the reference evaluator) with scikit-learn."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1])
    onnx.checker.check_model(model, full_check=True)
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}, "a hidden cast"
    assert sum(n.op_type.startswith("TreeEnsemble") for n in model.graph.node) <= 1
    expected = expected_outputs(est, X)
    diff = compare(est, session(model).run(None, {"X": X}), expected, dtype)
    if reference_rows:
        rows = X[:reference_rows]
        compare(est, ReferenceEvaluator(model).run(None, {"X": rows}), expected_outputs(est, rows), dtype)
    print(type(est).__name__, np.dtype(dtype).name, f"{diff:.2e}")
    return model


# --- data: fit on one half, check on the other ---


def _split(X, y):
    return train_test_split(X, y, test_size=0.5, random_state=0)


@cache
def classification(kind):
    """(X_train, X_test, y_train, y_test) for 'binary' or 'multiclass', int or str labels."""
    problem, labels = kind.split("-")
    if problem == "binary":
        X, y = load_breast_cancer(return_X_y=True)
        names = np.array(["benign", "malignant"])
    else:
        X, y = load_iris(return_X_y=True)
        names = np.array(["setosa", "versicolor", "virginica"])
    if labels == "str":
        y = names[y]
    elif labels == "int":
        y = y * 3 + 1  # labels that are not positions
    return _split(X, y)


@cache
def regression(targets):
    X, y = load_diabetes(return_X_y=True)
    if targets == 2:
        y = np.column_stack([y, np.sqrt(y) * X[:, 2]])
    return _split(X, y)


CLASSIFIERS = {
    "DecisionTree": lambda: DecisionTreeClassifier(max_depth=6, random_state=0),
    "RandomForest": lambda: RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0),
    "ExtraTrees": lambda: ExtraTreesClassifier(n_estimators=15, min_samples_leaf=3, random_state=0),
    "AdaBoost": lambda: AdaBoostClassifier(n_estimators=20, random_state=0),
    "AdaBoostDepth3": lambda: AdaBoostClassifier(DecisionTreeClassifier(max_depth=3), n_estimators=10, random_state=0),
}
REGRESSORS = {
    "DecisionTree": lambda: DecisionTreeRegressor(max_depth=8, random_state=0),
    "RandomForest": lambda: RandomForestRegressor(n_estimators=15, max_depth=6, random_state=0),
    "ExtraTrees": lambda: ExtraTreesRegressor(n_estimators=15, min_samples_leaf=2, random_state=0),
    "AdaBoost": lambda: AdaBoostRegressor(n_estimators=20, random_state=0),
}
DTYPES = [np.float32, np.float64]
V3_NODES = ("TreeEnsembleRegressor", "TreeEnsembleClassifier")  # ai.onnx.ml v3: nodes_* lists


@cache
def fitted(factory_name, kind):
    factory = CLASSIFIERS[factory_name] if kind in CLASSIFIERS_KINDS else REGRESSORS[factory_name]
    data = classification(kind) if kind in CLASSIFIERS_KINDS else regression(int(kind))
    return factory().fit(data[0], data[2]), data[1]


CLASSIFIERS_KINDS = ["binary-int", "binary-str", "multiclass-int", "multiclass-str"]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", CLASSIFIERS_KINDS)
@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_matches_sklearn(name, kind, dtype):
    est, X_test = fitted(name, kind)
    model = check(est, X_test, dtype, reference_rows=8 if name != "ExtraTrees" else 0)
    label_type = model.graph.output[0].type.tensor_type.elem_type
    assert label_type == (TensorProto.STRING if kind.endswith("str") else TensorProto.INT64)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("targets", ["1", "2"])
@pytest.mark.parametrize("name", list(REGRESSORS))
def test_regressor_matches_sklearn(name, targets, dtype):
    if name == "AdaBoost" and targets == "2":
        pytest.skip("AdaBoostRegressor takes one target")
    est, X_test = fitted(name, targets)
    model = check(est, X_test, dtype, reference_rows=8 if name != "ExtraTrees" else 0)
    assert [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim][1] == int(targets)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_adaboost_over_other_estimators(dtype):
    X_train, X_test, y_train, _ = classification("multiclass-str")
    clf = AdaBoostClassifier(LogisticRegression(max_iter=1000), n_estimators=4, random_state=0).fit(X_train, y_train)
    check(clf, X_test, dtype)
    X_train, X_test, y_train, _ = regression(1)
    reg = AdaBoostRegressor(LinearRegression(), n_estimators=5, random_state=0).fit(X_train, y_train)
    check(reg, X_test, dtype)


# --- thresholds: scikit-learn compares float32(x) <= threshold (a float64) ---


def _rows_around_thresholds(est, X, dtype):
    """For every split: rows equal to X's median but for the split feature, set at and next to the threshold."""
    trees = [est.tree_] if hasattr(est, "tree_") else [e.tree_ for e in est.estimators_]
    features = np.concatenate([t.feature[t.children_left != -1] for t in trees])
    thresholds = np.concatenate([t.threshold[t.children_left != -1] for t in trees])
    t32 = split_points(thresholds, np.float32)
    if dtype == np.float32:
        candidates = [t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf)), thresholds]
    else:
        split = split_points(thresholds, np.float64)
        up = np.nextafter(t32, np.float32(np.inf)).astype(np.float64)
        midpoint = (t32.astype(np.float64) + up) / 2
        candidates = [
            thresholds, np.nextafter(thresholds, np.inf), np.nextafter(thresholds, -np.inf),
            split, np.nextafter(split, np.inf), np.nextafter(split, -np.inf),
            midpoint, np.nextafter(midpoint, np.inf), np.nextafter(midpoint, -np.inf),
            t32.astype(np.float64), up,
        ]  # fmt: skip
    values = np.concatenate(candidates).astype(dtype)
    rows = np.repeat(np.median(X, axis=0, keepdims=True), len(values), axis=0).astype(dtype)
    rows[np.arange(len(values)), np.tile(features, len(candidates))] = values
    return rows, values, np.tile(thresholds, len(candidates))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    "est",
    [
        DecisionTreeClassifier(random_state=0),
        RandomForestClassifier(n_estimators=5, random_state=0),
        DecisionTreeRegressor(random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_rows_at_and_next_to_thresholds_follow_sklearn(est, dtype):
    X, y = load_iris(return_X_y=True)
    X = X + np.random.default_rng(0).normal(scale=1e-3, size=X.shape)  # thresholds between close values
    if isinstance(est, DecisionTreeRegressor):
        y = X[:, 0] * y
    est.fit(X, y)
    rows, values, thresholds = _rows_around_thresholds(est, X, dtype)
    # the rows do test the boundary: thresholds merely rounded to dtype would send some of them the wrong way
    assert ((values.astype(np.float32) <= thresholds) != (values <= thresholds.astype(dtype))).any()
    got = session(to_onnx(est, rows[:1])).run(None, {"X": rows})
    expected = expected_outputs(est, rows)
    for g, e in zip(got, expected, strict=True):
        if e.dtype.kind == "f":
            np.testing.assert_allclose(g, e, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
        else:
            np.testing.assert_array_equal(g, e)


def test_split_points_reproduce_the_float32_cast():
    rng = np.random.default_rng(0)
    t = np.concatenate([rng.normal(size=2000), rng.normal(size=500) * 1e-40, [0.0, -0.0, 1.5, -1.5, 2.0**-149]])
    s32, s64 = split_points(t, np.float32), split_points(t, np.float64)
    assert s32.dtype == np.float32 and s64.dtype == np.float64
    # the largest value that passes: s itself passes, the next value up does not
    for s, dtype in ((s32, np.float32), (s64, np.float64)):
        assert (s.astype(np.float32) <= t).all()
        above = np.nextafter(s, dtype(np.inf))
        assert not (above.astype(np.float32) <= t).any()


# --- missing values, one-leaf trees ---

FOREST_NAN = needs_sklearn("1.4", "RandomForest fitted on rows with NaN")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    "est",
    [
        DecisionTreeClassifier(max_depth=5, random_state=0),
        pytest.param(RandomForestRegressor(n_estimators=5, random_state=0), marks=FOREST_NAN),
        pytest.param(RandomForestClassifier(n_estimators=5, random_state=0), marks=FOREST_NAN),
    ],
)
def test_missing_values_go_where_sklearn_sends_them(est, dtype):
    X_train, X_test, y_train, _ = classification("multiclass-int")
    rng = np.random.default_rng(0)
    X_train, X_test = X_train.copy(), X_test.copy()
    X_train[rng.random(X_train.shape) < 0.15] = np.nan
    X_test[rng.random(X_test.shape) < 0.3] = np.nan
    est.fit(X_train, y_train)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_a_tree_that_is_one_leaf(dtype):
    X = load_iris().data
    reg = DecisionTreeRegressor().fit(X, np.full(len(X), 2.5))
    assert reg.tree_.node_count == 1
    check(reg, X, dtype, reference_rows=3)
    forest = RandomForestRegressor(n_estimators=4, max_depth=1, random_state=0).fit(X[:3], [1.0, 1.0, 1.0])
    check(forest, X, dtype, reference_rows=3)


# --- float32: one pass over the trees ---


def _tree_nodes(model):
    return [n for n in model.graph.node if n.op_type.startswith("TreeEnsemble")]


def _attributes(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _modes(node):
    modes = _attributes(node)["nodes_modes"]
    return set(modes) if node.op_type in V3_NODES else set(onnx.numpy_helper.to_array(modes).tolist())


def test_one_tree_of_three_classes_or_more_is_one_classifier_node_whose_ties_go_to_the_first_class():
    """float32, one tree, three classes or more: one TreeEnsembleClassifier gives the label itself (int, str or
    float classes), ties to the first class as numpy's argmax; two classes or float64 keep the ArgMax (onnxruntime's
    two-class TreeEnsembleClassifier is not an argmax)."""
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 3)).round(2)
    X_test = np.concatenate([points, rng.normal(size=(100, 3)), [[np.nan, 0.2, -1.0]]])
    for classes, n_classes in ((np.array([0, 1, 2, 3]), 4), (np.array(["b", "a", "c"]), 3), (np.array([2.0, -1.0, 7.0]), 3),
                               (np.array([3, 9]), 2)):
        # each point twice: the same class (a pure leaf) or two classes (a tie), either order
        codes = rng.integers(0, n_classes, size=(len(points), 2))
        X, y = np.concatenate([points, points]), classes[np.concatenate([codes[:, 0], codes[:, 1]])]
        est = DecisionTreeClassifier(random_state=0).fit(X, y)
        proba = est.predict_proba(X_test.astype(np.float32))
        top = np.sort(proba, axis=1)
        assert (top[:, -1] == top[:, -2]).any(), "the data must give tied leaves"
        for dtype in DTYPES:
            model = to_onnx(est, X_test[:1].astype(dtype))
            ops = [n.op_type for n in model.graph.node]
            if dtype == np.float32 and n_classes >= 3:
                assert "TreeEnsembleClassifier" in ops and "ArgMax" not in ops, ops
            else:
                assert "TreeEnsembleClassifier" not in ops and "ArgMax" in ops, ops
            label, probabilities = session(model).run(None, {"X": X_test.astype(dtype)})
            np.testing.assert_array_equal(label, est.predict(X_test.astype(np.float32)))
            np.testing.assert_allclose(probabilities, proba, rtol=TOLERANCE[dtype])


def _nan_left_splits(est):
    """How many splits of ``est``'s trees scikit-learn sends NaN left from."""
    return sum(int((t.missing_go_to_left.astype(bool) & (t.children_left >= 0)).sum()) for t in trees_module.trees_of(est))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("encoding", ["negated", "flags"])
@pytest.mark.parametrize(
    "est",
    [
        pytest.param(RandomForestClassifier(n_estimators=5, random_state=0), marks=FOREST_NAN),
        pytest.param(RandomForestRegressor(n_estimators=5, random_state=0), marks=FOREST_NAN),
        DecisionTreeClassifier(max_depth=5, random_state=0),
    ],
)
def test_both_nan_encodings_route_nan_as_sklearn_and_the_option_leaves_them_out(est, encoding, dtype, monkeypatch):
    """``negated`` (the large ensembles' encoding): no per-node flag, every node BRANCH_LEQ, NaN-left splits on
    negated columns (one Neg, one Concat). ``flags`` (the small ones'): no extra node, every node BRANCH_LEQ, a
    ``nodes_missing_value_tracks_true`` flag on each NaN-left split. Both give scikit-learn's outputs on rows with NaN
    (trees fitted with and without NaN). ``missing_values=False`` (data without NaN): neither, the same outputs as
    scikit-learn on rows without NaN."""
    monkeypatch.setattr(trees_module, "NEGATED_COLUMNS_FROM_LEVELS", 0 if encoding == "negated" else 10**9)
    X_train, X_test, y_train, _ = classification("multiclass-int")
    rng = np.random.default_rng(1)
    X_nan = X_test.copy()
    X_nan[rng.random(X_nan.shape) < 0.3] = np.nan
    for fit_rows in (X_train, np.where(rng.random(X_train.shape) < 0.15, np.nan, X_train)):
        est.fit(fit_rows, y_train)
        assert _nan_left_splits(est) > 0
        exact = to_onnx(est, X_test[:1].astype(dtype))
        model = to_onnx(est, X_test[:1].astype(dtype), options={"missing_values": False})
        ops = lambda m: [n.op_type for n in m.graph.node]  # noqa: E731
        (node,) = _tree_nodes(exact)
        flags = _attributes(node).get("nodes_missing_value_tracks_true")
        if encoding == "negated":
            assert flags is None
            assert ops(exact).count("Neg") == 1 and ops(exact).count("Concat") == 1
        else:
            assert "Neg" not in ops(exact) and "Concat" not in ops(exact)
            entries = sum(max(1, int((t.children_left >= 0).sum())) for t in trees_module.trees_of(est))
            copies = 1 if node.op_type in V3_NODES else len(flags) // entries  # TreeEnsemble: per target
            assert sum(flags) == copies * _nan_left_splits(est)
        (plain,) = _tree_nodes(model)
        assert "nodes_missing_value_tracks_true" not in _attributes(plain)
        assert "Neg" not in ops(model) and "Concat" not in ops(model)
        for n in (node, plain):
            assert _modes(n) <= {b"BRANCH_LEQ", b"LEAF", 0}, _modes(n)
        rows = X_nan.astype(dtype)
        compare(est, session(exact).run(None, {"X": rows}), expected_outputs(est, rows), dtype)
        rows = X_test.astype(dtype)
        compare(est, session(model).run(None, {"X": rows}), expected_outputs(est, rows), dtype)
        check(est, X_test, dtype, reference_rows=8)  # a valid model (full check), onnx's reference evaluator agrees (no NaN:
        # its trees fail on NaN)


@pytest.mark.parametrize("leaf_table", [True, False], ids=["leaf-table", "per-target"])
@pytest.mark.parametrize(
    "est",
    [RandomForestClassifier(n_estimators=7, random_state=0), ExtraTreesRegressor(n_estimators=5, random_state=0)],
)
def test_a_float64_forest_whose_leaves_feed_several_targets(est, leaf_table, monkeypatch):
    """float64, several classes or targets: one TreeEnsemble pass giving each tree's leaf (n_targets = n_trees), a
    Gather of the leaves' values and a sum (a large forest), or the forest once per target (a small one); both equal
    scikit-learn on rows with NaN, in either NaN encoding."""
    monkeypatch.setattr(trees_module, "LEAF_TABLE_FROM_NODES", 0 if leaf_table else 10**9)
    X_train, X_test, y_train, _ = classification("multiclass-int")
    target = y_train if hasattr(est, "predict_proba") else np.c_[X_train[:, 0] * 2.0 + y_train, np.cos(X_train[:, 1])]
    est.fit(X_train, target)
    rows = X_test.astype(np.float64)
    rows[np.random.default_rng(2).random(rows.shape) < 0.3] = np.nan
    n_targets = len(est.classes_) if hasattr(est, "classes_") else 2
    for negated in (0, 10**9):
        monkeypatch.setattr(trees_module, "NEGATED_COLUMNS_FROM_LEVELS", negated)
        model = to_onnx(est, rows[:1])
        (node,) = _tree_nodes(model)
        assert _attributes(node)["n_targets"] == (len(est.estimators_) if leaf_table else n_targets)
        assert ("ReduceSum" in [n.op_type for n in model.graph.node]) == leaf_table
        compare(est, session(model).run(None, {"X": rows}), expected_outputs(est, rows), np.float64)


def test_the_nan_encoding_follows_the_size_of_the_ensemble():
    """The sum over the trees of log2(leaves) below ``NEGATED_COLUMNS_FROM_LEVELS``: flags (no extra node); from it
    on, negated columns (no flag). A single deep tree is small."""
    from sklearn.datasets import make_classification

    X_train, y_train = make_classification(n_samples=2_000, n_features=10, n_informative=6, n_classes=3, random_state=0)
    small = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X_train, y_train)
    deep = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    large = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)
    levels = [sum(np.log2(t.n_leaves) for t in trees_module.trees_of(e)) for e in (small, deep, large)]
    assert max(levels[:2]) < trees_module.NEGATED_COLUMNS_FROM_LEVELS <= levels[2], levels
    for est, negated in ((small, False), (deep, False), (large, True)):
        model = to_onnx(est, X_train[:1].astype(np.float32))
        (node,) = _tree_nodes(model)
        assert ("Neg" in [n.op_type for n in model.graph.node]) == negated
        assert ("nodes_missing_value_tracks_true" in _attributes(node)) == (not negated)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["binary-int", "multiclass-str"])
def test_forest_ties_take_the_first_class_as_predict_with_several_threads(kind, dtype):
    """100 trees (onnxruntime sums them in parallel) with pure leaves: rows whose votes split evenly get the first class."""
    X_train, X_test, y_train, _ = classification(kind)
    forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(X_train, y_train)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, len(X_test), (2, 60_000))
    X = X_test[i] + (X_test[j] - X_test[i]) * rng.random((60_000, 1))  # between two rows: votes change hands
    proba = forest.predict_proba(X.astype(np.float32))
    top = np.sort(proba, axis=1)
    tied = top[:, -1] == top[:, -2]
    assert tied.sum() > 50
    model = to_onnx(forest, X[:1].astype(dtype))
    options = SessionOptions()
    options.intra_op_num_threads = 4
    sess = session(model, options)
    rows = X[tied].astype(dtype)
    label, _ = sess.run(None, {"X": rows})
    np.testing.assert_array_equal(label, forest.predict(rows))
    one_by_one = [sess.run(None, {"X": rows[k : k + 1]})[0][0] for k in range(min(len(rows), 200))]
    np.testing.assert_array_equal(one_by_one, forest.predict(rows[:200]))


def test_a_float32_forest_classifier_is_one_pass_over_its_trees():
    """float32: one TreeEnsembleRegressor whose leaves feed every class; float64: TreeEnsemble, once per class."""
    for name, kind in (("RandomForest", "multiclass-str"), ("RandomForest", "binary-int"), ("AdaBoostDepth3", "multiclass-str")):
        est, X_test = fitted(name, kind)
        trees = [e.tree_ for e in est.estimators_]
        model = check(est, X_test, np.float32, reference_rows=8)
        (node,) = _tree_nodes(model)
        assert node.op_type == "TreeEnsembleRegressor"
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attributes["n_targets"] == len(est.classes_)
        assert len(attributes["nodes_treeids"]) == sum(t.node_count for t in trees)  # each tree once
        assert sorted(set(attributes["nodes_treeids"])) == list(range(len(trees)))
        assert {o.domain: o.version for o in model.opset_import}["ai.onnx.ml"] == 3  # the smallest keeping v3 (to 4)
        (node,) = _tree_nodes(check(est, X_test, np.float64, reference_rows=8))
        assert node.op_type == "TreeEnsemble"


def test_float32_trees_compile_and_run_next_to_other_ai_onnx_ml_operators():
    """TreeEnsembleRegressor (v3 up to ai.onnx.ml 4), LinearClassifier (v1) and LabelEncoder (v4): opset 4."""
    X_train, X_test, y_train, _ = classification("multiclass-int")
    float_labels = y_train.astype(np.float64)  # float classes: the encoder's keys are a tensor (LabelEncoder v4)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X_train, float_labels)
    encoder = LabelEncoder().fit(float_labels)
    logistic = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    X = Var("X", np.float32, ["N", X_train.shape[1]])
    label, proba = convert_estimator(forest, X)
    (codes,) = convert_estimator(encoder, label)
    model = to_onnx([codes, proba, *convert_estimator(logistic, X)], None)
    onnx.checker.check_model(model, full_check=True)
    ops = {n.op_type for n in model.graph.node}
    assert {"TreeEnsembleRegressor", "LabelEncoder", "LinearClassifier"} <= ops, ops
    assert {o.domain: o.version for o in model.opset_import}["ai.onnx.ml"] == 4
    rows = X_test.astype(np.float32)
    got = session(model).run(None, {"X": rows})
    np.testing.assert_array_equal(got[0], encoder.transform(forest.predict(rows)))
    np.testing.assert_allclose(got[1], forest.predict_proba(rows), atol=1e-6)
    np.testing.assert_array_equal(got[2], logistic.predict(rows))
    # TreeEnsemble (float64) exists at ai.onnx.ml 5 only: no opset fits both in one graph
    with pytest.raises(CompileError, match="TreeEnsembleRegressor_3 is in force at opsets 3 to 4"):
        to_onnx([proba, convert_estimator(forest, Var("X64", np.float64, ["N", X_train.shape[1]]))[1]], None)


def test_multi_output_classifiers_are_refused():
    X, y = load_iris(return_X_y=True)
    clf = DecisionTreeClassifier().fit(X, np.column_stack([y, y % 2]))
    with pytest.raises(onnxalgebra.OnnxAlgebraError, match="outputs"):
        to_onnx(clf, X[:1].astype(np.float32))


# --- output types of ai.onnx.ml operators (onnxalgebra._ml_shapes) ---

F = np.float32
ML_OPERATORS = {
    "LinearRegressor": lambda X: onnxalgebra.OnnxLinearRegressor(X, coefficients=[1.0] * 6, intercepts=[0, 1.0], targets=2),
    "Scaler": lambda X: onnxalgebra.OnnxScaler(X, offset=[0.5], scale=[2.0]),
    "Normalizer": lambda X: onnxalgebra.OnnxNormalizer(X, norm="L2"),
    "Imputer": lambda X: onnxalgebra.OnnxImputer(X, imputed_value_floats=[0.0], replaced_value_float=1.0),
    "FeatureVectorizer": lambda X: onnxalgebra.OnnxFeatureVectorizer(X, X, inputdimensions=[3, 3]),
    "SVMRegressor": lambda X: onnxalgebra.OnnxSVMRegressor(
        X, coefficients=[1.0], support_vectors=[1.0, 2.0, 3.0], n_supports=1, rho=[0.0], kernel_type="RBF",
        kernel_params=[0.1, 0.0, 3.0],
    ),
    "SVMClassifier": lambda X: onnxalgebra.OnnxSVMClassifier(
        X, coefficients=[1.0] * 6, support_vectors=[1.0, 2.0, 3.0] * 3, vectors_per_class=[1, 1, 1], rho=[0.0] * 3,
        kernel_type="LINEAR", kernel_params=[0.1, 0.0, 3.0], classlabels_strings=["a", "b", "c"], n_outputs=2,
    ),
    "TreeEnsembleRegressor_1": lambda X: onnxalgebra.OnnxTreeEnsembleRegressor_1(
        X, nodes_treeids=[0], nodes_nodeids=[0], nodes_featureids=[0], nodes_modes=["LEAF"], nodes_values=[0.0],
        nodes_truenodeids=[0], nodes_falsenodeids=[0], target_treeids=[0], target_nodeids=[0], target_ids=[1],
        target_weights=[1.0], n_targets=2,
    ),
    "TreeEnsembleRegressor_3": lambda X: onnxalgebra.OnnxTreeEnsembleRegressor_3(
        X, nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[1, 0, 0],
        nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"], nodes_values=[0.5, 0.0, 0.0], nodes_truenodeids=[1, 0, 0],
        nodes_falsenodeids=[2, 0, 0], target_treeids=[0, 0, 0], target_nodeids=[1, 1, 2], target_ids=[0, 2, 1],
        target_weights=[1.0, 2.0, 3.0], n_targets=3, aggregate_function="AVERAGE",
    ),
    "TreeEnsemble": lambda X: onnxalgebra.OnnxTreeEnsemble(
        X, tree_roots=[0], nodes_featureids=[0], nodes_modes=np.array([0], np.uint8), nodes_splits=np.array([0.5], F),
        nodes_truenodeids=[0], nodes_trueleafs=[1], nodes_falsenodeids=[1], nodes_falseleafs=[1],
        leaf_targetids=[0, 2], leaf_weights=np.array([1.0, 2.0], F), n_targets=3,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ML_OPERATORS))
def test_ml_operator_outputs_are_typed_as_onnxruntime_computes_them(name):
    model = to_onnx(ML_OPERATORS[name](Var("X", F, ["N", 3])).outputs, None)
    onnx.checker.check_model(model, full_check=True)
    X = np.arange(12, dtype=F).reshape(4, 3) / 10
    for declared, value in zip(model.graph.output, session(model).run(None, {"X": X}), strict=True):
        dims = declared.type.tensor_type.shape.dim
        assert len(dims) == value.ndim, name
        for dim, size in zip(dims, value.shape):
            assert not dim.HasField("dim_value") or dim.dim_value == size, (name, declared, value.shape)
            if dim.dim_param:
                assert dim.dim_param == "N" and size == 4


@pytest.mark.parametrize(
    "name", ["LinearRegressor", "SVMRegressor", "FeatureVectorizer", "TreeEnsembleRegressor_3", "TreeEnsemble"]
)
def test_ml_operator_outputs_have_a_rank_even_when_the_input_has_none(name):
    (vtype,) = ML_OPERATORS[name](Var("X", F)).output_types
    assert vtype.dtype == F and vtype.shape is not None and len(vtype.shape) == 2 and vtype.shape[0] is None


# --- forests of millions of nodes: lists held once, encoded; int32 node tables ---


@cache
def _long_lists_forest():
    """A forest whose attribute lists are longer than ``KEEP_VALUES_UP_TO`` (held encoded only), and held-out rows."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16_000, 5))
    y = X[:, 0] + np.sin(3 * X[:, 1]) + 0.5 * rng.standard_normal(len(X))
    forest = RandomForestRegressor(n_estimators=16, random_state=0).fit(X[:8_000], y[:8_000])
    leaves = sum(t.n_leaves for t in trees_module.trees_of(forest))  # as many as splits, less one per tree
    assert leaves - len(forest.estimators_) > onnxalgebra._attributes.KEEP_VALUES_UP_TO
    return forest, X[8_000:]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_a_forest_of_long_lists_predicts_as_sklearn_and_compiles_to_the_same_bytes(dtype):
    """Lists of ~80,000 to 160,000 values (encoded when made, int32 node tables): scikit-learn's predictions, the tree's own
    arrays in the attributes, and byte-identical models from two conversions."""
    forest, X_test = _long_lists_forest()
    trees = trees_module.trees_of(forest)
    model = check(forest, X_test, dtype)
    assert to_onnx(forest, X_test[:1].astype(dtype)).SerializeToString() == model.SerializeToString()
    plain = to_onnx(forest, X_test[:1].astype(dtype), options={"missing_values": False})
    compare(forest, session(plain).run(None, {"X": X_test.astype(dtype)}), expected_outputs(forest, X_test), dtype)
    (node,) = _tree_nodes(plain)
    attributes = _attributes(node)
    split = np.concatenate([t.children_left for t in trees]) != -1
    feature = np.concatenate([t.feature for t in trees])[split]
    threshold = split_points(np.concatenate([t.threshold for t in trees])[split], dtype)
    if node.op_type == "TreeEnsembleRegressor":
        assert attributes["nodes_treeids"] == np.repeat(np.arange(len(trees)), [t.node_count for t in trees]).tolist()
        assert attributes["nodes_nodeids"] == np.concatenate([np.arange(t.node_count) for t in trees]).tolist()
        np.testing.assert_array_equal(np.array(attributes["nodes_featureids"])[split], feature)
        np.testing.assert_array_equal(np.array(attributes["nodes_values"], np.float32)[split], threshold)
    else:
        np.testing.assert_array_equal(attributes["nodes_featureids"], feature)  # every tree has splits
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(attributes["nodes_splits"]), threshold)


def test_tree_nodes_numbers_nodes_in_int32_as_in_int64():
    """The node table of a forest (int32 below 2**31 nodes) equals one computed from scikit-learn's int64 arrays."""
    forest, _ = _long_lists_forest()
    trees = trees_module.trees_of(forest)
    nodes = trees_module.tree_nodes(trees)
    assert nodes["left"].dtype == np.int32 and nodes["feature"].dtype == np.int32
    starts = np.cumsum([0] + [t.node_count for t in trees])[:-1]
    for k, t in enumerate(trees):
        own = slice(starts[k], starts[k] + t.node_count)
        leaf = t.children_left == -1
        np.testing.assert_array_equal(nodes["local"][own], np.arange(t.node_count))
        np.testing.assert_array_equal(nodes["left"][own], np.where(leaf, np.arange(t.node_count), t.children_left) + starts[k])
        np.testing.assert_array_equal(nodes["right"][own], np.where(leaf, np.arange(t.node_count), t.children_right) + starts[k])
        np.testing.assert_array_equal(nodes["is_leaf"][own], leaf)
        np.testing.assert_array_equal(nodes["feature"][own], t.feature)
        np.testing.assert_array_equal(nodes["tree"][own], k)
    assert trees_module.node_index_dtype(2**31) == np.int64


@pytest.mark.parametrize(
    ("values", "kind", "field"),
    [
        (np.arange(-5, 100_000, dtype=np.int32) * 7_919, "ints", "ints"),
        (np.r_[np.arange(70_000), -(2**63), 2**63 - 1, -1], "ints", "ints"),
        (np.arange(70_000, dtype=np.uint16) % 300, "ints", "ints"),
        (np.linspace(-3, 3, 70_001), "floats", "floats"),
        (np.where(np.arange(70_000) % 3 == 0, b"LEAF", b"BRANCH_LEQ"), "strings", "strings"),
        (np.where(np.arange(70_000) % 3 == 0, "LEAF", "caf\u00e9"), "strings", "strings"),
    ],
)
def test_long_attribute_lists_are_held_encoded_and_read_back(values, kind, field):
    """A list longer than ``KEEP_VALUES_UP_TO`` keeps only its encoding: protobuf parses it to the values given,
    it reads back as them, equals a list made of the same values (before and after its AttributeProto is built),
    and once built, its key shares the AttributeProto's bytes."""
    from onnx import AttributeProto

    from onnxalgebra._attributes import AttributeList

    value, twin = AttributeList(values, kind), AttributeList(np.array(values).tolist(), kind)
    assert len(value) == len(values) > onnxalgebra._attributes.KEEP_VALUES_UP_TO
    wire = value.wire("name")
    proto = AttributeProto.FromString(wire)
    assert proto.name == "name" and proto.type == getattr(AttributeProto, kind.upper())
    expected = np.array(values).astype({"ints": np.int64, "floats": np.float32}.get(kind, np.array(values).dtype))
    if kind == "strings":
        assert list(proto.strings) == [v if isinstance(v, bytes) else v.encode("utf-8") for v in expected.tolist()]
    else:
        np.testing.assert_array_equal(np.array(getattr(proto, field), dtype=expected.dtype), expected)
    np.testing.assert_array_equal(value.array, expected)
    assert value.tolist() == expected.tolist()
    assert value == twin and hash(value) == hash(twin) and twin.wire("name") == wire
    assert isinstance(value.payload(), memoryview) and value.payload().obj is wire  # held once
    assert value != AttributeList(np.array(values)[:-1], kind)
    with pytest.raises(ValueError):
        value.array[0] = value.array[1]


@pytest.mark.parametrize("n", [0, 3, 200_001])
def test_strings_from_codes_equal_the_list_of_the_strings(n):
    """``AttributeList.from_codes`` (nodes_modes without an array of strings) encodes what the strings would, and
    protobuf reads the strings back; codes outside the table are refused."""
    from onnx import AttributeProto

    from onnxalgebra._attributes import AttributeList

    table = ["BRANCH_LEQ", "LEAF", "BRANCH_GT"]
    codes = np.random.default_rng(n).integers(0, 3, n)
    value = AttributeList.from_codes(table, codes)
    strings = np.array(table)[codes]
    assert value == AttributeList(strings, "strings") and len(value) == n
    assert list(AttributeProto.FromString(value.wire("nodes_modes")).strings) == [s.encode() for s in strings.tolist()]
    assert value.tolist() == strings.tolist()
    with pytest.raises(ValueError, match="codes must be integers from 0 to 2"):
        AttributeList.from_codes(table, np.array([0, 3]))


@pytest.mark.parametrize(
    "array",
    [
        np.linspace(-1, 1, 100_001),
        np.arange(12, dtype=np.int64).reshape(3, 4),
        np.zeros(0, np.float32),
        np.array(2.5),
        np.arange(300, dtype=np.uint8)[::3],
        np.float16([1.5, -2]),
    ],
)
def test_tensor_attributes_encode_as_onnx_numpy_helper(array):
    """A numeric tensor attribute (TreeEnsemble's nodes_splits, leaf_weights, nodes_modes), encoded directly, parses to
    ``make_attribute`` of ``numpy_helper.from_array`` and serialises to the same bytes."""
    from onnx import AttributeProto, defs

    from onnxalgebra._attributes import attribute_bytes

    expected = onnx.helper.make_attribute("nodes_splits", onnx.numpy_helper.from_array(array))
    got = AttributeProto.FromString(attribute_bytes("nodes_splits", array, defs.OpSchema.AttrType.TENSOR))
    assert got == expected and got.SerializeToString() == expected.SerializeToString()
