"""Which opset each domain of a model imports.

``target_opset`` is an upper bound: an int (the default domain) or a dict
domain -> opset. Without one, each domain gets the newest opset at which the
installed onnxruntime has a CPU kernel (or a function body) for every
operator used, so a model compiled with defaults loads and runs there.
Pinned classes (``OnnxAdd_7``) narrow the range to the opsets where their
version is the one in force.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, NamedTuple

from ._errors import CompileError
from ._schemas import max_opset, operator_table, schema_at

__all__ = ["UsedOp", "choose_opsets", "onnxruntime_kernels"]

_OPEN_ENDED = 2147483647  # the end version onnxruntime gives a kernel with no upper bound


class UsedOp(NamedTuple):
    """An operator a graph uses: its domain, name and pinned version (None if unversioned)."""

    domain: str
    op_type: str
    pinned: int | None


@functools.cache
def onnxruntime_kernels() -> dict[tuple[str, str], tuple[tuple[int, int], ...]]:
    """Version ranges of the CPU kernels of the installed onnxruntime, per (domain, op)."""
    try:
        from onnxruntime.capi import _pybind_state
    except ImportError:  # pragma: no cover - onnxruntime is a dependency
        return {}
    kernels: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for kernel in _pybind_state.get_all_opkernel_def():
        if kernel.provider == "CPUExecutionProvider":
            domain = "" if kernel.domain == "ai.onnx" else kernel.domain
            kernels.setdefault((domain, kernel.op_name), set()).add(tuple(kernel.version_range))
    return {k: tuple(sorted(v)) for k, v in kernels.items()}


def _runs_on_onnxruntime(domain: str, op: str, since: int) -> bool:
    schema = schema_at(domain, op, since)
    if schema is not None and (schema.has_function or schema.has_context_dependent_function):
        return True  # onnxruntime inlines function bodies
    ranges = onnxruntime_kernels().get((domain, op), ())
    # onnxruntime's own rule: an open-ended kernel (hi = INT_MAX) serves only the
    # version it starts at, since a later version may be one it does not know.
    return any(lo == since or (lo <= since <= hi and hi != _OPEN_ENDED) for lo, hi in ranges)


def _pinned_range(domain: str, op: str, version: int) -> tuple[int, int]:
    """Opsets at which version ``version`` of ``op`` is the one in force."""
    versions = operator_table()[op][1]
    later = [v for v in versions if v > version]
    return version, (later[0] - 1 if later else max_opset(domain))


def _exists(domain: str, op: str, opset: int) -> bool:
    schema = schema_at(domain, op, opset)
    return schema is not None and not schema.deprecated


def _target_for(domain: str, target: Any) -> int | None:
    if target is None:
        return None
    if isinstance(target, dict):
        value = target.get(domain)
        return None if value is None else int(value)
    return int(target) if domain == "" else None


def choose_opsets(used: Iterable[UsedOp], target: Any = None) -> dict[str, int]:
    """The opset of every domain in ``used``, or a :class:`CompileError` saying why none fits."""
    by_domain: dict[str, list[UsedOp]] = {}
    for op in used:
        by_domain.setdefault(op.domain, []).append(op)
    chosen: dict[str, int] = {}
    for domain in sorted(by_domain):
        ops = sorted(set(by_domain[domain]), key=lambda o: (o.op_type, o.pinned or 0))
        newest = max_opset(domain)
        upper = _target_for(domain, target)
        if upper is not None and upper > newest:
            raise CompileError(
                f"target opset {upper} for domain {domain or 'ai.onnx'!r} is newer than the installed onnx knows ({newest})."
            )
        hi = newest if upper is None else upper
        lo = 1
        for op in ops:
            if op.pinned is not None:
                first, last = _pinned_range(domain, op.op_type, op.pinned)
                lo, hi = max(lo, first), min(hi, last)
        free = [op for op in ops if op.pinned is None]
        passes = [True, False] if upper is None else [False]
        for need_runtime in passes:
            for opset in range(hi, lo - 1, -1):
                if all(_exists(domain, op.op_type, opset) for op in free) and (
                    not need_runtime or all(_fits_runtime(domain, op, opset) for op in ops)
                ):
                    chosen[domain] = opset
                    break
            if domain in chosen:
                break
        else:
            raise CompileError(_explain(domain, ops, upper, lo, hi))
    return chosen


def _fits_runtime(domain: str, op: UsedOp, opset: int) -> bool:
    schema = schema_at(domain, op.op_type, opset)
    return schema is not None and _runs_on_onnxruntime(domain, op.op_type, schema.since_version)


def _explain(domain: str, ops: list[UsedOp], upper: int | None, lo: int, hi: int) -> str:
    name = domain or "ai.onnx"
    reasons = []
    bound = upper if upper is not None else max_opset(domain)
    for op in ops:
        versions = operator_table()[op.op_type][1]
        if op.pinned is not None:
            first, last = _pinned_range(domain, op.op_type, op.pinned)
            reasons.append(f"Onnx{op.op_type}_{op.pinned} is in force at opsets {first} to {last}")
        elif not _exists(domain, op.op_type, min(hi, bound)):
            reasons.append(
                f"{op.op_type} does not exist at opset {min(hi, bound)} of {name!r} (its versions: {list(versions)})"
            )
    detail = "; ".join(reasons) or f"no opset between {lo} and {hi} fits every operator"
    target = f"target opset {upper}" if upper is not None else "the operators used"
    return f"no opset of domain {name!r} fits {target}: {detail}."
