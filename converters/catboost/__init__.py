"""Converters of CatBoost models (``CatBoostClassifier``, ``CatBoostRegressor``, ``CatBoostRanker``).

:func:`register` is the target of the entry point ``catboost`` in the group
``onnxalgebra.converters``. It registers the converters by the full names of
CatBoost's classes without importing CatBoost:
without CatBoost, nothing ever matches them; with it, the converters are
found when an estimator of those classes (or of a subclass) is converted.
"""

from __future__ import annotations

from onnxalgebra import register_converter


def register() -> None:
    """Register the CatBoost converters by class name (CatBoost is not imported).

    >>> register()  # the registry calls it once, through the entry point
    """
    from .models import registrations

    for converter, names in registrations().items():
        for name in names:
            register_converter(name, converter)
