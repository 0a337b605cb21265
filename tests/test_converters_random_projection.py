"""Random projections against scikit-learn's transform on held-out rows, float32 and float64."""

from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
from converter_checks import check
from sklearn.model_selection import train_test_split
from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

DTYPES = [np.float32, np.float64]


@cache
def data():
    X = np.random.RandomState(0).normal(size=(200, 300))  # enough features for n_components="auto"
    return train_test_split(X, random_state=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_components", [5, "auto"])
def test_gaussian(n_components, dtype):
    X_train, X_test = data()
    kwargs = {"eps": 0.9} if n_components == "auto" else {}
    est = GaussianRandomProjection(n_components=n_components, random_state=0, **kwargs).fit(X_train)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dense_output", [False, True])
@pytest.mark.parametrize("density", ["auto", 0.3, 1.0])
def test_sparse(density, dense_output, dtype):
    X_train, X_test = data()
    est = SparseRandomProjection(n_components=7, density=density, dense_output=dense_output, random_state=0).fit(X_train)
    assert sp.issparse(est.components_) == (density != 1.0)
    check(est, X_test, dtype)
    assert [n.op_type for n in check.last_model.graph.node] == ["MatMul"]
