"""MLPClassifier and MLPRegressor against scikit-learn on held-out data, in float32 and float64."""

from functools import cache

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, needs_sklearn
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

from onnxalgebra import OnnxAlgebraError, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

DTYPES = [np.float32, np.float64]
CLASSIFICATION = {"binary": binary, "multiclass": multiclass, "strings": iris_names}
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


@cache
def regression(n_targets):
    X, y = make_regression(300, 6, n_targets=n_targets, noise=1.0, random_state=0)
    return train_test_split(X, y / 50, random_state=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", list(CLASSIFICATION))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_classifier(activation, data, dtype):
    X_train, X_test, y_train, _ = CLASSIFICATION[data]()
    est = MLPClassifier(hidden_layer_sizes=(12, 7), activation=activation, max_iter=300, random_state=0).fit(X_train, y_train)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_classifier_one_hidden_layer(dtype):
    X_train, X_test, y_train, _ = multiclass()
    est = MLPClassifier(hidden_layer_sizes=(20,), max_iter=300, random_state=0).fit(X_train, y_train)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_tanh_tiny_values(dtype):
    # inputs near 0 keep the hidden layer's pre-activations tiny, where float32 Tanh is least exact
    X_train, X_test, y_train, _ = binary()
    est = MLPClassifier(hidden_layer_sizes=(10,), activation="tanh", max_iter=300, random_state=0).fit(X_train, y_train)
    check(est, X_test * 1e-6, dtype)


def test_mlp_multilabel_error():
    X_train, X_test, y_train, _ = binary()
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X_train, np.c_[y_train, 1 - y_train])
    with pytest.raises(OnnxAlgebraError, match="MLPClassifier: a multilabel model"):
        to_onnx(est, X_test[:1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_regressor(activation, n_targets, dtype):
    X_train, X_test, y_train, _ = regression(n_targets)
    est = MLPRegressor(hidden_layer_sizes=(16, 8), activation=activation, max_iter=500, random_state=0).fit(X_train, y_train)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"variable"}


@needs_sklearn("1.7", "MLPRegressor(loss='poisson')")
@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_regressor_poisson(dtype):
    X_train, X_test, y_train, _ = regression(1)
    est = MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=500, random_state=0).fit(X_train, np.exp(y_train / 4))
    assert est.out_activation_ == "exp"
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_in_pipeline(dtype):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, _ = iris_names()
    est = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0))
    check(est.fit(X_train, y_train), X_test, dtype)
