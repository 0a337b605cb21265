"""Preprocessing, naive Bayes and calibration converters against scikit-learn on held-out data."""

from functools import cache

import numpy as np
import onnx
import pytest
from converter_checks import (
    SKLEARN,
    TOLERANCE,
    binary,
    check,
    float_types,
    iris_names,
    multiclass,
    needs_sklearn,
    run_onnx,
)
from onnxalgebra_converters.scikit_learn.calibration import isotonic_calibration, isotonic_columns
from onnxalgebra_converters.scikit_learn.preprocessing import columnwise_affine
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB
from sklearn.preprocessing import (
    Binarizer,
    LabelEncoder,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PolynomialFeatures,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    SplineTransformer,
    StandardScaler,
)
from sklearn.svm import LinearSVC

from onnxalgebra import OnnxAlgebraError, Var, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore", category=ConvergenceWarning)

# --- data: a held-out part the models never see ---

DTYPES = [np.float32, np.float64]


@cache
def digits(labels="int"):
    X, y = load_digits(return_X_y=True)
    y = np.array(list("abcdefghij"))[y] if labels == "str" else y
    return train_test_split(X / 16, y, random_state=0)


@cache
def scales():
    """Columns of very different offsets and spreads, one constant."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)) * [1.0, 10.0, 0.01, 1000.0, 0.0] + [0.0, -50.0, 3.0, 1e4, 7.0]
    return X[:150], X[150:]


CLASSIFICATION = {"binary": binary, "multiclass": multiclass, "strings": iris_names}


def fitted(est, data):
    X_train, X_test, y_train, _ = data()
    return est.fit(X_train, y_train), X_test


def op_types(est, X, dtype):
    """The operators of ``est``'s graph for ``dtype``, in order."""
    return [node.op_type for node in to_onnx(est, X[:1].astype(dtype)).graph.node]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threshold", [0.0, 0.7, -0.5])
def test_binarizer(threshold, dtype):
    X_train, X_test, _, _ = binary()
    check(Binarizer(threshold=threshold).fit(X_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_std", [True, False])
@pytest.mark.parametrize("with_mean", [True, False])
def test_standard_scaler(with_mean, with_std, dtype):
    X_train, X_test = scales()
    check(StandardScaler(with_mean=with_mean, with_std=with_std).fit(X_train), X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"with_centering": False},
        {"with_scaling": False},
        {"with_centering": False, "with_scaling": False},
        {"quantile_range": (10.0, 90.0), "unit_variance": True},
    ],
)
def test_robust_scaler(params, dtype):
    X_train, X_test = scales()
    check(RobustScaler(**params).fit(X_train), X_test, dtype)


@pytest.mark.parametrize("threshold", [0.1, np.float64(0.1), np.float32(0.1), 0.7, np.float64(0.7), 3, np.int64(16777217)])
def test_binarizer_threshold_at_float32_rounding(threshold):
    # float32 values around the threshold: scikit-learn compares in float32 with a Python number, in float64 with a
    # float64 (or int64) threshold (numpy's promotion); Binarizer's float32 threshold must give the same result
    t32 = np.float32(threshold)
    near = [np.nextafter(t32, np.float32(-np.inf)), t32, np.nextafter(t32, np.float32(np.inf))]
    X = np.array([near, near[::-1]], dtype=np.float32)
    est = Binarizer(threshold=threshold).fit(X)
    assert op_types(est, X, np.float32) == ["Binarizer"]
    check(est, X, np.float32)
    check(est, X, np.float64)


def test_preprocessing_graphs():
    X_train, _ = scales()  # 5 columns
    wide = np.hstack([X_train, X_train, X_train])  # 15 columns
    for est in (StandardScaler(), RobustScaler(), StandardScaler(with_mean=False), RobustScaler(with_scaling=False)):
        # float32: one ai.onnx.ml Scaler; float64: Sub and Div only (check() asserts no float32 anywhere)
        assert op_types(est.fit(X_train), X_train, np.float32) == ["Scaler"]
        assert set(op_types(est, X_train, np.float64)) <= {"Sub", "Div"}
        # wider than ML_NODE_MAX_COLUMNS: Scaler loops value by value, Sub and Div are vectorised
        assert set(op_types(est.fit(wide), wide, np.float32)) <= {"Sub", "Div"}
    assert op_types(StandardScaler(with_mean=False, with_std=False).fit(X_train), X_train, np.float32) == ["Identity"]
    assert op_types(Binarizer().fit(X_train), X_train, np.float32) == ["Binarizer"]
    assert op_types(Binarizer().fit(X_train), X_train, np.float64) == ["Greater", "Cast"]
    assert op_types(Binarizer().fit(wide), wide, np.float32) == ["Greater", "Cast"]


@pytest.mark.parametrize(
    "labels",
    [
        np.array([7, 3, 3, 12, -4, 7]),
        np.array(["spam", "eggs", "ham", "eggs"]),
        np.array([0.5, -1.25, 0.5, 3.0]),
    ],
)
def test_label_encoder(labels):
    le = LabelEncoder().fit(labels)
    held_out = labels[::-1].copy()
    model = to_onnx(le, labels[:1])
    assert [o.name for o in model.graph.output] == ["variable"]
    (got,) = run_onnx(model, {"X": held_out})
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, le.transform(held_out))


def test_label_encoder_int32_input():
    le = LabelEncoder().fit(np.array([5, 1, 9]))
    y = np.array([9, 9, 1, 5], dtype=np.int32)
    (got,) = run_onnx(to_onnx(le, y[:1]), {"X": y})
    np.testing.assert_array_equal(got, le.transform(y))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("data", "binarize"),
    [("int", 0.5), ("str", 0.3), ("binary", 0.0), ("binary", 1.0), ("binarized", None)],
)
def test_bernoulli_nb(data, binarize, dtype):
    if data == "binary":
        X_train, X_test, y_train, _ = binary()
    else:
        X_train, X_test, y_train, _ = digits("str" if data == "str" else "int")
        if data == "binarized":
            X_train, X_test = (X_train > 0.5).astype(float), (X_test > 0.5).astype(float)
    est = BernoulliNB(binarize=binarize).fit(X_train, y_train)
    diffs = check(est, X_test, dtype)
    assert set(diffs) == {"probabilities"}
    ops = op_types(est, X_test, dtype)
    assert ops.count("Gemm") == 1 and ops[-1] == "Softmax", ops  # the joint log likelihood, then its softmax


BASES = {
    "LinearSVC": lambda: LinearSVC(random_state=0),  # liblinear's shuffling: seeded, not the test order's global state
    "LogisticRegression": lambda: LogisticRegression(max_iter=2000),
    "SGD-hinge": lambda: SGDClassifier(random_state=0),
    "SGD-log_loss": lambda: SGDClassifier(loss="log_loss", random_state=0),
    "BernoulliNB": lambda: BernoulliNB(),  # no decision_function: calibrates its probabilities
}


@pytest.mark.parametrize("data", ["binary", "multiclass", "strings"])
@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
@pytest.mark.parametrize("base", list(BASES))
def test_calibrated_classifier(base, method, data):
    est, X_test = fitted(CalibratedClassifierCV(BASES[base](), method=method, cv=3), CLASSIFICATION[data])
    assert len(est.calibrated_classifiers_) == 3
    for dtype in DTYPES:
        check_calibrated(est, X_test, dtype, base)


def check_calibrated(est, X, dtype, base):
    """:func:`check` of a calibrated classifier, but for float32 isotonic calibration: of a linear ``base``, each
    probability against its bound (:func:`check_isotonic_float32`); of BernoulliNB, within 1e-3 (its probabilities
    take few distinct values, the isotonic thresholds sit on them, and the steep segments between amplify
    float32's rounding of those probabilities, ~5e-8, about 1000 times)."""
    if est.method != "isotonic" or dtype != np.float32:
        check(est, X, dtype)
    elif base == "BernoulliNB":
        check(est, X, dtype, tolerance=1e-3)
    else:
        check_isotonic_float32(est, X)


def isotonic_float32_bounds(est, X):
    """How far a float32 model of ``est`` (a linear classifier calibrated by isotonic regression) may be from
    scikit-learn's probabilities on ``X``, element by element, from its float32 scores alone.

    A float32 score ``x @ w + b`` of F terms is within ``(F + 1) eps (|x| @ |w| + |b|)`` of the exact one (the
    classic bound of a rounded dot product, ``w`` and ``b`` rounded too). Isotonic calibrators are monotone, so
    over that interval they move at most to its ends: a steep segment (a slope of 200 is common on 75 rows) turns a
    score one ulp off into a probability 2e-5 off, while a flat one keeps it exact. The binary probability follows
    its calibrator; several classes are normalised by their sum ``S``, which moves ``p_k = f_k / S`` by at most
    ``(df_k + p_k sum(df)) / (S - sum(df))``. Members of the ensemble are averaged, and so are their bounds."""
    X = np.asarray(X, dtype=np.float32).astype(np.float64)
    eps = np.finfo(np.float32).eps
    bounds = []
    for member in est.calibrated_classifiers_:
        linear = member.estimator
        scores = linear.decision_function(X).reshape(len(X), -1)
        w, b = np.atleast_2d(linear.coef_), np.atleast_1d(linear.intercept_)
        delta = (X.shape[1] + 1) * eps * (np.abs(X) @ np.abs(w).T + np.abs(b))
        f, moved = np.empty_like(scores), np.empty_like(scores)
        for k, calibrator in enumerate(member.calibrators):
            f[:, k] = calibrator.predict(scores[:, k])
            ends = [calibrator.predict(scores[:, k] + sign * delta[:, k]) for sign in (-1, 1)]
            moved[:, k] = np.maximum(*(np.abs(end - f[:, k]) for end in ends))
        if len(est.classes_) == 2:
            bounds.append(np.hstack([moved, moved]))
        else:
            total, spread = f.sum(axis=1, keepdims=True), moved.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                bound = (moved + f / total * spread) / (total - spread)
            # all of a row's calibrators at 0 (scikit-learn's uniform row): exact, unless a move can leave 0
            bounds.append(np.where(total - spread > 0, bound, np.where(spread > 0, 1.0, 0.0)))
    return np.mean(bounds, axis=0)


def check_isotonic_float32(est, X):
    """``est``'s float32 model against scikit-learn on ``X``: each probability within float32's tolerance plus
    what its score's rounding can move it (:func:`isotonic_float32_bounds`); the label is the model's most probable
    class, and scikit-learn's wherever no such move can change which class that is."""
    X = X.astype(np.float32)
    model = to_onnx(est, X[:1])
    assert float_types(model) == {onnx.TensorProto.FLOAT}, "a hidden cast"
    label, proba = run_onnx(model, {"X": X})
    expected = est.predict_proba(X)
    bound = isotonic_float32_bounds(est, X) + TOLERANCE[np.float32] * np.abs(expected).max()
    excess = np.abs(proba - expected) - bound
    assert (excess <= 0).all(), f"{np.count_nonzero(excess > 0)} probabilities beyond their bound, by {excess.max()}"
    assert (label == est.classes_[np.argmax(proba, axis=1)]).all()
    top2 = np.sort(expected, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * bound.max(axis=1)
    assert clear.mean() > 0.9 and (label[clear] == est.predict(X)[clear]).all()


@pytest.mark.parametrize("data", ["binary", "multiclass"])
@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrated_classifier_without_ensemble(method, data):
    base = LinearSVC(random_state=0)
    est, X_test = fitted(CalibratedClassifierCV(base, method=method, ensemble=False), CLASSIFICATION[data])
    assert len(est.calibrated_classifiers_) == 1
    for dtype in DTYPES:
        check_calibrated(est, X_test, dtype, "LinearSVC")


@pytest.mark.parametrize("base", ["LogisticRegression", "LinearSVC", "BernoulliNB"])
@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
@pytest.mark.parametrize("data", ["binary", "multiclass"])
def test_calibrated_classifier_graph(data, method, base):
    # every calibrated classifier in the same few nodes: the graph does not grow with cv
    graphs = {}
    for cv in (2, 5):
        est, X_test = fitted(CalibratedClassifierCV(BASES[base](), method=method, cv=cv), CLASSIFICATION[data])
        for dtype in DTYPES:
            graphs[cv, dtype] = ops = op_types(est, X_test, dtype)
            if base != "BernoulliNB":  # linear bases: one Gemm for all, the sigmoid's a and b inside
                assert ops.count("Gemm") == 1 + (data == "binary") and "Concat" not in ops, ops
            else:  # one Concat of the members' probabilities (and one column selection for two classes)
                assert ops.count("Concat") == 1 and ops.count("ArrayFeatureExtractor") == (data == "binary"), ops
            if method == "isotonic":  # every column's segment found by one tree ensemble
                assert ops.count("TreeEnsembleRegressor" if dtype == np.float32 else "TreeEnsemble") == 1, ops
            else:
                assert ops.count("Exp") == 1, ops
    for dtype in DTYPES:
        if base != "BernoulliNB":
            assert graphs[2, dtype] == graphs[5, dtype]
        assert len(graphs[5, dtype]) <= 30, graphs[5, dtype]


@pytest.mark.parametrize("dtype", DTYPES)
def test_isotonic_columns(dtype):
    # several calibrators at once, of 1, 2, 3 and 40 thresholds: one search tree each, in one tree ensemble
    rng = np.random.default_rng(7)
    calibrators, columns = [], []
    for n_points in (1, 2, 3, 40, 2, 1):
        x = np.sort(rng.uniform(-3, 3, n_points))
        y = np.arange(n_points, dtype=np.float64) ** 1.5 / max(n_points - 1, 1) ** 1.5
        calibrators.append(IsotonicRegression(out_of_bounds="clip").fit(x, y))
        columns.append(np.concatenate([x, rng.uniform(-5, 5, 60 - n_points), [-np.inf, np.inf]]))
    t = np.stack(columns, axis=1).astype(dtype)
    expr = isotonic_columns(calibrators, Var("t", dtype, [None, len(calibrators)]))
    (got,) = run_onnx(to_onnx(expr, {"t": t}), {"t": t})
    assert got.dtype == dtype
    # IsotonicRegression.predict rejects infinities: it would clip them to the thresholds' range
    within = [np.clip(t[:, j].astype(np.float64), c.X_min_, c.X_max_) for j, c in enumerate(calibrators)]
    expected = np.stack([c.predict(v) for v, c in zip(within, calibrators, strict=True)], axis=1)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("n_points", [1, 2, 3, 40])
def test_isotonic_interpolation(n_points):
    rng = np.random.default_rng(n_points)
    x = np.sort(rng.uniform(-3, 3, n_points))
    y = np.arange(n_points, dtype=np.float64) ** 1.5  # increasing: every point is a threshold
    calibrator = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    assert len(calibrator.X_thresholds_) == n_points
    t = np.concatenate([x, rng.uniform(-5, 5, 50)]).reshape(-1, 1)
    expr = isotonic_calibration(calibrator, Var("t", np.float64, [None, 1]))
    (got,) = run_onnx(to_onnx(expr, {"t": t}), {"t": t})
    np.testing.assert_allclose(got.ravel(), calibrator.predict(t.ravel()), rtol=1e-12, atol=1e-12)


# --- MinMaxScaler, MaxAbsScaler, Normalizer, PolynomialFeatures, PowerTransformer, QuantileTransformer ---


def wide_range():
    """scales() with held-out rows pushed outside the fitted range (and a row of zeros)."""
    X_train, X_test = scales()
    X_test = np.vstack([X_test, X_test[:5] * 3 - 2, np.zeros((1, X_test.shape[1]))])
    return X_train, X_test


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", [{}, {"feature_range": (-2.0, 5.0)}, {"clip": True}, {"feature_range": (-1, 1), "clip": True}])
def test_min_max_scaler(params, dtype):
    X_train, X_test = wide_range()
    est = MinMaxScaler(**params).fit(X_train)
    assert est.transform(X_test).max() > est.feature_range[1] or params.get("clip")  # held-out values outside the range
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_abs_scaler(dtype):
    X_train, X_test = wide_range()
    check(MaxAbsScaler().fit(X_train), X_test, dtype)


def test_affine_scalers_merge_in_column_transformer():
    X_train, X_test = wide_range()
    ct = ColumnTransformer(
        [("mm", MinMaxScaler(), [0, 1]), ("ma", MaxAbsScaler(), [2]), ("st", StandardScaler(), [3, 4])]
    ).fit(X_train)
    for dtype in DTYPES:
        check(ct, X_test, dtype)
    assert op_types(ct, X_test, np.float32) == ["Scaler"]  # one node for the three scalers
    assert columnwise_affine(MinMaxScaler(clip=True).fit(X_train)) is None
    clipped = ColumnTransformer([("mm", MinMaxScaler(clip=True), [0, 1]), ("st", StandardScaler(), [3, 4])]).fit(X_train)
    for dtype in DTYPES:
        check(clipped, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_normalizer(norm, dtype):
    X_train, X_test = wide_range()
    X_test = np.vstack([X_test, -X_test[:3], np.full((1, 5), 1e-30)])  # negative rows, a (nearly) zero row
    est = Normalizer(norm=norm).fit(X_train)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_normalizer_edge_rows(norm, dtype):
    """Row by row against ``sklearn.preprocessing.normalize``: a norm exactly ``10 * eps`` divides, the float just
    below leaves the row unchanged, zeros stay zeros, huge values (float32's L2 overflows to inf as scikit-learn's
    does: the row becomes zeros), signed rows ('max' divides by the largest magnitude); and a batch of zero rows."""
    tiny = 10 * np.finfo(dtype).eps
    below = np.nextafter(dtype(tiny), dtype(0))
    huge = np.finfo(dtype).max / 4
    X = np.array(
        [
            [tiny, 0, 0, 0],
            [-tiny, 0, 0, 0],
            [below, 0, 0, 0],
            [below / 3, -below / 3, 0, 0],
            [0, 0, 0, 0],
            [1e-30, -1e-30, 1e-30, 0],
            [huge, -huge / 2, 1, 0],
            [3e30, 1, 0, 0],
            [-5, 2, 0, 1],
            [0.5, -3, 2, 1e-3],
        ],
        dtype=dtype,
    )
    est = Normalizer(norm=norm).fit(X)
    model = to_onnx(est, X[:1])
    (got,) = run_onnx(model, {"X": X})
    expected = est.transform(X)
    assert got.dtype == expected.dtype == dtype
    scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), np.finfo(dtype).tiny)
    np.testing.assert_array_less(np.abs(got - expected) / scale, TOLERANCE[dtype])
    np.testing.assert_array_equal(got[:4], expected[:4])  # the threshold, exactly
    (empty,) = run_onnx(model, {"X": X[:0]})
    assert empty.shape == (0, 4) and empty.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"degree": 3},
        {"degree": 3, "interaction_only": True},
        {"degree": 2, "include_bias": False},
        {"degree": (2, 3)},
        {"degree": (2, 4), "include_bias": False},
        {"degree": (0, 1)},
        {"degree": 3, "order": "F"},
        {"degree": (3, 3), "interaction_only": True, "include_bias": False},
    ],
)
def test_polynomial_features(params, dtype):
    X_train, X_test, _, _ = binary()
    X_train, X_test = X_train[:, :4], X_test[:, :4]
    est = PolynomialFeatures(**params).fit(X_train)
    diffs = check(est, X_test, dtype)
    if dtype == np.float64:  # the same products in the same order: bit for bit
        assert diffs["variable"] == 0.0, diffs
    ops = op_types(est, X_test, dtype)
    assert ops.count("Mul") <= max(np.max(est.powers_.sum(axis=1)) - 1, 0), ops


def skewed():
    rng = np.random.default_rng(5)
    X = np.column_stack(
        [
            rng.lognormal(0, 1, 300),
            rng.exponential(3, 300) + 0.1,
            rng.normal(10, 2, 300),
            rng.gamma(0.5, 2, 300) + 1e-3,
            rng.uniform(0.5, 2, 300),
        ]
    )
    return X[:200], X[200:]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("method", ["yeo-johnson", "box-cox"])
def test_power_transformer(method, standardize, dtype):
    X_train, X_test = skewed()
    if method == "yeo-johnson":  # negative values too
        X_train, X_test = X_train - [1, 2, 10, 0.5, 1], X_test - [1, 2, 10, 0.5, 1]
    est = PowerTransformer(method=method, standardize=standardize).fit(X_train)
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["yeo-johnson", "box-cox"])
def test_power_transformer_special_lambdas(method, dtype):
    # lambda == 0 (log1p / log) and == 2 (-log1p(-x)) take scipy's separate formulas
    X_train, X_test = skewed()
    X_test = X_test if method == "box-cox" else np.vstack([X_test, -X_test])
    est = PowerTransformer(method=method, standardize=False).fit(X_train)
    est.lambdas_ = np.array([0.0, 2.0, 1.0, 1e-20, 2 + 1e-17])
    check(est, X_test, dtype)
    est._scaler = StandardScaler().fit(est.transform(X_train))
    est.standardize = True
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["yeo-johnson", "box-cox"])
def test_power_transformer_extreme_values(method, dtype):
    """Element by element against scikit-learn, relative to each value: tiny values (log1p and expm1 must not
    cancel), zeros, large ones (in float32 some powers overflow to inf as scikit-learn's output does; exp underflows
    to 0 with a negative lambda: -1 / lambda), both signs for Yeo-Johnson."""
    magnitudes = np.array([1e-7, 3e-6, 1e-5, 2e-4, 1e-3, 0.03, 0.5, 1.0, 3.0, 50.0, 1e4, 1e10, 1e15])
    column = magnitudes if method == "box-cox" else np.concatenate([magnitudes, -magnitudes, [0.0]])
    X = np.repeat(column[:, None], 6, axis=1)
    est = PowerTransformer(method=method, standardize=False).fit(np.abs(X[:-1]) + 1)
    est.lambdas_ = np.array([0.5, 1.5, -3.0, 3.0, 0.01, -0.7])
    X = X.astype(dtype)
    (got,) = run_onnx(to_onnx(est, X[:1]), {"X": X})
    expected = est.transform(X)
    tiny_rows = (np.abs(X) < 1e-3) & (X != 0)
    if dtype == np.float32:  # older scikit-learn computes (1 + x)**lambda - 1 in float32: no oracle for tiny x
        exact = est.transform(X.astype(np.float64))
        off = np.abs(expected[tiny_rows] - exact[tiny_rows]) / np.abs(exact[tiny_rows])
        if off.max() > TOLERANCE[dtype]:
            pytest.skip(f"this scikit-learn's float32 {method} is {off.max():.1e} off on tiny values: no oracle")
    assert got.dtype == expected.dtype == dtype
    assert np.isinf(expected).any() == (dtype == np.float32) and np.isinf(expected).sum() < expected.size // 4
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    relative = np.abs(got[finite] - expected[finite]) / np.maximum(np.abs(expected[finite]), np.finfo(dtype).tiny)
    assert relative.max() <= TOLERANCE[dtype], relative.max()
    assert np.abs(expected[tiny_rows]).min() > 0  # values that a plain log(1 + x) or exp(y) - 1 would lose


def repeated():
    """Columns with repeated values (hence repeated quantiles), a continuous one, a constant one."""
    rng = np.random.default_rng(11)
    X = np.column_stack(
        [rng.integers(0, 5, 400).astype(float), rng.normal(0, 3, 400), np.full(400, 2.5), rng.exponential(1, 400).round(1)]
    )
    X_test = np.vstack([X[300:], [[-1, -20, 2.5, -1], [9, 20, 3, 50], [0, 0, 2.0, 0], [4, 1, 2.5, 0.1]]])
    return X[:300], X_test


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_quantiles", [1000, 50, 7])
@pytest.mark.parametrize("output", ["uniform", "normal"])
def test_quantile_transformer(output, n_quantiles, dtype):
    X_train, X_test = repeated()
    every_row = None if SKLEARN >= (1, 5) else 10**9  # subsample=None (no subsampling) is new in 1.5
    est = QuantileTransformer(n_quantiles=n_quantiles, subsample=every_row, output_distribution=output).fit(X_train)
    # held-out values at the quantiles themselves, between them and outside their range
    X_test = np.vstack([X_test, est.quantiles_[::3], (est.quantiles_[1:] + est.quantiles_[:-1]) / 2])
    check(est, X_test, dtype)


@pytest.mark.parametrize("output", ["uniform", "normal"])
def test_quantile_transformer_float32_rounding(output):
    # quantiles that are not float32 numbers: float32 values just below / above them (and BOUNDS_THRESHOLD from
    # them) compare as scikit-learn's
    X_train = np.array([[0.1], [0.2], [0.30000000000000004], [0.7], [0.9]])
    est = QuantileTransformer(n_quantiles=5, output_distribution=output).fit(X_train)
    q32 = est.quantiles_.astype(np.float32)
    near = np.concatenate([q32 - np.float32(1e-7), q32 + np.float32(1e-7), q32 + np.float32(2e-7), q32 - np.float32(2e-7)])
    X_test = np.concatenate([q32, np.nextafter(q32, np.float32(-1)), np.nextafter(q32, np.float32(2)), near])
    check(est, X_test, np.float32)
    check(est, X_test, np.float64)


@pytest.mark.parametrize("output", ["uniform", "normal"])
def test_quantile_transformer_nan(output):
    X_train, _ = repeated()
    est = QuantileTransformer(n_quantiles=20, output_distribution=output).fit(X_train)
    X = np.array([[np.nan, 1.0, 2.5, np.nan], [0.0, np.nan, np.nan, 1.0]])
    (got,) = run_onnx(to_onnx(est, X), {"X": X})
    expected = est.transform(X)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got[~np.isnan(got)], expected[~np.isnan(expected)], rtol=1e-12, atol=1e-12)


def test_ndtri():
    # the inverse normal CDF built for QuantileTransformer, against scipy's over the whole range it serves
    from onnxalgebra_converters.scikit_learn.preprocessing import ndtri
    from scipy.special import ndtri as scipy_ndtri

    tails = np.geomspace(1e-7 - np.spacing(1), 0.5, 20000)
    p = np.concatenate([tails, 1 - tails, np.linspace(1e-6, 1 - 1e-6, 20001)])
    for dtype, tolerance in ((np.float64, 2e-14), (np.float32, 2e-6)):
        (got,) = run_onnx(to_onnx(ndtri(Var("p", dtype, [None])), {"p": p.astype(dtype)}), {"p": p.astype(dtype)})
        p64 = p.astype(dtype).astype(np.float64)
        served = np.minimum(p64, 1 - p64) >= 1e-7 - np.spacing(1)  # below: the value at the bound (clipped anyway)
        assert served.mean() > 0.99
        assert got.dtype == dtype
        np.testing.assert_allclose(got[served], scipy_ndtri(p64[served]), rtol=0, atol=tolerance)


def test_quantile_transformer_graph():
    X_train, X_test = repeated()
    est = QuantileTransformer(n_quantiles=100).fit(X_train)
    ops = op_types(est, X_test, np.float32)
    assert len(ops) <= 60, ops  # no node per column or per quantile
    est.set_params(output_distribution="normal")
    ops = op_types(est, X_test, np.float64)
    assert len(ops) <= 130, ops


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 5, 64, 65, 100, 1000])
def test_count_at_most(n, dtype):
    # the two-step search (more than 64 thresholds) counts as the comparisons of every threshold do
    from onnxalgebra_converters.scikit_learn.preprocessing import count_at_most

    rng = np.random.default_rng(n)
    thresholds = np.sort(rng.integers(0, 50, (3, n)).astype(dtype), axis=1)  # repeated thresholds
    X = np.concatenate([rng.uniform(-5, 55, (200, 3)), thresholds[:, :: max(n // 7, 1)].T[:, :3], [[np.nan, 0, 100]]])
    X = X.astype(dtype)
    (got,) = run_onnx(to_onnx(count_at_most(Var("X", dtype, [None, 3]), thresholds), {"X": X}), {"X": X})
    np.testing.assert_array_equal(got, (thresholds[None] <= X[:, :, None]).sum(axis=2))


def spline_data():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 2, (200, 3)) * [1.0, 5.0, 0.3] + [0.0, 10.0, -1.0]
    X[:40, 2] = X[:40, 2].round(0)  # repeated values: coincident quantile knots
    X_train, X_test = X[:150], X[150:]
    return X_train, np.vstack([X_test, X_test * 2.5 - 3])  # and far outside the knots


SPLINES = [
    {},
    {"degree": 1},
    {"degree": 2, "n_knots": 4},
    {"degree": 4, "n_knots": 7},
    {"knots": "quantile"},
    {"knots": "quantile", "n_knots": 12, "degree": 2},
    {"extrapolation": "continue"},
    {"extrapolation": "continue", "knots": "quantile", "degree": 2},
    {"extrapolation": "linear"},
    {"extrapolation": "linear", "degree": 1},
    {"extrapolation": "linear", "degree": 2, "knots": "quantile"},
    {"extrapolation": "periodic"},
    {"extrapolation": "periodic", "degree": 2, "n_knots": 6},
    {"extrapolation": "periodic", "knots": "quantile", "n_knots": 8},
    {"include_bias": False},
    {"include_bias": False, "extrapolation": "periodic"},
    {"degree": 0, "extrapolation": "continue"},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", SPLINES, ids=[str(p) for p in SPLINES])
def test_spline_transformer(params, dtype):
    X_train, X_test = spline_data()
    est = SplineTransformer(**params).fit(X_train)
    diffs = check(est, X_test, dtype)
    if dtype == np.float64:  # scipy's recurrence, the same roundings
        assert diffs["variable"] <= 1e-13, diffs


@needs_sklearn("1.8", "SplineTransformer(handle_missing='zeros')")
@pytest.mark.parametrize("dtype", DTYPES)
def test_spline_transformer_knot_array_and_missing(dtype):
    X_train, X_test = spline_data()
    knots = np.array([[-4.0, -5.0, -3.0], [-1.0, 5.0, -1.5], [0.0, 10.0, -1.0], [2.5, 20.0, 0.0], [5.0, 25.0, 1.0]])
    est = SplineTransformer(knots=knots, handle_missing="zeros").fit(X_train)
    X_test = X_test.copy()
    X_test[::7, 1] = np.nan
    check(est, X_test, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_spline_transformer_error_extrapolation(dtype):
    # within the knots, the values; beyond them scikit-learn raises and the graph gives NaN in that feature's columns
    X_train, X_test = spline_data()
    est = SplineTransformer(extrapolation="error").fit(X_train)
    n_splines = est.n_features_out_ // 3
    low, high = X_train.min(axis=0), X_train.max(axis=0)
    inside = X_test[np.all((X_test >= low) & (X_test <= high), axis=1)]
    check(est, inside, dtype)
    beyond = inside[:2].copy()
    beyond[0, 1] = high[1] + 1
    with pytest.raises(ValueError, match="beyond the limits"):
        est.transform(beyond)
    (got,) = run_onnx(to_onnx(est, beyond.astype(dtype)), {"X": beyond.astype(dtype)})
    assert np.all(np.isnan(got[0, n_splines : 2 * n_splines])) and not np.any(np.isnan(got[1]))
    np.testing.assert_allclose(got[1], est.transform(beyond[1:].astype(dtype))[0], rtol=0, atol=TOLERANCE[dtype])


def test_spline_transformer_sparse_output():
    X_train, _ = spline_data()
    with pytest.raises(OnnxAlgebraError, match="sparse_output"):
        to_onnx(SplineTransformer(sparse_output=True).fit(X_train), X_train[:1])
