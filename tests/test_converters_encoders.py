"""OneHotEncoder, OrdinalEncoder, TargetEncoder and LabelBinarizer against scikit-learn on held-out data.

String inputs are object arrays given to ``to_onnx`` as they are (a string
tensor; onnxruntime feeds ``str`` of each element); held-out rows hold
categories never seen in training, and NaN where the encoder accepts it.
"""

import warnings
from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import TOLERANCE, check, float_types, needs_sklearn, run_onnx
from onnxalgebra_converters.scikit_learn.encoders import lookup
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, OneHotEncoder, OrdinalEncoder, TargetEncoder

from onnxalgebra import OnnxAlgebraError, Var, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

DTYPES = [np.float32, np.float64]
WORST: dict[str, float] = {}  # the largest relative difference met, by estimator and dtype (printed with -s)


def _as_strings(values):
    return np.vectorize(str, otypes=[object])(values)


def check_transform(est, X, dtype=None, expected=None, tolerance=None):
    """Convert ``est`` with ``X[:1]`` as the sample (``X`` cast to ``dtype`` first when given), run it on ``X`` and
    compare with ``est.transform(X)`` (or ``expected``): strings, booleans and integers equal, floats within the
    tolerance relative to the output's scale with NaN where scikit-learn has NaN, in the computation dtype with no
    other float type in the graph. Returns the relative difference (0 for exact types)."""
    if dtype is not None:
        X = X.astype(dtype)
    model = to_onnx(est, X[:1])
    (got,) = run_onnx(model, {"X": X})
    if expected is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = est.transform(X)
        if NUMPY1 and X.dtype == np.float32:
            try:
                return _compare_transform(est, X, model, got, expected, tolerance)
            except AssertionError:  # numpy 1's defect when scikit-learn's answer for the same numbers in float64 holds
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    widened = est.transform(X.astype(np.float64))
                _compare_transform(est, X, model, got, widened, tolerance)
                pytest.xfail(NUMPY1_DEFECT)
    return _compare_transform(est, X, model, got, expected, tolerance)


def _compare_transform(est, X, model, got, expected, tolerance):
    expected = expected.toarray() if hasattr(expected, "toarray") else np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if expected.dtype.kind == "O":
        np.testing.assert_array_equal(got, _as_strings(expected))
        return 0.0
    if expected.dtype.kind in "biu":
        assert got.dtype.kind == expected.dtype.kind, (got.dtype, expected.dtype)
        np.testing.assert_array_equal(got, expected)
        return 0.0
    computation = X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)
    assert got.dtype == computation, (got.dtype, computation)
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(computation)}, "a hidden cast"
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    scale = max(np.abs(expected[finite]).max(initial=0.0), np.finfo(computation).tiny)
    diff = float(np.abs(got[finite] - expected[finite]).max(initial=0.0) / scale)
    assert diff <= (tolerance or TOLERANCE[computation.type]), diff
    key = f"{type(est).__name__} {computation.name}"
    WORST[key] = max(WORST.get(key, 0.0), diff)
    print(key, diff)
    return diff


def _dense(values):
    return values.toarray() if hasattr(values, "toarray") else np.asarray(values)


NUMPY1 = int(np.__version__.split(".")[0]) < 2
NUMPY1_DEFECT = (
    "numpy 1: scikit-learn's transform of float32 rows differs from its transform of the same numbers in float64 "
    "(np.isin casts a float64 category such as 0.1 to float32 and calls float32(0.1) known, then searchsorted in "
    "float64 encodes it as the next category, 1e6); the model matched the float64 answer, as under numpy 2"
)


# --- data: held-out rows the encoders never saw, with unseen categories ---


@cache
def strings():
    """Three string columns of skewed frequencies (one binary); held-out rows with unseen categories."""
    rng = np.random.default_rng(0)
    train = np.stack(
        [
            rng.choice(["red", "green", "blue", "grey", "pink"], 300, p=[0.4, 0.3, 0.2, 0.07, 0.03]),
            rng.choice(["yes", "no"], 300, p=[0.8, 0.2]),
            rng.choice(list("abcdefgh"), 300, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.03, 0.02]),
        ],
        axis=1,
    ).astype(object)
    test = np.stack(
        [
            rng.choice(["red", "green", "blue", "grey", "pink", "mauve"], 80),
            rng.choice(["yes", "no", "maybe"], 80),
            rng.choice([*"abcdefgh", "zz", ""], 80),
        ],
        axis=1,
    ).astype(object)
    return train, test


@cache
def numbers():
    """Two float columns of integral categories and NaN, one of non-integral values; held-out rows with unseen
    values (7, 2.5, -1, 0.3), NaN and -0.0 (equal to the category 0.0)."""
    rng = np.random.default_rng(1)
    train = np.stack(
        [
            rng.choice([0.0, 1.0, 2.0, 3.0, 4.0, np.nan], 300, p=[0.3, 0.25, 0.2, 0.1, 0.05, 0.1]),
            rng.choice([10.0, 20.0, 30.0], 300),
            rng.choice([-0.5, 0.1, 0.0, 1e6], 300, p=[0.5, 0.3, 0.15, 0.05]),
        ],
        axis=1,
    )
    test = np.stack(
        [
            rng.choice([0.0, 1.0, 2.0, 3.0, 4.0, np.nan, 7.0, 2.5], 80),
            rng.choice([10.0, 20.0, 30.0, -1.0, np.nan], 80),
            rng.choice([-0.5, 0.1, 0.25, 1e6, 0.3, -0.0], 80),
        ],
        axis=1,
    )
    return train, test


@cache
def integers():
    rng = np.random.default_rng(2)
    train = rng.choice([-3, 0, 5, 12, 40], size=(300, 2), p=[0.05, 0.3, 0.3, 0.3, 0.05])
    test = rng.choice([-3, 0, 5, 12, 40, 7, 1000], size=(80, 2))
    return train, test


ONE_HOT = {
    "ignore": {"handle_unknown": "ignore"},
    "sparse": {"handle_unknown": "ignore", "sparse_output": True},
    "min_frequency": {"handle_unknown": "infrequent_if_exist", "min_frequency": 20},
    "min_frequency-ignore": {"handle_unknown": "ignore", "min_frequency": 0.1},
    "max_categories": {"handle_unknown": "infrequent_if_exist", "max_categories": 3},
    "max_categories-1": {"handle_unknown": "infrequent_if_exist", "max_categories": 1},
    "drop-first": {"handle_unknown": "ignore", "drop": "first"},
    "drop-if_binary": {"handle_unknown": "ignore", "drop": "if_binary"},
    "drop-infrequent": {"handle_unknown": "infrequent_if_exist", "min_frequency": 25, "drop": "first"},
    "warn": {"handle_unknown": "warn", "min_frequency": 20},
}
WARN = needs_sklearn("1.6", "OneHotEncoder(handle_unknown='warn')")


@pytest.mark.parametrize("params", [pytest.param(p, marks=WARN) if p == "warn" else p for p in ONE_HOT])
def test_one_hot_encoder_strings(params):
    train, test = strings()
    est = OneHotEncoder(sparse_output=False).set_params(**ONE_HOT[params]).fit(train)
    check_transform(est, test)


def test_one_hot_encoder_strings_explicit_drop():
    train, test = strings()
    est = OneHotEncoder(drop=["green", "yes", "c"], handle_unknown="ignore", sparse_output=False).fit(train)
    check_transform(est, test)


def test_one_hot_encoder_unknown_with_error():
    # scikit-learn raises on an unknown category; the model gives the feature a row of zeros, as 'ignore'
    train, test = strings()
    est = OneHotEncoder(sparse_output=False).fit(train)
    known = test[np.isin(test, train).all(axis=1)]
    check_transform(est, known)
    ignoring = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(train)
    check_transform(est, test, expected=ignoring.transform(test))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", ["ignore", "min_frequency", "max_categories", "drop-first", "drop-infrequent"])
def test_one_hot_encoder_numbers(params, dtype):
    # NaN is a category of the first column (the last one); -0.0 meets 0.0; 0.1 is no float32 number: a float32
    # input never equals it (scikit-learn compares in float64)
    train, test = numbers()
    est = OneHotEncoder(sparse_output=False).set_params(**ONE_HOT[params]).fit(train)
    check_transform(est, test, dtype)


def test_one_hot_encoder_float32_categories():
    train, test = numbers()
    est = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(train.astype(np.float32))
    check_transform(est, test, np.float32)
    check_transform(est, test, np.float64)  # a float32 category meets float64 values equal to it


def test_one_hot_encoder_integers():
    train, test = integers()
    est = OneHotEncoder(sparse_output=False, handle_unknown="infrequent_if_exist", min_frequency=30).fit(train)
    check_transform(est, test)  # int64 in, float32 out
    check_transform(est, test.astype(np.int32))
    check_transform(est, test, np.float64)


def test_one_hot_encoder_graph():
    # one LabelEncoder per column, then one Equal and one Cast for all
    train, test = strings()
    est = OneHotEncoder(handle_unknown="ignore").fit(train)
    ops = [n.op_type for n in to_onnx(est, test[:1]).graph.node]
    assert ops.count("LabelEncoder") == 3 and ops.count("Equal") == 1 and ops.count("Cast") == 1, ops
    assert ops.count("Split") == 1 and len(ops) <= 10, ops



@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", ["ignore", "drop-first", "drop-if_binary", "sparse"])
def test_one_hot_encoder_numbers_without_lookup(params, dtype):
    # numeric categories, none NaN, no infrequent group: the input compared with the categories directly (no
    # LabelEncoder); -0.0 meets 0.0, 0.1 is no float32 number, NaN and 2.5 are unknown
    train, test = numbers()
    est = OneHotEncoder(sparse_output=False).set_params(**ONE_HOT[params]).fit(train[:, 1:])
    held_out = test[:, 1:].copy()
    held_out[:5, 1] = [0.1, -0.0, 0.0, np.nan, 2.5]
    check_transform(est, held_out, dtype)
    ops = [n.op_type for n in to_onnx(est, held_out[:1].astype(dtype)).graph.node]
    assert ops == ["ArrayFeatureExtractor", "Equal", "Cast"], ops


def test_one_hot_encoder_dataframe_numbers_without_lookup():
    pd = pytest.importorskip("pandas")
    train, test = integers()
    frame = pd.DataFrame({"a": train[:, 0], "b": train[:, 1]})
    held_out = pd.DataFrame({"a": test[:, 0], "b": test[:, 1]})
    est = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(frame)
    model = to_onnx(est, frame.head())
    assert [n.op_type for n in model.graph.node] == ["Concat", "ArrayFeatureExtractor", "Equal", "Cast"]
    (got,) = run_onnx(model, {c: held_out[[c]].to_numpy() for c in held_out.columns})
    np.testing.assert_array_equal(got, est.transform(held_out))
    mixed = pd.DataFrame({"a": train[:, 0], "b": train[:, 1].astype(np.float64)})  # int64 and float64: lookups
    est = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(mixed)
    model = to_onnx(est, mixed.head())
    assert "LabelEncoder" in [n.op_type for n in model.graph.node]
    feeds = {"a": held_out[["a"]].to_numpy(), "b": held_out[["b"]].to_numpy().astype(np.float64)}
    (got,) = run_onnx(model, feeds)
    np.testing.assert_array_equal(got, est.transform(pd.DataFrame({"a": test[:, 0], "b": test[:, 1].astype(float)})))
    big = pd.DataFrame({"id": np.array([2**24, 2**24 + 1, 2**53 + 2], dtype=np.int64), "x": [0.5, 1.5, 2.5]})
    est = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(big)  # int64 ids stay int64 (float32 merges them)
    (got,) = run_onnx(to_onnx(est, big), {c: big[[c]].to_numpy() for c in big.columns})
    np.testing.assert_array_equal(got, est.transform(big))

ORDINAL = {
    "default": {},
    "unknown=-1": {"handle_unknown": "use_encoded_value", "unknown_value": -1},
    "unknown=nan": {"handle_unknown": "use_encoded_value", "unknown_value": np.nan},
    "missing=-2": {"handle_unknown": "use_encoded_value", "unknown_value": -1, "encoded_missing_value": -2},
    "min_frequency": {"handle_unknown": "use_encoded_value", "unknown_value": 99, "min_frequency": 20},
    "max_categories": {"handle_unknown": "use_encoded_value", "unknown_value": -1, "max_categories": 3},
}


@pytest.mark.parametrize("params", list(ORDINAL))
def test_ordinal_encoder_strings(params):
    train, test = strings()
    est = OrdinalEncoder(**ORDINAL[params]).fit(train)
    if params == "default":  # unknown categories: scikit-learn raises, the model gives NaN
        test = test[np.isin(test, train).all(axis=1)]
    check_transform(est, test)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", list(ORDINAL))
def test_ordinal_encoder_numbers(params, dtype):
    train, test = numbers()
    est = OrdinalEncoder(**ORDINAL[params]).fit(train)
    if params == "default":  # the rows of categories seen in training (in the input's dtype)
        values = test.astype(dtype).astype(np.float64)
        seen = [np.isin(v, c) | (np.isnan(v) & np.isnan(c).any()) for v, c in zip(values.T, est.categories_)]
        test = test[np.all(seen, axis=0)]
    check_transform(est, test, dtype)


def test_ordinal_encoder_unknown_with_error_gives_nan():
    train, test = strings()
    est = OrdinalEncoder().fit(train)
    nan_for_unknown = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan).fit(train)
    check_transform(est, test, expected=nan_for_unknown.transform(test))


def test_ordinal_encoder_missing_strings():
    # an object column with None and NaN: onnxruntime feeds them as 'None' and 'nan'; NaN is the missing category
    # (encoded_missing_value), None an ordinary one
    rng = np.random.default_rng(3)
    train = rng.choice(np.array(["a", "b", None, np.nan], dtype=object), size=(200, 2))
    test = rng.choice(np.array(["a", "b", None, np.nan, "c"], dtype=object), size=(60, 2))
    for params in ({"encoded_missing_value": -5}, {"encoded_missing_value": -5, "min_frequency": 60}):
        est = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, **params).fit(train)
        check_transform(est, test)
    est = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train)
    check_transform(est, test)


def test_ordinal_encoder_integers():
    train, test = integers()
    est = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, max_categories=4).fit(train)
    check_transform(est, test)
    check_transform(est, test, np.float64)


MULTICLASS = needs_sklearn("1.4", "TargetEncoder with a multiclass target")
TARGETS = ["binary", pytest.param("multiclass", marks=MULTICLASS), "continuous"]


def _target(kind, X):
    rng = np.random.default_rng(4)
    codes = np.nan_to_num(OrdinalEncoder().fit_transform(X)[:, 0], nan=5.0)
    if kind == "continuous":
        return codes * 1.5 + rng.normal(size=len(codes))
    if kind == "binary":
        return np.where(codes + rng.normal(size=len(codes)) > 1.5, "spam", "ham")
    return (codes.astype(int) + rng.integers(0, 2, len(codes))) % 3


@pytest.mark.parametrize("kind", TARGETS)
def test_target_encoder_strings(kind):
    train, test = strings()
    est = TargetEncoder().fit(train, _target(kind, train))
    assert est.target_type_ == kind
    check_transform(est, test)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", TARGETS)
def test_target_encoder_numbers(kind, dtype):
    train, test = numbers()
    est = TargetEncoder(smooth=5.0).fit(train, _target(kind, train))
    check_transform(est, test, dtype)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([7, 3, 3, 12, -4, 7]),
        np.array(["spam", "eggs", "ham", "eggs"]),
        np.array(["no", "yes", "yes"]),
        np.array([1, 0, 0, 1]),
        np.array([5, 5]),
        np.array([2.0, 1.0, 3.0]),
    ],
)
@pytest.mark.parametrize("neg_pos", [(0, 1), (-1, 1), (-3, 0), (2, 5)])
def test_label_binarizer(labels, neg_pos):
    lb = LabelBinarizer(neg_label=neg_pos[0], pos_label=neg_pos[1]).fit(labels)
    held_out = np.concatenate([labels[::-1], labels[:1]])
    model = to_onnx(lb, labels[:1])
    (got,) = run_onnx(model, {"X": held_out})
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, lb.transform(held_out))


def test_label_binarizer_unseen_labels():
    # multiclass: an unseen label is a row of neg_label, as scikit-learn
    lb = LabelBinarizer(neg_label=-1).fit(np.array(["a", "b", "c", "d"]))
    y = np.array(["d", "zz", "a", "", "c"])
    (got,) = run_onnx(to_onnx(lb, y[:1]), {"X": y})
    np.testing.assert_array_equal(got, lb.transform(y))


LOOKUPS = [  # (input, output): every LabelEncoder form the converters build (onnxruntime has no float <-> double one)
    *[(key, out) for key in ("str", "int64") for out in ("int64", "float32", "float64", "str")],
    *[(key, out) for key in ("float32", "float64") for out in ("int64", key, "str")],
]


@pytest.mark.parametrize(("key", "out"), LOOKUPS)
def test_lookup_every_key_and_value_type(key, out):
    x = {"str": np.array(["b", "a", "zz"], dtype=object), "int64": np.array([2, 1, 9])}.get(key)
    keys = {"str": ["a", "b"], "int64": [1, 2]}.get(key)
    if x is None:  # floats: NaN is a key too
        x = np.array([2.0, 1.0, np.nan, 7.0], dtype=key)
        keys = [np.dtype(key).type(v) for v in (1.0, 2.0, np.nan)]
    values = np.array([10, 20, 30][: len(keys)]).astype(object if out == "str" else out)
    default = "none" if out == "str" else 0
    (got,) = run_onnx(to_onnx(lookup(Var("X", x.dtype, [None]), keys, values, default), {"X": x}), {"X": x})
    expected = [20, 10, default] if len(x) == 3 else [20, 10, 30, default]  # the last value is no key
    if out == "str":
        np.testing.assert_array_equal(got, np.array([str(v) for v in expected], dtype=object))
    else:
        assert got.dtype == np.dtype(out)
        np.testing.assert_array_equal(got, np.array(expected, dtype=out))


# --- object arrays inside pipelines ---


def test_object_array_pipeline():
    # to_onnx(pipe, X_sample) with X_sample a numpy object array of strings: a string input, float32 after encoding
    train, test = strings()
    y = _target("binary", train)
    pipe = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression()).fit(train, y)
    model = to_onnx(pipe, test[:1])
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.STRING
    label, proba = run_onnx(model, {"X": test})
    np.testing.assert_array_equal(label, pipe.predict(test))
    expected = pipe.predict_proba(test)
    assert proba.dtype == np.float32 and np.abs(proba - expected).max() <= TOLERANCE[np.float32]


def test_object_array_column_transformer():
    train, test = strings()
    ct = ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20), [0, 2]),
            ("ordinal", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), [1]),
            ("target", TargetEncoder(), [2]),
        ]
    ).fit(train, _target("continuous", train))
    check_transform(ct, test)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numeric_pipeline(dtype):
    train, test = numbers()
    y = _target("binary", train)
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=4)
    pipe = make_pipeline(encoder, LogisticRegression()).fit(train, y)
    check(pipe, test, dtype)


def test_unicode_array_sample():
    # a numpy unicode array (not object) as the sample and the feed
    train, test = strings()
    est = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train.astype(str))
    check_transform(est, test.astype(str))


# --- the audit of issue 12: sparse and dense output, drop, explicit categories, dtype, missing categories ---


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", ["sparse", "drop-first", "min_frequency"])
def test_one_hot_encoder_sparse_numbers(params, dtype):
    # sparse_output=True: scikit-learn gives a sparse matrix, the model the dense one (compared with toarray)
    train, test = numbers()
    est = OneHotEncoder().set_params(**{**ONE_HOT[params], "sparse_output": True}).fit(train)
    assert hasattr(est.transform(test), "toarray")
    check_transform(est, test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_hot_encoder_numbers_explicit_drop_and_if_binary(dtype):
    train, test = numbers()
    est = OneHotEncoder(drop=[3.0, 20.0, 0.1], handle_unknown="ignore", sparse_output=False).fit(train)
    check_transform(est, test, dtype)
    est = OneHotEncoder(drop=[np.nan, 10.0, -0.5], handle_unknown="ignore", sparse_output=False).fit(train)
    check_transform(est, test, dtype)  # the NaN category dropped: NaN gives a row of zeros
    binary = np.column_stack([train[:, 1], (train[:, 2] > 0).astype(float)])
    held_out = np.column_stack([test[:, 1], (test[:, 2] > 0).astype(float)])
    est = OneHotEncoder(drop="if_binary", handle_unknown="ignore", sparse_output=False).fit(binary)
    assert [len(c) for c in est.categories_] == [3, 2] and est.transform(binary).shape[1] == 4
    check_transform(est, held_out, dtype)


@pytest.mark.parametrize("dropped", [None, np.nan, "b"])
def test_one_hot_encoder_drop_a_missing_category(dropped):
    # None and np.nan are categories of an object column (last in categories_); either can be the dropped one
    rng = np.random.default_rng(5)
    train = rng.choice(np.array(["a", "b", None, np.nan], dtype=object), size=(100, 1))
    test = rng.choice(np.array(["a", "b", None, np.nan, "c"], dtype=object), size=(40, 1))
    est = OneHotEncoder(drop=[dropped], handle_unknown="ignore", sparse_output=False).fit(train)
    check_transform(est, test)


def test_one_hot_encoder_explicit_categories_never_seen_in_training():
    # categories given to the encoder: some never occur in training (their columns are all zeros there), held-out
    # rows do hold them
    train, test = strings()
    cats = [["blue", "green", "mauve", "red"], ["maybe", "no", "yes"], [*"abcdefgh", "zz"]]
    est = OneHotEncoder(categories=cats, handle_unknown="ignore", sparse_output=False).fit(train)
    assert est.transform(train)[:, 2].sum() == 0 and est.transform(test)[:, 2].sum() > 0
    check_transform(est, test)
    ordinal = OrdinalEncoder(categories=cats, handle_unknown="use_encoded_value", unknown_value=-1).fit(train)
    check_transform(ordinal, test)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numeric_explicit_categories_never_seen_in_training(dtype):
    train, test = numbers()
    cats = [[0.0, 1.0, 2.0, 2.5, 7.0, np.nan], [-1.0, 10.0, 20.0, 30.0], [-0.5, 0.0, 0.1, 0.3, 1e6]]
    est = OneHotEncoder(categories=cats, handle_unknown="ignore", sparse_output=False).fit(train)
    check_transform(est, test, dtype)
    ordinal = OrdinalEncoder(categories=cats, handle_unknown="use_encoded_value", unknown_value=-1).fit(train)
    check_transform(ordinal, test, dtype)


def test_one_hot_encoder_int_and_bool_inputs():
    train, test = integers()
    for params in ("ignore", "drop-first", "max_categories", "sparse"):
        est = OneHotEncoder(sparse_output=False).set_params(**ONE_HOT[params]).fit(train)
        check_transform(est, test)
    flags = train > 4
    est = OneHotEncoder(drop="if_binary", sparse_output=False).fit(flags)
    check_transform(est, test > 10)


ENCODER_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]


@pytest.mark.parametrize("encoder_dtype", ENCODER_DTYPES, ids=lambda d: np.dtype(d).name)
def test_encoder_dtype_gives_the_same_values_in_the_computation_dtype(encoder_dtype):
    # OneHotEncoder(dtype=...) and OrdinalEncoder(dtype=...): the same values as scikit-learn's, in the
    # computation dtype (float32 for strings and integers, X's float dtype otherwise), so that the next step of a
    # pipeline (a linear model, a ColumnTransformer's Concat) receives floats, as the module documents
    train, test = strings()
    encoders = [OneHotEncoder(dtype=encoder_dtype, handle_unknown="ignore", min_frequency=20)]
    if encoder_dtype != np.bool_:
        encoders.append(OrdinalEncoder(dtype=encoder_dtype, handle_unknown="use_encoded_value", unknown_value=9))
    for est in encoders:
        est.fit(train)
        expected = est.transform(test)
        expected = expected.toarray() if hasattr(expected, "toarray") else expected
        assert expected.dtype == encoder_dtype
        check_transform(est, test, expected=expected.astype(np.float32))
        numeric = OneHotEncoder(dtype=encoder_dtype, handle_unknown="ignore", sparse_output=False).fit(numbers()[0])
        check_transform(numeric, numbers()[1], np.float64, expected=numeric.transform(numbers()[1]).astype(np.float64))


def test_one_hot_encoder_integer_dtype_in_a_pipeline():
    train, test = strings()
    y = _target("binary", train)
    pipe = make_pipeline(OneHotEncoder(dtype=np.int64, handle_unknown="ignore"), LogisticRegression()).fit(train, y)
    label, proba = run_onnx(to_onnx(pipe, test[:1]), {"X": test})
    np.testing.assert_array_equal(label, pipe.predict(test))
    assert np.abs(proba - pipe.predict_proba(test)).max() <= TOLERANCE[np.float32]


@pytest.mark.parametrize("kind", TARGETS)
def test_target_encoder_integer_input(kind):
    train, test = integers()
    est = TargetEncoder().fit(train, _target(kind, train.astype(str).astype(object)))
    check_transform(est, test)
    check_transform(est, test, np.float64)


@pytest.mark.parametrize(
    ("labels", "held_out"),
    [
        (np.array(["no", "yes", "no"]), np.array(["yes", "zz", "zz", "yes"])),  # binary: two values seen by transform
        (np.array([3, 8, 8]), np.array([8, 5, 8])),
        (np.array([True, False, True]), np.array([False, True, True])),
        (np.array(["a"]), np.array(["a", "zz", "a"])),  # one class
    ],
)
def test_label_binarizer_binary_unseen_and_bool_labels(labels, held_out):
    for params in ({}, {"neg_label": -2, "pos_label": 4}, {"sparse_output": True}):
        lb = LabelBinarizer(**params).fit(labels)
        (got,) = run_onnx(to_onnx(lb, labels[:1]), {"X": held_out})
        expected = lb.transform(held_out)
        np.testing.assert_array_equal(got, expected.toarray() if hasattr(expected, "toarray") else expected)


def test_label_binarizer_multiclass_unseen_numbers():
    lb = LabelBinarizer(neg_label=-1, pos_label=2).fit(np.array([1.0, 2.0, 5.0, 9.0]))
    y = np.array([9.0, 3.0, 1.0, -7.0, 5.0])
    (got,) = run_onnx(to_onnx(lb, y[:1]), {"X": y})
    np.testing.assert_array_equal(got, lb.transform(y))


# --- one encoder over DataFrame columns of different types ---


def mixed_frame(n, seed):
    """A string, an integer and a float column of categories; the held-out rows have unseen values of each."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    extra = ["zz"] if seed else []
    return pd.DataFrame(
        {
            "city": rng.choice(np.array(["paris", "lyon", "nice", *extra], dtype=object), n),
            "rooms": rng.choice([1, 2, 3, 4 + 3 * bool(seed)], n).astype(np.int64),
            "grade": rng.choice([0.5, 1.5, 2.5 + bool(seed)], n),
            "price": rng.normal(size=n),
        }
    )


MIXED = {
    "one-hot": lambda: OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    "one-hot-drop": lambda: OneHotEncoder(handle_unknown="ignore", drop="first"),
    "ordinal": lambda: OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
    "target": lambda: TargetEncoder(random_state=0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("encoder", list(MIXED))
def test_encoder_over_mixed_type_dataframe_columns(encoder, dtype):
    # scikit-learn encodes each feature alone: a string, an int64 and a float64 column in one encoder convert,
    # each read from its own graph input in its own type
    from converter_checks import check_frame

    train, test = mixed_frame(200, 0), mixed_frame(60, 1)
    y = (train["price"] > 0).to_numpy().astype(int)
    ct = ColumnTransformer([("encode", MIXED[encoder](), ["city", "rooms", "grade"])], remainder="passthrough")
    pipe = make_pipeline(ct, LogisticRegression()).fit(train, y)
    model = check_frame(pipe, test, dtype)
    kinds = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    assert kinds["city"] == onnx.TensorProto.STRING and kinds["rooms"] == onnx.TensorProto.INT64
    check_frame(ct.fit(train, y), test, dtype)


def test_one_hot_encoder_for_ai_onnx_ml_3():
    # below ai.onnx.ml 4 the lookups are LabelEncoder 2 (list attributes); float64 keys need 4: a clear error
    train, test = mixed_frame(200, 0), mixed_frame(60, 1)
    ct = ColumnTransformer([("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["city", "rooms"])]).fit(
        train
    )
    model = to_onnx(ct, train.head(), target_opset={"": 15, "ai.onnx.ml": 3}, dtype=np.float32)
    assert {o.domain: o.version for o in model.opset_import}["ai.onnx.ml"] <= 3
    from onnxalgebra import dataframe_feeds

    (got,) = run_onnx(model, dataframe_feeds(model, test))
    np.testing.assert_array_equal(got, ct.transform(test))
    with pytest.raises(OnnxAlgebraError, match=r"needs LabelEncoder 4 \(ai.onnx.ml 4.*allow ai.onnx.ml 4 or convert in float32"):
        to_onnx(OneHotEncoder().fit(numbers()[0]), numbers()[0][:1], target_opset={"": 15, "ai.onnx.ml": 3})
