"""Clustering: KMeans, MiniBatchKMeans, BisectingKMeans, Birch, MeanShift, AffinityPropagation; FeatureAgglomeration.

Every converter gives ``label`` (int64, ``predict``) and ``scores`` [N, n_centres]: ``transform`` (the
euclidean distances to ``cluster_centers_``, or to ``subcluster_centers_`` for Birch); MeanShift and
AffinityPropagation have no ``transform`` and give the same distances to their ``cluster_centers_``.

**Labels as scikit-learn rounds them.** A label is the first nearest centre, but "nearest" is decided by each
estimator's own formula, and in float32 its rounding decides near ties:

- KMeans, MiniBatchKMeans: ``argmin(|c|**2 - 2 x.c)`` in the input dtype (the Cython ``_labels_inertia``: one
  Gemm with ``alpha=-2`` added to the centres' squared norms; ``|x|**2`` is left out). The graph computes that
  same Gemm in the same dtype, with ``|c|**2`` rounded as scikit-learn's ``row_norms`` does.
- BisectingKMeans walks its bisecting tree: at every split, the right child when its score
  ``|c|**2 - 2 x.c`` (the two children's centres plus ``_X_mean``) is strictly smaller, else the left one. The
  graph computes the scores of every split at once (one Gemm), then finds, with one MatMul, the leaf whose path
  agrees with every decision: no loop, and each row's decisions are those of ``_predict_recursive``.
- Birch, MeanShift, AffinityPropagation go through ``pairwise_distances_argmin``: in float64
  ``max(0, (|x|**2 - 2 x.c) + |c|**2)`` (Birch's ``|c|**2`` is its fitted ``_subcluster_norms``), which the
  graph reproduces; for float32 input scikit-learn computes that in float64, which a float32 graph cannot,
  so the graph takes the exact squared distances ``sum((x - c)**2)``, the float32 numbers closest to it.

Rows whose two nearest centres are closer than the rounding (``~1e-7 |x| |c|`` in float32, ``~1e-16`` in
float64) can still get another label than scikit-learn when a BLAS sums a dot product in another order; the
tests count no such row on held-out data.

**Distances** (``scores``): in float64 ``sqrt(max(0, |x|**2 - 2 x.c + |c|**2))``, scikit-learn's
``euclidean_distances`` (one Gemm). scikit-learn computes float32 input in float64; the float32 graph takes the
same Gemm on coordinates centred on the mean of the centres, and measures the distance to the nearest centre
from the exact differences ``x - c``: the Gemm's cancellation, ``~1e-7 (|x|**2 + |c|**2)`` on the squared
distance, matters for small distances, and the smallest is the nearest centre's. A row within ~0.3% of the
data's spread of a centre that is *not* its nearest (two centres that close) can still exceed 1e-5.

AffinityPropagation that did not converge has no centres: scikit-learn predicts -1 for every row, and so does
the graph (``scores`` then has no column). ``predict`` is not available with ``affinity='precomputed'``: an
error. KMeans, MiniBatchKMeans, BisectingKMeans and Birch take ``options={'transform': True}`` (what a Pipeline asks of
an intermediate step), which changes nothing: ``scores`` is their ``transform``.

FeatureAgglomeration clusters features, not rows: its ``transform`` pools each cluster's columns
(:func:`convert_feature_agglomeration`), one output ``variable`` [N, n_clusters].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Expr,
    OnnxAlgebraError,
    OnnxArgMin,
    OnnxCast,
    OnnxGather,
    OnnxGemm,
    OnnxMatMul,
    OnnxReduceSum,
    OnnxReduceSumSquare,
    OnnxWhere,
    computation_dtype,
)

from ._common import block_selectors, check_options

_TYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11}


def _axes(*axes: int) -> np.ndarray:
    return np.array(axes, dtype=np.int64)


def squared_distances(X: Expr, centres: np.ndarray, dtype: np.dtype) -> Expr:
    """``sum((x - c) ** 2)`` for every row and centre, [N, n_centres], from the exact differences.

    >>> from onnxalgebra import Var
    >>> squared_distances(Var("X", np.float32, [None, 2]), np.zeros((3, 2)), np.dtype(np.float32)).shape
    (None, 3)
    """
    centres = np.asarray(centres).astype(dtype)
    diff = X.reshape(-1, 1, centres.shape[1]) - centres  # [N, K, F]
    return OnnxReduceSum(diff * diff, _axes(2), keepdims=0)


EXACT_DISTANCES_UP_TO = 1024
"""float32 distances: up to this many centre coordinates (n_centres x n_features), every distance is measured from
the exact differences (a Gemm and a MatMul with 0/1 matrices: fewer nodes than a Gemm and a correction at this size)."""


def distances(X: Expr, centres: np.ndarray, dtype: np.dtype, index: Expr | None = None) -> Expr:
    """The euclidean distances [N, n_centres] (``euclidean_distances(X, centres)``).

    float64: ``sqrt(max(0, |x|**2 - 2 x.c + |c|**2))``, scikit-learn's own formula (one Gemm). float32 (which
    scikit-learn computes in float64): with few centre coordinates (:data:`EXACT_DISTANCES_UP_TO`), every
    distance from the exact differences; else the same Gemm on coordinates centred on the centres' mean, and the
    distance to the nearest centre (``index``, [N] int64, or the Gemm's argmin) from the exact differences,
    where the Gemm's cancellation would cost the most digits.
    """
    centres = np.asarray(centres, dtype=np.float64)
    if dtype != np.float64 and centres.size <= EXACT_DISTANCES_UP_TO:
        # every difference x_f - c_kf in one row of [N, K*F]: one Gemm of X with 0/1 and the centres as its bias
        # (exact: x * 1 plus zeros, minus c_kf, rounded once as a subtraction; scikit-learn refuses NaN and inf),
        # the squares summed per centre by a MatMul with 0/1 (onnxruntime broadcasts [N, 1, F] - [K, F] 2x
        # slower, and a MatMul then a Sub of [K*F] 1.5x)
        repeat, per_centre = block_selectors(*centres.shape, np.dtype(dtype))  # a block per centre
        difference = OnnxGemm(X, repeat, -centres.astype(dtype).ravel())
        return np.sqrt(OnnxMatMul(difference * difference, per_centre))
    shift = centres.mean(axis=0) if dtype != np.float64 else np.zeros(centres.shape[1])
    moved = centres - shift
    Xc = X - shift.astype(dtype) if dtype != np.float64 else X
    norms = np.array([np.dot(c, c) for c in moved])
    squared = np.maximum(
        OnnxReduceSumSquare(Xc, _axes(1), keepdims=1)
        + OnnxGemm(Xc, moved.astype(dtype), norms.astype(dtype), alpha=-2.0, transB=1),
        0.0,
    )
    if dtype == np.float64:
        return np.sqrt(squared)
    if index is None:
        index = nearest(squared)
    closest = np.sqrt(OnnxReduceSumSquare(X - OnnxGather(centres.astype(dtype), index, axis=0), _axes(1), keepdims=1))
    is_closest = index.reshape(-1, 1) == np.arange(len(centres), dtype=np.int64)
    return OnnxWhere(is_closest, closest, np.sqrt(squared))


def kmeans_scores(X: Expr, centres: np.ndarray, dtype: np.dtype) -> Expr:
    """``|c|**2 - 2 x.c`` [N, n_centres] in ``dtype``, rounded as KMeans' Cython ``_labels_inertia``: one Gemm
    (``alpha=-2``, ``beta=1``) on the squared norms computed in ``dtype`` as ``row_norms``."""
    centres = np.asarray(centres).astype(dtype)
    norms = np.einsum("ij,ij->i", centres, centres)
    return OnnxGemm(X, centres, norms, alpha=-2.0, transB=1)


def nearest(scores: Expr) -> Expr:
    """The first position of the smallest score of each row, [N] int64 (scikit-learn's strict ``<``)."""
    return OnnxArgMin(scores, axis=1, keepdims=0)


def argmin_distance(X: Expr, centres: np.ndarray, dtype: np.dtype, norms: np.ndarray | None = None) -> Expr:
    """``pairwise_distances_argmin(X, centres)`` (``metric_kwargs={'Y_norm_squared': norms}`` when given).

    float64: ``max(0, (|x|**2 - 2 x.c) + |c|**2)`` as scikit-learn's ``ArgKmin`` (``|x|**2`` by ReduceSumSquare
    and ``|c|**2`` by ``np.dot`` round as its BLAS ``ddot`` below 16 features); float32: exact squared
    distances (scikit-learn computes float32 input in float64).
    """
    centres = np.asarray(centres)
    if dtype != np.float64:
        return nearest(squared_distances(X, centres, dtype))
    c64 = centres.astype(np.float64)
    if norms is None:  # BLAS ddot, as _sqeuclidean_row_norms64 (np.einsum sums in another order)
        norms = np.array([np.dot(c, c) for c in c64])
    xnorm = OnnxReduceSumSquare(X, _axes(1), keepdims=1)  # rounds as ddot for a few features
    middle = X @ (-2.0 * c64).T
    return nearest(np.maximum((xnorm + middle) + norms, 0.0))


def convert_kmeans(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """KMeans, MiniBatchKMeans: ``label`` the first centre minimising ``|c|**2 - 2 x.c`` (in the input dtype,
    as scikit-learn), ``scores`` the distances to ``cluster_centers_`` (``transform``)."""
    check_options(est, options, ("transform",))  # the scores are transform(X) already
    dtype = computation_dtype()
    centres = np.asarray(est.cluster_centers_)
    label = nearest(kmeans_scores(X, centres, dtype))
    return label, distances(X, centres, dtype, label)


def _bisecting_tree(est: Any) -> tuple[list, list]:
    """The splits (left, right) and the leaves of a BisectingKMeans tree, depth first as ``iter_leaves``."""
    splits, leaves, stack = [], [], [est._bisecting_tree]
    while stack:
        node = stack.pop()
        if node.left is None:
            leaves.append(node)
        else:
            splits.append(node)
            stack.extend([node.right, node.left])
    return splits, leaves


def convert_bisecting_kmeans(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """BisectingKMeans: ``label`` by walking the bisecting tree as ``_predict_recursive``, ``scores`` the
    distances to ``cluster_centers_`` (``transform``).

    Every split ``s`` decides ``right_s = score(right) < score(left)`` (``score = |c|**2 - 2 x.c``, the
    KMeans rule on the two children's centres plus ``_X_mean``). A leaf is reached when every split on its path
    decided its way: ``wrong = right @ P + n_right`` counts the splits that did not (``P[s, l]`` is +1 when leaf
    ``l`` lies left of ``s``, -1 right of it, 0 off its path; ``n_right[l]`` its right turns); the label is the
    leaf with none wrong (small integers: exact in any float dtype).
    """
    check_options(est, options, ("transform",))  # the scores are transform(X) already
    dtype = computation_dtype()
    splits, leaves = _bisecting_tree(est)
    centres = np.asarray(est.cluster_centers_)
    scores = distances(X, centres, dtype)
    if not splits:  # one cluster
        return nearest(X[:, :1]), scores
    position = {id(leaf): i for i, leaf in enumerate(leaves)}
    labels = np.array([leaf.label for leaf in leaves], dtype=np.int64)
    paths = np.zeros((len(splits), len(leaves)))
    for s, node in enumerate(splits):
        for side, sign in ((node.left, 1.0), (node.right, -1.0)):
            for leaf in side.iter_leaves():
                paths[s, position[id(leaf)]] = sign
    n_right = (paths < 0).sum(axis=0).astype(np.float64)
    pairs = []
    for node in splits:  # as _predict_recursive: the children's centres, plus _X_mean, in the fitted dtype
        pair = np.vstack((node.left.center, node.right.center))
        if hasattr(est, "_X_mean"):
            pair += est._X_mean
        pairs.append(pair)
    both = kmeans_scores(X, np.concatenate(pairs), dtype).reshape(-1, len(splits), 2)  # [N, splits, (left, right)]
    right = OnnxCast(both[:, :, 1] < both[:, :, 0], to=_TYPES[dtype])
    wrong = right @ paths.astype(dtype) + n_right.astype(dtype)
    leaf = nearest(wrong)
    if np.array_equal(labels, np.arange(len(leaves))):
        return leaf, scores
    return OnnxGather(labels, leaf, axis=0), scores


def convert_birch(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """Birch: ``label`` the ``subcluster_labels_`` of the nearest subcluster centre (``pairwise_distances_argmin``
    with the fitted ``_subcluster_norms``), ``scores`` the distances to ``subcluster_centers_`` (``transform``)."""
    check_options(est, options, ("transform",))  # the scores are transform(X) already
    dtype = computation_dtype()
    centres = np.asarray(est.subcluster_centers_)
    index = argmin_distance(X, centres, dtype, getattr(est, "_subcluster_norms", None))
    labels = np.asarray(est.subcluster_labels_).astype(np.int64)
    label = index if np.array_equal(labels, np.arange(len(labels))) else OnnxGather(labels, index, axis=0)
    return label, distances(X, centres, dtype, index)


def convert_nearest_centre(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """MeanShift, AffinityPropagation: ``label`` the nearest of ``cluster_centers_``
    (``pairwise_distances_argmin``), ``scores`` the distances to them (they have no ``transform``).

    AffinityPropagation without centres (it did not converge) predicts -1 for every row, as scikit-learn
    (which warns); ``scores`` is then [N, 0].
    """
    check_options(est, options)
    name = type(est).__name__
    if getattr(est, "affinity", None) == "precomputed" or not hasattr(est, "cluster_centers_"):
        raise OnnxAlgebraError(
            f"{name}: fitted with affinity='precomputed', it has no cluster_centers_ and no predict; "
            "fit it on the features (affinity='euclidean') to convert it."
        )
    dtype = computation_dtype()
    centres = np.asarray(est.cluster_centers_)
    if centres.ndim != 2 or centres.shape[0] == 0:
        none = X[:, :0]
        return (nearest(X[:, :1]) - 1), none
    label = argmin_distance(X, centres, dtype)
    return label, distances(X, centres, dtype, label)


def _median_of_rows(part: Expr, m: int) -> Expr:
    """``np.median(part, axis=1)`` as [N, 1]: the middle of the sorted row (the mean of the two middles), NaN if any."""
    ordered = np.sort(part, axis=1)
    middle = ordered[:, m // 2 : m // 2 + 1]
    if m % 2 == 0:
        middle = (ordered[:, m // 2 - 1 : m // 2] + middle) / 2.0
    missing = np.isnan(part).astype(part.dtype).sum(axis=1, keepdims=True) > 0  # bool ReduceMax needs opset 20
    return np.where(missing, np.nan, middle)


def convert_feature_agglomeration(est: Any, X: Expr) -> Expr:
    """FeatureAgglomeration: ``pooling_func`` of each cluster's features, [N, n_clusters].

    ``pooling_func`` is called on the expression of each cluster's columns
    (``np.mean``, the default, ``np.max``, ``np.min``, ``np.sum``, ...; ``np.median``
    is written here: the middle of the sorted values); a function the algebra
    cannot write is a clear error. A missing value spreads only to its own
    cluster, as numpy's pooling does (scikit-learn refuses NaN).
    """
    labels = np.asarray(est.labels_)
    columns = []
    for label in np.unique(labels):
        part = X[:, np.flatnonzero(labels == label)]
        if est.pooling_func is np.median:
            columns.append(_median_of_rows(part, int((labels == label).sum())))
            continue
        try:
            pooled = est.pooling_func(part, axis=1)
        except Exception as exc:
            name = getattr(est.pooling_func, "__name__", repr(est.pooling_func))
            raise OnnxAlgebraError(
                f"FeatureAgglomeration: pooling_func={name} cannot be written as an ONNX graph ({exc}); "
                "use a numpy reduction such as np.mean, np.max, np.min, np.median or np.sum."
            ) from exc
        if not isinstance(pooled, Expr):
            raise OnnxAlgebraError(
                f"FeatureAgglomeration: pooling_func={getattr(est.pooling_func, '__name__', est.pooling_func)} did not "
                f"return an expression (got {type(pooled).__name__}); use a numpy reduction such as np.mean or np.max."
            )
        columns.append(pooled.reshape(-1, 1))
    return np.concatenate(columns, axis=1)


def registrations() -> dict:
    """Converter -> the scikit-learn classes it serves."""
    from sklearn.cluster import (
        AffinityPropagation,
        Birch,
        BisectingKMeans,
        FeatureAgglomeration,
        KMeans,
        MeanShift,
        MiniBatchKMeans,
    )

    return {
        convert_kmeans: [KMeans, MiniBatchKMeans],
        convert_bisecting_kmeans: [BisectingKMeans],
        convert_birch: [Birch],
        convert_nearest_centre: [MeanShift, AffinityPropagation],
        convert_feature_agglomeration: [FeatureAgglomeration],
    }
