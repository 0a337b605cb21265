"""Converters written with onnxalgebra's public API, one sub-package per library.

- :mod:`onnxalgebra_converters.scikit_learn`: scikit-learn's estimators, one
  module per scikit-learn module.

Each sub-package's ``register`` is the target of an entry point of the group
``onnxalgebra.converters`` (``sklearn`` -> ``onnxalgebra_converters.scikit_learn:register``):
the algebra calls it the first time it meets an estimator it has no converter
for. The algebra itself never imports this package, which installs as
``onnxalgebra_converters`` (the repository keeps it in ``converters/``).
"""

from __future__ import annotations
