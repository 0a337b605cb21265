"""Feature selection: every selector's ``transform`` is one column selection, ``X[:, get_support()]``.

The fitted selectors (VarianceThreshold, SelectKBest, SelectPercentile,
SelectFpr, SelectFdr, SelectFwe, GenericUnivariateSelect, SelectFromModel,
SequentialFeatureSelector) keep the columns of their support mask, in order:
one ``ai.onnx.ml`` ArrayFeatureExtractor (none when every column is kept). A
selector that keeps no column gives an ``[N, 0]`` matrix, as scikit-learn does
(scikit-learn warns; the graph does not).

RFE and RFECV are classifiers or regressors when their estimator is one (they
have ``predict``): their converter is the fitted ``estimator_``'s on the selected
columns, with the outputs of its kind (``label`` and ``probabilities``, or
``variable``), as ``RFE.predict`` computes them. Options go to ``estimator_``'s
converter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxArrayFeatureExtractor, convert_estimator


def support_indices(est: Any) -> np.ndarray:
    """The positions of the columns ``est`` keeps (``est.get_support(indices=True)``), int64."""
    return np.asarray(est.get_support(indices=True), dtype=np.int64)


def select_support(est: Any, X: Expr) -> Expr:
    """``X[:, est.get_support()]``: X itself when every column is kept, an ``[N, 0]`` matrix when none is.

    >>> import numpy as np
    >>> from sklearn.feature_selection import VarianceThreshold
    >>> from onnxalgebra import Var
    >>> sel = VarianceThreshold(0.1).fit(np.array([[0.0, 1.0, 5.0], [0.0, 3.0, 5.0]]))
    >>> select_support(sel, Var("X", np.float64, [None, 3])).shape
    (None, 1)
    """
    indices = support_indices(est)
    n_features = est.n_features_in_
    if X.shape is not None and len(X.shape) == 2 and isinstance(X.shape[1], int) and X.shape[1] != n_features:
        raise OnnxAlgebraError(f"{type(est).__name__} was fitted on {n_features} features but X has {X.shape[1]}.")
    if len(indices) == 0:
        return X.at[:, 0:0]
    if np.array_equal(indices, np.arange(n_features)):
        return X
    return OnnxArrayFeatureExtractor(X, indices)


def convert_selector(est: Any, X: Expr) -> Expr:
    """A feature selector's ``transform``: the columns of its support mask, in order."""
    return select_support(est, X)


def convert_rfe(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, ...]:
    """RFE, RFECV: ``estimator_``'s outputs on the selected columns (``RFE.predict``, ``predict_proba``).

    Options (e.g. ``{'decision_function': True}``) are ``estimator_``'s converter's, but
    ``{'transform': True}`` (what a Pipeline asks of an intermediate step) makes the last output the selected
    columns (``transform``) instead. An RFE whose estimator does not predict is a transformer, and then takes
    no option."""
    selected = select_support(est, X)
    if not hasattr(est.estimator_, "predict"):
        if options:
            raise OnnxAlgebraError(f"{type(est).__name__} as a transformer takes no option, got {sorted(options)}.")
        return selected
    options = dict(options or {})
    if options.pop("transform", False):
        outputs = convert_estimator(est.estimator_, selected, options)
        return (*outputs[:-1], selected)
    return convert_estimator(est.estimator_, selected, options)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import feature_selection as fs

    return {
        convert_selector: [
            fs.VarianceThreshold,
            fs.SelectKBest,
            fs.SelectPercentile,
            fs.SelectFpr,
            fs.SelectFdr,
            fs.SelectFwe,
            fs.GenericUnivariateSelect,
            fs.SelectFromModel,
            fs.SequentialFeatureSelector,
        ],
        convert_rfe: [fs.RFE, fs.RFECV],
    }
