"""One fitted instance of every estimator class the package converts, with held-out rows to predict.

Used by the opset tests (every converter honours ``target_opset``) and by
``tests/oldest_runtime/export_models.py`` (every converter's model, built
with defaults, loads in the oldest onnxruntime ``pyproject.toml`` allows).
:func:`covers_every_converter` keeps the list complete as converters are added.
"""

import sys
import warnings
from functools import cache
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.linear_model import Lasso, LassoLars, LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (
    Binarizer,
    FunctionTransformer,
    KBinsDiscretizer,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor


@cache
def _classification():
    X, y = make_classification(400, 8, n_informative=5, n_classes=3, random_state=0)
    return train_test_split(X, y, random_state=0)


@cache
def _regression():
    X, y = make_regression(400, 8, noise=0.1, random_state=0)
    return train_test_split(X, y, random_state=0)


def fitted_estimators() -> dict[str, tuple[object, np.ndarray]]:
    """name -> (fitted estimator, held-out float64 rows)."""
    Xc, Xc_test, yc, _ = _classification()
    Xr, Xr_test, yr, _ = _regression()
    classifiers = {
        "LogisticRegression": LogisticRegression(max_iter=1000),
        "SGDClassifier": SGDClassifier(loss="log_loss", random_state=0),
        "LinearSVC": LinearSVC(),
        "BernoulliNB": BernoulliNB(binarize=0.0),
        "CalibratedClassifierCV": CalibratedClassifierCV(LinearSVC(), cv=3),
        "CalibratedClassifierCV-isotonic": CalibratedClassifierCV(BernoulliNB(), cv=3, method="isotonic"),
        "DecisionTreeClassifier": DecisionTreeClassifier(max_depth=6, random_state=0),
        "RandomForestClassifier": RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0),
        "ExtraTreesClassifier": ExtraTreesClassifier(n_estimators=10, max_depth=6, random_state=0),
        "AdaBoostClassifier": AdaBoostClassifier(n_estimators=10, random_state=0),
        "Pipeline": Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))]),
        "ExtraTreeClassifier": ExtraTreeClassifier(max_depth=6, random_state=0),
        "GradientBoostingClassifier": GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0),
        "HistGradientBoostingClassifier": HistGradientBoostingClassifier(max_iter=10, random_state=0),
        "BaggingClassifier": BaggingClassifier(n_estimators=5, max_features=0.6, random_state=0),
        "VotingClassifier": VotingClassifier(
            [("lr", LogisticRegression(max_iter=1000)), ("tree", DecisionTreeClassifier(max_depth=4, random_state=0))],
            voting="soft",
        ),
        "StackingClassifier": StackingClassifier(
            [("lr", LogisticRegression(max_iter=1000)), ("tree", DecisionTreeClassifier(max_depth=4, random_state=0))],
            final_estimator=LogisticRegression(max_iter=1000),
        ),
    }
    regressors = {
        "LinearRegression": LinearRegression(),
        "Ridge": Ridge(),
        "Lasso": Lasso(alpha=0.1),
        "LassoLars": LassoLars(alpha=0.1),
        "DecisionTreeRegressor": DecisionTreeRegressor(max_depth=6, random_state=0),
        "RandomForestRegressor": RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0),
        "ExtraTreesRegressor": ExtraTreesRegressor(n_estimators=10, max_depth=6, random_state=0),
        "AdaBoostRegressor": AdaBoostRegressor(n_estimators=10, random_state=0),
        "ExtraTreeRegressor": ExtraTreeRegressor(max_depth=6, random_state=0),
        "GradientBoostingRegressor": GradientBoostingRegressor(n_estimators=10, max_depth=3, random_state=0),
        "HistGradientBoostingRegressor": HistGradientBoostingRegressor(max_iter=10, random_state=0),
        "BaggingRegressor": BaggingRegressor(n_estimators=5, max_features=0.6, random_state=0),
        "VotingRegressor": VotingRegressor(
            [("lr", LinearRegression()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]
        ),
        "StackingRegressor": StackingRegressor(
            [("lr", LinearRegression()), ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))], final_estimator=Ridge()
        ),
        "TransformedTargetRegressor": TransformedTargetRegressor(LinearRegression(), transformer=StandardScaler()),
        "IsolationForest": IsolationForest(n_estimators=10, random_state=0),
    }
    transformers = {
        "StandardScaler": StandardScaler(),
        "RobustScaler": RobustScaler(),
        "Binarizer": Binarizer(threshold=0.1),
        "FeatureUnion": FeatureUnion([("s", StandardScaler()), ("b", Binarizer())]),
        "ColumnTransformer": ColumnTransformer([("s", StandardScaler(), [0, 1, 2]), ("r", RobustScaler(), slice(3, 8))]),
        "FunctionTransformer": FunctionTransformer(np.abs),
        "KBinsDiscretizer": KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="uniform"),
    }
    # rows with missing values, and categories (the features rounded), for the imputers and encoders
    Xn, Xn_test = _with_missing(Xc), _with_missing(Xc_test, seed=1)
    Xk, Xk_test = np.round(Xc), np.round(Xc_test)
    with_missing = {
        "SimpleImputer": SimpleImputer(strategy="median", add_indicator=True),
        "KNNImputer": KNNImputer(n_neighbors=3),
        "MissingIndicator": MissingIndicator(features="all"),
    }
    categorical = {
        "OneHotEncoder": OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        "OrdinalEncoder": OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
        "TargetEncoder": TargetEncoder(random_state=0),
    }
    fitted: dict[str, tuple[object, np.ndarray]] = {}
    for name, est in classifiers.items():
        fitted[name] = (est.fit(Xc, yc), Xc_test)
    for name, est in regressors.items():
        fitted[name] = (est.fit(Xr, yr), Xr_test)
    for name, est in transformers.items():
        fitted[name] = (est.fit(Xc), Xc_test)
    for name, est in with_missing.items():
        fitted[name] = (est.fit(Xn), Xn_test)
    for name, est in categorical.items():
        fitted[name] = (est.fit(Xk, yc), Xk_test)
    from sklearn.isotonic import IsotonicRegression  # one feature; out of bounds clipped (scikit-learn's default: NaN)

    fitted["IsotonicRegression"] = (IsotonicRegression(out_of_bounds="clip").fit(Xr[:, :1], yr), Xr_test[:, :1])
    fitted.update(_every_other_converter(set(fitted)))
    return fitted


def _registered() -> dict[str, type]:
    """The scikit-learn classes that have a converter, by name."""
    from onnxalgebra_converters import scikit_learn as converters

    from onnxalgebra.registry import _convert

    converters.register()
    return {cls.__name__: cls for cls in _convert._REGISTRY if cls.__module__.startswith("sklearn")}


def _every_other_converter(done: set[str]) -> dict[str, tuple[object, np.ndarray]]:
    """Each registered class not listed above, fitted as ``docs/estimator_coverage.py`` fits it (rows of numbers
    only: text vectorizers are tested on their own)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
    import estimator_coverage

    fitted = {}
    for name, cls in sorted(_registered().items()):
        if name in done or name in LABEL_ENCODERS:
            continue
        case = estimator_coverage.case_of(name, cls)
        X, y, X_test = case.data()
        if X_test.dtype == object:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = case.make()
            est.fit(X, y) if case.supervised else est.fit(X)
        fitted[name] = (est, X_test)
    return fitted


LABEL_ENCODERS = {"LabelEncoder", "LabelBinarizer"}  # they encode labels, not rows
TEXT = {"CountVectorizer", "TfidfVectorizer", "HashingVectorizer"}  # strings in: tests/test_converters_text.py


def _with_missing(X: np.ndarray, seed: int = 0) -> np.ndarray:
    """``X`` with one value in ten missing."""
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < 0.1] = np.nan
    return X


def covers_every_converter() -> set[str]:
    """The registered scikit-learn classes (LabelEncoder and LabelBinarizer aside: they encode labels, not rows) missing
    here."""
    present = {type(est).__name__ for est, _ in fitted_estimators().values()}
    return set(_registered()) - present - LABEL_ENCODERS - TEXT
