"""IsolationForest against scikit-learn on held-out data, in float32 and float64: predict, decision_function and,
with ``options={'score_samples': True}``, score_samples."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, check, multiclass, needs_sklearn, run_onnx, session
from onnxalgebra_converters.scikit_learn.iforest import average_path_length, node_depths
from sklearn.datasets import load_diabetes
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length
from sklearn.model_selection import train_test_split

from onnxalgebra import to_onnx

DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]


@cache
def data(name):
    """(X_train, X_test): eight informative columns, or diabetes' ten."""
    if name == "classification":
        X_train, X_test, _, _ = multiclass()
        return X_train, X_test
    X, _ = load_diabetes(return_X_y=True)
    X_train, X_test = train_test_split(X, random_state=0)
    return X_train, X_test


FORESTS = {
    "default": dict(),
    "max_samples-int": dict(max_samples=64, n_estimators=40),
    "max_samples-float-max_features-float": dict(max_samples=0.5, max_features=0.5, n_estimators=30),
    "max_features-int-contamination": dict(max_features=3, contamination=0.1, n_estimators=50),
    "bootstrap": dict(bootstrap=True, max_features=0.7, n_estimators=20),
}


@cache
def fitted(name, dataset):
    X_train, X_test = data(dataset)
    return IsolationForest(random_state=0, **FORESTS[name]).fit(X_train), X_test


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("dataset", ["classification", "diabetes"])
@pytest.mark.parametrize("name", list(FORESTS))
def test_isolation_forest_predict_and_decision_function(name, dataset, dtype):
    est, X_test = fitted(name, dataset)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"scores"}
    model = check.last_model
    assert [o.name for o in model.graph.output] == ["label", "scores"]
    assert sum(n.op_type.startswith("TreeEnsemble") for n in model.graph.node) == 1  # every tree in one node
    labels = est.predict(X_test.astype(dtype))
    assert set(labels) == {-1, 1} or name == "default"


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", ["default", "max_samples-float-max_features-float"])
def test_option_score_samples(name, dtype):
    est, X_test = fitted(name, "classification")
    X = X_test.astype(dtype)
    label, scores = run_onnx(to_onnx(est, X[:1], options={"score_samples": True}), {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.score_samples(X)
    assert scores.dtype == dtype and scores.shape == expected.shape
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]


@needs_sklearn("1.6", "IsolationForest fitted on or scoring rows with NaN (extra trees' NaN routing)")
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_missing_values_and_outliers(dtype):
    """Rows with NaN go where scikit-learn sends them; rows far away are outliers."""
    est, X_test = fitted("max_samples-float-max_features-float", "classification")
    rng = np.random.default_rng(0)
    X = X_test.copy()
    X[rng.random(X.shape) < 0.2] = np.nan
    X = np.vstack([X, X_test[:20] * 10])
    check(est, X, dtype)
    assert (est.predict(X[-20:]) == -1).sum() >= 15


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_one_sample_per_tree(dtype):
    """max_samples=1: the trees are one leaf and scikit-learn's 0 / 0 becomes a ratio of 1, every score -0.5."""
    X_train, X_test = data("classification")
    est = IsolationForest(max_samples=1, n_estimators=5, random_state=0).fit(X_train)
    check(est, X_test, dtype)


def test_average_path_length_is_sklearns():
    n = np.array([0, 1, 2, 3, 4, 10, 255, 256, 10_000])
    np.testing.assert_array_equal(average_path_length(n), _average_path_length(n))


def test_node_depths_count_the_root_as_one():
    est, _ = fitted("default", "classification")
    for member in est.estimators_[:5]:
        np.testing.assert_array_equal(node_depths(member.tree_), member.tree_.compute_node_depths())


@needs_sklearn("1.6", "IsolationForest fitted on or scoring rows with NaN (extra trees' NaN routing)")
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("contamination", ["auto", 0.05])
def test_missing_values_in_training_and_held_out_rows(contamination, dtype):
    """Trees fitted on data with NaN send it where their splits learnt to; score_samples too."""
    X_train, X_test = data("classification")
    rng = np.random.default_rng(1)
    X_train, X_test = X_train.copy(), X_test.copy()
    X_train[rng.random(X_train.shape) < 0.1] = np.nan
    X_test[rng.random(X_test.shape) < 0.15] = np.nan
    est = IsolationForest(n_estimators=25, max_features=0.6, contamination=contamination, random_state=0).fit(X_train)
    check(est, X_test, dtype)
    X = X_test.astype(dtype)
    _, scores = run_onnx(to_onnx(est, X[:1], options={"score_samples": True}), {"X": X})
    expected = est.score_samples(X)
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_dataframe_end_to_end(contamination, dtype):
    """A ColumnTransformer one-hot encoding a string column and passing numbers through, then the forest; fed from
    the DataFrame by dataframe_feeds. A city never seen in training is encoded as zeros, as scikit-learn does."""
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from onnxalgebra import dataframe_feeds

    rng = np.random.default_rng(3)
    n = 300
    df = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.6, n),
            "rooms": rng.integers(1, 6, n),
            "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
        }
    )
    train, test = df.iloc[:200], df.iloc[200:].copy()
    test.loc[test.index[::9], "city"] = "brest"
    test.loc[test.index[::13], "income"] *= 20  # outliers
    encode = ColumnTransformer([("city", OneHotEncoder(handle_unknown="ignore"), ["city"])], remainder="passthrough")
    est = make_pipeline(encode, IsolationForest(n_estimators=30, contamination=contamination, random_state=0)).fit(train)
    test = test.astype({"income": dtype})
    model = to_onnx(est, test.iloc[:5], dtype=dtype)
    sess = session(model)
    label, scores = sess.run(None, dataframe_feeds(sess, test))
    np.testing.assert_array_equal(label, est.predict(test))
    expected = est.decision_function(test)
    assert scores.dtype == dtype and scores.shape == expected.shape
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]
    assert (label == -1).any() and (label == 1).any()
