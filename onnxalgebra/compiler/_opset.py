"""Which opset each domain of a model imports: the smallest that keeps what every node computes.

Every node was built with one version of its operator (the newest, unless
pinned); :mod:`onnxalgebra._versions` says which older and newer versions
compute the same for it, hence a range of opsets. Each domain takes the
smallest opset in all its nodes' ranges at which the installed onnxruntime
has a CPU kernel (or a function body) for every operator, so a model loads
in the oldest runtimes that know its operators. ``target_opset`` is an upper
bound: an int (the default domain) or a dict domain -> opset. Pinned classes
(``OnnxAdd_7``) and ``op_version=`` keep their version in force.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
from onnx import defs

from .._errors import CompileError
from .._schemas import max_opset, operator_table, schema_at
from .._versions import FLOOR, equivalent_versions, opset_range

__all__ = ["NodeUse", "UsedOp", "choose_opsets", "onnxruntime_kernels", "opsets_of"]

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


@functools.cache
def _runs_on_onnxruntime(domain: str, op: str, since: int) -> bool:
    schema = schema_at(domain, op, since)
    if schema is not None and (schema.has_function or schema.has_context_dependent_function):
        return True  # onnxruntime inlines function bodies
    ranges = onnxruntime_kernels().get((domain, op), ())
    # onnxruntime's own rule: an open-ended kernel (hi = INT_MAX) serves only the
    # version it starts at, since a later version may be one it does not know.
    return any(lo == since or (lo <= since <= hi and hi != _OPEN_ENDED) for lo, hi in ranges)


class NodeUse(NamedTuple):
    """A node as the opset choice sees it: what it was built with and what it computes on.

    ``inputs``/``outputs`` are schema type strings (None: omitted or
    unknown); ``attributes`` the names it sets, with the value of string
    attributes (some changed meaning by value).
    """

    domain: str
    op_type: str
    built: int
    pinned: bool
    label: str
    inputs: tuple[str | None, ...]
    outputs: tuple[str | None, ...]
    attributes: tuple[tuple[str, Any], ...]


@functools.lru_cache(maxsize=65536)
def opsets_of(use: NodeUse, floor: int | None = None) -> tuple[int, int, int, int]:
    """The opsets where ``use`` computes what it was built for, and the versions they have in force.

    Returns ``(first opset, last opset, oldest version, newest version)``;
    ``floor`` is the oldest opset considered (the domain's default floor when None).
    """
    # a node built with an older version than the floor (op_version=11) may stay where it was built
    floor = min(FLOOR.get(use.domain, 1) if floor is None else floor, use.built)
    low, high = equivalent_versions(
        use.domain, use.op_type, use.built, use.inputs, use.outputs, dict(use.attributes), pinned=use.pinned, floor=floor
    )
    if use.pinned:
        first, last = _pinned_range(use.domain, use.op_type, use.built)
        return first, last, low, high
    first, last = opset_range(use.domain, use.op_type, low, high, max_opset(use.domain), floor)
    return first, last, low, high


def _pinned_range(domain: str, op: str, version: int) -> tuple[int, int]:
    """Opsets at which version ``version`` of ``op`` is the one in force."""
    versions = operator_table()[op][1]
    later = [v for v in versions if v > version]
    return version, (later[0] - 1 if later else max_opset(domain))


def _exists(domain: str, op: str, opset: int) -> bool:
    schema = schema_at(domain, op, opset)
    return schema is not None and not schema.deprecated


LATEST = "latest"


def _is_opset(value: Any) -> bool:
    """An opset number: an int (or numpy integer), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_target_opset(target: Any) -> None:
    """``target_opset`` is None, an opset of the main domain, ``'latest'``, or a dict domain -> opset or
    ``'latest'``; else a :class:`CompileError` naming what was given and what is accepted.

    >>> check_target_opset({"": 18, "ai.onnx.ml": "latest"})
    >>> try:
    ...     check_target_opset("newest")
    ... except CompileError as exc:
    ...     print(str(exc).split(";")[0])
    target_opset='newest': expected an int (the opset of ai.onnx), 'latest', or a dict domain -> int or 'latest'
    """
    accepted = (
        "expected an int (the opset of ai.onnx), 'latest', or a dict domain -> int or 'latest'; "
        "for example {'': 18, 'ai.onnx.ml': 3}."
    )
    if target is None or target == LATEST or _is_opset(target):
        return
    if not isinstance(target, dict):
        raise CompileError(f"target_opset={target!r}: {accepted}")
    for domain, value in target.items():
        if not isinstance(domain, str):
            raise CompileError(f"target_opset: the domain {domain!r} is no str; {accepted}")
        if value is not None and value != LATEST and not _is_opset(value):
            raise CompileError(f"target_opset[{domain!r}]={value!r}: {accepted}")


def check_target_domains(target: Any, used: Iterable[str]) -> None:
    """Every domain of a ``target_opset`` dict is one onnx knows or one the model uses: a misspelled domain would
    otherwise be ignored (a :class:`CompileError` names it, suggests the closest known one, and lists them)."""
    if not isinstance(target, dict):
        return
    known = set(defs.C.schema_version_map()) | set(used)
    for domain in target:
        if domain not in known:
            close = difflib.get_close_matches(domain, sorted(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise CompileError(
                f"target_opset: the domain {domain!r} is neither one onnx knows nor one the model uses; {hint}"
                f"the domains are {sorted(known)} ('' is ai.onnx)."
            )


def _target_for(domain: str, target: Any) -> int | None:
    if target is None or target == LATEST:
        return None
    if isinstance(target, dict):
        value = target.get(domain)
        return None if value is None or value == LATEST else int(value)
    return int(target) if domain == "" else None


def _latest_for(domain: str, target: Any) -> bool:
    """``target_opset='latest'`` (or ``{domain: 'latest'}``): the newest opset that keeps every node, not the smallest."""
    if isinstance(target, dict):
        return target.get(domain) == LATEST
    return target == LATEST


def choose_opsets(
    uses: Iterable[NodeUse], raw: Iterable[UsedOp] = (), target: Any = None, at_least: dict[str, int] | None = None
) -> dict[str, int]:
    """The opset of every domain: the smallest where every node computes what it was built for.

    Each node allows a range of opsets (:func:`opsets_of`); a domain takes the
    smallest opset in all its nodes' ranges, at most ``target``, at which the
    installed onnxruntime has a kernel (or a function body) for every version
    in force, else the smallest in the ranges. ``target='latest'`` (or a
    dict value ``'latest'``) takes the newest such opset instead. ``raw`` operators (nodes of
    ``GraphProto`` attributes, whose version the model's opset decides) only
    need to exist. ``at_least`` gives domains an opset to choose at least (the local functions' bodies need it).
    A :class:`CompileError` names the nodes that leave no opset.
    """
    ranges: dict[str, dict[tuple[str, int, int, int, int, int], str]] = {}
    floors: dict[str, int | None] = {}  # per domain: the floor opsets_of considers (None: the domain's own)
    for use in uses:
        domain = use.domain
        if domain not in floors:
            upper = _target_for(domain, target)
            floors[domain] = None if upper is None or upper >= FLOOR.get(domain, 1) else upper
            ranges[domain] = {}
        first, last, low, high = opsets_of(use, floors[domain])
        ranges[domain].setdefault((use.op_type, first, last, low, high, use.built), use.label)
    existing: dict[str, set[str]] = {}
    for op in raw:
        existing.setdefault(op.domain, set()).add(op.op_type)
        ranges.setdefault(op.domain, {})
    chosen: dict[str, int] = {}
    for domain in sorted(ranges):
        newest = max_opset(domain)
        upper = _target_for(domain, target)
        if upper is not None and upper > newest:
            raise CompileError(
                f"target opset {upper} for domain {domain or 'ai.onnx'!r} is newer than the installed onnx knows ({newest})."
            )
        ops = ranges[domain]
        raw_ops = frozenset(existing.get(domain, ()))
        floor = (at_least or {}).get(domain)
        found = _opset_for(domain, newest, frozenset(ops), raw_ops, upper, _latest_for(domain, target), floor)
        if found is None:
            raise CompileError(_explain(domain, ops, set(raw_ops), upper))
        chosen[domain] = found
    return chosen


@functools.lru_cache(maxsize=1024)
def _opset_for(
    domain: str,
    newest: int,
    ops: frozenset[tuple[str, int, int, int, int, int]],
    raw: frozenset[str],
    upper: int | None,
    latest: bool,
    at_least: int | None,
) -> int | None:
    """:func:`choose_opsets` for one domain whose newest opset is ``newest`` (a pure function of what its nodes
    allow, remembered): None when no opset keeps every node."""
    lo = max([r[1] for r in ops] or [1])
    hi = min([r[2] for r in ops] or [newest])
    for name in raw:
        lo = max(lo, operator_table()[name][1][0])
    lo = max(lo, at_least if at_least is not None else lo)
    top = hi if upper is None else min(hi, upper)
    candidates = [o for o in range(lo, top + 1) if all(_exists(domain, name, o) for name in raw)]
    if not candidates:
        return None
    order = reversed(candidates) if latest else iter(candidates)
    names = {key[0] for key in ops}
    runnable = next((o for o in order if all(_runs_at(domain, name, o) for name in names)), None)
    return runnable if runnable is not None else candidates[-1 if latest else 0]


@functools.cache
def _runs_at(domain: str, op: str, opset: int) -> bool:
    schema = schema_at(domain, op, opset)
    return schema is not None and _runs_on_onnxruntime(domain, op, schema.since_version)


def _explain(domain: str, ops: dict[tuple[str, int, int, int, int, int], str], raw: set[str], upper: int | None) -> str:
    name = domain or "ai.onnx"
    lo = max([r[1] for r in ops] or [1])
    hi = min([r[2] for r in ops] or [max_opset(domain)])
    reasons = []
    for (op, first, last, low, _high, built), label in sorted(ops.items()):
        versions = list(operator_table()[op][1])
        if upper is not None and first > upper:
            if versions[0] > upper:
                reasons.append(f"{op} does not exist at opset {upper} of {name!r} (its versions: {versions})")
            elif low == built:
                reasons.append(
                    f"{label} is {op} version {built}, in force at opsets {first} to {last} (build it with "
                    f"op_version={upper} for opset {upper}, or raise target_opset)"
                )
            else:
                reasons.append(
                    f"{label} was built as {op} version {built}, the same for its inputs back to version {low}, "
                    f"first in opset {first} (build it with op_version={upper} for opset {upper}, or raise target_opset)"
                )
        elif first == lo or last == hi:
            reasons.append(f"{label} is in force at opsets {first} to {last}")
    for op in sorted(raw):
        versions = list(operator_table()[op][1])
        if upper is not None and versions[0] > upper:
            reasons.append(f"{op} does not exist at opset {upper} of {name!r} (its versions: {versions})")
    detail = "; ".join(reasons) or f"no opset between {lo} and {hi} fits every operator"
    target = f"target opset {upper}" if upper is not None else "the operators used"
    return f"no opset of domain {name!r} fits {target}: {detail}."
