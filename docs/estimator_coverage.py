"""Which scikit-learn estimators convert, measured from scikit-learn itself: ``make coverage`` writes ``docs/coverage.md``.

For every class of ``sklearn.utils.all_estimators()``: fit it on small
generated data (the kind of data it needs: classes, a target, non-negative
counts, categories, text), convert it with a float32 and a float64 sample,
run both models in onnxruntime on held-out rows and compare every output with
scikit-learn's (labels: the number that differ; values: the largest
difference relative to the output's scale), and time the conversion. A class
without a converter is listed with the reason: :data:`REASONS` says why for
the ones that cannot have one, the others have none yet.

``tests/test_coverage.py`` checks, for every estimator the table lists as
converted, that it still is.

Run it as ``python docs/estimator_coverage.py [--only NAME ...] [--output docs/coverage.md]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

TOLERANCE = {"float32": 1e-5, "float64": 1e-10}

# Estimators whose float32 graphs reach a looser tolerance, measured, and why (their tests use the same).
LOOSER = {
    "LatentDirichletAllocation": (
        1e-4,
        "float32 within 1e-4: a float64 model computes in float64 in scikit-learn, and a row that reaches "
        "max_doc_update_iter unconverged drifts by float32 rounding (1.7e-5 measured)",
    ),
    "GaussianProcessClassifier": (
        5e-4,
        "float32 within 5e-4: the Laplace approximation's erf terms cancel (coefficients of about 3,500)",
    ),
}

# Iterative transforms that stop each row once its change falls below a tolerance (the parameter named): a float32
# graph's change differs from scikit-learn's float64 one by rounding, so a row whose change lands within that rounding
# of the tolerance stops one iteration apart (9e-5 on a row of LatentDirichletAllocation's data). For float32 rows,
# the oracle of such a row is the nearest to the model's of scikit-learn's runs with the tolerance moved by up to 10%.
STOPPING_TOLERANCES = {"LatentDirichletAllocation": "mean_change_tol"}
_MOVED_BY = (0.9, 0.95, 0.98, 0.99, 1.01, 1.02, 1.05, 1.1)

# Why a class cannot convert (classes not named here and without a converter have none yet).
REASONS = {
    "AgglomerativeClustering": "no predict or transform for new rows (labels of the training rows only)",
    "ClassicalMDS": "no transform for new rows (an embedding of the training rows)",
    "DBSCAN": "no predict for new rows (labels of the training rows only)",
    "DictVectorizer": "takes Python dicts, which ONNX tensors cannot hold",
    "FeatureHasher": "takes a Python dict or a ragged list of strings per sample, which a tensor cannot hold",
    "HDBSCAN": "no predict for new rows (labels of the training rows only)",
    "KNeighborsTransformer": "its transform is a sparse graph of the training rows",
    "LabelEncoder": "encodes labels (y), not rows: converted for use inside other converters",
    "LocallyLinearEmbedding": "transform solves a linear system per row (no ONNX operator solves one)",
    "MDS": "no transform for new rows (an embedding of the training rows)",
    "MultiLabelBinarizer": "encodes label sets (y), not rows",
    "NearestNeighbors": "no predict or transform (kneighbors only)",
    "OPTICS": "no predict for new rows (labels of the training rows only)",
    "PatchExtractor": "extracts patches of images of any size, not rows of a table",
    "RadiusNeighborsTransformer": "its transform is a sparse graph of the training rows",
    "SpectralBiclustering": "no predict or transform for new rows",
    "SpectralClustering": "no predict for new rows (labels of the training rows only)",
    "SpectralCoclustering": "no predict or transform for new rows",
    "SpectralEmbedding": "no transform for new rows (an embedding of the training rows)",
    "TSNE": "no transform for new rows (an embedding fitted on the training rows only)",
    "DictionaryLearning": "transform solves a sparse coding problem per row (iterative: lasso, OMP)",
    "MiniBatchDictionaryLearning": "transform solves a sparse coding problem per row (iterative: lasso, OMP)",
    "SparseCoder": "transform solves a sparse coding problem per row (iterative: lasso, OMP)",
    "Isomap": "transform needs shortest paths through the training graph",
    "KernelCenterer": "takes a kernel matrix against the training rows, not rows of features",
    "LabelBinarizer": "encodes labels (y), not rows: converted for use inside other converters",
}


# --- data: what each estimator is fitted on ---


@cache
def classification() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    return X[:200], y[:200], X[200:]


@cache
def binary() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 6, n_informative=4, random_state=1)
    return X[:200], y[:200], X[200:]


@cache
def regression() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import make_regression

    X, y = make_regression(300, 6, n_informative=4, noise=0.5, random_state=0)
    return X[:200], y[:200], X[200:]


def positive_target() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, X_test = regression()
    return X, np.exp(y / y.std()), X_test


def counts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, X_test = classification()
    return np.abs(np.round(X * 3)), y, np.abs(np.round(X_test * 3))


def categories() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, X_test = classification()
    return np.clip(np.round(X + 2), 0, 4), y, np.clip(np.round(X_test + 2), 0, 4)


def one_feature() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, X_test = regression()
    return X[:, :1], y, X_test[:, :1]


def multilabel() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, X_test = classification()
    return X, np.stack([y == 0, y == 1, X[:, 0] > 0], axis=1).astype(np.int64), X_test


def multitarget() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, X_test = regression()
    return X, np.stack([y, X[:, 1] * 2 - y], axis=1), X_test


def text() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    words = np.array(["red", "green", "blue", "sky", "sea", "tree", "the", "a", "big", "small"])
    rng = np.random.default_rng(0)
    docs = np.array([" ".join(rng.choice(words, size=rng.integers(2, 7))) for _ in range(120)], dtype=object)
    return docs[:80], (rng.random(80) > 0.5).astype(np.int64), docs[80:]


@dataclass
class Case:
    """How to make and fit one estimator."""

    make: Callable[[], Any]
    data: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]
    supervised: bool = True


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _regressor() -> Any:
    from sklearn.linear_model import Ridge

    return Ridge()


def special_cases() -> dict[str, Case]:
    """The estimators that need arguments or particular data."""
    from sklearn import (
        compose,
        ensemble,
        feature_selection,
        model_selection,
        multiclass,
        multioutput,
        pipeline,
        preprocessing,
        semi_supervised,
    )
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    grid = {"C": [0.1, 1.0]}
    members_c = [("lr", _classifier()), ("tree", DecisionTreeClassifier(max_depth=3, random_state=0))]
    members_r = [("ridge", _regressor()), ("tree", DecisionTreeRegressor(max_depth=3, random_state=0))]
    return {
        "ColumnTransformer": Case(
            lambda: compose.ColumnTransformer([("s", preprocessing.StandardScaler(), [0, 1])], remainder="passthrough"),
            classification,
            supervised=False,
        ),
        "FeatureUnion": Case(
            lambda: pipeline.FeatureUnion([("s", preprocessing.StandardScaler()), ("m", preprocessing.MaxAbsScaler())]),
            classification,
            supervised=False,
        ),
        "Pipeline": Case(lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), _classifier()), classification),
        "GridSearchCV": Case(lambda: model_selection.GridSearchCV(_classifier(), grid, cv=3), classification),
        "RandomizedSearchCV": Case(
            lambda: model_selection.RandomizedSearchCV(_classifier(), grid, n_iter=2, cv=3, random_state=0), classification
        ),
        "HalvingGridSearchCV": Case(lambda: model_selection.HalvingGridSearchCV(_classifier(), grid, cv=3), classification),
        "HalvingRandomSearchCV": Case(
            lambda: model_selection.HalvingRandomSearchCV(_classifier(), grid, cv=3, random_state=0), classification
        ),
        "FixedThresholdClassifier": Case(lambda: model_selection.FixedThresholdClassifier(_classifier()), binary),
        "TunedThresholdClassifierCV": Case(lambda: model_selection.TunedThresholdClassifierCV(_classifier(), cv=3), binary),
        "OneVsRestClassifier": Case(lambda: multiclass.OneVsRestClassifier(_classifier()), classification),
        "OneVsOneClassifier": Case(lambda: multiclass.OneVsOneClassifier(_classifier()), classification),
        "OutputCodeClassifier": Case(lambda: multiclass.OutputCodeClassifier(_classifier(), random_state=0), classification),
        "MultiOutputClassifier": Case(lambda: multioutput.MultiOutputClassifier(_classifier()), multilabel),
        "MultiOutputRegressor": Case(lambda: multioutput.MultiOutputRegressor(_regressor()), multitarget),
        "ClassifierChain": Case(lambda: multioutput.ClassifierChain(_classifier(), random_state=0), multilabel),
        "RegressorChain": Case(lambda: multioutput.RegressorChain(_regressor(), random_state=0), multitarget),
        "SelfTrainingClassifier": Case(lambda: semi_supervised.SelfTrainingClassifier(_classifier()), classification),
        "VotingClassifier": Case(lambda: ensemble.VotingClassifier(members_c, voting="soft"), classification),
        "VotingRegressor": Case(lambda: ensemble.VotingRegressor(members_r), regression),
        "StackingClassifier": Case(lambda: ensemble.StackingClassifier(members_c, final_estimator=_classifier()), classification),
        "StackingRegressor": Case(lambda: ensemble.StackingRegressor(members_r, final_estimator=_regressor()), regression),
        "SelectFromModel": Case(lambda: feature_selection.SelectFromModel(_classifier()), classification),
        "RFE": Case(lambda: feature_selection.RFE(_classifier(), n_features_to_select=3), classification),
        "RFECV": Case(lambda: feature_selection.RFECV(_classifier(), cv=3), classification),
        "SequentialFeatureSelector": Case(
            lambda: feature_selection.SequentialFeatureSelector(_classifier(), n_features_to_select=3, cv=3), classification
        ),
        "CalibratedClassifierCV": Case(lambda: _calibrated(), classification),
        "TransformedTargetRegressor": Case(
            lambda: compose.TransformedTargetRegressor(_regressor(), func=np.log1p, inverse_func=np.expm1), positive_target
        ),
        "QuadraticDiscriminantAnalysis": Case(lambda: _make("QuadraticDiscriminantAnalysis", reg_param=0.1), classification),
        "FastICA": Case(lambda: _make("FastICA", n_components=3, random_state=0), regression, supervised=False),
        "GaussianRandomProjection": Case(lambda: _make("GaussianRandomProjection", n_components=3, random_state=0), regression),
        "SparseRandomProjection": Case(lambda: _make("SparseRandomProjection", n_components=3, random_state=0), regression),
        # classification()'s redundant columns make its covariance singular: GraphicalLasso raises "Non SPD result"
        "GraphicalLasso": Case(lambda: _make("GraphicalLasso"), regression, supervised=False),
        "FrozenEstimator": Case(lambda: _frozen(), classification),
    }


def _make(name: str, **params: Any) -> Any:
    from sklearn.utils import all_estimators

    return dict(all_estimators())[name](**params)


def _frozen() -> Any:
    """A FrozenEstimator holding a classifier fitted here (its own ``fit`` does nothing)."""
    from sklearn.frozen import FrozenEstimator

    X, y, _ = classification()
    return FrozenEstimator(_classifier().fit(X, y))


def _calibrated() -> Any:
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(_classifier(), cv=3)


NON_NEGATIVE = {
    "MultinomialNB",
    "ComplementNB",
    "AdditiveChi2Sampler",
    "SkewedChi2Sampler",
    "NMF",
    "MiniBatchNMF",
    "LatentDirichletAllocation",
    "TfidfTransformer",
}
POSITIVE_TARGET = {"PoissonRegressor", "GammaRegressor", "TweedieRegressor"}
MULTITARGET = {
    "MultiTaskLasso",
    "MultiTaskElasticNet",
    "MultiTaskLassoCV",
    "MultiTaskElasticNetCV",
    "CCA",
    "PLSCanonical",
    "PLSSVD",
}
CATEGORICAL = {"CategoricalNB", "OneHotEncoder", "OrdinalEncoder", "TargetEncoder"}
TEXT = {"CountVectorizer", "TfidfVectorizer", "HashingVectorizer"}


def case_of(name: str, cls: type) -> Case:
    """How ``cls`` is made and fitted here."""
    from sklearn.base import is_classifier, is_regressor

    special = special_cases()
    if name in special:
        return special[name]

    def make() -> Any:
        params = cls().get_params() if _no_required_arguments(cls) else {}
        extra = {"random_state": 0} if "random_state" in params else {}
        if name in ("SkewedChi2Sampler",):
            extra["skewedness"] = 1.0
        if name in ("KernelDensity", "LocalOutlierFactor"):
            extra = {"novelty": True} if name == "LocalOutlierFactor" else {}
        if name in ("RadiusNeighborsClassifier", "RadiusNeighborsRegressor"):
            extra["radius"] = 10.0
        return cls(**extra)

    if name in NON_NEGATIVE:
        data = counts
    elif name in CATEGORICAL:
        data = categories
    elif name == "IsotonicRegression":
        data = one_feature
    elif name in POSITIVE_TARGET:
        data = positive_target
    elif name in MULTITARGET:
        data = multitarget
    elif name in TEXT:
        data = text
    elif is_classifier(cls()) if _no_required_arguments(cls) else False:
        data = classification
    elif is_regressor(cls()) if _no_required_arguments(cls) else False:
        data = regression
    else:
        data = classification
    supervised = name not in TEXT or name == "TfidfTransformer"
    return Case(make, data, supervised=supervised)


def _no_required_arguments(cls: type) -> bool:
    try:
        cls()
    except TypeError:
        return False
    return True


# --- measurements ---


@dataclass
class Row:
    """One line of the table."""

    name: str
    converted: bool
    differences: dict[str, str] = field(default_factory=dict)  # dtype -> text
    seconds: float | None = None
    reason: str = ""


def _compare(expected: np.ndarray, got: np.ndarray, dtype: str, tolerance: float) -> tuple[bool, str]:
    expected = np.asarray(expected.toarray() if hasattr(expected, "toarray") else expected)
    got = np.asarray(got)
    if got.shape != expected.shape and got.size == expected.size:
        got = got.reshape(expected.shape)
    if got.shape != expected.shape:
        return False, f"shape {got.shape} != {expected.shape}"
    if expected.dtype.kind not in "fc":
        different = int(np.sum(got != expected))
        return different == 0, "exact" if different == 0 else f"{different} labels differ"
    scale = max(float(np.nanmax(np.abs(expected))) if expected.size else 0.0, np.finfo(np.float64).tiny)
    same_nan = np.array_equal(np.isnan(expected), np.isnan(got))
    difference = float(np.nanmax(np.abs(got.astype(np.float64) - expected))) / scale if expected.size else 0.0
    if not same_nan:
        return False, "NaN differ"
    return difference <= tolerance, f"{difference:.1e}"


def sklearn_outputs(est: Any, X: np.ndarray, names: list[str], got: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """What scikit-learn computes for the outputs ``names`` of ``est``'s model: the oracle.

    Given the model's outputs ``got`` on float32 rows, an estimator of :data:`STOPPING_TOLERANCES` gets, row by
    row, the nearest of scikit-learn's runs with its stopping tolerance moved (a row stopping one iteration apart)."""
    expected = _dtype_outputs(est, X, names)
    parameter = STOPPING_TOLERANCES.get(type(est).__name__)
    if got is None or parameter is None or getattr(X, "dtype", None) != np.float32:
        return expected
    return _nearest_rows(est, X, names, parameter, expected, got)


def _nearest_rows(est: Any, X: np.ndarray, names: list[str], parameter: str, expected: list, got: list) -> list[np.ndarray]:
    import copy

    def distance(g: np.ndarray, e: np.ndarray) -> np.ndarray:  # per row, the largest difference
        return np.abs(np.asarray(g, np.float64).reshape(e.shape) - e).reshape(len(e), -1).max(axis=1)

    nearest = [np.array(e, copy=True) for e in expected]
    floats = [i for i, e in enumerate(nearest) if e.dtype.kind == "f" and e.ndim > 0 and np.size(got[i]) == e.size]
    distances = {i: distance(got[i], nearest[i]) for i in floats}
    for factor in _MOVED_BY:
        moved = copy.deepcopy(est)
        setattr(moved, parameter, getattr(est, parameter) * factor)
        outputs = _dtype_outputs(moved, X, names)
        for i in floats:
            d = distance(got[i], outputs[i])
            closer = d < distances[i]
            nearest[i][closer], distances[i][closer] = outputs[i][closer], d[closer]
    return nearest


def _dtype_outputs(est: Any, X: np.ndarray, names: list[str]) -> list[np.ndarray]:
    try:
        return _outputs(est, X, names)
    except (ValueError, TypeError) as exc:  # KMeans, NMF fitted on float64 refuse float32 rows: the same rows in float64
        if X.dtype != np.float32 or not any(t in str(exc) for t in ("Buffer dtype mismatch", "same dtype")):
            raise
        return _outputs(est, X.astype(np.float64), names)


def _outputs(est: Any, X: np.ndarray, names: list[str]) -> list[np.ndarray]:
    if names == ["scores"]:
        return [est.score_samples(X)]
    if names[0] == "label":
        if names[1] == "probabilities":
            second = est.predict_proba(X)
            if isinstance(second, list):  # MultiOutputClassifier: one array per output, side by side
                second = np.hstack(second)
        elif hasattr(est, "code_book_"):  # OutputCodeClassifier: the distances to each class's code
            from sklearn.metrics import euclidean_distances

            codes = [
                m.decision_function(X) if hasattr(m, "decision_function") else m.predict_proba(X)[:, 1] for m in est.estimators_
            ]
            second = euclidean_distances(np.column_stack(codes), est.code_book_)
        elif hasattr(est, "estimators_") and type(est).__name__ == "MultiOutputClassifier":
            second = np.column_stack([m.decision_function(X) for m in est.estimators_])
        elif hasattr(est, "decision_function"):
            second = est.decision_function(X)
        elif hasattr(est, "transform"):
            second = est.transform(X)
        else:  # MeanShift, AffinityPropagation: the distances to the cluster centres
            from sklearn.metrics import euclidean_distances

            second = euclidean_distances(X, est.cluster_centers_)
        return [est.predict(X), second]
    if hasattr(est, "predict"):
        return [est.predict(X)]
    if not hasattr(est, "transform") and hasattr(est, "mahalanobis"):  # covariance estimators: squared distances
        return [est.mahalanobis(X)]
    return [est.transform(X)]


def measure(name: str, cls: type) -> Row:
    """Fit, convert, run and compare one estimator."""
    import onnxruntime as ort

    from onnxalgebra import to_onnx
    from onnxalgebra.registry._convert import UnsupportedEstimatorError

    if name in REASONS:  # nothing to measure
        return Row(name, False, reason=REASONS[name])
    case = case_of(name, cls)
    X, y, X_test = case.data()
    try:
        est = case.make()
        est.fit(X, y) if case.supervised else est.fit(X)
    except Exception as exc:
        return Row(name, False, reason=f"not fitted here ({type(exc).__name__}: {str(exc)[:80]})")
    row = Row(name, True)
    for dtype in ("float32", "float64"):
        sample = X_test if X_test.dtype == object else X_test.astype(dtype)
        try:
            start = time.perf_counter()
            model = to_onnx(est, sample[:1]) if sample.dtype != object else to_onnx(est, sample[:1], dtype=dtype)
            elapsed = time.perf_counter() - start
        except UnsupportedEstimatorError:
            return Row(name, False, reason=REASONS.get(name, "no converter yet"))
        except Exception as exc:
            row.converted = False
            row.differences[dtype] = f"conversion fails: {type(exc).__name__}"
            row.reason = str(exc).splitlines()[0][:120]
            continue
        row.seconds = elapsed if row.seconds is None else min(row.seconds, elapsed)
        names = [o.name for o in model.graph.output]
        try:
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            rank = len(model.graph.input[0].type.tensor_type.shape.dim)
            feed = sample if sample.ndim == rank else sample.reshape(-1, 1)
            got = session.run(None, {model.graph.input[0].name: feed})
            tolerance = LOOSER[name][0] if name in LOOSER and dtype == "float32" else TOLERANCE[dtype]
            expected = sklearn_outputs(est, sample, names, got)
            results = [_compare(e, g, dtype, tolerance) for e, g in zip(expected, got, strict=True)]
        except Exception as exc:
            row.converted = False
            row.differences[dtype] = f"run fails: {type(exc).__name__}"
            row.reason = str(exc).splitlines()[0][:120]
            continue
        row.differences[dtype] = ", ".join(f"{n}: {text}" for n, (_, text) in zip(names, results, strict=True))
        if name in LOOSER and dtype == "float32":
            row.reason = LOOSER[name][1]
        if not all(ok for ok, _ in results):
            row.converted = False
            row.reason = "differs from scikit-learn beyond the tolerance"
    return row


def estimators(only: list[str] | None = None) -> list[tuple[str, type]]:
    from sklearn.utils import all_estimators

    found = [(n, c) for n, c in all_estimators() if only is None or n in only]
    if only:
        unknown = sorted(set(only) - {n for n, _ in found})
        if unknown:
            raise SystemExit(f"not scikit-learn estimators: {unknown}")
    return found


def table(rows: list[Row]) -> str:
    import sklearn

    converted = sum(r.converted for r in rows)
    lines = [
        f"{converted} of the {len(rows)} estimators of scikit-learn {sklearn.__version__} convert "
        "(`make coverage` measures this table: fitted on small generated data, converted with a float32 and a float64 "
        "sample, run in onnxruntime on held-out rows and compared with scikit-learn; labels must be equal, values "
        "within 1e-5 relative in float32 and 1e-10 in float64).",
        "",
        "| estimator | converts | float32: difference | float64: difference | conversion (ms) | reason |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        seconds = f"{r.seconds * 1e3:.1f}" if r.seconds is not None else ""
        d32, d64 = r.differences.get("float32", ""), r.differences.get("float64", "")
        reason = r.reason.replace("|", "\\|")
        lines.append(f"| {r.name} | {'yes' if r.converted else 'no'} | {d32} | {d64} | {seconds} | {reason} |")
    return "\n".join(lines) + "\n"


def converted_in(path: Path) -> list[str]:
    """The estimators a written table lists as converted."""
    names = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[1] == "yes":
            names.append(cells[0])
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="estimator names (default: all)")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("coverage.md"))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    rows = []
    for name, cls in estimators(args.only):
        row = measure(name, cls)
        rows.append(row)
        print(f"{name:36s} {'yes' if row.converted else 'no ':3s} {row.differences} {row.reason}", file=sys.stderr)
    if args.only:
        print(table(rows))
        return 0
    args.output.write_text("# Coverage of scikit-learn\n\n" + table(rows))
    print(f"wrote {args.output}: {sum(r.converted for r in rows)} of {len(rows)} convert")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
