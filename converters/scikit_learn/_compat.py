"""Attributes of fitted scikit-learn estimators whose meaning changed across the versions ``pyproject.toml`` allows.

Every converter that reads such an attribute reads it through a function of
this module, which names the versions it covers (``make test-oldest`` runs the
converter tests with the oldest scikit-learn allowed, 1.3).
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

import numpy as np

__all__ = [
    "SKLEARN_VERSION",
    "adaboost_samme_r",
    "bayesian_std_centres_x",
    "gradient_boosting_columns",
    "hist_gradient_boosting_bin_categories",
    "nearest_centroid_priors",
    "pls_coef",
    "self_training_estimator",
    "spline_handle_missing",
    "tree_class_fractions",
]

def _installed_version() -> tuple[int, int]:
    """(major, minor) of the installed scikit-learn, read from its metadata (scikit-learn is not imported: the
    LightGBM and XGBoost converters share this package's helpers), (0, 0) without it."""
    try:
        text = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return (0, 0)
    found = re.match(r"(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


SKLEARN_VERSION: tuple[int, int] = _installed_version()


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


def gradient_boosting_columns(est: Any) -> int:
    """The number of trees per stage of a fitted GradientBoostingClassifier or Regressor (1, or the number of
    classes beyond two): the columns of its raw predictions.

    scikit-learn 1.4 and newer call it ``n_trees_per_iteration_``; 1.3 has no such
    attribute. The shape of ``estimators_`` ([n_stages, K]) says it in every version.

    >>> import numpy as np
    >>> from sklearn.ensemble import GradientBoostingClassifier
    >>> X, y = np.arange(12.0).reshape(-1, 1), np.arange(12) % 3
    >>> gradient_boosting_columns(GradientBoostingClassifier(n_estimators=2).fit(X, y))
    3
    """
    return int(np.shape(est.estimators_)[1])


def hist_gradient_boosting_bin_categories(est: Any) -> dict[int, np.ndarray] | None:
    """A fitted HistGradientBoosting model's categories for models that compare raw values with the categorical
    splits' bitsets (scikit-learn 1.3): for each categorical feature, an array whose entry ``v`` is ``v`` for a
    category seen in training and NaN otherwise (the bit ``v`` of a bitset is the raw value ``v``); None for models
    that ordinal-encode their categorical columns first (a ``_preprocessor``: 1.4 and newer).

    In 1.3 the categories are the features' integer values themselves (0 to 255),
    kept in ``_bin_mapper.bin_thresholds_``; a value that is not one of them
    (unknown, negative) goes where NaN goes.

    >>> import numpy as np
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> X = np.array([[0.0], [2.0], [3.0], [2.0]] * 10)
    >>> est = HistGradientBoostingRegressor(categorical_features=[0], max_iter=1).fit(X, X[:, 0])
    >>> categories = hist_gradient_boosting_bin_categories(est)
    >>> categories is None or np.array_equal(categories[0], [0.0, np.nan, 2.0, 3.0], equal_nan=True)
    True
    """
    if hasattr(est, "_preprocessor") or getattr(est, "is_categorical_", None) is None:
        return None
    categories = {}
    for feature in np.flatnonzero(est.is_categorical_):
        known = np.asarray(est._bin_mapper.bin_thresholds_[feature], dtype=np.float64)
        known = known[~np.isnan(known)]
        values = np.full(int(known.max()) + 1 if len(known) else 0, np.nan)
        values[known.astype(np.int64)] = known
        categories[int(feature)] = values
    return categories


def adaboost_samme_r(est: Any) -> bool:
    """Whether a fitted AdaBoostClassifier uses the SAMME.R algorithm (its members' log-probabilities, every
    member weighing 1) rather than SAMME (weighted votes).

    SAMME.R is scikit-learn's default before 1.4, deprecated in 1.4 and removed in
    1.6 (whose models are all SAMME); the fitted estimator's ``algorithm`` says it.

    >>> import numpy as np
    >>> from sklearn.ensemble import AdaBoostClassifier
    >>> X, y = np.arange(8.0).reshape(-1, 1), np.arange(8) % 2
    >>> adaboost_samme_r(AdaBoostClassifier(n_estimators=2).fit(X, y)) == (SKLEARN_VERSION < (1, 4))
    True
    """
    return getattr(est, "algorithm", "SAMME") == "SAMME.R"


def bayesian_std_centres_x(est: Any) -> bool:
    """Whether BayesianRidge / ARDRegression's ``predict(X, return_std=True)`` centres ``X`` by ``X_offset_``
    before ``sigma_`` (the posterior covariance, fitted on centred rows) applies to it.

    scikit-learn 1.9 and newer centre it (scikit-learn issue 33757); older
    versions apply ``sigma_`` to ``X`` itself. Nothing in the fitted estimator
    tells them apart, so the version decides.

    >>> bayesian_std_centres_x(None) == (SKLEARN_VERSION >= (1, 9))
    True
    """
    return SKLEARN_VERSION >= (1, 9)


def nearest_centroid_priors(est: Any) -> np.ndarray:
    """A fitted NearestCentroid's class priors, [n_classes] (float64).

    scikit-learn 1.5 and newer keep them in ``class_prior_`` (the ``priors``
    parameter); older versions have no priors: ``predict`` is the nearest centroid,
    which is what uniform priors give.

    >>> import numpy as np
    >>> from sklearn.neighbors import NearestCentroid
    >>> est = NearestCentroid().fit(np.array([[0.0], [1.0], [5.0]]), [0, 0, 1])
    >>> nearest_centroid_priors(est).tolist()
    [0.5, 0.5]
    """
    priors = getattr(est, "class_prior_", None)
    if priors is None:
        return np.full(len(est.classes_), 1.0 / len(est.classes_))
    return np.asarray(priors, dtype=np.float64)


def self_training_estimator(est: Any) -> Any:
    """A fitted SelfTrainingClassifier's classifier fitted on the self-labelled data.

    scikit-learn 1.6 and newer call it ``estimator_``; older versions
    ``base_estimator_``.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.semi_supervised import SelfTrainingClassifier
    >>> X, y = np.arange(6.0).reshape(-1, 1), np.array([0, 0, -1, -1, 1, 1])
    >>> type(self_training_estimator(SelfTrainingClassifier(LogisticRegression()).fit(X, y))).__name__
    'LogisticRegression'
    """
    fitted = getattr(est, "estimator_", None)
    return est.base_estimator_ if fitted is None else fitted


def spline_handle_missing(est: Any) -> str:
    """A SplineTransformer's ``handle_missing``: 'error' (NaN gives NaN in the model; scikit-learn refuses it) or
    'zeros' (NaN gives a row of zeros).

    The parameter is new in scikit-learn 1.8; older versions refuse NaN, which is
    'error'.

    >>> from sklearn.preprocessing import SplineTransformer
    >>> spline_handle_missing(SplineTransformer())
    'error'
    """
    return getattr(est, "handle_missing", "error")
