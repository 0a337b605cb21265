"""A DataFrame's category column as the codes a boosting library numbers its categories with.

LightGBM (``Booster.pandas_categorical``) and XGBoost (the ``cats`` of its
model) keep, for each categorical feature fitted from a pandas ``category``
column, the categories in the order of their codes. ``to_onnx(model, df)``
gives such a column as a string input (an integer one stays an integer
input): :func:`category_codes` maps each value to its code, anything else to
NaN, which the trees send where the library sends a missing category.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnxalgebra import Constant, ConversionError, Expr, OnnxGather, OnnxLabelEncoder


def category_codes(column: Expr, categories: list[Any], dtype: Any, library: str = "") -> Expr:
    """Each value's position in ``categories``, NaN for any other, [N, 1] of ``dtype``: a string column is compared
    with ``str()`` of each category, an integer column with the categories as integers.

    >>> from onnxalgebra import Var
    >>> codes = category_codes(Var("city", np.str_, [None, 1]), ["brest", "lyon"], np.float32)
    >>> codes.eval({"city": np.array([["lyon"], ["rome"]], dtype=object)}).tolist()
    [[1.0], [nan]]
    """
    positions = list(range(1, len(categories) + 1))
    owner = f"{library} category column" if library else "Category column"
    if column.dtype == np.str_ or column.dtype == object:
        keys = [str(c) for c in categories]
        if len(set(keys)) != len(keys):
            raise ConversionError(
                f"{owner}: the categories {categories!r} have two of the same text, which a string input cannot tell apart."
            )
        index = OnnxLabelEncoder(column, keys_strings=keys, values_int64s=positions, default_int64=0)
    elif np.dtype(column.dtype).kind in "iub" and all(float(c) == int(c) for c in categories):
        index = OnnxLabelEncoder(column.astype(np.int64), keys_int64s=[int(c) for c in categories], values_int64s=positions,
                                 default_int64=0)  # fmt: skip
    else:
        raise ConversionError(
            f"{owner} of {column.dtype} with categories {list(categories)[:8]}: only string and integer categories "
            "convert (give the column string or integer categories)."
        )
    table = np.concatenate([[np.nan], np.arange(len(categories))]).astype(dtype)
    return OnnxGather(Constant(table), index, axis=0)
