"""Naive Bayes converters against scikit-learn on held-out data, in float32 and float64."""

import warnings
from functools import cache

import numpy as np
import pytest
from converter_checks import binary, check, iris_names, multiclass, run_onnx
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import CategoricalNB, ComplementNB, GaussianNB, MultinomialNB

from onnxalgebra import to_onnx

DTYPES = [np.float32, np.float64]
CLASSIFICATION = {"binary": binary, "multiclass": multiclass, "strings": iris_names}


@cache
def counts(labels):
    """Pixel counts 0..16 of the digits (bundled with scikit-learn), labels 0..9 or their names."""
    X, y = load_digits(return_X_y=True)
    if labels == "str":
        y = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])[y]
    elif labels == "binary":
        y = (y >= 5).astype(np.int64) * 7 - 2  # labels -2, 5
    return train_test_split(X, y, random_state=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", list(CLASSIFICATION))
@pytest.mark.parametrize("var_smoothing", [1e-9, 1e-2])
def test_gaussian_nb(var_smoothing, data, dtype):
    X_train, X_test, y_train, _ = CLASSIFICATION[data]()
    est = GaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_nb_priors(dtype):
    X_train, X_test, y_train, _ = multiclass()
    est = GaussianNB(priors=[0.1, 0.2, 0.3, 0.4]).fit(X_train, y_train)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", ["int", "str", "binary"])
@pytest.mark.parametrize("alpha", [1.0, 0.1])
@pytest.mark.parametrize("model", [MultinomialNB, ComplementNB])
def test_multinomial_complement_nb(model, alpha, labels, dtype):
    X_train, X_test, y_train, _ = counts(labels)
    est = model(alpha=alpha).fit(X_train, y_train)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_complement_nb_norm(labels, dtype):
    X_train, X_test, y_train, _ = counts(labels)
    est = ComplementNB(norm=True).fit(X_train, y_train)
    assert not np.allclose(est.feature_log_prob_, ComplementNB().fit(X_train, y_train).feature_log_prob_)
    check(est, X_test, dtype)


@pytest.mark.parametrize("model", [MultinomialNB, ComplementNB])
def test_discrete_nb_single_class(model):
    X_train, X_test, y_train, _ = counts("int")
    est = model().fit(X_train, np.full(len(y_train), 4))
    check(est, X_test, np.float64)


@cache
def categories(labels):
    """Category indices: the digits' pixels in 4 bins (0..3) and 5 bins (0..4) for odd pixels."""
    X_train, X_test, y_train, y_test = counts(labels)
    bins = np.where(np.arange(X_train.shape[1]) % 2, 5, 4)
    return (
        np.minimum(X_train * bins / 16, bins - 1).astype(int),
        np.minimum(X_test * bins / 16, bins - 1).astype(int),
        y_train,
        y_test,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", ["int", "str", "binary"])
@pytest.mark.parametrize("min_categories", [None, 6])
def test_categorical_nb(min_categories, labels, dtype):
    X_train, X_test, y_train, _ = categories(labels)
    est = CategoricalNB(min_categories=min_categories).fit(X_train, y_train)
    # categories that only min_categories knows: smoothing alone, as scikit-learn
    X_test = np.minimum(X_test, est.n_categories_ - 1)  # within what scikit-learn accepts
    if min_categories:
        X_test[::3, 5] = 5
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


def test_categorical_nb_unknown_category():
    X_train, X_test, y_train, _ = categories("int")
    est = CategoricalNB().fit(X_train, y_train)
    model = to_onnx(est, X_test[:1].astype(np.float32))
    for bad in (est.n_categories_[3], -1):
        X = X_test[:4].astype(np.float32)
        X[1, 3] = bad
        with pytest.raises((IndexError, ValueError)):
            est.predict(X)
        with pytest.raises(InvalidArgument, match="indices element out of data bounds"):
            run_onnx(model, {"X": X})
    # the row of the next feature is not read instead: each feature has its own range
    X = X_test[:4].astype(np.float32)
    label, _ = run_onnx(model, {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))


def test_categorical_nb_integer_input():
    # category indices given as int64: the graph takes them as they are (float32 computation)
    X_train, X_test, y_train, _ = categories("str")
    est = CategoricalNB().fit(X_train, y_train)
    X = np.minimum(X_test, est.n_categories_ - 1).astype(np.int64)
    model = to_onnx(est, X[:1])
    assert model.graph.input[0].type.tensor_type.elem_type == 7  # int64
    label, proba = run_onnx(model, {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_nb_zero_alpha(dtype):
    # alpha=0: a category never seen with a class has log probability -inf (the graph sums with ReduceSum, not the
    # Gemm of finite tables, where -inf * 0 would be NaN)
    X_train, X_test, y_train, _ = categories("int")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = CategoricalNB(alpha=0.0, force_alpha=True).fit(X_train, y_train)
        X_test = np.minimum(X_test, est.n_categories_ - 1)
        expected = est.predict_proba(X_test)
    assert not all(np.isfinite(p).all() for p in est.feature_log_prob_)
    label, proba = run_onnx(to_onnx(est, X_test[:1].astype(dtype)), {"X": X_test.astype(dtype)})
    finite = np.isfinite(expected).all(axis=1)
    assert finite.sum() > 10
    np.testing.assert_array_equal(label[finite], est.predict(X_test)[finite])
    np.testing.assert_allclose(proba[finite], expected[finite], atol=1e-5 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_nb_feature_groups(dtype):
    """Features of 2 to 1,500 categories: some gathered by groups (a table of every combination), a wide one alone
    (more than GROUP_ROWS categories); non-integer values truncate as scikit-learn's int conversion (-0.5 is 0);
    an empty batch; an unknown category in each column raises, first and last column of a group included."""
    from onnxalgebra_converters.scikit_learn.naive_bayes import GROUP_ROWS, _feature_groups

    rng = np.random.default_rng(3)
    levels = np.array([3, 5, 2, 40, 1500, 7, 7, 7, 6])
    X = rng.integers(0, levels, size=(3000, len(levels)))
    y = (X[:, 0] + X[:, 3] % 3 + (X[:, 4] > 700) + rng.integers(0, 2, len(X))) % 3
    est = CategoricalNB(min_categories=levels).fit(X[:2000], y[:2000])
    groups = _feature_groups(est.n_categories_)
    assert groups == [[0, 1, 2], [3], [4], [5, 6, 7], [8]] and GROUP_ROWS == 1024
    X_test = X[2000:].astype(dtype) + rng.uniform(0, 0.99, (1000, len(levels))).astype(dtype)
    X_test[:20, 0] = -0.5
    X_test = np.minimum(X_test, levels - 0.01).astype(dtype)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}
    model = to_onnx(est, X_test[:1])
    label, proba = run_onnx(model, {"X": X_test[:0]})
    assert label.shape == (0,) and proba.shape == (0, 3)
    for column in range(len(levels)):
        for bad in (levels[column], -1, np.nan):
            X_bad = X_test[:5].copy()
            X_bad[2, column] = bad
            with pytest.raises((IndexError, ValueError)):
                est.predict(X_bad)
            with pytest.raises(InvalidArgument, match="indices element out of data bounds"):
                run_onnx(model, {"X": X_bad})
