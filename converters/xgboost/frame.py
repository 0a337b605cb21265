"""An XGBoost model fitted on a pandas DataFrame with ``category`` columns (``enable_categorical=True``), converted
from a DataFrame sample.

XGBoost 3 keeps the categories it was fitted on in its model (the ``cats`` of
the gradient booster: per feature, strings as UTF-8 bytes and offsets, or
numbers) and numbers a DataFrame's categories by their position there, by
value, whatever the order of the DataFrame's own categories. ``to_onnx(model,
df)`` gives such a column as a string (or integer) input numbered the same
way (:func:`~onnxalgebra_converters.categories.category_codes`). A missing
value goes XGBoost's default way; a category XGBoost never saw, which its
``predict`` refuses, is read as missing.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from onnxalgebra import Columns, ConversionError, Expr, OnnxConcat

from ..categories import category_codes


def _booster_model(learner: dict[str, Any]) -> dict[str, Any]:
    booster = learner.get("gradient_booster", {})
    return booster.get("model") or booster.get("gbtree", {}).get("model") or {}  # gbtree; dart


def fitted_categories(learner: dict[str, Any]) -> dict[int, list[Any]]:
    """Feature position -> its categories in code order, for the features fitted from ``category`` columns (an
    empty dict for a model fitted on numbers, or saved by an XGBoost older than 3)."""
    encodings = (_booster_model(learner).get("cats") or {}).get("enc") or []
    found: dict[int, list[Any]] = {}
    for feature, encoding in enumerate(encodings):
        values = np.asarray(encoding.get("values", []))
        if not values.size:
            continue
        offsets = np.asarray(encoding.get("offsets", []), dtype=np.int64)
        if offsets.size:
            text = values.astype(np.uint8).tobytes()
            found[feature] = [text[a:b].decode("utf-8") for a, b in pairwise(offsets.tolist())]
        else:
            found[feature] = values.tolist()
    return found


def xgboost_input(owner: Any, learner: dict[str, Any], X: Expr | Columns) -> Expr:
    """The matrix XGBoost's trees read: ``X`` itself, a DataFrame's columns as any numeric model takes them, or,
    for a model fitted with ``category`` columns, the columns in the order of its ``feature_names``, each
    category column as its codes. ``owner`` (the estimator or the booster) names the model in errors."""
    if not isinstance(X, Columns):
        return X
    categories = fitted_categories(learner)
    if not categories:
        return X.matrix(owner)
    name = type(owner).__name__
    features = [str(f) for f in learner.get("feature_names") or []]
    missing = [f for f in features if f not in X]
    if not features or missing:
        raise ConversionError(
            f"{name} was fitted on the columns {features}; the DataFrame lacks {missing or 'their names'}: give a "
            "sample with the columns it was fitted on."
        )
    parts = []
    for i, feature in enumerate(features):
        column = X[feature]
        if i in categories:
            parts.append(category_codes(column, categories[i], X.dtype, "XGBoost"))
        elif X.is_string(feature):
            raise ConversionError(
                f"{name}: column {feature!r} holds strings but was fitted as numbers: give it the dtype it was fitted with."
            )
        else:
            parts.append(column if column.dtype == X.dtype else column.astype(X.dtype))
    return parts[0] if len(parts) == 1 else OnnxConcat(*parts, axis=1)
