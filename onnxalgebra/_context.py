"""State scoped to a converter call: the float dtype float numpy arrays take."""

from __future__ import annotations

import contextvars

import numpy as np

__all__ = ["FLOAT_DTYPE", "follow_float_dtype"]

# Set by onnxalgebra._convert while a converter runs; None elsewhere.
FLOAT_DTYPE: contextvars.ContextVar[np.dtype | None] = contextvars.ContextVar("onnxalgebra_float_dtype", default=None)


def follow_float_dtype(array: np.ndarray) -> np.ndarray:
    """``array`` in the converter's computation dtype when it is a float array inside a converter."""
    target = FLOAT_DTYPE.get()
    if target is not None and array.dtype.kind == "f" and array.dtype != target:
        return array.astype(target)
    return array
