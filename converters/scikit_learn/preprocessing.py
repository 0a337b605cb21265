"""Scalers, Binarizer, LabelEncoder, Normalizer, PolynomialFeatures, PowerTransformer, QuantileTransformer: each
converter is the transform's formula.

StandardScaler, RobustScaler, MaxAbsScaler and MinMaxScaler (``clip=False``) are
one columnwise affine map ``(X - offset) / divisor`` (:func:`columnwise_affine`),
so a ColumnTransformer merges them. MinMaxScaler's ``X * scale_ + min_`` is
written ``(X - (-min_ / scale_)) / (1 / scale_)``: the same values within a few
units in the last place of the output's scale (tested: float64 within 1e-10).

A float32 matrix of at most :data:`ML_NODE_MAX_COLUMNS` columns goes through
the one ``ai.onnx.ml`` node that computes the transform (Scaler, Binarizer):
one node is the fastest graph in onnxruntime for a row or a few. Those nodes
loop over the values one by one, though, and on wider inputs standard
operators (vectorised) win at batch sizes by far more than the one node they
add costs on a single row. Scaler's output is float32 only and onnxruntime runs
Binarizer on float32 only, so float64 keeps standard operators and stays
float64 end to end.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from onnxalgebra import (
    Constant,
    Expr,
    OnnxAlgebraError,
    OnnxArrayFeatureExtractor,
    OnnxBinarizer,
    OnnxClip,
    OnnxConcat,
    OnnxGather,
    OnnxLabelEncoder,
    OnnxMin,
    OnnxReduceL1,
    OnnxReduceL2,
    OnnxReduceMax,
    OnnxReduceSum,
    OnnxReduceSumSquare,
    OnnxScaler,
    OnnxUnsqueeze,
)

from ._compat import spline_handle_missing

ML_NODE_MAX_COLUMNS = 10
"""The widest float32 input given a Scaler or Binarizer node. onnxruntime 1.32, one thread, 1,000 rows of 10
columns: Scaler 31 us like Sub and Div, Binarizer 14 us against Greater and Cast's 8; of 100 columns: Scaler 259 us
against 55, Binarizer 482 us against 31. On one row, the single node saves about 0.7 us (of 5.6)."""


def narrow_float32(X: Expr, n_columns: int | None = None) -> bool:
    """X is a float32 matrix of at most :data:`ML_NODE_MAX_COLUMNS` columns (``n_columns`` when X's are unknown)."""
    if X.dtype != np.float32 or X.shape is None or len(X.shape) != 2:
        return False
    width = X.shape[1] if isinstance(X.shape[1], int) else n_columns
    return width is not None and width <= ML_NODE_MAX_COLUMNS


def float32_threshold(threshold: Any) -> float | None:
    """The float32 ``c`` with ``x > c`` equal to ``sklearn.preprocessing.binarize``'s ``x > threshold`` for every
    float32 ``x`` (None when not finite in float32).

    scikit-learn compares in float32 for a Python number (``c`` is the nearest
    float32) and in float64 for a float64 threshold (``c`` is the float32 just
    below, when the nearest one is above).
    """
    with np.errstate(over="ignore"):
        c = np.float32(threshold)
    if not np.isfinite(c):
        return None
    if np.result_type(np.float32, threshold) != np.float32 and float(c) > float(threshold):
        c = np.nextafter(c, np.float32(-np.inf))
    return float(c)


def binarize(X: Expr, threshold: Any) -> Expr:
    """1 where ``X > threshold``, else 0, in X's dtype (``sklearn.preprocessing.binarize``).

    A narrow float32 matrix: one ``ai.onnx.ml`` Binarizer (like scikit-learn,
    onnxruntime's rejects NaN); otherwise Greater and a Cast back to X's dtype.
    """
    if narrow_float32(X):
        c = float32_threshold(threshold)
        if c is not None:
            return OnnxBinarizer(X, threshold=c)
    return (X > float(threshold)).astype(X.dtype)


def _affine(n_features: int, shift: Any, scale: Any) -> tuple[np.ndarray, np.ndarray]:
    offset = np.zeros(n_features) if shift is None else np.asarray(shift, dtype=np.float64).reshape(n_features)
    divisor = np.ones(n_features) if scale is None else np.asarray(scale, dtype=np.float64).reshape(n_features)
    return offset, divisor


def standard_scaler_affine(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """StandardScaler as ``(offset, divisor)``: ``mean_`` and ``scale_``, each only when fitted with it."""
    return _affine(est.n_features_in_, est.mean_ if est.with_mean else None, est.scale_ if est.with_std else None)


def robust_scaler_affine(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """RobustScaler as ``(offset, divisor)``: ``center_`` and ``scale_``, each only when fitted with it."""
    return _affine(est.n_features_in_, est.center_ if est.with_centering else None, est.scale_ if est.with_scaling else None)


def max_abs_scaler_affine(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """MaxAbsScaler as ``(offset, divisor)``: no offset, ``scale_``."""
    return _affine(est.n_features_in_, None, est.scale_)


def min_max_scaler_affine(est: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """MinMaxScaler as ``(offset, divisor)``: ``X * scale_ + min_ == (X + min_ / scale_) / (1 / scale_)``; None with
    ``clip=True`` (then the transform is not affine)."""
    if getattr(est, "clip", False):
        return None
    scale = np.asarray(est.scale_, dtype=np.float64)
    return _affine(est.n_features_in_, -np.asarray(est.min_, dtype=np.float64) / scale, 1.0 / scale)


_AFFINE = {
    StandardScaler: standard_scaler_affine,
    RobustScaler: robust_scaler_affine,
    MaxAbsScaler: max_abs_scaler_affine,
    MinMaxScaler: min_max_scaler_affine,
}


def columnwise_affine(est: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(offset, divisor)``, float64 arrays of one value per feature, with ``est.transform(X) == (X - offset) / divisor``
    for a StandardScaler, RobustScaler, MaxAbsScaler or MinMaxScaler without ``clip`` (exactly those classes: a
    subclass may have its own converter); else None."""
    affine = _AFFINE.get(type(est))
    return None if affine is None else affine(est)


def scale_columns(X: Expr, offset: np.ndarray, divisor: np.ndarray) -> Expr:
    """``(X - offset) / divisor`` per column, each part only when it changes something.

    A narrow float32 matrix: one ``ai.onnx.ml`` Scaler, ``(X - offset) * (1 /
    divisor)`` in float32; otherwise Sub and Div, in X's dtype.
    """
    shift, rescale = bool(np.any(offset != 0)), bool(np.any(divisor != 1))
    if not (shift or rescale):
        return X
    if narrow_float32(X, len(offset)) and X.shape[1] in (len(offset), None):
        with np.errstate(over="ignore", divide="ignore"):
            offset32, scale32 = offset.astype(np.float32), (1.0 / divisor).astype(np.float32)
        if np.all(np.isfinite(offset32)) and np.all(np.isfinite(scale32)) and np.all(scale32 != 0):
            return OnnxScaler(X, offset=offset32, scale=scale32)
    if shift:
        X = X - offset
    if rescale:
        X = X / divisor
    return X


def convert_binarizer(est: Any, X: Expr) -> Expr:
    """Binarizer: ``X > threshold`` as 0/1."""
    return binarize(X, est.threshold)


def convert_standard_scaler(est: Any, X: Expr) -> Expr:
    """StandardScaler: ``(X - mean_) / scale_``, each part only when fitted with it."""
    return scale_columns(X, *standard_scaler_affine(est))


def convert_robust_scaler(est: Any, X: Expr) -> Expr:
    """RobustScaler: ``(X - center_) / scale_``, each part only when fitted with it."""
    return scale_columns(X, *robust_scaler_affine(est))


def convert_max_abs_scaler(est: Any, X: Expr) -> Expr:
    """MaxAbsScaler: ``X / scale_``."""
    return scale_columns(X, *max_abs_scaler_affine(est))


def convert_min_max_scaler(est: Any, X: Expr) -> Expr:
    """MinMaxScaler: ``X * scale_ + min_`` (as ``(X - offset) / divisor``), clipped to ``feature_range`` with
    ``clip=True``."""
    scale = np.asarray(est.scale_, dtype=np.float64)
    out = scale_columns(X, -np.asarray(est.min_, dtype=np.float64) / scale, 1.0 / scale)
    if est.clip:
        low, high = est.feature_range
        out = np.clip(out, float(low), float(high))
    return out


def _row_norms(X: Expr, norm: str) -> Expr:
    rows = np.array([1], dtype=np.int64)
    if norm == "l1":
        return OnnxReduceL1(X, rows, keepdims=1)
    if norm == "l2":  # sqrt of the sum of squares, overflowing where scikit-learn's float32 einsum does
        if X.dtype == np.float64:  # onnxruntime 1.17's double ReduceL2 is 1.5e-7 off: the square root taken apart
            return np.sqrt(OnnxReduceSumSquare(X, rows, keepdims=1))
        return OnnxReduceL2(X, rows, keepdims=1)
    return OnnxReduceMax(np.abs(X), rows, keepdims=1)  # np.max's NaN handling is moot: scikit-learn refuses NaN


def convert_normalizer(est: Any, X: Expr) -> Expr:
    """Normalizer: each row divided by its l1, l2 or max norm; a norm below ``10 * eps`` (a row of zeros) is 1,
    as ``sklearn.preprocessing.normalize`` does: the divisor ``max(norm, norm < tiny)``. The constants are
    ``[[tiny]]`` (a matrix, as the norms are): onnxruntime broadcasts a scalar against ``[N, 1]`` by a slower
    path (1,000 rows: 27 us against 15)."""
    if est.norm not in ("l1", "l2", "max"):
        raise OnnxAlgebraError(f"Normalizer: norm must be 'l1', 'l2' or 'max', got {est.norm!r}.")
    norms = _row_norms(X, est.norm)
    tiny = np.full((1, 1), 10 * np.finfo(X.dtype).eps, dtype=X.dtype)
    return X / np.maximum(norms, (norms < tiny).astype(X.dtype))


def _polynomial_levels(powers: np.ndarray) -> tuple[list[list[tuple[int, ...]]], list[int]]:
    """Per degree d >= 2, the products to compute (the output's of that degree first, in order, then the ones of
    higher degrees need), each a sorted tuple of features; and how many of each level are outputs."""
    combos = [tuple(np.repeat(np.arange(len(row)), row)) for row in powers]
    max_degree = max((len(c) for c in combos), default=0)
    levels: list[list[tuple[int, ...]]] = [[] for _ in range(max_degree + 1)]
    for c in combos:
        if len(c) >= 2:
            levels[len(c)].append(c)
    n_outputs = [len(level) for level in levels]
    for d in range(max_degree, 2, -1):  # each product is its first feature times the product of the others
        known = set(levels[d - 1])
        for c in levels[d]:
            if c[1:] not in known:
                known.add(c[1:])
                levels[d - 1].append(c[1:])
    return levels, n_outputs


def convert_polynomial_features(est: Any, X: Expr) -> Expr:
    """PolynomialFeatures: the products of ``powers_``, each ``X[:, i] * (product of the rest)`` as scikit-learn
    multiplies them (the same roundings); one Mul per degree. ``order`` changes only the memory layout."""
    powers = np.asarray(est.powers_)
    levels, n_outputs = _polynomial_levels(powers)
    degrees = powers.sum(axis=1)
    products: list[Expr | None] = [None, X]
    position: list[dict[tuple[int, ...], int]] = [{}, {(i,): i for i in range(powers.shape[1])}]
    for d in range(2, len(levels)):
        level = levels[d]
        firsts = np.array([c[0] for c in level], dtype=np.int64)
        rests = np.array([position[d - 1][c[1:]] for c in level], dtype=np.int64)
        products.append(OnnxArrayFeatureExtractor(X, firsts) * OnnxArrayFeatureExtractor(products[d - 1], rests))
        position.append({c: i for i, c in enumerate(level)})
    parts: list[Expr] = []
    for d in sorted(set(degrees.tolist()), key=lambda v: np.argmax(degrees == v)):
        columns = np.flatnonzero(degrees == d)
        if d == 0:
            parts.append(np.ones_like(X[:, 0:1]))
        elif d == 1:
            first = np.array([int(np.argmax(powers[i])) for i in columns], dtype=np.int64)
            parts.append(X if np.array_equal(first, np.arange(powers.shape[1])) else OnnxArrayFeatureExtractor(X, first))
        else:
            part = products[d]
            parts.append(part if n_outputs[d] == len(levels[d]) else part[:, : n_outputs[d]])
    if np.any(np.diff(degrees) < 0):
        raise OnnxAlgebraError("PolynomialFeatures: powers_ are not ordered by degree; this converter expects them so.")
    if not parts:
        return X.at[:, 0:0]
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)


def _log1p(a: Expr) -> Expr:
    """``log1p(a)`` for ``a >= 0``: ``log(u) + (a - (u - 1)) / u`` with ``u = 1 + a``, the second term correcting
    the rounding of ``1 + a`` (exact for ``a <= 1``, where it matters); no special case (``u == 1`` gives ``a``)."""
    u = a + 1.0
    return np.log(u) + (a - (u - 1.0)) / u


def _expm1(y: Expr) -> Expr:
    """``expm1(y)``: ``(u - 1) + u * (y - log(u))`` with ``u = exp(y)``, the second term correcting the rounding
    of ``exp`` (``u - 1`` alone cancels for small ``y``). The correction is clipped to 8 units of ``eps``
    (beyond that it is the log's own rounding, large ``|y|``; and ``+inf`` where ``exp`` underflows to 0: the
    result is -1) and multiplied by ``u`` capped at the largest float (an overflow gives inf, not ``inf - inf``)."""
    info = np.finfo(y.dtype)
    u = np.exp(y)
    fix = OnnxClip(y - np.log(u), np.array(-8 * info.eps, y.dtype), np.array(8 * info.eps, y.dtype))
    return (u - 1.0) + OnnxMin(u, np.array(info.max, y.dtype)) * fix


def _yeo_johnson(X: Expr, lambdas: np.ndarray) -> Expr:
    """scipy's ``yeojohnson(x, lmbda)`` per column: ``expm1(l * log1p(x)) / l`` for x >= 0, ``-expm1((2 - l) *
    log1p(-x)) / (2 - l)`` below, ``log1p`` where the coefficient is 0 (within float64's eps). The coefficient
    and the signed ``1 / coefficient`` are each one Where of constants."""
    eps = np.finfo(np.float64).eps
    pos_log, neg_log = np.abs(lambdas) < eps, np.abs(lambdas - 2) <= eps
    c_pos = np.where(pos_log, 1.0, lambdas)
    c_neg = np.where(neg_log, 1.0, 2.0 - lambdas)
    positive = X >= 0
    a = _log1p(np.abs(X))
    out = _expm1(np.where(positive, c_pos, c_neg) * a) * np.where(positive, 1.0 / c_pos, -1.0 / c_neg)
    if np.any(pos_log) or np.any(neg_log):
        out = np.where(np.where(positive, pos_log, neg_log), np.where(positive, a, -a), out)
    return out


def _box_cox(X: Expr, lambdas: np.ndarray) -> Expr:
    """scipy's ``boxcox(x, lmbda)`` per column: ``expm1(l * log(x)) / l``, ``log(x)`` where ``|l| < 1e-19``."""
    special = np.abs(lambdas) < 1e-19
    c = np.where(special, 1.0, lambdas)
    logs = np.log(X)
    out = _expm1(logs * c) * (1.0 / c)
    return np.where(special, logs, out) if np.any(special) else out


def convert_power_transformer(est: Any, X: Expr) -> Expr:
    """PowerTransformer: Yeo-Johnson or Box-Cox per column with ``lambdas_``, then the fitted StandardScaler with
    ``standardize=True``. scikit-learn refuses non-positive data for Box-Cox; the graph gives NaN (log of a negative
    number) or infinities (of 0) there."""
    lambdas = np.asarray(est.lambdas_, dtype=np.float64)
    if est.method == "yeo-johnson":
        out = _yeo_johnson(X, lambdas)
    elif est.method == "box-cox":
        out = _box_cox(X, lambdas)
    else:
        raise OnnxAlgebraError(f"PowerTransformer: method must be 'yeo-johnson' or 'box-cox', got {est.method!r}.")
    if est.standardize:
        out = scale_columns(out, *standard_scaler_affine(est._scaler))
    return out


def _strictly_above(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The smallest ``t`` of ``dtype`` with ``t > v`` for each float64 ``v``: ``x > v`` iff ``x >= t`` for x of
    ``dtype``."""
    with np.errstate(over="ignore"):
        t = values.astype(dtype)
    t = np.where(t.astype(np.float64) > values, t, np.nextafter(t, dtype.type(np.inf)))
    return t.astype(dtype)


def _at_least(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The smallest ``t`` of ``dtype`` with ``t >= v``: ``x >= v`` iff ``x >= t`` for x of ``dtype``."""
    with np.errstate(over="ignore"):
        t = values.astype(dtype)
    t = np.where(t.astype(np.float64) >= values, t, np.nextafter(t, dtype.type(np.inf)))
    return t.astype(dtype)


_NDTRI_PIECES = (0.5, 0.1, 0.005, 1e-7 - np.spacing(1))
"""The tail probabilities ``q`` (at most 0.5) where the inverse normal CDF is approximated, piece by piece: below
the last one QuantileTransformer clips the result anyway (``BOUNDS_THRESHOLD - spacing(1)``)."""
_NDTRI_DEGREE = 16


@cache
def _ndtri_table() -> tuple[np.ndarray, np.ndarray]:
    """Per piece of :data:`_NDTRI_PIECES`, ``(t_a, t_b)`` and the Chebyshev coefficients of ``ndtri(q)`` in ``u``,
    with ``t = sqrt(-log(q))`` mapped from ``[t_a, t_b]`` to ``u`` in ``[-1, 1]``: ``ndtri(exp(-t**2))`` is smooth
    in ``t``. Fitted here, at Chebyshev points, against ``scipy.special.ndtri``: within 2e-14 everywhere (tested)."""
    from numpy.polynomial import chebyshev
    from scipy.special import ndtri

    ends = np.sqrt(-np.log(np.asarray(_NDTRI_PIECES)))
    nodes = np.cos(np.pi * (np.arange(400) + 0.5) / 400)
    coefficients = []
    for ta, tb in pairwise(ends):
        t = (ta + tb) / 2 + (tb - ta) / 2 * nodes
        coefficients.append(chebyshev.chebfit(nodes, ndtri(np.exp(-t * t)), _NDTRI_DEGREE))
    return ends, np.array(coefficients)


def ndtri(p: Expr) -> Expr:
    """The inverse of the standard normal CDF (``scipy.special.ndtri``) for ``p`` whose tail ``min(p, 1 - p)`` is at
    least ``1e-7 - spacing(1)`` (within 2e-14 there, in float64); a smaller tail gives the value at that bound.

    ``t = sqrt(-log(q))`` for the tail ``q``, its piece's Chebyshev series (:func:`_ndtri_table`) summed from the
    ``T_k(u)`` recurrence, the sign of ``p - 0.5``.

    >>> from onnxalgebra import Var
    >>> ndtri(Var("p", np.float64, [None])).eval({"p": np.array([0.025, 0.975])}).round(6)
    array([-1.959964,  1.959964])
    """
    upper = p > 0.5
    return ndtri_tail(np.where(upper, 1.0 - p, p), upper)


def ndtri_tail(tail: Expr, upper: Expr) -> Expr:
    """:func:`ndtri` of ``1 - tail`` where ``upper``, else of ``tail`` (``tail`` at most 0.5): the upper half from
    its tail, which float32 holds to a far better relative precision than ``p`` itself."""
    ends, coefficients = _ndtri_table()
    p = tail
    q = np.maximum(tail, float(_NDTRI_PIECES[-1]))
    t = np.sqrt(-np.log(q))
    piece = (t > float(ends[1])).astype(np.int64) + (t > float(ends[2])).astype(np.int64)
    start, end = Constant(ends[:-1].astype(p.dtype)), Constant(ends[1:].astype(p.dtype))
    ta, tb = OnnxGather(start, piece), OnnxGather(end, piece)
    u = (2.0 * t - ta - tb) / (tb - ta)
    terms = [np.ones_like(u), u]
    for _ in range(2, _NDTRI_DEGREE + 1):
        terms.append(2.0 * u * terms[-1] - terms[-2])
    axis = np.array([-1], dtype=np.int64)
    stacked = OnnxConcat(*[OnnxUnsqueeze(term, axis) for term in terms], axis=-1)
    tail = OnnxReduceSum(stacked * OnnxGather(Constant(coefficients.astype(p.dtype)), piece), axis, keepdims=0)
    return np.where(upper, -tail, tail)


_SEARCH_BLOCK = 32
"""Above twice this many thresholds per column, :func:`count_at_most` searches in two steps of blocks this wide."""


def count_at_most(X: Expr, thresholds: np.ndarray) -> Expr:
    """``(thresholds[j] <= X[:, j, None]).sum(axis=-1)`` for sorted (non-decreasing) rows ``thresholds`` [F, n] of
    X's dtype: [N, F] int64 (0 for NaN).

    Up to ``2 * _SEARCH_BLOCK`` thresholds, every comparison; beyond, the block of ``x`` first (its count of block
    starts ``<= x``), then the thresholds of that block, gathered: about ``2 * sqrt(n)`` comparisons instead of ``n``.
    """
    n_features, n = thresholds.shape
    axis = np.array([-1], dtype=np.int64)
    x3 = OnnxUnsqueeze(X, axis)
    if n <= 2 * _SEARCH_BLOCK:
        return OnnxReduceSum((x3 >= Constant(thresholds)).astype(np.int64), axis, keepdims=0)
    width = _SEARCH_BLOCK
    n_blocks = -(-n // width)
    padded = np.full((n_features, n_blocks * width), np.inf, dtype=thresholds.dtype)
    padded[:, :n] = thresholds
    starts = Constant(padded[:, width::width])  # [F, n_blocks - 1]: the first threshold of every block but the first
    block = OnnxReduceSum((x3 >= starts).astype(np.int64), axis, keepdims=0)
    first = block * width + Constant((np.arange(n_features) * n_blocks * width).astype(np.int64))
    index = OnnxUnsqueeze(first, axis) + Constant(np.arange(width, dtype=np.int64))  # [N, F, width]
    within = OnnxReduceSum((x3 >= OnnxGather(Constant(padded.reshape(-1)), index)).astype(np.int64), axis, keepdims=0)
    return block * width + within


def quantile_transform(X: Expr, quantiles: np.ndarray, references: np.ndarray, normal: bool = False) -> Expr:
    """scikit-learn's forward QuantileTransformer, column ``j`` of X through ``quantiles[:, j]``: ``(interp(x, q, r)
    - interp(-x, -q[::-1], -r[::-1])) / 2`` (numpy's ``interp``: the mean of the segments found from below and from
    above, which differ on repeated quantiles); uniform output: 0 at and below ``q[0]``, 1 at and above ``q[-1]``;
    ``normal``: scikit-learn's bounds (``BOUNDS_THRESHOLD``), then :func:`ndtri`, clipped as scikit-learn clips it.
    NaN stays NaN.

    From below, ``x``'s segment starts at the last ``q[j] <= x`` and ``interp`` gives ``r[j] + s_j * (x -
    q[j])``; from above it ends at the first ``q[k] >= x``, giving ``r[k] - s_{k-1} * (q[k] - x)`` (numpy's slope
    ``s_j = (r[j+1] - r[j]) / (q[j+1] - q[j])``, the same on both sides). ``j`` and ``k`` are counts of
    comparisons, against thresholds rounded so that float32 ``x`` compares as the float64 ``x`` does. In float64
    these are numpy's operations, bit for bit.

    float32 cannot compute ``r[k] - s * (q[k] - x)`` near 0 to the relative precision the normal's tails need
    (``ndtri`` is steep there), while scikit-learn computes p in float64 and rounds it to float32 before ``ppf``:
    the float32 graph computes the mean from each segment's lower end and, for the upper half, ``1 - p`` from its
    upper end, then rounds ``p`` to float32 as scikit-learn does; ``x - q`` uses ``q`` as a float32 pair ``hi +
    lo`` (``x - hi`` is exact near ``q``), as scikit-learn subtracts in float64.
    """
    dtype = np.dtype(X.dtype)
    q = np.asarray(quantiles, dtype=np.float64)
    r = np.asarray(references, dtype=np.float64)
    n_q, n_features = q.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.diff(r)[:, None] / np.diff(q, axis=0)
    slope = np.where(np.isfinite(slope), slope, 0.0)
    r = np.broadcast_to(r[:, None], (n_q, n_features))
    pad = np.zeros((1, n_features))
    # tables of n_q + 1 rows per column, flattened column after column: j in [-1, n_q - 1], k in [0, n_q]
    tables = {
        "r": np.vstack([r, pad]),
        "q": np.vstack([q, pad]),
        "s_fwd": np.vstack([slope, pad, pad]),  # s_j
        "s_bwd": np.vstack([pad, slope, pad]),  # s_{k-1}
        "r_next": np.vstack([r[1:], r[-1:], pad]),  # r[j + 1]; r[j] for the last j (x at q[-1]: 1 - p is 0)
        "q_next": np.vstack([q[1:], q[-1:], pad]),
        "r_prev": np.vstack([pad, r]),  # r[k - 1]
        "q_prev": np.vstack([pad, q]),
    }
    base = (np.arange(n_features) * (n_q + 1)).astype(np.int64)

    def at(name: str, index: Expr, table: np.ndarray | None = None) -> Expr:
        table = tables[name] if table is None else table
        return OnnxGather(Constant(table.T.reshape(-1).astype(dtype)), index)

    def minus(name: str, index: Expr, sign: int) -> Expr:
        """``x - q`` (sign 1) or ``q - x`` (sign -1) for the quantiles of table ``name`` at ``index``."""
        hi = tables[name].astype(dtype).astype(np.float64)
        lo = (tables[name] - hi).astype(dtype)
        d = (X - at(name, index, hi)) if sign > 0 else (at(name, index, hi) - X)
        if np.any(lo != 0):
            d = d - at(name, index, lo) * float(sign)
        return d

    j = count_at_most(X, _at_least(q.T, dtype)) - 1 + base
    k = count_at_most(X, _strictly_above(q.T, dtype)) + base
    if not normal or dtype == np.float64:
        forward = at("r", j) + at("s_fwd", j) * minus("q", j, 1)
        backward = at("r", k) - at("s_bwd", k) * minus("q", k, -1)
        p = (forward + backward) * 0.5
    if not normal:
        low = Constant(_strictly_above(q[0], dtype))  # x <= q[0] iff not x >= low
        high = Constant(_at_least(q[-1], dtype))  # x >= q[-1]
        return np.where(X < low, 0.0, np.where(X >= high, 1.0, p))  # a constant column: 0, as scikit-learn
    if dtype == np.float64:
        upper_half = p > 0.5
        tail = np.where(upper_half, 1.0 - p, p)  # exact (Sterbenz), as scipy's ndtri computes it
    else:
        from_below = at("r", j) + at("s_fwd", j) * minus("q", j, 1) + at("r_prev", k) + at("s_bwd", k) * minus("q_prev", k, 1)
        from_above = (1.0 - at("r_next", j)) + at("s_fwd", j) * minus("q_next", j, -1)
        from_above = from_above + (1.0 - at("r", k)) + at("s_bwd", k) * minus("q", k, -1)
        upper_half = from_below > 1.0
        # scikit-learn stores p in X's dtype before norm.ppf: a float32 p, whose 1 - p is 1 - (1 - from_above)
        tail = np.where(upper_half, 1.0 - (1.0 - from_above * 0.5), from_below * 0.5)
    # scikit-learn: 0 where x - BOUNDS_THRESHOLD < q[0], 1 where x + BOUNDS_THRESHOLD > q[-1] (0 wins), then
    # norm.ppf, clipped to its values at BOUNDS_THRESHOLD - spacing(1) from 0 and 1
    from scipy.special import ndtri as scipy_ndtri

    threshold = 1e-7  # sklearn.preprocessing._data.BOUNDS_THRESHOLD
    bound = threshold - np.spacing(1)
    clip_min, clip_max = float(scipy_ndtri(bound)), float(scipy_ndtri(1 - bound))
    lower = (X - threshold) < Constant(_at_least(q[0], dtype))
    upper = (X + threshold) >= Constant(_strictly_above(q[-1], dtype))
    values = np.clip(ndtri_tail(tail, upper_half), clip_min, clip_max)
    return np.where(lower, clip_min, np.where(upper, clip_max, values))


def convert_quantile_transformer(est: Any, X: Expr) -> Expr:
    """QuantileTransformer, uniform or normal output: see :func:`quantile_transform`.

    ONNX has no inverse normal CDF (``scipy.stats.norm.ppf``): :func:`ndtri` builds it from piecewise Chebyshev
    series fitted at conversion time (cached), within 2e-14 of scipy's in float64."""
    if est.output_distribution not in ("uniform", "normal"):
        raise OnnxAlgebraError(
            f"QuantileTransformer: output_distribution must be 'uniform' or 'normal', got {est.output_distribution!r}."
        )
    return quantile_transform(X, est.quantiles_, est.references_, normal=est.output_distribution == "normal")


def _bspline_basis(x: Expr, knots: np.ndarray, k: int, ell: Expr) -> list[Expr]:
    """The ``k + 1`` B-splines of degree ``k`` not zero on the knot interval ``ell`` ([N, F] positions in the flat
    ``knots``, one row of knots per feature), at ``x`` ([N, F]): the Cox-de Boor triangle, ``h[m]`` being the
    B-spline ``ell - k + m``. Coincident knots give 0 where the recurrence would divide by 0."""
    flat = Constant(knots.reshape(-1).astype(x.dtype))
    t = {d: OnnxGather(flat, ell + d) for d in range(1 - k, k + 1)}
    repeated = bool(np.any(np.diff(knots, axis=1) == 0))
    h: list[Expr] = [np.ones_like(x)]
    for j in range(1, k + 1):
        previous, h = h, [x * 0.0] * (j + 1)
        h[:j] = previous[:j]
        h[0] = x * 0.0
        for n in range(1, j + 1):
            xb, xa = t[n], t[n - j]
            width = xb - xa
            if repeated:
                w = np.where(width == 0, 0.0, previous[n - 1] / np.where(width == 0, 1.0, width))
            else:
                w = previous[n - 1] / width
            h[n - 1] = h[n - 1] + w * (xb - x)
            h[n] = w * (x - xa)
    return h


def _spline_design(x: Expr, knots: np.ndarray, k: int) -> Expr:
    """``BSpline.design_matrix`` with extrapolation, per feature: [N, F, n_basis] (x [N, F], knots [F, n_t])."""
    n_features, n_t = knots.shape
    n_basis = n_t - k - 1
    dtype = np.dtype(x.dtype)
    # scipy's interval: the last knot <= x, within [k, n_basis - 1] (the first and last intervals extrapolate)
    ell = np.clip(count_at_most(x, _at_least(knots, dtype)) - 1, k, n_basis - 1)
    h = _bspline_basis(x, knots, k, ell + Constant((np.arange(n_features) * n_t).astype(np.int64)))
    # spread h[m] to column ell - k + m of each feature's n_basis columns
    first = OnnxUnsqueeze(ell - k, np.array([2], dtype=np.int64))
    columns = Constant(np.arange(n_basis, dtype=np.int64))
    offset = columns - first  # [N, F, n_basis]: which h lands in each column
    design = None
    for m, hm in enumerate(h):
        part = np.where(offset == m, OnnxUnsqueeze(hm, np.array([2], dtype=np.int64)), 0.0)
        design = part if design is None else design + part
    return design


def convert_spline_transformer(est: Any, X: Expr) -> Expr:
    """SplineTransformer: each feature's B-spline basis (``bsplines_``), every ``extrapolation``.

    The knot interval of ``x`` is a count of comparisons, the basis values
    the Cox-de Boor triangle on the gathered knots, as scipy's ``BSpline``
    evaluates them. ``'periodic'`` maps ``x`` into the base period first and
    folds the wrapped basis functions (``bsplines_[0].c``); ``'constant'`` and
    ``'linear'`` replace the values outside the knots as scikit-learn does.
    ``extrapolation='error'``: scikit-learn raises on values beyond the knots;
    the graph cannot, and gives NaN in that feature's columns for those rows.
    ``handle_missing='zeros'`` gives 0 for NaN; with ``'error'`` NaN gives NaN
    (scikit-learn raises). ``sparse_output`` has no ONNX counterpart: it raises.
    """
    if getattr(est, "sparse_output", False):
        raise OnnxAlgebraError("SplineTransformer(sparse_output=True) is not supported: ONNX tensors are dense.")
    splines = est.bsplines_
    k = int(splines[0].k)
    knots = np.stack([np.asarray(s.t, dtype=np.float64) for s in splines])
    coef = np.asarray(splines[0].c, dtype=np.float64)
    n_features = knots.shape[0]
    n_basis, n_splines = coef.shape
    mode = est.extrapolation
    x = X
    if mode == "periodic":
        start, period = knots[:, k], knots[:, n_basis] - knots[:, k]
        if np.any(period <= 0):
            raise OnnxAlgebraError("SplineTransformer(extrapolation='periodic'): a feature's knots span no period.")
        x = start + np.mod(X - start, period)
    design = _spline_design(x, knots, k)
    if mode in ("constant", "linear", "error"):
        xmin, xmax = _spline_range(est, knots, k)
        inside = OnnxUnsqueeze((X >= xmin) & (X <= xmax), np.array([2], dtype=np.int64))
        design = np.where(inside, design, np.nan if mode == "error" else 0.0)
    if not np.array_equal(coef, np.eye(n_basis)):
        design = design @ coef.astype(X.dtype)
    if mode in ("constant", "linear"):
        design = _extrapolate(est, X, design, knots, k, n_splines)
    out = design.reshape((-1, n_features * n_splines))
    if spline_handle_missing(est) == "zeros":
        nan = OnnxUnsqueeze(np.isnan(X), np.array([2], dtype=np.int64))
        out = np.where(nan, 0.0, design).reshape((-1, n_features * n_splines))
    if not est.include_bias:
        keep = np.array([j for j in range(n_features * n_splines) if (j + 1) % n_splines != 0], dtype=np.int64)
        out = OnnxArrayFeatureExtractor(out, keep)
    return out


def _spline_range(est: Any, knots: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's ``(xmin, xmax)``: ``t[k]`` and ``t[-k - 1]``. scikit-learn 1.9's ``transform`` with
    ``extrapolation='linear'`` and ``degree <= 1`` raises its local ``degree`` by one while doing the first feature
    and keeps it for the others: their range is ``t[k + 1]``, ``t[-k - 2]``, as here."""
    edge = np.full(knots.shape[0], k)
    if est.extrapolation == "linear" and k <= 1:
        edge[1:] = k + 1
    rows = np.arange(knots.shape[0])
    return knots[rows, edge], knots[rows, -edge - 1]


def _extrapolate(est: Any, X: Expr, design: Expr, knots: np.ndarray, k: int, n_splines: int) -> Expr:
    """'constant': the first ``degree`` columns at the lower end's values below it, the last ``degree`` at the upper
    end's above; 'linear': those columns continued by the tangent at each end (at least 2 of them)."""
    n_features = knots.shape[0]
    xmin, xmax = _spline_range(est, knots, k)
    f_min = np.stack([s(v) for s, v in zip(est.bsplines_, xmin, strict=True)])  # [F, n_splines]
    f_max = np.stack([s(v) for s, v in zip(est.bsplines_, xmax, strict=True)])
    below = np.zeros((n_features, n_splines), dtype=bool)
    above = np.zeros((n_features, n_splines), dtype=bool)
    if est.extrapolation == "constant":
        below[:, :k], above[:, n_splines - k :] = True, True
        low_value = OnnxUnsqueeze(X * 0.0, np.array([2], dtype=np.int64)) + Constant(np.where(below, f_min, 0).astype(X.dtype))
        high_value = OnnxUnsqueeze(X * 0.0, np.array([2], dtype=np.int64)) + Constant(np.where(above, f_max, 0).astype(X.dtype))
    else:
        d_min = np.stack([s(v, nu=1) for s, v in zip(est.bsplines_, xmin, strict=True)])
        d_max = np.stack([s(v, nu=1) for s, v in zip(est.bsplines_, xmax, strict=True)])
        degree = k + 1 if k <= 1 else k
        below[:, :degree], above[:, n_splines - degree :] = True, True
        unsq = np.array([2], dtype=np.int64)
        low_value = OnnxUnsqueeze(X - xmin, unsq) * Constant(np.where(below, d_min, 0).astype(X.dtype)) + Constant(
            np.where(below, f_min, 0).astype(X.dtype)
        )
        high_value = OnnxUnsqueeze(X - xmax, unsq) * Constant(np.where(above, d_max, 0).astype(X.dtype)) + Constant(
            np.where(above, f_max, 0).astype(X.dtype)
        )
    unsq = np.array([2], dtype=np.int64)
    is_below = OnnxUnsqueeze(X < xmin, unsq) & Constant(below)
    is_above = OnnxUnsqueeze(X > xmax, unsq) & Constant(above)
    return np.where(is_below, low_value, np.where(is_above, high_value, design))


def convert_label_encoder(est: Any, y: Expr) -> Expr:
    """LabelEncoder: each label's position in ``classes_`` (int64; an unseen label gives -1)."""
    classes = np.asarray(est.classes_)
    codes = np.arange(len(classes), dtype=np.int64)
    if classes.dtype.kind in "iub":
        y = y if y.dtype == np.int64 else y.astype(np.int64)
        return OnnxLabelEncoder(y, keys_int64s=classes.astype(np.int64).tolist(), values_int64s=codes.tolist(), default_int64=-1)
    if classes.dtype.kind == "f":
        keys = classes.astype(y.dtype)
        return OnnxLabelEncoder(y, keys_tensor=keys, values_tensor=codes, default_tensor=np.array([-1], dtype=np.int64))
    return OnnxLabelEncoder(y, keys_strings=classes.astype(str).tolist(), values_int64s=codes.tolist(), default_int64=-1)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import preprocessing

    return {
        convert_binarizer: [preprocessing.Binarizer],
        convert_standard_scaler: [preprocessing.StandardScaler],
        convert_robust_scaler: [preprocessing.RobustScaler],
        convert_label_encoder: [preprocessing.LabelEncoder],
        convert_max_abs_scaler: [preprocessing.MaxAbsScaler],
        convert_min_max_scaler: [preprocessing.MinMaxScaler],
        convert_normalizer: [preprocessing.Normalizer],
        convert_polynomial_features: [preprocessing.PolynomialFeatures],
        convert_power_transformer: [preprocessing.PowerTransformer],
        convert_quantile_transformer: [preprocessing.QuantileTransformer],
        convert_spline_transformer: [preprocessing.SplineTransformer],
    }
