"""LinearDiscriminantAnalysis and QuadraticDiscriminantAnalysis against scikit-learn on held-out data."""

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, run_onnx
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]
CLASSIFICATION = {"binary": binary, "multiclass": multiclass, "strings": iris_names}
LDA = {
    "svd": {"solver": "svd"},
    "lsqr-shrinkage": {"solver": "lsqr", "shrinkage": "auto"},
    "eigen-shrinkage": {"solver": "eigen", "shrinkage": 0.3},
    "svd-priors": {"solver": "svd", "n_components": 1},
}


def fitted(est, data):
    X_train, X_test, y_train, _ = CLASSIFICATION[data]()
    return est.fit(X_train, y_train), X_test


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", list(CLASSIFICATION))
@pytest.mark.parametrize("params", list(LDA))
def test_lda(params, data, dtype):
    est, X_test = fitted(LinearDiscriminantAnalysis(**LDA[params]), data)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_lda_eigen_without_shrinkage(dtype):
    # make_classification's redundant features make the covariance singular: iris only
    est, X_test = fitted(LinearDiscriminantAnalysis(solver="eigen"), "strings")
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", list(CLASSIFICATION))
@pytest.mark.parametrize("solver", ["svd", "eigen"])
def test_lda_transform(solver, data, dtype):
    shrinkage = 0.1 if solver == "eigen" else None
    est, X_test = fitted(LinearDiscriminantAnalysis(solver=solver, shrinkage=shrinkage), data)
    X = X_test.astype(dtype)
    label, projection = run_onnx(to_onnx(est, X[:1], options={"transform": True}), {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.transform(X)
    assert projection.shape == expected.shape and projection.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-10
    assert np.abs(projection - expected).max() <= tolerance * np.abs(expected).max()


def test_lda_options():
    est, X_test = fitted(LinearDiscriminantAnalysis(solver="lsqr"), "binary")
    with pytest.raises(OnnxAlgebraError, match="solver='lsqr' has no transform"):
        to_onnx(est, X_test[:1], options={"transform": True})
    with pytest.raises(OnnxAlgebraError, match=r"LinearDiscriminantAnalysis: unknown option\(s\) \['return_std'\]"):
        to_onnx(est, X_test[:1], options={"return_std": True})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", list(CLASSIFICATION))
@pytest.mark.parametrize("reg_param", [0.01, 0.3])
def test_qda(reg_param, data, dtype):
    est, X_test = fitted(QuadraticDiscriminantAnalysis(reg_param=reg_param), data)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_qda_priors(dtype):
    est, X_test = fitted(QuadraticDiscriminantAnalysis(priors=[0.4, 0.3, 0.2, 0.1], reg_param=0.05), "multiclass")
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_qda_without_regularisation(dtype):
    # make_classification's redundant features make the covariances singular: iris only
    est, X_test = fitted(QuadraticDiscriminantAnalysis(), "strings")
    check(est, X_test, dtype)


@pytest.mark.parametrize("data", list(CLASSIFICATION))
def test_lda_graph(data):
    est, X_test = fitted(LinearDiscriminantAnalysis(), data)
    ops32 = [n.op_type for n in to_onnx(est, X_test[:1].astype(np.float32)).graph.node]
    ops64 = [n.op_type for n in to_onnx(est, X_test[:1].astype(np.float64)).graph.node]
    assert ops32 == ["LinearClassifier"], ops32  # one node in float32
    assert "Gemm" in ops64 and "LinearClassifier" not in ops64, ops64  # no double kernel: standard operators
