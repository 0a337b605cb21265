"""Fitted estimators to expressions: the converter registry, ``OnnxSubEstimator``, ``to_onnx``.

A converter is a function ``fn(estimator, X)`` (optionally ``fn(estimator, X,
options)``) returning the estimator's outputs as expressions of ``X``, in the
order of the output contract:

- classifier: ``label`` (values and dtype family of ``classes_``) and
  ``probabilities`` [N, n_classes] (``scores``, the decision function, when the
  estimator has no ``predict_proba``);
- regressor and transformer: ``variable``;
- clusterer and outlier detector: ``label`` and ``scores``.

While a converter runs, float numpy arrays it combines with expressions take
the computation dtype, the dtype of ``X``: ``(X - est.mean_) / est.scale_`` is
float32 for a float32 ``X`` and float64 for a float64 ``X``, with no cast.
Converters of other packages are found through the entry-point group
``onnxalgebra.converters``; this package registers none itself.

Thread safety: the entry points are loaded once, by the first thread that
needs a converter not yet registered, under a lock; until they are loaded
every lookup takes that lock, so a thread never sees the registry half
filled by another (a ``Pipeline`` found, its steps' converters not yet). The
conversion state (computation dtype, target opsets) is in context variables,
each thread's own.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._context import FLOAT_DTYPE as _FLOAT_DTYPE
from .._context import TARGET_OPSET as _TARGET_OPSET
from .._errors import ConversionError, EstimatorNotFittedError, OnnxAlgebraError, OnnxTypeError
from .._expr import Expr, Var
from .._numpy_ops import NumpyOperators
from .._types import TensorType, ValueType
from ..compiler._compile import compile_model
from ..compiler._inputs import type_of_sample
from ..compiler._opset import check_target_opset
from ._dataframe import Columns, dataframe_columns, fitted_feature_count, forced_dtype, is_dataframe

__all__ = [
    "ENTRY_POINT_GROUP",
    "OnnxSubEstimator",
    "UnsupportedEstimatorError",
    "computation_dtype",
    "convert_estimator",
    "find_converter",
    "output_names_for",
    "register_converter",
]

ENTRY_POINT_GROUP = "onnxalgebra.converters"
Converter = Callable[..., Any]

_REGISTRY: dict[type, Converter] = {}
_REGISTRY_BY_NAME: dict[str, Converter] = {}  # "module.QualName" -> converter: classes of libraries not imported yet
_ENTRY_POINTS_LOADED = False  # set once every entry point has been loaded (or has failed to)
_LOADING = False  # True while the thread holding _LOAD_LOCK loads them
_LOAD_LOCK = threading.RLock()  # held while the entry points load, and by lookups until they are loaded
_FAILED_PACKAGES: dict[str, str] = {}  # entry-point name -> why its package is not loaded (reported once)


class UnsupportedEstimatorError(OnnxAlgebraError, TypeError):
    """No converter is registered for an estimator's class or any of its bases."""


def computation_dtype() -> np.dtype:
    """The float dtype the converter running now computes in: X's float dtype, or the one ``to_onnx`` chose for
    other inputs (float32 outside a conversion, as for X of integers or strings without ``dtype=``).

    >>> computation_dtype()
    dtype('float32')
    """
    return np.dtype(_FLOAT_DTYPE.get() or np.float32)


def register_converter(cls: type | str, fn: Converter | None = None) -> Any:
    """Register ``fn`` as the converter of ``cls`` (and its subclasses); usable as a decorator.

    ``cls`` may also be a class's full name, ``"module.QualName"`` (its
    ``__module__`` and ``__qualname__``): the converter of a library's class is
    then registered without importing the library, and found when an estimator
    of that class (or of a subclass) is converted.

    >>> class Doubler:
    ...     pass
    >>> @register_converter(Doubler)
    ... def convert_doubler(est, X):
    ...     return X * 2
    >>> find_converter(Doubler()) is convert_doubler
    True
    >>> register_converter(f"{Doubler.__module__}.{Doubler.__qualname__}", convert_doubler) is convert_doubler
    True
    """
    if isinstance(cls, str):
        if "." not in cls:
            raise TypeError(
                f"register_converter({cls!r}): a class name must be 'module.QualName', e.g. 'lightgbm.sklearn.LGBMRegressor'."
            )
    elif not isinstance(cls, type):
        raise TypeError(f"register_converter: expected a class or 'module.QualName', got {cls!r}.")

    def decorate(func: Converter) -> Converter:
        if not callable(func):
            raise TypeError(f"register_converter({cls!r}): the converter must be callable, got {func!r}.")
        if isinstance(cls, str):
            _REGISTRY_BY_NAME[cls] = func
        else:
            _REGISTRY[cls] = func
        return func

    return decorate if fn is None else decorate(fn)


def _load_entry_points() -> None:
    """Import the converter packages declared in the entry-point group (once, whichever threads ask at once).

    A thread arriving while another loads them waits until they are all
    loaded; the loading thread itself, asking again (a package looking up a
    converter while it registers its own), returns at once.
    """
    global _ENTRY_POINTS_LOADED, _LOADING
    if _ENTRY_POINTS_LOADED:
        return
    with _LOAD_LOCK:
        if _ENTRY_POINTS_LOADED or _LOADING:
            return
        _LOADING = True
        try:
            from importlib.metadata import entry_points

            for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                try:
                    loaded = entry.load()
                    if callable(loaded) and not isinstance(loaded, type):
                        loaded()  # a function that registers its converters
                except ImportError as exc:  # MissingDependencyError included: the others and the user's converters go on
                    message = f"the converter package {entry.name!r} ({entry.value}) is not loaded: {exc}"
                    _FAILED_PACKAGES[entry.name] = message
                    warnings.warn(message, stacklevel=3)
        finally:  # a package failing otherwise is not retried at each lookup
            _LOADING = False
            _ENTRY_POINTS_LOADED = True


def _registered(estimator: Any) -> Converter | None:
    for cls in type(estimator).__mro__:
        fn = _REGISTRY.get(cls)
        if fn is None and _REGISTRY_BY_NAME:
            fn = _REGISTRY_BY_NAME.get(f"{cls.__module__}.{cls.__qualname__}")
        if fn is not None:
            return fn
    return None


def find_converter(estimator: Any) -> Converter:
    """The converter of ``estimator``'s class or of its nearest registered base class.

    The entry points are loaded the first time a class has no converter
    registered (a converter registered by the user is found without them).
    """
    if _ENTRY_POINTS_LOADED:
        fn = _registered(estimator)
    else:
        with _LOAD_LOCK:  # another thread may be filling the registry: wait until it is done
            fn = _registered(estimator)
            if fn is None:
                _load_entry_points()
                fn = _registered(estimator)
    if fn is not None:
        return fn
    name = type(estimator).__name__
    failed = "".join(f"\nNote: {message}" for message in _FAILED_PACKAGES.values())
    raise UnsupportedEstimatorError(
        f"no converter for {type(estimator).__module__}.{name}. Register one written with the algebra:\n"
        f"    from onnxalgebra import register_converter\n"
        f"    @register_converter({name})\n"
        f"    def convert_{name.lower()}(est, X):\n"
        f"        return ...  # an expression of X, e.g. (X - est.mean_) / est.scale_\n"
        f"or expose it in the entry-point group {ENTRY_POINT_GROUP!r}.{failed}"
    )


def _kind(estimator: Any) -> str:
    kind = getattr(estimator, "_estimator_type", None)
    if kind == "DensityEstimator":  # how scikit-learn < 1.4 spells it (GaussianMixture)
        kind = "density_estimator"
    if kind is None:  # scikit-learn >= 1.6 keeps it in the tags
        tags = getattr(estimator, "__sklearn_tags__", None)
        if tags is not None:
            try:
                kind = tags().estimator_type
            except Exception:
                kind = None
    if kind is None and hasattr(estimator, "transform"):
        kind = "transformer"
    if kind is None and not hasattr(estimator, "predict") and hasattr(estimator, "score_samples"):
        kind = "density_estimator"  # KernelDensity
    return kind or "transformer"


def output_names_for(estimator: Any, options: dict[str, Any] | None = None) -> tuple[str, ...]:
    """Names of the graph outputs of ``estimator``, from the output contract.

    A regressor converted with ``options={'return_std': True}`` (BayesianRidge,
    GaussianProcessRegressor, ...) has a second output, ``std``.

    >>> from sklearn.linear_model import BayesianRidge, LogisticRegression
    >>> output_names_for(LogisticRegression()), output_names_for(BayesianRidge(), {"return_std": True})
    (('label', 'probabilities'), ('variable', 'std'))
    """
    kind = _kind(estimator)
    if options and options.get("return_std") and kind == "regressor":
        return ("variable", "std")
    if kind == "classifier":
        return ("label", "probabilities") if hasattr(estimator, "predict_proba") else ("label", "scores")
    if kind in ("clusterer", "outlier_detector", "density_estimator"):
        if not hasattr(estimator, "predict"):  # FeatureAgglomeration: transform; KernelDensity: score_samples only
            return ("variable",) if hasattr(estimator, "transform") else ("scores",)
        if kind != "outlier_detector" and hasattr(estimator, "predict_proba"):  # GaussianMixture
            return ("label", "probabilities")
        return ("label", "scores")  # KMeans: transform's distances; outlier detectors: decision_function
    return ("variable",)


def _check_fitted(estimator: Any) -> None:
    """scikit-learn's ``check_is_fitted``, raising :class:`EstimatorNotFittedError` that names the estimator (and a
    Pipeline's first step that is not fitted)."""
    if _is_fitted(estimator):
        return
    try:
        from sklearn.base import BaseEstimator
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted
    except ImportError:  # pragma: no cover - converters of other libraries
        return
    if not isinstance(estimator, BaseEstimator):
        return
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        name = type(estimator).__name__
        if name == "HashingVectorizer":  # needs no fit; scikit-learn < 1.6 (no requires_fit tag) calls it unfitted
            return
        for step_name, step in getattr(estimator, "steps", None) or ():
            if isinstance(step, BaseEstimator):
                try:
                    check_is_fitted(step)
                except NotFittedError:
                    raise _not_fitted_error()(
                        f"{name}: its step {step_name!r} ({type(step).__name__}) is not fitted: fit the {name} before "
                        "converting it."
                    ) from None
        raise _not_fitted_error()(f"{name} is not fitted: call fit before converting it.") from None


def _is_fitted(estimator: Any) -> bool:
    """scikit-learn's own test of a fitted estimator (``__sklearn_is_fitted__``, else an attribute whose name ends
    with ``_``), without reading its tags: True settles it; False goes through ``check_is_fitted``, which also
    accepts an estimator that needs no fit."""
    is_fitted = getattr(estimator, "__sklearn_is_fitted__", None)
    if is_fitted is not None:
        return bool(is_fitted())
    return any(name.endswith("_") and not name.startswith("__") for name in getattr(estimator, "__dict__", ()))


@functools.cache
def _not_fitted_error() -> type[EstimatorNotFittedError]:
    """:class:`EstimatorNotFittedError` that is also scikit-learn's ``NotFittedError`` (what code around a
    conversion may already catch)."""
    from sklearn.exceptions import NotFittedError

    return type(
        "EstimatorNotFittedError",
        (EstimatorNotFittedError, NotFittedError),
        {"__module__": EstimatorNotFittedError.__module__, "__doc__": EstimatorNotFittedError.__doc__},
    )


def _check_features(estimator: Any, X: Expr) -> None:
    expected = fitted_feature_count(estimator)
    shape = X.shape
    if expected is None or shape is None or len(shape) != 2 or not isinstance(shape[1], int):
        return
    if shape[1] != expected:
        raise ConversionError(
            f"{type(estimator).__name__} was fitted on {expected} features but X has {shape[1]} "
            f"(type {X.type}); give a sample of shape (n, {expected})."
        )


def _check_rank(estimator: Any, sample: Any) -> None:
    """A 1-D numpy sample for an estimator fitted on several features: it needs rows x features."""
    expected = fitted_feature_count(estimator)
    if isinstance(sample, np.ndarray) and sample.ndim == 1 and expected is not None and expected > 1:
        raise ConversionError(
            f"to_onnx({type(estimator).__name__}): X must be a 2-D sample (rows x {expected} features), got shape "
            f"{sample.shape}; give X[:1] rather than X[0], or x.reshape(1, -1)."
        )


def convert_estimator(estimator: Any, X: Any, options: dict[str, Any] | None = None) -> tuple[Expr, ...]:
    """The outputs of ``estimator``'s converter applied to the expression ``X``.

    This is how converters convert their sub-estimators (pipeline steps,
    ensemble members). ``X`` must have a known dtype. ``X`` may also be
    :class:`~onnxalgebra.Columns` (a DataFrame's columns): a converter marked
    :func:`~onnxalgebra.takes_columns` receives them, any other one the
    matrix of the columns its estimator was fitted on.

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from onnxalgebra import Var
    >>> reg = LinearRegression().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
    >>> (prediction,) = convert_estimator(reg, Var("X", np.float64, [None, 2]))
    >>> prediction.dtype, prediction.shape
    (dtype('float64'), (None, 1))
    """
    if not isinstance(X, (Expr, Columns)):
        raise OnnxAlgebraError(f"convert_estimator: X must be an expression, got {type(X).__name__}.")
    _check_fitted(estimator)
    return _convert_fitted(estimator, X, options)


def _takes_options(fn: Any) -> bool:
    """``fn`` (a converter) has an ``options`` parameter (remembered per converter: inspect.signature costs a
    sixth of a small model's conversion)."""
    try:
        return _takes_options_of(fn)
    except TypeError:  # an unhashable callable
        return "options" in inspect.signature(fn).parameters


@functools.lru_cache(maxsize=1024)
def _takes_options_of(fn: Any) -> bool:
    return "options" in inspect.signature(fn).parameters


def _convert_fitted(
    estimator: Any, X: Expr | Columns, options: dict[str, Any] | None, expected: tuple[str, ...] | None = None
) -> tuple[Expr, ...]:
    """:func:`convert_estimator` once ``estimator`` is known to be fitted (``expected``: its output names, when the
    caller has them: reading scikit-learn's tags costs up to 10 us)."""
    fn = find_converter(estimator)
    if isinstance(X, Columns):
        X = X.for_converter(estimator, fn)  # the columns, or the matrix of those it was fitted on
    if isinstance(X, Expr):
        _check_features(estimator, X)
    dtype = X.dtype
    if dtype is None or dtype.kind != "f":
        dtype = _FLOAT_DTYPE.get() or np.dtype(np.float32)
    token = _FLOAT_DTYPE.set(np.dtype(dtype))
    try:
        if _takes_options(fn):
            result = fn(estimator, X, options=dict(options or {}))
        elif options:
            raise ConversionError(
                f"{type(estimator).__name__}: its converter {getattr(fn, '__name__', fn)!r} takes no options, "
                f"got options={dict(options)!r}; leave them out."
            )
        else:
            result = fn(estimator, X)
    finally:
        _FLOAT_DTYPE.reset(token)
    outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if expected is None:
        expected = output_names_for(estimator, options)
    if len(outputs) != len(expected) or not all(isinstance(o, (Expr, OnnxSubEstimator)) for o in outputs):
        raise ConversionError(
            f"the converter {getattr(fn, '__name__', fn)!r} of {type(estimator).__name__} returned "
            f"{len(outputs)} value(s) ({', '.join(type(o).__name__ for o in outputs)}); "
            f"the output contract expects {len(expected)} expression(s): {', '.join(expected)}."
        )
    return tuple(o.outputs[0] if isinstance(o, OnnxSubEstimator) else o for o in outputs)


class OnnxSubEstimator(NumpyOperators):
    """A fitted estimator inside a custom expression: ``OnnxSubEstimator(clr, 'X')[1]`` is its probabilities.

    ``X`` is an expression or a graph input name; when its dtype is unknown,
    ``dtype`` (default float32) decides the computation dtype. Used directly
    as an input, it stands for its first output.

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> reg = LinearRegression().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
    >>> doubled = OnnxSubEstimator(reg, "X") * 2
    """

    __slots__ = ("estimator", "outputs")

    def __init__(self, estimator: Any, X: Any, options: dict[str, Any] | None = None, dtype: Any = None):
        if isinstance(X, str):
            X = Var(X, np.dtype(dtype or np.float32), [None, fitted_feature_count(estimator)])
        self.estimator = estimator
        self.outputs = list(convert_estimator(estimator, X, options))

    def __getitem__(self, index: int) -> Expr:
        return self.outputs[index]

    def __iter__(self) -> Iterator[Expr]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    def as_expression(self) -> Expr:
        """The first output, what the sub-estimator stands for as an operator input."""
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"OnnxSubEstimator({type(self.estimator).__name__}, outputs={len(self.outputs)})"


def input_type(X: Any, estimator: Any) -> ValueType:
    """The graph input type described by ``X``: a numpy sample (first dim symbolic), a dtype, or a type."""
    if isinstance(X, np.ndarray):
        return type_of_sample(X)
    if isinstance(X, TensorType):
        return X
    if X is None:
        raise OnnxTypeError(f"to_onnx({type(estimator).__name__}): give X, a numpy sample such as X[:1].astype(np.float32).")
    try:
        from ..compiler._inputs import parse_inputs

        ((_, vtype),) = parse_inputs([("X", *X)] if isinstance(X, tuple) else [X])
        return vtype
    except Exception:
        raise OnnxTypeError(
            f"to_onnx({type(estimator).__name__}): X must be a numpy sample or (dtype, shape), got {X!r}."
        ) from None


def zipmap(estimator: Any, probabilities: Expr) -> Expr:
    """Probabilities as a sequence of maps class -> probability (``options={'zipmap': True}``)."""
    from .._operators import operator_class

    classes = getattr(estimator, "classes_", None)
    several = isinstance(classes, list) and any(np.ndim(c) for c in classes)  # MultiOutputClassifier, ClassifierChain
    if classes is None or several or np.ndim(classes) != 1:
        raise ConversionError(
            f"to_onnx({type(estimator).__name__}): options={{'zipmap': True}} applies to a classifier of one output "
            f"(classes_ one list of labels); {type(estimator).__name__} predicts several outputs, each with its own "
            "classes: leave zipmap out."
        )
    classes = np.asarray(classes)
    proba = probabilities  # ZipMap takes float: a cast for other dtypes only
    if probabilities.dtype != np.float32:
        proba = operator_class("Cast")(probabilities, to=1)
    if classes.dtype.kind in "iub":
        return operator_class("ZipMap")(proba, classlabels_int64s=[int(c) for c in classes])
    return operator_class("ZipMap")(proba, classlabels_strings=[str(c) for c in classes])


def estimator_to_onnx(
    estimator: Any,
    X: Any,
    *,
    name: str = "X",
    target_opset: Any = None,
    options: dict[str, Any] | None = None,
    dtype: Any = None,
) -> Any:
    """Convert a fitted estimator into a ``ModelProto`` with the contract's output names.

    ``X`` is a numpy sample, a type, or a pandas DataFrame (one input per
    column); ``dtype`` forces the computation dtype (the input keeps its own).
    """
    check_target_opset(target_opset)
    if options is not None and not isinstance(options, dict):
        raise OnnxTypeError(
            f"to_onnx({type(estimator).__name__}): options must be a dict such as {{'zipmap': False}}, "
            f"got a {type(options).__name__} ({options!r:.60})."
        )
    _check_fitted(estimator)
    names = output_names_for(estimator, {k: v for k, v in (options or {}).items() if k != "zipmap"})
    inputs: Any = None
    if is_dataframe(X):
        X, inputs = dataframe_columns(X, estimator, dtype)
        clash = [n for n in X.names if n in names]
        if clash:
            raise ConversionError(f"to_onnx({type(estimator).__name__}): the column(s) {clash} have the name of an output.")
    else:
        _check_rank(estimator, X)
        X = Var(name, input_type(X, estimator))
        if dtype is not None:
            dtype = forced_dtype(dtype)
            if X.dtype is not None and X.dtype.kind in "fiub" and X.dtype != dtype:  # strings stay strings (text)
                X = X.astype(dtype)
    options = dict(options or {})
    want_zipmap = options.pop("zipmap", False)
    if not isinstance(want_zipmap, (bool, np.bool_)):
        raise OnnxTypeError(
            f"to_onnx({type(estimator).__name__}): options={{'zipmap': ...}} takes a bool (True or False), "
            f"got {want_zipmap!r}."
        )
    if want_zipmap and names[-1] != "probabilities":
        raise ConversionError(
            f"to_onnx({type(estimator).__name__}): options={{'zipmap': True}} applies to classifiers with predict_proba only."
        )
    token = _TARGET_OPSET.set(target_opset)  # converters build operators that fit it (onnxalgebra.target_opset())
    forced = _FLOAT_DTYPE.set(np.dtype(dtype)) if dtype is not None else None  # strings in: the computation dtype
    try:
        outputs = list(_convert_fitted(estimator, X, options, names))  # checked above
    except OnnxTypeError as exc:
        if isinstance(X, Expr) and X.dtype is not None and X.dtype.kind in "iub" and dtype is None:
            raise OnnxTypeError(
                f"to_onnx({type(estimator).__name__}): its converter does not take the {X.dtype} sample ({exc}); "
                f"convert with dtype=np.float32 (or np.float64): the input stays {X.dtype} and is cast in the graph."
            ) from None
        raise
    finally:
        if forced is not None:
            _FLOAT_DTYPE.reset(forced)
        _TARGET_OPSET.reset(token)
    if want_zipmap:
        outputs[-1] = zipmap(estimator, outputs[-1])
    return compile_model(outputs, inputs, outputs_spec=list(names), target_opset=target_opset)
