"""sklearn.frozen.FrozenEstimator: a fitted estimator whose ``fit`` does nothing; it predicts with the one it holds.

Every method of a FrozenEstimator is its ``estimator``'s, so the model is
that estimator's: its converter gives the outputs (a classifier's label and
probabilities, a regressor's or transformer's variable, ...) with the options
given (it checks them). A DataFrame's columns go to it as they are
(``takes_columns``), so a frozen pipeline starting with a ColumnTransformer
reads its columns by name.
"""

from __future__ import annotations

from typing import Any

from onnxalgebra import Columns, Expr, OnnxAlgebraError, convert_estimator, takes_columns


@takes_columns
def convert_frozen(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, ...]:
    """FrozenEstimator: the outputs of the estimator it holds (``est.estimator``), with the same options.

    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(20, 3)
    >>> frozen = FrozenEstimator(LogisticRegression().fit(X, X[:, 0] > 0.5))
    >>> [o.name for o in to_onnx(frozen, X[:1]).graph.output]
    ['label', 'probabilities']
    """
    inner = getattr(est, "estimator", None)
    if inner is None or isinstance(inner, (str, type)):
        raise OnnxAlgebraError(f"FrozenEstimator: expected a fitted estimator in its 'estimator', got {inner!r}.")
    return convert_estimator(inner, X, options)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # scikit-learn < 1.6 has no FrozenEstimator
        return {}
    return {convert_frozen: [FrozenEstimator]}
