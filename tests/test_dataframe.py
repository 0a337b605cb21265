"""DataFrame inputs: one graph input per column, the feeds helper, and pipelines over DataFrames end to end."""

import sys
from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import check_frame, needs_sklearn
from onnxruntime import InferenceSession
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor, make_column_selector
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import Binarizer, FunctionTransformer, OneHotEncoder, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from onnxalgebra import MissingDependencyError, OnnxAlgebraError, UnsupportedEstimatorError, Var, dataframe_feeds, to_onnx
from onnxalgebra.registry._convert import find_converter

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

DTYPES = [np.float32, np.float64]
NUMERIC = ["age", "income", "rooms", "score"]


def has_converter(cls) -> bool:
    """A converter is registered for ``cls`` (another module may not have landed yet)."""
    try:
        find_converter(cls())
    except UnsupportedEstimatorError:
        return False
    return True


needs_encoder = pytest.mark.skipif(not has_converter(OneHotEncoder), reason="no OneHotEncoder converter yet")
needs_imputer = pytest.mark.skipif(not has_converter(SimpleImputer), reason="no SimpleImputer converter yet")


# --- data: a held-out part the models never see ---


@cache
def people(nan=False):
    """Numbers (float64, int64, float32), a bool, strings and a categorical; a binary and a three-class target.

    ``nan``: some ages and incomes missing. The held-out part has a city never seen in training."""
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n),
            "income": rng.lognormal(10, 0.6, n),
            "rooms": rng.integers(1, 8, n),
            "score": rng.normal(0, 1, n).astype(np.float32),
            "owner": rng.random(n) > 0.6,
            "city": rng.choice(["paris", "lyon", "nice", "lille"], n),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        }
    )
    logit = 0.06 * (df.age - 40) + 0.8 * (np.log(df.income) - 10) + 0.3 * df.rooms - 1.0 + df.score + (df.city == "nice")
    binary = (logit + rng.normal(0, 0.5, n) > 0).astype(int)
    three = np.array(["low", "mid", "high"])[np.digitize(logit + rng.normal(0, 0.5, n), [-0.5, 0.8])]
    if nan:
        df.loc[rng.random(n) < 0.1, "age"] = np.nan
        df.loc[rng.random(n) < 0.1, "income"] = np.nan
    train, test, yb_train, _, y3_train, _ = train_test_split(df, binary, three, random_state=0)
    test = test.copy()
    test.loc[test.index[::9], "city"] = "brest"  # never seen in training
    return train, test, yb_train, y3_train


def input_types(model):
    return {i.name: onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type) for i in model.graph.input}


# --- inputs ---


def test_one_input_per_column_with_its_type():
    train, _, _, _ = people()
    ct = ColumnTransformer([("num", StandardScaler(), NUMERIC)], remainder="drop").fit(train)
    model = to_onnx(ct, train)
    assert input_types(model) == {
        "age": np.float64,
        "income": np.float64,
        "rooms": np.int64,
        "score": np.float32,
        "owner": np.bool_,
        "city": np.object_,  # strings
        "colour": np.object_,
    }
    assert [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == ["N", 1]
    feeds = dataframe_feeds(model, train)
    assert feeds["city"].dtype == object and feeds["city"].shape == (len(train), 1)
    assert feeds["colour"][0, 0] in {"red", "green", "blue"}


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"a": np.float32, "b": np.float32}, np.float32),
        ({"a": np.float32, "b": np.float64}, np.float64),
        ({"a": np.float32, "b": np.int64}, np.float64),  # numpy's promotion: int64 and float32 give float64
        ({"a": np.float32, "b": np.int16, "c": bool}, np.float32),
        ({"a": np.int64, "b": np.int64}, np.float64),
    ],
)
def test_the_computation_dtype_is_the_promotion_of_the_numeric_columns(columns, expected):
    df = pd.DataFrame({name: (np.arange(20) % 3).astype(dtype) for name, dtype in columns.items()})
    scaler = StandardScaler().fit(df)
    model = to_onnx(scaler, df)
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.helper.np_dtype_to_tensor_dtype(np.dtype(expected))
    assert input_types(model) == {n: np.dtype(np.int64 if np.dtype(t).kind == "i" else t) for n, t in columns.items()}
    forced = to_onnx(scaler, df, dtype=np.float32)
    assert forced.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert input_types(forced) == input_types(model)  # the inputs keep their types: the graph casts them


def test_dtype_forces_the_computation_dtype_of_a_numpy_sample_too():
    train, test, y, _ = people()
    X = train[NUMERIC].to_numpy(np.float64)
    clr = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    model = to_onnx(clr, X[:1], dtype=np.float32)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert model.graph.output[1].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    X_test = test[NUMERIC].to_numpy(np.float64)
    _, proba = InferenceSession(model.SerializeToString()).run(None, {"X": X_test})
    np.testing.assert_allclose(proba, clr.predict_proba(X_test.astype(np.float32)), rtol=1e-5, atol=1e-6)
    with pytest.raises(OnnxAlgebraError, match=r"dtype must be np\.float32 or np\.float64"):
        to_onnx(clr, X[:1], dtype=np.int64)
    with pytest.raises(TypeError, match="dtype applies to estimators"):
        to_onnx(Var("X", np.float64, [None, 4]) * 2.0, {"X": X}, dtype=np.float32)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (pd.Series([1, 2], dtype="int32"), np.int64),
        (pd.Series([1, 2], dtype="Int64"), np.int64),
        (pd.Series([1.0, 2.0], dtype="Float32"), np.float32),
        (pd.Series([1.0, 2.0], dtype=np.float16), np.float32),
        (pd.Series(["a", "b"], dtype="string"), object),
        (pd.Series(["a", "b"], dtype=object), object),
        (pd.Series(pd.Categorical([3, 5])), np.int64),  # categories of numbers: their type
        (pd.Series([True, False], dtype="boolean"), np.bool_),
    ],
)
def test_pandas_dtypes_map_to_input_types(series, expected):
    df = pd.DataFrame({"x": series})
    est = FunctionTransformer(None).fit(df)
    assert input_types(to_onnx(est, df)) == {"x": np.dtype(expected)}
    feeds = dataframe_feeds(None, df)
    assert feeds["x"].dtype == np.dtype(expected) and feeds["x"].shape == (2, 1)


def test_a_column_of_an_unsupported_dtype_is_named():
    df = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-02-01"]), "x": [1.0, 2.0]})
    with pytest.raises(OnnxAlgebraError, match="column 'when': its dtype datetime64"):
        to_onnx(FunctionTransformer(None).fit(df), df)


# --- the columns must be those it was fitted on ---


def test_columns_differing_from_the_fitted_ones_are_named():
    train, _, y, _ = people()
    clr = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[NUMERIC], y)
    with pytest.raises(OnnxAlgebraError, match=r"lacks \['rooms'\]; has \['owner'\] in addition"):
        to_onnx(clr, train[["age", "income", "score", "owner"]])
    # another order is the same columns: the inputs follow the fitted order (fed by name)
    model = to_onnx(clr, train[NUMERIC[::-1]])
    assert [i.name for i in model.graph.input] == NUMERIC
    with pytest.raises(OnnxAlgebraError, match=r"the model's inputs are .*lacks \['score'\]; has \['city'\] in addition"):
        dataframe_feeds(model, train[["age", "income", "rooms", "city"]])


def test_an_estimator_fitted_without_column_names_takes_the_columns_in_order():
    train, test, y, _ = people()
    clr = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[NUMERIC].to_numpy(), y)
    model = to_onnx(clr, train[NUMERIC])
    got = InferenceSession(model.SerializeToString()).run(None, dataframe_feeds(model, test[NUMERIC]))
    np.testing.assert_array_equal(got[0], clr.predict(test[NUMERIC].to_numpy()))
    with pytest.raises(OnnxAlgebraError, match=r"fitted on 4 features .* has 3 columns"):
        to_onnx(clr, train[NUMERIC[:3]])


def test_a_string_column_reaching_a_numeric_estimator_names_both():
    train, _, _, _ = people()
    held_as_objects = train[NUMERIC].astype({"rooms": object})  # scikit-learn reads the objects as numbers
    scaler = StandardScaler().fit(held_as_objects)
    with pytest.raises(OnnxAlgebraError, match=r"StandardScaler computes on numbers but gets the string column\(s\) \['rooms'\]"):
        to_onnx(scaler, held_as_objects)
    ct = ColumnTransformer([("s", StandardScaler(), ["age"]), ("r", RobustScaler(), ["rooms", "score"])]).fit(held_as_objects)
    with pytest.raises(OnnxAlgebraError, match=r"RobustScaler computes on numbers .* \['rooms'\]"):
        to_onnx(ct, held_as_objects)
    mixed = ColumnTransformer([("s", StandardScaler(), ["age"])], remainder="passthrough").fit(train)
    with pytest.raises(OnnxAlgebraError, match=r"'remainder' passes the string column\(s\) \['city', 'colour'\] and"):
        to_onnx(mixed, train)


def test_a_column_named_as_an_output_is_refused():
    df = pd.DataFrame({"variable": [1.0, 2.0, 3.0]})
    with pytest.raises(OnnxAlgebraError, match=r"the column\(s\) \['variable'\] have the name of an output"):
        to_onnx(StandardScaler().fit(df), df)


# --- dataframe_feeds ---


def test_feeds_follow_the_types_the_model_declares(tmp_path):
    df = pd.DataFrame({"a": [1, 2, 3], "s": ["x", None, "z"], "f": np.array([0.5, np.nan, 2.0], np.float32)})
    declared = to_onnx(FunctionTransformer(None).fit(df[["a"]]), df[["a"]].astype(np.float64))
    assert input_types(declared) == {"a": np.float64}
    assert dataframe_feeds(declared, df[["a"]])["a"].dtype == np.float64  # int column, double input: cast
    path = tmp_path / "m.onnx"
    onnx.save(declared, path)
    for model in (declared, declared.SerializeToString(), str(path), InferenceSession(str(path))):
        np.testing.assert_array_equal(dataframe_feeds(model, df[["a"]])["a"], [[1.0], [2.0], [3.0]])
    feeds = dataframe_feeds(None, df)
    missing = str(df["s"].iloc[1])  # None, or NaN in pandas' str dtype: fed as onnxruntime feeds an object array, str()
    assert feeds["s"].tolist() == [["x"], [missing], ["z"]] and missing in ("None", "nan")
    assert np.isnan(feeds["f"][1, 0]) and feeds["f"].dtype == np.float32
    ints = to_onnx(FunctionTransformer(None).fit(df[["a"]]), df[["a"]])
    with pytest.raises(OnnxAlgebraError, match="column 'a' has missing values"):
        dataframe_feeds(ints, pd.DataFrame({"a": [1.0, np.nan]}))
    with pytest.raises(OnnxAlgebraError, match=r"column 'a' .* does not convert to int64"):
        dataframe_feeds(ints, pd.DataFrame({"a": ["one", "two"]}))
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        dataframe_feeds(ints, df["a"])


def test_without_pandas_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'onnxalgebra\[sklearn\]'"):
        dataframe_feeds(None, object())


# --- pipelines over DataFrames, end to end ---


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", ["binary", "three"])
@pytest.mark.parametrize(
    "classifier",
    [lambda: LogisticRegression(max_iter=2000), lambda: DecisionTreeClassifier(max_depth=5, random_state=0)],
    ids=["logistic", "tree"],
)
def test_column_transformer_then_classifier(classifier, target, dtype):
    # numbers scaled, the bool binarized, a log of the income, the strings dropped
    train, test, y_binary, y_three = people()
    ct = ColumnTransformer(
        [
            ("std", StandardScaler(), ["age", "score"]),
            ("rob", RobustScaler(), make_column_selector(dtype_include=np.integer)),
            ("log", FunctionTransformer(np.log), ["income"]),
            ("bool", Binarizer(threshold=0.5), ["owner"]),
        ],
        remainder="drop",
    )
    pipe = make_pipeline(ct, classifier()).fit(train, y_binary if target == "binary" else y_three)
    check_frame(pipe, test, dtype)


@needs_sklearn("1.4", "RandomForest fitted on rows with NaN")
@pytest.mark.parametrize("dtype", DTYPES)
def test_trees_see_nan_in_the_columns_as_scikit_learn(dtype):
    train, test, y_binary, y_three = people(nan=True)
    assert test.age.isna().any() and test.income.isna().any()
    numbers = ColumnTransformer([("n", "passthrough", make_column_selector(dtype_include=np.number))])
    forest = RandomForestClassifier(n_estimators=5, max_depth=6, random_state=0)
    check_frame(make_pipeline(numbers, forest).fit(train, y_three), test, dtype)
    check_frame(DecisionTreeClassifier(max_depth=6, random_state=0).fit(train[NUMERIC], y_binary), test[NUMERIC], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_plain_pipeline_feature_union_and_nesting_over_a_dataframe(dtype):
    train, test, y, _ = people()
    X_train, X_test = train[NUMERIC], test[NUMERIC]
    check_frame(make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y), X_test, dtype)
    union = FeatureUnion(
        [
            ("all", StandardScaler()),
            ("some", ColumnTransformer([("r", RobustScaler(), ["income", "rooms"])])),
            ("raw", "passthrough"),
        ],
        transformer_weights={"raw": 0.5},
    )
    check_frame(union.fit(X_train), X_test, dtype)
    inner = make_pipeline(ColumnTransformer([("s", StandardScaler(), ["age"]), ("l", FunctionTransformer(np.log), ["income"])]))
    outer = ColumnTransformer([("inner", inner, ["age", "income"]), ("b", Binarizer(threshold=3), ["rooms"])], remainder="drop")
    check_frame(make_pipeline(outer, LogisticRegression()).fit(train, y), test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformed_target_regressor_over_a_dataframe(dtype):
    train, test, _, _ = people()
    ct = ColumnTransformer([("s", StandardScaler(), ["age", "rooms", "score"])], remainder="drop")
    ttr = TransformedTargetRegressor(make_pipeline(ct, LinearRegression()), func=np.log, inverse_func=np.exp)
    check_frame(ttr.fit(train, train.income), test, dtype)


# --- with encoders and imputers: these run once their converters are registered ---


@needs_encoder
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", ["binary", "three"])
def test_strings_one_hot_encoded_with_unseen_categories(target, dtype):
    train, test, y_binary, y_three = people()
    ct = ColumnTransformer(
        [("num", StandardScaler(), NUMERIC), ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "colour"])],
        remainder="drop",
    )
    pipe = make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(train, y_binary if target == "binary" else y_three)
    check_frame(pipe, test, dtype)


@needs_imputer
@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_imputed_then_scaled(dtype):
    train, test, y_binary, _ = people(nan=True)
    ct = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC)], remainder="drop")
    check_frame(make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(train, y_binary), test, dtype)


@needs_encoder
@needs_imputer
@pytest.mark.parametrize("dtype", DTYPES)
def test_mixed_types_imputed_encoded_and_scaled(dtype):
    train, test, _, y_three = people(nan=True)
    ct = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include=np.number),
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=["object", "string", "category"])),
        ],
        remainder="passthrough",  # the bool
    )
    check_frame(make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(train, y_three), test, dtype)


@needs_encoder
@needs_imputer
@pytest.mark.parametrize("missing", [None, np.nan], ids=["None", "nan"])
def test_missing_strings_are_a_category_or_imputed_as_scikit_learn(missing):
    rng = np.random.default_rng(0)
    cities = np.array(["paris", "lyon", "nice", missing], dtype=object)
    train = pd.DataFrame({"city": cities[rng.integers(0, 4, 200)], "x": rng.normal(size=200)})
    test = pd.DataFrame({"city": np.array(["paris", missing, "rome", "nice", missing], dtype=object), "x": rng.normal(size=5)})
    y = (train["city"].isin(["paris"]) | (train["x"] > 0)).to_numpy()
    for first in (
        OneHotEncoder(handle_unknown="ignore"),
        make_pipeline(SimpleImputer(strategy="constant", fill_value="?"), OneHotEncoder(handle_unknown="ignore")),
    ):
        ct = ColumnTransformer([("cat", first, ["city"])], remainder="passthrough")
        check_frame(make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(train, y), test, np.float64)
