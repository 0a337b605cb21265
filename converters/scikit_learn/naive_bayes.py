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
  scikit-learn's ``int`` conversion); features by groups, each group's table
  the sums of its features' ``feature_log_prob_`` for every combination of
  their categories (tables stacked), one Gather of every row, then a sum over
  the groups. A category outside ``0 .. n_categories_ - 1`` (never seen, nor
  covered by ``min_categories``) makes scikit-learn raise (IndexError, or
  ValueError for negatives); the graph checks each column's minimum and
  maximum and then reads the class prior at a row past its table, so
  onnxruntime raises too ("indices element out of data bounds").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import (
    Constant,
    Expr,
    OnnxConcat,
    OnnxGather,
    OnnxGemm,
    OnnxReduceMax,
    OnnxReduceMin,
    OnnxReduceSum,
    OnnxSoftmax,
    computation_dtype,
)

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


GROUP_ROWS = 1024
"""The most rows of a CategoricalNB table for a group of features gathered together (the product of their
category counts)."""


def _feature_groups(n_categories: np.ndarray) -> list[list[int]]:
    """Consecutive features whose category counts multiply to at most :data:`GROUP_ROWS` (each alone beyond)."""
    groups: list[list[int]] = []
    rows = GROUP_ROWS + 1
    for i, n in enumerate(n_categories.tolist()):
        if rows * n > GROUP_ROWS:
            groups.append([])
            rows = 1
        groups[-1].append(i)
        rows *= n
    return groups


def convert_categorical_nb(est: Any, X: Expr) -> tuple[Expr, Expr]:
    """CategoricalNB: ``jll = class_log_prior_ + sum_i feature_log_prob_[i][:, X[:, i]]``.

    Features go by groups (:func:`_feature_groups`): a group's table holds the sums, in float64, of its features'
    log probabilities for every combination of their categories, one Gemm turns the category indices into each
    group's row (``sum_i category_i * stride_i + offset``, integers, exact in floats) and one Gather reads all
    the rows: onnxruntime's Gather costs about 3 ns per index (10 features of 7 categories: 4 indices a row
    instead of 10). The range check is on the columns' minimum and maximum: any category outside ``0 ..
    n_categories_ - 1`` makes the Gather of the class prior (a table of one row) read row 1, so onnxruntime raises
    ("indices element out of data bounds") as scikit-learn does (IndexError, or ValueError for negatives)."""
    n_categories = np.asarray(est.n_categories_, dtype=np.int64)
    dtype = computation_dtype()
    groups = _feature_groups(n_categories)
    weights = np.zeros((len(n_categories), len(groups)))
    tables, offset = [], []
    for g, features in enumerate(groups):
        table = np.zeros((1, len(est.classes_)))
        for i in features:
            weights[:, g] *= n_categories[i]
            weights[i, g] = 1.0
            table = (table[:, None, :] + np.asarray(est.feature_log_prob_[i]).T[None, :, :]).reshape(-1, table.shape[1])
        offset.append(sum(len(t) for t in tables))
        tables.append(table)
    table = np.vstack(tables)  # [rows of all groups, classes]
    categories = X.astype(np.int64) if X.dtype.kind == "f" else X
    index = OnnxGemm(categories.astype(dtype), weights.astype(dtype), np.array(offset, dtype=dtype)).astype(np.int64)
    rows = np.array([0], dtype=np.int64)
    # the columns' extremes, with a row of category 0 (valid): onnxruntime < 1.18 refuses to reduce an empty batch
    padded = OnnxConcat(categories, np.zeros((1, len(n_categories)), dtype=np.int64), axis=0)
    outside = (OnnxReduceMax(padded, rows, keepdims=0) >= n_categories) | (OnnxReduceMin(padded, rows, keepdims=0) < 0)
    flag = OnnxReduceMax(outside.astype(np.int64), rows, keepdims=0)  # 1: the Gather below raises
    prior = OnnxGather(Constant(est.class_log_prior_[None, :].astype(dtype)), flag, axis=0)
    terms = OnnxGather(Constant(table.astype(dtype)), index, axis=0)  # [N, groups, classes]
    n_groups, n_classes = len(groups), table.shape[1]
    if np.isfinite(table).all():  # the sum over the groups as one Gemm (onnxruntime's ReduceSum over a middle
        # axis is 5x slower); a log probability of -inf (alpha=0) would make -inf * 0 NaN: ReduceSum then
        summing = np.tile(np.eye(n_classes, dtype=dtype), (n_groups, 1))  # [groups * classes, classes]
        jll = OnnxGemm(terms.reshape(-1, n_groups * n_classes), summing, prior)
    else:
        jll = OnnxReduceSum(terms, np.array([1], dtype=np.int64), keepdims=0) + prior
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
