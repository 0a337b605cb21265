"""Attributes of fitted scikit-learn estimators whose meaning changed across the versions ``pyproject.toml`` allows.

Every converter that reads such an attribute reads it through a function of
this module, which names the versions it covers (``make test-oldest`` runs the
converter tests with the oldest scikit-learn allowed, 1.3).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn

__all__ = ["SKLEARN_VERSION", "pls_coef"]

SKLEARN_VERSION: tuple[int, int] = tuple(int(p) for p in sklearn.__version__.split(".")[:2])  # type: ignore[assignment]


def pls_coef(est: Any) -> np.ndarray:
    """A fitted PLS model's coefficients in the units of ``X``, [n_features, n_targets] (float64):
    ``predict(X) = (X - _x_mean) @ pls_coef(est) + intercept_``.

    scikit-learn 1.5 and newer scale ``coef_`` by ``X``'s standard deviations
    itself; 1.3 and 1.4 apply ``coef_`` to ``X`` scaled by ``_x_std`` (their
    ``predict`` divides by it first), so it is divided here.

    >>> import numpy as np
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [3.0, 2.0]])
    >>> est = PLSRegression(n_components=1).fit(X, X @ [1.0, 2.0])
    >>> bool(np.allclose((X - est._x_mean) @ pls_coef(est) + est.intercept_, est.predict(X).reshape(-1, 1)))
    True
    """
    coef = np.asarray(est.coef_, dtype=np.float64).T
    if SKLEARN_VERSION < (1, 5):
        coef = coef / np.asarray(est._x_std, dtype=np.float64)[:, None]
    return coef
