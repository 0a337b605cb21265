"""KBinsDiscretizer against scikit-learn on held-out data, values outside the fitted range and on the edges."""

import warnings
from functools import cache

import numpy as np
import pytest
from converter_checks import SKLEARN, check, needs_sklearn, run_onnx
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer
from test_converters_encoders import check_transform

from onnxalgebra import to_onnx

# quantile_method is new in scikit-learn 1.7; "linear" is what older versions compute
LINEAR = {"quantile_method": "linear"} if SKLEARN >= (1, 7) else {}

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

DTYPES = [np.float32, np.float64]
STRATEGIES = ["uniform", "quantile", "kmeans"]
ENCODINGS = ["ordinal", "onehot", "onehot-dense"]

# --- data: held-out rows spread wider than the training rows ---


@cache
def spread():
    """Four columns of different scales (one of few distinct values); held-out rows twice as spread."""
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 0.01, 1000.0])
    train = rng.normal(size=(300, 4)) * scale + [0.0, 5.0, 1.0, -500.0]
    train[:, 2] = np.round(train[:, 2], 2)
    test = rng.normal(size=(100, 4)) * scale * 2 + [0.0, 5.0, 1.0, -500.0]
    return train, test


def on_the_edges(est, dtype):
    """Every inner edge, in ``dtype``, and the values just below and above it (rows of X)."""
    columns = []
    for edges in est.bin_edges_:
        near = []
        for e in np.asarray(edges, dtype=np.float64)[1:-1]:
            v = dtype(e)
            near += [np.nextafter(v, dtype(-np.inf)), v, np.nextafter(v, dtype(np.inf))]
        columns.append(near)
    width = max(len(c) for c in columns)
    return np.array([c + c[:1] * (width - len(c)) if c else [dtype(0)] * width for c in columns], dtype=dtype).T


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("encode", ENCODINGS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_kbins_discretizer(strategy, encode, dtype):
    train, test = spread()
    est = KBinsDiscretizer(n_bins=[3, 5, 4, 7], strategy=strategy, encode=encode, subsample=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(train)
    check_transform(est, test, dtype)
    # on the edges: scikit-learn compares float32 values with the float64 edges in float64
    check_transform(est, on_the_edges(est, dtype))
    check_transform(est, np.array([[-3e38, -1e30, 3e38, 1e30], [3e38, 1e30, -3e38, -1e30]]), dtype)  # far outside


@needs_sklearn("1.7", "KBinsDiscretizer(quantile_method='averaged_inverted_cdf')")
def test_kbins_discretizer_float32_fit():
    # fitted on float32: float32 edges, float64 values
    train, test = spread()
    est = KBinsDiscretizer(n_bins=6, strategy="quantile", quantile_method="averaged_inverted_cdf").fit(train.astype(np.float32))
    for dtype in DTYPES:
        check_transform(est, test, dtype)
        check_transform(est, on_the_edges(est, dtype))


@pytest.mark.parametrize("encode", ["ordinal", "onehot"])
def test_kbins_discretizer_integers(encode):
    # an int64 input compares with ceil(edge) in int64; the output is float32
    rng = np.random.default_rng(1)
    train = rng.integers(-50, 50, size=(200, 3)) * [1, 3, 100]
    test = np.concatenate([rng.integers(-200, 200, size=(100, 3)) * [1, 3, 100], [[np.iinfo(np.int64).max] * 3]])
    est = KBinsDiscretizer(n_bins=[4, 5, 7], encode=encode, strategy="uniform").fit(train)
    check_transform(est, test, expected=est.transform(test.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kbins_discretizer_single_bin(dtype):
    # a constant column gets one bin; quantiles of few distinct values lose the bins of width 0
    train, test = spread()
    train = train.copy()
    train[:, 0] = 2.0
    for encode in ENCODINGS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = KBinsDiscretizer(n_bins=10, strategy="quantile", encode=encode, **LINEAR).fit(train)
        assert est.n_bins_[0] == 1 and est.n_bins_[2] < 10
        check_transform(est, test, dtype)


def test_kbins_discretizer_graph():
    train, test = spread()
    ops = [n.op_type for n in to_onnx(KBinsDiscretizer(n_bins=[3, 5, 4, 7], encode="ordinal").fit(train), test[:1]).graph.node]
    assert ops == ["Unsqueeze", "GreaterOrEqual", "Cast", "ReduceSum"], ops


@pytest.mark.parametrize("dtype", DTYPES)
def test_kbins_discretizer_pipeline(dtype):
    train, test = spread()
    y = (train[:, 0] + train[:, 1] / 10 > 0.5).astype(int)
    pipe = make_pipeline(KBinsDiscretizer(n_bins=5, **LINEAR), LogisticRegression()).fit(train, y)
    check(pipe, test, dtype)


# --- the audit of issue 12: other input types, the discretizer's dtype ---


@pytest.mark.parametrize("integer", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_kbins_discretizer_integer_types(strategy, integer):
    # integers compare with ceil(edge): bins as scikit-learn's on the same values as float64, in float32
    rng = np.random.default_rng(2)
    train = rng.integers(0, 120, size=(200, 3))
    test = np.concatenate([rng.integers(0, 255, size=(60, 3)), [[0, 0, 0], [254, 254, 254]]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = KBinsDiscretizer(n_bins=[3, 6, 4], encode="onehot-dense", strategy=strategy, random_state=0).fit(train)
    for X in (test, on_the_edges(est, np.float64).round()):
        X = X.astype(integer)
        check_transform(est, X, expected=est.transform(X.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("encode", ENCODINGS)
def test_kbins_discretizer_object_array_of_numbers(encode):
    # an object array of numbers is a string tensor: parsed into the computation dtype, as check_array converts it
    train, test = spread()
    est = KBinsDiscretizer(n_bins=4, encode=encode, strategy="uniform").fit(train)
    held_out = np.round(test, 3)  # values whose float32 rounding stays in the float64 bin
    check_transform(est, held_out.astype(object), expected=est.transform(held_out))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("discretizer_dtype", [np.float32, np.float64])
def test_kbins_discretizer_dtype_gives_the_same_bins(discretizer_dtype, dtype):
    # KBinsDiscretizer(dtype=...): the same bins as scikit-learn's, in the computation dtype
    train, test = spread()
    for encode in ENCODINGS:
        est = KBinsDiscretizer(n_bins=5, encode=encode, dtype=discretizer_dtype, **LINEAR).fit(train)
        expected = est.transform(test.astype(dtype))
        expected = expected.toarray() if hasattr(expected, "toarray") else expected
        assert expected.dtype == discretizer_dtype
        check_transform(est, test, dtype, expected=expected.astype(dtype))


def test_kbins_discretizer_nan_goes_to_the_first_bin():
    # scikit-learn rejects NaN; the model gives it the first bin (documented), not an error at run time
    train, test = spread()
    est = KBinsDiscretizer(n_bins=5, encode="ordinal", **LINEAR).fit(train)
    X = test[:4].copy()
    X[:, 1] = np.nan
    (got,) = run_onnx(to_onnx(est, X[:1]), {"X": X})
    assert (got[:, 1] == 0).all()
    np.testing.assert_array_equal(got[:, [0, 2, 3]], est.transform(test[:4])[:, [0, 2, 3]])
