"""CatBoost converters (CatBoost's own ONNX export, inlined) against CatBoost's predict / predict_proba on held-out
data with NaN, float32 and float64: binary, multiclass and one-vs-all classifiers, regression losses and their links,
rankers, nan_mode Min and Max, a model's scale and bias, early stopping; alone, inside a Pipeline and inside a
ColumnTransformer over a DataFrame; what the export cannot write raises ConversionError."""

import json

import boosting_checks
import numpy as np
import pytest
from boosting_checks import PROBA_ATOL, PROBA_RTOL, data, declared_entry_points, ensure_registered, mixed_frame, run
from onnxruntime import InferenceSession
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from onnxalgebra import ConversionError, dataframe_feeds, to_onnx

cb = pytest.importorskip("catboost", reason="the CatBoost converters are tested against CatBoost (pip install catboost)")

DTYPES = [np.float32, np.float64]
# float64: the trees are summed in float32 as CatBoost's export writes them (leaf values rounded to float32), the rest
# in float64: measured within 1e-6 relative of CatBoost's predict_proba (CatBoost sums its float64 leaves)
RTOL = {np.float32: PROBA_RTOL, np.float64: 2e-6}
ensure_registered("catboost")


def small(cls, **params):
    """A small model (30 trees of depth 4: seconds to fit and convert) that writes no catboost_info/ folder."""
    return cls(**{"iterations": 30, "depth": 4, "verbose": 0, "allow_writing_files": False, "thread_count": 1, **params})


@pytest.fixture(scope="module")
def sets():
    return data(n=2000)


def check_classifier(est, X, dtype, **kwargs):
    """Labels identical to ``est.predict`` (of its dtype); probabilities within RTOL relative of ``predict_proba``."""
    return boosting_checks.check_classifier(est, X, dtype, rtol=RTOL[dtype], atol=PROBA_ATOL, **kwargs)


def check_regressor(est, X, dtype, **kwargs):
    """``variable`` [N, 1] of X's float type within 1e-5 relative of ``est.predict`` (2e-6 for float64)."""
    X = X.astype(dtype)
    model = to_onnx(est, X[:1], **kwargs)
    (got,) = run(model, X)
    expected = est.predict(X)
    assert got.dtype == dtype and got.shape == (len(X), 1)
    np.testing.assert_allclose(got[:, 0], expected, rtol=RTOL[dtype], atol=1e-6 * np.abs(expected).max())
    return model


def test_entry_point_declared():
    assert declared_entry_points()["catboost"] == "onnxalgebra_converters.catboost:register"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nan_mode", ["Min", "Max"])
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_classifier(sets, kind, nan_mode, dtype):
    X_train, X_test, y = sets
    est = small(cb.CatBoostClassifier, nan_mode=nan_mode).fit(X_train, y[kind])
    assert np.isnan(X_test).any(axis=0).all()  # NaN in every column of the held-out part
    check_classifier(est, X_test, dtype)


def test_nan_mode_changes_the_graph(sets):
    """Min and Max send NaN different ways: the two conversions differ on rows with NaN (the tests above could not
    tell a graph that ignores nan_mode from one that reads it, were both models the same)."""
    X_train, X_test, y = sets
    X_test = X_test.astype(np.float32)
    probas = {}
    for nan_mode in ("Min", "Max"):
        est = small(cb.CatBoostClassifier, nan_mode=nan_mode).fit(X_train, y["binary"])
        probas[nan_mode] = run(to_onnx(est, X_test[:1]), X_test)[1]
        np.testing.assert_allclose(probas[nan_mode], est.predict_proba(X_test), rtol=PROBA_RTOL, atol=PROBA_ATOL)
    with_nan = np.isnan(X_test).any(axis=1)
    assert not np.allclose(probas["Min"][with_nan], probas["Max"][with_nan])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "labels",
    [
        lambda y: np.array(["low", "mid", "high"])[y],
        lambda y: y * 10 + 3,
        lambda y: y * 1.5,  # float labels: CatBoost's export refuses them, the converter exports class indices
        lambda y: y == 1,  # bool labels: likewise
    ],
    ids=["strings", "int_not_range", "floats", "bools"],
)
def test_classifier_labels(sets, labels, dtype):
    X_train, X_test, y = sets
    target = labels(y["multiclass"] if dtype == np.float32 else y["binary"])
    est = small(cb.CatBoostClassifier).fit(X_train, target)
    before = json.loads(est.get_metadata()["class_params"])
    check_classifier(est, X_test, dtype)
    assert json.loads(est.get_metadata()["class_params"]) == before  # the estimator is left as it was


def _post_transform(model):
    node = next(n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier")
    return next(a.s for a in node.attribute if a.name == "post_transform").decode()


def test_catboosts_own_transform_kept_when_it_is_predict_proba(sets):
    """Binary and multiclass models without scale or bias: CatBoost's sigmoid/softmax and an ArgMax, no other work
    (the probabilities checked above); a bias, a threshold or one-vs-all: raw scores and the algebra's link."""
    X_train, X_test, y = sets
    binary = small(cb.CatBoostClassifier).fit(X_train, y["binary"])
    multi = small(cb.CatBoostClassifier).fit(X_train, y["multiclass"])
    for est, transform in ((binary, "LOGISTIC"), (multi, "SOFTMAX")):
        model = to_onnx(est, X_test[:1].astype(np.float32))
        assert _post_transform(model) == transform
        assert sorted(n.op_type for n in model.graph.node) == ["ArgMax", "TreeEnsembleClassifier"]
    biased = small(cb.CatBoostClassifier, boost_from_average=True).fit(X_train, y["binary"])
    assert biased.get_scale_and_bias()[1] != 0
    assert _post_transform(to_onnx(biased, X_test[:1].astype(np.float32))) == "NONE"
    binary.set_probability_threshold(0.3)
    assert _post_transform(to_onnx(binary, X_test[:1].astype(np.float32))) == "NONE"


def test_zipmap_option(sets):
    """options={'zipmap': True}: the probabilities as maps class -> probability, as CatBoost's own export gives."""
    X_train, X_test, y = sets
    labels = np.array(["low", "mid", "high"])[y["multiclass"]]
    est = small(cb.CatBoostClassifier).fit(X_train, labels)
    X = X_test[:50].astype(np.float32)
    label, maps = run(to_onnx(est, X[:1], options={"zipmap": True}), X)
    expected = est.predict_proba(X)
    got = np.array([[m[str(c)] for c in est.classes_] for m in maps])
    np.testing.assert_allclose(got, expected, rtol=PROBA_RTOL, atol=PROBA_ATOL)
    np.testing.assert_array_equal(label, est.predict(X).reshape(-1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "params",
    [
        {"loss_function": "CrossEntropy"},
        {"boost_from_average": True},  # a bias: CatBoost's export writes base_values onnxruntime mis-applies
        {"auto_class_weights": "Balanced"},
    ],
    ids=["cross_entropy", "boost_from_average", "class_weights"],
)
def test_binary_losses(sets, params, dtype):
    X_train, X_test, y = sets
    est = small(cb.CatBoostClassifier, **params).fit(X_train, y["binary"])
    check_classifier(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_vs_all(sets, dtype):
    """MultiClassOneVsAll: a sigmoid per class (CatBoost's export writes a softmax: 0.16 off predict_proba)."""
    X_train, X_test, y = sets
    est = small(cb.CatBoostClassifier, loss_function="MultiClassOneVsAll").fit(X_train, y["multiclass"])
    check_classifier(est, X_test, dtype)
    assert not np.allclose(est.predict_proba(X_test).sum(axis=1), 1.0)  # not a softmax


@pytest.mark.parametrize("dtype", DTYPES)
def test_scale_and_bias(sets, dtype, tmp_path):
    """set_scale_and_bias: CatBoost's export refuses a scale other than 1; the converter applies both."""
    X_train, X_test, y = sets
    binary = small(cb.CatBoostClassifier).fit(X_train, y["binary"])
    binary.set_scale_and_bias(0.7, -0.4)
    with pytest.raises(Exception, match="Non-identity"):  # CatBoost's own refusal
        binary.save_model(str(tmp_path / "unused.onnx"), format="onnx")
    check_classifier(binary, X_test, dtype)
    assert binary.get_scale_and_bias() == (0.7, -0.4)  # the estimator is left as it was
    multi = small(cb.CatBoostClassifier).fit(X_train, y["multiclass"])
    multi.set_scale_and_bias(1.3, [0.5, -0.2, 0.1])
    check_classifier(multi, X_test, dtype)
    regressor = small(cb.CatBoostRegressor).fit(X_train, y["regression"])
    regressor.set_scale_and_bias(2.0, 5.0)
    check_regressor(regressor, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_probability_threshold(sets, dtype):
    X_train, X_test, y = sets
    est = small(cb.CatBoostClassifier).fit(X_train, y["binary"])
    est.set_probability_threshold(0.8)
    model = check_classifier(est, X_test, dtype)
    label, proba = run(model, X_test.astype(dtype))
    assert ((proba[:, 1] > 0.5) & (label == 0)).any()  # rows the threshold moves


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["RMSE", "MAE", "Quantile:alpha=0.3", "Huber:delta=1.0", "LogCosh"])
def test_regressor(sets, loss, dtype):
    X_train, X_test, y = sets
    est = small(cb.CatBoostRegressor, loss_function=loss).fit(X_train, y["regression"])
    check_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["Poisson", "Tweedie:variance_power=1.5"])
def test_regressor_log_link(sets, loss, dtype):
    """Poisson and Tweedie: CatBoost's export gives the raw score, predict its exponent (applied by the converter)."""
    X_train, X_test, y = sets
    target = np.round(np.exp(y["regression"] / 4), 0 if loss == "Poisson" else 3)
    est = small(cb.CatBoostRegressor, loss_function=loss).fit(X_train, target)
    check_regressor(est, X_test, dtype)
    assert not np.allclose(est.predict(X_test), est.predict(X_test, prediction_type="RawFormulaVal"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_regressor_nan_mode_max(sets, dtype):
    X_train, X_test, y = sets
    est = small(cb.CatBoostRegressor, nan_mode="Max").fit(X_train, y["regression"])
    check_regressor(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["YetiRank", "QueryRMSE", "PairLogit"])
def test_ranker(sets, loss, dtype):
    X_train, X_test, y = sets
    groups = np.repeat(np.arange(len(X_train) // 10), 10)
    est = small(cb.CatBoostRanker, loss_function=loss).fit(X_train, y["multiclass"], group_id=groups)
    check_regressor(est, X_test, dtype)


def _tree_count(model):
    node = next(n for n in model.graph.node if n.op_type.startswith("TreeEnsemble"))
    return len(set(next(a.ints for a in node.attribute if a.name == "nodes_treeids")))


@pytest.mark.parametrize("use_best_model", [True, False])
def test_early_stopping(sets, use_best_model):
    """With use_best_model CatBoost shrinks the model to its best iteration: the graph holds those trees only, as
    predict uses; without it, all the trees (predict uses all)."""
    X_train, X_test, y = sets
    est = cb.CatBoostClassifier(
        iterations=300, depth=4, learning_rate=0.5, early_stopping_rounds=10, use_best_model=use_best_model,
        verbose=0, allow_writing_files=False, thread_count=1,
    )  # fmt: skip
    est.fit(X_train[:700], y["binary"][:700], eval_set=(X_train[700:], y["binary"][700:]))
    best = est.get_best_iteration()
    assert best + 1 < est.tree_count_ or use_best_model
    assert est.tree_count_ < 300  # stopped early
    model = check_classifier(est, X_test, np.float32)
    assert _tree_count(model) == est.tree_count_ == (best + 1 if use_best_model else est.tree_count_)


def test_categorical_features_raise(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=400), "city": rng.choice(["paris", "lyon", "nice"], 400)})
    y = ((df["city"] == "nice") ^ (df["a"] > 1)).astype(int).to_numpy()
    est = small(cb.CatBoostClassifier, cat_features=["city"]).fit(df, y)
    with pytest.raises(Exception, match="ONNX-ML format export does yet not support categorical features"):
        est.save_model(str(tmp_path / "unused.onnx"), format="onnx")  # CatBoost's own refusal, which ours explains
    with pytest.raises(ConversionError, match=r"CatBoostClassifier: categorical features \[1\]: .*OrdinalEncoder") as info:
        to_onnx(est, df.iloc[:1])
    assert isinstance(info.value, ValueError)


def test_text_features_raise(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=400), "text": rng.choice(["good day", "bad day", "so so"], 400)})
    y = (df["text"] == "good day").astype(int).to_numpy()
    est = small(cb.CatBoostClassifier, text_features=["text"]).fit(df, y)
    with pytest.raises(Exception, match="text features only in cbm format"):
        est.save_model(str(tmp_path / "unused.onnx"), format="onnx")
    with pytest.raises(ConversionError, match=r"CatBoostClassifier: text features \[1\]: .*TfidfVectorizer"):
        to_onnx(est, df.iloc[:1])


def test_non_symmetric_trees_raise(sets):
    X_train, X_test, y = sets
    est = small(cb.CatBoostRegressor, grow_policy="Lossguide").fit(X_train, y["regression"])
    with pytest.raises(ConversionError, match=r"CatBoostRegressor: CatBoost's ONNX export fails: .*non symmetric.*"
                       r"grow_policy='SymmetricTree'"):  # fmt: skip
        to_onnx(est, X_test[:1])


def test_several_outputs_raise(sets):
    X_train, X_test, y = sets
    est = small(cb.CatBoostRegressor, loss_function="MultiRMSE").fit(X_train, np.c_[y["regression"], -y["regression"]])
    with pytest.raises(ConversionError, match=r"loss_function='MultiRMSE'.*n_targets=0.*one model per target"):
        to_onnx(est, X_test[:1])


def test_unknown_option_raises(sets):
    X_train, X_test, y = sets
    est = small(cb.CatBoostRegressor).fit(X_train, y["regression"])
    with pytest.raises(ConversionError, match=r"CatBoostRegressor: its converter .* takes no options"):
        to_onnx(est, X_test[:1], options={"missing_values": False})


# pipelines: one to_onnx(pipe, X_or_df) call, no registration by the user


def frame(n=1200, seed=1):
    """:func:`mixed_frame`'s DataFrames and a three-class target."""
    pytest.importorskip("pandas")
    train, test = mixed_frame(n, seed)
    y = np.digitize((train["age"] - 40) / 10 + train["score"].fillna(1.0) + (train["city"] == "nice") * 0.8, [-0.5, 0.7])
    return train, test, np.asarray(y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", ["binary", "multiclass"])
def test_column_transformer_over_a_dataframe(classes, dtype):
    train, test, y = frame()
    target = (y > 0).astype(np.int64) if classes == "binary" else y
    pre = ColumnTransformer(
        [
            ("num", "passthrough", ["age", "income", "score"]),
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["city"]),
        ]
    )
    pipe = Pipeline([("pre", pre), ("model", small(cb.CatBoostClassifier))]).fit(train, target)
    model = to_onnx(pipe, train.iloc[:5], dtype=dtype)
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, dataframe_feeds(session, test))
    np.testing.assert_array_equal(label, np.asarray(pipe.predict(test)).reshape(-1))
    np.testing.assert_allclose(proba, pipe.predict_proba(test), rtol=RTOL[dtype], atol=PROBA_ATOL)
    city = pipe.named_steps["model"].get_feature_importance()[3]
    assert city > 0  # the encoded string column is used by the trees


@pytest.mark.parametrize("dtype", DTYPES)
def test_regressor_after_a_scaler(sets, dtype):
    X_train, X_test, y = sets
    pipe = make_pipeline(StandardScaler(), small(cb.CatBoostRegressor, loss_function="Poisson"))
    pipe.fit(X_train, np.round(np.exp(y["regression"] / 4)))
    X = X_test.astype(dtype)
    (got,) = run(to_onnx(pipe, X[:1]), X)
    np.testing.assert_allclose(got[:, 0], pipe.predict(X), rtol=RTOL[dtype], atol=1e-6)


def test_fitted_on_a_dataframe_reads_columns_by_name():
    """A model fitted on a DataFrame directly: the columns by name, whatever their order in the sample given."""
    train, test, _ = frame()
    numeric = ["score", "age", "income"]
    est = small(cb.CatBoostRegressor).fit(train[numeric], train["age"].to_numpy() * 0.1 - train["income"].fillna(5).to_numpy())
    shuffled = ["income", "score", "age"]
    model = to_onnx(est, train[shuffled].iloc[:5], dtype=np.float32)
    session = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, dataframe_feeds(session, test[shuffled]))
    expected = est.predict(test[numeric])
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_model_loaded_from_a_file(sets, kind, tmp_path):
    """A model saved and loaded with CatBoost's load_model (which reports n_features_in_ = 0) converts from a sample."""
    X_train, X_test, y = sets
    cls = cb.CatBoostClassifier if kind == "binary" else cb.CatBoostRegressor
    small(cls).fit(X_train, y[kind]).save_model(str(tmp_path / "model.cbm"))
    loaded = cls()
    loaded.load_model(str(tmp_path / "model.cbm"))
    assert loaded.n_features_in_ == 0
    if kind == "binary":
        check_classifier(loaded, X_test, np.float32)
    else:
        check_regressor(loaded, X_test, np.float64)


def test_registration_does_not_import_catboost():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from onnxalgebra_converters.catboost import register\n"
        "register()\n"
        "print('catboost' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
