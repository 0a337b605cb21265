"""FunctionTransformer and TransformedTargetRegressor converters against scikit-learn on held-out data."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, binary, check, iris_names, multiclass, run_onnx
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeRegressor

from onnxalgebra import OnnxAlgebraError, to_onnx

DTYPES = [np.float32, np.float64]


@cache
def positive():
    """Five positive columns of different scales, a positive target that grows exponentially."""
    X, y = make_regression(300, 5, n_informative=4, noise=1.0, random_state=3)
    X = np.abs(X) * [1.0, 10.0, 0.1, 3.0, 100.0] + 0.5
    return train_test_split(X, np.exp(y / np.abs(y).max() * 3), random_state=0)


def squared_features(X):
    """A function of numpy code: the columns, then the squares of the first two."""
    return np.hstack([X, X[:, :2] ** 2])


def clipped_log(X, low=1.0, high=50.0):
    return np.log(np.clip(X, low, high))


def scaled_inverse(X, factor=1.0):
    return X / factor


def soft_clip(X):
    return np.tanh(X / 4.0) * 4.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "transformer",
    [
        FunctionTransformer(np.log1p),
        FunctionTransformer(np.sqrt, validate=False),
        FunctionTransformer(squared_features),
        FunctionTransformer(lambda X: np.where(X > 2.0, X, -X) * 0.5, validate=True),
        FunctionTransformer(clipped_log, kw_args={"low": 0.7, "high": 20.0}),
        FunctionTransformer(None),
        FunctionTransformer(None, validate=True),
    ],
    ids=["log1p", "sqrt-novalidate", "python-function", "lambda-where", "kw_args", "identity", "identity-validate"],
)
def test_function_transformer(transformer, dtype):
    X_train, X_test, _, _ = positive()
    check(transformer.fit(X_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_function_transformer_keeps_nan_where_func_does(dtype):
    # validate=False lets NaN through to func, as scikit-learn does
    _, X_test, _, _ = positive()
    X = X_test.astype(dtype)
    X[::7, 1] = np.nan
    est = FunctionTransformer(np.log1p, validate=False).fit(X)
    (got,) = run_onnx(to_onnx(est, X[:1]), {"X": X})
    np.testing.assert_allclose(got, est.transform(X), rtol=TOLERANCE[dtype], equal_nan=True)
    assert np.isnan(got[::7, 1]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", [binary, multiclass, iris_names])
def test_classifiers_after_a_function_transformer(data, dtype):
    X_train, X_test, y_train, _ = data()
    pipe = make_pipeline(FunctionTransformer(soft_clip), StandardScaler(), LogisticRegression(max_iter=2000))
    check(pipe.fit(X_train, y_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_function_transformer_in_a_column_transformer(dtype):
    X_train, X_test, _, _ = positive()
    ct = ColumnTransformer(
        [
            ("log", FunctionTransformer(np.log), [0, 2]),
            ("scaled", StandardScaler(), [1, 3]),
            ("sq", FunctionTransformer(squared_features), [4, 0]),
        ],
        remainder="drop",
    )
    check(ct.fit(X_train), X_test, dtype)


def test_an_untraceable_func_names_itself_and_how_to_register_a_converter():
    X_train, _, _, _ = positive()

    def reads_values(X):
        return np.asarray(X) * 2

    with pytest.raises(OnnxAlgebraError, match="reads_values cannot be traced") as info:
        to_onnx(FunctionTransformer(reads_values).fit(X_train), X_train[:1])
    assert "register_converter" in str(info.value) and "class MyFunction(FunctionTransformer)" in str(info.value)

    def branches(X):
        return X if X.sum() > 0 else -X  # Python control flow on values

    with pytest.raises(OnnxAlgebraError, match="branches cannot be traced"):
        to_onnx(FunctionTransformer(branches).fit(X_train), X_train[:1])
    with pytest.raises(OnnxAlgebraError, match="returned a ndarray, not an expression"):
        to_onnx(FunctionTransformer(lambda X: np.zeros((3, 1))).fit(X_train), X_train[:1])


def test_a_registered_subclass_is_the_way_out():
    from onnxalgebra import register_converter

    class Doubled(FunctionTransformer):
        pass

    X_train, X_test, _, _ = positive()
    est = Doubled(lambda X: np.asarray(X) * 2).fit(X_train)
    register_converter(Doubled, lambda est, X: X * 2.0)
    check(est, X_test, np.float64)


# --- TransformedTargetRegressor ---


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "make",
    [
        lambda: TransformedTargetRegressor(LinearRegression(), func=np.log, inverse_func=np.exp),
        lambda: TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1),
        lambda: TransformedTargetRegressor(LinearRegression(), transformer=StandardScaler()),
        lambda: TransformedTargetRegressor(LinearRegression(), transformer=RobustScaler(with_centering=False)),
        lambda: TransformedTargetRegressor(
            LinearRegression(),
            transformer=FunctionTransformer(np.log, scaled_inverse, inv_kw_args={"factor": 0.5}, check_inverse=False),
            check_inverse=False,
        ),
        lambda: TransformedTargetRegressor(LinearRegression()),  # the identity
        lambda: TransformedTargetRegressor(
            DecisionTreeRegressor(max_depth=5, random_state=0), func=np.sqrt, inverse_func=np.square
        ),
    ],
    ids=["log-exp", "log1p-expm1", "standard", "robust", "inv_kw_args", "identity", "tree-sqrt"],
)
def test_transformed_target_regressor(make, dtype):
    X_train, X_test, y_train, _ = positive()
    check(make().fit(X_train, y_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformed_target_regressor_of_a_pipeline_with_several_targets(dtype):
    X_train, X_test, y_train, _ = positive()
    Y = np.column_stack([y_train, np.log(y_train) * 2.0 + 5.0])
    pipe = make_pipeline(FunctionTransformer(np.log), StandardScaler(), LinearRegression())
    ttr = TransformedTargetRegressor(pipe, transformer=StandardScaler()).fit(X_train, Y)
    check(ttr, X_test, dtype)


class Cubed(TransformerMixin, BaseEstimator):
    """A transformer with an inverse no converter knows."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.cbrt(X)

    def inverse_transform(self, X):
        return X**3


def test_transformed_target_regressor_with_another_transformer_is_a_clear_error():
    X_train, _, y_train, _ = positive()
    ttr = TransformedTargetRegressor(LinearRegression(), transformer=Cubed()).fit(X_train, y_train)
    with pytest.raises(OnnxAlgebraError, match="inverse of its transformer Cubed is not converted"):
        to_onnx(ttr, X_train[:1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scaler", [MinMaxScaler(), MinMaxScaler(feature_range=(-2, 3)), MaxAbsScaler()], ids=str)
def test_transformed_target_regressor_with_other_scalers(scaler, dtype):
    X_train, X_test, y_train, _ = positive()
    check(TransformedTargetRegressor(LinearRegression(), transformer=scaler).fit(X_train, y_train), X_test, dtype)


# --- the audit of issue 12: numpy code, input types, what cannot be traced ---


def slices_and_where(X):
    """Slicing with steps and negative indices, np.where, a reduction and a concatenation."""
    reversed_tail = X[:, ::-1][:, 1:] - X[:, -1:]
    flag = np.where(X[:, :1] > X[:, 1:2], X[:, :1], -X[:, 1:2])
    return np.concatenate([reversed_tail, flag, X.sum(axis=1, keepdims=True) / 3.0], axis=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "func",
    [lambda X: np.hstack([X, X[:, :1] ** 2]), slices_and_where, lambda X: np.log1p(np.abs(X - X.mean(axis=0)))],
    ids=["hstack-square", "slices-where", "centred-log1p"],
)
@pytest.mark.parametrize("validate", [False, True])
def test_function_transformer_numpy_code(func, validate, dtype):
    X_train, X_test, _, _ = positive()
    check(FunctionTransformer(func, validate=validate).fit(X_train), X_test, dtype)


def test_function_transformer_integer_input():
    # numpy's rules: log1p of int64 is float64, slicing and products stay int64
    rng = np.random.default_rng(7)
    X = rng.integers(0, 50, size=(30, 3))
    for func, kind in ((np.log1p, "f"), (lambda X: X[:, ::-1] * 2 - X[:, :1], "i")):
        est = FunctionTransformer(func).fit(X)
        (got,) = run_onnx(to_onnx(est, X[:1]), {"X": X})
        expected = est.transform(X)
        assert got.dtype == expected.dtype and expected.dtype.kind == kind
        np.testing.assert_allclose(got, expected, rtol=TOLERANCE[np.float64])


def test_function_transformer_boolean_output():
    X_train, X_test, _, _ = positive()
    est = FunctionTransformer(lambda X: (X > 2.0) & (X < 40.0)).fit(X_train)
    for dtype in DTYPES:
        X = X_test.astype(dtype)
        (got,) = run_onnx(to_onnx(est, X[:1]), {"X": X})
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, est.transform(X))


def test_function_transformer_strings():
    # without func, or with validate=False: strings pass through; validate=True parses an object array of numbers
    # (scikit-learn's check_array makes float64 of it; the model computes in float32)
    words = np.array([["a", "bb"], ["", "c"]], dtype=object)
    for est in (FunctionTransformer(None), FunctionTransformer(lambda X: X[:, ::-1], validate=False)):
        est.fit(words)
        (got,) = run_onnx(to_onnx(est, words[:1]), {"X": words})
        np.testing.assert_array_equal(got, est.transform(words))
    X_train, X_test, _, _ = positive()
    est = FunctionTransformer(np.log1p, validate=True).fit(X_train)
    held_out = X_test.astype(object)
    (got,) = run_onnx(to_onnx(est, held_out[:1]), {"X": held_out})
    expected = est.transform(held_out)
    assert expected.dtype == np.float64 and got.dtype == np.float32
    assert np.abs(got - expected).max() / np.abs(expected).max() <= TOLERANCE[np.float32]


def test_a_function_of_unsupported_numpy_names_itself():
    X_train, _, _, _ = positive()

    def uses_fft(X):
        return np.abs(np.fft.fft(X, axis=1))

    with pytest.raises(OnnxAlgebraError, match=r"func=.*uses_fft cannot be traced.*fft"):
        to_onnx(FunctionTransformer(uses_fft).fit(X_train), X_train[:1])

    def reads_a_value(X):
        return X * float(X[0, 0])

    with pytest.raises(OnnxAlgebraError, match="reads_a_value cannot be traced"):
        to_onnx(FunctionTransformer(reads_a_value).fit(X_train), X_train[:1])
    ttr = TransformedTargetRegressor(
        LinearRegression(), func=np.log, inverse_func=lambda y: np.asarray(y) * 2, check_inverse=False
    )
    with pytest.raises(OnnxAlgebraError, match=r"TransformedTargetRegressor: inverse_func=.*<lambda> cannot be traced"):
        to_onnx(ttr.fit(X_train, X_train[:, 0]), X_train[:1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformed_target_regressor_with_a_function_transformer(dtype):
    X_train, X_test, y_train, _ = positive()
    for transformer in (
        FunctionTransformer(np.log, np.exp),
        FunctionTransformer(lambda y: np.sqrt(y) - 1.0, lambda y: (y + 1.0) ** 2, check_inverse=False),
    ):
        ttr = TransformedTargetRegressor(Ridge(alpha=0.1), transformer=transformer).fit(X_train, y_train)
        check(ttr, X_test, dtype)
