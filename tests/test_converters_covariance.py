"""sklearn.covariance against scikit-learn on held-out rows, in float32 and float64: ``mahalanobis`` of every
covariance estimator, EllipticEnvelope's ``predict``, ``decision_function`` and (option) ``score_samples``."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, binary, check, multiclass, run_onnx
from sklearn.covariance import (
    OAS,
    EllipticEnvelope,
    EmpiricalCovariance,
    GraphicalLasso,
    GraphicalLassoCV,
    LedoitWolf,
    MinCovDet,
    ShrunkCovariance,
)
from sklearn.datasets import load_diabetes, make_regression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]

ESTIMATORS = {
    "EmpiricalCovariance": lambda: EmpiricalCovariance(),
    "EmpiricalCovariance-no-precision": lambda: EmpiricalCovariance(store_precision=False),
    "EmpiricalCovariance-centred": lambda: EmpiricalCovariance(assume_centered=True),
    "ShrunkCovariance": lambda: ShrunkCovariance(shrinkage=0.3),
    "LedoitWolf": lambda: LedoitWolf(),
    "OAS": lambda: OAS(),
    "MinCovDet": lambda: MinCovDet(random_state=0),
    "GraphicalLasso": lambda: GraphicalLasso(alpha=0.05),
    "GraphicalLassoCV": lambda: GraphicalLassoCV(cv=3),
}


@cache
def data(name):
    """(X_train, X_test): independent gaussian columns, correlated columns (diabetes), or a classification set."""
    if name == "gaussian":
        X, _ = make_regression(300, 6, random_state=0)
    elif name == "diabetes":
        X, _ = load_diabetes(return_X_y=True)
    else:
        X_train, X_test, _, _ = binary()
        return X_train, X_test
    X_train, X_test = train_test_split(X, random_state=0)
    return X_train, X_test


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("dataset", ["gaussian", "diabetes"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_mahalanobis(name, dataset, dtype):
    X_train, X_test = data(dataset)
    est = ESTIMATORS[name]().fit(X_train)
    diffs = check(est, X_test, dtype)
    assert list(diffs) == ["variable"]
    assert [o.name for o in check.last_model.graph.output] == ["variable"]
    assert check.last_model.graph.output[0].type.tensor_type.shape.dim[0].dim_param  # [N]: one distance per row
    assert len(check.last_model.graph.output[0].type.tensor_type.shape.dim) == 1


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_singular_covariance_uses_the_pseudo_inverse(dtype):
    """binary()'s redundant columns are linear combinations of others: the precision is pinvh of a singular matrix."""
    X_train, X_test = data("classification")
    est = EmpiricalCovariance(store_precision=False).fit(X_train)
    assert np.linalg.matrix_rank(est.covariance_) < X_train.shape[1]
    check(est, X_test, dtype)


@pytest.mark.parametrize("name", ["EmpiricalCovariance", "MinCovDet", "LedoitWolf"])
def test_rows_far_from_the_origin_keep_float64_accuracy(name):
    """Centred before the product: 1e4 added to every column would cost ~1e-8 relative to an expanded quadratic form."""
    X_train, X_test = data("gaussian")
    est = ESTIMATORS[name]().fit(X_train + 1e4)
    check(est, X_test + 1e4, np.float64)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("dataset", ["gaussian", "diabetes", "classification"])
@pytest.mark.parametrize("contamination", [0.1, 0.25])
def test_elliptic_envelope(contamination, dataset, dtype):
    X_train, X_test = data(dataset)
    est = EllipticEnvelope(contamination=contamination, random_state=0).fit(X_train)
    X = np.vstack([X_test, X_test[:10] * 4])  # a few far rows: outliers
    diffs = check(est, X, dtype)
    assert list(diffs) == ["scores"]
    assert set(est.predict(X.astype(dtype))) == {-1, 1}
    label = run_onnx(check.last_model, {"X": X.astype(dtype)})[0]
    assert label.dtype == np.int64


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_elliptic_envelope_score_samples_option(dtype):
    X_train, X_test = data("diabetes")
    est = EllipticEnvelope(random_state=0).fit(X_train)
    X = X_test.astype(dtype)
    label, scores = run_onnx(to_onnx(est, X[:1], options={"score_samples": True}), {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.score_samples(X)
    assert scores.dtype == dtype and scores.shape == expected.shape
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]
    assert (expected < 0).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_in_a_pipeline(dtype):
    X_train, X_test, _, _ = multiclass()
    pipe = make_pipeline(StandardScaler(), LedoitWolf()).fit(X_train)
    X = X_test.astype(dtype)
    (got,) = run_onnx(to_onnx(pipe, X[:1]), {"X": X})
    expected = pipe[-1].mahalanobis(pipe[:-1].transform(X))  # a Pipeline has no mahalanobis: its steps'
    assert got.dtype == dtype and got.shape == expected.shape
    assert np.abs(got - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]
    check(make_pipeline(StandardScaler(), EllipticEnvelope(random_state=0)).fit(X_train), X_test, dtype)


def test_unknown_options_are_errors():
    X_train, X_test = data("gaussian")
    with pytest.raises(OnnxAlgebraError, match=r"LedoitWolf: unknown option\(s\) \['score_samples'\]"):
        to_onnx(LedoitWolf().fit(X_train), X_test[:1], options={"score_samples": True})
    with pytest.raises(OnnxAlgebraError, match=r"EllipticEnvelope: unknown option\(s\) \['zipmap2'\]"):
        to_onnx(EllipticEnvelope(random_state=0).fit(X_train), X_test[:1], options={"zipmap2": True})


def test_wrong_number_of_features_is_an_error():
    X_train, X_test = data("gaussian")
    with pytest.raises(OnnxAlgebraError, match="fitted on 6 features but X has 4"):
        to_onnx(OAS().fit(X_train), X_test[:1, :4])


def test_a_non_finite_precision_is_an_error():
    X_train, X_test = data("gaussian")
    est = EmpiricalCovariance().fit(X_train)
    est.precision_ = est.precision_.copy()
    est.precision_[0, 0] = np.nan
    with pytest.raises(OnnxAlgebraError, match="EmpiricalCovariance: its location or precision holds NaN"):
        to_onnx(est, X_test[:1])
