"""LightGBM converters against LightGBM's own predict / predict_proba on held-out data with NaN, float32 and float64:
binary, multiclass (softmax and one-vs-all), regression objectives and their links, missing-value types (NaN, None,
zero_as_missing), average_output (random forest mode)."""

import numpy as np
import pytest
from boosting_checks import check_classifier, check_regressor, data, declared_entry_points, ensure_registered

lgb = pytest.importorskip("lightgbm", reason="the LightGBM converters are tested against LightGBM (pip install lightgbm)")

DTYPES = [np.float32, np.float64]
ensure_registered("lightgbm")


@pytest.fixture(scope="module")
def sets():
    return data()


def test_entry_point_declared():
    assert declared_entry_points()["lightgbm"] == "onnxalgebra_converters.lightgbm:register"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_classifier(sets, kind, dtype):
    X_train, X_test, y = sets
    est = lgb.LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1).fit(X_train, y[kind])
    check_classifier(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_classifier_string_labels_ova(sets, dtype):
    X_train, X_test, y = sets
    labels = np.array(["low", "mid", "high"])[y["multiclass"]]
    est = lgb.LGBMClassifier(objective="multiclassova", n_estimators=20, verbose=-1).fit(X_train, labels)
    check_classifier(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_classifier_int_labels_not_range(sets, dtype):
    X_train, X_test, y = sets
    est = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X_train, y["binary"] * 10 + 3)
    model = check_classifier(est, X_test, dtype)
    assert model.graph.output[0].type.tensor_type.elem_type == 7  # int64 labels


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"objective": "huber"},
        {"zero_as_missing": True},
        {"use_missing": False},
        {"boosting_type": "rf", "bagging_freq": 1, "bagging_fraction": 0.7},
        {"reg_sqrt": True},
    ],
    ids=["l2", "huber", "zero_as_missing", "no_missing", "rf", "reg_sqrt"],
)
def test_regressor(sets, params, dtype):
    X_train, X_test, y = sets
    est = lgb.LGBMRegressor(n_estimators=40, verbose=-1, **params).fit(X_train, y["regression"])
    check_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("objective", ["poisson", "gamma", "tweedie"])
def test_regressor_log_link(sets, objective, dtype):
    X_train, X_test, y = sets
    target = np.exp(y["regression"] / 4)
    est = lgb.LGBMRegressor(objective=objective, n_estimators=40, verbose=-1).fit(X_train, target)
    check_regressor(est, X_test, dtype)


def test_zero_as_missing_routes_zeros(sets):
    """zero_as_missing: the exact zeros of column 2 and NaN go the default way (the model splits on that column)."""
    X_train, X_test, _ = sets
    target = np.where(np.nan_to_num(X_train[:, 2]) == 0, 5.0, np.nan_to_num(X_train[:, 2]))
    est = lgb.LGBMRegressor(n_estimators=10, verbose=-1, zero_as_missing=True).fit(X_train, target)
    assert any(t["tree_structure"].get("missing_type") == "Zero" for t in est.booster_.dump_model()["tree_info"])
    check_regressor(est, X_test, np.float64)
    check_regressor(est, X_test, np.float32)


@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")
def test_early_stopping_keeps_best_iteration(sets):
    X_train, X_test, y = sets
    est = lgb.LGBMClassifier(n_estimators=500, learning_rate=0.3, verbose=-1)
    est.fit(
        X_train[:1000],
        y["binary"][:1000],
        eval_set=[(X_train[1000:], y["binary"][1000:])],
        callbacks=[lgb.early_stopping(5, verbose=False)],
    )
    assert 0 < est.best_iteration_ < 500
    check_classifier(est, X_test, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_splits(dtype):
    """Categorical splits (set membership): unseen categories and NaN go right, as LightGBM sends them."""
    from boosting_checks import categorical_data

    X_train, X_test, y = categorical_data()
    est = lgb.LGBMClassifier(n_estimators=30, verbose=-1, min_data_per_group=5, cat_smooth=1)
    est.fit(X_train, y, categorical_feature=[1, 3])
    assert sum(t["num_cat"] for t in est.booster_.dump_model()["tree_info"]) > 10
    check_classifier(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ranker(sets, dtype):
    X_train, X_test, y = sets
    relevance = np.clip(np.round(y["regression"]), 0, 4).astype(int)
    est = lgb.LGBMRanker(n_estimators=20, verbose=-1).fit(X_train, relevance, group=[10] * (len(X_train) // 10))
    check_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "params",
    [{"objective": "binary"}, {"objective": "multiclass", "num_class": 3}, {"objective": "poisson"}],
    ids=["binary", "multiclass", "poisson"],
)
def test_booster(sets, params, dtype):
    """A lightgbm.Booster (lightgbm.train): one output, what Booster.predict returns, [N, K]."""
    from boosting_checks import run

    from onnxalgebra import to_onnx

    X_train, X_test, y = sets
    target = {"binary": y["binary"], "multiclass": y["multiclass"], "poisson": np.exp(y["regression"] / 4)}[params["objective"]]
    booster = lgb.train({**params, "verbose": -1}, lgb.Dataset(X_train, target), num_boost_round=20)
    X = X_test.astype(dtype)
    model = to_onnx(booster, X[:1])
    assert [o.name for o in model.graph.output] == ["variable"]
    (got,) = run(model, X)
    expected = booster.predict(X).reshape(len(X), -1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize(
    "params",
    [{"objective": "multiclass", "num_class": 3}, {"zero_as_missing": True}, {"categorical": True}, {"n_trees": 1}],
    ids=["multiclass", "zero_as_missing", "categorical", "one_leaf_trees"],
)
@pytest.mark.parametrize("chunk_trees", [500, 4], ids=["whole", "chunks"])
def test_text_and_json_dumps_agree(sets, params, chunk_trees, monkeypatch):
    """The converters read the text model (fast; in chunks of CHUNK_TREES trees, written by one thread while
    another parses); lightgbm_nodes reads dump_model()'s JSON: both give LightGBM's raw scores
    (predict(raw_score=True)) in float64."""
    from boosting_checks import categorical_data, run
    from onnxalgebra_converters.lightgbm import models
    from onnxalgebra_converters.lightgbm.models import lightgbm_model, lightgbm_nodes, lightgbm_raw

    from onnxalgebra import Var, to_onnx

    monkeypatch.setattr(models, "CHUNK_TREES", chunk_trees)

    params = dict(params)
    if params.pop("categorical", False):
        X_train, X_test, target = categorical_data()
        train = lgb.Dataset(X_train, target, categorical_feature=[1, 3])
        params.update(objective="binary", min_data_per_group=5, cat_smooth=1)
    else:
        X_train, X_test, y = sets
        target = y["multiclass"] if params.get("objective") == "multiclass" else y["regression"]
        if params.pop("n_trees", None):  # a constant target: trees of one leaf
            target = np.ones(len(X_train))
        train = lgb.Dataset(X_train, target)
    booster = lgb.train({**params, "verbose": -1}, train, num_boost_round=15)
    dump = booster.dump_model()
    X = Var("X", np.float64, [None, X_test.shape[1]])
    from_text = lightgbm_raw(lightgbm_model(booster), X)
    from_json = lightgbm_raw((dump, *lightgbm_nodes(dump)), X)
    expected = booster.predict(X_test, raw_score=True).reshape(len(X_test), -1)
    for raw in (from_text, from_json):
        (got,) = run(to_onnx(raw), X_test)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def category_frame(n=3000, seed=0):
    """A DataFrame with NaN in its numbers and two ``category`` columns (strings; integers), a held-out part with
    missing and unseen categories, a binary and a 3-class target."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    cities = np.array(["paris", "lyon", "nice", "brest", "lille"])
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "city": rng.choice(cities, n),
            "rooms": rng.integers(1, 6, n),
            "b": rng.normal(size=n),
        }
    )
    df.loc[rng.random(n) < 0.1, "a"] = np.nan
    effect = df["city"].map({"paris": 0.0, "lyon": 2.0, "nice": -1.5, "brest": 1.0, "lille": -0.5}) + (df["rooms"] == 3)
    y = np.digitize(df["a"].fillna(0.5) + effect + 0.3 * rng.normal(size=n), [0.0, 1.2])
    half = n // 2
    train, test = df.iloc[:half].copy(), df.iloc[half:].copy()
    test.iloc[:15, test.columns.get_loc("city")] = "rome"  # unseen when fitted
    test.iloc[15:30, test.columns.get_loc("city")] = None  # missing
    test.iloc[30:40, test.columns.get_loc("rooms")] = 9  # unseen integer category
    for frame in (train, test):
        frame["city"] = pd.Categorical(frame["city"], categories=sorted(set(cities) | {"rome"} if frame is test else cities))
        frame["rooms"] = pd.Categorical(frame["rooms"])
    return train, test, y[:half]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression", "booster"])
def test_dataframe_with_category_columns(kind, dtype):
    """Fitted on a DataFrame with pandas ``category`` columns (LightGBM's own categorical splits): to_onnx(est, df)
    gives one input per column, the categories as strings; outputs equal LightGBM's on held-out rows with missing
    and unseen categories (which LightGBM reads as NaN)."""
    from onnxruntime import InferenceSession

    from onnxalgebra import dataframe_feeds, to_onnx

    train, test, y = category_frame()
    params = {"n_estimators": 25, "verbose": -1, "min_data_per_group": 5, "cat_smooth": 1.0}
    if kind == "regression" or kind == "booster":
        est = lgb.LGBMRegressor(**params).fit(train, y + train["b"].to_numpy())
    else:
        est = lgb.LGBMClassifier(**params).fit(train, y > 0 if kind == "binary" else y)
    assert est.booster_.pandas_categorical and len(est.booster_.pandas_categorical) == 2
    model_of = est.booster_ if kind == "booster" else est
    model = to_onnx(model_of, train.head(), dtype=dtype)
    assert {i.name: i.type.tensor_type.elem_type for i in model.graph.input}["city"] == 8  # a string input
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, dataframe_feeds(session, test))
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    if kind in ("binary", "multiclass"):
        np.testing.assert_array_equal(outputs[0], est.predict(test))
        np.testing.assert_allclose(outputs[1], est.predict_proba(test), rtol=rtol, atol=3e-7)
    else:
        expected = model_of.predict(test)
        np.testing.assert_allclose(outputs[0][:, 0], expected, rtol=rtol, atol=1e-6 * np.abs(expected).max())


def test_dataframe_category_column_given_as_integers_or_floats():
    """An integer category column may come as plain integers (numbered by value as LightGBM does); floats are
    refused, as is a DataFrame without one of the fitted columns, with errors naming them."""
    from onnxruntime import InferenceSession

    from onnxalgebra import ColumnError, ConversionError, dataframe_feeds, to_onnx

    train, test, y = category_frame()
    est = lgb.LGBMRegressor(n_estimators=5, verbose=-1, min_data_per_group=5).fit(train, y)
    integers = test.assign(rooms=test["rooms"].astype(int))
    model = to_onnx(est, integers.head())
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, dataframe_feeds(session, integers))
    np.testing.assert_allclose(got[:, 0], est.predict(test), rtol=1e-10, atol=1e-12)
    with pytest.raises(ConversionError, match=r"category column of float64 with categories \[1, 2, 3, 4, 5\]"):
        to_onnx(est, train.assign(rooms=train["rooms"].astype(float)).head())
    with pytest.raises(ColumnError, match=r"the DataFrame lacks \[.b.\]"):
        to_onnx(est, train.drop(columns="b").head())


def test_model_text_is_model_to_string_up_to_best_iteration(sets, monkeypatch):
    """The converters read the text save_model writes (LightGBM formats it once): the same text as model_to_string(),
    the iterations up to best_iteration after early stopping."""
    from onnxalgebra_converters.lightgbm import models
    from onnxalgebra_converters.lightgbm.models import model_text

    X_train, X_test, y = sets
    train, valid = lgb.Dataset(X_train, y["regression"]), lgb.Dataset(X_test, y["regression"])
    params = {"learning_rate": 0.3, "verbose": -1}
    stop = [lgb.early_stopping(5, verbose=False)]
    booster = lgb.train(params, train, 300, valid_sets=[valid], callbacks=stop, keep_training_booster=True)
    assert 0 < booster.best_iteration < booster.current_iteration()
    text = model_text(booster)
    assert text == booster.model_to_string()
    assert text.count("\nTree=") == booster.best_iteration
    # Read in chunks of 7 trees: the same node table as the whole text's.
    monkeypatch.setattr(models, "CHUNK_TREES", 7)
    _, nodes, values, targets, zero = models.lightgbm_model(booster)
    _, expected, expected_values, expected_targets, expected_zero = models.lightgbm_text_nodes(text)
    assert sorted(nodes) == sorted(expected) and zero == expected_zero
    for key in nodes:
        np.testing.assert_array_equal(nodes[key], expected[key], err_msg=key)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(targets, expected_targets)


@pytest.mark.parametrize(
    ("field", "damage", "message"),
    [
        ("threshold", lambda v: v.replace(" ", " x", 1), "threshold lines hold something other than numbers"),
        ("left_child", lambda v: v.rsplit(" ", 1)[0], "left_child values where the trees' num_leaves give"),
    ],
)
def test_damaged_text_model_raises(sets, field, damage, message):
    """A text model whose fields do not parse, or hold fewer numbers than the trees' sizes say, raises a
    ConversionError naming the field."""
    from onnxalgebra_converters.lightgbm.models import lightgbm_text_nodes

    from onnxalgebra import ConversionError

    X_train, _, y = sets
    text = lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(X_train, y["regression"]).booster_.model_to_string()
    head, sep, rest = text.partition(f"\n{field}=")
    line, newline, tail = rest.partition("\n")
    lightgbm_text_nodes(text)  # the undamaged text parses
    with pytest.raises(ConversionError, match=message):
        lightgbm_text_nodes(head + sep + damage(line) + newline + tail)
