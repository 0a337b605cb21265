"""Attributes of fitted scikit-learn estimators whose meaning changed across the versions ``pyproject.toml`` allows.

Every converter that reads such an attribute reads it through a function of
this module, which names the versions it covers (``make test-oldest`` runs the
converter tests with the oldest scikit-learn allowed, 1.3).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn

__all__ = ["SKLEARN_VERSION", "pls_coef", "tree_class_fractions"]

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


def tree_class_fractions(tree: Any, n_classes: int) -> np.ndarray:
    """The class fractions of every node of a fitted classification ``Tree`` (its first output), [node_count,
    n_classes] (float64): what ``predict_proba`` returns for a sample ending in that node.

    scikit-learn 1.4 and newer store the fractions in ``tree_.value``; 1.3 stores
    the (weighted) class counts there and ``predict_proba`` divides each row by
    its sum. Dividing here serves both, read from the fitted tree itself (a row of
    fractions already sums to 1; a row summing to 0 is left as it is, as
    ``predict_proba`` does).

    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 0])
    >>> est = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    >>> leaves = est.apply(X)
    >>> bool(np.allclose(tree_class_fractions(est.tree_, 2)[leaves], est.predict_proba(X)))
    True
    """
    value = np.asarray(tree.value[:, 0, :n_classes], dtype=np.float64)
    total = value.sum(axis=1, keepdims=True)
    return value / np.where(total == 0.0, 1.0, total)
