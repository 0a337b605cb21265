"""sklearn.model_selection: the estimators that predict with a fitted estimator they hold.

- GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV,
  HalvingRandomSearchCV: ``best_estimator_``'s converter, with the options
  given (it checks them). A search fitted with ``refit=False`` has no
  ``best_estimator_`` and cannot predict: a clear error.
- FixedThresholdClassifier and TunedThresholdClassifierCV: the binary
  estimator's score, ``predict_proba``'s column of the positive class or the
  decision function (negated when the positive class is ``classes_[0]``), the
  first of ``response_method`` the estimator has (``'auto'``:
  ``predict_proba`` then ``decision_function``); the label is
  ``classes_[map[score >= threshold]]`` with scikit-learn's
  ``_threshold_scores_to_class_labels`` mapping (``pos_label=None``: the
  second class when the threshold is reached). ``threshold='auto'`` is 0.5 on
  probabilities and 0 on a decision function; the tuned one uses
  ``best_threshold_`` and the positive label of its scorer. The second output
  is the estimator's ``predict_proba`` (``decision_function`` when it has
  none), as the wrapper's own.

They hand a DataFrame's columns to the estimator they hold (``takes_columns``).
The comparison ``score >= threshold`` is done in the computation dtype: in
float32, a score within float32's rounding of the threshold may fall on the
other side than scikit-learn's float64 one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Columns, Constant, Expr, OnnxAlgebraError, convert_estimator, takes_columns

from ._common import label_of
from .multiclass import label_and_decision, no_options


@takes_columns
def convert_search_cv(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, ...]:
    """GridSearchCV, RandomizedSearchCV and the halving searches: their ``best_estimator_``'s outputs.

    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(30, 3)
    >>> search = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3).fit(X, X.sum(axis=1))
    >>> [o.name for o in to_onnx(search, X[:1]).graph.output]
    ['variable']
    """
    best = getattr(est, "best_estimator_", None)
    if best is None:
        raise OnnxAlgebraError(
            f"{type(est).__name__} was fitted with refit={est.refit!r}: it has no best_estimator_ and cannot predict; "
            "fit it with refit=True (or convert the estimator you refit yourself)."
        )
    return convert_estimator(best, X, options)


def _response_methods(est: Any) -> list[str]:
    method = est.response_method
    if isinstance(method, str):
        return ["predict_proba", "decision_function"] if method == "auto" else [method]
    return list(method)


def threshold_outputs(est: Any, inner: Any, X: Expr | Columns, threshold: Any, pos_label: Any) -> tuple[Expr, Expr]:
    """``(label, second output)`` of a threshold classifier over the fitted binary classifier ``inner``."""
    classes = np.asarray(inner.classes_)
    if len(classes) != 2:
        raise OnnxAlgebraError(f"{type(est).__name__}: the estimator has {len(classes)} classes; a threshold needs two.")
    methods = _response_methods(est)
    method = next((m for m in methods if hasattr(inner, m)), None)
    if method not in ("predict_proba", "decision_function"):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: response_method={est.response_method!r}; {type(inner).__name__} has "
            f"{'none of them' if method is None else method + ', which is not supported'} (predict_proba or "
            "decision_function expected)."
        )
    positive = classes[-1] if pos_label is None else pos_label
    if positive not in classes.tolist():
        raise OnnxAlgebraError(f"{type(est).__name__}: pos_label={pos_label!r} is not one of the classes {classes.tolist()}.")
    # the estimator converted once: its probabilities (or decision function) are the second output too
    probabilities = convert_estimator(inner, X)[1] if hasattr(inner, "predict_proba") else None
    decision = label_and_decision(inner, X)[1] if probabilities is None or method == "decision_function" else None
    if method == "predict_proba":
        column = int(np.flatnonzero(classes == positive)[0])
        score = probabilities[:, column]
    else:
        score = decision.reshape(-1)
        if positive == classes[0]:
            score = -score
    if isinstance(threshold, str) and threshold == "auto":
        threshold = 0.5 if method == "predict_proba" else 0.0
    if pos_label is None:
        negative_index, positive_index = 0, 1
    else:
        positive_index = int(np.flatnonzero(classes == pos_label)[0])
        negative_index = int(np.flatnonzero(classes != pos_label)[0])
    reached = score >= float(threshold)
    if (positive_index, negative_index) == (1, 0):
        index = reached.astype(np.int64)
    else:
        index = np.where(reached, Constant(np.int64(positive_index)), Constant(np.int64(negative_index)))
    return label_of(est, index), probabilities if probabilities is not None else decision


@takes_columns
def convert_fixed_threshold(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """FixedThresholdClassifier: ``classes_[score >= threshold]`` (``pos_label`` and ``response_method`` as
    scikit-learn), and the estimator's probabilities (or decision function)."""
    no_options(est, options)
    inner = getattr(est, "estimator_", None)
    inner = est.estimator if inner is None else inner
    return threshold_outputs(est, inner, X, est.threshold, est.pos_label)


def _tuned_pos_label(est: Any) -> Any:
    scorer = getattr(est, "_curve_scorer", None)
    if scorer is None:
        getter = getattr(est, "_get_curve_scorer", None)
        scorer = getter() if getter is not None else None
    if scorer is None or not hasattr(scorer, "_get_pos_label"):
        raise OnnxAlgebraError(
            "TunedThresholdClassifierCV: cannot read the positive label of its scorer from this scikit-learn version."
        )
    return scorer._get_pos_label()


@takes_columns
def convert_tuned_threshold(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, Expr]:
    """TunedThresholdClassifierCV: ``estimator_``'s score against ``best_threshold_``, and its probabilities (or
    decision function)."""
    no_options(est, options)
    return threshold_outputs(est, est.estimator_, X, est.best_threshold_, _tuned_pos_label(est))


def _halving_searches() -> list[type]:
    try:  # experimental: importable from sklearn.model_selection only after enable_halving_search_cv
        from sklearn.model_selection._search_successive_halving import HalvingGridSearchCV, HalvingRandomSearchCV
    except ImportError:  # pragma: no cover - a scikit-learn that moved them
        return []
    return [HalvingGridSearchCV, HalvingRandomSearchCV]


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import model_selection

    thresholds = {}
    if hasattr(model_selection, "FixedThresholdClassifier"):  # scikit-learn >= 1.5
        thresholds = {
            convert_fixed_threshold: [model_selection.FixedThresholdClassifier],
            convert_tuned_threshold: [model_selection.TunedThresholdClassifierCV],
        }
    return {
        convert_search_cv: [model_selection.GridSearchCV, model_selection.RandomizedSearchCV, *_halving_searches()],
        **thresholds,
    }
