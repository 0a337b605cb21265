"""Deduplication: equal sub-expressions give one node, equal constants one initializer;
and unit tests of the compiler passes (naming, constant table, node table)."""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import CompileError, OnnxAbs, OnnxAdd, OnnxDiv, OnnxExp, OnnxLeakyRelu, OnnxMatMul, OnnxMul, OnnxSub, Var
from onnxalgebra._passes.cse import NodeTable
from onnxalgebra._passes.dedup_constants import InitializerTable
from onnxalgebra._passes.naming import NameAllocator

X = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -4.0]], dtype=np.float32)


def _compile(exprs, inputs=None):
    model = onnxalgebra.to_onnx(exprs, {"X": X} if inputs is None else inputs)
    onnx.checker.check_model(model, full_check=True)
    return model


def _ops(model):
    return sorted(n.op_type for n in model.graph.node if n.op_type != "Identity")


def _run(model, feeds=None):
    return ReferenceEvaluator(model).run(None, {"X": X} if feeds is None else feeds)


# -- common sub-expressions --------------------------------------------------------------------------


def test_separately_built_equal_subexpressions_compile_to_one_node():
    w = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    first = OnnxExp(OnnxMatMul("X", w))
    second = OnnxExp(OnnxMatMul("X", w.copy()))  # built again, from a copy of the array
    expr = OnnxDiv(first, OnnxAdd(second, np.float32(1)))
    model = _compile([expr])
    assert _ops(model) == ["Add", "Div", "Exp", "MatMul"]
    e = np.exp(X @ w)
    np.testing.assert_allclose(_run(model)[0], e / (e + 1), rtol=1e-6)


def test_equal_subexpressions_across_graph_outputs():
    model = _compile([OnnxAbs("X"), OnnxAbs("X"), OnnxAbs(Var("X", np.float32, [None, 3]))])
    assert _ops(model) == ["Abs"]
    assert len({o.name for o in model.graph.output}) == 3
    for got in _run(model):
        np.testing.assert_array_equal(got, np.abs(X))


def test_a_deep_repeated_chain_stays_linear():
    def chain():
        y = Var("X", np.float32, [None, 3])
        for i in range(50):
            y = OnnxAdd(OnnxMul(y, np.float32(0.5)), np.float32(i % 3))
        return y

    model = _compile([OnnxSub(chain(), chain())])
    assert len(model.graph.node) == 101  # 50 Mul + 50 Add + the Sub
    expected = X.copy()
    for i in range(50):
        expected = expected * np.float32(0.5) + np.float32(i % 3)
    np.testing.assert_allclose(_run(model)[0], np.zeros_like(X))
    np.testing.assert_allclose(_run(_compile([chain()]))[0], expected, rtol=1e-6)


def test_different_inputs_order_or_attributes_stay_apart():
    model = _compile([OnnxSub("X", "Y"), OnnxSub("Y", "X")], {"X": X, "Y": X + 1})
    assert _ops(model) == ["Sub", "Sub"]
    a, b = _run(model, {"X": X, "Y": X + 1})
    np.testing.assert_array_equal(a, -np.ones_like(X))
    np.testing.assert_array_equal(b, np.ones_like(X))
    model = _compile([OnnxLeakyRelu("X", alpha=0.1), OnnxLeakyRelu("X", alpha=0.2)])
    assert _ops(model) == ["LeakyRelu", "LeakyRelu"]


def test_attributes_equal_once_stored_as_float32_dedup():
    # ONNX stores a float attribute as float32: both nodes would be byte-identical.
    model = _compile([OnnxLeakyRelu("X", alpha=0.1), OnnxLeakyRelu("X", alpha=np.float32(0.1))])
    assert _ops(model) == ["LeakyRelu"]
    model = _compile([OnnxLeakyRelu("X", alpha=0.5), OnnxLeakyRelu("X", alpha=0.5)])
    assert _ops(model) == ["LeakyRelu"]


def test_user_output_names_keep_nodes_apart():
    model = _compile([OnnxAbs("X", output_names=["p"]), OnnxAbs("X", output_names=["q"])])
    assert [o.name for o in model.graph.output] == ["p", "q"]
    for got in _run(model):
        np.testing.assert_array_equal(got, np.abs(X))


# -- constants --------------------------------------------------------------------------------------


def _initializers(model):
    return [numpy_helper.to_array(i) for i in model.graph.initializer]


def test_equal_constants_give_one_initializer():
    c1 = np.array([1.0, 2.0, 3.0], np.float32)
    c2 = np.array([1.0, 2.0, 3.0], np.float32)
    model = _compile([OnnxAdd("X", c1), OnnxMul("X", c2), OnnxSub("X", 1.0), OnnxDiv("X", np.float32(1))])
    inits = _initializers(model)
    assert len(inits) == 2
    assert any(a.dtype == np.float32 and a.shape == (3,) and np.array_equal(a, c1) for a in inits)
    assert any(a.dtype == np.float32 and a.shape == () and a == 1 for a in inits)
    got = _run(model)
    for g, e in zip(got, [X + c1, X * c2, X - 1, X / 1]):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (np.array(1, np.float32), np.array([1], np.float32)),  # shape
        (np.array([1], np.int32), np.array([1], np.int64)),  # dtype
        (np.array(0.0, np.float32), np.array(-0.0, np.float32)),  # bytes
        (np.array([1, 2, 3], np.int64), np.array([3, 2, 1], np.int64)),  # content
    ],
)
def test_constants_differing_in_dtype_shape_or_bytes_stay_apart(a, b):
    assert (a.dtype, a.shape, a.tobytes()) != (b.dtype, b.shape, b.tobytes())
    x = X.astype(a.dtype) if a.dtype == b.dtype else None
    if x is None:
        model = _compile([OnnxAdd("I", a), OnnxAdd("J", b)], {"I": np.zeros(2, a.dtype), "J": np.zeros(2, b.dtype)})
    else:
        model = _compile([OnnxAdd("X", a), OnnxMul("X", b)], {"X": x})
    inits = _initializers(model)
    assert len(inits) == 2
    assert {(i.dtype, i.shape, i.tobytes()) for i in inits} == {(c.dtype, c.shape, c.tobytes()) for c in (a, b)}


def test_nan_constants_with_equal_bytes_dedup():
    model = _compile([OnnxAdd("X", np.float32(np.nan)), OnnxMul("X", np.float32(np.nan))])
    (init,) = _initializers(model)
    assert np.isnan(init)


def test_string_constants_dedup():
    s = np.array(["a", "b"], dtype=object)
    model = _compile(
        [onnxalgebra.OnnxEqual("S", np.array(["a"])), onnxalgebra.OnnxEqual("S", np.array(["a"], dtype=object))], {"S": s}
    )
    assert len(model.graph.initializer) == 1 and _ops(model) == ["Equal"]
    got = _run(model, {"S": s})
    for g in got:
        np.testing.assert_array_equal(g, [True, False])


# -- the passes, unit by unit ---------------------------------------------------------------------------


def test_name_allocator_fresh_names_skip_reserved_and_taken():
    names = NameAllocator()
    names.reserve("Add_1", "user output")
    names.take("Add_2")
    got = [names.fresh("Add") for _ in range(3)]
    assert got == ["Add_0", "Add_3", "Add_4"]
    assert len(set(got)) == 3
    assert names.is_reserved("Add_1") and not names.is_reserved("Add_0")
    assert names.fresh("MatMul") == "MatMul_0"  # counters are per prefix


def test_name_allocator_reserve_clash():
    names = NameAllocator()
    names.reserve("Y", "output_names of OnnxAbs")
    names.reserve("Y", "output_names of OnnxAbs")  # the same owner again is fine
    with pytest.raises(CompileError) as info:
        names.reserve("Y", "a graph input")
    assert "'Y'" in str(info.value) and "OnnxAbs" in str(info.value) and "a graph input" in str(info.value)


def test_initializer_table_dedups_by_dtype_shape_and_bytes():
    names = NameAllocator()
    table = InitializerTable(names)
    a = table.name_for(np.array([1.0, 2.0], np.float32))
    assert table.name_for(np.array([1.0, 2.0], np.float32)) == a
    b = table.name_for(np.array([1.0, 2.0], np.float64))
    c = table.name_for(np.array([[1.0, 2.0]], np.float32))
    s = table.name_for(np.array(["x", "yz"]))
    assert len({a, b, c, s}) == 4
    assert a in table and "nothing" not in table
    arrays = {t.name: numpy_helper.to_array(t) for t in table.tensors}
    assert list(arrays) == [a, b, c, s]
    assert arrays[b].dtype == np.float64 and arrays[c].shape == (1, 2)
    assert arrays[s].tolist() == [b"x", b"yz"] or arrays[s].tolist() == ["x", "yz"]
    assert names.fresh("init") not in arrays  # the allocator knows the names it gave


def test_node_table_sees_enclosing_tables_only():
    outer = NodeTable()
    outer.add(("Add", "X", "c"), ("Add_0",))
    inner = NodeTable(outer)
    assert inner.find(("Add", "X", "c")) == ("Add_0",)
    inner.add(("Mul", "X", "c"), ("Mul_0",))
    assert inner.find(("Mul", "X", "c")) == ("Mul_0",)
    assert outer.find(("Mul", "X", "c")) is None  # a subgraph's nodes are not visible outside
    assert inner.find(("Sub", "X", "c")) is None
