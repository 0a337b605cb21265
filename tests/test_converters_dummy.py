"""DummyClassifier and DummyRegressor against scikit-learn on held-out data, in float32 and float64."""

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, run_onnx
from sklearn.dummy import DummyClassifier, DummyRegressor

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]
CLASSIFICATION = {"binary": binary, "multiclass": multiclass, "strings": iris_names}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", list(CLASSIFICATION))
@pytest.mark.parametrize("strategy", ["most_frequent", "prior", "constant"])
def test_dummy_classifier(strategy, data, dtype):
    X_train, X_test, y_train, _ = CLASSIFICATION[data]()
    constant = y_train[-1] if strategy == "constant" else None
    est = DummyClassifier(strategy=strategy, constant=constant).fit(X_train, y_train)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


def test_dummy_classifier_ignores_values():
    X_train, X_test, y_train, _ = multiclass()
    est = DummyClassifier(strategy="prior").fit(X_train, y_train)
    X = np.full((3, X_test.shape[1]), np.nan)
    label, proba = run_onnx(to_onnx(est, X_test[:1]), {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=1e-15)


@pytest.mark.parametrize("strategy", ["stratified", "uniform"])
def test_dummy_classifier_random_strategies(strategy):
    X_train, X_test, y_train, _ = binary()
    est = DummyClassifier(strategy=strategy, random_state=0).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match=f"DummyClassifier: strategy='{strategy}' predicts at random"):
        to_onnx(est, X_test[:1])


def test_dummy_classifier_multi_output():
    X_train, X_test, y_train, _ = binary()
    est = DummyClassifier().fit(X_train, np.c_[y_train, 1 - y_train])
    with pytest.raises(OnnxAlgebraError, match="DummyClassifier: multi-output"):
        to_onnx(est, X_test[:1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "mean"},
        {"strategy": "median"},
        {"strategy": "quantile", "quantile": 0.3},
        {"strategy": "constant", "constant": 1.5},
    ],
)
def test_dummy_regressor(params, n_targets, dtype):
    X_train, X_test, y_train, _ = multiclass()
    rng = np.random.default_rng(0)
    y = rng.normal(size=(len(y_train), n_targets)) * 10 + 3
    if params.get("constant") is not None:
        params = {**params, "constant": np.full(n_targets, params["constant"]) if n_targets > 1 else params["constant"]}
    est = DummyRegressor(**params).fit(X_train, y if n_targets > 1 else y[:, 0])
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"variable"}
