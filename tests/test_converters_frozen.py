"""FrozenEstimator against scikit-learn on held-out data, in float32 and float64: a frozen classifier (integer and
string labels), regressor and transformer, alone and inside a Pipeline; options go to the estimator it holds."""

import numpy as np
import pandas as pd
import pytest
from converter_checks import TOLERANCE, binary, check, check_frame, iris_names, multiclass, run_onnx, sklearn_class
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from onnxalgebra import OnnxAlgebraError, to_onnx
from onnxalgebra.registry._convert import output_names_for

# FrozenEstimator is new in scikit-learn 1.6: the whole module is skipped before it (make test-oldest).
FrozenEstimator = sklearn_class("sklearn.frozen", "FrozenEstimator", "1.6")
pytestmark = pytest.mark.skipif(FrozenEstimator is None, reason="FrozenEstimator: new in scikit-learn 1.6")

DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]


def regression():
    X, y = make_regression(300, 6, n_informative=4, noise=0.5, random_state=0)
    return train_test_split(X, y, random_state=0)


def classification(labels):
    return {"binary": binary, "int": multiclass, "str": iris_names}[labels]()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("labels", ["binary", "int", "str"])
@pytest.mark.parametrize("base", ["logistic", "linear-svc", "forest"])
def test_frozen_classifier(base, labels, dtype):
    X_train, X_test, y_train, _ = classification(labels)
    inner = {
        "logistic": lambda: LogisticRegression(max_iter=1000),
        "linear-svc": lambda: LinearSVC(),
        "forest": lambda: RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0),
    }[base]().fit(X_train, y_train)
    frozen = FrozenEstimator(inner)
    check(frozen, X_test, dtype)
    names = [o.name for o in check.last_model.graph.output]
    assert names == list(output_names_for(inner)) == ["label", "probabilities" if base != "linear-svc" else "scores"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_frozen_regressor(dtype):
    X_train, X_test, y_train, _ = regression()
    frozen = FrozenEstimator(Ridge(alpha=0.5).fit(X_train, y_train))
    check(frozen, X_test, dtype)
    assert [o.name for o in check.last_model.graph.output] == ["variable"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_frozen_transformer(dtype):
    X_train, X_test, _, _ = regression()
    frozen = FrozenEstimator(StandardScaler().fit(X_train * 3 + 1))
    check(frozen, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_frozen_steps_inside_a_pipeline(labels, dtype):
    """A frozen scaler fitted on other data, then a classifier fitted through the pipeline; a frozen classifier
    behind a scaler; a frozen regressor behind a scaler."""
    X_train, X_test, y_train, _ = classification(labels)
    scaler = StandardScaler().fit(X_train[: len(X_train) // 2])  # fitted once, on half of the rows
    pipe = make_pipeline(FrozenEstimator(scaler), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    np.testing.assert_array_equal(pipe[0].estimator.mean_, scaler.mean_)  # the pipeline's fit left it as it was
    check(pipe, X_test, dtype)
    frozen_classifier = FrozenEstimator(LogisticRegression(max_iter=1000).fit(X_train, y_train))
    check(make_pipeline(StandardScaler(), frozen_classifier).fit(X_train, y_train), X_test, dtype)
    Xr_train, Xr_test, yr_train, _ = regression()
    frozen_regressor = FrozenEstimator(Ridge().fit(Xr_train, yr_train))
    check(make_pipeline(StandardScaler(), frozen_regressor).fit(Xr_train, yr_train), Xr_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_a_frozen_pipeline_and_options(dtype):
    X_train, X_test, y_train, _ = classification("int")
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    frozen = FrozenEstimator(pipe)
    check(frozen, X_test, dtype)
    X = X_test.astype(dtype)
    label, scores = run_onnx(to_onnx(frozen, X[:1], options={"decision_function": True}), {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    expected = pipe.decision_function(X)
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_a_frozen_column_transformer_pipeline_reads_dataframe_columns(dtype):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    y = ((df["a"] + (df["colour"] == "red")) > 0.5).astype(np.int64)
    pipe = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["colour"])]),
        LogisticRegression(),
    ).fit(df.iloc[:150], y.iloc[:150])
    model = check_frame(FrozenEstimator(pipe), df.iloc[150:], dtype)
    assert [i.name for i in model.graph.input] == ["a", "b", "colour"]


def test_options_are_the_inner_estimators():
    X_train, X_test, y_train, _ = classification("int")
    frozen = FrozenEstimator(LogisticRegression(max_iter=1000).fit(X_train, y_train))
    with pytest.raises(OnnxAlgebraError, match="LogisticRegression: unknown option"):
        to_onnx(frozen, X_test[:1], options={"nonsense": True})


def test_an_unfitted_inner_estimator_is_an_error():
    from sklearn.exceptions import NotFittedError

    _, X_test, _, _ = classification("int")
    with pytest.raises(NotFittedError):
        to_onnx(FrozenEstimator(LogisticRegression()), X_test[:1])
