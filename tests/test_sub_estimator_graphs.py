"""Issue 15, part 5: the compositions skl2onnx's algebra gets wrong, each compared with scikit-learn and numpy.

- an operator feeding an ``OnnxSubEstimator``;
- two sub-estimators on the same input;
- one sub-estimator's output used by two branches;
- the same fitted estimator converted twice in one graph (no name clash).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import run_onnx
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import StandardScaler

from onnxalgebra import OnnxAbs, OnnxAdd, OnnxConcat, OnnxMul, OnnxSub, OnnxSubEstimator, Var, to_onnx

F32 = np.float32


@cache
def _data():
    X, y = load_iris(return_X_y=True)
    return X.astype(F32), y


@cache
def _models():
    X, y = _data()
    scaler = StandardScaler().fit(np.abs(X))
    clf = LogisticRegression(max_iter=1000).fit(np.abs(X), y)
    reg = LinearRegression().fit(X, X[:, 0] * 2 - X[:, 1])
    pca = PCA(2).fit(X)
    return scaler, clf, reg, pca


def _run(outputs, names=None):
    X, _ = _data()
    x = Var("X", F32, [None, 4])
    model = to_onnx(outputs(x), {"X": X[:1]}, outputs=names)
    onnx.checker.check_model(model, full_check=True)
    return model, run_onnx(model, {"X": X})


def test_operator_feeding_a_sub_estimator():
    X, _ = _data()
    scaler, clf, _, _ = _models()
    _, (label, proba) = _run(lambda x: list(OnnxSubEstimator(clf, OnnxAbs(x))), ["label", "proba"])
    np.testing.assert_array_equal(label, clf.predict(np.abs(X)))
    np.testing.assert_allclose(proba, clf.predict_proba(np.abs(X)), rtol=1e-4, atol=1e-6)
    _, (scaled,) = _run(lambda x: [OnnxSubEstimator(scaler, OnnxAbs(x)).as_expression()], ["scaled"])
    np.testing.assert_allclose(scaled, scaler.transform(np.abs(X)), rtol=1e-5, atol=1e-5)


def test_two_sub_estimators_on_the_same_input():
    X, _ = _data()
    _, _, reg, pca = _models()

    def outputs(x):
        return [OnnxSubEstimator(reg, x)[0], OnnxSubEstimator(pca, x)[0]]

    model, (prediction, projected) = _run(outputs, ["prediction", "projected"])
    np.testing.assert_allclose(prediction.ravel(), reg.predict(X), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(projected, pca.transform(X), rtol=1e-4, atol=1e-4)
    assert [i.name for i in model.graph.input] == ["X"]


def test_one_sub_estimator_output_used_by_two_branches():
    X, _ = _data()
    _, _, _, pca = _models()

    def outputs(x):
        projected = OnnxSubEstimator(pca, x)[0]
        return [OnnxAdd(projected, np.array([1.0], F32)), OnnxMul(projected, projected)]

    model, (plus, squared) = _run(outputs, ["plus", "squared"])
    expected = pca.transform(X)
    np.testing.assert_allclose(plus, expected + 1, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(squared, expected**2, rtol=1e-4, atol=1e-4)
    # converted once: one projection in the graph, shared by both branches
    assert sum(n.op_type in ("Gemm", "MatMul") for n in model.graph.node) == 1


@pytest.mark.parametrize("shared_input", [True, False])
def test_the_same_estimator_converted_twice(shared_input):
    X, _ = _data()
    _, _, reg, _ = _models()

    def outputs(x):
        first = OnnxSubEstimator(reg, x)[0]
        second = OnnxSubEstimator(reg, x if shared_input else OnnxSub(x, np.array([0.5], F32)))[0]
        return [OnnxConcat(first, second, axis=1)]

    model, (both,) = _run(outputs, ["both"])
    names = [o for n in model.graph.node for o in n.output]
    assert len(names) == len(set(names)), "an output name is produced twice"
    expected = np.stack([reg.predict(X), reg.predict(X if shared_input else X - 0.5)], axis=1)
    np.testing.assert_allclose(both, expected, rtol=1e-4, atol=1e-4)
