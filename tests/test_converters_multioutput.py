"""MultiOutput and chain converters against scikit-learn on held-out data, in float32 and float64.

Members: a logistic regression, a tree, a LinearSVC (decision function only)
and a pipeline; integer outputs (one of them with four classes), string
outputs, every ``chain_method``, chains in a given order.
"""

from functools import cache

import numpy as np
import pytest
from converter_checks import SKLEARN, TOLERANCE, check, needs_sklearn, run_onnx
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier, MultiOutputRegressor, RegressorChain
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from onnxalgebra import OnnxAlgebraError, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

DTYPES = [np.float32, np.float64]
IDS = ["float32", "float64"]
MEMBERS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    "linearsvc": lambda: LinearSVC(),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}
WORDS = np.array(["no", "yes"])


@cache
def multilabel(kind="binary"):
    """X_train, X_test, Y_train: three 0/1 outputs; 'multiclass': the second has four classes; 'str': words."""
    X, Y = make_multilabel_classification(400, 8, n_classes=3, random_state=0)
    X_train, X_test, Y_train, _ = train_test_split(X, Y, random_state=0)
    if kind == "multiclass":
        Y_train = Y_train.copy()
        Y_train[:, 1] += 2 * Y_train[:, 2]
    elif kind == "str":
        Y_train = WORDS[Y_train]
    return X_train, X_test, Y_train


def compare(est, X_test, dtype, second):
    """Run the converted model; labels equal to predict, the second output to ``second(X)``. Returns the relative difference."""
    X = X_test.astype(dtype)
    model = to_onnx(est, X[:1])
    label, got = run_onnx(model, {"X": X})
    expected_label = est.predict(X)
    assert label.shape == expected_label.shape
    np.testing.assert_array_equal(label, expected_label)
    expected = second(X)
    assert got.dtype == dtype and got.shape == expected.shape
    diff = float(np.abs(got - expected).max() / np.abs(expected).max())
    assert diff <= TOLERANCE[dtype], diff
    print(type(est).__name__, np.dtype(dtype).name, diff)
    return model


def multi_output_second(est):
    if hasattr(est, "predict_proba"):
        return lambda X: np.hstack(est.predict_proba(X))
    return lambda X: np.column_stack([m.decision_function(X) for m in est.estimators_])


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "str"])
@pytest.mark.parametrize("member", list(MEMBERS))
def test_multi_output_classifier(member, kind, dtype):
    X_train, X_test, Y_train = multilabel(kind)
    est = MultiOutputClassifier(MEMBERS[member]()).fit(X_train, Y_train)
    model = compare(est, X_test, dtype, multi_output_second(est))
    names = [o.name for o in model.graph.output]
    assert names == ["label", "scores" if member == "linearsvc" else "probabilities"]


CHAIN_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


def chain_cases():
    for member in MEMBERS:
        for method in CHAIN_METHODS:
            if member == "linearsvc" and method in ("predict_proba", "predict_log_proba"):
                continue  # scikit-learn refuses them
            if member == "tree" and method in ("decision_function", "predict_log_proba"):
                continue  # no decision function; log(0) = -inf that scikit-learn refuses as a feature
            yield member, method


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize(("member", "method"), list(chain_cases()))
def test_classifier_chain(member, method, dtype):
    X_train, X_test, Y_train = multilabel()
    if SKLEARN < (1, 6) and method != "predict":
        pytest.skip(f"ClassifierChain(chain_method={method!r}): new in scikit-learn 1.6")
    chain_method = {"chain_method": method} if SKLEARN >= (1, 6) else {}  # before 1.6: always 'predict'
    est = ClassifierChain(MEMBERS[member](), order=[2, 0, 1], **chain_method).fit(X_train, Y_train)
    second = est.predict_proba if hasattr(est, "predict_proba") else est.decision_function
    model = compare(est, X_test, dtype, second)
    label = run_onnx(model, {"X": X_test.astype(dtype)})[0]
    assert label.dtype == dtype  # scikit-learn gives the class values as floats


@needs_sklearn("1.6", "ClassifierChain(chain_method='predict_proba')")
def test_classifier_chain_random_order_and_cv():
    X_train, X_test, Y_train = multilabel()
    est = ClassifierChain(LogisticRegression(), order="random", random_state=1, cv=3, chain_method="predict_proba")
    est.fit(X_train, Y_train)
    for dtype in DTYPES:
        compare(est, X_test, dtype, est.predict_proba)


def test_classifier_chain_multiclass_member_is_a_clear_error():
    X_train, X_test, Y_train = multilabel("multiclass")
    est = ClassifierChain(LogisticRegression()).fit(X_train, Y_train)  # chain_method='predict', the default
    with pytest.raises(OnnxAlgebraError, match="a member has 4 classes"):
        to_onnx(est, X_test[:1])


@cache
def regression():
    X, Y = make_multilabel_classification(300, 6, n_classes=3, random_state=2)
    Y = X[:, :3] @ np.array([[1.0, -2.0, 0.5], [0.3, 1.0, 2.0], [-1.0, 0.2, 1.0]]) + Y
    return train_test_split(X, Y, random_state=0)


REGRESSORS = {
    "ridge": lambda: Ridge(),
    "tree": lambda: DecisionTreeRegressor(max_depth=5, random_state=0),
    "pipeline": lambda: make_pipeline(StandardScaler(), Ridge()),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("member", list(REGRESSORS))
@pytest.mark.parametrize("cls", [MultiOutputRegressor, RegressorChain])
def test_regressors(cls, member, dtype):
    X_train, X_test, Y_train, _ = regression()
    extra = {"order": [1, 2, 0]} if cls is RegressorChain else {}
    est = cls(REGRESSORS[member](), **extra).fit(X_train, Y_train)
    diffs = check(est, X_test, dtype)
    out = run_onnx(check.last_model, {"X": X_test.astype(dtype)})[0]
    assert out.shape == (len(X_test), 3)
    assert list(diffs) == ["variable"]


@pytest.mark.parametrize(
    "est",
    [
        MultiOutputRegressor(Ridge()),
        MultiOutputClassifier(LogisticRegression()),
        RegressorChain(Ridge()),
        ClassifierChain(LogisticRegression()),
    ],
    ids=lambda e: type(e).__name__,
)
def test_options_are_refused(est):
    X_train, X_test, Y_train = multilabel()
    est.fit(X_train, Y_train)
    with pytest.raises(OnnxAlgebraError, match="takes no options"):
        to_onnx(est, X_test[:1], options={"zipmap": False, "other": 1})
