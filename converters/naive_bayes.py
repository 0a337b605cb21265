"""Naive Bayes: the joint log likelihood, then probabilities normalised by its log-sum-exp."""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr, OnnxExp, OnnxLog

from ._common import argmax_label
from .preprocessing import binarize


def log_sum_exp(scores: Expr) -> Expr:
    """``log(sum(exp(scores), axis=1))`` as [N, 1], shifted by the row maximum so no exp overflows."""
    top = scores.max(axis=1, keepdims=True)
    return top + OnnxLog(OnnxExp(scores - top).sum(axis=1, keepdims=True))


def convert_bernoulli_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """BernoulliNB: ``jll = X @ (log p - log(1 - p)).T + log prior + sum log(1 - p)``."""
    if est.binarize is not None:
        X = binarize(X, est.binarize)
    log_p = est.feature_log_prob_
    log_not_p = np.log(1 - np.exp(log_p))
    jll = X @ (log_p - log_not_p).T + (est.class_log_prior_ + log_not_p.sum(axis=1))
    return argmax_label(est, jll), OnnxExp(jll - log_sum_exp(jll))
