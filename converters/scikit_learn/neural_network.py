"""MLPClassifier, MLPRegressor: scikit-learn's forward pass, one Gemm and one activation per layer.

Hidden activations: ``identity``, ``logistic`` (``1 / (1 + exp(-x))``: finite
where onnxruntime's Sigmoid flushes to 0), ``tanh``, ``relu`` (``Relu``).
The output layer follows ``out_activation_``: the regressor's identity
(``exp`` for ``loss='poisson'``), the
binary classifier's logistic (``predict``: probability > 0.5, as
``LabelBinarizer.inverse_transform``; ``predict_proba``: ``[1 - p, p]``), the
multiclass classifier's softmax (``predict``: the first argmax).
A multilabel MLPClassifier (fitted on an indicator matrix) predicts a matrix
of 0/1, not a label per row: its conversion raises
:class:`~onnxalgebra.OnnxAlgebraError`.

onnxruntime's float32 ``Tanh`` differs from numpy's by a few ulps near 0 and
is relatively coarser for tiny inputs; the differences stay far below 1e-5 of
the outputs' scale (the tests measure it on every activation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxAlgebraError, OnnxGemm, OnnxRelu, OnnxSoftmax

from ._common import argmax_label, binary_columns, label_of


def _logistic(x: Expr) -> Expr:
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "identity": lambda x: x,
    "logistic": _logistic,
    "tanh": np.tanh,
    "relu": OnnxRelu,  # max(x, 0); scikit-learn rejects NaN inputs
}


def forward(est: Any, X: Expr) -> Expr:
    """The last layer's values before ``out_activation_``, [N, n_outputs]."""
    if est.activation not in ACTIVATIONS:
        raise OnnxAlgebraError(f"{type(est).__name__}: activation={est.activation!r} is not one of {sorted(ACTIVATIONS)}.")
    hidden = ACTIVATIONS[est.activation]
    values = X
    for i, (coef, intercept) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        values = OnnxGemm(values, np.asarray(coef), np.asarray(intercept))
        if i < len(est.coefs_) - 1:
            values = hidden(values)
    return values


def convert_mlp_classifier(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """MLPClassifier: label and probabilities (binary: logistic output; multiclass: softmax)."""
    binarizer = getattr(est, "_label_binarizer", None)
    if getattr(binarizer, "y_type_", None) == "multilabel-indicator" or est.out_activation_ not in ("logistic", "softmax"):
        raise OnnxAlgebraError(
            f"{type(est).__name__}: a multilabel model (fitted on an indicator matrix, out_activation_="
            f"{est.out_activation_!r}) predicts 0/1 per output, not one label per row; fit it on a 1-d y to convert it."
        )
    values = forward(est, X)
    if est.out_activation_ == "logistic":  # binary
        p = _logistic(values)
        return label_of(est, (p.reshape(-1) > 0.5).astype(np.int64)), binary_columns(p)
    return argmax_label(est, values), OnnxSoftmax(values, axis=1)


def convert_mlp_regressor(est: Any, X: Expr) -> Expr:
    """MLPRegressor: the forward pass, identity output (``loss='poisson'``: exp), [N, n_outputs]."""
    values = forward(est, X)
    if est.out_activation_ == "exp":
        return np.exp(values)
    if est.out_activation_ != "identity":
        raise OnnxAlgebraError(f"{type(est).__name__}: out_activation_={est.out_activation_!r} is not 'identity' or 'exp'.")
    return values


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import neural_network

    return {convert_mlp_classifier: [neural_network.MLPClassifier], convert_mlp_regressor: [neural_network.MLPRegressor]}
