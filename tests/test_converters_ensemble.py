"""Bagging, Voting and Stacking converters against scikit-learn on held-out data, in float32 and float64.

Binary and multiclass problems with int and str labels; members that are
trees (one tree-ensemble node for all of them), linear models, pipelines or
ensembles; the options ``transform`` and ``decision_function``.
"""

from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import TOLERANCE, binary, check, check_frame, float_types, multiclass, needs_sklearn, run_onnx
from onnxalgebra_converters.scikit_learn.ensemble import FeatureTree
from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
    BaggingClassifier,
    BaggingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    RandomTreesEmbedding,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier

from onnxalgebra import OnnxAlgebraError, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]
KINDS = ["binary-int", "binary-str", "multiclass-int", "multiclass-str"]
NAMES = np.array(["ash", "birch", "cedar", "date"])


@cache
def classification(kind):
    """(X_train, X_test, y_train, y_test): two or four classes, int labels that are not positions, or str labels."""
    problem, labels = kind.split("-")
    X_train, X_test, y_train, y_test = binary() if problem == "binary" else multiclass()
    if labels == "str":
        codes = np.unique(y_train, return_inverse=True)[1]
        return X_train, X_test, NAMES[codes], y_test
    return X_train, X_test, y_train * 2 + 1, y_test


@cache
def regression(targets=1):
    X, y = load_diabetes(return_X_y=True)
    if targets == 2:
        y = np.column_stack([y, np.sqrt(y) * X[:, 2]])
    return train_test_split(X, y, random_state=0)


def tree_nodes(model):
    return [n.op_type for n in model.graph.node if n.op_type.startswith("TreeEnsemble")]


def run(est, X, dtype, options=None):
    """Convert with ``options`` and run: the outputs of onnxruntime on X (cast to dtype)."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1], options=options)
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}, "a hidden cast"
    return run_onnx(model, {"X": X})


def assert_close(got, expected, dtype):
    assert got.shape == expected.shape, (got.shape, expected.shape)
    diff = float(np.abs(got - expected).max() / max(np.abs(expected).max(), np.finfo(dtype).tiny))
    assert diff <= TOLERANCE[dtype], diff
    return diff


# --- Bagging ---


BAGGING_CLASSIFIERS = {
    "trees": lambda: BaggingClassifier(
        DecisionTreeClassifier(max_depth=5), n_estimators=8, max_features=0.6, bootstrap_features=True, random_state=0
    ),
    "extra-trees-max-samples": lambda: BaggingClassifier(ExtraTreeClassifier(), n_estimators=6, max_samples=0.5, random_state=0),
    "logistic": lambda: BaggingClassifier(LogisticRegression(max_iter=500), n_estimators=5, max_features=3, random_state=0),
    "svc-votes": lambda: BaggingClassifier(
        LinearSVC(), n_estimators=5, max_features=0.5, bootstrap_features=True, random_state=0
    ),
    "pipeline": lambda: BaggingClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()), n_estimators=4, max_features=0.7, random_state=0
    ),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(BAGGING_CLASSIFIERS))
def test_bagging_classifier(name, kind, dtype):
    X_train, X_test, y_train, _ = classification(kind)
    est = BAGGING_CLASSIFIERS[name]().fit(X_train, y_train)
    check(est, X_test, dtype)
    if "trees" in name:
        assert len(tree_nodes(check.last_model)) == 1  # every member in one node


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("base", ["logistic", "svc"])
def test_bagging_members_that_miss_a_class(base, dtype):
    """A member fitted on a sample without some class (a pipeline takes no sample_weight: the sample is drawn by
    indexing): its probabilities go to the ensemble's columns of its classes, its votes to its class."""
    X_train, X_test, y_train, _ = classification("multiclass-str")
    rare = np.flatnonzero(y_train == "date")[3:]
    keep = np.setdiff1d(np.arange(len(y_train)), rare)  # 'date' kept three times
    member = make_pipeline(StandardScaler(), LogisticRegression() if base == "logistic" else LinearSVC())
    est = BaggingClassifier(member, n_estimators=8, max_samples=0.3, max_features=0.6, random_state=0)
    est.fit(X_train[keep], y_train[keep])
    assert any(len(m.classes_) < len(est.classes_) for m in est.estimators_)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_bagging_tree_members_with_missing_values(dtype):
    X_train, X_test, y_train, _ = classification("multiclass-int")
    rng = np.random.default_rng(0)
    X_train, X_test = X_train.copy(), X_test.copy()
    X_train[rng.random(X_train.shape) < 0.1] = np.nan
    X_test[rng.random(X_test.shape) < 0.2] = np.nan
    est = BaggingClassifier(DecisionTreeClassifier(max_depth=5), n_estimators=6, max_features=0.5, random_state=0)
    check(est.fit(X_train, y_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", ["binary-str", "multiclass-int"])
def test_bagging_decision_function_option(kind, dtype):
    X_train, X_test, y_train, _ = classification(kind)
    est = BAGGING_CLASSIFIERS["svc-votes"]().fit(X_train, y_train)
    label, scores = run(est, X_test, dtype, {"decision_function": True})
    np.testing.assert_array_equal(label, est.predict(X_test.astype(dtype)))
    assert_close(scores, est.decision_function(X_test.astype(dtype)), dtype)


BAGGING_REGRESSORS = {
    "trees": lambda: BaggingRegressor(
        DecisionTreeRegressor(max_depth=6), n_estimators=8, max_features=0.7, bootstrap_features=True, random_state=0
    ),
    "ridge": lambda: BaggingRegressor(Ridge(), n_estimators=5, max_features=4, random_state=0),
    "forests": lambda: BaggingRegressor(RandomForestRegressor(n_estimators=3, max_depth=4), n_estimators=3, random_state=0),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("targets", [1, 2])
@pytest.mark.parametrize("name", list(BAGGING_REGRESSORS))
def test_bagging_regressor(name, targets, dtype):
    X_train, X_test, y_train, _ = regression(targets)
    est = BAGGING_REGRESSORS[name]().fit(X_train, y_train)
    check(est, X_test, dtype)
    assert check.last_model.graph.output[0].type.tensor_type.shape.dim[1].dim_value == targets
    if name == "trees":
        assert len(tree_nodes(check.last_model)) == 1


def test_feature_tree_renumbers_split_features_only():
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(*classification("multiclass-int")[::2]).tree_
    features = np.array([7, 0, 5, 5, 1, 2, 3, 4])
    renamed = FeatureTree(tree, features)
    split = tree.children_left >= 0
    np.testing.assert_array_equal(renamed.feature[split], features[tree.feature[split]])
    np.testing.assert_array_equal(renamed.feature[~split], tree.feature[~split])


# --- Voting ---


def voting_members():
    return [
        ("lr", LogisticRegression(max_iter=500)),
        ("forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
        ("pipe", make_pipeline(StandardScaler(), BernoulliNB())),
    ]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("weights", [None, [2, 1, 0.5]], ids=["equal", "weighted"])
def test_soft_voting(weights, kind, dtype):
    X_train, X_test, y_train, _ = classification(kind)
    est = VotingClassifier(voting_members(), voting="soft", weights=weights).fit(X_train, y_train)
    check(est, X_test, dtype)


def hard_voting(kind, weights):
    X_train, X_test, y_train, _ = classification(kind)
    members = [
        ("lr", LogisticRegression(max_iter=500)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("svc", make_pipeline(StandardScaler(), LinearSVC())),
    ]
    return VotingClassifier(members, voting="hard", weights=weights).fit(X_train, y_train), X_test


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("weights", [None, [1, 2, 1], [0.1, 0.2, 0.3]], ids=["equal", "integers", "fractions"])
def test_hard_voting(weights, kind, dtype):
    """The label as predict; the scores are the weighted votes (what the argmax is taken over)."""
    est, X_test = hard_voting(kind, weights)
    X = X_test.astype(dtype)
    label, votes = run(est, X, dtype)
    np.testing.assert_array_equal(label, est.predict(X))
    index = est.transform(X)
    expected = np.stack([np.bincount(row, weights=weights, minlength=len(est.classes_)) for row in index])
    assert_close(votes, expected, dtype)


def test_hard_voting_with_fractional_weights_breaks_ties_as_float64():
    """0.1 + 0.2 > 0.3 in float64, equal in float32: where the first two members outvote the third, for a class
    after the third's, a float32 sum would tie and take the third's class; the graph takes scikit-learn's."""
    assert np.float32(0.1) + np.float32(0.2) == np.float32(0.3) and 0.1 + 0.2 > 0.3
    X_train, X_test, y_train, _ = classification("multiclass-int")
    members = [(f"t{s}", DecisionTreeClassifier(max_depth=2, max_features=1, random_state=s)) for s in (3, 4, 5)]
    est = VotingClassifier(members, voting="hard", weights=[0.1, 0.2, 0.3]).fit(X_train, y_train)
    X = X_test.astype(np.float32)
    index = est.transform(X)
    close_calls = (index[:, 0] == index[:, 1]) & (index[:, 2] < index[:, 0])
    assert close_calls.sum() >= 10
    label, votes = run(est, X, np.float32)
    np.testing.assert_array_equal(label, est.predict(X))
    assert (label[close_calls] == est.classes_[index[close_calls, 0]]).all()
    assert (votes[close_calls].argmax(axis=1) == index[close_calls, 2]).all()  # the float32 votes themselves tie


def test_hard_votes_without_the_table_for_many_members():
    """Past 16 members with fractional weights: the weighted votes' own argmax (exact in float64)."""
    X_train, X_test, y_train, _ = classification("multiclass-int")
    members = [(f"t{i}", DecisionTreeClassifier(max_depth=2, random_state=i, max_features=2)) for i in range(17)]
    est = VotingClassifier(members, voting="hard", weights=np.linspace(0.1, 1.7, 17)).fit(X_train, y_train)
    label, _ = run(est, X_test, np.float64)
    np.testing.assert_array_equal(label, est.predict(X_test))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "voting, flatten", [("soft", True), ("soft", False), ("hard", True)], ids=["soft-flat", "soft-stacked", "hard"]
)
def test_voting_transform_option(voting, flatten, dtype):
    X_train, X_test, y_train, _ = classification("multiclass-str")
    est = VotingClassifier(voting_members(), voting=voting, flatten_transform=flatten).fit(X_train, y_train)
    X = X_test.astype(dtype)
    label, transformed = run(est, X, dtype, {"transform": True})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.transform(X)
    if voting == "hard":
        assert transformed.dtype == np.int64
        np.testing.assert_array_equal(transformed, expected)
    else:
        assert_close(transformed, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("weights", [None, [0.3, 1.2, 2.0]], ids=["equal", "weighted"])
def test_voting_regressor(weights, dtype):
    X_train, X_test, y_train, _ = regression()
    members = [
        ("lr", LinearRegression()),
        ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
        ("bag", BaggingRegressor(Ridge(), n_estimators=3, max_features=0.5, random_state=0)),
    ]
    est = VotingRegressor(members, weights=weights).fit(X_train, y_train)
    check(est, X_test, dtype)
    (transformed,) = run(est, X_test, dtype, {"transform": True})
    assert_close(transformed, est.transform(X_test.astype(dtype)), dtype)


def test_voting_with_a_dropped_member():
    X_train, X_test, y_train, _ = classification("binary-str")
    members = [("lr", LogisticRegression(max_iter=500)), ("none", "drop"), ("tree", DecisionTreeClassifier(max_depth=3))]
    for voting in ("soft", "hard"):
        est = VotingClassifier(members, voting=voting, weights=[1.5, 9.0, 0.25]).fit(X_train, y_train)
        label, _ = run(est, X_test, np.float64)
        np.testing.assert_array_equal(label, est.predict(X_test))


# --- Stacking ---


STACK_MEMBERS = {
    "auto": lambda: [
        ("lr", LogisticRegression(max_iter=500)),
        ("svc", make_pipeline(StandardScaler(), LinearSVC())),
        ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
    ],
    "predict_proba": lambda: [
        ("lr", LogisticRegression(max_iter=500)),
        ("forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
    ],
    "decision_function": lambda: [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
        ("svc", LinearSVC()),
        ("bag", BaggingClassifier(LinearSVC(), n_estimators=3, max_features=0.5, random_state=0)),
    ],
    "predict": lambda: [
        ("lr", LogisticRegression(max_iter=500)),
        ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ("bag", BaggingClassifier(DecisionTreeClassifier(max_depth=3), n_estimators=4, random_state=0)),
    ],
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", list(STACK_MEMBERS))
def test_stacking_classifier(method, kind, dtype):
    X_train, X_test, y_train, _ = classification(kind)
    passthrough = kind in ("binary-int", "multiclass-str")
    est = StackingClassifier(STACK_MEMBERS[method](), stack_method=method, passthrough=passthrough, cv=3)
    est.fit(X_train, y_train)
    if method == "auto":
        assert est.stack_method_ == ["predict_proba", "decision_function", "predict_proba"]
    check(est, X_test, dtype)
    _, meta = run(est, X_test, dtype, {"transform": True})
    assert_close(meta, est.transform(X_test.astype(dtype)), dtype)


FINAL_ESTIMATORS = {
    "svc": lambda: LinearSVC(),  # no predict_proba: the scores are the final decision function
    "forest": lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
    "voting": lambda: VotingClassifier(
        [("lr", LogisticRegression(max_iter=500)), ("tree", DecisionTreeClassifier(max_depth=3))], voting="soft"
    ),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", ["binary-str", "multiclass-int"])
@pytest.mark.parametrize("final", list(FINAL_ESTIMATORS))
def test_stacking_classifier_final_estimators(final, kind, dtype):
    X_train, X_test, y_train, _ = classification(kind)
    est = StackingClassifier(STACK_MEMBERS["predict_proba"](), final_estimator=FINAL_ESTIMATORS[final](), cv=3)
    check(est.fit(X_train, y_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", ["binary-int", "multiclass-str"])
def test_stacking_decision_function_option(kind, dtype):
    X_train, X_test, y_train, _ = classification(kind)
    est = StackingClassifier(STACK_MEMBERS["auto"](), cv=3).fit(X_train, y_train)
    X = X_test.astype(dtype)
    label, scores = run(est, X, dtype, {"decision_function": True})
    np.testing.assert_array_equal(label, est.predict(X))
    assert_close(scores, est.decision_function(X), dtype)


def test_stacking_refuses_a_decision_function_it_cannot_build():
    """AdaBoost has a decision function, but its converter gives probabilities only."""
    from sklearn.ensemble import AdaBoostClassifier

    X_train, X_test, y_train, _ = classification("binary-int")
    members = [("ada", AdaBoostClassifier(n_estimators=3, random_state=0)), ("lr", LogisticRegression(max_iter=500))]
    est = StackingClassifier(members, stack_method="decision_function", cv=3).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="decision_function"):
        to_onnx(est, X_test[:1].astype(np.float32))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize("final", ["ridge", "forest"])
def test_stacking_regressor(final, passthrough, dtype):
    X_train, X_test, y_train, _ = regression()
    members = [
        ("lr", LinearRegression()),
        ("tree", DecisionTreeRegressor(max_depth=5, random_state=0)),
        ("vote", VotingRegressor([("a", Ridge()), ("b", DecisionTreeRegressor(max_depth=3))])),
    ]
    final_estimator = Ridge() if final == "ridge" else RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0)
    est = StackingRegressor(members, final_estimator=final_estimator, passthrough=passthrough, cv=3)
    check(est.fit(X_train, y_train), X_test, dtype)
    (meta,) = run(est, X_test, dtype, {"transform": True})
    assert_close(meta, est.transform(X_test.astype(dtype)), dtype)


# --- compositions ---


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", ["binary-str", "multiclass-int"])
def test_ensembles_of_ensembles_in_a_pipeline(kind, dtype):
    """A pipeline ending with soft voting over a pipeline, a bagging of trees and a stacking of a bagging."""
    X_train, X_test, y_train, _ = classification(kind)
    stacking = StackingClassifier(
        [("bag", BAGGING_CLASSIFIERS["logistic"]()), ("tree", DecisionTreeClassifier(max_depth=3))],
        passthrough=True,
        cv=3,
    )
    voting = VotingClassifier(
        [
            ("pipe", make_pipeline(StandardScaler(), LogisticRegression())),
            ("bag", BAGGING_CLASSIFIERS["trees"]()),
            ("stack", stacking),
        ],
        voting="soft",
        weights=[1, 2, 1],
    )
    est = make_pipeline(StandardScaler(), voting).fit(X_train, y_train)
    check(est, X_test, dtype)


# --- DataFrames: the ensembles hand a DataFrame's columns to their members ---


@cache
def people(split):
    """Numbers (one int), two string columns; binary, three-class and numeric targets. The held-out part has a city
    never seen in training."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n),
            "income": rng.lognormal(10, 0.6, n),
            "rooms": rng.integers(1, 6, n),
            "city": rng.choice(["paris", "lyon", "nice", "lille"], n).astype(object),
            "colour": rng.choice(["red", "green", "blue"], n).astype(object),
        }
    )
    score = 0.05 * (df.age - 40) + 0.8 * (np.log(df.income) - 10) + 0.3 * df.rooms + df.city.isin(["nice", "lyon"])
    score = score - (df.colour == "red") + rng.normal(0, 0.5, n)
    targets = {
        "binary": np.array(["no", "yes"])[(score > 1).astype(int)],
        "three": np.array(["low", "mid", "high"])[np.digitize(score, [0.3, 1.5])],
        "number": score.to_numpy() * 10,
    }
    if split == "train":
        return df.iloc[:200], {k: v[:200] for k, v in targets.items()}
    test = df.iloc[200:].copy()
    test.loc[test.index[::7], "city"] = "brest"
    return test


def encoded(model, strings, numbers):
    """A pipeline: one-hot ``strings`` (unknown values ignored), scale ``numbers``, then ``model``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), strings), ("num", StandardScaler(), numbers)])
    return make_pipeline(encode, model)


def frame_classifiers():
    """Two pipelines reading different columns of the DataFrame, each from its own ColumnTransformer."""
    return [
        ("lr", encoded(LogisticRegression(max_iter=500), ["city"], ["age", "income"])),
        ("tree", encoded(DecisionTreeClassifier(max_depth=4, random_state=0), ["colour", "city"], ["rooms", "income"])),
    ]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("target", ["binary", "three"])
@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_voting_classifier_over_dataframe_pipelines(voting, target, dtype):
    train, targets = people("train")
    est = VotingClassifier(frame_classifiers(), voting=voting, weights=[1, 2]).fit(train, targets[target])

    def hard_outputs(est, df):  # the label and the weighted votes
        votes = [np.bincount(row, weights=[1, 2], minlength=len(est.classes_)) for row in est.transform(df)]
        return est.predict(df), np.stack(votes)

    model = check_frame(est, people("test"), dtype, expected_outputs=hard_outputs if voting == "hard" else None)
    assert {i.type.tensor_type.elem_type for i in model.graph.input if i.name in ("city", "colour")} == {onnx.TensorProto.STRING}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_voting_regressor_over_dataframe_pipelines(dtype):
    train, targets = people("train")
    members = [
        ("ridge", encoded(Ridge(), ["city", "colour"], ["age", "income", "rooms"])),
        ("tree", encoded(DecisionTreeRegressor(max_depth=4, random_state=0), ["colour"], ["income"])),
    ]
    est = VotingRegressor(members, weights=[0.5, 1.5]).fit(train, targets["number"])
    check_frame(est, people("test"), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("target", ["binary", "three"])
@pytest.mark.parametrize("method", ["auto", "predict"])
def test_stacking_classifier_over_dataframe_pipelines(method, target, dtype):
    train, targets = people("train")
    est = StackingClassifier(frame_classifiers(), stack_method=method, cv=3).fit(train, targets[target])
    check_frame(est, people("test"), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_stacking_regressor_passthrough_of_a_numeric_dataframe(dtype):
    """passthrough appends the DataFrame's columns in their fitted order."""
    train, targets = people("train")
    numbers = ["income", "rooms", "age"]
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]
    est = StackingRegressor(members, final_estimator=Ridge(), passthrough=True, cv=3).fit(train[numbers], targets["number"])
    check_frame(est, people("test")[numbers], dtype)


def test_stacking_passthrough_refuses_string_columns_clearly():
    """A member reading strings is fine; passing strings through to the final estimator is not (nor in scikit-learn)."""
    train, targets = people("train")
    est = StackingClassifier(frame_classifiers(), passthrough=True, cv=3)
    with pytest.raises(ValueError):
        est.fit(train, targets["binary"])  # scikit-learn refuses it too: nothing to convert
    est = StackingClassifier(frame_classifiers(), passthrough=False, cv=3).fit(train, targets["binary"])
    est.passthrough = True  # as if it had been fitted with it
    with pytest.raises(OnnxAlgebraError, match=r"StackingClassifier.*string column"):
        to_onnx(est, people("test").iloc[:5])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("target", ["binary", "three", "number"])
def test_bagging_after_a_column_transformer(target, dtype):
    train, targets = people("train")
    if target == "number":
        bagging = BaggingRegressor(Ridge(), n_estimators=5, max_features=0.6, bootstrap_features=True, random_state=0)
    else:
        bagging = BaggingClassifier(LogisticRegression(max_iter=500), n_estimators=5, max_features=0.6, random_state=0)
    est = encoded(bagging, ["city", "colour"], ["age", "income", "rooms"]).fit(train, targets[target])
    check_frame(est, people("test"), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_bagging_of_a_numeric_dataframe_with_missing_values(dtype):
    """Bagging takes the DataFrame as a matrix of its fitted columns; tree members send NaN where scikit-learn does."""
    train, targets = people("train")
    numbers = ["income", "rooms", "age"]
    train = train[numbers].assign(age=train.age.where(np.arange(len(train)) % 6 != 0))
    test = people("test")[numbers]
    test = test.assign(age=test.age.where(np.arange(len(test)) % 5 != 0))
    est = BaggingClassifier(DecisionTreeClassifier(max_depth=4), n_estimators=6, max_features=2, random_state=0)
    check_frame(est.fit(train, targets["three"]), test, dtype)


# --- RandomTreesEmbedding ---


EMBEDDINGS = {
    "default": dict(),  # 100 trees of depth 5, sparse output
    "dense-deep": dict(n_estimators=12, max_depth=8, sparse_output=False),
    "leaf-nodes": dict(n_estimators=20, max_depth=None, max_leaf_nodes=12, min_samples_leaf=3),
    "one-tree": dict(n_estimators=1, max_depth=3),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("dataset", ["diabetes", "classification"])
@pytest.mark.parametrize("name", list(EMBEDDINGS))
def test_random_trees_embedding(name, dataset, dtype):
    X_train, X_test, _, _ = regression() if dataset == "diabetes" else classification("multiclass-int")
    est = RandomTreesEmbedding(random_state=0, **EMBEDDINGS[name]).fit(X_train)
    diffs = check(est, X_test, dtype)
    assert diffs == {"variable": 0.0}  # ones and zeros, exactly
    model = check.last_model
    assert tree_nodes(model) == ["TreeEnsembleRegressor" if dtype == np.float32 else "TreeEnsemble"]
    out = run_onnx(model, {"X": X_test.astype(dtype)})[0]
    assert out.shape == (len(X_test), sum(len(c) for c in est.one_hot_encoder_.categories_))
    np.testing.assert_array_equal(out.sum(axis=1), est.n_estimators)  # one leaf per tree


@needs_sklearn("1.6", "RandomTreesEmbedding fitted on rows with NaN (extra trees' random splits learn NaN routing)")
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_random_trees_embedding_with_missing_values(dtype):
    """Trees fitted on data with NaN send NaN where their splits learnt to, on training and held-out rows."""
    X_train, X_test, _, _ = classification("multiclass-int")
    rng = np.random.default_rng(0)
    X_train, X_test = X_train.copy(), X_test.copy()
    X_train[rng.random(X_train.shape) < 0.15] = np.nan
    X_test[rng.random(X_test.shape) < 0.15] = np.nan
    est = RandomTreesEmbedding(n_estimators=30, random_state=0).fit(X_train)
    assert any(t.tree_.missing_go_to_left.any() for t in est.estimators_)
    assert check(est, X_test, dtype) == {"variable": 0.0}
    assert check(est, X_train, dtype) == {"variable": 0.0}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_random_trees_embedding_then_a_classifier(dtype):
    X_train, X_test, y_train, _ = classification("binary-str")
    pipe = make_pipeline(RandomTreesEmbedding(n_estimators=20, max_depth=3, random_state=0), LogisticRegression())
    check(pipe.fit(X_train, y_train), X_test, dtype)


def test_random_trees_embedding_options():
    X_train, X_test, _, _ = regression()
    est = RandomTreesEmbedding(n_estimators=5, random_state=0).fit(X_train)
    X = X_test.astype(np.float32)
    (out,) = run_onnx(to_onnx(est, X[:1], options={"missing_values": False}), {"X": X})
    np.testing.assert_array_equal(out, est.transform(X).toarray())
    with pytest.raises(OnnxAlgebraError, match=r"RandomTreesEmbedding: unknown option\(s\) \['transform'\]"):
        to_onnx(est, X[:1], options={"transform": True})
