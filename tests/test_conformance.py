"""Conformance against the node test cases shipped inside the installed ``onnx``.

Every single-node case of ``onnx.backend.test.case.node`` is rebuilt with our
``Onnx<OpType>`` class: the case's graph inputs (``ValueInfoProto``, so
sequence and optional types work), its node inputs (``''`` -> ``None``), its
attributes by their ONNX names, its output names (``''`` omits an optional
output) and its opsets as ``target_opset``, compiled WITHOUT output types. The
compiled model must be that same single node, its inferred output element
types must be the case's, and ``onnx.reference.ReferenceEvaluator`` must
reproduce the case's expected outputs within its tolerances.

A case whose ORIGINAL model does not pass the reference evaluator (a missing
optional dependency, a random operator, an out-of-date expected value...) is
skipped with the reason. A case of ours that fails must be listed in
:data:`KNOWN_FAILURES` with the reason: it is then an ``xfail(strict=True)``,
so fixing it is noticed.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import defs, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import Var, operator_class

# Failures of ours, case name -> reason. Empty today: add an entry only with a real reason.
KNOWN_FAILURES: dict[str, str] = {}

# Measured with onnx 1.23.2 (1,884 cases, 1,462 single-node, 1,446 whose original
# model passes the reference evaluator without Pillow): the number of cases we pass.
PASSING_FLOOR = 1446

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _collect() -> list[Any]:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators overflow on purpose (casts, -inf...)
        return collect_testcases(None)


ALL_CASES = _collect()
CASES = {case.name: case for case in ALL_CASES if len(case.model.graph.node) == 1}


def _domain(domain: str) -> str:
    return "" if domain == "ai.onnx" else domain


def _as_value(value: Any) -> Any:
    """Case data as the reference evaluator takes it (some cases store TensorProto for float8, int4...)."""
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, (list, tuple)):
        return [_as_value(v) for v in value]
    return value


def _compare(expected: Any, got: Any, rtol: float, atol: float, where: str) -> None:
    if expected is None:  # an empty optional
        assert got is None, f"{where}: expected an empty optional, got {type(got).__name__}"
        return
    if isinstance(expected, (list, tuple)):  # a sequence
        assert isinstance(got, (list, tuple)), f"{where}: expected a sequence, got {type(got).__name__}"
        assert len(got) == len(expected), f"{where}: {len(got)} items, expected {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            _compare(e, g, rtol, atol, f"{where}[{i}]")
        return
    expected, got = np.asarray(expected), np.asarray(got)
    assert got.shape == expected.shape, f"{where}: shape {got.shape}, expected {expected.shape}"
    if expected.dtype.kind in "OUS":  # strings
        np.testing.assert_array_equal(got.astype(object), expected.astype(object), err_msg=where)
        return
    assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype}, expected {expected.dtype}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected, err_msg=where)
        return
    if expected.dtype.kind not in "fc":  # ml_dtypes: bfloat16, float8, int4, float4...
        got, expected = got.astype(np.float32), expected.astype(np.float32)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)


def _check_outputs(model: onnx.ModelProto, case: Any) -> None:
    """Run ``model`` on every data set of ``case`` and compare to the expected outputs."""
    session = ReferenceEvaluator(model)
    in_names = [i.name for i in case.model.graph.input]
    out_names = [o.name for o in case.model.graph.output]
    for inputs, outputs in case.data_sets:
        feeds = dict(zip(in_names, _as_value(list(inputs))))
        got = session.run(out_names, feeds)
        assert len(got) == len(outputs), f"{len(got)} outputs, expected {len(outputs)}"
        for name, e, g in zip(out_names, _as_value(list(outputs)), got):
            _compare(e, g, case.rtol, case.atol, name)


def _element_type(vtype: onnx.TypeProto) -> Any:
    """The element type of a value type (nested for sequences, optionals and maps)."""
    kind = vtype.WhichOneof("value")
    if kind == "tensor_type":
        return onnx.TensorProto.DataType.Name(vtype.tensor_type.elem_type)
    if kind == "sparse_tensor_type":
        return ("sparse", onnx.TensorProto.DataType.Name(vtype.sparse_tensor_type.elem_type))
    if kind == "sequence_type":
        return ("seq", _element_type(vtype.sequence_type.elem_type))
    if kind == "optional_type":
        return ("optional", _element_type(vtype.optional_type.elem_type))
    if kind == "map_type":
        return ("map", vtype.map_type.key_type, _element_type(vtype.map_type.value_type))
    return kind


def _attribute(attr: onnx.AttributeProto) -> onnx.AttributeProto:
    copy = onnx.AttributeProto()
    copy.CopyFrom(attr)
    copy.ClearField("doc_string")
    return copy


def _rebuild(case: Any) -> onnx.ModelProto:
    """Our compilation of the case's node, from its inputs, attributes, output names and opsets."""
    graph = case.model.graph
    node = graph.node[0]
    opsets = {_domain(o.domain): o.version for o in case.model.opset_import}
    cls = operator_class(node.op_type)
    assert cls.domain == _domain(node.domain), (cls.domain, node.domain)
    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    # The node is built for the case's opset (op_version): what it computes is that version's.
    extra = {"op_version": opsets[cls.domain]}
    inputs = [None if name == "" else Var(name) for name in node.input]
    expr = cls(*inputs, output_names=list(node.output), **attributes, **extra)
    return onnxalgebra.to_onnx(expr, list(graph.input), target_opset=opsets)


def _check_ours(case: Any) -> None:
    model = _rebuild(case)
    # The same single node: inputs, outputs, attributes.
    ref, nodes = case.model.graph.node[0], model.graph.node
    assert [n.op_type for n in nodes] == [ref.op_type], f"compiled to {[n.op_type for n in nodes]}"
    got = nodes[0]
    assert _domain(got.domain) == _domain(ref.domain)
    assert list(got.input) == list(ref.input), (list(got.input), list(ref.input))
    assert list(got.output) == list(ref.output), (list(got.output), list(ref.output))
    ours = {a.name: _attribute(a) for a in got.attribute}
    theirs = {a.name: _attribute(a) for a in ref.attribute}
    assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
    for name, attr in theirs.items():
        assert ours[name] == attr, f"attribute {name!r}: {ours[name]} != {attr}"
    # An opset of the node's domain where the version in force is the case's (the smallest such).
    wanted = {_domain(o.domain): o.version for o in case.model.opset_import}
    have = {_domain(o.domain): o.version for o in model.opset_import}
    domain = _domain(ref.domain)
    ours = defs.get_schema(ref.op_type, have[domain], domain).since_version
    theirs = defs.get_schema(ref.op_type, wanted[domain], domain).since_version
    assert ours == theirs and have[domain] <= wanted[domain], f"opset {have} vs {wanted}"
    # The inferred output element types are the case's.
    expected_types = {o.name: _element_type(o.type) for o in case.model.graph.output}
    inferred_types = {o.name: _element_type(o.type) for o in model.graph.output}
    assert inferred_types == expected_types
    _check_outputs(model, case)


@functools.cache
def _original_failure(name: str) -> str | None:
    """Why the case's own model fails the reference evaluator, or None if it passes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _check_outputs(CASES[name].model, CASES[name])
    except Exception as exc:
        text = " ".join(str(exc).split())
        return f"{type(exc).__name__}: {text[:200]}"
    return None


_OUTCOMES: dict[str, BaseException | None] = {}


def _our_failure(name: str) -> BaseException | None:
    """The exception our rebuild of the case raises, or None (cached)."""
    if name not in _OUTCOMES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                _check_ours(CASES[name])
            _OUTCOMES[name] = None
        except Exception as exc:
            _OUTCOMES[name] = exc
    return _OUTCOMES[name]


def _params() -> list[Any]:
    params = []
    for name in CASES:
        marks = []
        if name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


@pytest.mark.parametrize("name", _params())
def test_node_case(name: str) -> None:
    reason = _original_failure(name)
    if reason is not None:
        pytest.skip(f"the original model fails the reference evaluator: {reason}")
    error = _our_failure(name)
    if error is not None:
        raise error


def test_conformance_summary() -> None:
    unknown = sorted(set(KNOWN_FAILURES) - set(CASES))
    assert not unknown, f"KNOWN_FAILURES names cases that do not exist: {unknown}"
    original = [name for name in CASES if _original_failure(name) is None]
    passing = [name for name in original if _our_failure(name) is None]
    failing = sorted(set(original) - set(passing))
    print(
        f"\nonnx node cases: {len(ALL_CASES)}, single-node: {len(CASES)}, "
        f"original passes the reference evaluator: {len(original)}, ours pass: {len(passing)}, "
        f"ours fail: {len(failing)} (known: {len(set(failing) & set(KNOWN_FAILURES))})"
    )
    unexpected = [name for name in failing if name not in KNOWN_FAILURES]
    assert not unexpected, f"failing cases missing from KNOWN_FAILURES: {unexpected}"
    assert len(passing) >= PASSING_FLOOR, f"{len(passing)} cases pass, fewer than the floor {PASSING_FLOOR}"


def test_omitted_output_cannot_be_used():
    from onnxalgebra import CompileError, OnnxAdd, OnnxLSTM, OnnxTopK, OperatorError

    x = Var("X", np.float32, [2, 1, 3])
    w, r = np.ones((1, 8, 3), np.float32), np.ones((1, 8, 2), np.float32)
    lstm = OnnxLSTM(x, w, r, hidden_size=2, output_names=["", "Y_h"])
    model = lstm.to_onnx()
    assert list(model.graph.node[0].output) == ["", "Y_h"]
    assert [o.name for o in model.graph.output] == ["Y_h"]
    with pytest.raises(IndexError, match="omitted"):
        lstm[0]
    with pytest.raises(OperatorError, match="omitted"):
        OnnxAdd(lstm, 1.0)
    with pytest.raises(CompileError, match="omitted"):
        OnnxAdd(next(iter(lstm)), 1.0).to_onnx()
    with pytest.raises(OperatorError, match="required"):
        OnnxTopK(x, np.array([1]), output_names=["V", ""])
    with pytest.raises(OperatorError, match="names no output"):
        OnnxLSTM(x, w, r, hidden_size=2, output_names=["", ""])


def test_graph_proto_attribute_imports_its_domains():
    # FlexAttention (ai.onnx.preview) with a body of default-domain operators.
    case = CASES["test_flexattention_score_mod"]
    model = _rebuild(case)
    assert {o.domain for o in model.opset_import} == {"", "ai.onnx.preview"}
