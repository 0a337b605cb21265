"""Converters honour ``target_opset`` (onnxalgebra.compiler._opset, onnxalgebra.target_opset()), against scikit-learn.

Every converter's model, built for opset 15, imports at most opset 15 and
predicts what scikit-learn predicts; float32 tree models fit ai.onnx.ml 3;
a float64 tree model below ai.onnx.ml 5 is a clear error; a converter written
with numpy reductions builds them for the target (axes as an attribute
before opset 18).
"""

import numpy as np
import pytest
from converter_checks import check, estimator_coverage
from fitted_estimators import covers_every_converter, fitted_estimators

import onnxalgebra
from onnxalgebra import OnnxAlgebraError, to_onnx

ESTIMATORS = fitted_estimators()
DTYPES = [np.float32, np.float64]


def _uses_tree_ensembles(est, X) -> bool:
    model = to_onnx(est, X[:1].astype(np.float32))
    return any(node.op_type.startswith("TreeEnsemble") for node in model.graph.node)


TREES = {n for n, (est, X) in ESTIMATORS.items() if _uses_tree_ensembles(est, X)}


def _opsets(model):
    return {o.domain: o.version for o in model.opset_import}


def test_the_list_covers_every_converter():
    assert covers_every_converter() == set()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_converter_fits_opset_15(name, dtype):
    est, X = ESTIMATORS[name]
    target = 15 if dtype == np.float32 or name not in TREES else {"": 15, "ai.onnx.ml": 5}
    tolerance = 1e-3 if name.endswith("isotonic") and dtype == np.float32 else None  # as in the calibration tests
    if name in estimator_coverage.LOOSER and dtype == np.float32:
        tolerance = estimator_coverage.LOOSER[name][0]  # measured, and why: docs/estimator_coverage.py
    check(est, X, dtype, tolerance, target_opset=target)
    assert _opsets(check.last_model).get("", 0) <= 15


@pytest.mark.parametrize("name", sorted(TREES))
def test_float32_tree_models_fit_ai_onnx_ml_3(name):
    est, X = ESTIMATORS[name]
    tolerance = 1e-3 if name.endswith("isotonic") else None
    check(est, X, np.float32, tolerance, target_opset={"": 15, "ai.onnx.ml": 3})
    assert _opsets(check.last_model)["ai.onnx.ml"] == 3


def test_a_float64_forest_below_ai_onnx_ml_5_is_a_clear_error():
    est, X = ESTIMATORS["RandomForestRegressor"]
    with pytest.raises(OnnxAlgebraError, match=r"float64 tree model needs ai\.onnx\.ml opset 5.*ai\.onnx\.ml 4.*float32 sample"):
        to_onnx(est, X[:1], target_opset={"ai.onnx.ml": 4})


class ColumnMax:
    """A transformer of this test: the maximum of each row, as numpy computes it."""

    n_features_in_ = 3

    def transform(self, X):
        return X.max(axis=1, keepdims=True)


@pytest.mark.parametrize("target", [13, 15, 17, None])
def test_a_numpy_converter_builds_its_reductions_for_the_target(target):
    onnxalgebra.register_converter(ColumnMax, lambda est, X: X.max(axis=1, keepdims=True))
    X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    model = to_onnx(ColumnMax(), X[:1], target_opset=target)
    opset = _opsets(model)[""]
    assert opset <= (target or 99) and (target is not None or opset == 18)  # ReduceMax takes axes as an input at 18
    import onnxruntime

    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(session.run(None, {"X": X})[0], ColumnMax().transform(X))
