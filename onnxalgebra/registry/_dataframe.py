"""DataFrame inputs: one graph input per column, named after it; each converter sees the columns it expects.

``to_onnx(estimator, df)`` with a pandas DataFrame declares one input per
column, of shape ``[N, 1]``: float32 and float64 columns keep their dtype,
integer columns are int64, booleans bool, and object, string and categorical
columns (of strings) are string tensors. The computation dtype is numpy's
promotion of the numeric columns' dtypes when that is float32, else float64
(``to_onnx(..., dtype=np.float32)`` forces it).

Converters receive the columns as :class:`Columns`, by name, only when they
are marked with :func:`takes_columns` (Pipeline, ColumnTransformer, ...);
every other converter gets one matrix, the columns its estimator was fitted on
in ``feature_names_in_`` order, cast to the computation dtype (strings only
for estimators that take them: an error names the column otherwise).
:func:`dataframe_feeds` makes onnxruntime's feed dict from a DataFrame.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .._errors import ColumnError, ConversionError, OnnxTypeError
from .._expr import Expr, Var
from .._optional import EXTRAS, require
from ..compiler._inputs import BATCH_DIM

__all__ = ["Columns", "dataframe_columns", "dataframe_feeds", "is_dataframe", "takes_columns"]

# pandas comes with the converters' extra (pyproject.toml): a missing pandas names it.
EXTRAS.setdefault("pandas", ("pandas", "sklearn"))

_STRING = np.dtype(object)


def is_dataframe(obj: Any) -> bool:
    """``obj`` is a pandas DataFrame (without importing pandas: a DataFrame means pandas is imported)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def _pandas(purpose: str) -> Any:
    return require("pandas", purpose)


def column_dtype(name: str, dtype: Any) -> np.dtype:
    """The dtype of the graph input of a column of pandas dtype ``dtype``: float32, float64, int64, bool, or object for
    strings."""
    pd = _pandas("DataFrame inputs")
    types = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return column_dtype(name, dtype.categories.dtype)  # the categories' type: strings, or numbers
    if types.is_bool_dtype(dtype):
        return np.dtype(bool)
    if types.is_integer_dtype(dtype):
        return np.dtype(np.int64)
    if types.is_float_dtype(dtype):
        itemsize = np.dtype(getattr(dtype, "numpy_dtype", dtype)).itemsize
        return np.dtype(np.float32 if itemsize <= 4 else np.float64)
    if types.is_string_dtype(dtype) or types.is_object_dtype(dtype):
        return _STRING
    raise OnnxTypeError(
        f"column {name!r}: its dtype {dtype} has no graph input type (numbers, booleans and strings have); "
        "convert it in the DataFrame first (a date to its timestamp, for example)."
    )


def _numpy_dtype(dtype: Any) -> np.dtype | None:
    """The numpy dtype of a numeric pandas dtype (categories' for a categorical one), else None."""
    categories = getattr(dtype, "categories", None)
    if categories is not None:
        dtype = categories.dtype
    dtype = getattr(dtype, "numpy_dtype", dtype)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return None
    return dtype if dtype.kind in "biuf" else None


def forced_dtype(dtype: Any) -> np.dtype:
    """``to_onnx(..., dtype=)`` checked: float32 or float64, the computation dtype."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ConversionError(f"to_onnx: dtype must be np.float32 or np.float64 (the computation dtype), got {dtype}.")
    return dtype


def _computation_dtype(dtypes: Iterable[Any], forced: Any) -> np.dtype:
    if forced is not None:
        return forced_dtype(forced)
    numeric = [d for d in map(_numpy_dtype, dtypes) if d is not None]
    promoted = np.result_type(*numeric) if numeric else np.dtype(np.float64)
    return np.dtype(np.float32 if promoted.kind == "f" and promoted.itemsize <= 4 else np.float64)


def takes_columns(converter: Any) -> Any:
    """Mark ``converter`` as one that takes a :class:`Columns` (a DataFrame's columns by name) as ``X``.

    Unmarked converters get one matrix instead: the columns their estimator
    was fitted on, in ``feature_names_in_`` order, cast to the computation
    dtype. A converter of a meta-estimator marks itself to hand the columns on
    to its sub-estimators (``convert_estimator(step, X)`` adapts them to each).

    >>> @takes_columns
    ... def convert_first_step(est, X):
    ...     return convert_estimator(est.steps[0][1], X)
    >>> convert_first_step.takes_columns
    True
    """
    converter.takes_columns = True
    return converter


def fitted_feature_count(estimator: Any) -> int | None:
    """``estimator.n_features_in_`` when it is a positive int, else None (unknown): absent, None before fitting, or
    0 as CatBoost's models loaded with ``load_model`` report it (they know their features: ``feature_names_``).

    >>> class Loaded:
    ...     n_features_in_ = 0
    >>> fitted_feature_count(Loaded()) is None
    True
    """
    value = getattr(estimator, "n_features_in_", None)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
        return int(value)
    return None


def _name_of(estimator: Any) -> str:
    return "X" if estimator is None else type(estimator).__name__


def accepts_strings(estimator: Any) -> bool:
    """``estimator`` takes string columns: scikit-learn's tags say it takes strings or categories (the encoders),
    or it was fitted on strings (an imputer keeping the most frequent string)."""
    if estimator is None:
        return True
    try:
        tags = estimator.__sklearn_tags__().input_tags
    except Exception:
        tags = None
    if tags is not None and (getattr(tags, "string", False) or getattr(tags, "categorical", False)):
        return True
    statistics = getattr(estimator, "statistics_", None)
    return statistics is not None and np.asarray(statistics).dtype.kind in "OUS"


class Columns:
    """A table's columns as expressions, by name: what :func:`to_onnx` makes of a DataFrame.

    Each column is an ``[N, 1]`` expression (a graph input); ``dtype`` is the
    computation dtype. Converters marked with :func:`takes_columns` receive
    this; :meth:`matrix` puts columns side by side as one expression.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> cols = Columns({"a": Var("a", np.float64, ["N", 1]), "b": Var("b", np.int64, ["N", 1])}, np.float32)
    >>> cols.names, cols.shape
    (['a', 'b'], (None, 2))
    >>> m = cols.matrix()
    >>> m.dtype, m.shape
    (dtype('float32'), (None, 2))
    """

    __slots__ = ("_exprs", "dtype")

    def __init__(self, exprs: dict[str, Expr], dtype: Any):
        self._exprs = dict(exprs)
        self.dtype = np.dtype(dtype)

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return list(self._exprs)

    @property
    def shape(self) -> tuple[None, int]:
        """``(None, number of columns)``, as a matrix of the columns would have."""
        return (None, len(self._exprs))

    def __len__(self) -> int:
        return len(self._exprs)

    def __iter__(self) -> Iterator[str]:
        return iter(self._exprs)

    def __contains__(self, name: object) -> bool:
        return name in self._exprs

    def __getitem__(self, name: str) -> Expr:
        """The ``[N, 1]`` expression of column ``name``."""
        try:
            return self._exprs[name]
        except KeyError:
            raise ColumnError(f"no column {name!r}: the columns are {self.names}.") from None

    def __repr__(self) -> str:
        return f"Columns({self.names}, dtype={self.dtype.name})"

    def is_string(self, name: str) -> bool:
        """Column ``name`` holds strings."""
        return self[name].dtype == _STRING

    def select(self, names: Iterable[str]) -> Columns:
        """The columns ``names``, in that order."""
        names = list(names)
        missing = [n for n in names if n not in self._exprs]
        if missing:
            raise ColumnError(f"no column(s) {missing}: the columns are {self.names}.")
        return Columns({n: self._exprs[n] for n in names}, self.dtype)

    def fitted_names(self, estimator: Any) -> list[str]:
        """The columns ``estimator`` was fitted on, in its ``feature_names_in_`` order (all of them, in order, for
        an estimator fitted without column names); an error names the ones missing."""
        fitted = getattr(estimator, "feature_names_in_", None)
        if fitted is not None:
            names = [str(n) for n in fitted]
            missing = [n for n in names if n not in self._exprs]
            if missing:
                raise ColumnError(
                    f"{_name_of(estimator)} was fitted on the columns {names}; {missing} are not among {self.names}."
                )
            return names
        expected = fitted_feature_count(estimator)
        if expected is not None and expected != len(self):
            raise ConversionError(
                f"{_name_of(estimator)} was fitted on {expected} features (without column names) but gets "
                f"the {len(self)} columns {self.names}."
            )
        return self.names

    def matrix(self, estimator: Any = None, *, names: Iterable[str] | None = None, strings: bool | None = None) -> Expr:
        """The columns side by side, ``[N, n]``: ``names`` (a column may come twice), else those ``estimator`` was
        fitted on, in its order, else all, in order.

        Numbers are cast to the computation dtype. Strings stay strings when
        every column is one and strings are allowed (``strings``, by default
        when :func:`accepts_strings` says the estimator takes them); otherwise
        an error names the string columns and the estimator.
        """
        if names is not None:
            names = list(names)
            self.select(dict.fromkeys(names))  # an error names unknown columns
        else:
            names = self.fitted_names(estimator) if estimator is not None else self.names
        text = list(dict.fromkeys(n for n in names if self.is_string(n)))
        if text:
            allowed = accepts_strings(estimator) if strings is None else strings
            if not allowed:
                raise OnnxTypeError(
                    f"{_name_of(estimator)} computes on numbers but gets the string column(s) {text} "
                    "(object, string or categorical in the DataFrame): encode them first (an encoder in a "
                    "ColumnTransformer) or leave them out; a column of numbers held as objects converts with "
                    "df[column].astype(float)."
                )
            numbers = list(dict.fromkeys(n for n in names if n not in text))
            if numbers:
                raise OnnxTypeError(
                    f"{_name_of(estimator)} gets the string column(s) {text} and the numeric column(s) {numbers} "
                    "together; a tensor holds one type: give them to different transformers."
                )
        parts = [self._exprs[n] for n in names]
        parts = [p if p.dtype in (self.dtype, _STRING) else p.astype(self.dtype) for p in parts]  # equal casts: one node
        if not parts:
            raise ConversionError(f"{_name_of(estimator)}: no column to put side by side.")
        if len(parts) == 1:
            return parts[0]
        from .._operators import operator_class

        return operator_class("Concat")(*parts, axis=1)

    def for_converter(self, estimator: Any, converter: Any) -> Columns | Expr:
        """What ``converter`` takes: these columns when it is marked :func:`takes_columns`, else
        ``self.matrix(estimator)``."""
        if getattr(converter, "takes_columns", False):
            return self
        return self.matrix(estimator)


def dataframe_columns(df: Any, estimator: Any = None, dtype: Any = None) -> tuple[Columns, list[tuple[str, np.dtype, list]]]:
    """The graph inputs of a DataFrame sample, as :class:`Columns` and as ``to_onnx``'s ``(name, dtype, shape)`` list.

    For an estimator fitted with column names, the DataFrame must have exactly
    those columns (an error names the missing and the extra ones); the inputs
    follow the fitted order.
    """
    _pandas("DataFrame inputs (to_onnx with a pandas DataFrame)")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ConversionError(f"the DataFrame has the column(s) {twice} more than once: each column is a graph input.")
    dtypes = dict(zip(names, df.dtypes))
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None:
        fitted = [str(n) for n in fitted]
        missing = [n for n in fitted if n not in dtypes]
        extra = [n for n in names if n not in set(fitted)]
        if missing or extra:
            raise ColumnError(
                f"{_name_of(estimator)} was fitted on the columns {fitted}; the DataFrame "
                + "; ".join(part for part in (missing and f"lacks {missing}", extra and f"has {extra} in addition") if part)
                + ": give a sample with the columns it was fitted on."
            )
        names = fitted
    else:
        expected = fitted_feature_count(estimator)
        if expected is not None and expected != len(names):
            raise ConversionError(
                f"{_name_of(estimator)} was fitted on {expected} features (without column names) but the DataFrame "
                f"has {len(names)} columns: {names}."
            )
    computation = _computation_dtype((dtypes[n] for n in names), dtype)
    inputs = [(n, column_dtype(n, dtypes[n]), [BATCH_DIM, 1]) for n in names]
    columns = Columns({n: Var(n, t, s) for n, t, s in inputs}, computation)
    return columns, inputs


_ORT_TYPES = {
    "float": np.float32,
    "double": np.float64,
    "float16": np.float16,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "bool": np.bool_,
    "string": object,
}


def _declared_inputs(model: Any, df: Any) -> dict[str, np.dtype]:
    """input name -> numpy dtype (object for strings) declared by ``model``, or derived from ``df`` without one."""
    if model is None:
        return {str(c): column_dtype(str(c), t) for c, t in zip(df.columns, df.dtypes)}
    if hasattr(model, "get_inputs"):  # an onnxruntime InferenceSession
        declared = {}
        for node in model.get_inputs():
            inner = node.type[len("tensor(") : -1] if node.type.startswith("tensor(") else None
            if inner not in _ORT_TYPES:
                raise OnnxTypeError(f"dataframe_feeds: input {node.name!r} is a {node.type}, not a tensor a column can feed.")
            declared[node.name] = np.dtype(_ORT_TYPES[inner])
        return declared
    import onnx

    if isinstance(model, bytes):
        model = onnx.load_model_from_string(model)
    elif isinstance(model, (str, os.PathLike)):
        model = onnx.load(os.fspath(model), load_external_data=False)
    if not isinstance(model, onnx.ModelProto):
        raise OnnxTypeError(
            "dataframe_feeds: model must be an onnx.ModelProto, its bytes or path, an onnxruntime InferenceSession, "
            f"or None; got {type(model).__name__}."
        )
    initializers = {t.name for t in model.graph.initializer}
    declared = {}
    for info in model.graph.input:
        if info.name in initializers:
            continue
        elem = info.type.tensor_type.elem_type if info.type.HasField("tensor_type") else 0
        if elem == 0:
            raise OnnxTypeError(f"dataframe_feeds: input {info.name!r} is not a tensor a column can feed.")
        declared[info.name] = _STRING if elem == onnx.TensorProto.STRING else np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem))
    return declared


def _column_values(name: str, series: Any, dtype: np.dtype) -> np.ndarray:
    if dtype == _STRING:  # as onnxruntime feeds an object array: str() of each value (None: 'None', NaN: 'nan')
        values = series.to_numpy(dtype=object)
        if not all(isinstance(v, str) for v in values):
            values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
        return values
    try:
        if dtype.kind == "f":
            return series.to_numpy(dtype=dtype, na_value=np.nan)
        if series.isna().any():
            raise ConversionError(
                f"dataframe_feeds: column {name!r} has missing values but the model's input is {dtype}, "
                "which cannot hold them (fit and convert with the column as floats)."
            )
        return series.to_numpy(dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"dataframe_feeds: column {name!r} ({series.dtype}) does not convert to {dtype}: {exc}") from None


def dataframe_feeds(model: Any, df: Any) -> dict[str, np.ndarray]:
    """onnxruntime's feeds from a DataFrame: ``{column: df[[column]].to_numpy()}`` in the dtype each input declares.

    ``model`` is the ``onnx.ModelProto`` (or its bytes or path, or an
    onnxruntime ``InferenceSession``) whose inputs are the columns, as
    :func:`to_onnx` makes from a DataFrame; with ``None``, each column takes
    the type ``to_onnx`` would declare for it. Every array is ``[N, 1]``;
    strings are object arrays, any other value as ``str()`` of it, as
    onnxruntime feeds an object array (a missing ``None`` is ``'None'``, ``NaN`` is ``'nan'``,
    which is how the encoders and imputers match a missing category). The DataFrame
    must have exactly the model's inputs as columns (an error names the
    missing and the extra ones).

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from onnxalgebra import to_onnx
    >>> df = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "rooms": [1, 1, 2, 3]})
    >>> reg = LinearRegression().fit(df, [10.0, 20.0, 31.0, 42.0])
    >>> model = to_onnx(reg, df)
    >>> [i.name for i in model.graph.input]
    ['size', 'rooms']
    >>> feeds = dataframe_feeds(model, df)
    >>> feeds["rooms"].dtype, feeds["rooms"].shape
    (dtype('int64'), (4, 1))
    """
    _pandas("dataframe_feeds")
    if not is_dataframe(df):
        raise OnnxTypeError(f"dataframe_feeds: expected a pandas DataFrame, got {type(df).__name__}.")
    declared = _declared_inputs(model, df)
    by_name = {str(c): c for c in df.columns}
    missing = [n for n in declared if n not in by_name]
    extra = [n for n in by_name if n not in declared]
    if missing or extra:
        problems = "; ".join(p for p in (missing and f"lacks {missing}", extra and f"has {extra} in addition") if p)
        raise ColumnError(f"dataframe_feeds: the model's inputs are {list(declared)}; the DataFrame {problems}.")
    return {n: _column_values(n, df[by_name[n]], t).reshape(-1, 1) for n, t in declared.items()}
