"""Feature selectors against scikit-learn on held-out data: ``X[:, get_support()]``, and RFE's predictions."""

import warnings

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, run_onnx
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import (
    RFE,
    RFECV,
    GenericUnivariateSelect,
    SelectFdr,
    SelectFpr,
    SelectFromModel,
    SelectFwe,
    SelectKBest,
    SelectPercentile,
    SequentialFeatureSelector,
    VarianceThreshold,
    f_classif,
    f_regression,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from onnxalgebra import OnnxAlgebraError, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)
DTYPES = [np.float32, np.float64]


def spread():
    """Columns of different variances, two constant: VarianceThreshold keeps some, not all."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((120, 7)) * [1.0, 0.0, 0.1, 3.0, 0.0, 0.5, 2.0]
    return X[:80], X[80:]


SELECTORS = {
    "VarianceThreshold": lambda: VarianceThreshold(0.2),
    "VarianceThreshold-0": lambda: VarianceThreshold(),
    "SelectKBest": lambda: SelectKBest(f_classif, k=3),
    "SelectKBest-all": lambda: SelectKBest(f_classif, k="all"),
    "SelectPercentile": lambda: SelectPercentile(f_classif, percentile=40),
    "SelectFpr": lambda: SelectFpr(f_classif, alpha=0.01),
    "SelectFdr": lambda: SelectFdr(f_classif, alpha=0.01),
    "SelectFwe": lambda: SelectFwe(f_classif, alpha=0.01),
    "Generic-k_best": lambda: GenericUnivariateSelect(f_classif, mode="k_best", param=2),
    "Generic-fpr": lambda: GenericUnivariateSelect(f_classif, mode="fpr", param=0.05),
    "SelectFromModel-tree": lambda: SelectFromModel(DecisionTreeClassifier(random_state=0)),
    "SelectFromModel-max": lambda: SelectFromModel(LogisticRegression(max_iter=500), max_features=2, threshold=-np.inf),
    "SequentialFeatureSelector": lambda: SequentialFeatureSelector(
        LogisticRegression(max_iter=500), n_features_to_select=3, cv=3
    ),
    "SFS-backward": lambda: SequentialFeatureSelector(
        LogisticRegression(max_iter=500), n_features_to_select=4, direction="backward", cv=3
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SELECTORS))
def test_selector(name, dtype):
    X_train, X_test, y_train, _ = multiclass()
    est = SELECTORS[name]().fit(X_train, y_train)
    support = est.get_support(indices=True)
    assert 0 < len(support), name  # the case of no column is tested below
    diffs = check(est, X_test, dtype)
    assert diffs == {"variable": 0.0}
    ops = [n.op_type for n in check.last_model.graph.node]
    assert ops == ([] if len(support) == X_train.shape[1] else ["ArrayFeatureExtractor"]) or ops == ["Identity"], ops


@pytest.mark.parametrize("dtype", DTYPES)
def test_variance_threshold_constant_columns(dtype):
    X_train, X_test = spread()
    est = VarianceThreshold(0.05).fit(X_train)
    assert list(est.get_support(indices=True)) == [0, 3, 5, 6]
    assert check(est, X_test, dtype) == {"variable": 0.0}


@pytest.mark.parametrize("dtype", DTYPES)
def test_selector_keeps_no_column(dtype):
    X_train, _ = spread()
    with pytest.raises(ValueError):  # scikit-learn refuses to fit a threshold no feature meets
        VarianceThreshold(100.0).fit(X_train)
    X_train2, X_test2, y_train, _ = binary()
    est = SelectFpr(f_classif, alpha=1e-300).fit(X_train2, y_train)
    assert len(est.get_support(indices=True)) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn: "No features were selected"
        expected = est.transform(X_test2.astype(dtype))
        (got,) = run_onnx(to_onnx(est, X_test2[:1].astype(dtype)), {"X": X_test2.astype(dtype)})
    assert expected.shape == got.shape == (len(X_test2), 0)
    assert got.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_selector_strings(dtype):
    # a selection does not compute: string labels and a regression target select the same way
    X_train, X_test, y_train, _ = iris_names()
    check(SelectKBest(f_classif, k=2).fit(X_train, y_train), X_test, dtype)
    X, y = make_regression(200, 6, n_informative=2, random_state=0)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    check(SelectPercentile(f_regression, percentile=50).fit(X_train, y_train), X_test, dtype)


RFES = {
    "RFE-logistic": lambda: RFE(LogisticRegression(max_iter=1000), n_features_to_select=3),
    "RFE-svc-step": lambda: RFE(LinearSVC(), n_features_to_select=0.5, step=2),
    "RFECV-logistic": lambda: RFECV(LogisticRegression(max_iter=1000), cv=3),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
@pytest.mark.parametrize("name", list(RFES))
def test_rfe_classifier(name, data, dtype):
    X_train, X_test, y_train, _ = {"binary": binary, "multiclass": multiclass, "strings": iris_names}[data]()
    est = RFES[name]().fit(X_train, y_train)
    assert est.n_features_ < X_train.shape[1] or name.startswith("RFECV")
    diffs = check(est, X_test, dtype)
    assert set(diffs) == ({"scores"} if "svc" in name else {"probabilities"})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls", [RFE, RFECV])
def test_rfe_regressor(cls, dtype):
    X, y = make_regression(200, 8, n_informative=3, noise=0.5, random_state=1)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    est = cls(LinearRegression(), **({"n_features_to_select": 3} if cls is RFE else {"cv": 3})).fit(X_train, y_train)
    assert check(est, X_test, dtype)["variable"] <= {np.float32: 1e-5, np.float64: 1e-10}[dtype]


def test_rfe_options_go_to_the_estimator():
    X_train, X_test, y_train, _ = multiclass()
    est = RFE(LogisticRegression(max_iter=1000), n_features_to_select=4).fit(X_train, y_train)
    model = to_onnx(est, X_test[:1], options={"decision_function": True})
    label, scores = run_onnx(model, {"X": X_test})
    np.testing.assert_array_equal(label, est.predict(X_test))
    np.testing.assert_allclose(scores, est.decision_function(X_test), rtol=1e-10, atol=1e-10)


def test_selector_in_pipeline():
    X_train, X_test, y_train, _ = multiclass()
    pipe = make_pipeline(StandardScaler(), SelectKBest(f_classif, k=4), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    for dtype in DTYPES:
        check(pipe, X_test, dtype)


def test_selector_wrong_width():
    X_train, _, y_train, _ = multiclass()
    est = SelectKBest(f_classif, k=3).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="8 features"):
        to_onnx(est, X_train[:1, :5])
