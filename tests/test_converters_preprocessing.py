"""Preprocessing, naive Bayes and calibration converters against scikit-learn on held-out data."""

from functools import cache

import numpy as np
import pytest
from converter_checks import TOLERANCE, binary, check, iris_names, multiclass, run_onnx
from onnxalgebra_converters.calibration import isotonic_calibration, isotonic_columns
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB
from sklearn.preprocessing import Binarizer, LabelEncoder, RobustScaler, StandardScaler
from sklearn.svm import LinearSVC

from onnxalgebra import Var, to_onnx

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
    "LinearSVC": lambda: LinearSVC(),
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
        # BernoulliNB's probabilities take few distinct values, the isotonic thresholds sit on them, and the
        # steep segments between amplify float32's rounding of those probabilities (~5e-8) about 1000 times.
        steep = base == "BernoulliNB" and method == "isotonic" and dtype == np.float32
        check(est, X_test, dtype, tolerance=1e-3 if steep else None)


@pytest.mark.parametrize("data", ["binary", "multiclass"])
@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrated_classifier_without_ensemble(method, data):
    est, X_test = fitted(CalibratedClassifierCV(LinearSVC(), method=method, ensemble=False), CLASSIFICATION[data])
    assert len(est.calibrated_classifiers_) == 1
    for dtype in DTYPES:
        check(est, X_test, dtype)


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
