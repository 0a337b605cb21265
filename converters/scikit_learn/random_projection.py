"""Random projections: GaussianRandomProjection, SparseRandomProjection, ``transform(X) = X @ components_.T``.

One MatMul. A sparse ``components_`` (SparseRandomProjection) is made dense at
conversion time: ONNX has no sparse matrix product in onnxruntime's default
operators, and the dense [n_features, n_components] matrix is what the graph
multiplies. ``dense_output`` changes only the container scikit-learn returns
for a sparse input; the graph's output is always dense, its values the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Expr


def dense_components(est: Any) -> np.ndarray:
    """``components_`` as a dense float64 array (a scipy sparse matrix is densified)."""
    components = est.components_
    if hasattr(components, "toarray"):
        components = components.toarray()
    return np.asarray(components, dtype=np.float64)


def convert_random_projection(est: Any, X: Expr) -> Expr:
    """GaussianRandomProjection, SparseRandomProjection: ``X @ components_.T``, [N, n_components].

    >>> import numpy as np
    >>> from sklearn.random_projection import SparseRandomProjection
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(20, 50)
    >>> model = to_onnx(SparseRandomProjection(n_components=5, random_state=0).fit(X), X[:1])
    >>> [n.op_type for n in model.graph.node]
    ['MatMul']
    """
    return X @ dense_components(est).T


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

    return {convert_random_projection: [GaussianRandomProjection, SparseRandomProjection]}
