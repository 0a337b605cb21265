"""Linear converters against scikit-learn on held-out data, in float32 and float64."""

from functools import cache

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, run_onnx
from onnxalgebra_converters.scikit_learn.linear import bayesian_std
from sklearn import linear_model as lm
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LassoLars, LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeRegressor

from onnxalgebra import OnnxAlgebraError, OnnxSubEstimator, Var, to_onnx

pytestmark = [
    pytest.mark.filterwarnings("ignore", category=ConvergenceWarning),
    pytest.mark.filterwarnings("ignore", category=FutureWarning),  # PassiveAggressive* are deprecated in 1.8
]

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


# --- the rest of sklearn.linear_model (issue 13) ---

SINGLE_TARGET = {
    "ElasticNet": lambda: lm.ElasticNet(alpha=0.3),
    "ElasticNetCV": lambda: lm.ElasticNetCV(cv=3),
    "Lars": lambda: lm.Lars(),
    "LarsCV": lambda: lm.LarsCV(cv=3),
    "LassoCV": lambda: lm.LassoCV(cv=3),
    "LassoLarsCV": lambda: lm.LassoLarsCV(cv=3),
    "LassoLarsIC": lambda: lm.LassoLarsIC(),
    "OrthogonalMatchingPursuit": lambda: lm.OrthogonalMatchingPursuit(n_nonzero_coefs=3),
    "OrthogonalMatchingPursuitCV": lambda: lm.OrthogonalMatchingPursuitCV(cv=3),
    "RidgeCV": lambda: lm.RidgeCV(),
    "BayesianRidge": lambda: lm.BayesianRidge(),
    "ARDRegression": lambda: lm.ARDRegression(),
    "HuberRegressor": lambda: lm.HuberRegressor(),
    "QuantileRegressor": lambda: lm.QuantileRegressor(quantile=0.7, alpha=0.01, solver="highs"),
    "TheilSenRegressor": lambda: lm.TheilSenRegressor(random_state=0),
    "SGDRegressor": lambda: lm.SGDRegressor(random_state=0),
    "PassiveAggressiveRegressor": lambda: lm.PassiveAggressiveRegressor(random_state=0),
    "LinearSVR": lambda: LinearSVR(C=10.0),
    "RANSAC(LinearRegression)": lambda: lm.RANSACRegressor(random_state=0),
    "RANSAC(Huber)": lambda: lm.RANSACRegressor(lm.HuberRegressor(), min_samples=20, random_state=0),
    "RANSAC(DecisionTree)": lambda: lm.RANSACRegressor(
        DecisionTreeRegressor(max_depth=4, random_state=0), min_samples=50, random_state=0
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SINGLE_TARGET))
def test_single_target_regressors(name, dtype):
    est, X_test = fitted(SINGLE_TARGET[name](), lambda: regression(1))
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"variable"}
    if "RANSAC" not in name:  # the one-Gemm formula
        assert [n.op_type for n in check.last_model.graph.node] == ["Gemm"]


MULTI_TARGET = {
    "MultiTaskLasso": lambda: lm.MultiTaskLasso(alpha=0.5),
    "MultiTaskLassoCV": lambda: lm.MultiTaskLassoCV(cv=3),
    "MultiTaskElasticNet": lambda: lm.MultiTaskElasticNet(alpha=0.5),
    "MultiTaskElasticNetCV": lambda: lm.MultiTaskElasticNetCV(cv=3),
    "ElasticNet": lambda: lm.ElasticNet(alpha=0.3),
    "Lars": lambda: lm.Lars(),
    "OrthogonalMatchingPursuit": lambda: lm.OrthogonalMatchingPursuit(),
    "RidgeCV": lambda: lm.RidgeCV(),
    "RANSAC(LinearRegression)": lambda: lm.RANSACRegressor(random_state=0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(MULTI_TARGET))
def test_multi_target_regressors(name, dtype):
    est, X_test = fitted(MULTI_TARGET[name](), lambda: regression(3))
    assert est.predict(X_test).shape == (len(X_test), 3)
    check(est, X_test, dtype)


@cache
def positive_regression():
    X, y = make_regression(300, 5, noise=1.0, random_state=3)
    return train_test_split(X / 3, np.exp(y / 150), random_state=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "model",
    [
        lm.PoissonRegressor(),
        lm.GammaRegressor(),
        lm.TweedieRegressor(power=0),  # link 'auto': identity
        lm.TweedieRegressor(power=1.5),  # link 'auto': log
        lm.TweedieRegressor(power=0, link="log"),
        lm.TweedieRegressor(power=1.5, link="identity", max_iter=1000),
        lm.TweedieRegressor(power=3, link="log"),
    ],
    ids=["poisson", "gamma", "tweedie0-auto", "tweedie1.5-auto", "tweedie0-log", "tweedie1.5-identity", "tweedie3-log"],
)
def test_glm(model, dtype):
    est, X_test = fitted(model, positive_regression)
    check(est, X_test, dtype)
    ops = [n.op_type for n in check.last_model.graph.node]
    tweedie = isinstance(est, lm.TweedieRegressor)
    link = "identity" if tweedie and (est.link == "identity" or (est.link == "auto" and est.power <= 0)) else "log"
    assert ops == (["Gemm"] if link == "identity" else ["Gemm", "Exp"]), ops


LINEAR_CLASSIFIERS = {
    "RidgeClassifier": lambda: lm.RidgeClassifier(alpha=0.5),
    "RidgeClassifierCV": lambda: lm.RidgeClassifierCV(),
    "Perceptron": lambda: lm.Perceptron(random_state=0),
    "PassiveAggressiveClassifier": lambda: lm.PassiveAggressiveClassifier(random_state=0),
    "LogisticRegressionCV": lambda: lm.LogisticRegressionCV(Cs=4, cv=3, max_iter=2000),
}


@cache
def fitted_classifier(name, data):
    """Fitted once for both dtypes."""
    return fitted(LINEAR_CLASSIFIERS[name](), CLASSIFICATION[data])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
@pytest.mark.parametrize("name", sorted(LINEAR_CLASSIFIERS))
def test_linear_classifiers(name, data, dtype):
    est, X_test = fitted_classifier(name, data)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == ({"probabilities"} if name == "LogisticRegressionCV" else {"scores"})


def test_ridge_classifier_ties_and_boolean_labels():
    # a zero decision goes to the first class, as scikit-learn's `scores > 0`
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    est = lm.RidgeClassifier(fit_intercept=False).fit(X, np.array([True, False, True, False]))
    X_test = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, 1.0], [-2.0, 0.5]])
    assert est.decision_function(X_test)[0] == 0 and est.decision_function(X_test)[1] == 0
    for dtype in DTYPES:
        check(est, X_test, dtype)


def test_multilabel_ridge_classifier_is_refused():
    X, y = make_regression(50, 3, n_targets=2, random_state=0)
    est = lm.RidgeClassifier().fit(X, (y > 0).astype(int))
    with pytest.raises(OnnxAlgebraError, match="multilabel"):
        to_onnx(est, X[:1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparsified_sgd(dtype):
    est, X_test = fitted(SGDClassifier(loss="hinge", penalty="l1", alpha=0.05, random_state=0), multiclass)
    est.sparsify()
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_one_class_svm(dtype):
    X_train, X_test, _, _ = binary()
    est = lm.SGDOneClassSVM(nu=0.3, random_state=0).fit(X_train)
    assert len(set(est.predict(X_test))) == 2
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("model", [lm.BayesianRidge(), lm.ARDRegression(), lm.BayesianRidge(fit_intercept=False)])
def test_bayesian_std(model, dtype):
    est, X_test = fitted(model, lambda: regression(1))
    x = Var("X", dtype, [None, X_test.shape[1]])
    model = to_onnx([OnnxSubEstimator(est, x)[0], bayesian_std(est, x)], {"X": X_test[:1].astype(dtype)}, outputs=["mean", "std"])
    mean, std = run_onnx(model, {"X": X_test.astype(dtype)})
    expected_mean, expected_std = est.predict(X_test.astype(dtype), return_std=True)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert mean.dtype == std.dtype == dtype and std.shape == expected_std.shape
    np.testing.assert_allclose(mean.ravel(), expected_mean, rtol=0, atol=tol * np.abs(expected_mean).max())
    np.testing.assert_allclose(std, expected_std, rtol=0, atol=tol * np.abs(expected_std).max())
    # the same through the option: outputs variable and std, [N, 1] each
    model = to_onnx(est, X_test[:1].astype(dtype), options={"return_std": True})
    assert [o.name for o in model.graph.output] == ["variable", "std"]
    mean, std = run_onnx(model, {"X": X_test.astype(dtype)})
    assert mean.shape == std.shape == (len(X_test), 1)
    np.testing.assert_allclose(mean.ravel(), expected_mean, rtol=0, atol=tol * np.abs(expected_mean).max())
    np.testing.assert_allclose(std.ravel(), expected_std, rtol=0, atol=tol * np.abs(expected_std).max())


def test_ard_std_uses_kept_columns():
    X, y = make_regression(200, 8, n_informative=2, noise=1.0, random_state=0)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    est = lm.ARDRegression(threshold_lambda=1e3).fit(X_train, y_train)
    assert (est.lambda_ >= est.threshold_lambda).any()  # some columns pruned: sigma_ is smaller than n_features
    x = Var("X", np.float64, [None, 8])
    model = to_onnx([bayesian_std(est, x)], {"X": X_test[:1]})
    (std,) = run_onnx(model, {"X": X_test})
    np.testing.assert_allclose(std, est.predict(X_test, return_std=True)[1], rtol=1e-10)


def test_options_are_checked():
    est, X_test = fitted(lm.BayesianRidge(), lambda: regression(1))
    assert len(to_onnx(est, X_test[:1], options={"return_std": True}).graph.output) == 2
    assert len(to_onnx(est, X_test[:1], options={"return_std": False}).graph.output) == 1
    for model in (LogisticRegression(), lm.RidgeClassifier(), lm.BayesianRidge()):
        est, X_test = fitted(model, binary)
        with pytest.raises(OnnxAlgebraError, match=r"unknown option\(s\) \['decision_funtion'\]"):
            to_onnx(est, X_test[:1], options={"decision_funtion": True})
