"""Linear models: each converter is the model's formula, ``X @ coef.T + intercept`` (one Gemm) and a link.

For float32 inputs and int or str classes, classifiers use one ``ai.onnx.ml``
LinearClassifier node instead (the same scores and link, the fastest graph in
onnxruntime); float64 keeps standard operators, so it stays float64 throughout.

Every estimator of ``sklearn.linear_model`` whose prediction is ``X @ coef_.T +
intercept_`` goes through :func:`convert_linear_regressor` (the ``*CV``, ``Lars``,
robust, Bayesian and multi-task models alike); the generalized linear models
add their inverse link (:func:`convert_glm`), ``RANSACRegressor`` is its
``estimator_``'s graph, ``SGDOneClassSVM`` an outlier detector on the same Gemm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Expr,
    OnnxAlgebraError,
    OnnxClip,
    OnnxGather,
    OnnxGemm,
    OnnxLinearClassifier,
    OnnxSigmoid,
    OnnxSoftmax,
    OnnxWhere,
    convert_estimator,
)

from ._common import argmax_label, binary_columns, check_options, linear_label, normalise_rows, ovr_probabilities
from ._compat import bayesian_std_centres_x


def dense_coef(est: Any) -> np.ndarray:
    """``coef_`` as a dense float64 [n_outputs, n_features] array (a sparsified SGD model included)."""
    coef = est.coef_
    if hasattr(coef, "toarray"):  # scipy.sparse after est.sparsify()
        coef = coef.toarray()
    return np.atleast_2d(np.asarray(coef, dtype=np.float64))


def decision(est: Any, X: Expr, both_signs: bool = False) -> Expr:
    """The decision function as [N, n_outputs] (a binary model has one column), one Gemm for a matrix X.

    ``both_signs`` gives a binary model two columns ``(-s, s)``: their argmax is
    scikit-learn's ``s > 0`` (a tie goes to the first), their sigmoid its ``(1 - p, p)``.
    """
    coef = dense_coef(est)
    intercept = np.broadcast_to(np.asarray(est.intercept_, dtype=np.float64), coef.shape[:1])
    if both_signs and coef.shape[0] == 1:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    if X.shape is not None and len(X.shape) == 2:
        return OnnxGemm(X, coef, intercept, transB=1)
    return X @ coef.T + intercept


def _linear_classifier(est: Any, X: Expr, post_transform: str) -> tuple[Expr, Expr] | None:
    """Label and (transformed) scores from one ``ai.onnx.ml`` LinearClassifier: ``(-s, s)`` for a binary model.

    One node instead of Gemm, ArgMax, Gather and the link: the fastest graph in
    onnxruntime. Only for float32 (its scores are float32) and int or str classes;
    None otherwise, and the caller writes the formula with standard operators.
    """
    classes = np.asarray(est.classes_)
    if X.dtype != np.float32 or X.shape is None or len(X.shape) != 2:
        return None
    if classes.dtype.kind in "iu":
        labels: dict[str, Any] = {"classlabels_ints": classes.astype(np.int64)}
    elif classes.dtype.kind in "OU" and all(isinstance(c, str) for c in classes.tolist()):
        labels = {"classlabels_strings": [str(c) for c in classes]}
    else:
        return None
    coef = dense_coef(est).astype(np.float32)
    intercept = np.broadcast_to(np.asarray(est.intercept_, dtype=np.float32), coef.shape[:1])
    if coef.shape[0] == 1:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    node = OnnxLinearClassifier(X, coefficients=coef.ravel(), intercepts=intercept, post_transform=post_transform, **labels)
    return node[0], node[1]


def _label_and_decision(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """``predict`` and ``decision_function`` (one-dimensional for a binary model)."""
    fast = _linear_classifier(est, X, "NONE")
    scores = fast[1] if fast is not None else decision(est, X, both_signs=True)
    binary = scores.shape is not None and scores.shape[1] == 2 and dense_coef(est).shape[0] == 1
    label = fast[0] if fast is not None else argmax_label(est, scores)
    return label, OnnxGather(scores, np.array(1, dtype=np.int64), axis=1) if binary else scores


def convert_linear_regressor(est: Any, X: Expr) -> Expr:
    """LinearRegression, Ridge(CV), Lasso(CV), ElasticNet(CV), Lars(CV), LassoLars(CV, IC), OrthogonalMatchingPursuit(CV),
    HuberRegressor, QuantileRegressor, TheilSenRegressor, SGDRegressor, PassiveAggressiveRegressor, LinearSVR and the
    MultiTask models: ``X @ coef.T + intercept`` in one Gemm, [N, n_targets]."""
    return decision(est, X)


def _one_dimensional(scores: Expr) -> Expr:
    return scores.reshape(-1) if scores.shape is not None and scores.shape[1] == 1 else scores


def convert_logistic_regression(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """Sigmoid for two classes; softmax for more (one-vs-rest normalisation when so fitted).

    ``options={'decision_function': True}`` gives the decision scores instead of the probabilities.
    LogisticRegressionCV is the same model (its refitted ``coef_``).
    """
    options = check_options(est, options, ("decision_function",))
    if options.get("decision_function"):
        return _label_and_decision(est, X)
    multi_class = getattr(est, "multi_class", "auto")
    ovr = multi_class == "ovr" or (multi_class in ("auto", "deprecated") and est.solver == "liblinear")
    binary = dense_coef(est).shape[0] == 1
    if ovr and not binary:
        scores = decision(est, X)
        return linear_label(est, scores), ovr_probabilities(scores)
    fast = _linear_classifier(est, X, "LOGISTIC" if binary else "SOFTMAX")
    if fast is not None:
        return fast
    scores = decision(est, X, both_signs=True)  # binary: (-s, s), whose sigmoid is (1 - p, p)
    proba = OnnxSigmoid(scores) if binary else OnnxSoftmax(scores, axis=1)
    return argmax_label(est, scores), proba


def convert_sgd_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """Probabilities for 'log_loss' and 'modified_huber'; decision scores for the other losses
    (and for every loss with ``options={'decision_function': True}``)."""
    options = check_options(est, options, ("decision_function",))
    scores = decision(est, X)
    label = linear_label(est, scores)
    if options.get("decision_function"):
        return label, _one_dimensional(scores)
    if est.loss == "log_loss":
        return label, ovr_probabilities(scores)
    if est.loss == "modified_huber":
        prob = (OnnxClip(scores, -1.0, 1.0) + 1.0) / 2.0
        return label, binary_columns(prob) if scores.shape[1] == 1 else normalise_rows(prob)
    return label, _one_dimensional(scores)


def convert_linear_classifier(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """LinearSVC, RidgeClassifier(CV), Perceptron, PassiveAggressiveClassifier: the label and the decision function.

    They have no ``predict_proba``: the second output is ``decision_function``
    ([N] for two classes), so ``options={'decision_function': True}`` changes nothing.
    """
    check_options(est, options, ("decision_function",))
    binarizer = getattr(est, "_label_binarizer", None)
    if getattr(binarizer, "y_type_", None) == "multilabel-indicator":
        raise OnnxAlgebraError(
            f"{type(est).__name__} fitted on a multilabel indicator matrix is not supported: "
            "its predict is a 0/1 matrix, not one label per row; fit it on one label per row."
        )
    return _label_and_decision(est, X)


def bayesian_std(est: Any, X: Expr) -> Expr:
    """BayesianRidge / ARDRegression's ``predict(X, return_std=True)[1]``: the posterior predictive standard
    deviation [N], ``sqrt(rowsum((Xc @ sigma_) * Xc) + 1 / alpha_)`` with ``Xc = X - X_offset_`` (ARDRegression:
    the columns whose ``lambda_`` is below ``threshold_lambda``; scikit-learn before 1.9: ``Xc = X``, as its
    ``predict``).

    ``to_onnx(est, X, options={'return_std': True})`` gives it as the output
    ``std`` ([N, 1]) after the mean; it also composes in your own expressions:

    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from onnxalgebra import Var, to_onnx
    >>> X = np.random.RandomState(0).rand(20, 3)
    >>> reg = BayesianRidge().fit(X, X @ [1.0, 2.0, 3.0])
    >>> model = to_onnx(reg, X[:1], options={"return_std": True})
    >>> [o.name for o in model.graph.output]
    ['variable', 'std']
    >>> bayesian_std(reg, Var("X", np.float64, [None, 3])).shape
    (None,)
    """
    dtype = X.dtype if X.dtype is not None and X.dtype.kind == "f" else np.dtype(np.float64)  # also outside converters
    offset = np.asarray(est.X_offset_, dtype=dtype)
    sigma = np.asarray(est.sigma_, dtype=dtype)
    if hasattr(est, "threshold_lambda"):  # ARDRegression: sigma_ covers the kept columns only
        keep = np.flatnonzero(est.lambda_ < est.threshold_lambda)
        X, offset = X[:, keep], offset[keep]
    centred = X - offset if bayesian_std_centres_x(est) else X
    return np.sqrt(((centred @ sigma) * centred).sum(axis=1) + 1.0 / float(est.alpha_))


def convert_bayesian_regressor(est: Any, X: Expr, options: dict | None = None) -> Expr | tuple[Expr, Expr]:
    """BayesianRidge, ARDRegression: the posterior mean ``X @ coef.T + intercept``, [N, 1].

    ``options={'return_std': True}``: also the standard deviation of the
    prediction, ``predict(X, return_std=True)[1]``, as the output ``std``
    [N, 1] (see :func:`bayesian_std`).
    """
    options = check_options(est, options, ("return_std",))
    mean = decision(est, X)
    if options.get("return_std"):
        return mean, bayesian_std(est, X).reshape(-1, 1)
    return mean


def glm_link(est: Any) -> str:
    """'identity' or 'log': the link of a PoissonRegressor (log), GammaRegressor (log) or TweedieRegressor
    (``link``; 'auto': identity for ``power <= 0``, else log)."""
    link = getattr(est, "link", "log")
    if link == "auto":
        link = "identity" if est.power <= 0 else "log"
    if link not in ("identity", "log"):
        raise OnnxAlgebraError(f"{type(est).__name__}: link {link!r} is not supported (expected 'identity', 'log' or 'auto').")
    return link


def convert_glm(est: Any, X: Expr) -> Expr:
    """PoissonRegressor, GammaRegressor, TweedieRegressor: the inverse link of ``X @ coef + intercept``
    (``exp`` for the log link), [N, 1]."""
    raw = decision(est, X)
    return np.exp(raw) if glm_link(est) == "log" else raw


def convert_ransac(est: Any, X: Expr) -> Expr:
    """RANSACRegressor: the graph of its ``estimator_`` (any convertible regressor), [N, n_targets]."""
    (prediction,) = convert_estimator(est.estimator_, X)
    return prediction.reshape(-1, 1) if prediction.shape is not None and len(prediction.shape) == 1 else prediction


def convert_sgd_one_class_svm(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """SGDOneClassSVM: ``decision_function = X @ coef - offset`` [N]; ``predict`` 1 where it is >= 0, else -1."""
    scores = X @ dense_coef(est).reshape(-1) - float(np.asarray(est.offset_).reshape(-1)[0])  # [N, F] @ [F]: [N]
    return OnnxWhere(scores >= 0, np.array(1, dtype=np.int64), np.array(-1, dtype=np.int64)), scores


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import linear_model, svm

    def classes(*names: str) -> list[type]:  # deprecated classes disappear from newer scikit-learn
        return [getattr(linear_model, n) for n in names if hasattr(linear_model, n)]

    return {
        convert_linear_regressor: [
            *classes(
                *"LinearRegression Ridge RidgeCV Lasso LassoCV ElasticNet ElasticNetCV Lars LarsCV LassoLars LassoLarsCV".split(),
                *"LassoLarsIC OrthogonalMatchingPursuit OrthogonalMatchingPursuitCV MultiTaskLasso MultiTaskLassoCV".split(),
                *"MultiTaskElasticNet MultiTaskElasticNetCV HuberRegressor QuantileRegressor TheilSenRegressor".split(),
                *"SGDRegressor PassiveAggressiveRegressor".split(),
            ),
            svm.LinearSVR,
        ],
        convert_bayesian_regressor: classes("BayesianRidge", "ARDRegression"),
        convert_glm: classes("PoissonRegressor", "GammaRegressor", "TweedieRegressor"),
        convert_ransac: classes("RANSACRegressor"),
        convert_logistic_regression: classes("LogisticRegression", "LogisticRegressionCV"),
        convert_sgd_classifier: classes("SGDClassifier"),
        convert_linear_classifier: [
            svm.LinearSVC,
            *classes("RidgeClassifier", "RidgeClassifierCV", "Perceptron", "PassiveAggressiveClassifier"),
        ],
        convert_sgd_one_class_svm: classes("SGDOneClassSVM"),
    }
