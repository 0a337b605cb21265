"""IsotonicRegression against scikit-learn (numpy.interp through scipy) on held-out data, in float32 and float64."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, check, run_onnx
from sklearn.isotonic import IsotonicRegression

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]


@cache
def data(decreasing=False):
    rng = np.random.RandomState(0)
    x = np.round(rng.uniform(-5, 5, 300), 2)  # repeated x values
    y = np.tanh(x) * (-1 if decreasing else 1) + rng.normal(0, 0.3, 300)
    return x, y


def held_out(est):
    """Fresh points inside and outside the range, and every threshold exactly (t == x[k])."""
    rng = np.random.RandomState(1)
    return np.concatenate([rng.uniform(-6, 6, 400), est.X_thresholds_, [est.X_min_, est.X_max_, -1e9, 1e9]])


def compare(est, t, dtype, expected=None, tolerance=None):
    """Run the graph on ``t`` ([N, 1]); NaN exactly where scikit-learn has NaN, the rest within the tolerance."""
    t = t.astype(dtype).reshape(-1, 1)
    model = to_onnx(est, t[:1])
    (got,) = run_onnx(model, {"X": t})
    expected = est.predict(t) if expected is None else expected
    assert got.dtype == dtype and got.shape == (len(t), 1)
    got = got.ravel()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    diff = np.abs(got[finite] - expected[finite]).max() / np.abs(expected[finite]).max()
    assert diff <= (tolerance or TOLERANCE[dtype]), diff
    return diff


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("increasing", [True, False, "auto"])
@pytest.mark.parametrize("out_of_bounds", ["nan", "clip"])
@pytest.mark.parametrize("decreasing_data", [False, True])
def test_isotonic(out_of_bounds, increasing, decreasing_data, dtype):
    x, y = data(decreasing_data)
    est = IsotonicRegression(increasing=increasing, out_of_bounds=out_of_bounds).fit(x, y)
    t = held_out(est)
    expected = est.predict(t.astype(dtype))
    assert np.isnan(expected).any() == (out_of_bounds == "nan")
    diff = compare(est, t, dtype, expected)
    if dtype == np.float64:
        assert diff == 0  # numpy.interp's arithmetic, bit for bit


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bounds", [(None, 0.5), (-0.3, None), (-0.3, 0.4)])
def test_y_min_y_max(bounds, dtype):
    x, y = data()
    est = IsotonicRegression(y_min=bounds[0], y_max=bounds[1], out_of_bounds="clip").fit(x, y)
    t = held_out(est)
    expected = est.predict(t)
    assert (bounds[0] is None or expected.min() >= bounds[0]) and (bounds[1] is None or expected.max() <= bounds[1])
    check(est, t.reshape(-1, 1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_raise_gives_nan_outside(dtype):
    # scikit-learn raises ValueError for a point outside [X_min_, X_max_]; the graph cannot: NaN there
    x, y = data()
    est = IsotonicRegression(out_of_bounds="raise").fit(x, y)
    t = held_out(est)
    outside = (t < est.X_min_) | (t > est.X_max_)
    with pytest.raises(ValueError):
        est.predict(t)
    expected = np.full(len(t), np.nan)
    expected[~outside] = est.predict(t[~outside].astype(dtype))
    compare(est, t, dtype, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_dimensional_input(dtype):
    x, y = data()
    est = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    t = held_out(est).astype(dtype)
    model = to_onnx(est, t[:1])  # X of shape [N]
    (got,) = run_onnx(model, {"X": t})
    assert got.shape == (len(t), 1)
    np.testing.assert_allclose(got.ravel(), est.predict(t), rtol=0, atol=TOLERANCE[dtype] * np.abs(est.predict(t)).max())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out_of_bounds", ["nan", "clip"])
def test_constant_model(out_of_bounds, dtype):
    # a single threshold: scikit-learn predicts the constant everywhere, even out of bounds
    est = IsotonicRegression(out_of_bounds=out_of_bounds).fit([1.0, 1.0, 1.0], [1.0, 2.0, 4.5])
    assert len(est.X_thresholds_) == 1
    compare(est, np.array([-10.0, 1.0, 2.5, 10.0]), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_flat_model(dtype):
    est = IsotonicRegression(out_of_bounds="nan").fit([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert len(est.X_thresholds_) == 2
    compare(est, np.array([-10.0, 1.0, 2.5, 3.0, 10.0]), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fitted_on_float32(dtype):
    x, y = data()
    est = IsotonicRegression(out_of_bounds="nan").fit(x.astype(np.float32), y.astype(np.float32))
    assert est.X_thresholds_.dtype == np.float32  # scipy's own formula, not numpy.interp
    # scikit-learn rounds every input to float32 and predicts in float32: float32's tolerance for both graphs
    compare(est, held_out(est), dtype, tolerance=TOLERANCE[np.float32])


def test_float32_comparisons_are_exact():
    # thresholds that float32 cannot hold: t just below/above them must fall where float64 puts them
    x = np.array([0.1, 0.2, 0.30000001, 0.4])
    est = IsotonicRegression(out_of_bounds="nan").fit(x, [0.0, 1.0, 5.0, 6.0])
    near = np.array([np.nextafter(np.float32(v), np.float32(d)) for v in x for d in (-1, 1)] + [np.float32(v) for v in x])
    compare(est, near, np.float32, est.predict(near.astype(np.float64)))


def test_two_columns_are_refused():
    x, y = data()
    est = IsotonicRegression().fit(x, y)
    with pytest.raises(OnnxAlgebraError, match=r"\[N\] or \[N, 1\]"):
        to_onnx(est, np.zeros((1, 2)))
