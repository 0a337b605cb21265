"""Shared by the converter tests: convert, run in onnxruntime, compare with scikit-learn.

``make test-oldest`` runs the converter tests with the oldest scikit-learn, onnx and onnxruntime ``pyproject.toml``
allows: :func:`sklearn_class` and :func:`needs_sklearn` skip what that scikit-learn lacks, :func:`session` skips a
model whose operators the installed onnxruntime has no kernel for (by ``onnxalgebra.compiler._runtimes``), each
with its reason.
"""

import importlib
import sys
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import sklearn
from onnx import TensorProto
from onnxruntime import InferenceSession
from sklearn.datasets import load_iris, make_classification
from sklearn.model_selection import train_test_split

from onnxalgebra import dataframe_feeds, to_onnx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
import estimator_coverage  # docs/estimator_coverage.py: fits and compares every scikit-learn estimator

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
_FLOAT_TYPES = {TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.FLOAT, TensorProto.DOUBLE}


def float_types(model):
    """Float element types the graph mentions: inputs, outputs, initializers, Cast targets, tensor attributes."""
    types = {v.type.tensor_type.elem_type for v in (*model.graph.input, *model.graph.output)}
    types.update(t.data_type for t in model.graph.initializer)
    for node in model.graph.node:
        for att in node.attribute:
            if node.op_type == "Cast" and att.name == "to":
                types.add(att.i)
            elif att.type == onnx.AttributeProto.TENSOR:
                types.add(att.t.data_type)
    return types & _FLOAT_TYPES


def _release(version):
    return tuple(int(part) for part in version.split(".")[:2])


SKLEARN = _release(sklearn.__version__)


def needs_sklearn(version, what):
    """A mark skipping a test under a scikit-learn older than ``version`` ("1.5"), where ``what`` does not exist."""
    return pytest.mark.skipif(SKLEARN < _release(version), reason=f"{what}: new in scikit-learn {version}")


def needs_onnxruntime(version, why):
    """A mark skipping a test under an onnxruntime older than ``version`` ("1.18"), which fails as ``why`` says."""
    return pytest.mark.skipif(_release(onnxruntime.__version__) < _release(version), reason=f"onnxruntime < {version}: {why}")


def sklearn_class(module, name, version):
    """``module.name`` (``sklearn.frozen``, ``FrozenEstimator``), or None under a scikit-learn older than
    ``version``, where it does not exist (tests using it carry ``needs_sklearn(version, name)``)."""
    if SKLEARN < _release(version):
        return None
    return getattr(importlib.import_module(module), name)


def session(model, options=None):
    """An onnxruntime CPU session of ``model``; a skip when the installed onnxruntime is older than the oldest
    release that loads it (the table of ``onnxalgebra.compiler._runtimes``: a float64 tree model's ``TreeEnsemble``
    needs 1.21, for one), any other failure raised."""
    try:
        return InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception:
        from onnxalgebra.compiler._runtimes import oldest_onnxruntime

        oldest = oldest_onnxruntime(model)
        if oldest is not None and _release(oldest) > _release(onnxruntime.__version__):
            pytest.skip(f"the model loads in onnxruntime {oldest} or newer; {onnxruntime.__version__} is installed")
        raise


# onnx < 1.17 cannot attach an inference function to a schema declared from Python (custom_operator): its shape
# inference crashes (segmentation fault) on such an operator, so those models get the checker without it
_ONNX_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training"}
_PYTHON_SCHEMAS_INFER = hasattr(onnx.defs.OpSchema, "set_type_and_shape_inference_function")


def run_onnx(model, feeds):
    custom = any(node.domain not in _ONNX_DOMAINS for node in model.graph.node)
    onnx.checker.check_model(model, full_check=_PYTHON_SCHEMAS_INFER or not custom)
    return session(model).run(None, feeds)


def sklearn_outputs(est, X, names, got=None):
    """scikit-learn's outputs for the model's outputs ``names`` (docs/estimator_coverage.py: the same oracle; ``got``,
    the model's outputs, picks the row of a moved stopping tolerance where one applies)."""
    return estimator_coverage.sklearn_outputs(est, X, list(names), got)


def compare_outputs(est, names, got, expected, dtype, tolerance=None):
    """Each output of the model (``got``) against scikit-learn's (``expected``): labels and masks equal, floats in
    ``dtype`` within the tolerance relative to the output's scale. Returns the relative differences by output name."""
    diffs = {}
    for name, g, e in zip(names, got, expected, strict=True):
        e = e.toarray() if hasattr(e, "toarray") else np.asarray(e)  # scikit-learn's sparse outputs, dense
        if name == "variable" and e.ndim == 1 and hasattr(est, "predict"):
            assert g.shape == (len(e), 1), g.shape  # a regressor's output is [N, n_targets]
            g = g.ravel()
        assert g.shape == e.shape, name
        if name == "label":
            assert (g.dtype.kind in "iu") == (e.dtype.kind in "iu"), (g.dtype, e.dtype)
            np.testing.assert_array_equal(g, e)
            continue
        if e.dtype == bool:  # a mask (MissingIndicator)
            assert g.dtype == bool, (name, g.dtype)
            np.testing.assert_array_equal(g, e)
            continue
        assert g.dtype == dtype, name
        diffs[name] = float(np.abs(g - e).max() / max(np.abs(e).max(), np.finfo(dtype).tiny))
        assert diffs[name] <= (tolerance or TOLERANCE[dtype]), (name, diffs[name])
    return diffs


def check(est, X, dtype, tolerance=None, target_opset=None):
    """Convert ``est`` for ``dtype`` (and ``target_opset``), run on ``X`` and compare with scikit-learn: labels
    equal, floats within the tolerance relative to the output's scale. Returns the relative differences by output
    name."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1], target_opset=target_opset)
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}, "a hidden cast"
    names = [o.name for o in model.graph.output]
    got = run_onnx(model, {"X": X})
    diffs = compare_outputs(est, names, got, sklearn_outputs(est, X, names, got), dtype, tolerance)
    print(type(est).__name__, np.dtype(dtype).name, diffs)
    check.last_model = model
    return diffs


def in_dtype(df, dtype):
    """``df`` with its float columns in ``dtype``."""
    return df.astype({c: dtype for c in df.columns if df[c].dtype.kind == "f"})


def check_frame(est, df, dtype, tolerance=None, expected_outputs=None):
    """Convert ``est`` with a DataFrame sample for the computation ``dtype``, run it in onnxruntime fed by
    ``dataframe_feeds`` and compare with scikit-learn on the same DataFrame (float columns in ``dtype``), as
    :func:`compare_outputs` (``expected_outputs(est, df)``: the expected outputs, when scikit-learn has no method
    giving them). Returns the model."""
    df = in_dtype(df, dtype)
    model = to_onnx(est, df.iloc[:5], dtype=dtype)
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == [str(c) for c in getattr(est, "feature_names_in_", df.columns)]
    assert all(i.type.tensor_type.shape.dim[1].dim_value == 1 for i in model.graph.input)
    sess = session(model)
    names = [o.name for o in model.graph.output]
    expected = expected_outputs(est, df) if expected_outputs else sklearn_outputs(est, df, names)
    compare_outputs(est, names, sess.run(None, dataframe_feeds(sess, df)), expected, dtype, tolerance)
    return model


# --- data: a held-out part the models never see ---

NAMES = np.array(["setosa", "versicolor", "virginica"])


@cache
def binary():
    X, y = make_classification(300, 6, n_informative=4, random_state=0)
    return train_test_split(X, y, random_state=0)


@cache
def multiclass():
    X, y = make_classification(400, 8, n_informative=5, n_classes=4, random_state=1)
    return train_test_split(X, y * 10 + 3, random_state=0)  # labels 3, 13, 23, 33


@cache
def iris_names():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, NAMES[y], random_state=0)
