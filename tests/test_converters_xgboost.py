"""XGBoost converters against XGBoost's own predict / predict_proba on held-out data with NaN, float32 and float64:
binary, multiclass, regression objectives and their links, base_score (given, fitted, per class), missing values
(default directions, a `missing` value other than NaN), dart, random forests, rankers, early stopping."""

import numpy as np
import pytest
from boosting_checks import check_classifier, check_regressor, data, declared_entry_points, ensure_registered

xgb = pytest.importorskip("xgboost", reason="the XGBoost converters are tested against XGBoost (pip install xgboost-cpu)")

DTYPES = [np.float32, np.float64]
ensure_registered("xgboost")
# XGBoost sums its leaves in float32: a float64 graph sums them in float64, within float32 rounding of XGBoost.
FLOAT64_RTOL = 1e-6


@pytest.fixture(scope="module")
def sets():
    return data()


def check_xgb_classifier(est, X, dtype):
    if dtype == np.float32:
        return check_classifier(est, X, dtype)
    from boosting_checks import run

    from onnxalgebra import to_onnx

    X = X.astype(dtype)
    label, proba = run(to_onnx(est, X[:1]), X)
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=FLOAT64_RTOL, atol=1e-7)
    expected = est.predict(X)
    p = est.predict_proba(X)
    decided = np.abs(p.max(axis=1) - np.sort(p, axis=1)[:, -2]) > 1e-6  # rows not tied within float32 rounding
    np.testing.assert_array_equal(label[decided], expected[decided])
    assert decided.mean() > 0.99


def check_xgb_regressor(est, X, dtype):
    if dtype == np.float32:
        return check_regressor(est, X, dtype)
    from boosting_checks import run

    from onnxalgebra import to_onnx

    X = X.astype(dtype)
    (got,) = run(to_onnx(est, X[:1]), X)
    expected = est.predict(X)
    assert got.shape == (len(X), 1) and got.dtype == np.float64
    np.testing.assert_allclose(got[:, 0], expected, rtol=FLOAT64_RTOL, atol=FLOAT64_RTOL * np.abs(expected).max())


def test_entry_point_declared():
    assert declared_entry_points()["xgboost"] == "onnxalgebra_converters.xgboost:register"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("params", [{}, {"base_score": 0.3}, {"booster": "dart", "rate_drop": 0.2}], ids=["fit", "given", "dart"])
def test_classifier(sets, kind, params, dtype):
    X_train, X_test, y = sets
    est = xgb.XGBClassifier(n_estimators=30, max_depth=4, **params).fit(X_train, y[kind])
    check_xgb_classifier(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "objective", ["reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror", "count:poisson", "reg:gamma", "reg:tweedie"]
)
def test_regressor(sets, objective, dtype):
    X_train, X_test, y = sets
    target = y["regression"] if objective.startswith("reg:s") or "error" in objective else np.exp(y["regression"] / 4)
    est = xgb.XGBRegressor(objective=objective, n_estimators=30, max_depth=4).fit(X_train, target)
    check_xgb_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_regressor_logistic_and_base_score(sets, dtype):
    X_train, X_test, y = sets
    target = 1 / (1 + np.exp(-y["regression"] / 3))
    est = xgb.XGBRegressor(objective="reg:logistic", base_score=0.7, n_estimators=20).fit(X_train, target)
    check_xgb_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_missing_value_other_than_nan(sets, dtype):
    """missing=0: the zeros of column 2 are missing values (XGBoost sends them the default way)."""
    X_train, X_test, _ = sets
    X_train, X_test = np.nan_to_num(X_train, nan=0.25), np.nan_to_num(X_test, nan=0.25)
    target = np.where(X_train[:, 2] == 0, 4.0, X_train[:, 2])
    est = xgb.XGBRegressor(missing=0.0, n_estimators=20).fit(X_train, target)
    check_xgb_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_forests(sets, dtype):
    X_train, X_test, y = sets
    check_xgb_classifier(xgb.XGBRFClassifier(n_estimators=20, max_depth=5).fit(X_train, y["multiclass"]), X_test, dtype)
    check_xgb_regressor(xgb.XGBRFRegressor(n_estimators=20, max_depth=5).fit(X_train, y["regression"]), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ranker(sets, dtype):
    X_train, X_test, y = sets
    groups = np.repeat(np.arange(len(X_train) // 10), 10)
    relevance = np.clip(np.round(y["regression"]), 0, 4).astype(int)
    est = xgb.XGBRanker(n_estimators=20, max_depth=4).fit(X_train, relevance, qid=groups)
    check_xgb_regressor(est, X_test, dtype)


def test_early_stopping_keeps_best_iteration(sets):
    X_train, X_test, y = sets
    est = xgb.XGBClassifier(n_estimators=500, learning_rate=0.5, early_stopping_rounds=3, max_depth=6)
    est.fit(X_train[:1000], y["binary"][:1000], eval_set=[(X_train[1000:], y["binary"][1000:])], verbose=False)
    assert 0 < est.best_iteration < est.get_booster().num_boosted_rounds() - 1
    check_xgb_classifier(est, X_test, np.float32)
    check_xgb_classifier(est, X_test, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_splits(dtype):
    """Categorical splits: a split's set goes right, NaN its default way, unseen categories left, as in XGBoost."""
    from boosting_checks import categorical_data

    X_train, X_test, y = categorical_data()
    est = xgb.XGBClassifier(
        n_estimators=30, max_depth=4, enable_categorical=True, feature_types=["q", "c", "q", "c"], max_cat_to_onehot=1
    ).fit(X_train, y)
    learner = __import__("json").loads(bytes(est.get_booster().save_raw("json")))["learner"]
    assert sum(len(t["categories_nodes"]) for t in learner["gradient_booster"]["model"]["trees"]) > 10
    check_xgb_classifier(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "params",
    [
        {"objective": "binary:logistic"},
        {"objective": "multi:softprob", "num_class": 3},
        {"objective": "multi:softmax", "num_class": 3},
        {"objective": "count:poisson"},
        {"objective": "reg:squarederror"},
    ],
    ids=["binary", "softprob", "softmax", "poisson", "squarederror"],
)
def test_booster(sets, params, dtype):
    """An xgboost.Booster (xgboost.train): one output, what Booster.predict returns, [N, K]."""
    from boosting_checks import run

    from onnxalgebra import to_onnx

    X_train, X_test, y = sets
    objective = params["objective"]
    target = y["multiclass"] if objective.startswith("multi") else y["binary"] if objective.startswith("binary") else None
    target = np.exp(y["regression"] / 4) if target is None else target
    booster = xgb.train({**params, "max_depth": 4}, xgb.DMatrix(X_train, target), num_boost_round=20)
    X = X_test.astype(dtype)
    model = to_onnx(booster, X[:1])
    (got,) = run(model, X)
    expected = booster.predict(xgb.DMatrix(X)).reshape(len(X), -1)
    if objective == "multi:softmax":
        margins = booster.predict(xgb.DMatrix(X), output_margin=True)
        decided = np.abs(np.diff(np.sort(margins, axis=1)[:, -2:], axis=1))[:, 0] > 1e-5
        np.testing.assert_array_equal(got[decided], expected[decided])
        return
    rtol = 1e-5 if dtype == np.float32 else FLOAT64_RTOL
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def _same_document(ubj, text, path="learner"):
    """The binary JSON model read by read_ubjson holds the JSON text model's values (typed arrays as float32 or
    integers, the text's numbers being what XGBoost prints of them)."""
    from onnxalgebra_converters.xgboost.ubjson import TypedArray

    if isinstance(text, dict):
        assert isinstance(ubj, dict) and sorted(ubj) == sorted(text), path
        for key in text:
            _same_document(ubj[key], text[key], f"{path}.{key}")
    elif isinstance(ubj, TypedArray):
        values = np.asarray(ubj)
        expected = np.asarray(text, dtype=values.dtype.newbyteorder("="))
        assert values.shape == expected.shape and np.array_equal(values, expected), path
    elif isinstance(text, list):
        assert isinstance(ubj, list) and len(ubj) == len(text), path
        for i, (u, t) in enumerate(zip(ubj, text)):
            _same_document(u, t, f"{path}[{i}]")
    elif isinstance(text, float):
        assert np.float32(ubj) == np.float32(text), path
    else:
        assert ubj == text, path


@pytest.mark.parametrize(
    "params",
    [
        {"objective": "multi:softprob", "num_class": 3},
        {"objective": "binary:logistic", "booster": "dart", "rate_drop": 0.2},
        {"objective": "reg:squarederror", "num_parallel_tree": 3, "subsample": 0.8},
        {"categorical": True},
    ],
    ids=["multiclass", "dart", "forest", "categorical"],
)
def test_binary_and_text_json_models_agree(sets, params):
    """The converters read save_raw('ubj') (read_ubjson: no text to format and parse); the JSON text
    (save_raw('json'), json.loads) holds the same document, and both give the same node table."""
    import json

    from onnxalgebra_converters.xgboost.models import xgboost_json_model, xgboost_model, xgboost_nodes

    params = dict(params)
    if params.pop("categorical", False):
        from boosting_checks import categorical_data

        X_train, _, target = categorical_data()
        train = xgb.DMatrix(X_train, target, enable_categorical=True, feature_types=["q", "c", "q", "c"])
        params.update(objective="binary:logistic", max_cat_to_onehot=1)
    else:
        X_train, _, y = sets
        target = y["multiclass"] if params["objective"].startswith("multi") else y["binary"]
        train = xgb.DMatrix(X_train, target)
    booster = xgb.train({**params, "max_depth": 4}, train, num_boost_round=8)
    _same_document(xgboost_model(booster), json.loads(bytes(booster.save_raw("json")))["learner"])
    from_binary = xgboost_nodes(xgboost_model(booster))
    from_text = xgboost_nodes(xgboost_json_model(booster))
    for got, expected in zip(from_binary, from_text):
        if isinstance(got, dict):
            assert sorted(got) == sorted(expected)
            for key in got:
                np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(expected[key]), err_msg=key)
        else:
            np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_damaged_binary_json_model_raises(sets):
    """A binary JSON model cut short, or with an unknown marker, raises a ConversionError saying what was expected."""
    from onnxalgebra_converters.xgboost.ubjson import read_ubjson

    from onnxalgebra import ConversionError

    X_train, _, y = sets
    data = bytes(xgb.XGBRegressor(n_estimators=2, max_depth=2).fit(X_train, y["regression"]).get_booster().save_raw("ubj"))
    assert "learner" in read_ubjson(data)
    with pytest.raises(ConversionError, match=r"Booster.save_raw\('ubj'\) writes"):
        read_ubjson(data[: len(data) // 2])
    with pytest.raises(ConversionError, match="unknown marker 'X'"):
        read_ubjson(b"{i\x01aX}")


def category_frame(n=3000, seed=0):
    """A DataFrame with NaN in its numbers and two ``category`` columns (strings; integers); the held-out part lists
    its categories in another order, has missing ones and, in ``unseen``, categories XGBoost never saw (which its
    predict refuses: ``expected`` holds them as missing). A binary and a 3-class target."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    cities = ["paris", "lyon", "nice", "brest", "lille"]
    df = pd.DataFrame(
        {"a": rng.normal(size=n), "city": rng.choice(cities, n), "rooms": rng.integers(1, 6, n), "b": rng.normal(size=n)}
    )
    df.loc[rng.random(n) < 0.1, "a"] = np.nan
    effect = df["city"].map({"paris": 0.0, "lyon": 2.0, "nice": -1.5, "brest": 1.0, "lille": -0.5}) + (df["rooms"] == 3)
    y = np.digitize(df["a"].fillna(0.5) + effect + 0.3 * rng.normal(size=n), [0.0, 1.2])
    half = n // 2
    train, test = df.iloc[:half].copy(), df.iloc[half:].copy()
    test.iloc[:15, test.columns.get_loc("city")] = None  # missing
    unseen = test.copy()
    unseen.iloc[15:30, unseen.columns.get_loc("city")] = "rome"
    unseen.iloc[30:40, unseen.columns.get_loc("rooms")] = 9
    train["city"], train["rooms"] = pd.Categorical(train["city"], categories=cities), pd.Categorical(train["rooms"])
    test["city"] = pd.Categorical(test["city"], categories=cities[::-1])  # another order: XGBoost recodes by value
    test["rooms"] = pd.Categorical(test["rooms"], categories=[5, 4, 3, 2, 1])
    expected_rows = test.copy()
    expected_rows.iloc[15:30, expected_rows.columns.get_loc("city")] = None
    expected_rows.iloc[30:40, expected_rows.columns.get_loc("rooms")] = None
    return train, test, unseen, expected_rows, y[:half]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression", "booster"])
def test_dataframe_with_category_columns(kind, dtype):
    """Fitted on a DataFrame with pandas ``category`` columns (enable_categorical): to_onnx(est, df) gives one input
    per column; outputs equal XGBoost's on held-out rows whose categories come in another order or are missing, and
    a category XGBoost never saw (its predict refuses one) goes the way of a missing one."""
    from onnxruntime import InferenceSession

    from onnxalgebra import dataframe_feeds, to_onnx

    train, test, unseen, expected_rows, y = category_frame()
    params = {"n_estimators": 20, "enable_categorical": True, "tree_method": "hist", "max_cat_to_onehot": 1}
    if kind in ("regression", "booster"):
        est = xgb.XGBRegressor(**params).fit(train, y + train["b"].to_numpy())
    else:
        est = xgb.XGBClassifier(**params).fit(train, y > 0 if kind == "binary" else y)
    model_of = est.get_booster() if kind == "booster" else est
    model = to_onnx(model_of, train.head(), dtype=dtype)
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rtol = 1e-5 if dtype == np.float32 else FLOAT64_RTOL
    for rows, reference in ((test, test), (unseen, expected_rows)):
        outputs = session.run(None, dataframe_feeds(session, rows.astype({"city": object, "rooms": "Int64"})))
        if kind in ("binary", "multiclass"):
            np.testing.assert_allclose(outputs[1], est.predict_proba(reference), rtol=rtol, atol=3e-7)
            np.testing.assert_array_equal(outputs[0], est.predict(reference))
        elif kind == "booster":
            expected = model_of.predict(xgb.DMatrix(reference, enable_categorical=True))
            np.testing.assert_allclose(outputs[0][:, 0], expected, rtol=rtol, atol=1e-6 * np.abs(expected).max())
        else:
            expected = est.predict(reference)
            np.testing.assert_allclose(outputs[0][:, 0], expected, rtol=rtol, atol=1e-6 * np.abs(expected).max())
