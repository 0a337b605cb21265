"""Run an expression on numpy inputs, for debugging: onnxruntime or onnx's reference evaluator."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import CompileError

__all__ = ["evaluate", "RUNTIMES"]

RUNTIMES = ("onnxruntime", "reference")


def _session(model: Any, runtime: str) -> Any:
    if runtime == "onnxruntime":
        from ._large import inference_session

        return inference_session(model)  # a model over 2 GB goes through external data in a temporary folder
    from onnx.reference import ReferenceEvaluator  # reads the ModelProto's tensors: never serialises it whole

    return ReferenceEvaluator(model)


def evaluate(expr: Any, feeds: dict[str, Any], runtime: str = "onnxruntime", target_opset: Any = None) -> Any:
    """Compile ``expr`` for the types of ``feeds`` and run it with ``runtime``.

    Returns an array for a single output, a list of arrays otherwise. The
    compiled model and its session are cached on the operator, per input
    signature (names, dtypes, shapes but the first, batch, dimension), runtime
    and target opset: the model declares every other dimension as in the feeds.
    """
    from .._expr import OnnxOperator, Output
    from ._compile import compile_model

    if runtime not in RUNTIMES:
        raise CompileError(f"eval: runtime must be one of {RUNTIMES}, got {runtime!r}.")
    if not isinstance(feeds, dict):
        raise CompileError(f"eval: feeds must be a dict name -> numpy array, got {type(feeds).__name__}.")
    arrays = {name: np.asarray(value) for name, value in feeds.items()}
    owner = expr.op if isinstance(expr, Output) else expr
    # One batch symbol for every input when their first dimensions agree; else one each
    # (a shared symbol would tell onnxruntime they are equal).
    same_batch = len({a.shape[0] for a in arrays.values() if a.ndim}) <= 1
    key = (
        same_batch,
        tuple((name, a.dtype.str, a.shape[1:], a.ndim) for name, a in arrays.items()),
        runtime,
        repr(target_opset),
        expr.index if isinstance(expr, Output) else None,
    )
    cache = None
    if isinstance(owner, OnnxOperator):
        if owner._sessions is None:
            owner._sessions = {}
        cache = owner._sessions
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        inputs: Any = arrays
        if not same_batch:
            inputs = [(name, a.dtype, (f"N_{name}", *a.shape[1:]) if a.ndim else ()) for name, a in arrays.items()]
        model = compile_model([expr], inputs, target_opset=target_opset)
        entry = (model, _session(model, runtime), [o.name for o in model.graph.output])
        if cache is not None:
            cache[key] = entry
    _, session, names = entry
    results = session.run(None, arrays)
    return results[0] if len(names) == 1 else list(results)
