"""IsotonicRegression: linear interpolation between ``X_thresholds_`` and ``y_thresholds_``, as ``numpy.interp``.

scikit-learn predicts with ``scipy.interpolate.interp1d``, which delegates to
``numpy.interp`` for float64 thresholds: the segment ``j`` of ``t`` is the
last threshold ``x[j] <= t``, and the value ``slope[j] * (t - x[j]) + y[j]``
with ``slope[j] = (y[j+1] - y[j]) / (x[j+1] - x[j])`` computed once at
conversion time (in float64, the same number numpy computes). The graph finds
``j`` by counting the thresholds ``x[1:] <= t`` (one comparison per
threshold and row, a ReduceSum of floats) and reads ``(slope, x, y)`` of the segment in
one Gather (for float32 ``t`` the thresholds it is compared with are
rounded so that the comparisons are those of float64, as scikit-learn
compares); the last threshold has a segment of its own with slope 0, so
``t == x[-1]`` gives ``y[-1]`` exactly as numpy. In float64 the result is
bit-for-bit numpy's; a model fitted on float32 ``X`` (scipy's own formula,
float32 thresholds) agrees within float32 rounding.

``y_min``/``y_max`` and ``increasing`` (True, False, 'auto') are already in
the fitted thresholds. ``out_of_bounds``:

- 'clip': ``t`` is clipped to ``[X_min_, X_max_]`` first;
- 'nan': ``t`` below the first or above the last threshold gives NaN;
- 'raise': scikit-learn raises ``ValueError`` on such a ``t``; a graph cannot
  raise, so it gives NaN there, as 'nan' (check the output with ``isnan``).

A model with a single threshold predicts its constant for every row, whatever
``t`` (as scikit-learn). A NaN ``t``, which scikit-learn refuses, gives NaN.
The input is ``X`` of shape [N, 1] or [N]; the output is [N, 1].
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Constant, Expr, OnnxAlgebraError, OnnxExpand, OnnxShape, OnnxWhere


def interpolation_table(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[slope, start, value]`` of each segment, [len(x), 3]: segment ``j`` starts at ``x[j]``; the last one, at
    ``x[-1]``, has slope 0."""
    slope = np.zeros(len(x))
    slope[:-1] = (y[1:] - y[:-1]) / (x[1:] - x[:-1])
    return np.stack([slope, x, y], axis=1)


def rounded(values: np.ndarray, dtype: np.dtype, up: bool) -> np.ndarray:
    """``values`` in ``dtype`` rounded up (or down), so that for any ``t`` of that dtype ``t >= rounded_up`` is
    exactly ``t >= value`` computed in float64 (and ``t <= rounded_down`` is ``t <= value``)."""
    near = np.asarray(values, dtype=np.float64).astype(dtype)
    wrong = near < values if up else near > values
    return np.where(wrong, np.nextafter(near, np.array(np.inf if up else -np.inf, dtype=dtype)), near)


def interpolate(t: Expr, x: np.ndarray, y: np.ndarray) -> Expr:
    """``numpy.interp(t, x, y)`` inside ``[x[0], x[-1]]`` (extrapolated with the end segments outside) for
    ``t`` [N, 1] and increasing ``x``: [N, 1]."""
    table = Constant(interpolation_table(x, y).astype(t.dtype))
    # [N]: how many x[1:] are <= t, counted in t's dtype (exact: below 2**24 thresholds in float32; onnxruntime sums
    # floats ~9x faster than int64, 1,000 rows x 195 thresholds 52 us against 456 us), an index again for the Gather
    count = t.dtype if t.dtype == np.float64 or len(x) < 2**24 else np.int64
    segment = (t >= rounded(x[1:], t.dtype, up=True)).astype(count).sum(axis=1).astype(np.int64)
    found = table[segment]  # [N, 3]
    return found[:, 0:1] * (t - found[:, 1:2]) + found[:, 2:3]


def convert_isotonic_regression(est: Any, X: Expr) -> Expr:
    """IsotonicRegression: ``predict`` as [N, 1] (interpolation, ``out_of_bounds`` as described in the module)."""
    shape = X.shape
    if shape is not None and not (len(shape) == 1 or (len(shape) == 2 and shape[1] in (1, None))):
        raise OnnxAlgebraError(f"IsotonicRegression: X must be [N] or [N, 1] (one feature), got {X.type}.")
    t = X.reshape(-1, 1)
    x = np.asarray(est.X_thresholds_, dtype=np.float64)
    y = np.asarray(est.y_thresholds_, dtype=np.float64)
    if est.out_of_bounds == "clip":
        t = np.clip(t, float(est.X_min_), float(est.X_max_))
    if len(x) == 1:  # scikit-learn's constant prediction, whatever t
        return OnnxExpand(Constant(y.reshape(1, 1).astype(t.dtype)), OnnxShape(t))
    value = interpolate(t, x, y)
    if est.out_of_bounds in ("nan", "raise"):  # 'raise' cannot raise in a graph: NaN as 'nan'
        outside = (t < rounded(x[:1], t.dtype, up=True)) | (t > rounded(x[-1:], t.dtype, up=False))
        value = OnnxWhere(outside, np.array(np.nan, dtype=t.dtype), value)
    return value


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn.isotonic import IsotonicRegression

    return {convert_isotonic_regression: [IsotonicRegression]}
