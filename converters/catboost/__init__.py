"""Converters of CatBoost models (``CatBoostClassifier``, ``CatBoostRegressor``, ``CatBoostRanker``).

:func:`register` is the entry point ``catboost`` of the group ``onnxalgebra.converters``.
"""

from __future__ import annotations


def register() -> None:
    """Register the CatBoost converters by class name (CatBoost is not imported).

    >>> register()  # the registry calls it once, through the entry point
    """
    from .. import register_by_class_names
    from .models import registrations

    register_by_class_names(registrations())
