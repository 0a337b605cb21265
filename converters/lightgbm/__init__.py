"""Converters of LightGBM models (``LGBMClassifier``, ``LGBMRegressor``, ``LGBMRanker``).

:func:`register` is the target of the entry point ``lightgbm`` in the group
``onnxalgebra.converters``. It registers the converters by the full names of
LightGBM's classes without importing LightGBM:
without LightGBM, nothing ever matches them; with it, the converters are
found when an estimator of those classes (or of a subclass) is converted.
"""

from __future__ import annotations

from onnxalgebra import register_converter


def register() -> None:
    """Register the LightGBM converters by class name (LightGBM is not imported).

    >>> register()  # the registry calls it once, through the entry point
    """
    from .models import registrations

    for converter, names in registrations().items():
        for name in names:
            register_converter(name, converter)
