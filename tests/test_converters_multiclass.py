"""OneVsRest, OneVsOne and OutputCode classifiers against scikit-learn on held-out data, in float32 and float64.

Binary, multiclass (int labels that are not positions, str labels) and
multilabel problems; members that are a logistic regression (decision
function and probabilities), a tree (probabilities only), a LinearSVC
(decision function only) and a pipeline.
"""

from functools import cache

import numpy as np
import pandas as pd
import pytest
from converter_checks import TOLERANCE, binary, check, iris_names, multiclass, run_onnx
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier, OutputCodeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from onnxalgebra import OnnxAlgebraError, dataframe_feeds, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

DTYPES = [np.float32, np.float64]
DATA = {"binary-int": binary, "multiclass-int": multiclass, "multiclass-str": iris_names}
MEMBERS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    "linearsvc": lambda: LinearSVC(),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}


@cache
def fitted(cls, member, data):
    X_train, X_test, y_train, _ = DATA[data]()
    extra = {"code_size": 2, "random_state": 0} if cls is OutputCodeClassifier else {}
    return cls(MEMBERS[member](), **extra).fit(X_train, y_train), X_test


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("member", list(MEMBERS))
@pytest.mark.parametrize("cls", [OneVsRestClassifier, OneVsOneClassifier], ids=["ovr", "ovo"])
def test_ovr_ovo(cls, member, data, dtype):
    est, X_test = fitted(cls, member, data)
    diffs = check(est, X_test, dtype)
    expected = "probabilities" if cls is OneVsRestClassifier and member != "linearsvc" else "scores"
    assert list(diffs) == [expected]


def binary_scores(est, X):
    """What each member of an output-code classifier gives, as scikit-learn reads it: decision else P(positive)."""
    columns = [m.decision_function(X) if hasattr(m, "decision_function") else m.predict_proba(X)[:, 1] for m in est.estimators_]
    return np.column_stack(columns).astype(np.float64)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("data", list(DATA))
@pytest.mark.parametrize("member", list(MEMBERS))
def test_output_code(member, data, dtype):
    est, X_test = fitted(OutputCodeClassifier, member, data)
    X = X_test.astype(dtype)
    model = to_onnx(est, X[:1])
    assert [o.name for o in model.graph.output] == ["label", "scores"]
    label, distances = run_onnx(model, {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = pairwise_distances(binary_scores(est, X), est.code_book_)
    assert distances.dtype == dtype and distances.shape == expected.shape
    assert np.abs(distances - expected).max() <= TOLERANCE[dtype] * np.abs(expected).max()


def test_output_code_ties_go_to_the_first_code():
    """Fully grown trees give 0/1 scores: many rows are at the same distance from two codes."""
    X_train, X_test, y_train, _ = multiclass()
    est = OutputCodeClassifier(DecisionTreeClassifier(random_state=0), code_size=1.5, random_state=0).fit(X_train, y_train)
    Y = binary_scores(est, X_test)
    d = pairwise_distances(Y, est.code_book_)
    tied = (np.sort(d, axis=1)[:, 0] == np.sort(d, axis=1)[:, 1]).sum()
    assert tied > 0  # the test exercises ties
    label, _ = run_onnx(to_onnx(est, X_test[:1]), {"X": X_test})
    np.testing.assert_array_equal(label, est.predict(X_test))


@cache
def multilabel(constant_column=False):
    X, Y = make_multilabel_classification(300, 6, n_classes=4, random_state=0)
    if constant_column:
        Y[:, 2] = 0  # a label never seen: scikit-learn keeps a _ConstantPredictor
    return train_test_split(X, Y, random_state=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("member", ["logistic", "tree", "linearsvc"])
@pytest.mark.parametrize("constant", [False, True], ids=["", "constant-label"])
def test_ovr_multilabel(member, constant, dtype):
    X_train, X_test, Y_train, _ = multilabel(constant)
    est = OneVsRestClassifier(MEMBERS[member]()).fit(X_train, Y_train)
    if constant:
        assert type(est.estimators_[2]).__name__ == "_ConstantPredictor"
    check(est, X_test, dtype)  # label: the [N, 4] int64 indicator
    label = run_onnx(check.last_model, {"X": X_test.astype(dtype)})[0]
    assert label.dtype == np.int64 and label.shape == (len(X_test), 4)


def test_ovr_probabilities_rows_sum_to_one_and_zero_rows_stay():
    X_train, X_test, y_train, _ = multiclass()
    est = OneVsRestClassifier(DecisionTreeClassifier(max_depth=2, random_state=0)).fit(X_train, y_train)
    X = np.vstack([X_test, np.full((1, X_test.shape[1]), 50.0)])
    _, proba = run_onnx(to_onnx(est, X[:1]), {"X": X})
    expected = est.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-12, atol=1e-12)
    sums = proba.sum(axis=1)
    assert np.all((np.abs(sums - 1) < 1e-12) | (sums == 0))


def test_member_without_decision_option_is_a_clear_error():
    X_train, X_test, y_train, _ = multiclass()
    est = OneVsOneClassifier(GradientBoostingClassifier(n_estimators=3, random_state=0)).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="decision function of the member GradientBoostingClassifier"):
        to_onnx(est, X_test[:1].astype(np.float32))


@pytest.mark.parametrize("cls", [OneVsRestClassifier, OneVsOneClassifier, OutputCodeClassifier])
def test_options_are_refused(cls):
    est, X_test = fitted(cls, "logistic", "multiclass-int")
    with pytest.raises(OnnxAlgebraError, match=f"{cls.__name__}: its converter takes no options"):
        to_onnx(est, X_test[:1], options={"decision_function": True})


def test_ovr_dataframe():
    X_train, X_test, y_train, _ = iris_names()
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    train, test = pd.DataFrame(X_train, columns=columns), pd.DataFrame(X_test, columns=columns)
    est = OneVsRestClassifier(make_pipeline(StandardScaler(), LogisticRegression())).fit(train, y_train)
    model = to_onnx(est, test.iloc[:1])
    from onnxruntime import InferenceSession

    sess = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, dataframe_feeds(sess, test))
    np.testing.assert_array_equal(label, est.predict(test))
    np.testing.assert_allclose(proba, est.predict_proba(test), rtol=1e-10, atol=1e-12)
