"""Categorical encoders: OneHotEncoder, OrdinalEncoder, TargetEncoder, LabelBinarizer.

Each column's values become what the fitted ``categories_`` give them through
one ``ai.onnx.ml`` LabelEncoder (a hash table: string, int64, float or double
keys; NaN keys match NaN, ``-0.0`` matches ``0.0``, as numpy's comparisons):

- OneHotEncoder: the column of the output each category goes to (infrequent
  categories grouped, the dropped one going nowhere), then one ``Equal`` of all
  the codes against ``0..width-1`` and a ``Cast``: the dense 0/1 matrix. When
  every output column is one numeric category (no infrequent group, no NaN
  category), no lookup is needed: the input's columns compared with the
  categories directly (one ArrayFeatureExtractor, one ``Equal``, one ``Cast``:
  2.2x faster at 1,000 rows);
- OrdinalEncoder and binary or continuous TargetEncoder: the encoded value
  itself, in the computation dtype (a multiclass TargetEncoder: a row of a
  table of encodings, one ``Gather``);
- LabelBinarizer: the class position, compared with every class.

Keys follow the input: a value equals a category when numpy says so (a float32
input meets a float64 category only when the category is a float32 number; an
int64 input meets integral categories). String inputs are string tensors:
onnxruntime feeds an object array as ``str`` of each element, so ``None``
arrives as ``'None'`` and ``np.nan`` as ``'nan'``, which is what a category
``None`` or ``nan`` of an object column is matched with.

Outputs are in the computation dtype (the float dtype of X, float32 for
integer and string inputs), whatever the encoder's ``dtype``: the same values
(0/1, codes), in the type the next step of a pipeline computes in (an integer
``dtype`` would reach a linear model's Gemm or a ColumnTransformer's Concat as
integers, which they do not take); a value
scikit-learn would reject (an unknown category with ``handle_unknown='error'``)
gives a row of zeros (OneHotEncoder) or NaN (OrdinalEncoder).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from onnxalgebra import (
    Columns,
    Expr,
    OnnxAlgebraError,
    OnnxArrayFeatureExtractor,
    OnnxCast,
    OnnxConcat,
    OnnxEqual,
    OnnxGather,
    OnnxLabelEncoder,
    OnnxLabelEncoder_2,
    OnnxReshape,
    OnnxUnsqueeze,
    OnnxWhere,
    computation_dtype,
    takes_columns,
    target_opset,
)

# --- keys: the values of an input that equal each category ---


def is_nan(value: Any) -> bool:
    """``value`` is a float NaN (a missing value in scikit-learn's categories)."""
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def input_kind(X: Expr) -> str:
    """How ``X``'s values meet categories: ``'string'``, ``'int'`` (any integer or bool type, compared as int64) or
    ``'float'``."""
    dtype = X.dtype
    if dtype is None:
        raise OnnxAlgebraError("the categorical converters need X's dtype: give a sample or a typed Var.")
    if dtype.kind in "OUS":
        return "string"
    if dtype.kind in "iub":
        return "int"
    if dtype.kind == "f":
        return "float"
    raise OnnxAlgebraError(f"the categorical converters take string, integer or float inputs, not {dtype}.")


def as_int64(X: Expr) -> Expr:
    """An integer or bool ``X`` as int64 (the key type of LabelEncoder)."""
    return X if X.dtype == np.int64 else OnnxCast(X, to=7)


def string_key(value: Any) -> str:
    """The string onnxruntime makes of an object array's element: ``str(value)`` (``None`` -> ``'None'``, ``np.nan``
    -> ``'nan'``, ``3`` -> ``'3'``)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def key_of(value: Any, kind: str, dtype: np.dtype) -> Any:
    """The key an input of ``kind`` (and ``dtype`` for floats) must equal to be ``value``; None when none can.

    Floats: ``value`` in the input's dtype when it converts exactly (numpy compares a float32 input with a float64
    category in float64); NaN is a key. Integers: integral numbers only.
    """
    if kind == "string":
        return string_key(value)
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, (Real, np.number, np.bool_)):
        return None
    if kind == "int":
        if isinstance(value, (Integral, np.integer, np.bool_)):
            key = int(value)
        else:
            number = float(value)
            key = int(number) if np.isfinite(number) and number == int(number) else None
        info = np.iinfo(np.int64)
        return key if key is not None and info.min <= key <= info.max else None
    if isinstance(value, (Integral, np.integer)):
        with np.errstate(over="ignore"):
            converted = dtype.type(int(value))
        return converted if np.isfinite(converted) and int(converted) == int(value) else None
    number = float(value)
    if np.isnan(number):
        return dtype.type(np.nan)
    with np.errstate(over="ignore"):
        converted = dtype.type(number)
    return converted if float(converted) == number else None


def category_keys(categories: Any, X: Expr) -> tuple[list[Any], np.ndarray]:
    """``(keys, positions)``: the keys a value of ``X`` can be equal to, each with its category's position in
    ``categories`` (a key met twice keeps its first category, as a lookup would)."""
    kind = input_kind(X)
    keys: list[Any] = []
    positions: list[int] = []
    seen: set[Any] = set()
    for position, value in enumerate(categories):
        key = key_of(value, kind, X.dtype)
        if key is None:
            continue
        marker = "nan" if kind == "float" and np.isnan(key) else key
        if marker in seen:
            continue
        seen.add(marker)
        keys.append(key)
        positions.append(position)
    return keys, np.asarray(positions, dtype=np.int64)


def lookup(X: Expr, keys: list[Any], values: np.ndarray, default: Any) -> Expr:
    """One ``ai.onnx.ml`` LabelEncoder: a value of ``X`` equal to ``keys[i]`` becomes ``values[i]``, any other
    ``default``; same shape as ``X``. ``values``' dtype (int64, float32, float64 or str) is the output's; keys
    follow X (strings, int64, float32 or float64)."""
    kind = input_kind(X)
    values = np.asarray(values)
    if kind == "int":
        X = as_int64(X)
    if not keys:  # nothing can match: one key that maps to the default changes nothing
        keys = [""] if kind == "string" else [0] if kind == "int" else [X.dtype.type(np.nan)]
        values = np.full(1, default, dtype=values.dtype)
    attributes: dict[str, Any] = {}
    tensor = (kind == "float" and X.dtype == np.float64) or values.dtype == np.float64
    if tensor:
        key_dtype = {"string": object, "int": np.int64}.get(kind, X.dtype)
        attributes["keys_tensor"] = np.asarray(keys, dtype=key_dtype)
        if values.dtype.kind in "OUS":
            attributes["values_tensor"] = np.array([str(v) for v in values], dtype=object)
            attributes["default_tensor"] = np.array([str(default)], dtype=object)
        else:
            attributes["values_tensor"] = values
            attributes["default_tensor"] = np.asarray([default], dtype=values.dtype)
    else:
        if kind == "string":
            attributes["keys_strings"] = [str(k) for k in keys]
        elif kind == "int":
            attributes["keys_int64s"] = [int(k) for k in keys]
        else:
            attributes["keys_floats"] = np.asarray(keys, dtype=np.float32)
        if values.dtype == np.int64:
            attributes["values_int64s"] = [int(v) for v in values]
            attributes["default_int64"] = int(default)
        elif values.dtype == np.float32:
            attributes["values_floats"] = values
            attributes["default_float"] = float(default)
        else:
            attributes["values_strings"] = [str(v) for v in values]
            attributes["default_string"] = str(default)
    ml = target_opset("ai.onnx.ml")
    if ml is not None and ml < 4:  # version 2 (ai.onnx.ml 2-3) knows the list attributes, not the tensors
        if tensor:
            raise OnnxAlgebraError(
                f"a lookup of {'float64 keys' if kind == 'float' else 'float64 values'} needs LabelEncoder 4 (ai.onnx.ml 4: "
                f"tensor attributes), and target_opset asks for ai.onnx.ml {ml}: allow ai.onnx.ml 4 or convert in float32."
            )
        return OnnxLabelEncoder_2(X, **attributes)
    return OnnxLabelEncoder(X, **attributes)


def columns_of(X: Expr, n_features: int) -> list[Expr]:
    """The columns of X, each [N, 1]: one Split (X itself when it has one column)."""
    return [X] if n_features == 1 else list(np.split(X, n_features, axis=1))


def encoder_columns(est: Any, X: Expr | Columns) -> list[Expr]:
    """The input columns of an encoder, each [N, 1]: a DataFrame's columns one by one, each in its own type (an
    encoder encodes each feature alone, so string and numeric columns can mix; an int64 column stays int64, so
    large integers are compared exactly), else the columns of X."""
    if isinstance(X, Columns):
        return [X[name] for name in X.fitted_names(est)]
    return columns_of(X, len(est.categories_))


def encode_columns(inputs: list[Expr], categories: list[Any], values: list[np.ndarray], defaults: list[Any]) -> Expr:
    """Each column ``inputs[i]`` through :func:`lookup` (``categories[i]`` -> ``values[i]``, else ``defaults[i]``),
    side by side: [N, n_features]."""
    parts = []
    for Xi, cats, vals, default in zip(inputs, categories, values, defaults, strict=True):
        keys, positions = category_keys(cats, Xi)
        parts.append(lookup(Xi, keys, np.asarray(vals)[positions], default))
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)


# --- infrequent categories and the dropped one ---


def infrequent_categories(est: Any) -> list[Any]:
    """``infrequent_categories_`` (None for each feature when the encoder groups none)."""
    try:
        return list(est.infrequent_categories_)
    except AttributeError:  # min_frequency and max_categories unset
        return [None] * len(est.categories_)


def same_category(a: Any, b: Any) -> bool:
    """Two categories are the same: both NaN, both None, or equal values of comparable types."""
    if is_nan(a) or is_nan(b):
        return is_nan(a) and is_nan(b)
    if a is None or b is None:
        return a is b
    if isinstance(a, (str, bytes)) != isinstance(b, (str, bytes)):
        return False
    return bool(a == b)


def positions_of(categories: Any, values: Any) -> np.ndarray:
    """Where each of ``values`` is in ``categories``."""
    found = []
    for value in values:
        matches = [p for p, category in enumerate(categories) if same_category(value, category)]
        if not matches:
            raise OnnxAlgebraError(f"the infrequent category {value!r} is not among the categories {categories!r}.")
        found.append(matches[0])
    return np.asarray(found, dtype=np.int64)


def grouped_codes(est: Any, i: int, infrequent: Any, exclude_missing: bool) -> tuple[np.ndarray, int | None]:
    """``(codes, infrequent_code)``: each category's code once the infrequent ones are grouped (frequent ones
    ``0..k-1`` in order, infrequent ones ``k``), and ``k`` (None without infrequent categories).

    ``exclude_missing``: a last NaN category is left out (OrdinalEncoder encodes it apart).
    """
    categories = est.categories_[i]
    n = len(categories) - int(exclude_missing and len(categories) > 0 and is_nan(categories[-1]))
    if infrequent is None or len(infrequent) == 0:
        return np.arange(n, dtype=np.int64), None
    rare = np.zeros(n, dtype=bool)
    rare[positions_of(categories[:n], infrequent)] = True
    codes = np.empty(n, dtype=np.int64)
    n_frequent = int((~rare).sum())
    codes[~rare] = np.arange(n_frequent)
    codes[rare] = n_frequent
    return codes, n_frequent


def one_hot_layout(est: Any, i: int, infrequent: Any) -> tuple[np.ndarray, int, int]:
    """``(columns, unknown, width)`` of feature ``i`` of a OneHotEncoder: the output column (within the feature's
    ``width`` columns) of each category, and of an unknown value; -1 for none (dropped, or unknown without an
    infrequent category to go to)."""
    codes, infrequent_code = grouped_codes(est, i, infrequent, exclude_missing=False)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    drop_idx = getattr(est, "drop_idx_", None)
    dropped = None
    if drop_idx is not None and drop_idx[i] is not None:
        dropped = int(codes[int(drop_idx[i])])

    def column_of(code: int | None) -> int:
        if code is None or code == dropped:
            return -1
        return code - int(dropped is not None and code > dropped)

    unknown = infrequent_code if est.handle_unknown in ("infrequent_if_exist", "warn") else None
    columns = np.array([column_of(int(c)) for c in codes], dtype=np.int64)
    return columns, column_of(unknown), n_groups - int(dropped is not None)


# --- converters ---


def one_hot(codes: Expr, widths: list[int], dtype: np.dtype) -> Expr:
    """Rows of codes [N, F] (code ``c`` of feature ``f``: its column ``c`` of ``widths[f]``; -1: none) as the dense
    0/1 matrix [N, sum(widths)] in ``dtype``: each output column reads its feature's code (one ``ai.onnx.ml``
    ArrayFeatureExtractor: 1.8x faster than broadcasting [N, F, 1] against the widest range, whose inner
    dimension is short), one Equal against each column's own code, one Cast."""
    feature = np.repeat(np.arange(len(widths), dtype=np.int64), widths)
    column = np.concatenate([np.arange(w, dtype=np.int64) for w in widths])
    return OnnxCast(OnnxEqual(OnnxArrayFeatureExtractor(codes, feature), column), to=_onnx_type(dtype))


_ONNX_TYPES = {
    np.dtype(t): code
    for t, code in [(np.float32, 1), (np.uint8, 2), (np.int8, 3), (np.uint16, 4), (np.int16, 5), (np.int32, 6),
                    (np.int64, 7), (np.bool_, 9), (np.float64, 11), (np.uint32, 12), (np.uint64, 13)]
}  # fmt: skip


def _onnx_type(dtype: np.dtype) -> int:
    """The ONNX element type of a numeric numpy dtype (the ``to`` of a Cast)."""
    try:
        return _ONNX_TYPES[np.dtype(dtype)]
    except KeyError:
        raise OnnxAlgebraError(f"no ONNX element type for a Cast to {np.dtype(dtype)} in the encoders.") from None


def equality_keys(est: Any, i: int, layout: tuple[np.ndarray, int, int], X: Expr) -> np.ndarray | None:
    """The category each output column of feature ``i`` stands for, as a key of ``X``'s type, when the feature's
    one-hot is a plain comparison: numeric input, each column one category that is not NaN, nothing for an
    unknown value (no infrequent column). None otherwise (the lookup path). A float category ``X`` cannot hold
    gets the key NaN: its column is never 1, as in numpy."""
    columns, unknown, width = layout
    kind = input_kind(X)
    if unknown != -1 or kind == "string":
        return None
    keys: list[Any] = [None] * width
    for position, category in enumerate(est.categories_[i]):
        column = int(columns[position])
        if column < 0:
            continue
        if keys[column] is not None or is_nan(category):
            return None
        key = key_of(category, kind, X.dtype)
        if key is None:
            if kind == "int":
                return None
            key = X.dtype.type(np.nan)
        keys[column] = key
    if any(key is None for key in keys):
        return None
    return np.asarray(keys, dtype=np.int64 if kind == "int" else X.dtype)


def one_hot_by_equality(
    X: Expr | Columns, inputs: list[Expr], kept: list[int], keys: list[np.ndarray], dtype: np.dtype
) -> Expr | None:
    """The one-hot matrix as ``X[:, feature] == key`` for every output column (one ArrayFeatureExtractor, one
    Equal, one Cast); None when the input columns do not share one numeric type."""
    if len({Xi.dtype for Xi in inputs}) != 1:
        return None
    kind = input_kind(inputs[0])
    matrix = X if isinstance(X, Expr) else inputs[0] if len(inputs) == 1 else OnnxConcat(*inputs, axis=1)
    if kind == "int":
        matrix = as_int64(matrix)
    feature = np.concatenate([np.full(len(keys[n]), i, dtype=np.int64) for n, i in enumerate(kept)])
    return OnnxCast(OnnxEqual(OnnxArrayFeatureExtractor(matrix, feature), np.concatenate(keys)), to=_onnx_type(dtype))


@takes_columns
def convert_one_hot_encoder(est: Any, X: Expr | Columns) -> Expr:
    """OneHotEncoder: the dense one-hot matrix in the computation dtype (``sparse_output`` either way).

    Unknown values: a row of zeros for the feature (``handle_unknown='ignore'``, and ``'error'`` where
    scikit-learn raises), the infrequent column with ``'infrequent_if_exist'`` when the feature has one.
    """
    dtype = computation_dtype()
    infrequent = infrequent_categories(est)
    layouts = [one_hot_layout(est, i, infrequent[i]) for i in range(len(est.categories_))]
    kept = [i for i, (_, _, width) in enumerate(layouts) if width > 0]
    inputs = encoder_columns(est, X)
    if not kept:
        first = inputs[0]
        return OnnxCast(first[:, 0:0], to=_onnx_type(dtype)) if input_kind(first) != "string" else _empty(first, dtype)
    keys = [equality_keys(est, i, layouts[i], inputs[i]) for i in kept]
    if all(k is not None for k in keys):
        compared = one_hot_by_equality(X, inputs, kept, keys, dtype)
        if compared is not None:
            return compared
    parts = []
    for i in kept:
        columns, unknown, _ = layouts[i]
        keys, positions = category_keys(est.categories_[i], inputs[i])
        parts.append(lookup(inputs[i], keys, columns[positions], unknown))
    codes = parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)
    return one_hot(codes, [layouts[i][2] for i in kept], dtype)


def _empty(X: Expr, dtype: np.dtype) -> Expr:
    """[N, 0] in ``dtype`` from any X (every feature dropped)."""
    codes = lookup(X[:, 0:0], [], np.zeros(0, dtype=np.int64), 0)
    return OnnxCast(codes, to=_onnx_type(dtype))


def ordinal_values(est: Any, i: int, infrequent: Any) -> tuple[np.ndarray, float]:
    """``(values, unknown)`` of feature ``i`` of an OrdinalEncoder: the float64 code of each category (infrequent
    ones grouped, a NaN category ``encoded_missing_value``) and an unknown value's (``unknown_value``; NaN with
    ``handle_unknown='error'``, where scikit-learn raises)."""
    codes, _ = grouped_codes(est, i, infrequent, exclude_missing=True)
    values = codes.astype(np.float64)
    if len(codes) < len(est.categories_[i]):  # the NaN category
        values = np.append(values, float(est.encoded_missing_value))
    unknown = float(est.unknown_value) if est.handle_unknown == "use_encoded_value" else np.nan
    return values, unknown


@takes_columns
def convert_ordinal_encoder(est: Any, X: Expr | Columns) -> Expr:
    """OrdinalEncoder: each column's codes in the computation dtype (one LabelEncoder per column)."""
    dtype = computation_dtype()
    infrequent = infrequent_categories(est)
    tables = [ordinal_values(est, i, infrequent[i]) for i in range(len(est.categories_))]
    values, defaults = [v.astype(dtype) for v, _ in tables], [u for _, u in tables]
    return encode_columns(encoder_columns(est, X), list(est.categories_), values, defaults)


@takes_columns
def convert_target_encoder(est: Any, X: Expr | Columns) -> Expr:
    """TargetEncoder (``transform``, what a fitted model applies): each category's ``encodings_``, an unknown one
    ``target_mean_``; multiclass: one column per feature and class (feature-major, as scikit-learn)."""
    dtype = computation_dtype()
    n = len(est.categories_)
    inputs = encoder_columns(est, X)
    means = np.atleast_1d(np.asarray(est.target_mean_, dtype=np.float64))
    if est.target_type_ != "multiclass":
        encodings = [np.asarray(e, dtype=np.float64).astype(dtype) for e in est.encodings_]
        return encode_columns(inputs, list(est.categories_), encodings, [float(means[0])] * n)
    n_classes = len(est.classes_)
    # one table: the rows of feature i are its categories' encodings, then target_mean_ for unknown values
    rows, offsets, parts = [], [], []
    start = 0
    for i, (Xi, cats) in enumerate(zip(inputs, est.categories_, strict=True)):
        block = np.stack([np.asarray(est.encodings_[i * n_classes + c], dtype=np.float64) for c in range(n_classes)], axis=1)
        rows.extend([block, means.reshape(1, -1)])
        offsets.append(start)
        keys, positions = category_keys(cats, Xi)
        parts.append(lookup(Xi, keys, start + positions, start + len(cats)))
        start += len(cats) + 1
    table = np.concatenate(rows, axis=0).astype(dtype)
    codes = parts[0] if n == 1 else OnnxConcat(*parts, axis=1)  # [N, F] rows of the table
    return OnnxReshape(OnnxGather(table, codes, axis=0), np.array([0, -1], dtype=np.int64))


def convert_label_binarizer(est: Any, y: Expr) -> Expr:
    """LabelBinarizer: ``pos_label`` in the column of each label's class, ``neg_label`` elsewhere (int64); one
    column for two classes (the second one's), as scikit-learn. An unseen label gives a row of ``neg_label``
    (scikit-learn does so for multiclass models; for a binary model it changes the number of columns)."""
    if str(getattr(est, "y_type_", "")).startswith("multilabel"):
        raise OnnxAlgebraError("LabelBinarizer fitted on multilabel targets: only binary and multiclass labels convert.")
    if y.shape is not None and len(y.shape) == 2:
        y = OnnxReshape(y, np.array([-1], dtype=np.int64))
    classes = np.asarray(est.classes_)
    pos, neg = int(est.pos_label), int(est.neg_label)
    if len(classes) <= 2:  # one column: the second class (none: every label is negative)
        keys, positions = category_keys(classes[1:], y)
        hit = lookup(y, keys, np.full(len(positions), pos, dtype=np.int64), neg)
        return OnnxUnsqueeze(hit, np.array([1], dtype=np.int64))
    keys, positions = category_keys(classes, y)
    code = lookup(y, keys, positions, -1)
    hit = OnnxEqual(OnnxUnsqueeze(code, np.array([1], dtype=np.int64)), np.arange(len(classes), dtype=np.int64))
    return OnnxWhere(hit, np.array(pos, dtype=np.int64), np.array(neg, dtype=np.int64))


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import preprocessing

    return {
        convert_one_hot_encoder: [preprocessing.OneHotEncoder],
        convert_ordinal_encoder: [preprocessing.OrdinalEncoder],
        convert_target_encoder: [preprocessing.TargetEncoder],
        convert_label_binarizer: [preprocessing.LabelBinarizer],
    }
