"""Converters of XGBoost models (``XGBClassifier``, ``XGBRegressor``, ``XGBRanker``, ``XGBRFClassifier``, ``XGBRFRegressor``).

:func:`register` is the entry point ``xgboost`` of the group ``onnxalgebra.converters``.
"""

from __future__ import annotations


def register() -> None:
    """Register the XGBoost converters by class name (XGBoost is not imported).

    >>> register()  # the registry calls it once, through the entry point
    """
    from .. import register_by_class_names
    from .models import registrations

    register_by_class_names(registrations())
