"""KernelRidge against scikit-learn on held-out data, every named kernel, in float32 and float64."""

from functools import cache

import numpy as np
import pytest
from converter_checks import check
from sklearn.datasets import make_regression
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.model_selection import train_test_split

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]
# additive_chi2 is not positive definite: scikit-learn falls back to least squares, the converter uses its dual_coef_
pytestmark = pytest.mark.filterwarnings("ignore:Singular matrix in solving dual problem")


@cache
def regression(n_targets):
    X, y = make_regression(200, 5, n_targets=n_targets, noise=1.0, random_state=0)
    return train_test_split(X, y, random_state=0)


@cache
def histograms(n_targets):
    """Non-negative rows summing to 1, the chi2 kernels' domain (a few exact zeros: the skipped terms)."""
    rng = np.random.RandomState(0)
    X = rng.dirichlet(np.ones(5), size=200)
    X[rng.rand(*X.shape) < 0.1] = 0.0
    y = X @ rng.normal(size=(5, n_targets)) * 10 + rng.normal(size=(200, n_targets)) * 0.1
    return train_test_split(X, y.ravel() if n_targets == 1 else y, random_state=0)


KERNELS = {
    "linear": {},
    "poly": {},  # gamma None: 1 / n_features, degree 3, coef0 1
    "polynomial": {"degree": 2, "gamma": 0.1, "coef0": 2.0},
    "rbf": {},
    "rbf-gamma": {"gamma": 0.5},
    "laplacian": {},
    "sigmoid": {"gamma": 0.01, "coef0": 0.5},
    "cosine": {},
    "chi2": {"gamma": 0.5},
    "additive_chi2": {},
}


def test_every_named_kernel_is_covered():
    assert {name.split("-")[0] for name in KERNELS} == set(PAIRWISE_KERNEL_FUNCTIONS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernels(name, n_targets, dtype):
    kernel = name.split("-")[0]
    data = histograms if "chi2" in kernel else regression
    X_train, X_test, y_train, _ = data(n_targets)
    est = KernelRidge(kernel=kernel, alpha=1.0, **KERNELS[name]).fit(X_train, y_train)
    if kernel == "cosine":
        X_test = np.vstack([X_test, np.zeros((1, X_test.shape[1]))])  # a zero row: normalised as scikit-learn's
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"variable"}
    ops = [n.op_type for n in check.last_model.graph.node]
    if kernel == "linear":
        assert ops == ["MatMul"]  # X @ (X_fit_.T @ dual_coef_)


@pytest.mark.parametrize("dtype", DTYPES)
def test_precomputed(dtype):
    X_train, X_test, y_train, _ = regression(1)
    est = KernelRidge(kernel="precomputed", alpha=1.0).fit(pairwise_kernels(X_train, metric="rbf"), y_train)
    check(est, pairwise_kernels(X_test, X_train, metric="rbf"), dtype)


def test_callable_kernel_is_refused():
    X_train, X_test, y_train, _ = regression(1)

    def my_kernel(a, b):
        return float(a @ b)

    est = KernelRidge(kernel=my_kernel).fit(X_train[:30], y_train[:30])
    with pytest.raises(OnnxAlgebraError, match=r"my_kernel.*callable"):
        to_onnx(est, X_test[:1])


@pytest.mark.parametrize("kernel", ["rbf", "linear"])
def test_fitted_on_sparse(kernel):
    from scipy import sparse

    X_train, X_test, y_train, _ = regression(1)
    est = KernelRidge(kernel=kernel, alpha=1.0).fit(sparse.csr_matrix(X_train), y_train)
    check(est, X_test, np.float64)
