"""Converters of scikit-learn estimators, written with onnxalgebra's public API.

They are registered through the entry-point group ``onnxalgebra.converters``;
the algebra itself never imports this package.
"""
