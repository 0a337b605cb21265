"""LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis: classifiers, label and probabilities.

- LDA: ``decision = X @ coef_.T + intercept_`` (one Gemm); ``predict`` is its
  sign (binary) or argmax, ``predict_proba`` its logistic (binary, as
  ``[1 - p, p]``) or softmax, as scikit-learn. For float32 and int or str
  classes, one ``ai.onnx.ml`` LinearClassifier node computes the same label and
  probabilities (the fastest graph in onnxruntime; it has no double kernel, so
  float64 keeps the standard operators). LDA is a classifier, so the
  registry names its outputs ``(label, probabilities)``;
  ``options={'transform': True}`` makes the second output ``transform(X)``
  instead ([N, n_components]: ``(X - xbar_) @ scalings_`` for the ``svd``
  solver, ``X @ scalings_`` for ``eigen``; ``lsqr`` has no transform, an
  error as in scikit-learn). :func:`lda_transform` gives the projection as an
  expression to build on; an LDA in the middle of a Pipeline (a
  transformer there) feeds the next step its transform this way.
- QDA: for each class ``k``, ``-0.5 (|(X - means_k) @ R_k S_k^-1/2|^2 +
  sum log S_k) + log prior_k``; all classes in one MatMul (the rotations side
  by side), the squares summed per class by a second MatMul with a 0/1 matrix.
  ``predict`` is the argmax, ``predict_proba`` the softmax.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxGemm, OnnxLinearClassifier, OnnxSoftmax

from ._common import argmax_label, binary_columns, check_options, linear_label


def lda_transform(est: Any, X: Expr) -> Expr:
    """``LinearDiscriminantAnalysis.transform(X)`` as an expression, [N, n_components].

    >>> import numpy as np
    >>> from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    >>> from onnxalgebra import Var
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 3.0], [3.0, 1.0]])
    >>> lda = LinearDiscriminantAnalysis().fit(X, [0, 0, 1, 1])
    >>> bool(np.allclose(lda_transform(lda, Var("X", np.float64, [None, 2])).eval({"X": X}), lda.transform(X)))
    True
    """
    if est.solver == "lsqr":
        raise OnnxAlgebraError(
            "LinearDiscriminantAnalysis: solver='lsqr' has no transform (scikit-learn's neither); use 'svd' or 'eigen'."
        )
    scalings = np.asarray(est.scalings_)[:, : est._max_components]
    if est.solver == "svd":
        return OnnxGemm(X, scalings, -np.asarray(est.xbar_) @ scalings)  # (X - xbar) @ S
    return X @ scalings


def _linear_classifier_node(est: Any, X: Expr) -> tuple[Expr, Expr] | None:
    """Label and probabilities from one LinearClassifier (binary: scores ``(-s, s)`` and their logistic), or None
    where it does not apply (float64, or classes neither integers nor strings)."""
    classes = np.asarray(est.classes_)
    if X.dtype != np.float32:
        return None
    if classes.dtype.kind in "iu":
        labels: dict[str, Any] = {"classlabels_ints": classes.astype(np.int64)}
    elif classes.dtype.kind in "OU" and all(isinstance(c, str) for c in classes.tolist()):
        labels = {"classlabels_strings": [str(c) for c in classes]}
    else:
        return None
    coef, intercept = np.asarray(est.coef_, dtype=np.float32), np.asarray(est.intercept_, dtype=np.float32)
    binary = coef.shape[0] == 1
    if binary:  # argmax of (-s, s) is scikit-learn's s > 0, a tie going to the first class
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    transform = "LOGISTIC" if binary else "SOFTMAX"
    node = OnnxLinearClassifier(X, coefficients=coef.ravel(), intercepts=intercept, post_transform=transform, **labels)
    return node[0], node[1]


def convert_lda(est: Any, X: Expr, options: dict | None = None) -> tuple[Expr, Expr]:
    """LinearDiscriminantAnalysis: label and probabilities (``options={'transform': True}``: label and transform)."""
    options = check_options(est, options, ("transform",))
    fast = None if options.get("transform") else _linear_classifier_node(est, X)
    if fast is not None:
        return fast
    scores = OnnxGemm(X, np.asarray(est.coef_), np.asarray(est.intercept_), transB=1)
    label = linear_label(est, scores)
    if options.get("transform"):
        return label, lda_transform(est, X)
    if len(est.classes_) == 2:
        return label, binary_columns(1 / (1 + np.exp(-scores)))  # expit, finite where Sigmoid flushes to 0
    return label, OnnxSoftmax(scores, axis=1)


def convert_qda(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """QuadraticDiscriminantAnalysis: ``_decision_function`` (the log posterior up to a constant), argmax, softmax."""
    weights = [np.asarray(r) * np.asarray(s) ** -0.5 for r, s in zip(est.rotations_, est.scalings_, strict=True)]
    rotation = np.hstack(weights)  # [features, sum of ranks]
    shift = np.concatenate([np.asarray(m) @ w for m, w in zip(est.means_, weights, strict=True)])
    owner = np.repeat(np.arange(len(weights)), [w.shape[1] for w in weights])
    per_class = (owner[:, None] == np.arange(len(weights))).astype(np.float64)  # [sum of ranks, classes]
    u = np.array([np.log(np.asarray(s)).sum() for s in est.scalings_])
    projected = OnnxGemm(X, rotation, -shift)  # (X - means_k) @ R_k S_k^-1/2 for every k, side by side
    norm2 = (projected * projected) @ per_class
    scores = -0.5 * (norm2 + u) + np.log(est.priors_)
    return argmax_label(est, scores), OnnxSoftmax(scores, axis=1)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import discriminant_analysis as da

    return {convert_lda: [da.LinearDiscriminantAnalysis], convert_qda: [da.QuadraticDiscriminantAnalysis]}
