"""SelfTrainingClassifier against scikit-learn on held-out data, in float32 and float64 (int and str labels)."""

import numpy as np
import pytest
from converter_checks import check, iris_names, multiclass
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier
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
