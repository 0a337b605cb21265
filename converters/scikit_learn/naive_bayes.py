"""Naive Bayes: the joint log likelihood ``jll`` as scikit-learn computes it, then probabilities as its softmax.

``exp(jll - logsumexp(jll))`` is ``softmax(jll)``: onnxruntime's Softmax
subtracts the row maximum first, so no exp overflows. ``predict`` is the first
maximum of ``jll`` (ArgMax), as numpy's argmax.

- BernoulliNB, MultinomialNB, ComplementNB: ``jll`` is linear in X, one Gemm.
  ComplementNB's ``feature_log_prob_`` already holds the ``norm=True``
  normalisation, and it adds the class prior only when there is one class,
  as scikit-learn.
- GaussianNB: ``log prior - 0.5 sum log(2 pi var) - 0.5 sum (x - theta)^2 / var``
  on the [N, classes, features] differences (the expanded square
  ``x^2 - 2 x theta + theta^2`` would lose digits in float32).
- CategoricalNB: X holds category indices (cast to int64, truncating as
  scikit-learn's ``int`` conversion); one Gather in the table of every
  feature's ``feature_log_prob_`` (categories of all features stacked), then a
  sum over the features. A category outside ``0 .. n_categories_ - 1`` (never
  seen, nor covered by ``min_categories``) makes scikit-learn raise
  (IndexError, or ValueError for negatives); the graph maps it to an index past
  the table, so onnxruntime raises too ("indices element out of data bounds")
  instead of reading another feature's row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Constant, Expr, OnnxGather, OnnxGemm, OnnxReduceSum, OnnxSoftmax, OnnxWhere, computation_dtype

from ._common import argmax_label
from .preprocessing import binarize


def linear_jll(X: Expr, weights: np.ndarray, bias: np.ndarray, centre: bool = False) -> Expr:
    """``X @ weights.T + bias``: one Gemm on a matrix.

    ``centre``: subtract the mean over the classes from the weights and the bias first. Every row of ``jll`` then
    moves by the same amount, which changes neither its softmax nor its argmax, but the numbers left are the
    differences between the classes: float32 keeps them to 1e-7 instead of rounding a jll of -2000 to 1e-4.
    """
    if centre:
        weights, bias = weights - weights.mean(axis=0), bias - bias.mean()
    if X.shape is not None and len(X.shape) == 2:
        return OnnxGemm(X, weights, bias, transB=1)
    return X @ weights.T + bias


def convert_bernoulli_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """BernoulliNB: ``jll = X @ (log p - log(1 - p)).T + log prior + sum log(1 - p)``."""
    if est.binarize is not None:
        X = binarize(X, est.binarize)
    log_p = est.feature_log_prob_
    log_not_p = np.log(1 - np.exp(log_p))
    weights, bias = log_p - log_not_p, est.class_log_prior_ + log_not_p.sum(axis=1)
    jll = linear_jll(X, weights, bias)
    return argmax_label(est, jll), OnnxSoftmax(jll, axis=1)


def convert_multinomial_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """MultinomialNB: ``jll = X @ feature_log_prob_.T + class_log_prior_``."""
    jll = linear_jll(X, est.feature_log_prob_, est.class_log_prior_, centre=True)
    return argmax_label(est, jll), OnnxSoftmax(jll, axis=1)


def convert_complement_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """ComplementNB: ``jll = X @ feature_log_prob_.T`` (plus ``class_log_prior_`` for a single class)."""
    bias = est.class_log_prior_ if len(est.classes_) == 1 else np.zeros(len(est.classes_))
    jll = linear_jll(X, est.feature_log_prob_, bias, centre=True)
    return argmax_label(est, jll), OnnxSoftmax(jll, axis=1)


def convert_gaussian_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """GaussianNB: ``log prior - 0.5 sum log(2 pi var) - 0.5 sum (x - theta)^2 / var`` for each class."""
    bias = np.log(est.class_prior_) - 0.5 * np.log(2.0 * np.pi * est.var_).sum(axis=1)
    diff = X.reshape(-1, 1, est.theta_.shape[1]) - est.theta_  # [N, classes, features]
    jll = bias - 0.5 * OnnxReduceSum(diff * diff / est.var_, np.array([2], dtype=np.int64), keepdims=0)
    return argmax_label(est, jll), OnnxSoftmax(jll, axis=1)


def convert_categorical_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """CategoricalNB: ``jll = class_log_prior_ + sum_i feature_log_prob_[i][:, X[:, i]]``, one Gather."""
    n_categories = np.asarray(est.n_categories_, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_categories)[:-1]]).astype(np.int64)
    table = np.vstack([np.asarray(logp).T for logp in est.feature_log_prob_])  # [all categories, classes]
    categories = X.astype(np.int64)
    inside = (categories >= 0) & (categories < n_categories)
    index = OnnxWhere(inside, categories + offsets, Constant(np.array(len(table), dtype=np.int64)))  # past the table: an error
    dtype = computation_dtype()
    terms = OnnxGather(Constant(table.astype(dtype)), index, axis=0)  # [N, features, classes]
    n_features, n_classes = len(n_categories), table.shape[1]
    if np.isfinite(table).all():  # the sum over the features as one Gemm (onnxruntime's ReduceSum over a middle
        # axis is 5x slower); a log probability of -inf (alpha=0) would make -inf * 0 NaN: ReduceSum then
        summing = np.tile(np.eye(n_classes, dtype=dtype), (n_features, 1))  # [features * classes, classes]
        jll = OnnxGemm(terms.reshape(-1, n_features * n_classes), summing, est.class_log_prior_.astype(dtype))
    else:
        jll = OnnxReduceSum(terms, np.array([1], dtype=np.int64), keepdims=0) + est.class_log_prior_
    return argmax_label(est, jll), OnnxSoftmax(jll, axis=1)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import naive_bayes

    return {
        convert_bernoulli_nb: [naive_bayes.BernoulliNB],
        convert_multinomial_nb: [naive_bayes.MultinomialNB],
        convert_complement_nb: [naive_bayes.ComplementNB],
        convert_gaussian_nb: [naive_bayes.GaussianNB],
        convert_categorical_nb: [naive_bayes.CategoricalNB],
    }
