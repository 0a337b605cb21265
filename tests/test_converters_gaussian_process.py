"""GaussianProcessRegressor and GaussianProcessClassifier against scikit-learn on held-out data."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, check, run_onnx
from onnxalgebra_converters.scikit_learn.gaussian_process import _erf, gpr_std
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    Exponentiation,
    ExpSineSquared,
    Matern,
    PairwiseKernel,
    RationalQuadratic,
    WhiteKernel,
)
from sklearn.model_selection import train_test_split

from onnxalgebra import OnnxAlgebraError, Var, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

DTYPES = [np.float32, np.float64]
C = ConstantKernel
KERNELS = {
    "default": None,
    "rbf": C(2.0) * RBF(1.5),
    "rbf-anisotropic": RBF([1.0, 2.0, 0.5, 3.0]),
    "matern-0.5": Matern(1.0, nu=0.5),
    "matern-1.5": C(1.5) * Matern(2.0, nu=1.5),
    "matern-2.5": Matern([1.0, 2.0, 1.5, 3.0], nu=2.5),
    "matern-inf": Matern(1.0, nu=np.inf),
    "rational-quadratic": RationalQuadratic(1.0, alpha=0.8),
    "dot-product": DotProduct(1.0) + WhiteKernel(0.5),
    "exp-sine-squared": ExpSineSquared(2.0, periodicity=5.0) * RBF(3.0),  # alone: not positive definite in 4-d
    "sum-product": C(0.5) + RBF(1.0) * DotProduct(0.3) + WhiteKernel(0.1),
    "exponentiation": Exponentiation(RBF(2.0), 2.0),
    "white": RBF(1.0) + WhiteKernel(0.3),
    "constant": C(3.0),
}


@cache
def regression(n_targets):
    X, y = make_regression(160, 4, n_targets=n_targets, noise=3.0, random_state=0)
    X = X / 2
    return train_test_split(X, np.sin(y / 40) * 5 + 10, random_state=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("normalize_y", [False, True])
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_gaussian_process_regressor(kernel, normalize_y, dtype):
    X_train, X_test, y_train, _ = regression(1)
    # the kernels' hyperparameters as given (optimizer=None): fast to fit, and the graph does not depend on how they were found
    est = GaussianProcessRegressor(KERNELS[kernel], alpha=0.1, normalize_y=normalize_y, optimizer=None).fit(X_train, y_train)
    diffs = check(est, X_test, dtype, tolerance=gpr_tolerance(est, X_test, dtype))
    assert set(diffs) == {"variable"}


def gpr_tolerance(est, X, dtype):
    """float32: the mean is a sum of terms ``K_ij alpha_j`` much larger than itself (alpha_ of order 50 here); each
    term's float32 rounding (1e-7, and exp's of its argument) is amplified by ``max(|K| @ |alpha|) / max|mean|``
    (100 to 400 for these kernels), which scikit-learn's float64 never sees."""
    if dtype == np.float64:
        return TOLERANCE[dtype]
    X = X.astype(dtype).astype(np.float64)
    terms = np.abs(est.kernel_(X, est.X_train_)) @ np.abs(est.alpha_ * est._y_train_std)
    amplification = terms.max() / np.abs(est.predict(X)).max()
    return max(TOLERANCE[dtype], 1e-7 * amplification)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_process_regressor_targets(dtype):
    X_train, X_test, y_train, _ = regression(2)
    est = GaussianProcessRegressor(C(1.0) * RBF(1.0), alpha=0.1, normalize_y=True, optimizer=None).fit(X_train, y_train)
    check(est, X_test, dtype, tolerance=gpr_tolerance(est, X_test, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("kernel", ["rbf", "matern-2.5", "sum-product", "dot-product"])
def test_gaussian_process_regressor_std(kernel, n_targets, dtype):
    X_train, X_test, y_train, _ = regression(n_targets)
    est = GaussianProcessRegressor(KERNELS[kernel], alpha=0.1, normalize_y=True, optimizer=None).fit(X_train, y_train)
    X = X_test.astype(dtype)
    model = to_onnx(est, X[:1], options={"return_std": True})
    assert [o.name for o in model.graph.output] == ["variable", "std"]
    mean, got = run_onnx(model, {"X": X})
    expected_mean, expected = (e.reshape(len(X), -1) for e in est.predict(X, return_std=True))
    assert got.dtype == mean.dtype == dtype and got.shape == mean.shape == expected.shape
    assert np.abs(mean - expected_mean).max() <= gpr_tolerance(est, X_test, dtype) * np.abs(expected_mean).max()
    diff = np.abs(got - expected).max() / np.abs(expected).max()
    print(kernel, np.dtype(dtype).name, "std", diff)
    # float32: the variance is a difference of terms of order 1 (see gpr_std)
    assert diff <= (1e-4 if dtype == np.float32 else TOLERANCE[dtype])  # measured: 1.1e-5 (float32), 4e-14
    expr = gpr_std(est, Var("X", np.float64, [None, X.shape[1]]))
    np.testing.assert_allclose(expr.eval({"X": X_test}), est.predict(X_test, return_std=True)[1].reshape(len(X), -1), rtol=1e-9)


def test_gaussian_process_regressor_options():
    X_train, X_test, y_train, _ = regression(1)
    est = GaussianProcessRegressor().fit(X_train, y_train)
    assert len(to_onnx(est, X_test[:1], options={"return_std": False}).graph.output) == 1
    with pytest.raises(OnnxAlgebraError, match=r"unknown option\(s\) \['return_cov'\] \(the covariance"):
        to_onnx(est, X_test[:1], options={"return_cov": True})
    with pytest.raises(OnnxAlgebraError, match=r"unknown option\(s\) \['stdev'\]"):
        to_onnx(est, X_test[:1], options={"stdev": True})


@pytest.mark.parametrize(
    "kernel, match",
    [(Matern(1.0, nu=0.7), "nu=0.7 needs the Bessel function kv"), (PairwiseKernel(metric="laplacian"), "PairwiseKernel")],
)
def test_gaussian_process_unsupported_kernels(kernel, match):
    X_train, X_test, y_train, _ = regression(1)
    est = GaussianProcessRegressor(kernel, optimizer=None).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match=match):
        to_onnx(est, X_test[:1])


def test_erf_double():
    from scipy.special import erf

    z = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-12, 40.0, -np.inf, np.inf]])
    got = _erf(Var("z", np.float64, [None])).eval({"z": z})
    assert np.abs(got - erf(z)).max() < 5e-15


@cache
def classification(kind):
    if kind == "binary":
        X, y = make_classification(160, 4, n_informative=3, n_redundant=0, random_state=0)
        return train_test_split(X, y * 3 + 2, random_state=0)  # labels 2, 5
    if kind == "multiclass":
        X, y = make_classification(200, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=1)
        return train_test_split(X, y, random_state=0)
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, np.array(["setosa", "versicolor", "virginica"])[y], random_state=0)


# float32: the 5 error functions' coefficients (+-3500) cancel; each erf's float32 rounding is amplified to ~1e-4
GPC_TOLERANCE = {np.float32: 5e-4, np.float64: 1e-10}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
@pytest.mark.parametrize("kernel", ["default", "rbf", "matern-1.5", "sum-product", "rational-quadratic"])
def test_gaussian_process_classifier(kernel, data, dtype):
    X_train, X_test, y_train, _ = classification(data)
    est = GaussianProcessClassifier(KERNELS[kernel], optimizer=None).fit(X_train, y_train)
    diffs = check(est, X_test, dtype, tolerance=GPC_TOLERANCE[dtype])
    assert set(diffs) == {"probabilities"}


@cache
def optimised():
    """Models whose kernel hyperparameters the optimiser found (fitted once: the optimiser is slow)."""
    X_train, X_test, y_train, _ = regression(1)
    gpr = GaussianProcessRegressor(C(1.0) * RBF(1.0) + WhiteKernel(0.1), normalize_y=True, random_state=0).fit(X_train, y_train)
    X_train_c, X_test_c, y_train_c, _ = classification("strings")
    gpc = GaussianProcessClassifier(C(1.0) * RBF(1.0), random_state=0).fit(X_train_c, y_train_c)
    return gpr, X_test, gpc, X_test_c


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_process_fitted_kernels(dtype):
    gpr, X_test, gpc, X_test_c = optimised()
    assert gpr.kernel_.k1.k1.constant_value != 1.0  # the optimiser moved the hyperparameters
    check(gpr, X_test, dtype, tolerance=gpr_tolerance(gpr, X_test, dtype))
    check(gpc, X_test_c, dtype, tolerance=GPC_TOLERANCE[dtype])


def test_gaussian_process_classifier_one_vs_one():
    X_train, X_test, y_train, _ = classification("multiclass")
    est = GaussianProcessClassifier(multi_class="one_vs_one").fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="multi_class='one_vs_one' has no predict_proba"):
        to_onnx(est, X_test[:1])
