"""Converters of LightGBM models (``LGBMClassifier``, ``LGBMRegressor``, ``LGBMRanker``).

:func:`register` is the entry point ``lightgbm`` of the group ``onnxalgebra.converters``.
"""

from __future__ import annotations


def register() -> None:
    """Register the LightGBM converters by class name (LightGBM is not imported).

    >>> register()  # the registry calls it once, through the entry point
    """
    from .. import register_by_class_names
    from .models import registrations

    register_by_class_names(registrations())
