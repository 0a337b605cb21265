"""Kernel approximation transformers against scikit-learn's transform on held-out rows, float32 and float64."""

from functools import cache

import numpy as np
import pytest
from converter_checks import check
from sklearn import kernel_approximation as ka
from sklearn.datasets import make_regression
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.model_selection import train_test_split

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]


@cache
def dense():
    X, _ = make_regression(200, 5, random_state=0)
    return train_test_split(X, random_state=0)


@cache
def histograms():
    """Non-negative rows summing to 1 with exact zeros (the chi2 domain)."""
    rng = np.random.RandomState(0)
    X = rng.dirichlet(np.ones(5), size=200)
    X[rng.rand(*X.shape) < 0.15] = 0.0
    return train_test_split(X, random_state=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [1.0, 0.1])
def test_rbf_sampler(gamma, dtype):
    X_train, X_test = dense()
    check(ka.RBFSampler(gamma=gamma, n_components=30, random_state=0).fit(X_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("skewedness", [0.5, 2.0])
def test_skewed_chi2_sampler(skewedness, dtype):
    X_train, X_test = histograms()
    check(ka.SkewedChi2Sampler(skewedness=skewedness, n_components=30, random_state=0).fit(X_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("steps, interval", [(1, None), (2, None), (3, None), (4, 0.3), (2, 0.7)])
def test_additive_chi2_sampler(steps, interval, dtype):
    X_train, X_test = histograms()
    assert (X_test == 0).any()  # zeros give zeros, as in scikit-learn
    est = ka.AdditiveChi2Sampler(sample_steps=steps, sample_interval=interval).fit(X_train)
    check(est, X_test, dtype)


def test_additive_chi2_sampler_without_interval_is_refused():
    X_train, _ = histograms()
    est = ka.AdditiveChi2Sampler(sample_steps=2).fit(X_train).set_params(sample_steps=5)  # fit refuses it too
    with pytest.raises(OnnxAlgebraError, match=r"AdditiveChi2Sampler.*sample_steps=5.*sample_interval"):
        to_onnx(est, X_train[:1])


NYSTROEM = {
    "linear": {},
    "poly": {},  # degree 3, gamma 1 / n_features, coef0 1 (the kernel function's defaults)
    "polynomial": {"degree": 2, "gamma": 0.1, "coef0": 2.0},
    "rbf": {},
    "rbf-gamma": {"gamma": 0.5},
    "rbf-kernel_params": {"kernel_params": {"gamma": 0.3}},
    "laplacian": {"gamma": 0.2},
    "sigmoid": {"gamma": 0.05, "coef0": 0.1},
    "cosine": {},
    "chi2": {"gamma": 0.5},
    "additive_chi2": {},
}


def test_every_named_kernel_is_covered():
    assert {name.split("-")[0] for name in NYSTROEM} == set(PAIRWISE_KERNEL_FUNCTIONS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(NYSTROEM))
def test_nystroem(name, dtype):
    kernel = name.split("-")[0]
    X_train, X_test = histograms() if "chi2" in kernel else dense()
    # linear and cosine kernels of 5 features have rank 5: more components give a huge normalization_ (1 / sqrt(~0));
    # float32 errors of the kernel grow with normalization_'s condition number (20 components of poly: 1500, 1e-5 lost)
    n_components = 4 if kernel in ("linear", "cosine") else 10
    est = ka.Nystroem(kernel=kernel, n_components=n_components, random_state=0, **NYSTROEM[name]).fit(X_train)
    if kernel == "cosine":
        X_test = np.vstack([X_test, np.zeros((1, X_test.shape[1]))])  # a zero row, normalised as scikit-learn's
    check(est, X_test, dtype)
    if kernel == "linear":
        assert [n.op_type for n in check.last_model.graph.node] == ["MatMul"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_nystroem_precomputed(dtype):
    X_train, X_test = dense()
    X_basis = X_train[:30]  # scikit-learn wants the square kernel of the basis: n_components = its rows
    est = ka.Nystroem(kernel="precomputed", n_components=30, random_state=0).fit(pairwise_kernels(X_basis, metric="rbf"))
    check(est, pairwise_kernels(X_test, X_basis, metric="rbf"), dtype)


def test_nystroem_callable_is_refused():
    X_train, _ = dense()

    def my_kernel(a, b):
        return float(a @ b)

    est = ka.Nystroem(kernel=my_kernel, n_components=5, random_state=0).fit(X_train[:20])
    with pytest.raises(OnnxAlgebraError, match=r"Nystroem.*my_kernel.*callable"):
        to_onnx(est, X_train[:1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "degree, gamma, coef0, n_components", [(2, 1.0, 0, 16), (3, 0.5, 1.0, 30), (1, 1.0, 2.0, 7), (4, 0.2, 0.5, 64)]
)
def test_polynomial_count_sketch(degree, gamma, coef0, n_components, dtype):
    X_train, X_test = dense()
    est = ka.PolynomialCountSketch(degree=degree, gamma=gamma, coef0=coef0, n_components=n_components, random_state=0)
    check(est.fit(X_train), X_test, dtype)
