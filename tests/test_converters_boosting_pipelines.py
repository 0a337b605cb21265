"""LightGBM and XGBoost steps inside scikit-learn pipelines, converted by one to_onnx(pipe, df) call with no
registration by the user (the entry points register the converters), against the pipelines' own predict and
predict_proba on held-out DataFrames with NaN."""

import numpy as np
import pytest
from boosting_checks import ensure_registered, mixed_frame
from onnxruntime import InferenceSession
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from onnxalgebra import dataframe_feeds, to_onnx

pd = pytest.importorskip("pandas")
lgb = pytest.importorskip("lightgbm", reason="pipelines with a LightGBM step need LightGBM (pip install lightgbm)")
xgb = pytest.importorskip("xgboost", reason="pipelines with an XGBoost step need XGBoost (pip install xgboost-cpu)")

ensure_registered("lightgbm")
ensure_registered("xgboost")


def frame(n=2000, seed=1):
    """:func:`mixed_frame`'s DataFrames, a binary and a three-class target."""
    train, test = mixed_frame(n, seed)
    y = ((train["age"] - 40) / 10 + train["score"].fillna(1.0) + (train["city"] == "nice") * 0.8 > 0.3).astype(int).to_numpy()
    y3 = np.digitize(train["age"].to_numpy() + 5 * train["score"].fillna(0).to_numpy(), [35, 45])
    return train, test, y, y3


def run_frame(model, df):
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, dataframe_feeds(session, df))


def preprocessor():
    return ColumnTransformer(
        [
            ("num", "passthrough", ["age", "income", "score"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["city"]),
        ]
    )


BOOSTERS = {
    "lgbm": lambda: lgb.LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1),
    "xgb": lambda: xgb.XGBClassifier(n_estimators=40, max_depth=4),
    "xgbrf": lambda: xgb.XGBRFClassifier(n_estimators=20, max_depth=5),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("classes", ["binary", "multiclass"])
@pytest.mark.parametrize("booster", sorted(BOOSTERS))
def test_column_transformer_pipeline(booster, classes, dtype):
    train, test, y, y3 = frame()
    pipe = Pipeline([("pre", preprocessor()), ("model", BOOSTERS[booster]())]).fit(train, y if classes == "binary" else y3)
    model = to_onnx(pipe, train.iloc[:5], dtype=dtype)
    label, proba = run_frame(model, test)
    expected = pipe.predict_proba(test)
    np.testing.assert_array_equal(label, pipe.predict(test))
    rtol = 1e-5 if dtype == np.float32 or booster != "lgbm" else 1e-12
    np.testing.assert_allclose(proba, expected, rtol=rtol, atol=1e-7)


def test_lightgbm_regressor_after_imputer_and_scaler():
    train, test, _, _ = frame()
    target = train["age"].to_numpy() * 0.1 + train["score"].fillna(0).to_numpy()
    numeric = ["age", "income", "score"]
    pipe = make_pipeline(SimpleImputer(), StandardScaler(), lgb.LGBMRegressor(n_estimators=50, verbose=-1))
    pipe.fit(train[numeric], target)
    (got,) = run_frame(to_onnx(pipe, train[numeric].iloc[:5], dtype=np.float64), test[numeric])
    np.testing.assert_allclose(got[:, 0], pipe.predict(test[numeric]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [lambda: lgb.LGBMRegressor(n_estimators=30, verbose=-1), lambda: xgb.XGBRegressor(n_estimators=30)],
    ids=["lgbm", "xgb"],
)
def test_booster_fitted_on_a_dataframe(make):
    """A booster fitted on a numeric DataFrame directly: one graph input per column, in the fitted order."""
    train, test, _, _ = frame()
    numeric = ["score", "age", "income"]
    est = make().fit(train[numeric], train["age"].to_numpy() * 0.1 - train["income"].fillna(5).to_numpy())
    model = to_onnx(est, train[numeric].iloc[:5], dtype=np.float32)
    assert [i.name for i in model.graph.input] == numeric
    (got,) = run_frame(model, test[numeric].astype(np.float32))
    expected = est.predict(test[numeric].astype(np.float32))
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_registration_imports_neither_library():
    """The entry points register by class name: loading them imports neither LightGBM nor XGBoost."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from onnxalgebra_converters.lightgbm import register as a\n"
        "from onnxalgebra_converters.xgboost import register as b\n"
        "a(); b()\n"
        "print(sorted(m for m in ('lightgbm', 'xgboost') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_subclass_found_by_name():
    """A subclass of a library's class takes its converter (the class name is looked up along the MRO)."""

    class MyRegressor(lgb.LGBMRegressor):
        pass

    train, test, _, _ = frame()
    numeric = ["age", "income", "score"]
    est = MyRegressor(n_estimators=10, verbose=-1).fit(train[numeric].to_numpy(), train["age"].to_numpy())
    X = test[numeric].to_numpy()
    (got,) = InferenceSession(to_onnx(est, X[:1]).SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": X})
    np.testing.assert_allclose(got[:, 0], est.predict(X), rtol=1e-12)


def test_register_converter_rejects_a_name_without_module():
    from onnxalgebra import register_converter

    with pytest.raises(TypeError, match=r"'module\.QualName'"):
        register_converter("LGBMClassifier", lambda est, X: X)
