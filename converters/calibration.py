"""CalibratedClassifierCV: the mean, over the calibrated classifiers, of calibrated one-vs-rest probabilities.

Each calibrated classifier maps a column of its base estimator's decision
function (its probabilities when it has none) through a calibrator, sigmoid
(Platt) or isotonic (piecewise linear), then normalises the columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxClip, OnnxConcat, OnnxExp, OnnxGather, convert_estimator

from ._common import argmax_label, binary_columns, normalise_rows


def base_columns(base: Any, X: Expr) -> list[Expr]:
    """What the calibrators see, one [N, 1] column each: the decision function, else the probabilities
    (the positive class's only, for two classes)."""
    if hasattr(base, "decision_function"):
        _, scores = convert_estimator(base, X, {"decision_function": True})
        if len(scores.shape) == 1:
            return [scores.reshape(-1, 1)]
    else:
        _, scores = convert_estimator(base, X)
        if len(base.classes_) == 2:
            return [scores.at[:, 1:2]]
    return [scores.at[:, j : j + 1] for j in range(len(base.classes_))]


def sigmoid_calibration(calibrator: Any, t: Expr) -> Expr:
    """Platt's sigmoid: ``1 / (1 + exp(a t + b))`` (onnxruntime's Sigmoid loses the tails)."""
    return 1 / (1 + OnnxExp(t * calibrator.a_ + calibrator.b_))


def isotonic_calibration(calibrator: Any, t: Expr) -> Expr:
    """Linear interpolation between the thresholds, ``t`` clipped to their range."""
    x, y = calibrator.X_thresholds_, calibrator.y_thresholds_
    t = OnnxClip(t, x[0], x[-1])
    if len(x) == 1:
        return t * 0 + y[0]
    slope = np.diff(y) / np.diff(x)
    if len(x) == 2:
        return (t - x[0]) * slope[0] + y[0]
    k = (t >= x[1:-1]).astype(np.int64).sum(axis=1, keepdims=True)  # segment of t: inner thresholds <= t
    return OnnxGather(slope, k) * (t - OnnxGather(x[:-1], k)) + OnnxGather(y[:-1], k)


def calibrated_probabilities(calibrated: Any, classes: np.ndarray, X: Expr) -> Expr:
    """One ``_CalibratedClassifier``: calibrate each column, then normalise as scikit-learn."""
    if not np.array_equal(calibrated.estimator.classes_, classes):
        raise OnnxAlgebraError("CalibratedClassifierCV: a base estimator fitted on a subset of the classes is not supported.")
    calibrate = {"sigmoid": sigmoid_calibration, "isotonic": isotonic_calibration}.get(calibrated.method)
    if calibrate is None:
        raise OnnxAlgebraError(f"CalibratedClassifierCV: method {calibrated.method!r} is not supported.")
    columns = [calibrate(c, t) for c, t in zip(calibrated.calibrators, base_columns(calibrated.estimator, X), strict=True)]
    if len(classes) == 2:
        return binary_columns(columns[0])
    return normalise_rows(OnnxConcat(*columns, axis=1))


def convert_calibrated_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """CalibratedClassifierCV: the mean of the calibrated classifiers' probabilities, its argmax label."""
    members = [calibrated_probabilities(c, est.classes_, X) for c in est.calibrated_classifiers_]
    total = members[0]
    for proba in members[1:]:
        total = total + proba
    proba = total / float(len(members)) if len(members) > 1 else total
    return argmax_label(est, proba), proba
