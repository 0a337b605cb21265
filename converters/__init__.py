"""Converters written with onnxalgebra's public API, one sub-package per library.

- :mod:`onnxalgebra_converters.scikit_learn`: scikit-learn's estimators, one
  module per scikit-learn module.
- :mod:`onnxalgebra_converters.lightgbm`, :mod:`~onnxalgebra_converters.xgboost`,
  :mod:`~onnxalgebra_converters.catboost`: the boosting libraries' models,
  registered by class name (:func:`register_by_class_names`): a library is
  imported only when one of its models is met.

Each sub-package's ``register`` is the target of an entry point of the group
``onnxalgebra.converters`` (``sklearn`` -> ``onnxalgebra_converters.scikit_learn:register``):
the algebra calls it the first time it meets an estimator it has no converter
for. The algebra itself never imports this package, which installs as
``onnxalgebra_converters`` (the repository keeps it in ``converters/``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def register_by_class_names(registrations: dict[Callable[..., Any], list[str]]) -> None:
    """Register each converter for the full class names it serves (``'lightgbm.sklearn.LGBMClassifier'``), importing
    none of those classes: without the library nothing ever matches them.

    >>> from onnxalgebra_converters.lightgbm.models import registrations
    >>> register_by_class_names(registrations())
    """
    from onnxalgebra import register_converter

    for converter, names in registrations.items():
        for name in names:
            register_converter(name, converter)
