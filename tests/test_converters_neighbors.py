"""Nearest neighbours against scikit-learn on held-out data, in float32 and float64: KNeighbors and RadiusNeighbors
classifiers and regressors (every metric, both weights, ties, outliers), NearestCentroid, LocalOutlierFactor
(novelty) and KernelDensity (every kernel)."""

import math
import warnings
from functools import cache

import numpy as np
import pytest
from converter_checks import SKLEARN, TOLERANCE, binary, check, iris_names, multiclass, run_onnx
from onnxalgebra_converters.scikit_learn.neighbors import log_kernel_norm
from sklearn.datasets import make_regression
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import train_test_split
from sklearn.neighbors import (
    KernelDensity,
    KNeighborsClassifier,
    KNeighborsRegressor,
    LocalOutlierFactor,
    NearestCentroid,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
)

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]
DTYPE_IDS = ["float32", "float64"]
rng = np.random.RandomState(0)
W8 = rng.uniform(0.5, 2.0, 8)
V8 = rng.uniform(0.5, 2.0, 8)
A8 = rng.randn(8, 8)
VI8 = A8 @ A8.T + 8 * np.eye(8)

METRICS = {
    "euclidean": dict(),
    "euclidean-brute": dict(algorithm="brute"),
    "sqeuclidean": dict(metric="sqeuclidean"),
    "manhattan": dict(metric="manhattan"),
    "cityblock": dict(metric="cityblock", algorithm="brute"),
    "l1": dict(metric="l1", algorithm="ball_tree"),
    "chebyshev": dict(metric="chebyshev"),
    "infinity": dict(metric="infinity", algorithm="ball_tree"),
    "minkowski-p1": dict(p=1),
    "minkowski-p3": dict(p=3),
    "minkowski-p1.5-brute": dict(p=1.5, algorithm="brute"),
    "minkowski-p0.5": dict(p=0.5, algorithm="brute"),
    "minkowski-w": dict(metric="minkowski", metric_params={"w": W8}, algorithm="brute"),
    "minkowski-p3-w": dict(metric="minkowski", p=3, metric_params={"w": W8}, algorithm="ball_tree"),
    "seuclidean": dict(metric="seuclidean", metric_params={"V": V8}, algorithm="brute"),
    "mahalanobis": dict(metric="mahalanobis", metric_params={"VI": VI8}, algorithm="brute"),
    "cosine": dict(metric="cosine"),
}


def _fit(cls, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # minkowski p < 1: "not a distance metric"
        return cls(**kw).fit(X, y)


# every metric with one weighting (both for euclidean and manhattan), alternating: fewer runs, every option
METRIC_WEIGHTS = [(m, w) for i, m in enumerate(METRICS) for w in ("uniform", "distance") if i < 4 or i % 2 == (w == "distance")]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("metric, weights", METRIC_WEIGHTS)
def test_kneighbors_classifier_metrics(metric, weights, dtype):
    X_train, X_test, y_train, _ = multiclass()
    est = _fit(KNeighborsClassifier, X_train, y_train, n_neighbors=7, weights=weights, **METRICS[metric])
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev", "minkowski-p3", "cosine", "mahalanobis"])
def test_kneighbors_regressor_metrics(metric, weights, dtype):
    X_train, X_test, y_train, _ = multiclass()
    y = np.c_[y_train * 0.5, np.sin(X_train[:, 0])] if metric == "euclidean" else y_train * 0.5  # 2 targets
    est = _fit(KNeighborsRegressor, X_train, y, n_neighbors=6, weights=weights, **METRICS[metric])
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("data", ["binary", "iris-strings"])
def test_kneighbors_classifier_binary_and_strings(data, dtype):
    X_train, X_test, y_train, _ = binary() if data == "binary" else iris_names()
    for weights in ("uniform", "distance"):
        est = KNeighborsClassifier(n_neighbors=4, weights=weights).fit(X_train, y_train)  # even k: vote ties
        check(est, X_test, dtype)
    label = run_onnx(check.last_model, {"X": X_test.astype(dtype)})[0]
    assert label.dtype.kind == ("i" if data == "binary" else "O")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_kneighbors_zero_distances(dtype):
    """Rows equal to training rows: weights='distance' gives those neighbours 1 and the others 0."""
    X_train, X_test, y_train, _ = multiclass()
    X = np.vstack([X_train[:20].astype(dtype).astype(np.float64), X_test[:20]])
    for cls, y in ((KNeighborsClassifier, y_train), (KNeighborsRegressor, y_train * 0.5)):
        est = cls(n_neighbors=5, weights="distance").fit(X_train, y)
        check(est, X, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_kneighbors_close_points_float32_refinement(dtype):
    """Large coordinates, close rows: |x|**2 - 2 x.y + |y|**2 cancels in float32; the candidates are re-measured."""
    X_train, X_test, y_train, _ = multiclass()
    offset = 1000.0
    X_train, X_test = X_train * 0.01 + offset, X_test * 0.01 + offset
    X_train, X_test = X_train.astype(dtype).astype(np.float64), X_test.astype(dtype).astype(np.float64)
    for weights in ("uniform", "distance"):
        check(KNeighborsRegressor(n_neighbors=5, weights=weights).fit(X_train, y_train * 0.5), X_test, dtype)
        check(KNeighborsClassifier(n_neighbors=5, weights=weights).fit(X_train, y_train), X_test, dtype)


@cache
def grid():
    """Rows on an integer grid: many exactly equal distances."""
    r = np.random.RandomState(3)
    X = r.randint(0, 4, size=(120, 3)).astype(np.float64)
    y = r.randint(0, 3, size=120)
    X_test = r.randint(0, 4, size=(60, 3)).astype(np.float64)
    return X, y, X_test


def _oracle(X, y, X_test, k, weights, metric, **kw):
    """numpy: the k first training rows by (distance, position), their weighted votes."""
    D = pairwise_distances(X_test, X, metric=metric, **kw)
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    d = np.take_along_axis(D, order, axis=1)
    if weights == "uniform":
        w = np.ones_like(d)
    else:
        with np.errstate(divide="ignore"):
            w = 1 / d
        zero_row = (d == 0).any(axis=1)
        w[zero_row] = (d[zero_row] == 0) * 1.0
    votes = np.zeros((len(X_test), y.max() + 1))
    for j in range(k):
        votes[np.arange(len(X_test)), y[order[:, j]]] += w[:, j]
    tie = np.sort(D, axis=1)[:, k - 1] == np.sort(D, axis=1)[:, k]  # equal distances across the k-th place
    return votes.argmax(axis=1), votes / votes.sum(axis=1, keepdims=True), tie


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev", "minkowski-p3"])
def test_ties_first_training_rows(metric, weights, dtype):
    """Equal distances across the k-th place: the model takes the first training rows (numpy's stable argsort);
    scikit-learn's choice depends on its heap (brute) or tree (kd_tree, ball_tree) and can differ: the rows
    without such a tie agree with scikit-learn, whatever its algorithm."""
    X, y, X_test = grid()
    kw = {k: v for k, v in METRICS[metric].items() if k != "algorithm"}
    label, proba, tie = _oracle(X, y, X_test, 5, weights, kw.get("metric", "minkowski"), **({"p": kw["p"]} if "p" in kw else {}))
    assert tie.sum() > 10  # the test has ties at the boundary
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        est = KNeighborsClassifier(n_neighbors=5, weights=weights, algorithm=algorithm, **kw).fit(X, y)
        got_label, got_proba = run_onnx(to_onnx(est, X_test[:1].astype(dtype)), {"X": X_test.astype(dtype)})
        np.testing.assert_array_equal(got_label, label)
        np.testing.assert_allclose(got_proba, proba, rtol=0, atol=TOLERANCE[dtype])
        np.testing.assert_array_equal(got_label[~tie], est.predict(X_test[~tie]))
        np.testing.assert_allclose(got_proba[~tie], est.predict_proba(X_test[~tie]), rtol=0, atol=TOLERANCE[dtype])


def test_ties_scikit_learn_differs_documented():
    """The remaining difference: on tied rows scikit-learn's neighbours are not the first training rows."""
    X, y, X_test = grid()
    _, _, tie = _oracle(X, y, X_test, 5, "uniform", "euclidean")
    D = pairwise_distances(X_test, X)
    first = [set(r) for r in np.argsort(D, axis=1, kind="stable")[:, :5]]
    for algorithm in ("brute", "kd_tree"):
        found = KNeighborsClassifier(n_neighbors=5, algorithm=algorithm).fit(X, y).kneighbors(X_test, return_distance=False)
        differ = np.array([set(r) != f for r, f in zip(found, first, strict=True)])
        assert differ.any() and not (differ & ~tie).any()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_radius_neighbors(metric, weights, dtype):
    X_train, X_test, y_train, _ = multiclass()
    radius = {"euclidean": 3.5, "manhattan": 9.0, "cosine": 0.3}[metric]
    kw = dict(radius=radius, weights=weights, metric=metric)
    X_test = np.vstack([X_test, X_test[:5] * 5 + 3])  # rows far from every training row
    clf = RadiusNeighborsClassifier(outlier_label="most_frequent", **kw).fit(X_train, y_train)
    check(clf, X_test, dtype)
    reg = RadiusNeighborsRegressor(**kw).fit(X_train, y_train * 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "One or more samples have no neighbors within specified radius"
        expected = reg.predict(X_test.astype(dtype))
    got = run_onnx(to_onnx(reg, X_test[:1].astype(dtype)), {"X": X_test.astype(dtype)})[0].ravel()
    empty = np.isnan(expected)
    assert empty.any() and not empty.all()  # rows without neighbours: NaN, as scikit-learn
    np.testing.assert_array_equal(np.isnan(got), empty)
    assert np.abs(got[~empty] - expected[~empty]).max() <= TOLERANCE[dtype] * np.abs(expected[~empty]).max()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_radius_classifier_outlier_labels(dtype):
    X_train, X_test, y_train, _ = multiclass()
    X_test = np.vstack([X_test, X_test[:5] * 5 + 3])
    for outlier_label in (13, "most_frequent", -1):  # a class, the most frequent, not a class (probabilities 0)
        clf = RadiusNeighborsClassifier(radius=3.5, outlier_label=outlier_label).fit(X_train, y_train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # -1 is not a class
            check(clf, X_test, dtype)
    X_train, X_test, y_train, _ = iris_names()
    clf = RadiusNeighborsClassifier(radius=0.4, outlier_label="unknown", weights="distance").fit(X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "unknown" in set(clf.predict(X_test))
        check(clf, X_test, dtype)


def test_radius_classifier_without_outlier_label():
    """scikit-learn raises for a row without neighbours; the model gives NaN probabilities and the first class."""
    X_train, X_test, y_train, _ = multiclass()
    X_test = np.vstack([X_test, X_test[:5] * 5 + 3])
    clf = RadiusNeighborsClassifier(radius=3.5).fit(X_train, y_train)
    with pytest.raises(ValueError, match="No neighbors found"):
        clf.predict(X_test)
    label, proba = run_onnx(to_onnx(clf, X_test[:1]), {"X": X_test})
    empty = np.array([len(r) == 0 for r in clf.radius_neighbors(X_test, return_distance=False)])
    assert empty.any()
    assert np.isnan(proba[empty]).all() and (label[empty] == clf.classes_[0]).all()
    np.testing.assert_array_equal(label[~empty], clf.predict(X_test[~empty]))
    np.testing.assert_allclose(proba[~empty], clf.predict_proba(X_test[~empty]), rtol=1e-10, atol=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("data", ["binary", "multiclass", "iris-strings"])
@pytest.mark.parametrize(
    "kw",
    [dict(), dict(shrink_threshold=0.3), dict(priors="empirical"), dict(priors="uniform")],
    ids=["default", "shrink", "empirical", "uniform-priors"],
)
def test_nearest_centroid_euclidean(kw, data, dtype):
    X_train, X_test, y_train, _ = {"binary": binary, "multiclass": multiclass, "iris-strings": iris_names}[data]()
    if data == "binary" and "priors" in kw:
        keep = (y_train == 1) | (np.arange(len(y_train)) % 3 == 0)  # unequal classes: the priors matter
        X_train, y_train = X_train[keep], y_train[keep]
    if SKLEARN < (1, 5) and "priors" in kw:
        pytest.skip("NearestCentroid(priors=...): new in scikit-learn 1.5")
    est = NearestCentroid(**kw).fit(X_train, y_train)
    if SKLEARN < (1, 5):  # no priors, predict_proba or decision_function yet: the label is the whole oracle
        _check_nearest_centroid_label(est, X_test, dtype)
        return
    check(est, X_test, dtype)


def _check_nearest_centroid_label(est, X_test, dtype):
    X = X_test.astype(dtype)
    label = run_onnx(to_onnx(est, X[:1]), {"X": X})[0]
    np.testing.assert_array_equal(label, est.predict(X))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "kw", [dict(), dict(shrink_threshold=0.2), dict(priors="empirical")], ids=["default", "shrink", "empirical"]
)
def test_nearest_centroid_manhattan(kw, dtype):
    """Without predict_proba/decision_function in scikit-learn: label = predict, scores = the discriminant scores."""
    X_train, X_test, y_train, _ = multiclass()
    keep = (y_train != 3) | (np.arange(len(y_train)) % 2 == 0)
    if SKLEARN < (1, 5) and "priors" in kw:
        pytest.skip("NearestCentroid(priors=...): new in scikit-learn 1.5")
    est = NearestCentroid(metric="manhattan", **kw).fit(X_train[keep], y_train[keep])
    assert not hasattr(est, "predict_proba")
    if SKLEARN < (1, 5):  # no _decision_function yet: the label is the whole oracle
        _check_nearest_centroid_label(est, X_test, dtype)
        return
    X = X_test.astype(dtype)
    model = to_onnx(est, X[:1])
    assert [o.name for o in model.graph.output] == ["label", "scores"]
    label, scores = run_onnx(model, {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est._decision_function(X)
    assert np.abs(scores - expected).max() <= TOLERANCE[dtype] * np.abs(expected).max()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "kw",
    [dict(), dict(n_neighbors=5, metric="manhattan"), dict(contamination=0.1, p=3)],
    ids=["default", "manhattan", "contamination-p3"],
)
def test_local_outlier_factor(kw, dtype):
    X_train, X_test, _, _ = multiclass()
    est = LocalOutlierFactor(novelty=True, **kw).fit(X_train)
    X = np.vstack([X_test, X_test[:10] * 4])  # some outliers
    check(est, X, dtype)
    assert set(est.predict(X)) == {-1, 1}
    model = to_onnx(est, X[:1].astype(dtype), options={"score_samples": True})
    scores = run_onnx(model, {"X": X.astype(dtype)})[1]
    expected = est.score_samples(X.astype(dtype))
    assert np.abs(scores - expected).max() <= TOLERANCE[dtype] * np.abs(expected).max()


@cache
def kde_data(d):
    X = np.random.RandomState(d).randn(150, d)
    return X[:100], X[100:]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kernel", ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"])
@pytest.mark.parametrize("d", [1, 3, 5])
def test_kernel_density(kernel, d, dtype):
    X_train, X_test = kde_data(d)
    weight = np.random.RandomState(1).uniform(0.5, 2, len(X_train)) if d == 3 else None
    est = KernelDensity(kernel=kernel, bandwidth=0.4 * d).fit(X_train, sample_weight=weight)
    X = np.vstack([X_test, X_test[:3] + 8.0]).astype(dtype)  # far rows: -inf for the compact kernels
    model = to_onnx(est, X[:1])
    assert [o.name for o in model.graph.output] == ["scores"]
    got = run_onnx(model, {"X": X})[0]
    expected = est.score_samples(X)
    assert got.shape == expected.shape and got.dtype == dtype
    if np.isnan(expected).all():  # scikit-learn's cosine normalisation is negative for some dimensions
        assert np.isnan(got).all() and math.isnan(log_kernel_norm(kernel, 1.0, d))
        return
    finite = np.isfinite(got)
    assert finite[: len(X_test)].mean() > 0.8
    # where the model finds no training row within the bandwidth (-inf), scikit-learn's tree returns its rounding
    # residue of a zero density: far below one kernel's peak
    peak = log_kernel_norm(kernel, est.bandwidth_, d) - np.log(len(X_train) if weight is None else weight.sum())
    assert (expected[~finite] < peak + np.log(1e-10)).all()
    near = finite[: len(X_test)]
    scale = np.abs(expected[: len(X_test)][near]).max()
    assert np.abs(got[: len(X_test)][near] - expected[: len(X_test)][near]).max() <= TOLERANCE[dtype] * scale
    # the far rows: scikit-learn's tree keeps its bounds in log space, and loses ~1e-9 there
    far = finite[len(X_test) :]
    far_scale = max(1e-6 * scale, TOLERANCE[dtype] * np.abs(expected[len(X_test) :][far]).max(initial=0))
    assert np.abs(got[len(X_test) :][far] - expected[len(X_test) :][far]).max(initial=0) <= far_scale


def test_kernel_density_cosine_nan_norm_as_scikit_learn():
    X_train, X_test = kde_data(8)
    est = KernelDensity(kernel="cosine", bandwidth=3.0).fit(X_train)
    assert np.isnan(est.score_samples(X_test)).all()
    assert np.isnan(run_onnx(to_onnx(est, X_test[:1]), {"X": X_test})[0]).all()


def test_kernel_norm_matches_scikit_learn():
    from sklearn.neighbors._kd_tree import kernel_norm

    for kernel in ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"]:
        for d in (1, 2, 3, 4, 7):
            expected = kernel_norm(0.7, d, kernel, return_log=True)
            got = log_kernel_norm(kernel, 0.7, d)
            assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, rel=1e-12)


# --- errors ---


@pytest.mark.parametrize(
    "est, message",
    [
        (KNeighborsClassifier(metric="precomputed"), "precomputed"),
        (KNeighborsClassifier(metric=lambda a, b: float(np.abs(a - b).sum())), "callable metric"),
        (KNeighborsClassifier(weights=lambda d: 1 / (1 + d)), "weights="),
        (KNeighborsRegressor(metric="canberra"), "canberra"),
        (KNeighborsRegressor(metric="hamming"), "hamming"),
        (LocalOutlierFactor(novelty=False), "novelty=True"),
        (KernelDensity(metric="manhattan"), "euclidean"),
    ],
    ids=["precomputed", "callable-metric", "callable-weights", "canberra", "hamming", "lof-novelty-false", "kde-metric"],
)
def test_errors(est, message):
    X_train, X_test, y_train, _ = multiclass()
    if getattr(est, "metric", None) == "precomputed":
        est.fit(pairwise_distances(X_train), y_train)
    elif isinstance(est, (LocalOutlierFactor, KernelDensity)):
        est.fit(X_train)
    else:
        est.fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match=message):
        to_onnx(est, X_test[:1] if getattr(est, "metric", None) != "precomputed" else pairwise_distances(X_test[:1], X_train))


def test_unknown_option_and_multi_output():
    X_train, X_test, y_train, _ = multiclass()
    est = KNeighborsClassifier().fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="unknown option"):
        to_onnx(est, X_test[:1], options={"score_samples": True})
    multi = KNeighborsClassifier().fit(X_train, np.c_[y_train, y_train % 2])
    with pytest.raises(OnnxAlgebraError, match="multi-output"):
        to_onnx(multi, X_test[:1])


def test_regression_data_many_targets():
    X, y = make_regression(200, 5, n_targets=3, random_state=0)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    for dtype in DTYPES:
        check(KNeighborsRegressor(n_neighbors=3, weights="distance").fit(X_train, y_train), X_test, dtype)
