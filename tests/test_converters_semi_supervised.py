"""SelfTrainingClassifier, LabelPropagation and LabelSpreading (rbf and knn kernels) against scikit-learn on held-out
data, in float32 and float64 (binary, integer and string labels)."""

import warnings

import numpy as np
import pytest
from converter_checks import TOLERANCE, binary, check, iris_names, multiclass, run_onnx
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelPropagation, LabelSpreading, SelfTrainingClassifier
from sklearn.tree import DecisionTreeClassifier

from onnxalgebra import OnnxAlgebraError, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

BASES = {
    "logistic": lambda: LogisticRegression(max_iter=500),
    "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}


def unlabelled(y):
    """Every third label hidden: -1 (strings: in an object array, as scikit-learn asks)."""
    y = y.astype(object) if y.dtype.kind in "UO" else y.copy()
    y[::3] = -1
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("base", list(BASES))
def test_self_training(base, labels, dtype):
    if labels == "int":
        X_train, X_test, y_train, _ = multiclass()
    else:
        X_train, X_test, y_train, _ = iris_names()
    y = unlabelled(y_train)
    est = SelfTrainingClassifier(BASES[base](), threshold=0.6).fit(X_train, y)
    assert est.n_iter_ >= 1
    check(est, X_test, dtype)


def test_self_training_options_go_to_the_estimator():
    X_train, X_test, y_train, _ = multiclass()
    est = SelfTrainingClassifier(LogisticRegression(max_iter=500)).fit(X_train, unlabelled(y_train))
    with pytest.raises(OnnxAlgebraError, match="LogisticRegression: unknown option"):
        to_onnx(est, X_test[:1], options={"nonsense": True})


# --- LabelPropagation, LabelSpreading ---

MODELS = {"propagation": LabelPropagation, "spreading": LabelSpreading}
KERNELS = {
    "rbf": dict(kernel="rbf"),  # gamma=20
    "rbf-gamma-0.5": dict(kernel="rbf", gamma=0.5),
    "knn": dict(kernel="knn"),  # n_neighbors=7
    "knn-3": dict(kernel="knn", n_neighbors=3),
}


def labelled(kind):
    """(X_train, X_test, y): two classes or four integer classes with every third label hidden (-1), or iris' names
    (every row labelled: scikit-learn's marker of an unlabelled row, the integer -1, cannot sit among strings)."""
    X_train, X_test, y_train, _ = {"binary": binary, "int": multiclass, "str": iris_names}[kind]()
    return X_train, X_test, y_train if kind == "str" else unlabelled(y_train)


def fit_propagation(model, kernel, labels):
    X_train, X_test, y = labelled(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MODELS[model](**KERNELS[kernel]).fit(X_train, y)
    return est, X_test


def compare_with_nan(est, X, dtype, options=None):
    """Convert, run and compare with scikit-learn where its probabilities may hold NaN rows (0 / 0): the same NaN,
    the other values within the tolerance, labels equal. Returns the number of NaN rows."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1], options=options)
    label, proba = run_onnx(model, {"X": X})
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = est.predict_proba(X)
        expected_label = est.predict(X)
    np.testing.assert_array_equal(label, expected_label)
    np.testing.assert_array_equal(np.isnan(proba), np.isnan(expected))
    assert proba.dtype == dtype
    finite = ~np.isnan(expected).any(axis=1)
    assert np.abs(proba[finite] - expected[finite]).max() <= TOLERANCE[dtype]
    return int((~finite).sum())


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("labels", ["binary", "int", "str"])
@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("model", list(MODELS))
def test_label_propagation(model, kernel, labels, dtype):
    est, X_test = fit_propagation(model, kernel, labels)
    diffs = check(est, X_test, dtype)
    assert list(diffs) == ["probabilities"]
    assert [o.name for o in check.last_model.graph.output] == ["label", "probabilities"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("model", list(MODELS))
def test_rbf_weights_that_underflow_in_float32(model, dtype):
    """gamma=20: a held-out row at squared distance 5 from its nearest training row weighs it exp(-100), 0 in
    float32; the model subtracts the nearest distance first and keeps scikit-learn's (float64) probabilities."""
    est, X_test = fit_propagation(model, "rbf", "int")
    squared = ((X_test[:, None, :] - est.X_[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    assert (est.gamma * squared > 104).sum() >= 10  # exp(-104) < the smallest float32
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("model", list(MODELS))
def test_rbf_rows_whose_weights_are_all_zero(model, labels, dtype):
    """Far rows: every exp(-gamma d) is 0 in float64, scikit-learn's probabilities are 0 / 0 = NaN and its label
    classes_[0] (np.argmax of NaN); the model gives the same."""
    est, X_test = fit_propagation(model, "rbf", labels)
    X = np.vstack([X_test, X_test[:15] * 8 + 10])
    assert compare_with_nan(est, X, dtype) >= 10


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kernel", ["rbf", "knn"])
@pytest.mark.parametrize("model", list(MODELS))
def test_training_rows_without_a_distribution(model, kernel, dtype):
    """A training row the propagation never reached keeps an all-zero distribution: it weighs nothing (rbf), and a
    row whose neighbours all have one gets NaN probabilities and classes_[0] (knn), as in scikit-learn."""
    est, X_test = fit_propagation(model, kernel, "int")
    distributions = est.label_distributions_.copy()
    distributions[est.X_[:, 0] > 0] = 0.0
    est.label_distributions_ = distributions
    nan_rows = compare_with_nan(est, X_test, dtype)
    assert nan_rows >= 1 if kernel == "knn" else nan_rows == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("kernel", ["rbf-gamma-0.5", "knn"])
def test_label_spreading_in_a_pipeline(kernel, dtype):
    X_train, X_test, y = labelled("str")
    est = make_pipeline(StandardScaler(), LabelSpreading(**KERNELS[kernel])).fit(X_train, y)
    check(est, X_test, dtype)


def test_label_propagation_refuses_what_it_cannot_convert():
    X_train, X_test, y = labelled("int")
    est = LabelPropagation(kernel=lambda a, b: np.exp(-((a[:, None, :] - b[None]) ** 2).sum(axis=2))).fit(X_train, y)
    with pytest.raises(OnnxAlgebraError, match=r"LabelPropagation: kernel=<function .*cannot be converted"):
        to_onnx(est, X_test[:1])
    est, X_test = fit_propagation("spreading", "knn", "int")
    with pytest.raises(OnnxAlgebraError, match=r"LabelSpreading: unknown option\(s\) \['score_samples'\]"):
        to_onnx(est, X_test[:1], options={"score_samples": True})
    est.label_distributions_ = np.zeros_like(est.label_distributions_)
    est.kernel = "rbf"
    with pytest.raises(OnnxAlgebraError, match="LabelSpreading: no training row carries a label distribution"):
        to_onnx(est, X_test[:1])
