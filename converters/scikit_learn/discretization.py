"""KBinsDiscretizer: each value's bin, counted against the fitted inner edges.

scikit-learn's ``np.searchsorted(bin_edges_[j][1:-1], x, side='right')`` is the
number of inner edges ``e <= x``: one ``GreaterOrEqual`` of X [N, F, 1] against
a table of thresholds [F, K] (a feature with fewer edges is padded with NaN,
which no value reaches), then ``ReduceSum``. Every strategy (uniform, quantile,
kmeans) only differs in the edges it fitted, and ``subsample`` only in how it
fitted them.

The comparisons are exact: scikit-learn compares a float32 X with the float64
edges in float64, and ``x >= e`` for every float32 ``x`` is ``x >= t`` with
``t`` the smallest float32 not below ``e``; an integer X compares with
``ceil(e)`` in int64. Values outside the fitted range go to the first or last
bin, as scikit-learn's; NaN (which scikit-learn rejects) to the first. A string
input (an object array of numbers) is parsed into the computation dtype first
(float32 unless ``to_onnx(..., dtype=np.float64)``), as scikit-learn's
``check_array`` converts it (into float64).

``encode='ordinal'`` gives the bins in the computation dtype; ``'onehot'`` and
``'onehot-dense'`` the dense one-hot matrix (``Equal`` and ``Cast``, as the
OneHotEncoder's), whatever the discretizer's ``dtype``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxCast, OnnxGreaterOrEqual, OnnxMin, OnnxReduceSum, OnnxUnsqueeze, computation_dtype

from .encoders import _onnx_type, as_int64, input_kind, one_hot


def float32_ceiling(edge: float) -> np.float32:
    """The smallest float32 ``t`` with ``t >= edge`` (so that ``x >= t`` iff ``x >= edge`` for float32 ``x``)."""
    with np.errstate(over="ignore"):
        t = np.float32(edge)
    if float(t) < edge:
        t = np.nextafter(t, np.float32(np.inf))
    return t


def thresholds(est: Any, kind: str, dtype: np.dtype) -> tuple[np.ndarray, bool]:
    """``(table, padded)``: the inner edges of every feature as thresholds [F, K] for an input of ``kind`` (and
    ``dtype`` for floats), padded where a feature has fewer (NaN for floats; the largest int64 for integers, which
    a value can reach: ``padded`` says a clip is needed)."""
    inner = [np.asarray(edges, dtype=np.float64)[1:-1] for edges in est.bin_edges_]
    width = max((len(e) for e in inner), default=0)
    padded = any(len(e) < width for e in inner)
    if kind == "int":
        info = np.iinfo(np.int64)
        table = np.full((len(inner), width), info.max, dtype=np.int64)
        for j, edges in enumerate(inner):
            for b, e in enumerate(edges):
                table[j, b] = info.min if e <= info.min else info.max if e >= info.max else math.ceil(e)
        return table, padded
    table = np.full((len(inner), width), np.nan, dtype=dtype)
    for j, edges in enumerate(inner):
        table[j, : len(edges)] = [float32_ceiling(e) for e in edges] if dtype == np.float32 else edges
    return table, False


def bins(est: Any, X: Expr, dtype: np.dtype) -> Expr:
    """The bin of each value [N, F], in ``dtype`` (int64 or a float dtype)."""
    kind = input_kind(X)
    if kind == "string":  # an object array of numbers: parsed, as scikit-learn's check_array converts it
        X, kind = X.astype(computation_dtype()), "float"
    values = as_int64(X) if kind == "int" else X
    table, clip = thresholds(est, kind, values.dtype)
    if table.shape[1] == 0:  # a single bin everywhere
        table = np.full((table.shape[0], 1), np.nan if kind == "float" else np.iinfo(np.int64).max, dtype=table.dtype)
        clip = kind == "int"
    reached = OnnxGreaterOrEqual(OnnxUnsqueeze(values, np.array([2], dtype=np.int64)), table)  # [N, F, K]
    count = OnnxReduceSum(OnnxCast(reached, to=_onnx_type(dtype)), np.array([2], dtype=np.int64), keepdims=0)
    if clip:  # an int64 value equal to the padding
        count = OnnxMin(count, (np.asarray(est.n_bins_) - 1).astype(dtype))
    return count


def convert_kbins_discretizer(est: Any, X: Expr) -> Expr:
    """KBinsDiscretizer: the bins (``encode='ordinal'``) or their dense one-hot columns, in the computation dtype."""
    dtype = computation_dtype()
    if est.encode == "ordinal":
        return bins(est, X, dtype)
    return one_hot(bins(est, X, np.dtype(np.int64)), [int(n) for n in est.n_bins_], dtype)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import preprocessing

    return {convert_kbins_discretizer: [preprocessing.KBinsDiscretizer]}
