"""Linear converters against scikit-learn on held-out data, in float32 and float64."""

from functools import cache

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, run_onnx
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LassoLars, LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from onnxalgebra import to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

# --- data: a held-out half the models never see ---



@cache
def regression(n_targets):
    X, y = make_regression(200, 5, n_targets=n_targets, noise=1.0, random_state=0)
    return train_test_split(X, y, random_state=0)


CLASSIFICATION = {"binary": binary, "multiclass": multiclass, "strings": iris_names}
DTYPES = [np.float32, np.float64]


def fitted(est, data):
    X_train, X_test, y_train, _ = data()
    return est.fit(X_train, y_train), X_test


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
def test_logistic_regression_lbfgs(data, dtype):
    est, X_test = fitted(LogisticRegression(max_iter=2000), CLASSIFICATION[data])
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_regression_liblinear(dtype):
    # scikit-learn >= 1.8 refuses liblinear for more than two classes
    est, X_test = fitted(LogisticRegression(solver="liblinear"), binary)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("model", [LinearRegression(), Ridge(alpha=2.0), Lasso(alpha=0.5), LassoLars(alpha=0.1)])
def test_linear_regressors(model, n_targets, dtype):
    est, X_test = fitted(model, lambda: regression(n_targets))
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"variable"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
@pytest.mark.parametrize("loss", ["hinge", "log_loss", "modified_huber"])
def test_sgd_classifier(loss, data, dtype):
    est, X_test = fitted(SGDClassifier(loss=loss, random_state=0), CLASSIFICATION[data])
    diffs = check(est, X_test, dtype)
    assert set(diffs) == ({"scores"} if loss == "hinge" else {"probabilities"})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
def test_linear_svc(data, dtype):
    est, X_test = fitted(LinearSVC(), CLASSIFICATION[data])
    check(est, X_test, dtype)


@pytest.mark.parametrize("est", [LogisticRegression(max_iter=2000), SGDClassifier(loss="log_loss", random_state=0)])
def test_decision_function_option(est):
    for data in (binary, multiclass):
        est, X_test = fitted(est, data)
        X = X_test.astype(np.float64)
        model = to_onnx(est, X[:1], options={"decision_function": True})
        assert [o.name for o in model.graph.output] == ["label", "probabilities"]  # the names stay the contract's
        label, scores = run_onnx(model, {"X": X})
        np.testing.assert_array_equal(label, est.predict(X))
        np.testing.assert_allclose(scores, est.decision_function(X), rtol=1e-10, atol=1e-12)
