"""Clustering converters against scikit-learn on held-out data, in float32 and float64.

Clusterers give (label, scores): ``check()`` of converter_checks compares scores with ``decision_function``,
which clusterers do not have, so :func:`check_clusterer` compares label with ``predict`` and scores with
``transform`` (or, for MeanShift and AffinityPropagation, scikit-learn's ``euclidean_distances`` to
``cluster_centers_``).
"""

import warnings
from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import TOLERANCE, float_types, run_onnx
from sklearn.cluster import (
    AffinityPropagation,
    Birch,
    BisectingKMeans,
    FeatureAgglomeration,
    KMeans,
    MeanShift,
    MiniBatchKMeans,
)
from sklearn.datasets import make_blobs, make_regression
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]


@cache
def blobs(offset=0.0):
    """Six blobs in 5 dimensions (optionally far from the origin); 400 training rows, 200 held out."""
    X, _ = make_blobs(600, 5, centers=6, cluster_std=[0.5, 1.0, 1.5, 1.0, 2.0, 0.8], random_state=0)
    X = X + offset
    return X[:400], X[400:]


def expected_scores(est, X):
    if hasattr(est, "transform"):
        return est.transform(X)
    return euclidean_distances(X.astype(np.float64), est.cluster_centers_.astype(np.float64))


def check_clusterer(est, X, dtype):
    """Convert for ``dtype``, run on ``X``: labels identical to ``predict``, scores within the tolerance of
    ``transform`` relative to their scale. Returns the relative difference of the scores."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1])
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}, "a hidden cast"
    assert [o.name for o in model.graph.output] == ["label", "scores"]
    label, scores = run_onnx(model, {"X": X})
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, est.predict(X))
    expected = expected_scores(est, X)
    assert scores.dtype == dtype and scores.shape == expected.shape
    diff = float(np.abs(scores - expected).max() / np.abs(expected).max())
    assert diff <= TOLERANCE[dtype], diff
    print(type(est).__name__, np.dtype(dtype).name, diff)
    return diff


ESTIMATORS = {
    "kmeans": lambda: KMeans(6, n_init=3, random_state=0),
    "kmeans_elkan": lambda: KMeans(5, algorithm="elkan", n_init=2, random_state=1),
    "minibatch": lambda: MiniBatchKMeans(6, n_init=3, random_state=0),
    "bisecting": lambda: BisectingKMeans(6, random_state=0),
    "bisecting_largest": lambda: BisectingKMeans(7, bisecting_strategy="largest_cluster", random_state=0),
    "bisecting_one": lambda: BisectingKMeans(1, random_state=0),
    "birch_agglomerative": lambda: Birch(n_clusters=4),
    "birch_subclusters": lambda: Birch(n_clusters=None, threshold=1.0),
    "birch_kmeans": lambda: Birch(n_clusters=KMeans(3, n_init=2, random_state=0), threshold=1.0),
    "mean_shift": lambda: MeanShift(bandwidth=2.0),
    "affinity_propagation": lambda: AffinityPropagation(damping=0.9, random_state=0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [0.0, 40.0])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_clusterer(name, offset, dtype):
    """Fitted on ``dtype`` (scikit-learn's KMeans cannot predict float32 rows with float64 centres)."""
    X_train, X_test = blobs(offset)
    est = ESTIMATORS[name]().fit(X_train.astype(dtype))
    check_clusterer(est, X_test, dtype)


def tie_rows(centres, n_per_pair, seed):
    """Rows on the bisecting hyperplanes of pairs of centres: mathematically equidistant from both, the
    rounding of the distance formula decides their label."""
    rng = np.random.RandomState(seed)
    centres = np.asarray(centres, dtype=np.float64)
    rows = []
    for i in range(min(len(centres), 6)):
        for j in range(i + 1, min(len(centres), 6)):
            normal = (centres[j] - centres[i]) / np.linalg.norm(centres[j] - centres[i])
            move = rng.randn(n_per_pair, centres.shape[1]) * 0.5
            move -= (move @ normal)[:, None] * normal
            rows.append((centres[i] + centres[j]) / 2 + move)
    return np.vstack(rows)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [0.0, 40.0])
@pytest.mark.parametrize("model", [KMeans, MiniBatchKMeans, BisectingKMeans])
def test_kmeans_ties_round_as_sklearn(model, offset, dtype):
    """KMeans' labels are the argmin of ``|c|**2 - 2 x.c`` in the input dtype: on rows equidistant from two
    centres, the graph rounds as scikit-learn (the exact distances would disagree on many of them)."""
    X_train, _ = blobs(offset)
    est = model(5, random_state=0).fit(X_train.astype(dtype))
    ties = tie_rows(est.cluster_centers_, 300, 0).astype(dtype)
    expected = est.predict(ties)
    (label, _) = run_onnx(to_onnx(est, ties[:1]), {"X": ties})
    np.testing.assert_array_equal(label, expected)
    exact = np.argmin(((ties.astype(np.float64)[:, None] - est.cluster_centers_.astype(np.float64)) ** 2).sum(-1), 1)
    if model is not BisectingKMeans:
        assert (exact != expected).sum() > 50  # the test is not vacuous: these rows are ties


@pytest.mark.parametrize("model", ["birch", "mean_shift", "affinity_propagation"])
def test_argmin_ties_float64_round_as_sklearn(model):
    """float64 ``pairwise_distances_argmin``: ``max(0, (|x|**2 - 2 x.c) + |c|**2)`` rounded as scikit-learn's."""
    X_train, _ = blobs(0.0)
    est = {
        "birch": Birch(n_clusters=None, threshold=1.0),
        "mean_shift": MeanShift(bandwidth=1.5),
        "affinity_propagation": AffinityPropagation(damping=0.9, random_state=0),
    }[model].fit(X_train)
    centres = est.subcluster_centers_ if model == "birch" else est.cluster_centers_
    ties = tie_rows(centres, 200, 1)
    (label, _) = run_onnx(to_onnx(est, ties[:1]), {"X": ties})
    np.testing.assert_array_equal(label, est.predict(ties))


@pytest.mark.parametrize("model", ["birch", "mean_shift"])
def test_argmin_ties_float32_only_differ_on_ties(model):
    """float32 input: scikit-learn measures in float64, the graph in float32 (exact differences, the centres
    rounded to float32); a label differs only where both centres are equally far to float32's precision."""
    X_train, _ = blobs(0.0)
    est = (Birch(n_clusters=None, threshold=1.0) if model == "birch" else MeanShift(bandwidth=1.5)).fit(X_train)
    centres = est.subcluster_centers_ if model == "birch" else est.cluster_centers_
    ties = tie_rows(centres, 200, 2).astype(np.float32)
    (label, _) = run_onnx(to_onnx(est, ties[:1]), {"X": ties})
    expected = est.predict(ties)  # positions of centres (Birch without global clustering)
    d = ((ties.astype(np.float64)[:, None] - np.asarray(centres, np.float64)) ** 2).sum(-1)
    rows = np.arange(len(ties))
    gap = np.abs(d[rows, label] - d[rows, expected]) / d[rows, expected]
    assert gap.max() <= 4e-6, gap.max()
    assert (label != expected).mean() < 0.1


def test_float64_model_in_a_float32_graph():
    """A float64 KMeans converted for float32 input: labels as scikit-learn's on the same (rounded) rows."""
    X_train, X_test = blobs(0.0)
    est = KMeans(6, n_init=3, random_state=0).fit(X_train)
    X32 = X_test.astype(np.float32)
    model = to_onnx(est, X32[:1])
    assert float_types(model) == {onnx.TensorProto.FLOAT}
    label, scores = run_onnx(model, {"X": X32})
    np.testing.assert_array_equal(label, est.predict(X32.astype(np.float64)))
    expected = est.transform(X32.astype(np.float64))
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[np.float32]


@pytest.mark.parametrize("dtype", DTYPES)
def test_birch_labels_are_gathered(dtype):
    """n_clusters=int: subcluster labels are not positions, the graph gathers them."""
    X_train, X_test = blobs(0.0)
    est = Birch(n_clusters=3, threshold=0.7).fit(X_train.astype(dtype))
    assert not np.array_equal(est.subcluster_labels_, np.arange(len(est.subcluster_labels_)))
    check_clusterer(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bisecting_tree_is_walked_not_nearest_centre(dtype):
    """BisectingKMeans' predict walks its tree; on some rows the nearest centre is another leaf."""
    X_train, _ = blobs(0.0)
    est = BisectingKMeans(6, random_state=0).fit(X_train.astype(dtype))
    rows = np.random.RandomState(3).uniform(-12, 12, (2000, 5)).astype(dtype)
    nearest = np.argmin(euclidean_distances(rows, est.cluster_centers_), axis=1)
    assert (nearest != est.predict(rows)).any()
    check_clusterer(est, rows, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_affinity_propagation_not_converged_predicts_minus_one(dtype):
    X_train, X_test = blobs(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = AffinityPropagation(max_iter=1, preference=-1e3, random_state=0).fit(X_train.astype(dtype))
        expected = est.predict(X_test.astype(dtype))
    assert est.cluster_centers_.shape[0] == 0 and (expected == -1).all()
    label, scores = run_onnx(to_onnx(est, X_test[:1].astype(dtype)), {"X": X_test.astype(dtype)})
    np.testing.assert_array_equal(label, expected)
    assert label.dtype == np.int64 and scores.shape == (len(X_test), 0)


def test_affinity_propagation_precomputed_is_an_error():
    X_train, _ = blobs(0.0)
    est = AffinityPropagation(affinity="precomputed", random_state=0).fit(-euclidean_distances(X_train[:50], squared=True))
    with pytest.raises(OnnxAlgebraError, match="precomputed"):
        to_onnx(est, np.zeros((1, 50)))  # fitted on a 50 x 50 affinity matrix


@pytest.mark.parametrize("name", ["kmeans", "bisecting", "birch_subclusters", "mean_shift"])
def test_unknown_option_is_an_error(name):
    X_train, _ = blobs(0.0)
    est = ESTIMATORS[name]().fit(X_train)
    with pytest.raises(OnnxAlgebraError, match="unknown option"):
        to_onnx(est, X_train[:1], options={"score_samples": True})


def test_wrong_number_of_features_is_an_error():
    X_train, _ = blobs(0.0)
    est = KMeans(3, n_init=1, random_state=0).fit(X_train)
    with pytest.raises(OnnxAlgebraError, match="5 features"):
        to_onnx(est, X_train[:1, :4])


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_a_pipeline(dtype):
    X_train, X_test = blobs(40.0)
    pipe = make_pipeline(StandardScaler(), KMeans(6, n_init=2, random_state=0)).fit(X_train.astype(dtype))
    X = X_test.astype(dtype)
    label, scores = run_onnx(to_onnx(pipe, X[:1]), {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    expected = pipe.transform(X)
    assert np.abs(scores - expected).max() / np.abs(expected).max() <= TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["kmeans", "birch_subclusters", "mean_shift"])
def test_rows_close_to_a_centre_far_from_the_origin(name, dtype):
    """Rows 1e-3 from a centre, data 40 from the origin: the Gemm's cancellation would leave ~1e-2 on the
    nearest distance in float32; the exact differences keep it within the tolerance."""
    X_train, X_test = blobs(40.0)
    est = ESTIMATORS[name]().fit(X_train.astype(dtype))
    centres = est.subcluster_centers_ if name.startswith("birch") else est.cluster_centers_
    close = np.asarray(centres, np.float64) + np.random.RandomState(4).uniform(-1e-3, 1e-3, centres.shape)
    check_clusterer(est, np.vstack([X_test, close]), dtype)


def agglomeration_data():
    """Correlated, off-centre features."""
    rng = np.random.RandomState(0)
    X, _ = make_regression(300, 8, random_state=0)
    X = X @ rng.normal(size=(8, 8)) + rng.normal(size=8) * 3
    return X[:200], X[200:]


def _agglomeration_graph(est, X, dtype):
    """The registered converter: one output, ``variable``."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1])
    assert [o.name for o in model.graph.output] == ["variable"]
    return run_onnx(model, {"X": X})[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pooling", ["mean", "max", "min", "median", "sum"])
def test_feature_agglomeration(pooling, dtype):
    X_train, X_test = agglomeration_data()
    est = FeatureAgglomeration(n_clusters=3, pooling_func=getattr(np, pooling)).fit(X_train)
    assert sorted(np.bincount(est.labels_)) == [2, 3, 3]  # odd and even sizes (median)
    expected = est.transform(X_test.astype(dtype))
    # a missing value (scikit-learn refuses it): the pooling function itself is the oracle, NaN spreads as in numpy
    missing = X_test[:1].astype(dtype)
    missing[0, np.flatnonzero(est.labels_ == 0)[0]] = np.nan
    pool = getattr(np, pooling)
    expected = np.vstack([expected, [[pool(missing[0, est.labels_ == c]) for c in range(3)]]]).astype(dtype)
    got = _agglomeration_graph(est, np.vstack([X_test, missing]), dtype)
    assert got.dtype == dtype and got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    assert np.abs(got - expected)[finite].max() <= TOLERANCE[dtype] * np.abs(expected[finite]).max()


def test_feature_agglomeration_unknown_pooling_is_refused():
    X_train, _ = agglomeration_data()

    def my_pool(a, axis):
        return np.asarray(a).mean(axis=axis)

    est = FeatureAgglomeration(n_clusters=3, pooling_func=my_pool).fit(X_train)
    with pytest.raises(OnnxAlgebraError, match="FeatureAgglomeration: pooling_func=my_pool"):
        _agglomeration_graph(est, X_train[:2], np.float64)
