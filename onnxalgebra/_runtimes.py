"""Which onnxruntime releases load a model: a small table of releases and what each implements.

Each row is an onnxruntime minor release with the newest IR version and the
newest opsets of ``ai.onnx`` and ``ai.onnx.ml`` it implements (from the ONNX
release it is built on, as its release notes give it). The row of 1.17 was
checked by probing that release's kernels (``make test-oldest`` runs models
there); the installed release is read from its own kernels.

A model loads in a release when its IR version and every opset it imports
are at most the release's (operators newer than that opset aside, which the
compiler avoids: each domain imports the smallest opset its nodes allow).
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Release", "RELEASES", "oldest_onnxruntime", "describe_versions"]


class Release(NamedTuple):
    """An onnxruntime release and the newest IR version and opsets it loads."""

    version: str
    ir_version: int
    opset: int  # ai.onnx
    ml_opset: int  # ai.onnx.ml


RELEASES: tuple[Release, ...] = (
    Release("1.10", 8, 15, 2),  # ONNX 1.10
    Release("1.12", 8, 17, 3),  # ONNX 1.12
    Release("1.14", 8, 18, 3),  # ONNX 1.13
    Release("1.15", 9, 19, 3),  # ONNX 1.14
    Release("1.17", 9, 20, 4),  # ONNX 1.15 (checked: make test-oldest)
    Release("1.18", 10, 21, 5),  # ONNX 1.16
    Release("1.20", 10, 22, 5),  # ONNX 1.17
    Release("1.22", 11, 23, 5),  # ONNX 1.18
)


def _fits(model: Any, release: Release) -> bool:
    if model.ir_version > release.ir_version:
        return False
    for opset in model.opset_import:
        domain = opset.domain or "ai.onnx"
        if domain == "ai.onnx" and opset.version > release.opset:
            return False
        if domain == "ai.onnx.ml" and opset.version > release.ml_opset:
            return False
    return True


def oldest_onnxruntime(model: Any) -> str | None:
    """The oldest onnxruntime release of :data:`RELEASES` that loads ``model``, None if none of them does.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> oldest_onnxruntime((Var("X", np.float32, [None, 2]) + 1).to_onnx())
    '1.10'
    """
    for release in RELEASES:
        if _fits(model, release):
            return release.version
    return None


def describe_versions(model: Any) -> str:
    """The lines ``onnxalgebra show --info`` prints: producer, IR version, opsets, oldest onnxruntime.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> print(describe_versions((Var("X", np.float32, [None, 2]) + 1).to_onnx()).splitlines()[1])
    IR version: 7
    """
    producer = f"{model.producer_name} {model.producer_version}".strip() or "(not recorded)"
    opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in sorted(model.opset_import, key=lambda o: o.domain))
    oldest = oldest_onnxruntime(model)
    if oldest is None:
        runtime = f"newer than onnxruntime {RELEASES[-1].version} (the newest release in the table)"
    else:
        runtime = f"onnxruntime {oldest} or newer"
    return "\n".join([f"producer: {producer}", f"IR version: {model.ir_version}", f"opsets: {opsets}", f"loads in: {runtime}"])
