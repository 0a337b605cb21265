"""SimpleImputer, MissingIndicator and KNNImputer against scikit-learn on held-out rows with missing values."""

from functools import cache

import numpy as np
import pytest
from converter_checks import SKLEARN, check, needs_onnxruntime, needs_sklearn, run_onnx
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from test_converters_encoders import check_transform

from onnxalgebra import to_onnx

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

DTYPES = [np.float32, np.float64]
STRATEGIES = ["mean", "median", "most_frequent", "constant"]

# --- data: held-out rows the imputers never saw ---


@cache
def numbers():
    """Five columns of different scales with 20% NaN, column 3 all NaN in training; held-out rows with 30% NaN
    (some rows all NaN)."""
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 0.1, 1.0, 1000.0])
    train = np.round(rng.normal(size=(200, 5)) * scale, 2)
    train[rng.random(train.shape) < 0.2] = np.nan
    train[:, 3] = np.nan
    test = np.round(rng.normal(size=(60, 5)) * scale, 2)
    test[rng.random(test.shape) < 0.3] = np.nan
    test[:3] = np.nan
    return train, test


@cache
def continuous():
    """As :func:`numbers`, not rounded: no two distances are equal (KNNImputer's ties are scikit-learn's
    ``argpartition``'s choice)."""
    rng = np.random.default_rng(2)
    scale = np.array([1.0, 10.0, 0.1, 1.0, 1000.0])
    train = rng.normal(size=(200, 5)) * scale
    train[rng.random(train.shape) < 0.2] = np.nan
    train[:, 3] = np.nan
    test = rng.normal(size=(60, 5)) * scale
    test[rng.random(test.shape) < 0.3] = np.nan
    test[:3] = np.nan
    return train, test


@cache
def categories(missing):
    """Three string columns with ``missing`` in 20% of the cells (the last column only ``missing`` in training);
    held-out rows with unseen strings."""
    rng = np.random.default_rng(1)
    train = rng.choice(np.array(["a", "b", "c", "dd"], dtype=object), size=(100, 3), p=[0.4, 0.3, 0.2, 0.1])
    train[rng.random(train.shape) < 0.2] = missing
    train[:, 2] = missing
    test = rng.choice(np.array(["a", "b", "zz", "", missing], dtype=object), size=(40, 3))
    return train, test


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keep_empty_features", [False, True])
@pytest.mark.parametrize("add_indicator", [False, True])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_imputer(strategy, add_indicator, keep_empty_features, dtype):
    train, test = numbers()
    est = SimpleImputer(strategy=strategy, add_indicator=add_indicator, keep_empty_features=keep_empty_features)
    check_transform(est.fit(train), test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("missing_values", [-1, -1.5, np.float64(0.1)])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_imputer_numeric_missing_value(strategy, missing_values, dtype):
    # missing_values a number: a Python number compares in X's dtype, a numpy float64 in float64 (0.1 is no float32)
    train, test = (np.nan_to_num(x, nan=missing_values) for x in numbers())
    est = SimpleImputer(strategy=strategy, missing_values=missing_values, fill_value=7, add_indicator=True).fit(train)
    check_transform(est, test, dtype)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_imputer_integers(strategy):
    # integers stay int64 with most_frequent and constant; mean and median give floats (float32 here)
    train, test = (np.nan_to_num(x, nan=-1).astype(np.int64) for x in numbers())
    est = SimpleImputer(strategy=strategy, missing_values=-1, fill_value=99, add_indicator=True).fit(train)
    check_transform(est, test)


@pytest.mark.parametrize("keep_empty_features", [False, True])
@pytest.mark.parametrize("add_indicator", [False, True])
@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
@pytest.mark.parametrize("missing", ["", None, np.nan])
def test_simple_imputer_strings(missing, strategy, add_indicator, keep_empty_features):
    # object arrays of strings: None and np.nan reach the model as 'None' and 'nan' (onnxruntime's str of them)
    train, test = categories(missing)
    est = SimpleImputer(
        strategy=strategy,
        missing_values=missing,
        fill_value=None if keep_empty_features else "?",
        add_indicator=add_indicator,
        keep_empty_features=keep_empty_features,
    ).fit(train)
    check_transform(est, test)


@pytest.mark.parametrize("features", ["missing-only", "all"])
def test_missing_indicator(features):
    train, test = numbers()
    train = train.copy()
    train[:, 1] = np.nan_to_num(train[:, 1])  # a column without missing values in training
    for X in (train, test):
        for dtype in DTYPES:
            check_transform(MissingIndicator(features=features, error_on_new=False).fit(train), X, dtype)
    strings_train, strings_test = categories(None)
    check_transform(MissingIndicator(features=features, missing_values=None).fit(strings_train), strings_test)
    integers = np.nan_to_num(train, nan=-1).astype(np.int64)
    check_transform(MissingIndicator(features=features, missing_values=-1, sparse=True).fit(integers), integers)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keep_empty_features", [False, True])
@pytest.mark.parametrize("n_neighbors", [1, 5])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_imputer(weights, n_neighbors, keep_empty_features, dtype):
    # training rows with NaN in every column (a different set of donors per column), one column always NaN;
    # held-out rows with NaN, some with every value NaN (the column's training mean)
    train, test = continuous()
    est = KNNImputer(n_neighbors=n_neighbors, weights=weights, keep_empty_features=keep_empty_features, add_indicator=True)
    check_transform(est.fit(train), test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_knn_imputer_numeric_missing_value(dtype):
    train, test = (np.nan_to_num(x, nan=-999.0) for x in continuous())
    for weights in ("uniform", "distance"):
        check_transform(KNNImputer(missing_values=-999.0, weights=weights).fit(train), test, dtype)


# scikit-learn 1.3's KNNImputer with uniform weights averages the donors whose distance is NaN (no feature in common)
# too; later versions give them weight 0, as the model does (its source: weight_matrix None, no NaN-distance mask)
UNIFORM_NAN_DONORS = "scikit-learn 1.3 weighs NaN-distance donors 1 with uniform weights (measured: up to 3.9e-4 relative)"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.xfail(SKLEARN < (1, 4), strict=True, reason=UNIFORM_NAN_DONORS)
def test_knn_imputer_more_neighbours_than_donors(dtype):
    # 8 training rows, 3 of them without column 0: fewer donors than n_neighbors
    train, test = continuous()
    small = train[:8].copy()
    small[:3, 0] = np.nan
    small[:, 3] = np.arange(8.0)
    check_transform(KNNImputer(n_neighbors=6).fit(small), test, dtype)
    check_transform(KNNImputer(n_neighbors=20, weights="distance").fit(small), test, dtype)


def test_knn_imputer_graph():
    # one search for every missing value, however many columns: float64, scikit-learn's formula (three MatMuls and
    # the count's) and one TopK; float32, two MatMuls (a ranking), then one TopK of candidates and one of the
    # exactly measured ones; NonZero lists the missing values, ScatterND writes them back
    train, test = continuous()
    complete = KNNImputer().fit(np.nan_to_num(train[:, :3]))
    for est, X in ((complete, test[:1, :3]), (KNNImputer().fit(train), test[:1])):
        ops64 = [n.op_type for n in to_onnx(est, X).graph.node]
        assert (ops64.count("MatMul"), ops64.count("TopK"), ops64.count("NonZero"), ops64.count("ScatterND")) == (4, 1, 1, 1)
        ops32 = [n.op_type for n in to_onnx(est, X.astype(np.float32)).graph.node]
        assert (ops32.count("MatMul"), ops32.count("TopK"), ops32.count("NonZero"), ops32.count("ScatterND")) == (2, 2, 1, 1)


@needs_onnxruntime("1.18", "1.17 stops the process (SIGFPE) on this model's empty searches")
@pytest.mark.parametrize("dtype", DTYPES)
def test_knn_imputer_nothing_missing(dtype):
    # a batch without a missing value (no pair to impute: empty searches), one row, and no row at all
    train, test = continuous()
    est = KNNImputer(add_indicator=True).fit(train)
    complete = np.nan_to_num(test[3:13])
    for rows in (complete, complete[:1]):
        check_transform(est, rows, dtype)
    model = to_onnx(est, complete[:1].astype(dtype))
    (empty,) = run_onnx(model, {"X": complete[:0].astype(dtype)})
    assert empty.shape == (0, est.transform(complete[:1]).shape[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("imputer", ["simple", "knn"])
def test_imputer_pipeline(imputer, dtype):
    train, test = continuous()
    y = (np.nan_to_num(train[:, 0]) + np.nan_to_num(train[:, 1]) / 10 > 0).astype(int)
    first = SimpleImputer(add_indicator=True) if imputer == "simple" else KNNImputer(weights="distance")
    pipe = make_pipeline(first, StandardScaler(), LogisticRegression()).fit(train, y)
    check(pipe, test, dtype)


def test_object_array_imputer_pipeline():
    # impute strings, then one-hot encode them: an object array sample, a string input
    train, test = categories(None)
    pipe = make_pipeline(
        SimpleImputer(strategy="most_frequent", missing_values=None, add_indicator=True),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    ).fit(train)
    check_transform(pipe, test)


# --- the audit of issue 12: integer types, object arrays of numbers, callables, float32 statistics ---

INTEGER_TYPES = [np.int64, np.int32, np.uint8, np.int8, np.uint16, np.uint64]


@pytest.mark.parametrize("integer", INTEGER_TYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_imputer_integer_types(strategy, integer):
    # most_frequent and constant keep X's integer type (onnxruntime's Where lacks int8, uint16, uint64: computed in
    # int64 and cast back); mean and median give the computation dtype (float32) where scikit-learn gives float64
    train, test = (np.nan_to_num(x, nan=-1) for x in numbers())
    train, test = ((np.clip(np.abs(x) + 1, 0, 100) * (x != -1)).astype(integer) for x in (train, test))  # 0: missing
    fill_value = integer(99) if strategy == "constant" else None
    est = SimpleImputer(strategy=strategy, missing_values=0, fill_value=fill_value, add_indicator=True).fit(train)
    expected = est.transform(test)
    if strategy in ("most_frequent", "constant"):
        assert expected.dtype == integer
        (got,) = run_onnx(to_onnx(est, test[:1]), {"X": test})
        assert got.dtype == integer
        np.testing.assert_array_equal(got, expected)
    else:
        check_transform(est, test)


@needs_sklearn("1.5", "SimpleImputer(strategy=<callable>)")
def test_simple_imputer_callable_strategy():
    train, test = numbers()
    est = SimpleImputer(strategy=lambda column: np.max(column, initial=-5.0) - 1.0, keep_empty_features=True).fit(train)
    for dtype in DTYPES:
        check_transform(est, test, dtype)


@pytest.mark.parametrize("strategy", ["mean", "median"])
def test_simple_imputer_object_array_of_numbers(strategy):
    # an object array of floats is a string tensor for onnxruntime; mean and median parse it, as scikit-learn converts
    # it to float64 (the model computes in float32 unless dtype=np.float64 is asked)
    train, test = (x.astype(object) for x in numbers())
    est = SimpleImputer(strategy=strategy, add_indicator=True).fit(train)
    check_transform(est, test)
    model = to_onnx(est, test[:1], dtype=np.float64)
    (got,) = run_onnx(model, {"X": test})
    np.testing.assert_allclose(got, est.transform(test), rtol=1e-15)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_simple_imputer_float32_fit_float64_input(strategy):
    # statistics fitted on float32 data, applied to float64 rows (and float64 statistics to float32 rows)
    train, test = numbers()
    est32 = SimpleImputer(strategy=strategy, fill_value=0.1).fit(train.astype(np.float32))
    est64 = SimpleImputer(strategy=strategy, fill_value=0.1).fit(train)
    for dtype in DTYPES:
        check_transform(est32, test, dtype)
        check_transform(est64, test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("features", ["missing-only", "all"])
def test_missing_indicator_numeric_missing_value(features, dtype):
    train, test = (np.nan_to_num(x, nan=-1.5) for x in numbers())
    train = train.copy()
    train[:, 1] = np.abs(train[:, 1])  # a column without missing values in training
    est = MissingIndicator(features=features, missing_values=-1.5, error_on_new=False).fit(train)
    assert len(est.features_) == (5 if features == "all" else 4)
    check_transform(est, test, dtype)


def test_missing_indicator_missing_strings():
    for missing in ("", np.nan):
        train, test = categories(missing)
        for features in ("missing-only", "all"):
            check_transform(MissingIndicator(features=features, missing_values=missing, error_on_new=False).fit(train), test)


@pytest.mark.parametrize("dtype", DTYPES)
def test_knn_imputer_several_missing_and_all_missing_rows(dtype):
    # rows missing 1, 2, 3 and all 4 of their values; n_neighbors 2 and 3 with both weightings
    rng = np.random.default_rng(6)
    train = rng.normal(size=(60, 4)) * [1.0, 5.0, 0.2, 30.0]
    train[rng.random(train.shape) < 0.1] = np.nan
    test = rng.normal(size=(12, 4)) * [1.0, 5.0, 0.2, 30.0]
    for row in range(12):
        test[row, rng.permutation(4)[: row % 5]] = np.nan
    assert np.isnan(test).all(axis=1).any() and (np.isnan(test).sum(axis=1) == 3).any()
    for n_neighbors in (2, 3):
        for weights in ("uniform", "distance"):
            check_transform(KNNImputer(n_neighbors=n_neighbors, weights=weights).fit(train), test, dtype)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_imputer_fitted_on_float32(weights, request):
    if SKLEARN < (1, 4) and weights == "uniform":
        request.applymarker(pytest.mark.xfail(strict=True, reason=UNIFORM_NAN_DONORS))
    # fitted on float32 rows: float64 rows as scikit-learn imputes them (its column means in float32); float32
    # rows as scikit-learn imputes the same values in float64 (its own float32 distances cancel, see the module)
    train, test = continuous()
    est = KNNImputer(weights=weights, add_indicator=True).fit(train.astype(np.float32))
    check_transform(est, test, np.float64)
    test32 = test.astype(np.float32)
    in_float64 = KNNImputer(weights=weights, add_indicator=True).fit(train.astype(np.float32).astype(np.float64))
    check_transform(est, test32, expected=in_float64.transform(test32.astype(np.float64)))


@pytest.mark.parametrize("add_indicator", [False, True])
def test_float32_nan_imputation_is_one_imputer_node(add_indicator):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 2] = np.nan  # a column scikit-learn drops
    est = SimpleImputer(add_indicator=add_indicator).fit(X[:40])
    check(est, X[40:], np.float32)
    ops = [node.op_type for node in check.last_model.graph.node]
    assert ops.count("Imputer") == 1 and "Where" not in ops, ops
    check(est, X[40:], np.float64)  # no float64 kernel for Imputer: IsNaN and Where
    assert "Imputer" not in [node.op_type for node in check.last_model.graph.node]
