"""Which onnxruntime releases load a model: a small table of releases and what each implements.

Each row is an onnxruntime minor release with the newest IR version and the
newest opsets of ``ai.onnx`` and ``ai.onnx.ml`` it implements (from the ONNX
release it is built on, as its release notes give it). The row of 1.17 was
checked by probing that release's kernels (``make test-oldest`` runs models
there); the installed release is read from its own kernels.

A model loads in a release when its IR version and every opset it imports
are at most the release's (operators newer than that opset aside, which the
compiler avoids: each domain imports the smallest opset its nodes allow), and
the release has the kernels its nodes need: :data:`LATE_KERNELS` lists the
operators whose kernel came later than their opset (probed in onnxruntime
1.17 to 1.30), and 1.17 cannot run a double Gemm followed by an activation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["LATE_KERNELS", "LateKernel", "Release", "RELEASES", "oldest_onnxruntime", "describe_versions"]


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


class LateKernel(NamedTuple):
    """An operator whose kernel (for one element type, or any) came after the opset that defines it."""

    domain: str
    op_type: str
    elem_type: int | None  # of the first input (onnx.TensorProto), None: any
    release: str  # the first release with the kernel


_DOUBLE = 11  # onnx.TensorProto.DOUBLE

# Probed by running make test-oldest's models in onnxruntime 1.17 to 1.30.
LATE_KERNELS: tuple[LateKernel, ...] = (
    LateKernel("ai.onnx.ml", "TreeEnsemble", None, "1.21"),  # in ai.onnx.ml 5 (1.18), a kernel from 1.21
    LateKernel("", "Cos", _DOUBLE, "1.29"),  # float only before 1.29
)

# onnxruntime 1.17 fuses a double Gemm and the activation after it into com.microsoft.FusedGemm, which has no double
# kernel: such a model loads from 1.18.
_FUSED_ACTIVATIONS = {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "HardSigmoid", "Softsign", "Softplus"}
_FUSED_GEMM_FIXED = "1.18"


def _release_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _graphs(graph: Any) -> Any:
    """``graph`` and every subgraph of its nodes (Loop, If and Scan bodies), depth first."""
    stack = [graph]
    while stack:
        current = stack.pop()
        yield current
        for node in current.node:
            stack.extend(attribute.g for attribute in node.attribute if attribute.HasField("g"))
            for attribute in node.attribute:
                stack.extend(attribute.graphs)


def _kernels_needed(model: Any) -> list[str]:
    """The releases the late kernels and the double Gemm fusion of ``model``'s nodes need."""
    ops = {node.op_type for graph in _graphs(model.graph) for node in graph.node}
    if not ops & ({kernel.op_type for kernel in LATE_KERNELS} | {"Gemm"}):
        return []
    from ._large import infer_shapes

    inferred = infer_shapes(model)  # also over 2 GB
    types: dict[str, int] = {}
    for graph in _graphs(inferred.graph):
        for value in (*graph.input, *graph.output, *graph.value_info):
            types[value.name] = value.type.tensor_type.elem_type
        for tensor in graph.initializer:
            types[tensor.name] = tensor.data_type
    needed = []
    for graph in _graphs(inferred.graph):
        consumers: dict[str, list[str]] = {}
        for node in graph.node:
            for name in node.input:
                consumers.setdefault(name, []).append(node.op_type)
        for node in graph.node:
            elem_type = types.get(node.input[0]) if node.input else None
            for kernel in LATE_KERNELS:
                if (node.domain or "") == kernel.domain and node.op_type == kernel.op_type:
                    if kernel.elem_type is None or elem_type == kernel.elem_type:
                        needed.append(kernel.release)
            after = consumers.get(node.output[0], []) if node.output else []
            if node.op_type == "Gemm" and elem_type == _DOUBLE and after and all(op in _FUSED_ACTIVATIONS for op in after):
                needed.append(_FUSED_GEMM_FIXED)
    return needed


def oldest_onnxruntime(model: Any) -> str | None:
    """The oldest onnxruntime release of :data:`RELEASES` that loads ``model``, None if none of them does.

    >>> import numpy as np
    >>> from onnxalgebra import Var
    >>> oldest_onnxruntime((Var("X", np.float32, [None, 2]) + 1).to_onnx())
    '1.10'
    """
    for release in RELEASES:
        if _fits(model, release):
            return max([release.version, *_kernels_needed(model)], key=_release_key)
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
