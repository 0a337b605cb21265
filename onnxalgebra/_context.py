"""State scoped to a converter call: the float dtype float numpy arrays take, and the target opsets.

Both are context variables, never module globals: each thread (and each
asyncio task) sees its own, so threads converting at once with different
``target_opset=`` or ``dtype=`` do not see each other's, and a new thread
starts with neither set (``tests/test_determinism.py`` checks it).
"""

from __future__ import annotations

import contextvars

import numpy as np

__all__ = ["FLOAT_DTYPE", "TARGET_OPSET", "follow_float_dtype", "target_for"]

# Set by onnxalgebra.registry._convert while a converter runs; None elsewhere.
FLOAT_DTYPE: contextvars.ContextVar[np.dtype | None] = contextvars.ContextVar("onnxalgebra_float_dtype", default=None)


# Set by onnxalgebra.registry._convert while converters run for a target_opset (int or dict); None elsewhere.
TARGET_OPSET: contextvars.ContextVar[object] = contextvars.ContextVar("onnxalgebra_target_opset", default=None)


def target_for(domain: str = "") -> int | None:
    """The opset of ``domain`` the current conversion targets (None: no target, the smallest opsets are chosen)."""
    target = TARGET_OPSET.get()
    if target is None or target == "latest":
        return None
    if isinstance(target, dict):
        value = target.get(domain)
        return None if value in (None, "latest") else int(value)
    return int(target) if domain == "" else None  # type: ignore[call-overload]


def follow_float_dtype(array: np.ndarray) -> np.ndarray:
    """``array`` in the converter's computation dtype when it is a float array inside a converter."""
    target = FLOAT_DTYPE.get()
    if target is not None and array.dtype.kind == "f" and array.dtype != target:
        return array.astype(target)
    return array
