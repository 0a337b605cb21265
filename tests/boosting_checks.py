"""Shared by the LightGBM and XGBoost converter tests: data with NaN held out from training, and the comparison of a
converted model, run by onnxruntime, with the library's own predict / predict_proba."""

from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
from onnxruntime import InferenceSession

from onnxalgebra import register_converter, to_onnx
from onnxalgebra.registry._convert import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[1]
PROBA_RTOL = 1e-5  # float32: probabilities within 1e-5 relative (the bound)
# ... or within 2.5 float32 ulps of 1 absolute: the libraries' 1 - p inherits the rounding of a p near 1 (a p one ulp
# off, from summing the trees in another order, makes 1 - p = 3.3e-4 differ by 3.7e-4 relative).
PROBA_ATOL = 3e-7


def declared_entry_points():
    """The converter entry points pyproject.toml declares: name -> 'module:function'."""
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split(f'[project.entry-points."{ENTRY_POINT_GROUP}"]', 1)[1].split("\n[", 1)[0]
    pairs = (line.split("=", 1) for line in section.splitlines() if "=" in line)
    return {name.strip(): value.strip().strip('"') for name, value in pairs}


def ensure_registered(name):
    """Register the entry point ``name`` by hand only when the installed metadata predates it (an editable install
    made before pyproject.toml declared it: ``pip install -e .`` refreshes it); otherwise the registry loads it."""
    if name in {e.name for e in entry_points(group=ENTRY_POINT_GROUP)}:
        return
    import importlib

    module, function = declared_entry_points()[name].split(":")
    getattr(importlib.import_module(module), function)()
    assert register_converter  # the public API the entry point uses


def data(n=3000, n_features=6, nan_fraction=0.1, seed=0):
    """X with NaN in every column and exact zeros in column 2, a binary, a 3-class and a real target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < nan_fraction] = np.nan
    X[::5, 2] = 0.0
    a, b = np.nan_to_num(X[:, 0]), np.nan_to_num(X[:, 1], nan=0.7)
    y_bin = (a + b + 0.3 * rng.normal(size=n) > 0).astype(np.int64)
    y_multi = np.digitize(a - 0.5 * b, [-0.5, 0.5])
    y_real = 3 * a + b**2 + np.where(np.isnan(X[:, 3]), 2.0, 0.0) + 0.1 * rng.normal(size=n)
    half = n // 2
    return X[:half], X[half:], {"binary": y_bin[:half], "multiclass": y_multi[:half], "regression": y_real[:half]}


def run(model, X, name="X"):
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {name: X})


def check_classifier(est, X, dtype, rtol=None, atol=None, **kwargs):
    """Labels identical to ``est.predict`` (of its integer dtype); probabilities within ``rtol`` relative (default
    PROBA_RTOL in float32, 1e-12 in float64)."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1], **kwargs)
    label, proba = run(model, X)
    expected = est.predict_proba(X)
    assert proba.dtype == dtype and proba.shape == expected.shape
    default_rtol, default_atol = (PROBA_RTOL, PROBA_ATOL) if dtype == np.float32 else (1e-12, 1e-15)
    np.testing.assert_allclose(proba, expected, rtol=rtol or default_rtol, atol=atol or default_atol)
    predicted = np.asarray(est.predict(X)).reshape(-1)  # CatBoost: [N] for two classes, [N, 1] for more
    assert label.shape == predicted.shape
    np.testing.assert_array_equal(label, predicted)
    if predicted.dtype.kind in "iub":
        assert label.dtype == predicted.dtype
    return model


def mixed_frame(n=2000, seed=1):
    """A training and a held-out DataFrame: numeric columns with NaN, a string column whose held-out part has a
    category the training part lacks."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.lognormal(3, 1, n),
            "score": rng.normal(size=n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )
    df.loc[rng.random(n) < 0.1, "income"] = np.nan
    df.loc[rng.random(n) < 0.1, "score"] = np.nan
    half = n // 2
    test = df.iloc[half:].copy()
    test.iloc[:20, test.columns.get_loc("city")] = "marseille"  # unseen when fitted
    return df.iloc[:half], test


def check_regressor(est, X, dtype, expected=None, **kwargs):
    """Predictions [N, 1] within 1e-5 relative of ``est.predict`` (float32: the leaf values are rounded to float32)."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1], **kwargs)
    (got,) = run(model, X)
    expected = est.predict(X) if expected is None else expected
    assert got.dtype == dtype and got.shape == (len(X), 1)
    scale = np.abs(expected).max()
    rtol, atol = (1e-5, 1e-6 * scale) if dtype == np.float32 else (1e-12, 1e-13 * scale)
    np.testing.assert_allclose(got[:, 0], expected, rtol=rtol, atol=atol)
    return model


def categorical_data(n=4000, seed=0):
    """Columns 1 (12 categories, 5% NaN) and 3 (40 categories) categorical as integer codes; the held-out part has
    categories never seen in training (15 in column 1, 77 in column 3)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[:, 1] = rng.integers(0, 12, n)
    X[:, 3] = rng.integers(0, 40, n)
    X[rng.random(n) < 0.05, 1] = np.nan
    effect = rng.normal(size=12)
    y = (effect[np.nan_to_num(X[:, 1], nan=0).astype(int)] + X[:, 0] + 0.3 * (X[:, 3] % 3) > 0).astype(np.int64)
    half = n // 2
    X_test = X[half:].copy()
    X_test[:50, 1] = 15
    X_test[50:60, 3] = 77
    return X[:half], X_test, y[:half]
