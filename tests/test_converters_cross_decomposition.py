"""Cross-decomposition converters (PLSRegression, PLSCanonical, CCA, PLSSVD) against scikit-learn on held-out data."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, check, run_onnx
from sklearn.cross_decomposition import CCA, PLSSVD, PLSCanonical, PLSRegression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from onnxalgebra import OnnxAlgebraError, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)
DTYPES = [np.float32, np.float64]


@cache
def data(n_targets):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6)) * [1, 2, 3, 0.5, 10, 1] + [5, -3, 0, 100, 2, 1]  # uneven means and scales
    Y = X[:, :3] @ rng.normal(size=(3, n_targets)) + 0.3 * rng.normal(size=(300, n_targets))
    return train_test_split(X, Y.ravel() if n_targets == 1 else Y, random_state=0)


MODELS = {
    "PLSRegression": lambda: PLSRegression(n_components=2),
    "PLSRegression-noscale": lambda: PLSRegression(n_components=3, scale=False),
    "PLSCanonical": lambda: PLSCanonical(n_components=2),
    "PLSCanonical-svd": lambda: PLSCanonical(n_components=2, algorithm="svd"),
    "CCA": lambda: CCA(n_components=2),
}


# PLSCanonical and CCA need n_components <= n_targets: a single target for PLSRegression only
CASES = [(name, 3) for name in sorted(MODELS)] + [(name, 1) for name in sorted(MODELS) if name.startswith("PLSRegression")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "n_targets"), CASES)
def test_predict(name, n_targets, dtype):
    X_train, X_test, y_train, _ = data(n_targets)
    est = MODELS[name]().fit(X_train, y_train)
    # scikit-learn's predict is [N] for a 1-D y, [N, n_targets] otherwise; the graph gives [N, n_targets]
    assert est.predict(X_test).shape == ((len(X_test),) if n_targets == 1 else (len(X_test), n_targets))
    check(est, X_test, dtype)
    assert [n.op_type for n in check.last_model.graph.node] == ["Gemm"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_transform(name, dtype):
    X_train, X_test, y_train, _ = data(3)
    est = MODELS[name]().fit(X_train, y_train)
    X = X_test.astype(dtype)
    model = to_onnx(est, X[:1], options={"transform": True})
    (got,) = run_onnx(model, {"X": X})
    expected = est.transform(X)
    assert got.dtype == dtype and got.shape == expected.shape == (len(X), est.n_components)
    assert np.abs(got - expected).max() <= TOLERANCE[dtype] * np.abs(expected).max()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [True, False])
def test_pls_svd(scale, dtype):
    X_train, X_test, y_train, _ = data(3)
    est = PLSSVD(n_components=2, scale=scale).fit(X_train, y_train)
    check(est, X_test, dtype)


def test_unknown_option():
    X_train, X_test, y_train, _ = data(3)
    est = PLSRegression().fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="unknown option"):
        to_onnx(est, X_test[:1], options={"transfrom": True})
