"""Smoke test of an installed wheel, run from outside the repository (``make test-package``).

``python smoke.py``: the algebra without extras (build, compile and run an expression; a clear error for an
estimator with no converter; its interactive diagram page from the installed static files).
``python smoke.py --sklearn``: with the sklearn extra, convert and run a pipeline and compare it with scikit-learn.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import onnxruntime

import onnxalgebra
from onnxalgebra import UnsupportedEstimatorError, Var, to_onnx


def _run(model, feeds):
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def algebra() -> None:
    assert "site-packages" in onnxalgebra.__file__, onnxalgebra.__file__
    x = Var("X", np.float32, [None, 3])
    expr = np.exp(x).sum(axis=1) / 2
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    (got,) = _run(to_onnx(expr, {"X": data}), {"X": data})
    np.testing.assert_allclose(got, np.exp(data).sum(axis=1) / 2, rtol=1e-6)

    class NoConverter:
        n_features_in_ = 3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without scikit-learn, the converter package is reported as a warning
        try:
            to_onnx(NoConverter(), data)
        except UnsupportedEstimatorError as exc:
            message = str(exc)
        else:
            raise AssertionError("an estimator without a converter converted")
    assert "register_converter" in message, message
    try:
        import sklearn  # noqa: F401
    except ImportError:
        assert "pip install 'onnxalgebra[sklearn]'" in message, message
    # the interactive diagram inlines the static files installed with the package (vendored viz.js, our script)
    page = onnxalgebra.show(expr).to_html()
    assert "Viz.js 3.31.0" in page and "window.onnxalgebraDiagram" in page and "ReduceSum" in page, page[:200]
    print("algebra: ok")


def pipeline() -> None:
    import onnxalgebra_converters  # noqa: F401  (installed under our name)
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    X32 = X.astype(np.float32)
    label, proba = _run(to_onnx(pipe, X32[:1]), {"X": X32})
    assert (label == pipe.predict(X32)).all()
    np.testing.assert_allclose(proba, pipe.predict_proba(X32), atol=1e-5)
    print("pipeline: ok")


if __name__ == "__main__":
    algebra()
    if "--sklearn" in sys.argv:
        pipeline()
