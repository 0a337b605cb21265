"""sklearn.multioutput: one member per output (MultiOutput*) or a chain of them (ClassifierChain, RegressorChain).

- MultiOutputRegressor: the members' predictions side by side, [N, n_targets].
- MultiOutputClassifier: ``label`` [N, n_outputs], the members' labels side by
  side (int64 when every member has integer classes, strings when any has
  string classes, the integers then written as numpy's ``str`` writes them,
  as ``np.asarray`` of scikit-learn's list does). scikit-learn's
  ``predict_proba`` is a list of [N, n_classes_j] arrays; the graph gives them
  concatenated, ``probabilities`` [N, sum of n_classes_j], in the order of the
  outputs (``np.hstack(est.predict_proba(X))``). Members without
  ``predict_proba``: ``scores``, their decision functions side by side (one
  column for a binary member), ``np.column_stack`` of the members'
  ``decision_function`` (MultiOutputClassifier has none itself).
- ClassifierChain: member ``k`` sees ``X`` and the ``chain_method_`` outputs
  of the members before it (``predict``, or the positive class's
  ``predict_proba`` / ``predict_log_proba`` / ``decision_function``), and the
  columns are put back in the order of the outputs (``order_``). ``label`` is
  [N, n_outputs] in the computation dtype: scikit-learn's ``predict`` returns
  the class values as floats (float64; float32 in a float32 graph, which has
  no other float type). The second output is ``predict_proba`` [N, n_outputs]
  (the positive class of each output), else ``decision_function``. Members
  must be binary, as scikit-learn's chain requires (it fits only on numbers).
- RegressorChain: the same chain over ``predict``, [N, n_targets].

No options are accepted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxConcat, OnnxExp, OnnxGemm, convert_estimator

from ._common import label_of
from .multiclass import label_and_decision, linear_members, no_options, side_by_side


def _column(value: Expr) -> Expr:
    return value.reshape(-1, 1) if value.shape is not None and len(value.shape) == 1 else value


def stack_labels(est: Any, labels: list[Expr]) -> Expr:
    """[N] labels side by side as [N, k] of one type: strings when any is a string, else float64 when any is a float,
    else int64 (numpy's ``asarray`` of the list, bools counting as integers)."""
    kinds = {label.dtype.kind for label in labels}
    if "O" in kinds or "U" in kinds:
        target: Any = np.dtype(object)
    elif "f" in kinds:
        target = np.dtype(np.float64)
    elif kinds <= {"i", "u", "b"}:
        target = np.dtype(np.int64)
    else:
        raise OnnxAlgebraError(f"{type(est).__name__}: the members' labels have the types {sorted(kinds)}; cannot stack them.")
    columns = [_column(label if label.dtype == target else label.astype(target)) for label in labels]
    return side_by_side(columns)


def convert_multi_output_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """MultiOutputRegressor: each target's regressor, side by side, [N, n_targets]."""
    no_options(est, options)
    return side_by_side([_column(convert_estimator(member, X)[0]) for member in est.estimators_])


def convert_multi_output_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """MultiOutputClassifier: the labels [N, n_outputs] and the probabilities concatenated [N, sum of n_classes]
    (the decision functions side by side when the members have no ``predict_proba``).

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multioutput import MultiOutputClassifier
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(30, 3)
    >>> Y = np.column_stack([np.arange(30) % 2, np.arange(30) % 3])
    >>> clf = MultiOutputClassifier(LogisticRegression()).fit(X, Y)
    >>> [o.name for o in to_onnx(clf, X[:1]).graph.output]
    ['label', 'probabilities']
    """
    no_options(est, options)
    members = est.estimators_
    fused = _binary_logistic_outputs(est, X)
    if fused is not None:
        return fused
    if hasattr(est, "predict_proba"):
        outputs = [convert_estimator(member, X) for member in members]
        return stack_labels(est, [o[0] for o in outputs]), OnnxConcat(*(o[1] for o in outputs), axis=1)
    if not all(hasattr(member, "decision_function") for member in members):
        raise OnnxAlgebraError(
            f"MultiOutputClassifier over {type(members[0]).__name__}: its members have neither predict_proba nor "
            "decision_function, the second output of a classifier."
        )
    outputs = [label_and_decision(member, X) for member in members]
    return stack_labels(est, [o[0] for o in outputs]), side_by_side([_column(o[1]) for o in outputs])


def _binary_logistic_outputs(est: Any, X: Expr) -> tuple[Expr, Expr] | None:
    """Every member a binary LogisticRegression: one Gemm gives ``(-s_j, s_j)`` for each member's decision ``s_j``;
    label ``s_j > 0``, probabilities their expit, ``(1 - p_j, p_j)`` as ``LogisticRegression`` computes them (``1 - p``
    as ``expit(-s)``: equal within rounding). None otherwise."""
    from sklearn.linear_model import LogisticRegression

    members = est.estimators_
    if not all(type(m) is LogisticRegression and len(m.classes_) == 2 for m in members):
        return None
    linear = linear_members(members, X)
    if linear is None:
        return None
    coef = np.stack([-linear[0], linear[0]], axis=1).reshape(-1, linear[0].shape[1])  # rows -c_0, c_0, -c_1, ...
    intercept = np.stack([-linear[1], linear[1]], axis=1).ravel()
    both = OnnxGemm(X, coef, intercept, transB=1)  # (-s_0, s_0, -s_1, s_1, ...)
    proba = 1 / (1 + OnnxExp(-both))  # (expit(-s_j), expit(s_j)) = (1 - p_j, p_j)
    scores = both[:, 1::2]
    above = (scores > 0).astype(np.int64)
    if all(np.array_equal(m.classes_, [0, 1]) for m in members):
        return above, proba
    return stack_labels(est, [label_of(m, above[:, j]) for j, m in enumerate(members)]), proba


def _binary_member(est: Any, member: Any) -> None:
    classes = getattr(member, "classes_", None)
    if classes is not None and len(classes) != 2:
        raise OnnxAlgebraError(
            f"{type(est).__name__}: a member has {len(classes)} classes; the chain passes one column per output, so "
            "scikit-learn only predicts with binary members."
        )


def _chain_feature(est: Any, member: Any, X: Expr, method: str) -> Expr:
    """What member passes down the chain, [N, 1] in X's dtype: ``_get_response_values(member, X, method)``."""
    if method == "predict":
        value = convert_estimator(member, X)[0]
        if value.dtype is None or value.dtype.kind not in "iubf":
            raise OnnxAlgebraError(f"{type(est).__name__}: a member predicts {value.dtype}, not numbers to chain.")
        return _column(value if value.dtype == X.dtype else value.astype(X.dtype))
    _binary_member(est, member)
    if method == "predict_proba":
        return convert_estimator(member, X)[1][:, 1:2]
    if method == "predict_log_proba":
        return np.log(convert_estimator(member, X)[1][:, 1:2])
    if method == "decision_function":
        return _column(label_and_decision(member, X)[1])
    raise OnnxAlgebraError(f"{type(est).__name__}: chain_method {method!r} is not supported.")


def _in_output_order(est: Any, chained: list[Expr]) -> list[Expr]:
    """Chain columns back in the order of the outputs (``Y_output_chain[:, inv_order]``)."""
    order = np.asarray(est.order_, dtype=np.int64)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return [chained[k] for k in inverse]


def _chain_inputs(est: Any, X: Expr, method: str):
    """Yield ``(member, X_aug)`` along the chain, each member's feature appended to the next one's input."""
    features: list[Expr] = []
    for member in est.estimators_:
        X_aug = OnnxConcat(X, *features, axis=1) if features else X
        yield member, X_aug
        if len(features) + 1 < len(est.estimators_):
            features.append(_chain_feature(est, member, X_aug, method))


def convert_classifier_chain(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """ClassifierChain: the labels [N, n_outputs] and the positive class's probabilities (or decision functions)
    [N, n_outputs], every ``chain_method_``."""
    no_options(est, options)
    method = getattr(est, "chain_method_", "predict")
    want_proba = hasattr(est, "predict_proba")
    if not want_proba and not hasattr(est, "decision_function"):
        raise OnnxAlgebraError("ClassifierChain: its members have neither predict_proba nor decision_function.")
    labels, seconds = [], []
    for member, X_aug in _chain_inputs(est, X, method):
        _binary_member(est, member)
        if want_proba:
            label, proba = convert_estimator(member, X_aug)
            second = proba[:, 1:2]
        else:
            label, decision = label_and_decision(member, X_aug)
            second = _column(decision)
        labels.append(label)
        seconds.append(second)
    labels = [_column(label if label.dtype == X.dtype else label.astype(X.dtype)) for label in labels]
    return side_by_side(_in_output_order(est, labels)), side_by_side(_in_output_order(est, seconds))


def convert_regressor_chain(est: Any, X: Expr, options: dict | None = None) -> Expr:
    """RegressorChain: member ``k`` sees ``X`` and the predictions before it; [N, n_targets] in the outputs' order."""
    no_options(est, options)
    values = [_column(convert_estimator(member, X_aug)[0]) for member, X_aug in _chain_inputs(est, X, "predict")]
    values = [v if v.dtype == X.dtype else v.astype(X.dtype) for v in values]
    return side_by_side(_in_output_order(est, values))


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import multioutput

    return {
        convert_multi_output_regressor: [multioutput.MultiOutputRegressor],
        convert_multi_output_classifier: [multioutput.MultiOutputClassifier],
        convert_classifier_chain: [multioutput.ClassifierChain],
        convert_regressor_chain: [multioutput.RegressorChain],
    }
