"""Converters of scikit-learn estimators, written with onnxalgebra's public API.

:func:`register` is the target of the entry point ``sklearn`` in the group
``onnxalgebra.converters``: the algebra calls it the first time it meets an
estimator it has no converter for. The algebra itself never imports this package.
"""

from __future__ import annotations

from onnxalgebra import register_converter


def register() -> None:
    """Register every scikit-learn converter of this package."""
    from sklearn import linear_model, svm

    from . import linear

    for cls in (linear_model.LinearRegression, linear_model.Ridge, linear_model.Lasso, linear_model.LassoLars):
        register_converter(cls, linear.convert_linear_regressor)
    register_converter(linear_model.LogisticRegression, linear.convert_logistic_regression)
    register_converter(linear_model.SGDClassifier, linear.convert_sgd_classifier)
    register_converter(svm.LinearSVC, linear.convert_linear_classifier)
