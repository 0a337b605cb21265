"""Naive Bayes: the joint log likelihood (one Gemm), then probabilities as its softmax.

``exp(jll - logsumexp(jll))`` is ``softmax(jll)``: onnxruntime's Softmax
subtracts the row maximum first, so no exp overflows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxGemm, OnnxSoftmax

from ._common import argmax_label
from .preprocessing import binarize


def convert_bernoulli_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """BernoulliNB: ``jll = X @ (log p - log(1 - p)).T + log prior + sum log(1 - p)``."""
    if est.binarize is not None:
        X = binarize(X, est.binarize)
    log_p = est.feature_log_prob_
    log_not_p = np.log(1 - np.exp(log_p))
    weights, bias = log_p - log_not_p, est.class_log_prior_ + log_not_p.sum(axis=1)
    if X.shape is not None and len(X.shape) == 2:
        jll = OnnxGemm(X, weights, bias, transB=1)
    else:
        jll = X @ weights.T + bias
    return argmax_label(est, jll), OnnxSoftmax(jll, axis=1)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import naive_bayes

    return {convert_bernoulli_nb: [naive_bayes.BernoulliNB]}
