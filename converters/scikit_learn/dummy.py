"""DummyClassifier, DummyRegressor: a constant row repeated once per row of X.

Only the number of rows of ``X`` is read (``Shape``), never its values, as in
scikit-learn (a NaN in X changes nothing). Strategies whose predictions are
random (DummyClassifier ``stratified``; ``uniform``, whose ``predict`` draws
a class at random) have no deterministic graph and raise
:class:`~onnxalgebra.OnnxAlgebraError`; so do multi-output classifiers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Constant, Expr, OnnxAlgebraError, OnnxConcat, OnnxExpand, OnnxShape, computation_dtype

from ._common import classes_constant


def repeat_rows(X: Expr, row: np.ndarray) -> Expr:
    """``row`` ([k] or a scalar) repeated for each row of ``X``: [N, k] (a scalar: [N]).

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> repeat_rows(Var("X", np.float64, [None, 3]), np.array([1.0, 2.0])).eval({"X": np.zeros((2, 3))}).tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """
    rows = OnnxShape(X, start=0, end=1)
    row = np.asarray(row)
    if row.ndim == 0:
        return OnnxExpand(Constant(row.reshape(1)), rows)
    return OnnxExpand(Constant(row.reshape(1, -1)), OnnxConcat(rows, np.array([row.shape[0]], dtype=np.int64), axis=0))


def _float(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=computation_dtype())


def convert_dummy_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """DummyClassifier (``most_frequent``, ``prior``, ``constant``): the same label and probabilities for every row."""
    name = type(est).__name__
    if getattr(est, "n_outputs_", 1) != 1 or isinstance(est.classes_, list):
        raise OnnxAlgebraError(f"{name}: multi-output targets (n_outputs_={est.n_outputs_}) are not supported; fit on a 1-d y.")
    strategy = getattr(est, "_strategy", est.strategy)
    prior = np.asarray(est.class_prior_, dtype=np.float64)
    classes = np.asarray(est.classes_)
    if strategy in ("most_frequent", "prior"):
        position = int(prior.argmax())  # numpy's argmax: the first class of the largest prior, as scikit-learn
        proba = prior if strategy == "prior" else np.eye(len(classes))[position]
    elif strategy == "constant":
        constant = np.asarray(est.constant).reshape(-1)
        position = int(np.flatnonzero(classes == constant[0].astype(classes.dtype))[0])
        proba = np.eye(len(classes))[position]
    else:
        raise OnnxAlgebraError(
            f"{name}: strategy={strategy!r} predicts at random (numpy's random generator); no ONNX graph reproduces it. "
            "Convert a model with strategy 'most_frequent', 'prior' or 'constant'."
        )
    label = classes_constant(est).value[position]
    return repeat_rows(X, np.asarray(label)), repeat_rows(X, _float(proba))


def convert_dummy_regressor(est: Any, X: Expr) -> Expr:
    """DummyRegressor (every strategy: ``constant_`` holds the mean, median, quantile or constant): [N, n_outputs]."""
    return repeat_rows(X, _float(np.asarray(est.constant_).reshape(-1)))


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import dummy

    return {convert_dummy_classifier: [dummy.DummyClassifier], convert_dummy_regressor: [dummy.DummyRegressor]}
