"""A LightGBM model fitted on a pandas DataFrame with ``category`` columns, converted from a DataFrame sample.

LightGBM numbers each ``category`` column's values by their position in the
categories it saw when fitted (``Booster.pandas_categorical``, one list per
categorical column in the DataFrame's order) and reads any other value, and a
missing one, as NaN: its categorical splits send NaN, like any category not in
their set, to the right. ``to_onnx(model, df)`` gives such a column as a string
input (``dataframe_feeds`` feeds ``str()`` of each value): one ``LabelEncoder``
per column maps each string to its code, anything else to NaN, and the
numeric columns join them in the order the model was fitted on. (An integer
``category`` column is an integer input: its values are numbered the same way.)
"""

from __future__ import annotations

from typing import Any

from onnxalgebra import Columns, ConversionError, Expr, OnnxConcat

from ..categories import category_codes


def categorical_features(booster: Any) -> list[int]:
    """The positions of the features the booster splits as categories (its ``[categorical_feature: ...]``
    parameter, read from the text of its first iteration)."""
    for line in booster.model_to_string(num_iteration=1).splitlines():
        if line.startswith("[categorical_feature:"):
            return [int(v) for v in line.split(":", 1)[1].strip(" ]").split(",") if v.strip()]
    return []


def lightgbm_input(owner: Any, booster: Any, X: Expr | Columns) -> Expr:
    """The matrix LightGBM's trees read, [N, n_features] of the computation dtype: ``X`` itself, or a DataFrame's
    columns in the order of ``booster.feature_name()``, each ``category`` column as its codes
    (:func:`~onnxalgebra_converters.categories.category_codes`).
    ``owner`` (the estimator or the booster) names the model in errors."""
    if not isinstance(X, Columns):
        return X
    name = type(owner).__name__
    features = [str(f) for f in booster.feature_name()]
    missing = [f for f in features if f not in X]
    if missing:
        raise ConversionError(f"{name} was fitted on the columns {features}; the DataFrame lacks {missing}.")
    pandas_categorical = getattr(booster, "pandas_categorical", None) or []
    strings = [f for f in features if X.is_string(f)]
    categorical = [features[i] for i in categorical_features(booster)] if pandas_categorical else []
    # LightGBM numbers the DataFrame's category columns in order; categorical features given by hand (integer codes)
    # are not among them: when both exist, the string columns are the category ones
    pandas_columns = categorical if len(categorical) == len(pandas_categorical) else strings
    unexpected = [f for f in strings if f not in pandas_columns]
    if len(pandas_columns) != len(pandas_categorical) or unexpected:
        raise ConversionError(
            f"{name} was fitted with {len(pandas_categorical)} pandas category column(s) but the DataFrame holds "
            f"{len(strings)} string or category column(s) among its features ({strings}): give each column the "
            "dtype it was fitted with (category columns as category, numbers as numbers)."
        )
    categories = dict(zip(pandas_columns, pandas_categorical))
    dtype = X.dtype
    parts = []
    for feature in features:
        column = X[feature]
        if feature in categories:
            parts.append(category_codes(column, list(categories[feature]), dtype, "LightGBM"))
        else:
            parts.append(column if column.dtype == dtype else column.astype(dtype))
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)
