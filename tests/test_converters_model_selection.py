"""Search and threshold wrappers against scikit-learn on held-out data, in float32 and float64.

Searches over classifiers, regressors and pipelines (every search class, a
DataFrame, ``refit=False``); fixed and tuned thresholds over probabilities and
decision functions, with ``pos_label`` either class, int and str labels.
"""

import numpy as np
import pandas as pd
import pytest
from converter_checks import binary, check, iris_names, multiclass, needs_sklearn, sklearn_class
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from onnxalgebra import OnnxAlgebraError, dataframe_feeds, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

FixedThresholdClassifier = sklearn_class("sklearn.model_selection", "FixedThresholdClassifier", "1.5")
TunedThresholdClassifierCV = sklearn_class("sklearn.model_selection", "TunedThresholdClassifierCV", "1.5")
thresholds = needs_sklearn("1.5", "FixedThresholdClassifier and TunedThresholdClassifierCV")

DTYPES = [np.float32, np.float64]
IDS = ["float32", "float64"]
SEARCHES = {
    "grid": lambda est, grid: GridSearchCV(est, grid, cv=3),
    "random": lambda est, grid: RandomizedSearchCV(est, grid, n_iter=2, cv=3, random_state=0),
    "halving-grid": lambda est, grid: HalvingGridSearchCV(est, grid, cv=3, random_state=0),
    "halving-random": lambda est, grid: HalvingRandomSearchCV(est, grid, cv=3, random_state=0),
}
NAMES = np.array(["no", "yes"])


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("search", list(SEARCHES))
@pytest.mark.parametrize("data", ["multiclass", "iris"])
def test_search_classifier(search, data, dtype):
    X_train, X_test, y_train, _ = multiclass() if data == "multiclass" else iris_names()
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    est = SEARCHES[search](pipe, {"logisticregression__C": [0.1, 1.0, 10.0]}).fit(X_train, y_train)
    assert list(check(est, X_test, dtype)) == ["probabilities"]


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("search", ["grid", "halving-random"])
def test_search_tree_and_linearsvc(search, dtype):
    X_train, X_test, y_train, _ = multiclass()
    tree = SEARCHES[search](DecisionTreeClassifier(random_state=0), {"max_depth": [2, 4, 6]}).fit(X_train, y_train)
    check(tree, X_test, dtype)
    svc = SEARCHES[search](LinearSVC(), {"C": [0.1, 1.0]}).fit(X_train, y_train)
    assert list(check(svc, X_test, dtype)) == ["scores"]


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_search_regressor(dtype):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    est = RandomizedSearchCV(Ridge(), {"alpha": [0.01, 0.1, 1.0]}, n_iter=2, cv=3, random_state=0).fit(X_train, y_train)
    check(est, X_test, dtype)


def test_search_passes_options_to_the_best_estimator():
    X_train, X_test, y_train, _ = multiclass()
    est = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3).fit(X_train, y_train)
    model = to_onnx(est, X_test[:1], options={"decision_function": True})
    from converter_checks import run_onnx

    label, scores = run_onnx(model, {"X": X_test})
    np.testing.assert_array_equal(label, est.predict(X_test))
    np.testing.assert_allclose(scores, est.decision_function(X_test), rtol=1e-10, atol=1e-10)
    with pytest.raises(OnnxAlgebraError, match="unknown option"):
        to_onnx(est, X_test[:1], options={"nonsense": True})


def test_search_without_refit_is_a_clear_error():
    X_train, X_test, y_train, _ = multiclass()
    est = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3, refit=False).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="refit=False: it has no best_estimator_"):
        to_onnx(est, X_test[:1])


def test_search_dataframe():
    X_train, X_test, y_train, _ = iris_names()
    columns = ["sl", "sw", "pl", "pw"]
    train, test = pd.DataFrame(X_train, columns=columns), pd.DataFrame(X_test, columns=columns)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    est = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=3).fit(train, y_train)
    model = to_onnx(est, test.iloc[:1])
    assert [i.name for i in model.graph.input] == columns
    from onnxruntime import InferenceSession

    sess = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, dataframe_feeds(sess, test))
    np.testing.assert_array_equal(label, est.predict(test))
    np.testing.assert_allclose(proba, est.predict_proba(test), rtol=1e-10, atol=1e-12)


def binary_data(labels):
    X_train, X_test, y_train, _ = binary()
    return X_train, X_test, (NAMES[y_train] if labels == "str" else y_train * 5 + 2)


BASES = {
    "logistic": lambda: LogisticRegression(),
    "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    "linearsvc": lambda: LinearSVC(),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}


def fixed_cases():
    for base in BASES:
        for response in ["auto", "predict_proba", "decision_function"]:
            if (base == "tree" and response == "decision_function") or (base == "linearsvc" and response == "predict_proba"):
                continue
            yield base, response


@thresholds
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("pos", [None, "first", "second"])
@pytest.mark.parametrize(("base", "response"), list(fixed_cases()))
def test_fixed_threshold(base, response, pos, labels, dtype):
    X_train, X_test, y_train = binary_data(labels)
    classes = np.unique(y_train)
    pos_label = None if pos is None else classes[0 if pos == "first" else 1]
    threshold = {"predict_proba": 0.3, "decision_function": -0.4, "auto": "auto"}[response]
    est = FixedThresholdClassifier(BASES[base](), threshold=threshold, pos_label=pos_label, response_method=response)
    est.fit(X_train, y_train)
    check(est, X_test, dtype)


@thresholds
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("base", ["logistic", "tree", "linearsvc"])
def test_tuned_threshold(base, labels, dtype):
    X_train, X_test, y_train = binary_data(labels)
    est = TunedThresholdClassifierCV(BASES[base](), scoring="balanced_accuracy", cv=3).fit(X_train, y_train)
    check(est, X_test, dtype)


@thresholds
def test_tuned_threshold_pos_label_of_the_scorer():
    from sklearn.metrics import f1_score, make_scorer

    X_train, X_test, y_train = binary_data("str")
    scorer = make_scorer(f1_score, pos_label="no")
    est = TunedThresholdClassifierCV(LogisticRegression(), scoring=scorer, cv=3).fit(X_train, y_train)
    assert est._curve_scorer._get_pos_label() == "no"
    for dtype in DTYPES:
        check(est, X_test, dtype)


@thresholds
def test_threshold_options_are_refused():
    X_train, X_test, y_train = binary_data("int")
    est = FixedThresholdClassifier(LogisticRegression()).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="FixedThresholdClassifier: its converter takes no options"):
        to_onnx(est, X_test[:1], options={"decision_function": True})
