"""Gaussian mixture converters against scikit-learn on held-out data, in float32 and float64."""

import warnings
from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, check, run_onnx
from onnxalgebra_converters.scikit_learn.mixture import log_det_cholesky
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_log_det_cholesky

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]
COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@cache
def blobs(offset=0.0):
    """Four blobs of different spreads in 5 dimensions; 400 training rows, 200 held out."""
    X, _ = make_blobs(600, 5, centers=4, cluster_std=[1.0, 2.0, 0.5, 1.5], random_state=0)
    X = X + offset
    return X[:400], X[400:]


MODELS = {
    "em": lambda ct: GaussianMixture(4, covariance_type=ct, random_state=0),
    "dirichlet_process": lambda ct: BayesianGaussianMixture(n_components=5, covariance_type=ct, random_state=0),
    "dirichlet_distribution": lambda ct: BayesianGaussianMixture(
        n_components=5, covariance_type=ct, weight_concentration_prior_type="dirichlet_distribution", random_state=0
    ),
}


def fitted(model, covariance_type, offset=0.0, dtype=np.float64):
    X_train, _ = blobs(offset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MODELS[model](covariance_type).fit(X_train.astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("model", list(MODELS))
def test_predict_and_predict_proba(model, covariance_type, dtype):
    est = fitted(model, covariance_type)
    _, X_test = blobs()
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("model", list(MODELS))
def test_option_score_samples(model, covariance_type, dtype):
    est = fitted(model, covariance_type)
    _, X_test = blobs()
    X = X_test.astype(dtype)
    label, scores = run_onnx(to_onnx(est, X[:1], options={"score_samples": True}), {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.score_samples(X)
    assert scores.dtype == dtype and scores.shape == expected.shape
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_far_from_the_origin(covariance_type, dtype):
    """Data at 50 from the origin, fitted in ``dtype``: rows close to a mean stay accurate. (A model fitted on
    float32 predicting float64 rows is left out: scikit-learn then rounds ``mean @ P``, ``log det`` and the
    weights to float32, and its float64 output is only float32-accurate.)"""
    est = fitted("em", covariance_type, offset=50.0, dtype=dtype)
    _, X_test = blobs(50.0)
    check(est, np.vstack([X_test, est.means_ + 1e-3]), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_far_rows_keep_finite_probabilities(dtype):
    """Rows far from every component: log probabilities of -1e4, softmax still a distribution."""
    est = fitted("em", "full")
    X = np.random.RandomState(0).uniform(-60, 60, (200, 5))
    check(est, X, dtype)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_det_cholesky_is_sklearns(covariance_type):
    est = fitted("em", covariance_type)
    np.testing.assert_allclose(
        log_det_cholesky(est.precisions_cholesky_, covariance_type, 5),
        _compute_log_det_cholesky(est.precisions_cholesky_, covariance_type, 5),
        rtol=1e-14,
    )


def test_unknown_option_is_an_error():
    est = fitted("em", "diag")
    with pytest.raises(OnnxAlgebraError, match="unknown option"):
        to_onnx(est, blobs()[1][:1], options={"return_std": True})
